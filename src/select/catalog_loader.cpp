#include "forge/select/catalog_loader.hpp"

#include "forge/dump/csv.hpp"
#include "forge/dump/pg_types.hpp"
#include "forge/util/error.hpp"
#include "forge/util/time.hpp"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <charconv>
#include <functional>
#include <memory>
#include <unordered_set>

namespace forge {
namespace {

using dump::Field;
using dump::Record;

// Tables selection needs; everything else in the dump is skipped without being parsed.
constexpr std::string_view kCategories = "categories.csv";
constexpr std::string_view kCrateDownloads = "crate_downloads.csv";
constexpr std::string_view kCrates = "crates.csv";
constexpr std::string_view kKeywords = "keywords.csv";
constexpr std::string_view kCratesCategories = "crates_categories.csv";
constexpr std::string_view kCratesKeywords = "crates_keywords.csv";
constexpr std::string_view kVersions = "versions.csv";
constexpr std::string_view kDefaultVersions = "default_versions.csv"; // optional: older dumps lack it
constexpr std::string_view kCliSlug = "command-line-utilities";

constexpr std::array<std::string_view, 7> kRequired = {
    kCategories, kCrateDownloads, kCrates, kKeywords, kCratesCategories, kCratesKeywords, kVersions};
// Tables known to come after everything selection needs: reaching one means the rest is not worth inflating.
constexpr std::array<std::string_view, 2> kLateTables = {"dependencies.csv", "version_downloads.csv"};

constexpr int kAbsent = -1;

// Resolves wanted column names against a header; reports the file and the column when one is missing.
class Columns {
public:
  explicit Columns(std::string file) : file_(std::move(file)) {}
  void header(const Record &h) {
    names_.clear();
    for (size_t i = 0; i < h.size(); ++i) {
      names_.emplace_back(h[i].text);
    }
  }
  [[nodiscard]] int optional(std::string_view name) const {
    for (size_t i = 0; i < names_.size(); ++i) {
      if (names_[i] == name) {
        return static_cast<int>(i);
      }
    }
    return kAbsent;
  }
  [[nodiscard]] int required(std::string_view name) const {
    const int i = optional(name);
    if (i == kAbsent) {
      fail(ExitCode::data, "{}: missing column '{}'", file_, name);
    }
    return i;
  }
  [[nodiscard]] const std::string &file() const { return file_; }

private:
  std::string file_;
  std::vector<std::string> names_;
};

class RowError {
public:
  RowError(const Columns &cols, const Record &rec) : cols_(cols), rec_(rec) {}
  [[noreturn]] void bad(std::string_view column, std::string_view what) const {
    fail(ExitCode::data, "{}:{}: invalid {} in column '{}': '{}'", cols_.file(), rec_.line, what, column,
         value_preview(column));
  }

private:
  [[nodiscard]] std::string value_preview(std::string_view column) const {
    const int i = cols_.optional(column);
    if (i == kAbsent) {
      return "";
    }
    std::string_view t = rec_[static_cast<size_t>(i)].text;
    return std::string(t.substr(0, 60));
  }
  const Columns &cols_;
  const Record &rec_;
};

int64_t get_int(const Columns &cols, const Record &rec, int idx, std::string_view column) {
  const Field &f = rec[static_cast<size_t>(idx)];
  int64_t v = 0;
  const auto [ptr, ec] = std::from_chars(f.text.data(), f.text.data() + f.text.size(), v);
  if (f.null || ec != std::errc() || ptr != f.text.data() + f.text.size()) {
    RowError(cols, rec).bad(column, "integer");
  }
  return v;
}

std::optional<std::string_view> get_opt(const Record &rec, int idx) {
  if (idx == kAbsent || rec[static_cast<size_t>(idx)].null) {
    return std::nullopt;
  }
  return rec[static_cast<size_t>(idx)].text;
}

// Streams one dump table into the catalog.
class TableLoader {
public:
  TableLoader(std::string file, Catalog &cat) : cols_(std::move(file)), cat_(cat) {}
  virtual ~TableLoader() = default;
  TableLoader(const TableLoader &) = delete;
  TableLoader &operator=(const TableLoader &) = delete;
  virtual void bind() = 0;
  virtual void row(const Record &rec) = 0;
  virtual void done() {}

