// Why: nlohmann's value(key, default) throws type_error when the field exists with another type, and that
// escapes as an internal error (exit 1) without naming the file. Files that travel between machines and
// documents from registries are read with these instead: a field of the wrong type reads as absent, and
// the caller's check ("not a forge-result/1 file", "bsum does not match") names what is wrong.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace forge {

template <class Json> std::string string_or(const Json &j, const char *key, std::string fallback = {}) {
  if (!j.is_object()) {
    return fallback;
  }
  const auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->template get<std::string>() : fallback;
}

template <class Json> bool bool_or(const Json &j, const char *key, bool fallback) {
  if (!j.is_object()) {
    return fallback;
  }
  const auto it = j.find(key);
  return it != j.end() && it->is_boolean() ? it->template get<bool>() : fallback;
}

// Integers only: a float where a count belongs reads as absent (a huge one does not fit int64_t).
template <class Json> int64_t int_or(const Json &j, const char *key, int64_t fallback) {
  if (!j.is_object()) {
    return fallback;
  }
  const auto it = j.find(key);
  return it != j.end() && it->is_number_integer() ? it->template get<int64_t>() : fallback;
}

template <class Json> double number_or(const Json &j, const char *key, double fallback) {
  if (!j.is_object()) {
    return fallback;
  }
  const auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->template get<double>() : fallback;
}

// The string elements of the array at `key` (others skipped); empty when it is not an array.
template <class Json> std::vector<std::string> strings_or_empty(const Json &j, const char *key) {
  std::vector<std::string> out;
  if (!j.is_object()) {
    return out;
  }
  const auto it = j.find(key);
  if (it == j.end() || !it->is_array()) {
    return out;
  }
  for (const auto &v : *it) {
    if (v.is_string()) {
      out.push_back(v.template get<std::string>());
    }
  }
  return out;
}

// The string at a JSON pointer such as "/annotations/org.opencontainers.image.title", or `fallback`.
template <class Json>
std::string string_at_pointer_or(const Json &j, const typename Json::json_pointer &ptr,
                                 std::string fallback = {}) {
  try {
    if (j.contains(ptr)) {
      const auto &v = j.at(ptr);
      if (v.is_string()) {
        return v.template get<std::string>();
      }
    }
  } catch (const std::exception &) {
    // contains() itself throws for some malformed paths through arrays: absent
  }
  return fallback;
}

} // namespace forge
