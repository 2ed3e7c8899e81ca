// Why: the only place where result.json's keys and the reason strings are spelled.
#include "forge/compile/build_result.hpp"

#include "forge/util/json_read.hpp"

#include <array>
#include <cmath>
#include <ostream>
#include <utility>

namespace forge {
namespace {

using json = nlohmann::ordered_json;

constexpr std::array<std::pair<Reason, std::string_view>, 16> kReasons{{
    {Reason::missing_system_library, "missing-system-library"},
    {Reason::build_script, "build-script"},
    {Reason::compile_error, "compile-error"},
    {Reason::link_error, "link-error"},
    {Reason::target_not_installed, "target-not-installed"},
    {Reason::dependency_resolution, "dependency-resolution"},
    {Reason::timeout, "timeout"},
    {Reason::out_of_memory, "out-of-memory"},
    {Reason::no_space, "no-space"},
    {Reason::network, "network"},
    {Reason::download, "download"},
    {Reason::checksum_mismatch, "checksum-mismatch"},
    {Reason::builder_missing, "builder-missing"},
    {Reason::no_executables, "no-executables"},
    {Reason::not_static, "not-static"},
    {Reason::internal, "internal"},
}};

constexpr std::array<Reason, kReasons.size()> reason_list() {
  std::array<Reason, kReasons.size()> out{};
  for (std::size_t i = 0; i < kReasons.size(); ++i) {
    out[i] = kReasons[i].first;
  }
  return out;
}
constexpr std::array<Reason, kReasons.size()> kReasonList = reason_list();

template <class T> json string_or_null(const T &value) {
  return value.empty() ? json(nullptr) : json(value);
}

} // namespace

std::string_view to_string(Status status) {
  return status == Status::built ? "built" : "failed";
}

std::string_view to_string(Reason reason) {
  for (const auto &[r, name] : kReasons) {
    if (r == reason) {
      return name;
    }
  }
  return "internal";
}

std::optional<Status> parse_status(std::string_view text) {
  if (text == "built") {
    return Status::built;
  }
  if (text == "failed") {
    return Status::failed;
  }
  return std::nullopt;
}

std::optional<Reason> parse_reason(std::string_view text) {
  for (const auto &[r, name] : kReasons) {
    if (name == text) {
      return r;
    }
  }
  return std::nullopt;
}

std::span<const Reason> all_reasons() {
  return kReasonList;
}

std::ostream &operator<<(std::ostream &out, Reason reason) {
  return out << to_string(reason);
}

std::ostream &operator<<(std::ostream &out, Status status) {
  return out << to_string(status);
}

bool is_spurious(Reason reason) {
  return reason == Reason::timeout || reason == Reason::out_of_memory || reason == Reason::no_space ||
         reason == Reason::network;
}

Failure Failure::of(Reason reason, std::string details) {
  Failure f;
  f.reason = reason;
  f.details = std::move(details);
  f.spurious = is_spurious(reason);
  return f;
}

nlohmann::ordered_json to_json(const BuildResult &r) {
  json exes = json::array();
  for (const auto &e : r.executables) {
    exes.push_back(json{{"name", e.name},
                        {"size", e.size},
                        {"bsum", e.bsum},
                        {"shasum", e.shasum},
                        {"static", e.is_static},
                        {"auditable", e.auditable},
                        {"sbom", string_or_null(e.sbom)},
                        {"provenance", string_or_null(e.provenance)}});
  }
  json attempts = json::array();
  for (const auto &a : r.attempts) {
    attempts.push_back(json{{"attempt", a.number},
                            {"change", string_or_null(a.change)},
                            {"why", string_or_null(a.why)},
                            {"features", a.features},
                            {"locked", a.locked},
                            {"outcome", a.outcome},
                            {"duration_s", std::round(a.duration_s * 1000) / 1000}});
  }
  const Failure *f = r.failure ? &*r.failure : nullptr;
  json j{{"format", kResultFormat},
         {"crate", r.crate},
         {"version", r.version},
         {"target", r.target},
         {"host", r.host},
         {"builder", r.builder},
         {"sandbox", r.sandbox},
         {"sandbox_reason", r.sandbox_reason},
         {"fetch_argv", string_or_null(r.fetch_argv)},
         {"argv", r.argv},
         {"feature_mode", string_or_null(r.feature_mode)},
         {"status", to_string(r.status)},
         {"reason", f != nullptr ? json(to_string(f->reason)) : json(nullptr)},
         {"details", f != nullptr ? json(f->details) : json(nullptr)},
         {"spurious", f != nullptr && f->spurious},
         {"started_at", r.started_at},
         {"duration_s", std::round(r.duration_s * 1000) / 1000},
         {"log", r.log},
         {"executables", exes},
         {"attempts", attempts},
         {"auditable", r.auditable},
         {"auditable_details", string_or_null(r.auditable_details)},
         {"source_date_epoch", r.source_date_epoch ? json(*r.source_date_epoch) : json(nullptr)},
         {"reproducible", r.reproducible ? json(*r.reproducible) : json(nullptr)},
         {"reproducible_details", string_or_null(r.reproducible_details)}};
  if (!r.missing_bins.empty()) {
    j["missing_bins"] = r.missing_bins;
  }
  if (f != nullptr && !f->libraries.empty()) {
    j["libraries"] = f->libraries;
  }
  if (f != nullptr && !f->error_codes.empty()) {
    j["error_codes"] = f->error_codes;
  }
  if (f != nullptr && !f->crate.empty()) {
    j["failed_crate"] = f->crate;
  }
  return j;
}

std::optional<BuildResult> build_result_from_json(const nlohmann::json &j) {
  if (!j.is_object() || string_or(j, "format") != kResultFormat) {
    return std::nullopt;
  }
  BuildResult r;
  r.crate = string_or(j, "crate");
  r.version = string_or(j, "version");
  r.target = string_or(j, "target");
  r.host = string_or(j, "host");
  const auto status = parse_status(string_or(j, "status"));
  if (r.crate.empty() || r.version.empty() || r.target.empty() || r.host.empty() || !status) {
    return std::nullopt;
  }
  r.status = *status;
  r.builder = string_or(j, "builder");
  r.sandbox = string_or(j, "sandbox");
  r.sandbox_reason = string_or(j, "sandbox_reason");
  r.fetch_argv = strings_or_empty(j, "fetch_argv");
  r.argv = strings_or_empty(j, "argv");
  r.feature_mode = string_or(j, "feature_mode");
  r.started_at = string_or(j, "started_at");
  r.duration_s = number_or(j, "duration_s", 0);
  r.log = string_or(j, "log", "build.log");
  r.missing_bins = strings_or_empty(j, "missing_bins");
  r.auditable = bool_or(j, "auditable", false);
  r.auditable_details = string_or(j, "auditable_details");
  if (const auto sde = j.find("source_date_epoch"); sde != j.end() && sde->is_number_integer()) {
    r.source_date_epoch = sde->get<int64_t>();
  }
  if (const auto rep = j.find("reproducible"); rep != j.end() && rep->is_boolean()) {
    r.reproducible = rep->get<bool>();
  }
  r.reproducible_details = string_or(j, "reproducible_details");
  if (r.status == Status::failed) {
    Failure f;
    f.reason = parse_reason(string_or(j, "reason")).value_or(Reason::internal);
    f.details = string_or(j, "details");
    f.spurious = bool_or(j, "spurious", is_spurious(f.reason));
    f.libraries = strings_or_empty(j, "libraries");
    f.error_codes = strings_or_empty(j, "error_codes");
    f.crate = string_or(j, "failed_crate");
    r.failure = std::move(f);
  }
  if (const auto attempts = j.find("attempts"); attempts != j.end() && attempts->is_array()) {
    for (const auto &x : *attempts) {
      if (!x.is_object()) {
        continue;
      }
      AttemptRecord a;
      const double number = number_or(x, "attempt", 0);
      a.number = number >= 1 && number <= 1000 ? static_cast<int>(number) : 0;
      a.change = string_or(x, "change");
      a.why = string_or(x, "why");
      a.features = string_or(x, "features");
      a.locked = bool_or(x, "locked", false);
      a.outcome = string_or(x, "outcome");
      a.duration_s = number_or(x, "duration_s", 0);
      r.attempts.push_back(std::move(a));
    }
  }
  if (const auto exes = j.find("executables"); exes != j.end() && exes->is_array()) {
    for (const auto &x : *exes) {
      if (!x.is_object()) {
        continue;
      }
      ExecutableRecord e;
      e.name = string_or(x, "name");
      const double size = number_or(x, "size", 0);
      e.size = size >= 0 && size < 1e18 ? static_cast<uint64_t>(size) : 0;
      e.bsum = string_or(x, "bsum");
      e.shasum = string_or(x, "shasum");
      e.is_static = bool_or(x, "static", false);
      e.auditable = bool_or(x, "auditable", false);
      e.sbom = string_or(x, "sbom");
      e.provenance = string_or(x, "provenance");
      r.executables.push_back(std::move(e));
    }
  }
  return r;
}

} // namespace forge
