// Why: CsvReader is the ingest hot path; this measures its MB/s on ~500 MB of crates.csv-shaped data.
// Build from the repository root (standalone: the parser is compiled in):
//   g++ -std=c++20 -O2 -DNDEBUG -I include bench/csv_throughput.cpp -lfmt -o /tmp/csv_throughput
// Run: /tmp/csv_throughput [megabytes=500] [chunk_kib=64] [repetitions=3] [fraction of READMEs with `""`]
// (without the last argument both 0 and 0.3 are measured).
#include "../src/dump/csv.cpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

namespace {

const char *const words[] = {"the",       "crate",  "serde", "async",  "runtime",
                             "fn",        "main()", "let",   "mut",    "Result",
                             "impl",      "struct", "use",   "tokio",  "cargo",
                             "build",     "##",     "-",     "[docs]", "(https://docs.rs/x)",
                             "`Vec<u8>`", "{",      "}",     "=>",     "0.1.0",
                             "license"};

// A README-like field: markdown lines of 20-100 characters, ~3 KB on average (0.5-6 KB), optionally with
// quotes (which the CSV doubles).
std::string make_readme(std::mt19937_64 &rng, bool with_quotes) {
  std::uniform_int_distribution<size_t> size_dist(500, 5'500);
  std::uniform_int_distribution<size_t> word_dist(0, std::size(words) - 1);
  std::uniform_int_distribution<int> line_dist(20, 100);
  const size_t target = size_dist(rng);
  std::string out;
  while (out.size() < target) {
    const int line_len = line_dist(rng);
    const size_t line_start = out.size();
    while (out.size() - line_start < static_cast<size_t>(line_len)) {
      const size_t w = word_dist(rng);
      if (with_quotes && w == 3) {
        out += "\"\"async\"\"";
      } else {
        out += words[w];
      }
      out += ' ';
    }
    out += '\n';
  }
  return out;
}

std::string make_table(size_t bytes, double quoted_fraction) {
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> unit(0, 1);
  std::string out =
      "created_at,description,documentation,homepage,id,max_features,max_upload_size,name,readme,"
      "repository,trustpub_only,updated_at\n";
  out.reserve(bytes + 16'384);
  uint64_t id = 1;
  while (out.size() < bytes) {
    const std::string name = "crate-" + std::to_string(id * 7919 % 1'000'003);
    out += "2017-01-17 19:13:05.112025+00,\"A fast, small crate for ";
    out += name;
    out += "\",https://docs.rs/";
    out += name;
    out += ",,";
    out += std::to_string(id);
    out += ",,,";
    out += name;
    out += ",\"";
    out += make_readme(rng, unit(rng) < quoted_fraction);
    out += "\",https://github.com/someone/";
    out += name;
    out += ",f,2024-03-01 10:00:00.5+00\n";
    ++id;
  }
  return out;
}

double run(const std::string &data, size_t chunk, uint64_t &records, uint64_t &checksum) {
  uint64_t sum = 0;
  forge::dump::CsvReader reader("bench.csv", nullptr, [&](const forge::dump::Record &r) {
    for (size_t i = 0; i < r.size(); ++i)
      sum += r[i].text.size() + (r[i].null ? 1 : 0);
  });
  const auto t0 = std::chrono::steady_clock::now();
  for (size_t pos = 0; pos < data.size(); pos += chunk)
    reader.feed(std::string_view(data).substr(pos, chunk));
  reader.finish();
  const auto t1 = std::chrono::steady_clock::now();
  records = reader.records();
  checksum = sum;
  return std::chrono::duration<double>(t1 - t0).count();
}

} // namespace

int main(int argc, char **argv) {
  const size_t megabytes = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 500;
  const size_t chunk = (argc > 2 ? std::strtoul(argv[2], nullptr, 10) : 64) * 1024;
  const int repetitions = argc > 3 ? std::atoi(argv[3]) : 3;
  std::vector<double> fractions = {0.0, 0.3};
  if (argc > 4)
    fractions = {std::atof(argv[4])};
  for (const double quoted : fractions) {
    const std::string data = make_table(megabytes * 1'000'000, quoted);
    for (int rep = 0; rep < repetitions; ++rep) {
      uint64_t records = 0, checksum = 0;
      const double seconds = run(data, chunk, records, checksum);
      std::printf(
          "readmes with \"\" %3.0f%%  chunk %zu KiB  %.1f MB  %llu records  %.3f s  %.0f MB/s  (sum %llu)\n",
          quoted * 100, chunk / 1024, static_cast<double>(data.size()) / 1e6,
          static_cast<unsigned long long>(records), seconds, static_cast<double>(data.size()) / 1e6 / seconds,
          static_cast<unsigned long long>(checksum));
    }
  }
  return 0;
}
