#include "cli/option_types.hpp"

#include "forge/util/error.hpp"
#include "forge/util/time.hpp"

#include <fmt/format.h>

#include <array>
#include <charconv>
#include <cmath>

namespace forge::cli {
namespace {

// The choices of a one_of validator travel in its description, marked so option_info can tell them from
// the placeholder CLI11 puts before it.
constexpr char kChoicesOpen = '{';

std::string lower(std::string_view text) {
  std::string out(text);
  for (char &c : out) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

std::string join_or(const std::vector<std::string> &items) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    out += i == 0 ? "" : (i + 1 == items.size() ? " or " : ", ");
    out += items[i];
  }
  return out;
}

} // namespace

CLI::Validator whole_number(long long lo, long long hi) {
  return CLI::Validator(
      [lo, hi](std::string &text) -> std::string {
        long long value = 0;
        const char *end = text.data() + text.size();
        const auto [ptr, ec] = std::from_chars(text.data(), end, value);
        if (ec == std::errc::result_out_of_range) {
          return fmt::format("must be at most {}, got {}", hi, text);
        }
        if (ec != std::errc() || ptr != end) {
          return fmt::format("must be a whole number, got '{}'", text);
        }
        if (value < lo || value > hi) {
          if (hi == std::numeric_limits<long long>::max()) {
            return fmt::format("must be at least {}, got {}", lo, value);
          }
          return fmt::format("must be between {} and {}, got {}", lo, hi, value);
        }
        return {};
      },
      "");
}

CLI::Validator decimal_number(double lo, double hi) {
  return CLI::Validator(
      [lo, hi](std::string &text) -> std::string {
        double value = 0;
        const char *end = text.data() + text.size();
        const auto [ptr, ec] = std::from_chars(text.data(), end, value);
        if (ec != std::errc() || ptr != end || !std::isfinite(value)) {
          return fmt::format("must be a number, got '{}'", text);
        }
        if (value < lo || value > hi) {
          if (hi == std::numeric_limits<double>::max()) {
            return fmt::format("must be at least {}, got {}", lo, text);
          }
          return fmt::format("must be between {} and {}, got {}", lo, hi, text);
        }
        return {};
      },
      "");
}

CLI::Validator one_of(std::vector<std::string> choices) {
  std::string description(1, kChoicesOpen);
  for (std::size_t i = 0; i < choices.size(); ++i) {
    description += (i == 0 ? "" : "|") + choices[i];
  }
  return CLI::Validator(
      [choices](std::string &text) -> std::string {
        for (const auto &c : choices) {
          if (text == c) {
            return {};
          }
        }
        return fmt::format("must be {}, got '{}'", join_or(choices), text);
      },
      description);
}

CLI::Validator duration_text() {
  return CLI::Validator(
      [](std::string &text) -> std::string {
        try {
          (void)parse_duration(text);
        } catch (const Error &) {
          return fmt::format("must be a duration such as 90s, 30m or 1h30m, got '{}'", text);
        }
        return {};
      },
      "");
}

CLI::Validator size_text() {
  return CLI::Validator(
      [](std::string &text) -> std::string {
        try {
          text = std::to_string(parse_size(text));
        } catch (const Error &) {
          return fmt::format("must be a size in bytes, or with a unit such as 512MiB or 4GiB, got '{}'",
                             text);
        }
        return {};
      },
      "");
}

uint64_t parse_size(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) != 0 || text[i] == '.')) {
    ++i;
  }
  double number = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + i, number);
  if (i == 0 || ec != std::errc() || ptr != text.data() + i) {
    fail(ExitCode::usage, "invalid size '{}'", text);
  }
  // Binary units only, as df and du -h print them: a K is 1024 bytes however it is spelt.
  static const std::array<std::pair<const char *, int>, 14> units = {{{"", 0},
                                                                      {"b", 0},
                                                                      {"k", 1},
                                                                      {"kb", 1},
                                                                      {"kib", 1},
                                                                      {"m", 2},
                                                                      {"mb", 2},
                                                                      {"mib", 2},
                                                                      {"g", 3},
                                                                      {"gb", 3},
                                                                      {"gib", 3},
                                                                      {"t", 4},
                                                                      {"tb", 4},
                                                                      {"tib", 4}}};
  const std::string unit = lower(text.substr(i));
  for (const auto &[name, power] : units) {
    if (unit == name) {
      const double bytes = number * std::pow(1024.0, power);
      if (bytes >= 18446744073709551615.0) {
        fail(ExitCode::usage, "size '{}' is too large", text);
      }
      return static_cast<uint64_t>(bytes);
    }
  }
  fail(ExitCode::usage, "invalid size '{}'", text);
}

std::string format_size(uint64_t bytes) {
  static const std::array<const char *, 4> names = {"KiB", "MiB", "GiB", "TiB"};
  if (bytes == 0) {
    return "0";
  }
  int power = 0;
  uint64_t n = bytes;
  while (power < 4 && n % 1024 == 0) {
    n /= 1024;
    ++power;
  }
  return power == 0 ? std::to_string(bytes)
                    : fmt::format("{}{}", n, names[static_cast<std::size_t>(power - 1)]);
}

CLI::Option *add_duration(CLI::App &cmd, const std::string &name, std::chrono::milliseconds &value,
                          const std::string &description) {
  return cmd
      .add_option_function<std::string>(
          name, [&value](const std::string &text) { value = parse_duration(text); }, description)
      ->type_name("DURATION")
      ->default_str(format_duration(value))
      ->check(duration_text());
}

CLI::Option *add_duration_s(CLI::App &cmd, const std::string &name, double &seconds,
                            const std::string &description) {
  const auto ms = std::chrono::milliseconds(static_cast<int64_t>(std::llround(seconds * 1000)));
  return cmd
      .add_option_function<std::string>(
          name,
          [&seconds](const std::string &text) {
            seconds = static_cast<double>(parse_duration(text).count()) / 1000.0;
          },
          description)
      ->type_name("DURATION")
      ->default_str(format_duration(ms))
      ->check(duration_text());
}

CLI::Option *add_size(CLI::App &cmd, const std::string &name, uint64_t &bytes,
                      const std::string &description) {
  return cmd.add_option(name, bytes, description)
      ->type_name("SIZE")
      ->default_str(format_size(bytes))
      ->transform(size_text());
}

bool takes_value(const CLI::Option *opt) {
  return opt->get_expected_max() != 0; // a flag expects no value (its type size is still 1)
}

OptionInfo option_info(const CLI::Option *opt) {
  OptionInfo info;
  if (!takes_value(opt)) {
    return info; // a flag
  }
  const std::string full = opt->get_type_name();
  std::size_t start = 0;
  bool first = true;
  while (start <= full.size()) {
    const std::size_t colon = full.find(':', start);
    const std::string part =
        full.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
    if (first) {
      info.placeholder = part;
      first = false;
    } else if (!part.empty() && part.front() == kChoicesOpen) {
      std::size_t p = 1;
      while (p <= part.size()) {
        const std::size_t bar = part.find('|', p);
        info.choices.push_back(part.substr(p, bar == std::string::npos ? std::string::npos : bar - p));
        if (bar == std::string::npos) {
          break;
        }
        p = bar + 1;
      }
    }
    if (colon == std::string::npos) {
      break;
    }
    start = colon + 1;
  }
  return info;
}

} // namespace forge::cli