  dump::CsvReader &reader() {
    if (!reader_) {
      reader_ = std::make_unique<dump::CsvReader>(
          cols_.file(),
          [this](const Record &h) {
            cols_.header(h);
            bind();
          },
          [this](const Record &r) { row(r); });
    }
    return *reader_;
  }

protected:
  Columns cols_;
  Catalog &cat_;

private:
  std::unique_ptr<dump::CsvReader> reader_;
};

class CategoriesLoader final : public TableLoader {
public:
  using TableLoader::TableLoader;
  void bind() override {
    id_ = cols_.required("id");
    slug_ = cols_.required("slug");
  }
  void row(const Record &r) override {
    const int64_t id = get_int(cols_, r, id_, "id");
    const std::string_view slug = r[static_cast<size_t>(slug_)].text;
    if (slug == kCliSlug) {
      cat_.cli_category_id = id;
    }
    cat_.category_index.emplace(id, static_cast<uint32_t>(cat_.category_slugs.size()));
    cat_.category_slugs.emplace_back(slug);
  }

private:
  int id_ = kAbsent, slug_ = kAbsent;
};

class KeywordsLoader final : public TableLoader {
public:
  using TableLoader::TableLoader;
  void bind() override {
    id_ = cols_.required("id");
    keyword_ = cols_.required("keyword");
  }
  void row(const Record &r) override {
    cat_.keyword_index.emplace(get_int(cols_, r, id_, "id"),
                               static_cast<uint32_t>(cat_.keyword_names.size()));
    cat_.keyword_names.emplace_back(r[static_cast<size_t>(keyword_)].text);
  }

private:
  int id_ = kAbsent, keyword_ = kAbsent;
};

class CratesLoader final : public TableLoader {
public:
  using TableLoader::TableLoader;
  void bind() override {
    id_ = cols_.required("id");
    name_ = cols_.required("name");
    description_ = cols_.optional("description");
    homepage_ = cols_.optional("homepage");
    repository_ = cols_.optional("repository");
  }
  void row(const Record &r) override {
    CrateInfo &c = cat_.crates.emplace_back();
    c.id = get_int(cols_, r, id_, "id");
    cat_.set_strings(c, r[static_cast<size_t>(name_)].text, get_opt(r, description_), get_opt(r, homepage_),
                     get_opt(r, repository_));
    cat_.crate_index.add(c.id, static_cast<uint32_t>(cat_.crates.size() - 1));
  }
  void done() override { cat_.crate_index.freeze(); }

private:
  int id_ = kAbsent, name_ = kAbsent, description_ = kAbsent, homepage_ = kAbsent, repository_ = kAbsent;
};

// Two-column link tables (crate_downloads, crates_categories, crates_keywords, default_versions) go into the
// catalog row by row once the tables they refer to are in (the dump's order puts those first); otherwise
// their rows wait as pairs and are joined once every table is in, so the entry order does not matter.
class PairLoader final : public TableLoader {
public:
  // `resolve(a, b)`: applies a row, or returns false when it cannot yet.
  using Resolve = std::function<bool(int64_t, int64_t)>;
  PairLoader(std::string file, Catalog &cat, std::string_view a, std::string_view b, Resolve resolve,
             std::vector<std::pair<int64_t, int64_t>> &pending)
      : TableLoader(std::move(file), cat), a_name_(a), b_name_(b), resolve_(std::move(resolve)),
        pending_(pending) {}
  void bind() override {
    a_ = cols_.required(a_name_);
    b_ = cols_.required(b_name_);
  }
  void row(const Record &r) override {
    const int64_t a = get_int(cols_, r, a_, a_name_);
    const int64_t b = get_int(cols_, r, b_, b_name_);
    if (!resolve_(a, b)) {
      pending_.emplace_back(a, b);
    }
  }

private:
  std::string_view a_name_, b_name_;
  Resolve resolve_;
  std::vector<std::pair<int64_t, int64_t>> &pending_;
  int a_ = kAbsent, b_ = kAbsent;
};

class VersionsLoader final : public TableLoader {
public:
  VersionsLoader(std::string file, Catalog &cat, bool cli_known, int64_t since)
      : TableLoader(std::move(file), cat), cli_known_(cli_known), since_(since) {}

