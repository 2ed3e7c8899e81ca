#include "forge/compile/build_job.hpp"

#include "forge/compile/elf.hpp"
#include "forge/compile/elf_section.hpp"
#include "forge/compile/log_writer.hpp"
#include "forge/compile/manifest.hpp"
#include "forge/compile/subprocess.hpp"
#include "forge/dump/pg_types.hpp"
#include "forge/hash/blake3.hpp"
#include "forge/hash/sha256.hpp"
#include "forge/metadata/provenance.hpp"
#include "forge/metadata/sbom.hpp"
#include "forge/queue/queue.hpp"
#include "forge/util/fs.hpp"
#include "forge/util/http.hpp"
#include "forge/util/term.hpp"
#include "forge/version.hpp"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <map>

namespace forge {
namespace fs = std::filesystem;
using json = nlohmann::ordered_json;

std::chrono::milliseconds parse_duration(const std::string &text) {
  if (text.empty()) {
    fail(ExitCode::usage, "empty duration");
  }
  double total = 0;
  size_t i = 0;
  bool any = false;
  while (i < text.size()) {
    size_t j = i;
    while (j < text.size() && (std::isdigit(static_cast<unsigned char>(text[j])) != 0 || text[j] == '.')) {
      ++j;
    }
    if (j == i) {
      fail(ExitCode::usage, "invalid duration '{}': use e.g. 30m, 90s, 1h30m", text);
    }
    const double n = std::stod(text.substr(i, j - i));
    double unit = 1;
    if (j < text.size()) {
      switch (text[j]) {
      case 'h':
        unit = 3600;
        break;
      case 'm':
        unit = 60;
        break;
      case 's':
        unit = 1;
        break;
      default:
        fail(ExitCode::usage, "invalid duration '{}': use e.g. 30m, 90s, 1h30m", text);
      }
      ++j;
    }
    total += n * unit;
    any = true;
    i = j;
  }
  if (!any || total <= 0) {
    fail(ExitCode::usage, "invalid duration '{}'", text);
  }
  return std::chrono::milliseconds(static_cast<int64_t>(total * 1000));
}

namespace {

int64_t now_micros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// What is known about the crate before building: from the queue or the sparse index.
struct CrateSource {
  std::string name, version, checksum, url;
  std::optional<QueuedCrate> queued;
  std::optional<std::string> published_at; // RFC 3339: the queue's, else the index's pubtime
};

std::string join_url(std::string base, const std::string &path) {
  if (!base.empty() && base.back() != '/') {
    base.push_back('/');
  }
  return base + path;
}

CrateSource resolve_source(const BuildRequest &req, const DownloadOptions &dl) {
  CrateSource src;
  src.name = req.crate;
  if (req.queue) {
    const Queue q = read_queue(*req.queue);
    if (const QueuedCrate *c = find_crate(q, req.crate)) {
      if (!req.version || *req.version == c->version) {
        src.version = c->version;
        src.checksum = c->checksum;
        src.queued = *c;
        src.published_at = c->published_at;
        spdlog::info("{} {}: version and checksum from {}", src.name, src.version, req.queue->string());
      } else {
        spdlog::info("{}: the queue has {}, but {} was asked for: using the index", req.crate, c->version,
                     *req.version);
      }
    }
  }
  std::string dl_template = req.crate_url;
  if (src.version.empty()) {
    const std::string index_url = join_url(req.index_url, sparse_index_path(req.crate));
    const auto entries = parse_index_file(http_get(index_url, dl), index_url);
    const auto pick = pick_version(entries, req.version);
    if (!pick) {
      fail(ExitCode::data, "{}: no {} of {} in the index", index_url,
           req.version ? "version " + *req.version : std::string("non-yanked version"), req.crate);
    }
    src.name = pick->name;
    src.version = pick->vers;
    src.checksum = pick->cksum;
    src.published_at = pick->pubtime;
  }
  if (dl_template.empty()) {
    const std::string config_url = join_url(req.index_url, "config.json");
    dl_template = parse_index_config(http_get(config_url, dl), config_url);
  }
  src.url = expand_download_url(dl_template, src.name, src.version, src.checksum);
  return src;
}

json failure_json(const std::optional<Failure> &f) {
  if (!f) {
    return json(nullptr);
  }
  return json(f->reason);
}

struct JobContext {
  const BuildRequest &req;
  const CrateSource &src;
  std::string builder;
  fs::path crate_file;
  SandboxChoice sandbox;
  SandboxProbe probe;
  std::optional<int64_t> source_date_epoch; // the crate's, for every target's build
};

json result_json(const JobContext &ctx, const TargetOutcome &t, const std::vector<std::string> &argv,
                 const std::vector<std::string> &fetch_argv, const std::string &feature_mode,
                 const std::string &started_at, double duration) {
  json exes = json::array();
  const auto name_or_null = [](const std::string &v) { return v.empty() ? json(nullptr) : json(v); };
  for (const auto &e : t.executables) {
    exes.push_back(json{{"name", e.name},
                        {"size", e.size},
                        {"bsum", e.bsum},
                        {"shasum", e.shasum},
                        {"static", e.is_static},
                        {"auditable", e.auditable},
                        {"sbom", name_or_null(e.sbom)},
                        {"provenance", name_or_null(e.provenance)}});
  }
  json j{{"format", kResultFormat},
         {"crate", ctx.src.name},
         {"version", ctx.src.version},
         {"target", t.target.triple},
         {"host", t.target.host},
         {"builder", ctx.builder},
         {"sandbox", ctx.sandbox.name()},
         {"sandbox_reason", ctx.sandbox.reason},
         {"fetch_argv", fetch_argv.empty() ? json(nullptr) : json(fetch_argv)},
         {"argv", argv},
         {"feature_mode", feature_mode.empty() ? json(nullptr) : json(feature_mode)},
         {"status", t.built ? "built" : "failed"},
         {"reason", failure_json(t.failure)},
         {"details", t.failure ? json(t.failure->details) : json(nullptr)},
         {"spurious", t.failure ? t.failure->spurious : false},
         {"started_at", started_at},
         {"duration_s", std::round(duration * 1000) / 1000},
         {"log", "build.log"},
         {"executables", exes},
         {"auditable", t.auditable},
         {"auditable_details", name_or_null(t.auditable_details)},
         {"source_date_epoch", t.source_date_epoch ? json(*t.source_date_epoch) : json(nullptr)},
         {"reproducible", t.reproducible ? json(*t.reproducible) : json(nullptr)},
         {"reproducible_details", name_or_null(t.reproducible_details)}};
  if (!t.missing_bins.empty()) {
    j["missing_bins"] = t.missing_bins;
  }
  if (t.failure && !t.failure->libraries.empty()) {
    j["libraries"] = t.failure->libraries;
  }
  if (t.failure && !t.failure->error_codes.empty()) {
    j["error_codes"] = t.failure->error_codes;
  }
  if (t.failure && !t.failure->crate.empty()) {
    j["failed_crate"] = t.failure->crate;
  }
  return j;
}

// Replaces `final_dir` by `staging` (both on the same filesystem) so readers never see half a result.
void promote(const fs::path &staging, const fs::path &final_dir) {
  std::error_code ec;
  fs::path old = final_dir;
  old += fmt::format(".old.{}", ::getpid());
  if (fs::exists(final_dir, ec)) {
    fs::rename(final_dir, old, ec);
    if (ec) {
      fail(ExitCode::io, "cannot replace {}: {}", final_dir.string(), ec.message());
    }
  }
  fs::rename(staging, final_dir, ec);
  if (ec) {
    fail(ExitCode::io, "cannot move results into {}: {}", final_dir.string(), ec.message());
  }
  fs::remove_all(old, ec);
}

void append_file(std::ofstream &out, const fs::path &path) {
  std::ifstream in(path, std::ios::binary);
  // Inserting an empty streambuf sets failbit on `out`, which would silence the rest of the log.
  if (in && in.peek() != std::ifstream::traits_type::eof()) {
    out << in.rdbuf();
  }
}

Failure simple_failure(std::string reason, std::string details) {
  Failure f;
  f.reason = std::move(reason);
  f.details = std::move(details);
  f.spurious = is_spurious(f.reason);
  return f;
}

class TargetJob {
public:
  TargetJob(const JobContext &ctx, const Target &target) : ctx_(ctx), req_(ctx.req) { out_.target = target; }

