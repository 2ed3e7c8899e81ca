#include "forge/compile/auditable.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <toml++/toml.h>
#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <tuple>

namespace forge {
namespace {

// One line of `cargo tree --prefix depth --format "{p}\t{l}\t"`.
struct TreeLine {
  int depth = 0;
  std::string name, version, where, license;
};

bool parse_tree_line(std::string_view line, TreeLine &out) {
  size_t i = 0;
  int depth = 0;
  while (i < line.size() && std::isdigit(static_cast<unsigned char>(line[i])) != 0) {
    depth = depth * 10 + (line[i] - '0');
    if (depth > 100000) {
      return false;
    }
    ++i;
  }
  if (i == 0) {
    return false;
  }
  const auto tab = line.find('\t', i);
  if (tab == std::string_view::npos) {
    return false;
  }
  const std::string_view package = line.substr(i, tab - i);
  const auto tab2 = line.find('\t', tab + 1);
  out.license =
      std::string(line.substr(tab + 1, tab2 == std::string_view::npos ? line.npos : tab2 - tab - 1));
  // "<name> v<version>" then optionally " (<path, git URL or registry>)".
  const auto space = package.find(' ');
  if (space == std::string_view::npos || space == 0 || package.substr(space + 1, 1) != "v") {
    return false;
  }
  out.depth = depth;
  out.name = std::string(package.substr(0, space));
  const std::string_view rest = package.substr(space + 2);
  const auto space2 = rest.find(' ');
  out.version = std::string(rest.substr(0, space2));
  out.where.clear();
  if (space2 != std::string_view::npos) {
    std::string_view where = rest.substr(space2 + 1);
    if (where.size() >= 2 && where.front() == '(' && where.back() == ')') {
      where = where.substr(1, where.size() - 2);
    }
    out.where = std::string(where);
  }
  return !out.version.empty();
}

// The lock entry a tree line names. Several entries share a name and version only when they come from
// different sources; the text cargo prints after the version tells them apart.
const LockPackage *match_lock(const std::vector<const LockPackage *> &candidates, const TreeLine &line) {
  if (candidates.empty()) {
    return nullptr;
  }
  if (candidates.size() == 1) {
    return candidates.front();
  }
  for (const LockPackage *c : candidates) {
    if (line.where.empty() && c->source == kCratesIoSource) {
      return c;
    }
    if (!line.where.empty() && line.where.front() == '/' && c->source.empty()) {
      return c;
    }
    if (!line.where.empty() && !c->source.empty()) {
      const std::string_view url = std::string_view(c->source).substr(c->source.find('+') + 1);
      const std::string_view where = line.where;
      if (url.substr(0, url.find('#')) == where.substr(0, where.find('#')) ||
          where.find(url) != std::string_view::npos) {
        return c;
      }
    }
  }
  return candidates.front();
}

} // namespace

std::vector<std::string> dep_tree_argv(const BuilderSettings &settings, const Target &target,
                                       FeatureSet features, bool locked) {
  std::vector<std::string> argv{settings.cargo_program};
  if (!settings.toolchain.empty()) {
    argv.push_back("+" + settings.toolchain);
  }
  argv.insert(argv.end(), {"tree", "--target", target.triple, "--edges", "normal,no-proc-macro", "--prefix",
                           "depth", "--format", "{p}\t{l}\t", "--color", "never"});
  if (features == FeatureSet::all) {
    argv.emplace_back("--all-features");
  }
  if (locked) {
    argv.emplace_back("--locked");
  }
  if (settings.offline) {
    argv.emplace_back("--offline");
  }
  return argv;
}

std::vector<LockPackage> parse_cargo_lock(std::string_view text, std::string &error) {
  std::vector<LockPackage> out;
  toml::table table;
  try {
    table = toml::parse(text);
  } catch (const toml::parse_error &e) {
    error = fmt::format("Cargo.lock line {}: {}", e.source().begin.line, e.description());
    return out;
  }
  const toml::array *packages = table["package"].as_array();
  if (packages == nullptr) {
    error = "Cargo.lock has no [[package]]";
    return out;
  }
  for (const auto &node : *packages) {
    const toml::table *p = node.as_table();
    if (p == nullptr) {
      continue;
    }
    LockPackage lp;
    lp.name = (*p)["name"].value_or(std::string());
    lp.version = (*p)["version"].value_or(std::string());
    lp.source = (*p)["source"].value_or(std::string());
    lp.checksum = (*p)["checksum"].value_or(std::string());
    if (lp.name.empty() || lp.version.empty()) {
      error = "Cargo.lock has a [[package]] without name or version";
      return {};
    }
    out.push_back(std::move(lp));
  }
  return out;
}

DepGraphResult dep_graph_from_tree(std::string_view tree_output, const std::vector<LockPackage> &lock,
                                   const std::string &root_source, const std::string &root_checksum) {
  DepGraphResult result;
  std::map<std::pair<std::string, std::string>, std::vector<const LockPackage *>> by_id;
  for (const auto &lp : lock) {
    by_id[{lp.name, lp.version}].push_back(&lp);
  }
  std::vector<DepPackage> nodes;
  std::map<std::tuple<std::string, std::string, std::string>, size_t> index; // (name, version, source)
  std::set<std::pair<size_t, size_t>> edges;
  std::vector<size_t> stack; // stack[d]: the node last seen at depth d
  size_t pos = 0;
  size_t roots = 0;
  while (pos < tree_output.size()) {
    auto end = tree_output.find('\n', pos);
    if (end == std::string_view::npos) {
      end = tree_output.size();
    }
    std::string_view line = tree_output.substr(pos, end - pos);
    pos = end + 1;
    if (!line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
    }
    if (line.empty()) {
      continue;
    }
    TreeLine t;
    if (!parse_tree_line(line, t)) {
      result.error = fmt::format("cargo tree printed a line forge cannot read: '{}'", line.substr(0, 200));
      return result;
    }
    if (t.depth == 0 && ++roots > 1) {
      result.error = "cargo tree lists more than one root package (a workspace): no single dependency tree";
      return result;
    }
    if (t.depth > static_cast<int>(stack.size()) || (t.depth == 0) != stack.empty()) {
      result.error = fmt::format("cargo tree output skips a level at '{}'", line.substr(0, 200));
      return result;
    }
    DepPackage p;
    p.name = t.name;
    p.version = t.version;
    p.license = t.license;
    if (t.depth == 0) {
      p.root = true;
      p.source = root_source;
      p.checksum = root_checksum;
    } else {
      const auto it = by_id.find({t.name, t.version});
      const LockPackage *lp = it == by_id.end() ? nullptr : match_lock(it->second, t);
      if (lp == nullptr) {
        result.error =
            fmt::format("{} {} is in cargo tree's output but not in Cargo.lock", t.name, t.version);
        return result;
      }
      p.source = lp->source;
      p.checksum = lp->checksum;
    }
    const auto key = std::make_tuple(p.name, p.version, p.source);
    auto found = index.find(key);
    if (found == index.end()) {
      found = index.emplace(key, nodes.size()).first;
      nodes.push_back(std::move(p));
    }
    stack.resize(static_cast<size_t>(t.depth));
    if (!stack.empty()) {
      if (stack.back() == found->second) {
        result.error = fmt::format("{} {} depends on itself in cargo tree's output", t.name, t.version);
        return result;
      }
      edges.insert({stack.back(), found->second});
    }
    stack.push_back(found->second);
  }
  if (nodes.empty()) {
    result.error = "cargo tree printed nothing";
    return result;
  }
  // Sorted as cargo-auditable sorts (by name, then what tells equal names apart), edges renumbered.
  std::vector<size_t> order(nodes.size());
  for (size_t i = 0; i < order.size(); ++i) {
    order[i] = i;
  }
  std::sort(order.begin(), order.end(), [&nodes](size_t a, size_t b) {
    return std::tie(nodes[a].name, nodes[a].version, nodes[a].source) <
           std::tie(nodes[b].name, nodes[b].version, nodes[b].source);
  });
  std::vector<size_t> new_index(nodes.size());
  for (size_t i = 0; i < order.size(); ++i) {
    new_index[order[i]] = i;
  }
  DepGraph graph;
  for (const size_t old : order) {
    graph.packages.push_back(nodes[old]);
  }
  for (const auto &[from, to] : edges) {
    graph.packages[new_index[from]].deps.push_back(new_index[to]);
  }
  for (auto &p : graph.packages) {
    std::sort(p.deps.begin(), p.deps.end());
  }
  result.graph = std::move(graph);
  return result;
}

std::string auditable_json(const DepGraph &graph) {
  nlohmann::ordered_json packages = nlohmann::ordered_json::array();
  for (const auto &p : graph.packages) {
    nlohmann::ordered_json j;
    j["name"] = p.name;
    j["version"] = p.version;
    j["source"] = auditable_source(p.source);
    if (!p.deps.empty()) {
      j["dependencies"] = p.deps;
    }
    if (p.root) {
      j["root"] = true;
    }
    packages.push_back(std::move(j));
  }
  nlohmann::ordered_json doc;
  doc["packages"] = std::move(packages);
  doc["format"] = 1;
  // Replacement instead of an exception: names and versions come from crates, which cargo checked.
  return doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string zlib_compress(std::string_view data) {
  uLongf size = compressBound(static_cast<uLong>(data.size()));
  std::string out(size, '\0');
  // Level 7, as cargo-auditable: a few milliseconds for the largest trees.
  const int rc = compress2(reinterpret_cast<Bytef *>(out.data()), &size,
                           reinterpret_cast<const Bytef *>(data.data()), static_cast<uLong>(data.size()), 7);
  if (rc != Z_OK) {
    return {};
  }
  out.resize(size);
  return out;
}

std::optional<std::string> zlib_decompress(std::string_view data, std::size_t max_bytes) {
  z_stream zs{};
  if (inflateInit(&zs) != Z_OK) {
    return std::nullopt;
  }
  std::string out;
  std::string buf(64 * 1024, '\0');
  zs.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  int rc = Z_OK;
  while (rc == Z_OK) {
    zs.next_out = reinterpret_cast<Bytef *>(buf.data());
    zs.avail_out = static_cast<uInt>(buf.size());
    rc = inflate(&zs, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      break;
    }
    out.append(buf.data(), buf.size() - zs.avail_out);
    if (out.size() > max_bytes) {
      rc = Z_MEM_ERROR;
      break;
    }
    if (rc == Z_OK && zs.avail_in == 0 && zs.avail_out != 0) {
      rc = Z_DATA_ERROR; // truncated stream
    }
  }
  inflateEnd(&zs);
  if (rc != Z_STREAM_END) {
    return std::nullopt;
  }
  return out;
}

} // namespace forge
