// Why: JSON output (journal lines, result.json, reports) must be valid UTF-8 or nlohmann::json refuses to
// write it, and text that reaches it from logs or archives (a build script's bytes, a crate's file names) is
// not always; invalid bytes become U+FFFD instead of an exception in the middle of a run.
#pragma once
#include <string>
#include <string_view>

namespace forge {

// `text` with every byte that is not part of a well-formed UTF-8 sequence replaced by U+FFFD.
std::string valid_utf8(std::string_view text);
// Whether `text` is well-formed UTF-8 (valid_utf8 would return it unchanged).
bool is_valid_utf8(std::string_view text);

} // namespace forge
