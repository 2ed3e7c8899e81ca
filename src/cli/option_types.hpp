// Why: CLI11's own help speaks its internals ("INT:INT in [1 - 64]", "UINT:SIZE [b, kb(=1024b), ...]") and
// its errors its own words ("Value 0 not in range 0.000000 to 1797..."). These helpers give every option a
// placeholder a user understands (PATH, N, DURATION, SIZE) and validators that speak forge's words
// ("--jobs must be between 1 and 64, got 0"). Validators run on the text while CLI11 parses, so a bad value
// is refused before a subcommand touches the disk.
#pragma once
#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

namespace forge::cli {

// A whole number in [lo, hi]: "must be between 1 and 64, got 0", "must be at least 1, got 0" (hi = max),
// "must be a whole number, got 'x'".
CLI::Validator whole_number(long long lo, long long hi = std::numeric_limits<long long>::max());
// A decimal number in [lo, hi].
CLI::Validator decimal_number(double lo, double hi = std::numeric_limits<double>::max());
// One of `choices`. Its description carries the choices, which help, man page and completions show.
CLI::Validator one_of(std::vector<std::string> choices);
// What forge::parse_duration accepts: 30m, 90s, 1h30m, 1800 (seconds).
CLI::Validator duration_text();
// A size in bytes, or with a binary unit (KiB, MiB, GiB, TiB; K, M, G, T and KB, MB, GB, TB mean the same):
// rewritten to the number of bytes before CLI11 converts it.
CLI::Validator size_text();

// "8MiB" -> 8388608; throws Error(usage) for anything but a number with an optional unit.
uint64_t parse_size(std::string_view text);
// The shortest exact text parse_size reads back: 1073741824 -> "1GiB", 1000 -> "1000".
std::string format_size(uint64_t bytes);

// Options whose value is a duration, bound to a typed field; the field's value is the default shown.
CLI::Option *add_duration(CLI::App &cmd, const std::string &name, std::chrono::milliseconds &value,
                          const std::string &description);
CLI::Option *add_duration_s(CLI::App &cmd, const std::string &name, double &seconds,
                            const std::string &description);
// A size option (SIZE) bound to a byte count; the field's value is the default shown.
CLI::Option *add_size(CLI::App &cmd, const std::string &name, uint64_t &bytes,
                      const std::string &description);

// Whether the option takes a value (a flag does not).
bool takes_value(const CLI::Option *opt);

// What help, man page and completions say about an option: its placeholder (PATH, N, ...; empty for a flag)
// and, for one_of, the choices.
struct OptionInfo {
  std::string placeholder;
  std::vector<std::string> choices;
};
OptionInfo option_info(const CLI::Option *opt);

} // namespace forge::cli
