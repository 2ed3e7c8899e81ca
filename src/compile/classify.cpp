// Why: turns a failed build's exit status and log into one reason from a fixed vocabulary, with patterns
// taken from real cargo/rustc/linker output (see tests/fixtures/logs/README.md), so failures can be triaged
// and retried.
#include "forge/compile/classify.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstddef>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace forge {

namespace {

constexpr std::size_t kMaxDetails = 200;
constexpr int kSigKill = 9;
constexpr int kSigXfsz = 25;
constexpr int kShellSigKill = 128 + kSigKill;
constexpr int kShellNotFound = 127;

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

bool contains(std::string_view hay, std::string_view needle) {
  return hay.find(needle) != std::string_view::npos;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())) != 0) {
    text.remove_prefix(1);
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())) != 0) {
    text.remove_suffix(1);
  }
  return text;
}

// Removes LogWriter's "[mm:ss.mmm] " prefix (minutes may have any number of digits).
std::string_view strip_time_prefix(std::string_view line) {
  if (line.size() < 12 || line.front() != '[') {
    return line;
  }
  std::size_t i = 1;
  while (i < line.size() && is_digit(line[i])) {
    ++i;
  }
  if (i == 1 || i + 8 > line.size() || line[i] != ':' || !is_digit(line[i + 1]) || !is_digit(line[i + 2]) ||
      line[i + 3] != '.' || !is_digit(line[i + 4]) || !is_digit(line[i + 5]) || !is_digit(line[i + 6]) ||
      line[i + 7] != ']') {
    return line;
  }
  line.remove_prefix(i + 8);
  if (!line.empty() && line.front() == ' ') {
    line.remove_prefix(1);
  }
  return line;
}

std::vector<std::string_view> split_lines(std::string_view log) {
  std::vector<std::string_view> lines;
  while (!log.empty()) {
    const std::size_t end = log.find('\n');
    std::string_view line = log.substr(0, end);
    if (!line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
    }
    lines.push_back(strip_time_prefix(line));
    if (end == std::string_view::npos) {
      break;
    }
    log.remove_prefix(end + 1);
  }
  return lines;
}

// The text after `open` up to (not including) the first character in `close`, or nullopt.
std::optional<std::string_view> between(std::string_view line, std::string_view open,
                                        std::string_view close) {
  const std::size_t start = line.find(open);
  if (start == std::string_view::npos) {
    return std::nullopt;
  }
  std::string_view rest = line.substr(start + open.size());
  rest = rest.substr(0, rest.find_first_of(close));
  if (rest.empty()) {
    return std::nullopt;
  }
  return rest;
}

// One human line: trimmed, without rustc's "= note: " gutter, at most kMaxDetails bytes (whole UTF-8 chars).
std::string clip(std::string_view line) {
  line = trim(line);
  if (line.rfind("= note: ", 0) == 0) {
    line = trim(line.substr(8));
  }
  if (line.size() <= kMaxDetails) {
    return std::string(line);
  }
  std::size_t cut = kMaxDetails - 3;
  while (cut > 0 && (static_cast<unsigned char>(line[cut]) & 0xC0U) == 0x80U) {
    --cut;
  }
  return std::string(line.substr(0, cut)) + "...";
}

void add_unique_sorted(std::vector<std::string> &items, std::string_view item) {
  const std::string value(item);
  const auto pos = std::lower_bound(items.begin(), items.end(), value);
  if (pos == items.end() || *pos != value) {
    items.insert(pos, value);
  }
}

class LogView {
public:
  explicit LogView(std::string_view log) : lines_(split_lines(log)) {}

  [[nodiscard]] const std::vector<std::string_view> &lines() const { return lines_; }

  // Index of the first line containing any of `needles`, skipping lines for which `skip` holds.
  template <typename Skip>
  [[nodiscard]] std::optional<std::size_t> find_if(std::initializer_list<std::string_view> needles,
                                                   Skip skip) const {
    for (std::size_t i = 0; i < lines_.size(); ++i) {
      if (skip(lines_[i])) {
        continue;
      }
      for (const std::string_view needle : needles) {
        if (contains(lines_[i], needle)) {
          return i;
        }
      }
    }
    return std::nullopt;
  }

  [[nodiscard]] std::optional<std::size_t> find(std::initializer_list<std::string_view> needles) const {
    return find_if(needles, [](std::string_view) { return false; });
  }

  // The first line containing a needle of the earliest group that matches anywhere: groups go from the most
  // to the least informative.
  [[nodiscard]] std::optional<std::size_t>
  find_best(std::initializer_list<std::initializer_list<std::string_view>> groups) const {
    for (const auto &group : groups) {
      if (auto found = find(group)) {
        return found;
      }
    }
    return std::nullopt;
  }

