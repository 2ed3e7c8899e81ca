#include "forge/queue/queue.hpp"

#include "forge/util/error.hpp"
#include "forge/util/fs.hpp"
#include "forge/util/utf8.hpp"

#include <fmt/format.h>

namespace forge {
namespace {

using json = nlohmann::ordered_json; // keys in the documented order, for people reading the files

json opt(const std::optional<std::string> &v) {
  return v ? json(*v) : json(nullptr);
}

std::optional<std::string> opt_string(const json &j, const char *key) {
  const auto it = j.find(key);
  if (it == j.end() || it->is_null()) {
    return std::nullopt;
  }
  return it->get<std::string>();
}

json crate_to_json(const QueuedCrate &c) {
  return json{{"rank", c.rank},
              {"name", c.name},
              {"version", c.version},
              {"checksum", c.checksum},
              {"bin_names", c.bin_names},
              {"description", opt(c.description)},
              {"license", opt(c.license)},
              {"repository", opt(c.repository)},
              {"homepage", opt(c.homepage)},
              {"downloads", c.downloads},
              {"categories", c.categories},
              {"keywords", c.keywords},
              {"published_at", c.published_at},
              {"edition", opt(c.edition)},
              {"rust_version", opt(c.rust_version)},
              {"has_lib", c.has_lib ? json(*c.has_lib) : json(nullptr)}};
}

QueuedCrate crate_from_json(const json &j) {
  QueuedCrate c;
  c.rank = j.at("rank").get<int64_t>();
  c.name = j.at("name").get<std::string>();
  c.version = j.at("version").get<std::string>();
  c.checksum = j.at("checksum").get<std::string>();
  c.bin_names = j.value("bin_names", std::vector<std::string>{});
  c.description = opt_string(j, "description");
  c.license = opt_string(j, "license");
  c.repository = opt_string(j, "repository");
  c.homepage = opt_string(j, "homepage");
  c.downloads = j.value("downloads", int64_t{0});
  c.categories = j.value("categories", std::vector<std::string>{});
  c.keywords = j.value("keywords", std::vector<std::string>{});
  c.published_at = j.value("published_at", "");
  c.edition = opt_string(j, "edition");
  c.rust_version = opt_string(j, "rust_version");
  if (auto it = j.find("has_lib"); it != j.end() && it->is_boolean()) {
    c.has_lib = it->get<bool>();
  }
  return c;
}

} // namespace

json funnel_to_json(const Funnel &f) {
  return json{{"total", f.total},           {"with_bins", f.with_bins}, {"cli_category", f.cli_category},
              {"candidates", f.candidates}, {"recent", f.recent},       {"yanked", f.yanked},
              {"lib_only", f.lib_only},     {"selected", f.selected}};
}

json queue_to_json(const QueueHeader &h, const Selection &s) {
  json crates = json::array();
  for (const auto &c : s.crates) {
    crates.push_back(crate_to_json(c));
  }
  return json{{"format", kQueueFormat},
              {"generated_at", h.generated_at},
              {"since", h.since},
              {"dump", {{"source", h.dump_source}, {"timestamp", h.dump_timestamp}}},
              {"crates", std::move(crates)}};
}

namespace {

// JSON text of a string exactly as nlohmann::json::dump writes it (quotes, backslashes and control characters
// escaped, \u00xx in lowercase hex, UTF-8 as it is); bytes that are not UTF-8 become U+FFFD, where
// nlohmann would throw.
void append_json_string(std::string &out, std::string_view s) {
  if (!is_valid_utf8(s)) {
    const std::string fixed = valid_utf8(s);
    append_json_string(out, fixed);
    return;
  }
  out.push_back('"');
  size_t plain = 0; // start of the bytes not yet copied
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') {
      continue;
    }
    out.append(s.substr(plain, i - plain));
    plain = i + 1;
    switch (c) {
    case '"':
      out += "\\\"";
      break;
    case '\\':
      out += "\\\\";
      break;
    case '\b':
      out += "\\b";
      break;
    case '\f':
      out += "\\f";
      break;
    case '\n':
      out += "\\n";
      break;
    case '\r':
      out += "\\r";
      break;
    case '\t':
      out += "\\t";
      break;
    default:
      out += fmt::format("\\u{:04x}", c);
    }
  }
  out.append(s.substr(plain));
  out.push_back('"');
}

void append_key(std::string &out, std::string_view key) {
  out += "      \"";
  out += key;
  out += "\": ";
}

void append_string_field(std::string &out, std::string_view key, const std::optional<std::string> &v) {
  append_key(out, key);
  if (v) {
    append_json_string(out, *v);
  } else {
    out += "null";
  }
  out += ",\n";
}

void append_array_field(std::string &out, std::string_view key, const std::vector<std::string> &v) {
  append_key(out, key);
  if (v.empty()) {
    out += "[],\n";
    return;
  }
  out += "[\n";
  for (size_t i = 0; i < v.size(); ++i) {
    out += "        ";
    append_json_string(out, v[i]);
    out += i + 1 < v.size() ? ",\n" : "\n";
  }
  out += "      ],\n";
}