  void bind() override {
    if (!cat_.crate_index.frozen()) {
      cat_.crate_index.freeze();
    }
    id_ = cols_.required("id");
    crate_id_ = cols_.required("crate_id");
    num_ = cols_.required("num");
    created_at_ = cols_.required("created_at");
    yanked_ = cols_.required("yanked");
    bin_names_ = cols_.optional("bin_names");
    has_lib_ = cols_.optional("has_lib");
    // 2026-06 replaced the hex `checksum` column with the bytea `tar_sha256`.
    tar_sha256_ = cols_.optional("tar_sha256");
    checksum_ = tar_sha256_ == kAbsent ? cols_.optional("checksum") : kAbsent;
    if (tar_sha256_ == kAbsent && checksum_ == kAbsent) {
      fail(ExitCode::data, "{}: missing column 'tar_sha256' (or 'checksum' in dumps before 2026-06)",
           cols_.file());
    }
    license_ = cols_.optional("license");
    edition_ = cols_.optional("edition");
    rust_version_ = cols_.optional("rust_version");
    description_ = cols_.optional("description");
    homepage_ = cols_.optional("homepage");
    repository_ = cols_.optional("repository");
  }

  void row(const Record &r) override {
    ++cat_.version_rows;
    const int64_t crate_id = get_int(cols_, r, crate_id_, "crate_id");
    const int64_t crate_idx = cat_.crate_index.find(crate_id);
    if (crate_idx < 0) {
      ++orphans_;
      return;
    }
    const auto crate = static_cast<uint32_t>(crate_idx);
    const auto yanked = pg::parse_bool(r[static_cast<size_t>(yanked_)].text);
    if (!yanked) {
      RowError(cols_, r).bad("yanked", "boolean");
    }
    const std::string_view num = r[static_cast<size_t>(num_)].text;
    const BinNames bins = bin_state(r);
    CrateInfo &c = cat_.crates[crate];
    const bool keep = bins == BinNames::some || !cli_known_ || c.cli;
    const bool better =
        !c.has_fallback || better_fallback(num, *yanked, c.fallback_num.view(), c.fallback_yanked);
    int32_t kept = -1;
    if (keep) {
      kept = static_cast<int32_t>(cat_.versions.size());
      VersionInfo &v = cat_.versions.emplace_back();
      fill_version(v, r, c, crate, *yanked, bins);
    }
    if (better) {
      // A version that is not kept has no binaries and belongs to a non-CLI crate: if it is the default,
      // the crate is no candidate whatever its other fields say, so its number and yank state suffice.
      c.has_fallback = true;
      c.fallback_num.assign(num, cat_.arena);
      c.fallback_yanked = *yanked;
      c.fallback_kept = kept;
    }
  }

  void done() override {
    cat_.index_versions();
    if (orphans_ > 0) {
      spdlog::warn("{}: {} versions of unknown crates ignored", cols_.file(), orphans_);
    }
  }

private:
  [[nodiscard]] BinNames bin_state(const Record &r) const {
    if (bin_names_ == kAbsent || r[static_cast<size_t>(bin_names_)].null) {
      return BinNames::null;
    }
    const std::string_view t = r[static_cast<size_t>(bin_names_)].text;
    return t == "{}" ? BinNames::empty : BinNames::some;
  }

  void fill_version(VersionInfo &v, const Record &r, const CrateInfo &c, uint32_t crate, bool yanked,
                    BinNames bins) {
    v.id = get_int(cols_, r, id_, "id");
    v.crate = crate;
    v.yanked = yanked;
    const auto created = pg::parse_timestamp(r[static_cast<size_t>(created_at_)].text);
    if (!created) {
      RowError(cols_, r).bad("created_at", "timestamp");
    }
    v.created_at = *created;
    if (auto hl = get_opt(r, has_lib_)) {
      const auto b = pg::parse_bool(*hl);
      if (!b) {
        RowError(cols_, r).bad("has_lib", "boolean");
      }
      v.has_lib = *b ? 1 : 0;
    }
    v.bin_state = bins;
    if (bins == BinNames::some) {
      const auto named = pg::parse_array_joined(r[static_cast<size_t>(bin_names_)].text, bins_);
      if (!named) {
        RowError(cols_, r).bad("bin_names", "array");
      }
      if (*named == 0) {
        v.bin_state = BinNames::empty; // {NULL} carries no name
      }
    }
    if (yanked || v.created_at < since_) {
      // Never selectable: the funnel needs only the flags above, so the strings are not kept.
      return;
    }
    cat_.set_strings(v, {r[static_cast<size_t>(num_)].text, checksum(r), get_opt(r, license_),
                         get_opt(r, edition_), get_opt(r, rust_version_),
                         // Equal to the crate's value means the same output, so it is not stored twice.
                         unless_equal(get_opt(r, description_), c.get(CrateInfo::description_s)),
                         unless_equal(get_opt(r, homepage_), c.get(CrateInfo::homepage_s)),
                         unless_equal(get_opt(r, repository_), c.get(CrateInfo::repository_s)),
                         bins == BinNames::some ? std::optional<std::string_view>(bins_) : std::nullopt});
  }