  [[nodiscard]] std::string clipped(std::size_t index) const { return clip(lines_[index]); }

private:
  std::vector<std::string_view> lines_;
};

Failure make(Reason reason, std::string details) {
  return Failure::of(reason, std::move(details));
}

// Names of missing native libraries in the phrasings of the pkg-config crate, pkg-config itself, openssl-sys,
// rustc and the GNU and LLVM linkers.
std::vector<std::string> missing_libraries(const LogView &view) {
  std::vector<std::string> names;
  for (const std::string_view line : view.lines()) {
    std::optional<std::string_view> name;
    if (auto n = between(line, "could not find system library '", "'")) {
      name = n;
    } else if (auto n2 = between(line, "The system library `", "`")) {
      name = n2;
    } else if (contains(line, "not found") && between(line, "Package '", "'")) {
      name = between(line, "Package '", "'");
    } else if (contains(line, " was not found in the pkg-config search path")) {
      name = between(line, "Package ", " ");
    } else if (auto n3 = between(line, "No package '", "'")) {
      name = n3;
    } else if (auto n4 = between(line, "unable to find library -l", " \t:")) {
      name = n4;
    } else if (auto n5 = between(line, "cannot find -l", " \t:")) {
      name = n5;
    } else if (auto n6 = between(line, "could not find native static library `", "`")) {
      name = n6;
    } else if (contains(line, "Could not find directory of OpenSSL installation")) {
      name = "openssl";
    }
    if (name) {
      add_unique_sorted(names, *name);
    }
  }
  return names;
}

// rustc error codes ("error[E0308]: ...") in the log, unique and sorted.
std::vector<std::string> error_codes(const LogView &view) {
  std::vector<std::string> codes;
  for (const std::string_view raw : view.lines()) {
    const std::string_view line = trim(raw);
    if (line.rfind("error[E", 0) != 0 || line.size() < 12 || line[11] != ']') {
      continue;
    }
    const std::string_view code = line.substr(6, 5);
    if (std::all_of(code.begin() + 1, code.end(), is_digit)) {
      add_unique_sorted(codes, code);
    }
  }
  return codes;
}

// The crate named by cargo's failure line: a build script's crate, else the crate that could not compile.
std::string failed_crate(const LogView &view) {
  for (const std::string_view line : view.lines()) {
    if (auto name = between(line, "failed to run custom build command for `", " `")) {
      return std::string(*name);
    }
  }
  for (const std::string_view line : view.lines()) {
    if (auto name = between(line, "could not compile `", "`")) {
      return std::string(*name);
    }
  }
  return {};
}

// The message of a build script's panic ("thread 'main' panicked at build.rs:3:5:" then the message, or
// the older inline form "panicked at 'message', build.rs:3:5"), else the first line of its stderr.
std::optional<std::string> build_script_message(const LogView &view) {
  const auto &lines = view.lines();
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (auto inline_message = between(lines[i], "panicked at '", "'")) {
      return clip(*inline_message);
    }
    const bool panic = contains(lines[i], "' panicked at ") || contains(lines[i], ") panicked at ");
    const bool stderr_block = trim(lines[i]) == "--- stderr";
    if (!panic && !stderr_block) {
      continue;
    }
    for (std::size_t j = i + 1; j < lines.size(); ++j) {
      const std::string_view text = trim(lines[j]);
      if (text.empty() || text == "--- stderr" || contains(text, " panicked at ")) {
        continue;
      }
      if (text.rfind("stack backtrace:", 0) == 0 || text.rfind("note: ", 0) == 0) {
        break;
      }
      return clip(text);
    }
  }
  return std::nullopt;
}

// The first line saying that Cargo.lock itself stopped the build. For a parse failure the "Caused by" line
// below says why ("lock file version `99` was found, but ..."), which is preferred.
std::optional<std::size_t> find_lock_problem(const LogView &view) {
  if (auto at = view.find({"but this version of Cargo does not understand this lock file"})) {
    return at;
  }
  return view.find({"needs to be updated but --locked was passed",
                    "because --locked was passed to prevent this",
                    "needs to be updated but --frozen was passed",
                    "because --frozen was passed to prevent this", "failed to parse lock file"});
}

bool is_spurious_network_warning(std::string_view line) {
  return trim(line).rfind("warning: spurious network error", 0) == 0;
}

// A process hit RLIMIT_FSIZE (the sandbox's file-size limit): the signal as cargo reports it, the shell's
// message, EFBIG, or the builder itself killed by it (bwrap reports 128 + the signal).
std::optional<Failure> check_file_size_limit(const ExitInfo &exit, const LogView &view) {
  const auto at = view.find({"SIGXFSZ", "File size limit exceeded", "File too large (os error 27)"});
  if (!at && exit.term_signal != kSigXfsz && exit.exit_code != 128 + kSigXfsz) {
    return std::nullopt;
  }
  Failure failure =
      make(Reason::no_space, clip("a file grew beyond the sandbox's size limit (--sandbox-max-file-size)" +
                                  (at ? ": " + view.clipped(*at) : std::string())));
  failure.spurious = false; // the same build hits the same limit again
  return failure;
}