// One element of "crates", indented as the third level of the document: the same text as
// crate_to_json(c).dump(2) shifted right by four spaces.
void append_crate(std::string &out, const QueuedCrate &c) {
  out += "    {\n";
  append_key(out, "rank");
  out += fmt::format("{},\n", c.rank);
  append_string_field(out, "name", c.name);
  append_string_field(out, "version", c.version);
  append_string_field(out, "checksum", c.checksum);
  append_array_field(out, "bin_names", c.bin_names);
  append_string_field(out, "description", c.description);
  append_string_field(out, "license", c.license);
  append_string_field(out, "repository", c.repository);
  append_string_field(out, "homepage", c.homepage);
  append_key(out, "downloads");
  out += fmt::format("{},\n", c.downloads);
  append_array_field(out, "categories", c.categories);
  append_array_field(out, "keywords", c.keywords);
  append_string_field(out, "published_at", c.published_at);
  append_string_field(out, "edition", c.edition);
  append_string_field(out, "rust_version", c.rust_version);
  append_key(out, "has_lib");
  out += c.has_lib ? (*c.has_lib ? "true" : "false") : "null";
  out += "\n    }";
}

// The same text as queue_to_json(...).dump(2), written straight into one string: no JSON tree of tens of
// thousands of crates, nor one per crate.
std::string render_queue(const QueueHeader &header, const Selection &selection) {
  Selection empty;
  std::string head = queue_to_json(header, empty).dump(2);
  const std::string tail = "[]\n}";
  std::string out = head.substr(0, head.size() - tail.size());
  if (selection.crates.empty()) {
    return out + tail + "\n";
  }
  out.reserve(out.size() + selection.crates.size() * 800);
  out += "[\n";
  for (size_t i = 0; i < selection.crates.size(); ++i) {
    append_crate(out, selection.crates[i]);
    out += i + 1 < selection.crates.size() ? ",\n" : "\n";
  }
  out += "  ]\n}\n";
  return out;
}

} // namespace

void write_queue_files(const std::filesystem::path &out_dir, const QueueHeader &header,
                       const Selection &selection) {
  // Both documents are rendered before either is written, so a failure leaves the old pair intact.
  const std::string queue = render_queue(header, selection);
  const std::string funnel = funnel_to_json(selection.funnel).dump(2) + "\n";
  write_file_atomic(out_dir / kQueueFile, queue);
  write_file_atomic(out_dir / kFunnelFile, funnel);
}

Queue parse_queue(std::string_view text, const std::string &source) {
  Queue q;
  try {
    const json j = json::parse(text);
    if (j.value("format", "") != kQueueFormat) {
      fail(ExitCode::data, "{}: not a forge queue (format is not {})", source, kQueueFormat);
    }
    q.header.generated_at = j.value("generated_at", "");
    q.header.since = j.value("since", "");
    if (auto d = j.find("dump"); d != j.end() && d->is_object()) {
      q.header.dump_source = d->value("source", "");
      q.header.dump_timestamp = d->value("timestamp", "");
    }
    size_t i = 0;
    for (const auto &c : j.at("crates")) {
      try {
        q.crates.push_back(crate_from_json(c));
      } catch (const json::exception &e) {
        fail(ExitCode::data, "{}: crates[{}]: {}", source, i, e.what());
      }
      ++i;
    }
  } catch (const json::exception &e) {
    fail(ExitCode::data, "{}: invalid queue JSON: {}", source, e.what());
  }
  return q;
}

Queue read_queue(const std::filesystem::path &path) {
  Queue q = parse_queue(read_file(path), path.string());
  const auto funnel_path = path.parent_path() / kFunnelFile;
  std::error_code ec;
  if (std::filesystem::exists(funnel_path, ec)) {
    try {
      const json f = json::parse(read_file(funnel_path));
      Funnel fn;
      fn.total = f.value("total", int64_t{0});
      fn.with_bins = f.value("with_bins", int64_t{0});
      fn.cli_category = f.value("cli_category", int64_t{0});
      fn.candidates = f.value("candidates", int64_t{0});
      fn.recent = f.value("recent", int64_t{0});
      fn.yanked = f.value("yanked", int64_t{0});
      fn.lib_only = f.value("lib_only", int64_t{0});
      fn.selected = f.value("selected", int64_t{0});
      q.funnel = fn;
    } catch (const json::exception &) {
      q.funnel.reset(); // the funnel is informational; a damaged one is simply not reported
    }
  }
  return q;
}

const QueuedCrate *find_crate(const Queue &queue, std::string_view name) {
  for (const auto &c : queue.crates) {
    if (c.name == name) {
      return &c;
    }
  }
  return nullptr;
}

} // namespace forge