  static std::optional<std::string_view> unless_equal(std::optional<std::string_view> value,
                                                      std::optional<std::string_view> crate_value) {
    return value && crate_value && *value == *crate_value ? std::nullopt : value;
  }

  // The version's SHA-256 as lowercase hex, in a buffer of the loader's (valid until the next row).
  std::optional<std::string_view> checksum(const Record &r) {
    if (tar_sha256_ != kAbsent) {
      const Field &f = r[static_cast<size_t>(tar_sha256_)];
      if (f.null) {
        return std::nullopt;
      }
      const auto hex = pg::parse_bytea_hex(f.text, checksum_hex_);
      if (!hex || hex->size() != 64) {
        RowError(cols_, r).bad("tar_sha256", "SHA-256 bytea");
      }
      return hex;
    }
    const Field &f = r[static_cast<size_t>(checksum_)];
    if (f.null) {
      return std::nullopt;
    }
    if (!pg::is_sha256_hex(f.text)) {
      RowError(cols_, r).bad("checksum", "SHA-256 hex");
    }
    checksum_hex_.assign(f.text);
    for (char &ch : checksum_hex_) {
      ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    }
    return checksum_hex_;
  }

  std::string bins_, checksum_hex_; // reused row after row: no allocation per version
  bool cli_known_;
  int64_t since_;
  uint64_t orphans_ = 0;
  int id_ = kAbsent, crate_id_ = kAbsent, num_ = kAbsent, created_at_ = kAbsent, yanked_ = kAbsent,
      bin_names_ = kAbsent, has_lib_ = kAbsent, tar_sha256_ = kAbsent, checksum_ = kAbsent,
      license_ = kAbsent, edition_ = kAbsent, rust_version_ = kAbsent, description_ = kAbsent,
      homepage_ = kAbsent, repository_ = kAbsent;
};

bool contains(std::string_view needle, const auto &list) {
  return std::find(list.begin(), list.end(), needle) != list.end();
}

// "2026-11-20-020046" -> "2026-11-20T02:00:46Z"
std::optional<std::string> timestamp_from_top_dir(std::string_view dir) {
  if (dir.size() != 17 || dir[4] != '-' || dir[7] != '-' || dir[10] != '-') {
    return std::nullopt;
  }
  std::string iso =
      fmt::format("{} {}:{}:{}", dir.substr(0, 10), dir.substr(11, 2), dir.substr(13, 2), dir.substr(15, 2));
  auto t = pg::parse_timestamp(iso);
  return t ? std::optional<std::string>(format_rfc3339(*t)) : std::nullopt;
}

class DumpConsumer final : public dump::TarConsumer {
public:
  // `parse` false: walk and inflate the same entries, stopping at the same point, but parse nothing.
  DumpConsumer(std::string label, Catalog &cat, int64_t since, LoadStats *stats, bool parse = true)
      : label_(std::move(label)), cat_(cat), since_(since), stats_(stats), parse_(parse) {}

  dump::EntryAction on_entry(const dump::EntryInfo &e) override {
    if (top_dir_.empty()) {
      top_dir_ = e.path.substr(0, e.path.find('/'));
    }
    const bool in_data =
        e.path.size() > e.basename.size() + 5 &&
        std::string_view(e.path).substr(e.path.size() - e.basename.size() - 6, 6) == "/data/";
    if (e.basename == "metadata.json" && !in_data) {
      current_ = nullptr;
      metadata_.clear();
      reading_metadata_ = true;
      return dump::EntryAction::read;
    }
    if (!in_data) {
      return dump::EntryAction::skip;
    }
    if (contains(e.basename, kLateTables) && required_seen()) {
      return dump::EntryAction::stop;
    }
    current_ = loader_for(e);
    if (current_ == nullptr) {
      return dump::EntryAction::skip;
    }
    current_table_ = e.basename;
    seen_.insert(e.basename);
    if (stats_ != nullptr) {
      stats_->tables.push_back(e.basename);
    }
    spdlog::debug("reading {}", e.path);
    return dump::EntryAction::read;
  }