std::optional<Failure> check_no_space(const LogView &view) {
  if (auto at = view.find({"No space left on device", "(os error 28)", "Disk quota exceeded",
                           "ld terminated with signal 7 [Bus error]"})) {
    return make(Reason::no_space, view.clipped(*at));
  }
  return std::nullopt;
}

std::optional<Failure> check_out_of_memory(const ExitInfo &exit, const LogView &view) {
  // Rust's allocator abort ("memory allocation of N bytes failed"), const evaluation hitting the limit, LLVM.
  const auto allocator_abort = view.find_if(
      {" bytes failed"}, [](std::string_view line) { return !contains(line, "memory allocation of "); });
  if (allocator_abort) {
    return make(Reason::out_of_memory, view.clipped(*allocator_abort));
  }
  if (auto at = view.find({"tried to allocate more memory than available to compiler",
                           "LLVM ERROR: out of memory", "Cannot allocate memory (os error 12)"})) {
    return make(Reason::out_of_memory, view.clipped(*at));
  }
  // cargo: "process didn't exit successfully: `/path/to/prog args` (signal: 9, SIGKILL: kill)".
  if (auto at = view.find({"(signal: 9, SIGKILL: kill)"})) {
    std::string program = "a build process";
    if (auto command = between(view.lines()[*at], "process didn't exit successfully: `", " `")) {
      const std::size_t slash = command->rfind('/');
      program =
          "`" + std::string(slash == std::string_view::npos ? *command : command->substr(slash + 1)) + "`";
    }
    return make(Reason::out_of_memory,
                clip(program + " killed by SIGKILL without a timeout (likely out of memory)"));
  }
  if (exit.term_signal == kSigKill || exit.exit_code == kShellSigKill) {
    return make(Reason::out_of_memory, "builder killed by SIGKILL without a timeout (likely out of memory)");
  }
  return std::nullopt;
}

std::optional<Failure> check_missing_library(const LogView &view) {
  std::vector<std::string> libraries = missing_libraries(view);
  const auto cross = view.find({"pkg-config has not been configured to support cross-compilation"});
  if (libraries.empty() && !cross) {
    return std::nullopt;
  }
  const auto at = view.find_best({{"could not find system library '", "The system library `"},
                                  {"pkg-config has not been configured to support cross-compilation"},
                                  {"Could not find directory of OpenSSL installation"},
                                  {"could not find native static library `"},
                                  {"unable to find library -l", "cannot find -l"},
                                  {" was not found in the pkg-config search path", "No package '"}});
  Failure failure =
      make(Reason::missing_system_library, at ? view.clipped(*at) : std::string("missing system library"));
  failure.libraries = std::move(libraries);
  return failure;
}

std::optional<Failure> check_target(const LogView &view) {
  if (auto at = view.find_best(
          {{"target may not be installed"}, {"can't find crate for `core`", "can't find crate for `std`"}})) {
    return make(Reason::target_not_installed, view.clipped(*at));
  }
  // rustup: "error: toolchain 'nightly-x86_64-unknown-linux-gnu' is not installed".
  if (auto at = view.find_if({"' is not installed"},
                             [](std::string_view line) { return !contains(line, "toolchain '"); })) {
    return make(Reason::target_not_installed, view.clipped(*at));
  }
  return std::nullopt;
}

std::optional<Failure> check_network(const LogView &view) {
  if (auto at =
          view.find_if({"failed to download from `", "attempting to make an HTTP request, but --offline",
                        "you are in the offline mode", "Could not resolve host", "Couldn't resolve host",
                        "Could not connect to server", "Connection refused", "Connection timed out",
                        "Operation timed out", "SSL connect error", "network failure seems to have happened",
                        "Network is unreachable", "failed to lookup address information"},
                       is_spurious_network_warning)) {
    return make(Reason::network, view.clipped(*at));
  }
  return std::nullopt;
}

std::optional<Failure> check_dependency_resolution(const LogView &view) {
  if (auto at = find_lock_problem(view)) {
    return make(Reason::dependency_resolution, clip("lock file problem: " + view.clipped(*at)));
  }
  if (auto at =
          view.find({"failed to select a version", "no matching package named", "cyclic package dependency",
                     "failed to load manifest for dependency", "does not have these features",
                     "does not have that feature", "failed to resolve patches"})) {
    return make(Reason::dependency_resolution, view.clipped(*at));
  }
  return std::nullopt;
}