  TargetOutcome run(const std::optional<Failure> &early_failure) {
    started_at_ = pg::format_rfc3339(now_micros());
    const auto start = std::chrono::steady_clock::now();
    out_.source_date_epoch = req_.supply.reproducible ? ctx_.source_date_epoch : std::nullopt;
    out_.dir = req_.out / out_.target.host / ctx_.src.name / ctx_.src.version;
    staging_ = out_.dir.parent_path() / fmt::format(".{}.staging.{}", ctx_.src.version, ::getpid());
    std::error_code ec;
    fs::remove_all(staging_, ec);
    fs::create_directories(staging_, ec);
    if (ec) {
      fail(ExitCode::io, "cannot create {}: {}", staging_.string(), ec.message());
    }
    log_.open(staging_ / "build.log", std::ios::binary);
    log_ << fmt::format("forge: building {} {} for {} ({}) with {}\n", ctx_.src.name, ctx_.src.version,
                        out_.target.triple, out_.target.host, ctx_.builder);
    log_ << fmt::format("forge: sandbox: {} ({})\n", ctx_.sandbox.name(), ctx_.sandbox.reason);
    if (early_failure) {
      out_.failure = early_failure;
    } else {
      build();
    }
    out_.built = !out_.failure.has_value();
    if (out_.failure) {
      log_ << "forge: failed: " << out_.failure->reason << ": " << out_.failure->details << "\n";
    }
    log_.close();
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    write_file_atomic(staging_ / "result.json",
                      result_json(ctx_, out_, argv_, fetch_argv_, feature_mode_, started_at_, secs).dump(2) +
                          "\n");
    for (const auto &e : out_.executables) {
      if (out_.built) {
        fs::copy_file(staging_ / "build.log", staging_ / (e.name + ".log"),
                      fs::copy_options::overwrite_existing, ec);
      }
    }
    promote(staging_, out_.dir);
    if (!build_dir_.empty() && !req_.keep_build_dir) {
      fs::remove_all(build_dir_, ec);
    }
    return out_;
  }

private:
  void build() {
    std::error_code ec;
    const fs::path root = req_.build_root.empty() ? cache_dir() / "builds" : req_.build_root;
    build_dir_ =
        root / fmt::format("{}-{}-{}-{}", ctx_.src.name, ctx_.src.version, out_.target.triple, ::getpid());
    fs::remove_all(build_dir_, ec);
    fs::create_directories(build_dir_, ec);
    if (ec) {
      fail(ExitCode::io, "cannot create build directory {}: {}", build_dir_.string(), ec.message());
    }
    fs::path crate_dir;
    try {
      crate_dir = unpack_crate(ctx_.crate_file, build_dir_ / "src", req_.limits);
    } catch (const Error &e) {
      out_.failure = simple_failure("download", e.what());
      return;
    }
    for (const auto &r : normalise_crate(crate_dir)) {
      log_ << "forge: removed the crate's " << r << "\n";
    }
    CrateManifest manifest;
    try {
      manifest = read_manifest(crate_dir);
    } catch (const Error &e) {
      out_.failure = simple_failure("internal", e.what());
      return;
    }
    if (manifest.name != ctx_.src.name || manifest.version != ctx_.src.version) {
      out_.failure =
          simple_failure("internal", fmt::format("Cargo.toml says {} {}, expected {} {}", manifest.name,
                                                 manifest.version, ctx_.src.name, ctx_.src.version));
      return;
    }
    license_text_ = collect_license_text(crate_dir, manifest);
    license_ = manifest.license;
    if (!license_ && ctx_.src.queued) {
      license_ = ctx_.src.queued->license;
    }

    std::vector<FeatureSet> sets;
    if (req_.features != FeatureMode::default_) {
      sets.push_back(FeatureSet::all);
    }
    if (req_.features != FeatureMode::all) {
      sets.push_back(FeatureSet::default_);
    }
    bool locked = manifest.has_lock;
    // Two phases, as rustwide does: the host resolves and downloads the dependencies (network, no build
    // script runs), then the build runs offline (in the sandbox). cross keeps its own single phase.
    two_phase_ = ctx_.builder != "cross";
    if (two_phase_) {
      if (!fetch(crate_dir, locked)) {
        return;
      }
      locked = true; // the build uses exactly the Cargo.lock the fetch left: --locked --offline (= --frozen)
    }
    if (!resolve_dependencies(crate_dir, sets, locked)) {
      return;
    }
    const bool locked_when_resolved = locked;
    prepare_layout(crate_dir);
    std::optional<BuildInvocation> ok_inv;
    for (size_t i = 0; i < sets.size(); ++i) {
      ok_set_ = sets[i];
      auto inv = attempt(crate_dir, sets[i], locked);
      if (!out_.failure) {
        ok_inv = std::move(inv);
        break;
      }
      if (out_.failure->reason == "dependency-resolution" && locked && lock_problem(last_log_)) {
        log_ << "forge: the shipped Cargo.lock is the problem: retrying without --locked\n";
        locked = false;
        out_.failure.reset();
        inv = attempt(crate_dir, sets[i], locked);
        if (!out_.failure) {
          ok_inv = std::move(inv);
          break;
        }
      }
      if (out_.failure->spurious || out_.failure->reason == "builder-missing" || interrupt_requested()) {
        return;
      }
      if (i + 1 < sets.size()) {
        log_ << "forge: --all-features failed (" << out_.failure->reason
             << "); retrying with default features\n";
        out_.failure.reset();
      }
    }
    if (out_.failure || !ok_inv) {
      return;
    }
    if (locked != locked_when_resolved) {
      // The build resolved its dependencies anew: what cargo tree listed may not be what was linked.
      graphs_.clear();
      graph_error_ = "the build re-resolved its dependencies without the shipped Cargo.lock";
    }
    collect(ok_inv->collect_dir, manifest);
    if (!out_.failure && req_.supply.verify_reproducible) {
      verify_rebuild(ok_inv->collect_dir, *ok_set_, locked);
    }
  }

