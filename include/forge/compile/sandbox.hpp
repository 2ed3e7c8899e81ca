// Why: a crate's build script is a stranger's program run with the builder's rights. After the host has
// fetched the dependencies, forge runs the offline build inside bubblewrap: no network, no $HOME, no
// credentials, the toolchain and cargo cache read-only, only the build directory writable, a process and a
// file-size limit. The argv and environment are pure functions of a layout, so they are unit-tested; what
// touches the machine (probing bwrap, preparing the build directory) is in sandbox_host.cpp.
#pragma once
#include "forge/compile/builder.hpp"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace forge {

enum class SandboxMode { auto_, bwrap, none };
SandboxMode parse_sandbox_mode(const std::string &text); // "auto" | "bwrap" | "none"; throws Error(usage)
std::string sandbox_mode_name(SandboxMode mode);

struct SandboxSettings {
  SandboxMode mode = SandboxMode::auto_;
  std::string bwrap_program = "bwrap";
  int max_processes = 1024;                    // RLIMIT_NPROC inside: processes and threads of the build
  uint64_t max_file_bytes = 4ULL << 30;        // RLIMIT_FSIZE inside: no single file may grow beyond this
  uint64_t max_memory_bytes = 0;               // RLIMIT_DATA per process inside; 0: the machine's memory
  uint64_t tmp_bytes = 1ULL << 30;             // size of the private /tmp (a tmpfs, so RAM)
  std::vector<std::string> pass_env;           // more variable names let in (exact names)
  std::vector<std::filesystem::path> ro_paths; // more host paths shown read-only (e.g. a linker under /opt)
};

// What bwrap can do here, found by running a trial sandbox shaped like a real job's.
struct SandboxProbe {
  bool works = false;
  std::string program; // bwrap's path; empty when it is not installed
  std::string version; // "bubblewrap 0.8.0"
  std::string why;     // what failed, or how it runs
  uint32_t uid = 0;    // as root: the unprivileged uid the build runs as; 0 when forge is not root
};

// The sandbox a job runs in and why; `bwrap` false means none. Stated in the build log and result.json.
struct SandboxChoice {
  bool bwrap = false;
  std::string reason;
  [[nodiscard]] std::string name() const { return bwrap ? "bwrap" : "none"; }
};

// auto: bwrap when the probe worked, else none (with the probe's reason); bwrap: the same, but a probe
// failure throws Error(usage); none: none. `cross` always gets none: it builds in its own container.
SandboxChoice choose_sandbox(const SandboxSettings &settings, BuilderKind builder, const SandboxProbe &probe);

// The uid for the build when forge runs as root: RLIMIT_NPROC is not enforced for uid 0, so the build runs
// as a uid nobody else uses (0x7e000000 + forge's pid) when /proc/self/uid_map maps it, else as nobody
// (65534) when mapped, else nullopt. `uid_map` is the text of /proc/self/uid_map.
std::optional<uint32_t> pick_sandbox_uid(std::string_view uid_map, long pid);

// Whether `name` may enter the sandbox: the allow-list (PATH, locale, cargo/rustc/cc build settings,
// CARGO_PROFILE_*, CARGO_TARGET_*, PKG_CONFIG*, ...) or `pass`, and never a secret-looking name (TOKEN,
// SECRET, PASSWORD, ... as the log redaction sees them) unless `pass` names it exactly.
bool sandbox_passes_variable(std::string_view name, const std::vector<std::string> &pass);

// `env` ("KEY=VALUE") reduced to what sandbox_passes_variable allows, then `set` applied (replacing).
std::vector<std::string> sandbox_environment(const std::vector<std::string> &env,
                                             const std::vector<std::string> &pass,
                                             const std::vector<std::pair<std::string, std::string>> &set);

// The fifo of a `--jobserver-auth=fifo:PATH` in a MAKEFLAGS-style value (the last one wins, as in make);
// nullopt when there is none or it is not an absolute path. Other jobserver styles (inherited file
// descriptors) cannot cross into the sandbox.
std::optional<std::filesystem::path> jobserver_fifo(std::string_view makeflags);