std::optional<Failure> check_checksum(const LogView &view) {
  if (auto at = view.find({"changed between lock files", "the listed checksum of",
                           "failed to verify the checksum of", "checksum mismatch"})) {
    return make(Reason::checksum_mismatch, view.clipped(*at));
  }
  return std::nullopt;
}

std::optional<Failure> check_build_script(const LogView &view) {
  const auto at = view.find({"failed to run custom build command for `"});
  if (!at) {
    return std::nullopt;
  }
  Failure failure = make(Reason::build_script, view.clipped(*at));
  failure.crate = failed_crate(view);
  if (auto message = build_script_message(view)) {
    failure.details = clip("build script of `" + failure.crate + "` failed: " + *message);
  }
  return failure;
}

std::optional<Failure> check_link(const LogView &view) {
  const auto marker = view.find({"linking with `", "undefined reference to",
                                 "undefined symbol:", "ld: cannot find", "ld returned 1 exit status"});
  const auto missing_linker = view.find({"error: linker `"});
  if (!marker && !missing_linker) {
    return std::nullopt;
  }
  const auto at = view.find_best({{"undefined reference to", "undefined symbol:"},
                                  {"ld: cannot find", "cannot find -l"},
                                  {"error: linker `"},
                                  {"linking with `"},
                                  {"ld returned 1 exit status"}});
  return make(Reason::link_error, at ? view.clipped(*at) : std::string("link failed"));
}

std::optional<Failure> check_ice(const LogView &view) {
  if (auto at = view.find({"internal compiler error:", "the compiler unexpectedly panicked"})) {
    return make(Reason::internal, view.clipped(*at));
  }
  return std::nullopt;
}

std::optional<Failure> check_compile(const LogView &view) {
  std::vector<std::string> codes = error_codes(view);
  const auto could_not = view.find({"could not compile `"});
  if (codes.empty() && !could_not) {
    return std::nullopt;
  }
  const auto first_error = view.find_if({"error[E", "error:"}, [](std::string_view line) {
    const std::string_view text = trim(line);
    return text.rfind("error", 0) != 0 || contains(text, "could not compile `");
  });
  const auto at = first_error ? first_error : could_not;
  Failure failure = make(Reason::compile_error, at ? view.clipped(*at) : std::string("compilation failed"));
  failure.error_codes = std::move(codes);
  return failure;
}

Failure internal_failure(const ExitInfo &exit, const LogView &view) {
  const auto &lines = view.lines();
  for (std::size_t i = lines.size(); i-- > 0;) {
    if (trim(lines[i]).rfind("error", 0) == 0) {
      return make(Reason::internal, view.clipped(i));
    }
  }
  for (std::size_t i = lines.size(); i-- > 0;) {
    if (!trim(lines[i]).empty()) {
      return make(Reason::internal, view.clipped(i));
    }
  }
  if (exit.term_signal != 0) {
    return make(Reason::internal,
                "builder killed by signal " + std::to_string(exit.term_signal) + " with no output");
  }
  return make(Reason::internal,
              "builder exited with status " + std::to_string(exit.exit_code) + " with no output");
}

} // namespace

bool lock_problem(std::string_view log) {
  return find_lock_problem(LogView(log)).has_value();
}

Failure classify_build_failure(const ExitInfo &exit, std::string_view log) {
  const LogView view(log);
  if (exit.timed_out) {
    return make(Reason::timeout, "build timed out");
  }
  if (exit.exit_code == kShellNotFound) {
    if (auto at = view.find({"command not found"})) {
      return make(Reason::builder_missing, view.clipped(*at));
    }
  }
  const std::array checks{
      +[](const ExitInfo &e, const LogView &v) { return check_file_size_limit(e, v); },
      +[](const ExitInfo &, const LogView &v) { return check_no_space(v); },
      +[](const ExitInfo &e, const LogView &v) { return check_out_of_memory(e, v); },
      +[](const ExitInfo &, const LogView &v) { return check_missing_library(v); },
      +[](const ExitInfo &, const LogView &v) { return check_target(v); },
      +[](const ExitInfo &, const LogView &v) { return check_network(v); },
      +[](const ExitInfo &, const LogView &v) { return check_dependency_resolution(v); },
      +[](const ExitInfo &, const LogView &v) { return check_checksum(v); },
      +[](const ExitInfo &, const LogView &v) { return check_build_script(v); },
      +[](const ExitInfo &, const LogView &v) { return check_link(v); },
      +[](const ExitInfo &, const LogView &v) { return check_ice(v); },
      +[](const ExitInfo &, const LogView &v) { return check_compile(v); },
  };
  for (const auto &check : checks) {
    if (std::optional<Failure> failure = check(exit, view)) {
      if (failure->crate.empty()) {
        failure->crate = failed_crate(view);
      }
      return std::move(*failure);
    }
  }
  Failure failure = internal_failure(exit, view);
  failure.crate = failed_crate(view);
  return failure;
}

} // namespace forge