  void on_data(std::string_view bytes) override {
    if (!parse_) {
      return;
    }
    if (reading_metadata_) {
      metadata_.append(bytes);
      return;
    }
    with_context([&] { current_->reader().feed(bytes); });
  }

  bool on_entry_end() override {
    if (reading_metadata_) {
      reading_metadata_ = false;
      if (parse_) {
        parse_metadata();
      }
      return true;
    }
    if (!parse_) {
      current_.reset();
      return !(required_seen() && seen_.count(std::string(kDefaultVersions)) != 0);
    }
    with_context([&] {
      current_->reader().finish();
      current_->done();
    });
    current_.reset();
    loaded_.insert(current_table_);
    return !(required_seen() && seen_.count(std::string(kDefaultVersions)) != 0);
  }

  void finish() {
    for (auto name : kRequired) {
      if (seen_.count(std::string(name)) == 0) {
        fail(ExitCode::data, "{}: table {} not found in the dump", label_, name);
      }
    }
    cat_.has_default_versions = seen_.count(std::string(kDefaultVersions)) != 0;
    join();
    if (cat_.dump_timestamp.empty()) {
      cat_.dump_timestamp = timestamp_from_top_dir(top_dir_).value_or("");
    }
  }

private:
  [[nodiscard]] bool required_seen() const {
    return std::all_of(kRequired.begin(), kRequired.end(),
                       [&](std::string_view n) { return seen_.count(std::string(n)) != 0; });
  }

  // Prefixes data errors with the dump's name so the message names both the archive and the table.
  template <typename Fn> void with_context(Fn &&fn) {
    try {
      fn();
    } catch (const Error &e) {
      if (e.code() == ExitCode::data) {
        throw Error(ExitCode::data, fmt::format("{}: {}", label_, e.what()));
      }
      throw;
    }
  }

  std::unique_ptr<TableLoader> loader_for(const dump::EntryInfo &e) {
    const std::string &b = e.basename;
    const std::string file = e.path;
    if (b == kCategories) {
      return std::make_unique<CategoriesLoader>(file, cat_);
    }
    if (b == kKeywords) {
      return std::make_unique<KeywordsLoader>(file, cat_);
    }
    if (b == kCrates) {
      return std::make_unique<CratesLoader>(file, cat_);
    }
    if (b == kCrateDownloads) {
      return std::make_unique<PairLoader>(
          file, cat_, "crate_id", "downloads", [this](int64_t c, int64_t d) { return set_downloads(c, d); },
          downloads_);
    }
    if (b == kCratesCategories) {
      return std::make_unique<PairLoader>(
          file, cat_, "crate_id", "category_id", [this](int64_t c, int64_t t) { return link(c, t, true); },
          crate_categories_);
    }
    if (b == kCratesKeywords) {
      return std::make_unique<PairLoader>(
          file, cat_, "crate_id", "keyword_id", [this](int64_t c, int64_t t) { return link(c, t, false); },
          crate_keywords_);
    }
    if (b == kDefaultVersions) {
      return std::make_unique<PairLoader>(
          file, cat_, "crate_id", "version_id", [this](int64_t c, int64_t v) { return set_default(c, v); },
          default_versions_);
    }
    if (b == kVersions) {
      // Knowing the CLI crates up front lets the loader drop versions that cannot matter.
      const bool cli_known = seen_.count(std::string(kCategories)) != 0 &&
                             seen_.count(std::string(kCratesCategories)) != 0 &&
                             seen_.count(std::string(kCrates)) != 0;
      if (cli_known) {
        flush();
      }
      return std::make_unique<VersionsLoader>(file, cat_, cli_known, since_);
    }
    return nullptr;
  }

  void parse_metadata() {
    try {
      const auto j = nlohmann::json::parse(metadata_);
      std::string ts = j.value("timestamp", "");
      // metadata.json carries up to 9 fraction digits; the instant to the second is what matters.
      if (auto dot = ts.find('.'); dot != std::string::npos) {
        auto end = ts.find_first_not_of("0123456789", dot + 1);
        ts.erase(dot, end == std::string::npos ? std::string::npos : end - dot);
      }
      if (auto t = pg::parse_timestamp(ts)) {
        cat_.dump_timestamp = format_rfc3339(*t);
      }
    } catch (const nlohmann::json::exception &) {
      spdlog::warn("{}: metadata.json is not valid JSON; using the directory name for the timestamp", label_);
    }
  }

  [[nodiscard]] bool loaded(std::string_view table) const { return loaded_.count(std::string(table)) != 0; }