  // The sandbox's view of build_dir_ (bwrap only).
  void prepare_layout(const fs::path &crate_dir) {
    if (!ctx_.sandbox.bwrap) {
      return;
    }
    std::vector<std::string> notes;
    std::vector<std::string> programs{req_.settings.cargo_program};
    if (ctx_.builder == "zigbuild") {
      programs.insert(programs.end(), {"cargo-zigbuild", "zig"});
    }
    for (const auto &[triple, linker] : req_.settings.linkers) {
      programs.push_back(linker);
    }
    layout_ = prepare_sandbox(req_.sandbox, ctx_.probe, build_dir_, crate_dir, host_cargo_home(),
                              host_rustup_home(), programs, notes);
    for (const auto &n : notes) {
      log_ << "forge: sandbox: " << n << "\n";
    }
  }

  // The graph of the attempt that linked the executables, or nullptr (graph_error_ says why).
  const DepGraph *linked_graph() {
    if (!ok_set_) {
      return nullptr;
    }
    const auto it = graphs_.find(*ok_set_);
    if (it == graphs_.end() || !it->second.graph) {
      if (it != graphs_.end() && graph_error_.empty()) {
        graph_error_ = it->second.error;
      }
      return nullptr;
    }
    return &*it->second.graph;
  }

  // Host side, in the unpacked crate before any of its code ran (as the fetch): what each feature set links,
  // by cargo's own resolution, and the toolchain's `rustc -vV`. A failure here is a value (no dependency
  // data); only an interrupt stops the job.
  bool resolve_dependencies(const fs::path &crate_dir, const std::vector<FeatureSet> &sets, bool locked) {
    const SupplyChainSettings &sc = req_.supply;
    if (!sc.auditable && !sc.sbom && !sc.provenance) {
      return true;
    }
    pristine_lock_ = fs::is_regular_file(crate_dir / "Cargo.lock") ? read_file(crate_dir / "Cargo.lock") : "";
    BuilderSettings settings = req_.settings;
    settings.offline = settings.offline || two_phase_;
    const BuildInvocation base =
        make_invocation(settings, out_.target, FeatureSet::default_, locked, build_dir_ / "target", "");
    const std::string root_source = crate_source_id(req_.index_url, req_.index_url == kDefaultIndexUrl);
    std::vector<std::vector<std::string>> commands;
    for (const FeatureSet set : sets) {
      commands.push_back(dep_tree_argv(settings, out_.target, set, locked));
    }
    if (sc.provenance) {
      commands.push_back(rustc_version_argv(req_.settings));
    }
    for (size_t i = 0; i < commands.size(); ++i) {
      ProcessSpec spec;
      spec.argv = commands[i];
      spec.env = make_environment(base.env, true);
      // rustc's proxy reads rust-toolchain files from its directory: never the crate's.
      spec.cwd = i < sets.size() ? crate_dir : build_dir_;
      spec.timeout = std::min<std::chrono::milliseconds>(req_.timeout, std::chrono::minutes(10));
      spec.grace = req_.grace;
      spec.log_path = build_dir_ / fmt::format("supply-{}.log", i);
      spec.stdout_path = build_dir_ / fmt::format("supply-{}.out", i);
      spec.log_cap_bytes = req_.log_cap_bytes;
      log_ << fmt::format("forge: {}\n", fmt::join(spec.argv, " "));
      const ProcessResult r = run_process(spec);
      append_file(log_, spec.log_path);
      if (r.interrupted) {
        out_.failure = simple_failure("internal", "interrupted");
        return false;
      }
      const std::string failed = !r.started ? r.spawn_error
                                 : !r.ok()
                                     ? fmt::format("{} failed (exit status {})", spec.argv[0], r.exit_code)
                                     : std::string();
      if (i < sets.size()) {
        DepGraphResult g = failed.empty() ? read_dep_graph(spec.stdout_path, crate_dir / "Cargo.lock",
                                                           root_source, ctx_.src.checksum)
                                          : DepGraphResult{std::nullopt, failed};
        log_ << (g.graph ? fmt::format("forge: {} features link {} crates\n", feature_set_name(sets[i]),
                                       g.graph->packages.size())
                         : fmt::format("forge: no dependency list for {} features: {}\n",
                                       feature_set_name(sets[i]), g.error));
        graphs_[sets[i]] = std::move(g);
      } else if (failed.empty()) {
        rustc_version_ = read_file(spec.stdout_path);
      } else {
        log_ << "forge: provenance without rustc -vV: " << failed << "\n";
      }
    }
    return true;
  }

