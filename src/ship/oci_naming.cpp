// Why: a name the registry would reject must fail before the first byte is uploaded, with the reason.
#include "forge/ship/oci_naming.hpp"

#include "forge/util/error.hpp"

#include <algorithm>
#include <cctype>

namespace forge {
namespace {

std::string lowercase(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool is_lower_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

// [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*
bool is_valid_component(std::string_view c) {
  if (c.empty() || !is_lower_alnum(c.front()) || !is_lower_alnum(c.back())) {
    return false;
  }
  for (size_t i = 0; i < c.size();) {
    if (is_lower_alnum(c[i])) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < c.size() && !is_lower_alnum(c[j])) {
      ++j;
    }
    const std::string_view sep = c.substr(i, j - i);
    const bool dashes = std::all_of(sep.begin(), sep.end(), [](char x) { return x == '-'; });
    if (!(sep == "." || sep == "_" || sep == "__" || dashes)) {
      return false;
    }
    i = j;
  }
  return true;
}

} // namespace

RegistryEndpoint parse_registry(std::string_view text) {
  RegistryEndpoint out;
  std::string rest(text);
  if (const auto sep = rest.find("://"); sep != std::string::npos) {
    out.scheme = lowercase(rest.substr(0, sep));
    rest = rest.substr(sep + 3);
    if (out.scheme != "http" && out.scheme != "https") {
      fail(ExitCode::usage, "registry '{}': the scheme must be http or https", text);
    }
  }
  while (!rest.empty() && rest.back() == '/') {
    rest.pop_back();
  }
  if (rest.empty() || rest.find_first_of("/?#@ ") != std::string::npos) {
    fail(ExitCode::usage, "registry '{}' must be HOST[:PORT], optionally with http:// or https://", text);
  }
  out.host = lowercase(rest);
  return out;
}

std::string oci_repository_path(std::string_view name_space, std::string_view crate, std::string_view exe) {
  return lowercase(std::string(name_space) + "/" + std::string(crate) + "/stable/" + std::string(exe));
}

std::string oci_tag(std::string_view version, std::string_view host) {
  return std::string(version) + "-" + std::string(host);
}

bool is_valid_repository_path(std::string_view path) {
  if (path.empty() || path.size() > 255) {
    return false;
  }
  size_t start = 0;
  while (true) {
    const size_t slash = path.find('/', start);
    if (!is_valid_component(
            path.substr(start, slash == std::string_view::npos ? path.npos : slash - start))) {
      return false;
    }
    if (slash == std::string_view::npos) {
      return true;
    }
    start = slash + 1;
  }
}

bool is_valid_tag(std::string_view tag) {
  if (tag.empty() || tag.size() > 128) {
    return false;
  }
  const auto word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_'; };
  if (!word(tag.front())) {
    return false;
  }
  return std::all_of(tag.begin(), tag.end(), [&](char c) { return word(c) || c == '.' || c == '-'; });
}

} // namespace forge
