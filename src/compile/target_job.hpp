// Why: one target's build is a list of steps (unpack, fetch, attempts, collect, package); each step is a
// function that returns its product or the Failure that ends the job, so the order is read in one place
// (target_job.cpp) and no step signals failure by changing shared state. Private to src/compile/.
#pragma once
#include "forge/compile/attempt_ladder.hpp"
#include "forge/compile/build_job.hpp"
#include "forge/compile/builder.hpp"
#include "forge/compile/manifest.hpp"
#include "forge/compile/subprocess.hpp"
#include "forge/compile/supply_chain.hpp"
#include "forge/queue/queue.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace forge {

// A step's product, or the failure that ends the target's job.
template <class T> class Expected {
public:
  Expected(T value) : v_(std::move(value)) {}           // NOLINT(google-explicit-constructor)
  Expected(Failure failure) : v_(std::move(failure)) {} // NOLINT(google-explicit-constructor)
  [[nodiscard]] bool ok() const { return v_.index() == 0; }
  T &value() { return std::get<0>(v_); }
  const Failure &failure() const { return std::get<1>(v_); }

private:
  std::variant<T, Failure> v_;
};

// What is known about the crate before building: from the queue or the sparse index.
struct ResolvedCrate {
  std::string name, version, checksum, url;
  std::optional<QueuedCrate> queued;
  std::optional<std::string> published_at; // RFC 3339: the queue's, else the index entry's pubtime
};

struct JobContext {
  const BuildRequest &req;
  const ResolvedCrate &src;
  std::string builder;
  std::filesystem::path crate_file;
  SandboxChoice sandbox;
  SandboxProbe probe;
  std::optional<int64_t> source_date_epoch; // the crate's (supply_chain.hpp), for every target's build
};

// build.log: forge's own lines ("forge: ...") interleaved with each process's log.
class JobLog {
public:
  explicit JobLog(const std::filesystem::path &path) : out_(path, std::ios::binary) {}
  template <class... Args> void line(fmt::format_string<Args...> format, Args &&...args) {
    out_ << "forge: " << fmt::format(format, std::forward<Args>(args)...) << '\n';
  }
  void append_file(const std::filesystem::path &path);
  void flush() { out_.flush(); }
  void close() { out_.close(); }

private:
  std::ofstream out_;
};

// What every step of one target's job sees.
struct StepEnv {
  const JobContext &ctx;
  const Target &target;
  const std::filesystem::path &build_dir;
  JobLog &log;
};

// Runs one cargo process with its output appended to the build log. A program that cannot start, or an
// interrupt, is the job's failure.
Expected<ProcessResult> run_logged(const StepEnv &env, const ProcessSpec &spec);

// Phase one: `cargo fetch` on the host, --locked while the shipped Cargo.lock is usable (`locked` is
// cleared when it is not). Leaves a complete Cargo.lock and every dependency in the cargo home.
struct FetchResult {
  std::vector<std::string> argv; // the last fetch command
  std::optional<Failure> failure;
};
FetchResult fetch_dependencies(const StepEnv &env, const std::filesystem::path &crate_dir, bool locked);

// One build attempt (phase two) with the settings of `plan`, sandboxed when the job is.
struct AttemptRun {
  BuildInvocation invocation;
  std::optional<Failure> failure;
  std::string log_text; // the attempt's own log, for the ladder
  double seconds = 0;
};
AttemptRun run_attempt(const StepEnv &env, SandboxLayout *sandbox, const std::filesystem::path &crate_dir,
                       const AttemptPlan &plan, int number, bool offline);

// Host side, after the fetch and before any crate code ran: what each feature set the ladder may try links
// (cargo tree), the Cargo.lock it was read from, and `rustc -vV`. Failures are values (no list), logged.
struct LinkedCrates {
  std::map<FeatureSet, DepGraphResult> graphs;
  bool locked = false;   // the lock mode they were resolved with: an attempt that changed it has no list
  std::string lock_text; // Cargo.lock after the fetch, for --verify-reproducible's second build
  std::string rustc_version;
};
Expected<LinkedCrates> resolve_linked_crates(const StepEnv &env, const std::filesystem::path &crate_dir,
                                             bool locked, bool offline);

// The executables of a successful attempt in `dir`: regular ELF programs for the target's machine, hashed.
// Dynamic ones are copied to `<staging>/not-static/` for inspection and fail the job as not-static; the
// executables found are listed even then, for result.json. With `graph`, each static one gets the linked
// crates embedded (.dep-v0) before it is hashed; `embed_error` says why one could not.
struct Collected {
  std::vector<std::filesystem::path> files; // in the order of `executables`
  std::vector<ExecutableRecord> executables;
  std::optional<Failure> failure;
};
Collected collect_executables(const std::filesystem::path &dir, const Target &target,
                              const std::filesystem::path &staging, const DepGraph *graph = nullptr,
                              std::string *embed_error = nullptr);

// <exe>.cdx.json and <exe>.intoto.json in `staging` for every executable of `result` (as the settings ask),
// naming them in result.executables.
struct AttestInputs {
  const DepGraph *graph = nullptr;
  std::string rustc_version, rustflags;
  std::optional<std::string> license;
};
void write_attestations(const JobContext &ctx, const std::filesystem::path &staging, BuildResult &result,
                        const AttestInputs &in);

// The package beside the executables: copies, CHECKSUM, LICENSE, and per executable its soar record and
// .version file, all in `staging`.
struct PackageInfo {
  std::optional<std::string> license;
  std::string license_text; // the crate's licence files, or empty
};
void write_package(const JobContext &ctx, const Target &target, const std::filesystem::path &staging,
                   const Collected &collected, const PackageInfo &info, const BuildResult &result);

// One target's whole job: stages the result directory, runs the steps, writes result.json and moves the
// staging directory into place. `early`: a failure found before any target ran (download, checksum).
TargetOutcome run_target(const JobContext &ctx, const Target &target, const std::optional<Failure> &early);

} // namespace forge