  // --verify-reproducible: the successful attempt once more, in another directory and later, from a fresh
  // copy of the crate and the Cargo.lock of the first build; the executables are compared byte for byte.
  void verify_rebuild(const fs::path &first_dir, FeatureSet set, bool locked) {
    const fs::path first_build = build_dir_;
    const SandboxLayout first_layout = layout_;
    const std::vector<std::string> first_argv = argv_;
    build_dir_ = fs::path(first_build.string() + "-rebuild");
    std::error_code ec;
    fs::remove_all(build_dir_, ec);
    fs::create_directories(build_dir_, ec);
    log_ << "forge: verify-reproducible: building again in " << build_dir_.string() << "\n";
    std::vector<fs::path> first;
    std::vector<fs::path> second;
    std::string failed;
    try {
      const fs::path crate_dir = unpack_crate(ctx_.crate_file, build_dir_ / "src", req_.limits);
      normalise_crate(crate_dir);
      if (!pristine_lock_.empty()) {
        write_file_atomic(crate_dir / "Cargo.lock", pristine_lock_);
      }
      prepare_layout(crate_dir);
      const BuildInvocation inv = attempt(crate_dir, set, locked);
      if (out_.failure) {
        failed = out_.failure->reason + ": " + out_.failure->details;
      }
      for (const auto &e : out_.executables) {
        first.push_back(first_dir / e.name);
        const fs::path p = inv.collect_dir / e.name;
        if (failed.empty() && fs::is_regular_file(fs::symlink_status(p, ec))) {
          if (e.auditable) {
            embed_dep_list(p, *linked_graph());
          }
          second.push_back(p);
        }
      }
    } catch (const Error &e) {
      failed = e.what();
    }
    out_.failure.reset();
    RebuildComparison c;
    if (!failed.empty()) {
      c.details = "the second build failed: " + failed;
    } else {
      c = compare_rebuild(first, second);
    }
    out_.reproducible = c.reproducible;
    out_.reproducible_details = c.details;
    if (c.reproducible) {
      log_ << fmt::format("forge: reproducible: the second build's {} executable(s) are identical\n",
                          first.size());
    } else {
      log_ << "forge: not reproducible: " << c.details << "\n";
      spdlog::warn("{} {} [{}]: not reproducible: {}", ctx_.src.name, ctx_.src.version, out_.target.triple,
                   c.details);
      if (failed.empty()) {
        run_diffoscope(first, second);
      }
    }
    if (!req_.keep_build_dir) {
      fs::remove_all(build_dir_, ec);
    }
    build_dir_ = first_build;
    layout_ = first_layout;
    argv_ = first_argv;
  }

