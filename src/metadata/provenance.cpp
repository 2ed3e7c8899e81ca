#include "forge/metadata/provenance.hpp"

#include <cstdlib>

namespace forge {
namespace {

using nlohmann::ordered_json;

std::string env(const char *name) {
  const char *v = std::getenv(name);
  return v == nullptr ? std::string() : std::string(v);
}

std::string trimmed_url(std::string url) {
  while (!url.empty() && url.back() == '/') {
    url.pop_back();
  }
  return url;
}

} // namespace

void fill_github_context(ProvenanceInputs &in) {
  in.server_url = trimmed_url(env("GITHUB_SERVER_URL"));
  in.repository = env("GITHUB_REPOSITORY");
  in.workflow_ref = env("GITHUB_WORKFLOW_REF");
  in.run_id = env("GITHUB_RUN_ID");
  in.run_attempt = env("GITHUB_RUN_ATTEMPT");
}

ordered_json provenance_statement(const ProvenanceInputs &in) {
  ordered_json external;
  external["crate"] = in.crate;
  external["version"] = in.version;
  external["target"] = in.target;
  external["features"] = in.features;
  external["source"] = {{"uri", in.crate_url}, {"digest", {{"sha256", in.crate_sha256}}}};

  ordered_json internal;
  internal["forge"] = in.forge_version;
  internal["builder"] = in.builder;
  internal["toolchain"] = in.toolchain;
  internal["rustc"] = in.rustc_version;
  internal["rustflags"] = in.rustflags;
  internal["argv"] = in.argv;
  internal["sourceDateEpoch"] =
      in.source_date_epoch ? ordered_json(*in.source_date_epoch) : ordered_json(nullptr);
  internal["sandbox"] = in.sandbox;

  ordered_json resolved = ordered_json::array();
  resolved.push_back({{"uri", in.crate_url},
                      {"digest", {{"sha256", in.crate_sha256}}},
                      {"name", in.crate + "-" + in.version + ".crate"}});
  if (in.graph != nullptr) {
    for (const auto &p : in.graph->packages) {
      if (p.root) {
        continue;
      }
      ordered_json d{{"uri", cargo_purl(p)}, {"name", p.name}};
      if (!p.checksum.empty()) {
        d["digest"] = {{"sha256", p.checksum}};
      }
      resolved.push_back(std::move(d));
    }
  }

  const bool github = !in.server_url.empty() && !in.repository.empty();
  ordered_json builder;
  if (github && !in.workflow_ref.empty()) {
    builder["id"] = in.server_url + "/" + in.workflow_ref;
  } else {
    builder["id"] = "urn:forge:builder:local";
  }
  builder["version"] = {{"forge", in.forge_version}};
  ordered_json metadata;
  if (github && !in.run_id.empty()) {
    std::string id = in.server_url + "/" + in.repository + "/actions/runs/" + in.run_id;
    if (!in.run_attempt.empty()) {
      id += "/attempts/" + in.run_attempt;
    }
    metadata["invocationId"] = id;
  }
  metadata["startedOn"] = in.started_at;
  metadata["finishedOn"] = in.finished_at;

  ordered_json statement;
  statement["_type"] = kStatementType;
  statement["subject"] = ordered_json::array({{{"name", in.exe}, {"digest", {{"sha256", in.sha256}}}}});
  statement["predicateType"] = kSlsaProvenanceType;
  statement["predicate"] = {{"buildDefinition",
                             {{"buildType", kForgeBuildType},
                              {"externalParameters", external},
                              {"internalParameters", internal},
                              {"resolvedDependencies", resolved}}},
                            {"runDetails", {{"builder", builder}, {"metadata", metadata}}}};
  return statement;
}

} // namespace forge