// Everything bwrap needs to know to build one crate.
struct SandboxLayout {
  std::filesystem::path build_dir; // bound read-write: the only host directory the build can change
  std::filesystem::path work_dir;  // the crate directory (inside build_dir)
  // Read-only binds, each at its own path: toolchains, the cargo home's entries, directory sources, extras.
  std::vector<std::filesystem::path> ro_binds;
  // Files shown at another path, read-only: (host source, path inside), e.g. a sanitised cargo config.
  std::vector<std::pair<std::filesystem::path, std::filesystem::path>> ro_files;
  // Bound read-write at their own path: forge run's jobserver fifo, so that sandboxed cargos share the cores.
  std::vector<std::filesystem::path> rw_binds;
  // The host's root entries besides /usr: (name, symlink target) for merged-/usr links such as /bin ->
  // usr/bin; an empty target means a real directory, bound read-only.
  std::vector<std::pair<std::string, std::string>> root_entries;
  uint32_t uid = 0; // > 0: switch to it (forge is root) with setpriv
  std::string setpriv = "/usr/bin/setpriv";
  std::string choom = "/usr/bin/choom";
  std::string prlimit = "/usr/bin/prlimit";
  int max_processes = 1024;
  uint64_t max_file_bytes = 4ULL << 30;
  uint64_t max_memory_bytes = 16ULL << 30;
  uint64_t tmp_bytes = 1ULL << 30;
};

// The bwrap command line running `command` in the layout: new pid/net/ipc/uts namespaces (a user
// namespace too when not root), a new session, killed with its parent, /usr and the root's links, a few
// /etc files, fresh /proc, /dev and /tmp, the read-only binds, the build directory; then (as root) setpriv
// to `uid` without capabilities or new privileges, choom so that the kernel's OOM killer takes the build
// first, and prlimit for processes, file size, data size and core dumps.
std::vector<std::string> bwrap_command(const std::string &bwrap, const SandboxLayout &layout,
                                       const std::vector<std::string> &command);

// --- host side (sandbox_host.cpp) ------------------------------------------------------------------------

// Runs a trial sandbox (`true` inside, 10 s deadline) with the namespaces, uid switch and limits of a real
// job. The result is cached for the process per settings.
SandboxProbe probe_bwrap(const SandboxSettings &settings);

// The cargo home as the sandbox shows it: its entries except credentials, the config with tokens and
// credential providers removed (written under `scratch` when anything had to go), and the directory and
// local-registry sources the config names (to bind read-only).
struct CargoHomeView {
  std::vector<std::filesystem::path> entries; // to bind read-only at their own path
  std::optional<std::pair<std::filesystem::path, std::filesystem::path>> config; // (source, path inside)
  std::vector<std::filesystem::path> sources; // directory / local-registry sources
  std::vector<std::string> hidden;            // names left out, for the log
};
CargoHomeView view_cargo_home(const std::filesystem::path &cargo_home, const std::filesystem::path &scratch);

// The layout for a build directory: the host's /usr links, the toolchains (rustup home, the cargo home's
// view, the directories of `programs` found on PATH outside /usr), the settings' extra paths. Creates
// <build_dir>/home and gives the whole build directory to `uid` (when > 0), without following symlinks.
SandboxLayout prepare_sandbox(const SandboxSettings &settings, const SandboxProbe &probe,
                              const std::filesystem::path &build_dir, const std::filesystem::path &work_dir,
                              const std::filesystem::path &cargo_home,
                              const std::filesystem::path &rustup_home,
                              const std::vector<std::string> &programs, std::vector<std::string> &notes);

// The cargo and rustup homes the host uses: $CARGO_HOME / $RUSTUP_HOME, else ~/.cargo / ~/.rustup.
std::filesystem::path host_cargo_home();
std::filesystem::path host_rustup_home();

} // namespace forge