  // diffoscope (Debian's) shows every difference in depth; forge's own comparison already named the first.
  void run_diffoscope(const std::vector<fs::path> &first, const std::vector<fs::path> &second) {
    const std::string program = find_program("diffoscope");
    if (program.empty()) {
      log_ << "forge: diffoscope is not installed: only forge's own section comparison above\n";
      return;
    }
    for (size_t i = 0; i < first.size() && i < second.size(); ++i) {
      if (blake3_file_hex(first[i]) == blake3_file_hex(second[i])) {
        continue;
      }
      ProcessSpec spec;
      spec.argv = {program,           "--text",          "-", "--max-text-report-size", "262144",
                   first[i].string(), second[i].string()};
      spec.env = make_environment({});
      spec.timeout = std::chrono::minutes(10);
      spec.grace = req_.grace;
      spec.log_path = build_dir_ / "diffoscope.log";
      spec.log_cap_bytes = 1 << 20;
      log_ << "forge: " << fmt::format("{}", fmt::join(spec.argv, " ")) << "\n";
      run_process(spec);
      append_file(log_, spec.log_path);
      return; // the first differing executable says enough
    }
  }

  // A failed attempt can still have finished some binaries (with --all-features, one bin builds while
  // another fails); the next attempt must not leave them to be collected as its own. Only the top level
  // goes: cargo links the outputs there again from deps/ even for units it does not rebuild.
  static void remove_uplifted_files(const fs::path &dir) {
    std::error_code ec;
    std::vector<fs::path> stale;
    for (const auto &entry : fs::directory_iterator(dir, ec)) {
      if (!fs::is_directory(entry.symlink_status(ec))) {
        stale.push_back(entry.path());
      }
    }
    for (const auto &p : stale) {
      fs::remove(p, ec);
    }
  }

  // Runs one cargo process (fetch or build) with its output appended to the build log. A program that
  // cannot start, or an interrupt, is the job's failure: false.
  bool run_logged(const ProcessSpec &spec, ProcessResult &r) {
    r = run_process(spec);
    append_file(log_, spec.log_path);
    if (!r.started) {
      out_.failure = simple_failure("builder-missing", r.spawn_error);
      return false;
    }
    if (r.interrupted) {
      out_.failure = simple_failure("internal", "interrupted");
      return false;
    }
    return true;
  }

  BuildInvocation attempt(const fs::path &crate_dir, FeatureSet features, bool locked) {
    ++attempts_;
    const fs::path target_dir = build_dir_ / "target";
    const fs::path artifact_dir = build_dir_ / "artifacts";
    std::error_code ec;
    fs::remove_all(artifact_dir, ec);
    BuilderSettings settings = req_.settings;
    settings.offline = settings.offline || two_phase_;
    if (req_.supply.reproducible) {
      settings.remap_path_prefixes = reproducible_remaps(build_dir_, host_cargo_home());
      settings.source_date_epoch = ctx_.source_date_epoch;
    }
    BuildInvocation inv = make_invocation(settings, out_.target, features, locked, target_dir, artifact_dir);
    for (const auto &[key, value] : inv.env) {
      if (key == "RUSTFLAGS") {
        rustflags_ = value;
      }
    }
    remove_uplifted_files(inv.collect_dir);
    argv_ = inv.argv;
    feature_mode_ = feature_set_name(features);
    ProcessSpec spec;
    spec.argv = inv.argv;
    spec.env = make_environment(inv.env, true);
    spec.cwd = crate_dir;
    if (ctx_.sandbox.bwrap) {
      wrap_in_sandbox(spec);
    }
    spec.timeout = req_.timeout;
    spec.grace = req_.grace;
    spec.log_path = build_dir_ / fmt::format("attempt-{}.log", attempts_);
    spec.log_cap_bytes = req_.log_cap_bytes;
    std::string shown;
    for (const auto &a : inv.argv) {
      shown += (shown.empty() ? "" : " ") + a;
    }
    log_ << fmt::format("forge: attempt {}: {}\n", attempts_, shown);
    // What forge adds to the inherited environment, so the attempt can be rerun by hand (no secrets here).
    for (const auto &[key, value] : inv.env) {
      log_ << (value.empty() ? fmt::format("forge: env: unset {}\n", key)
                             : fmt::format("forge: env: {}={}\n", key, value));
    }
    log_.flush();
    spdlog::info("{} {} [{}]: {}", ctx_.src.name, ctx_.src.version, out_.target.triple, shown);
    ProcessResult r;
    const bool ran = run_logged(spec, r);
    last_log_ = read_file(spec.log_path);
    if (!ran) {
      return inv;
    }
    log_ << fmt::format("forge: attempt {} finished in {:.2f} s: {}\n", attempts_, r.seconds,
                        r.timed_out          ? "timed out"
                        : r.term_signal != 0 ? fmt::format("killed by signal {}", r.term_signal)
                                             : fmt::format("exit status {}", r.exit_code));
    if (!r.ok()) {
      out_.failure = classify_build_failure(ExitInfo{r.exit_code, r.term_signal, r.timed_out}, last_log_);
      if (r.timed_out) {
        out_.failure->details = fmt::format("no result after {} s", req_.timeout.count() / 1000);
      } else if (ctx_.sandbox.bwrap && out_.failure->reason == "network") {
        // Every dependency is on disk by now: only a build script reaching out can fail so, and the
        // sandbox will refuse it every time.
        out_.failure->spurious = false;
        out_.failure->details = "no network in the sandbox: " + out_.failure->details;
      }
    }
    return inv;
  }

