// Why: `forge ingest` maps its flags onto IngestOptions and reports the funnel; the work is in queue/.
#include "cli/commands.hpp"
#include "cli/option_types.hpp"
#include "forge/queue/ingest.hpp"
#include "forge/util/progress.hpp"
#include "forge/util/term.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <memory>

namespace forge::cli {

void add_ingest(CLI::App &app, Action &action) {
  auto opts = std::make_shared<IngestOptions>();
  auto since = std::make_shared<std::string>();
  auto *cmd = app.add_subcommand("ingest",
                                 "Stream the crates.io db-dump into a build queue (queue.json, funnel.json)");
  cmd->add_option(
         "--dump", opts->dump,
         "Dump to read: a local .tar.gz, or an http(s) or file URL (downloaded into the cache, resumed, "
         "skipped when unchanged)")
      ->type_name("PATH|URL")
      ->capture_default_str();
  cmd->add_option("--since", *since,
                  "Keep crates whose default version was published on or after this day (default: January 1 "
                  "of the previous year, UTC)")
      ->type_name("YYYY-MM-DD");
  cmd->add_option("--out", opts->out, "Output directory for queue.json and funnel.json")
      ->type_name("DIR")
      ->capture_default_str();
  cmd->add_option("--download-attempts", opts->download_attempts, "Tries for a failing download")
      ->type_name("N")
      ->capture_default_str()
      ->check(whole_number(1));
  cmd->add_option("--download-backoff", opts->download_backoff_s,
                  "Seconds to wait after the first failed try (doubled each time)")
      ->type_name("SECONDS")
      ->capture_default_str()
      ->check(decimal_number(0));
  cmd->callback([&action, opts, since] {
    action = [opts, since] {
      if (!since->empty()) {
        opts->since = *since;
      }
      const IngestResult res = run_ingest(*opts);
      if (!ui().quiet()) {
        fmt::print("{}", render_funnel(res.selection.funnel, res.since, ui().color_out));
        fmt::print("\nWrote {} and {} ({} crates; dump {} read in {:.2f} s, {} inflated{})\n",
                   (opts->out / kQueueFile).string(), (opts->out / kFunnelFile).string(),
                   res.selection.crates.size(), res.dump_timestamp.empty() ? "?" : res.dump_timestamp,
                   res.seconds, human_bytes(static_cast<double>(res.uncompressed_bytes)),
                   res.stopped_early ? ", stopped before the tables it does not need" : "");
      }
      return 0;
    };
  });
}

} // namespace forge::cli
