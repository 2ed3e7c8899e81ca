// Why: what soar installs from: the executables with their CHECKSUM, LICENSE, soar records and .version
// files, written into the staging directory that becomes the result directory only as a whole.
#include "forge/metadata/soar.hpp"
#include "forge/util/fs.hpp"
#include "forge/util/time.hpp"
#include "target_job.hpp"

namespace forge {
namespace fs = std::filesystem;

void write_package(const JobContext &ctx, const Target &target, const fs::path &staging,
                   const Collected &collected, const PackageInfo &info, const BuildResult &result) {
  std::error_code ec;
  std::string checksum_file;
  std::vector<std::string> names;
  for (size_t i = 0; i < collected.files.size(); ++i) {
    const auto &e = collected.executables[i];
    names.push_back(e.name);
    fs::copy_file(collected.files[i], staging / e.name, fs::copy_options::overwrite_existing, ec);
    if (ec) {
      fail(ExitCode::io, "cannot copy {}: {}", collected.files[i].string(), ec.message());
    }
    fs::permissions(staging / e.name, fs::perms(0755), ec);
    checksum_file += e.name + ":" + e.bsum + "\n";
  }
  write_file_atomic(staging / "CHECKSUM", checksum_file);
  std::string license_text = info.license_text;
  if (license_text.empty() && info.license) {
    license_text = "SPDX-License-Identifier: " + *info.license + "\n";
  }
  write_file_atomic(staging / "LICENSE", license_text);
  const std::string build_date = format_rfc3339(now_micros());
  for (const auto &e : result.executables) {
    SoarInputs in;
    in.crate = ctx.src.name;
    in.version = ctx.src.version;
    in.exe = e.name;
    in.host = target.host;
    in.provides = names;
    in.bsum = e.bsum;
    in.shasum = e.shasum;
    in.size = e.size;
    in.license = info.license;
    if (ctx.src.queued) {
      const auto &q = *ctx.src.queued;
      in.description = q.description;
      in.homepage = q.homepage;
      in.repository = q.repository;
      in.keywords = q.keywords;
      in.categories = q.categories;
      in.rank = q.rank;
      in.downloads = q.downloads;
    }
    in.build_date = build_date;
    in.has_sbom = !e.sbom.empty();
    in.has_provenance = !e.provenance.empty();
    fill_github_build_info(in);
    write_file_atomic(staging / (e.name + ".json"), soar_record(in, ctx.req.naming).dump(2) + "\n");
    write_file_atomic(staging / (e.name + ".version"), ctx.src.version + "\n");
  }
}

} // namespace forge