  // Phase one: `cargo fetch` on the host, --locked while the shipped Cargo.lock is usable. Leaves a
  // complete Cargo.lock and every dependency in the cargo home; false with out_.failure set otherwise.
  bool fetch(const fs::path &crate_dir, bool &locked) {
    const BuildInvocation build =
        make_invocation(req_.settings, out_.target, FeatureSet::default_, locked, build_dir_ / "target", "");
    for (int n = 1;; ++n) {
      std::vector<std::string> argv{req_.settings.cargo_program};
      if (!req_.settings.toolchain.empty()) {
        argv.push_back("+" + req_.settings.toolchain);
      }
      argv.insert(argv.end(), {"fetch", "--target", out_.target.triple});
      if (locked) {
        argv.emplace_back("--locked");
      }
      if (req_.settings.offline) {
        argv.emplace_back("--offline");
      }
      fetch_argv_ = argv;
      ProcessSpec spec;
      spec.argv = argv;
      spec.env = make_environment(build.env, true);
      spec.cwd = crate_dir;
      spec.timeout = req_.timeout;
      spec.grace = req_.grace;
      spec.log_path = build_dir_ / fmt::format("fetch-{}.log", n);
      spec.log_cap_bytes = req_.log_cap_bytes;
      log_ << fmt::format("forge: fetch {}: {}\n", n, fmt::join(argv, " "));
      log_.flush();
      spdlog::info("{} {} [{}]: {}", ctx_.src.name, ctx_.src.version, out_.target.triple,
                   fmt::join(argv, " "));
      ProcessResult r;
      if (!run_logged(spec, r)) {
        return false;
      }
      const std::string text = read_file(spec.log_path);
      log_ << fmt::format("forge: fetch {} finished in {:.2f} s: {}\n", n, r.seconds,
                          r.timed_out ? "timed out" : fmt::format("exit status {}", r.exit_code));
      if (r.ok()) {
        return true;
      }
      Failure f = classify_build_failure(ExitInfo{r.exit_code, r.term_signal, r.timed_out}, text);
      if (f.reason == "dependency-resolution" && locked && lock_problem(text)) {
        log_ << "forge: the shipped Cargo.lock is the problem: retrying without --locked\n";
        locked = false;
        continue;
      }
      if (r.timed_out) {
        f.details = fmt::format("fetching the dependencies took more than {} s", req_.timeout.count() / 1000);
      }
      out_.failure = std::move(f);
      return false;
    }
  }

  // forge run's jobserver (a fifo named in CARGO_MAKEFLAGS) is bound into the sandbox and the variable let
  // in, so that sandboxed cargos share the cores with the run's other jobs instead of each taking them all.
  void share_jobserver(const std::vector<std::string> &host_env,
                       std::vector<std::pair<std::string, std::string>> &set) {
    constexpr std::string_view key = "CARGO_MAKEFLAGS=";
    for (const auto &e : host_env) {
      if (!e.starts_with(key)) {
        continue;
      }
      const std::string value = e.substr(key.size());
      const auto fifo = jobserver_fifo(value);
      std::error_code ec;
      if (!fifo || !fs::is_fifo(*fifo, ec)) {
        log_ << "forge: sandbox: CARGO_MAKEFLAGS names no jobserver fifo; cargo uses its --jobs\n";
        return;
      }
      if (std::find(layout_.rw_binds.begin(), layout_.rw_binds.end(), *fifo) == layout_.rw_binds.end()) {
        layout_.rw_binds.push_back(*fifo);
        log_ << fmt::format("forge: sandbox: sharing forge run's jobserver {}\n", fifo->string());
      }
      set.emplace_back("CARGO_MAKEFLAGS", value);
    }
  }

  // Runs `spec` (the builder's argv and environment) inside bwrap: the allow-listed environment with
  // HOME, TMPDIR and the cargo/rustup homes set, and the host's secrets still redacted from the log.
  void wrap_in_sandbox(ProcessSpec &spec) {
    const std::vector<std::string> host_env = spec.env;
    std::vector<std::pair<std::string, std::string>> set{{"HOME", (build_dir_ / "home").string()},
                                                         {"TMPDIR", "/tmp"},
                                                         {"CARGO_HOME", host_cargo_home().string()},
                                                         {"RUSTUP_HOME", host_rustup_home().string()}};
    share_jobserver(host_env, set);
    spec.env = sandbox_environment(host_env, req_.sandbox.pass_env, set);
    spec.redact = secret_values(make_environment({}));
    spec.argv = bwrap_command(ctx_.probe.program, layout_, spec.argv);
    std::vector<std::string> names;
    for (const auto &e : spec.env) {
      names.push_back(e.substr(0, e.find('=')));
    }
    log_ << fmt::format("forge: sandbox: variables passed in: {}\n", fmt::join(names, " "));
    for (const auto &e : host_env) {
      if (e.starts_with("RUSTC_WRAPPER=")) {
        log_ << "forge: sandbox: RUSTC_WRAPPER (e.g. sccache) is not used inside the sandbox\n";
      }
    }
    log_ << fmt::format("forge: sandbox: {}\n", fmt::join(spec.argv, " "));
  }