  [[nodiscard]] int64_t crate_of(int64_t crate_id) {
    if (!cat_.crate_index.frozen()) {
      cat_.crate_index.freeze();
    }
    return cat_.crate_index.find(crate_id);
  }

  bool set_downloads(int64_t crate_id, int64_t downloads) {
    if (!loaded(kCrates)) {
      return false;
    }
    if (const int64_t c = crate_of(crate_id); c >= 0) {
      cat_.crates[static_cast<size_t>(c)].downloads = downloads;
    }
    return true;
  }

  bool set_default(int64_t crate_id, int64_t version_id) {
    if (!loaded(kCrates)) {
      return false;
    }
    if (const int64_t c = crate_of(crate_id); c >= 0) {
      cat_.crates[static_cast<size_t>(c)].default_version_id = version_id;
    }
    return true;
  }

  // A crates_categories or crates_keywords row: the (crate index, category/keyword index) pair, and the CLI
  // mark.
  bool link(int64_t crate_id, int64_t target_id, bool category) {
    if (!loaded(kCrates) || !loaded(category ? kCategories : kKeywords)) {
      return false;
    }
    const int64_t c = crate_of(crate_id);
    if (c < 0) {
      return true;
    }
    if (category && target_id == cat_.cli_category_id) {
      cat_.crates[static_cast<size_t>(c)].cli = true;
    }
    const auto &targets = category ? cat_.category_index : cat_.keyword_index;
    if (const auto t = targets.find(target_id); t != targets.end()) {
      (category ? cat_.crate_categories : cat_.crate_keywords)
          .emplace_back(static_cast<uint32_t>(c), t->second);
    }
    return true;
  }

  // Applies the rows that had to wait, as far as the tables now loaded allow.
  void flush() {
    auto retry = [](std::vector<std::pair<int64_t, int64_t>> &pending, auto &&resolve) {
      std::erase_if(pending, [&](const auto &p) { return resolve(p.first, p.second); });
    };
    retry(downloads_, [this](int64_t c, int64_t d) { return set_downloads(c, d); });
    retry(crate_categories_, [this](int64_t c, int64_t t) { return link(c, t, true); });
    retry(crate_keywords_, [this](int64_t c, int64_t t) { return link(c, t, false); });
    retry(default_versions_, [this](int64_t c, int64_t v) { return set_default(c, v); });
  }

  // Orders link pairs by crate (a counting sort: linear, and the selection sorts each crate's names).
  void group_by_crate(std::vector<std::pair<uint32_t, uint32_t>> &links) const {
    std::vector<uint32_t> start(cat_.crates.size() + 1, 0);
    for (const auto &l : links) {
      ++start[l.first + 1];
    }
    for (size_t i = 1; i < start.size(); ++i) {
      start[i] += start[i - 1];
    }
    std::vector<std::pair<uint32_t, uint32_t>> sorted(links.size());
    for (const auto &l : links) {
      sorted[start[l.first]++] = l;
    }
    links = std::move(sorted);
  }

  void join() {
    if (!cat_.crate_index.frozen()) {
      cat_.crate_index.freeze();
    }
    flush();
    group_by_crate(cat_.crate_categories);
    group_by_crate(cat_.crate_keywords);
  }

  std::string label_;
  Catalog &cat_;
  int64_t since_;
  LoadStats *stats_;
  bool parse_;
  std::string top_dir_;
  std::unique_ptr<TableLoader> current_;
  std::string current_table_; // the basename current_ reads
  std::unordered_set<std::string> seen_;
  std::unordered_set<std::string> loaded_; // tables read to their end
  bool reading_metadata_ = false;
  std::string metadata_;
  std::vector<std::pair<int64_t, int64_t>> downloads_, crate_categories_, crate_keywords_, default_versions_;
};

} // namespace

Catalog load_catalog(const std::string &path, const std::string &label, int64_t since, LoadStats *stats) {
  Catalog cat;
  DumpConsumer consumer(label, cat, since, stats);
  const dump::ScanStats scan = dump::scan_tar_gz(path, label, consumer);
  if (stats != nullptr) {
    stats->scan = scan;
  }
  consumer.finish();
  return cat;
}

LoadStats scan_catalog_tables(const std::string &path, const std::string &label) {
  Catalog cat;
  LoadStats stats;
  DumpConsumer consumer(label, cat, 0, &stats, false);
  stats.scan = dump::scan_tar_gz(path, label, consumer);
  return stats;
}

} // namespace forge
