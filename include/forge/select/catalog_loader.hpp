// Why: one pass over the dump builds the catalog; this is where table and column names meet the model.
#pragma once
#include "forge/dump/tar_scan.hpp"
#include "forge/select/catalog.hpp"

#include <string>
#include <vector>

namespace forge {

struct LoadStats {
  dump::ScanStats scan;
  std::vector<std::string> tables; // entries read, in order
};

// Reads the gzip tar dump at `path` (`label` names it in errors) into a catalog. Tables are found by exact
// basename under `<top>/data/`, columns by header name; unknown files and columns are ignored. Stops reading
// once every needed table is in. Versions published before `since` (microseconds since the epoch) or yanked
// keep only the flags the funnel needs. Throws Error(archive|data|io) naming the file, entry and line.
Catalog load_catalog(const std::string &path, const std::string &label, int64_t since,
                     LoadStats *stats = nullptr);

// The floor of load_catalog's time: inflates and walks the same tar entries and stops at the same point, but
// parses nothing (bench/ingest.sh). Throws like load_catalog for a bad archive.
LoadStats scan_catalog_tables(const std::string &path, const std::string &label);

} // namespace forge