  void collect(const fs::path &dir, const CrateManifest &manifest) {
    std::error_code ec;
    const uint16_t machine = elf_machine_for_triple(out_.target.triple);
    std::vector<fs::path> exes;
    for (const auto &entry : fs::directory_iterator(dir, ec)) {
      // Not entry.is_regular_file(): a sandboxed build could leave a symlink to a host file here.
      if (!fs::is_regular_file(entry.symlink_status(ec))) {
        continue;
      }
      const auto elf = read_elf(entry.path());
      if (elf && elf->is_executable) {
        exes.push_back(entry.path());
      }
    }
    std::sort(exes.begin(), exes.end());
    if (exes.empty()) {
      out_.failure = simple_failure("no-executables", "the build produced no executable in " + dir.string());
      return;
    }
    std::vector<std::string> dynamic;
    for (const auto &p : exes) {
      const auto elf = read_elf(p);
      ExecutableInfo info;
      info.name = p.filename().string();
      if (elf->is_static() && req_.supply.auditable) {
        if (const DepGraph *graph = linked_graph()) {
          const EmbedResult er = embed_dep_list(p, *graph);
          info.auditable = er.embedded;
          if (!er.embedded) {
            graph_error_ = er.error;
          }
        }
      }
      info.size = fs::file_size(p, ec);
      info.bsum = blake3_file_hex(p);
      info.shasum = sha256_file_hex(p);
      info.is_static = elf->is_static();
      if (machine != 0 && elf->machine != machine) {
        out_.failure =
            simple_failure("internal", fmt::format("{} is built for {}, not {}", info.name,
                                                   elf_machine_name(elf->machine), out_.target.triple));
        return;
      }
      if (!info.is_static) {
        dynamic.push_back(
            info.name + (elf->has_interp ? " (interpreter " + elf->interp + ")" : "") +
            (elf->needed.empty() ? "" : " needs " + fmt::format("{}", fmt::join(elf->needed, ", "))));
      }
      out_.executables.push_back(info);
    }
    if (!dynamic.empty()) {
      // Kept for inspection under not-static/, never described as a package.
      fs::create_directories(staging_ / "not-static", ec);
      for (const auto &p : exes) {
        fs::copy_file(p, staging_ / "not-static" / p.filename(), fs::copy_options::overwrite_existing, ec);
      }
      out_.failure =
          simple_failure("not-static", "dynamically linked: " + fmt::format("{}", fmt::join(dynamic, "; ")));
      return;
    }
    // Typically a feature-gated tool lost when --all-features failed and default features built: the
    // package is still published, but the maintainer should know what it lacks.
    std::vector<std::string> names;
    for (const auto &e : out_.executables) {
      names.push_back(e.name);
    }
    out_.auditable = std::all_of(out_.executables.begin(), out_.executables.end(),
                                 [](const ExecutableInfo &e) { return e.auditable; });
    if (!out_.auditable) {
      out_.auditable_details = !req_.supply.auditable ? "turned off (--no-auditable)"
                               : graph_error_.empty() ? "no dependency list"
                                                      : graph_error_;
      log_ << "forge: the executables carry no dependency list: " << out_.auditable_details << "\n";
    }
    out_.missing_bins = missing_declared_bins(manifest, names);
    for (const auto &m : out_.missing_bins) {
      log_ << "forge: declared [[bin]] " << m << " was not built\n";
    }
    write_package(exes, names);
  }

  // `names`: the executables' names, in the order of out_.executables.
  void write_package(const std::vector<fs::path> &exes, const std::vector<std::string> &names) {
    std::error_code ec;
    std::string checksum_file;
    for (size_t i = 0; i < exes.size(); ++i) {
      const auto &e = out_.executables[i];
      fs::copy_file(exes[i], staging_ / e.name, fs::copy_options::overwrite_existing, ec);
      if (ec) {
        fail(ExitCode::io, "cannot copy {}: {}", exes[i].string(), ec.message());
      }
      fs::permissions(staging_ / e.name, fs::perms(0755), ec);
      checksum_file += e.name + ":" + e.bsum + "\n";
    }
    write_file_atomic(staging_ / "CHECKSUM", checksum_file);
    std::string license_text = license_text_;
    if (license_text.empty() && license_) {
      license_text = "SPDX-License-Identifier: " + *license_ + "\n";
    }
    write_file_atomic(staging_ / "LICENSE", license_text);
    const std::string build_date = pg::format_rfc3339(now_micros());
    for (auto &e : out_.executables) {
      write_attestations(e, build_date);
      SoarInputs in;
      in.crate = ctx_.src.name;
      in.version = ctx_.src.version;
      in.exe = e.name;
      in.host = out_.target.host;
      in.provides = names;
      in.bsum = e.bsum;
      in.shasum = e.shasum;
      in.size = e.size;
      in.license = license_;
      if (ctx_.src.queued) {
        const auto &q = *ctx_.src.queued;
        in.description = q.description;
        in.homepage = q.homepage;
        in.repository = q.repository;
        in.keywords = q.keywords;
        in.categories = q.categories;
        in.rank = q.rank;
        in.downloads = q.downloads;
      }
      in.build_date = build_date;
      in.has_sbom = !e.sbom.empty();
      in.has_provenance = !e.provenance.empty();
      fill_github_build_info(in);
      write_file_atomic(staging_ / (e.name + ".json"), soar_record(in, req_.naming).dump(2) + "\n");
      write_file_atomic(staging_ / (e.name + ".version"), ctx_.src.version + "\n");
    }
  }

  // <exe>.cdx.json and <exe>.intoto.json for one packaged executable.
  void write_attestations(ExecutableInfo &e, const std::string &finished_at) {
    const DepGraph *graph = linked_graph();
    const std::optional<QueuedCrate> &q = ctx_.src.queued;
    if (req_.supply.sbom) {
      SbomInputs in;
      in.exe = e.name;
      in.crate = ctx_.src.name;
      in.version = ctx_.src.version;
      in.sha256 = e.shasum;
      in.blake3 = e.bsum;
      in.target = out_.target.triple;
      in.crate_url = ctx_.src.url;
      in.crate_sha256 = ctx_.src.checksum;
      if (q) {
        in.description = q->description;
        in.homepage = q->homepage;
        in.repository = q->repository;
      }
      in.license = license_;
      in.timestamp = finished_at;
      in.forge_version = kVersion;
      in.graph = graph;
      e.sbom = e.name + kSbomSuffix;
      write_file_atomic(staging_ / e.sbom, cyclonedx_sbom(in).dump(2) + "\n");
    }
    if (req_.supply.provenance) {
      ProvenanceInputs in;
      in.exe = e.name;
      in.sha256 = e.shasum;
      in.crate = ctx_.src.name;
      in.version = ctx_.src.version;
      in.target = out_.target.triple;
      in.features = feature_mode_;
      in.crate_url = ctx_.src.url;
      in.crate_sha256 = ctx_.src.checksum;
      in.forge_version = kVersion;
      in.builder = ctx_.builder;
      in.toolchain = req_.settings.toolchain;
      in.rustc_version = rustc_version_;
      in.rustflags = rustflags_;
      in.argv = argv_;
      in.source_date_epoch = out_.source_date_epoch;
      in.sandbox = ctx_.sandbox.name();
      in.started_at = started_at_;
      in.finished_at = finished_at;
      in.graph = graph;
      fill_github_context(in);
      e.provenance = e.name + kProvenanceSuffix;
      write_file_atomic(staging_ / e.provenance, provenance_statement(in).dump(2) + "\n");
    }
  }

  const JobContext &ctx_;
  const BuildRequest &req_;
  TargetOutcome out_;
  std::map<FeatureSet, DepGraphResult> graphs_; // per feature set, from resolve_dependencies
  std::optional<FeatureSet> ok_set_;            // the attempt that linked the executables
  std::string graph_error_;                     // why the executables carry no dependency list
  std::string pristine_lock_;                   // Cargo.lock after the fetch, before any crate code ran
  std::string rustc_version_, rustflags_;
  fs::path staging_, build_dir_;
  std::ofstream log_;
  std::vector<std::string> argv_, fetch_argv_;
  bool two_phase_ = false;
  SandboxLayout layout_;
  std::string feature_mode_;
  std::string started_at_;
  std::string last_log_;
  std::string license_text_;
  std::optional<std::string> license_;
  int attempts_ = 0;
};

} // namespace

BuildOutcome run_build(const BuildRequest &req) {
  BuildOutcome outcome;
  DownloadOptions dl;
  dl.max_attempts = req.download_attempts;
  dl.initial_backoff_s = req.download_backoff_s;
  dl.progress = false;
  const CrateSource src = resolve_source(req, dl);
  outcome.crate = src.name;
  outcome.version = src.version;

  if (req.auto_builder) {
    const BuilderChoice choice = detect_builder(req.settings);
    outcome.builder = builder_name(choice.kind);
    outcome.builder_reason = choice.reason;
    spdlog::info("builder: {} ({})", outcome.builder, choice.reason);
  } else {
    outcome.builder = builder_name(req.settings.kind);
    outcome.builder_reason = "chosen with --builder";
  }
  BuildRequest effective = req;
  effective.settings.kind = parse_builder(outcome.builder);
  SandboxProbe probe;
  if (req.sandbox.mode != SandboxMode::none && effective.settings.kind != BuilderKind::cross) {
    probe = probe_bwrap(req.sandbox);
  }
  outcome.sandbox = choose_sandbox(req.sandbox, effective.settings.kind, probe);
  spdlog::info("sandbox: {} ({})", outcome.sandbox.name(), outcome.sandbox.reason);

  // Fetch and verify once for every target; a failure here is every target's result.
  std::optional<Failure> early;
  const fs::path crate_file = cache_dir() / "crates" / (src.name + "-" + src.version + ".crate");
  try {
    DownloadOptions crate_dl = dl;
    crate_dl.label = crate_file.filename().string();
    crate_dl.progress = !ui().quiet();
    download_file(src.url, crate_file, crate_dl);
    verify_crate_checksum(crate_file, src.checksum);
  } catch (const Error &e) {
    if (e.code() == ExitCode::checksum) {
      early = simple_failure("checksum-mismatch", e.what());
      outcome.code = ExitCode::checksum;
    } else if (e.code() == ExitCode::network) {
      early = simple_failure("download", e.what());
      outcome.code = ExitCode::network;
    } else {
      throw;
    }
    spdlog::error("{}", e.what());
  }

  JobContext ctx{effective, src, outcome.builder, crate_file, outcome.sandbox, probe, std::nullopt};
  if (!early && req.supply.reproducible) {
    ctx.source_date_epoch = crate_source_date_epoch(src.published_at, crate_file);
  }
  for (const Target &t : req.targets) {
    TargetJob job(ctx, t);
    TargetOutcome result = job.run(early);
    if (result.built) {
      spdlog::info("{} {} [{}]: built {} executable(s) in {}", src.name, src.version, t.triple,
                   result.executables.size(), result.dir.string());
    } else {
      spdlog::warn("{} {} [{}]: failed: {} ({})", src.name, src.version, t.triple, result.failure->reason,
                   result.failure->details);
      if (outcome.code == ExitCode::ok) {
        outcome.code = ExitCode::build_failed;
      }
    }
    outcome.targets.push_back(std::move(result));
    if (interrupt_requested()) {
      outcome.code = ExitCode::interrupted;
      break;
    }
  }
  return outcome;
}

} // namespace forge
