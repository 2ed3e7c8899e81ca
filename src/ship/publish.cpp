// Why: a tag is what soar installs, so it is written last: every blob is uploaded (or found) and verified
// first, then the manifest, which is read back and its bsum compared, as the original pipeline checked.
#include "forge/ship/publish.hpp"

#include "forge/util/fs.hpp"
#include "forge/util/json_read.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <ctime>
#include <exception>
#include <map>
#include <mutex>
#include <thread>

namespace forge {
namespace {

namespace fs = std::filesystem;
using nlohmann::ordered_json;

std::string utc_now() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  std::array<char, 32> buf{};
  return std::string(buf.data(), std::strftime(buf.data(), buf.size(), "%Y-%m-%dT%H:%M:%SZ", &tm));
}

std::string label(const PublishItem &item) {
  return fmt::format("{} {} [{}] {}", item.crate, item.version, item.host, item.exe);
}

struct Pushed {
  std::string digest;
  ordered_json record;
  size_t uploaded = 0;
  size_t blobs = 0;
};

// Reads the manifest back and checks it is the one pushed, naming this executable.
void verify_manifest(OciClient &client, const PublishItem &item, const std::string &digest,
                     const Blob &binary) {
  const std::string back = client.get_manifest(item.repository, item.tag);
  const std::string where = fmt::format("{}/{}:{}", client.endpoint().host, item.repository, item.tag);
  if (sha256_digest(back) != digest) {
    fail(ExitCode::registry, "the manifest read back from {} is {}, not the {} pushed", where,
         sha256_digest(back), digest);
  }
  ordered_json manifest;
  try {
    manifest = ordered_json::parse(back);
  } catch (const nlohmann::json::exception &) {
    fail(ExitCode::registry, "the manifest read back from {} is not JSON", where);
  }
  const std::string bsum = string_at_pointer_or(manifest, "/annotations/dev.pkgforge.soar.bsum"_json_pointer);
  if (bsum != item.bsum) {
    fail(ExitCode::registry, "the manifest read back from {} has bsum '{}', expected {}", where, bsum,
         item.bsum);
  }
  bool titled = false;
  const auto layers = manifest.is_object() ? manifest.find("layers") : manifest.end();
  for (const auto &layer : layers != manifest.end() && layers->is_array() ? *layers : ordered_json::array()) {
    if (string_at_pointer_or(layer, "/annotations/org.opencontainers.image.title"_json_pointer) == item.exe &&
        string_or(layer, "digest") == binary.digest) {
      titled = true;
    }
  }
  if (!titled) {
    fail(ExitCode::registry, "the manifest read back from {} has no layer titled {} with digest {}", where,
         item.exe, binary.digest);
  }
}

// Two workers pushing the same blob at once (a LICENSE shared by a crate's executables, the empty config)
// race inside the registry: Debian's docker-registry once refused the next manifest with DIGEST_INVALID.
// One push per digest at a time; the second then finds the blob with HEAD.
class BlobLocks {
public:
  std::unique_lock<std::mutex> lock(const std::string &digest) {
    std::mutex *m = nullptr;
    {
      const std::lock_guard guard(guard_);
      m = &locks_[digest]; // std::map nodes stay put
    }
    return std::unique_lock<std::mutex>(*m);
  }

private:
  std::mutex guard_;
  std::map<std::string, std::mutex> locks_;
};

Pushed publish_one(OciClient &client, const PublishRequest &req, const PublishItem &item, BlobLocks &locks) {
  Pushed out;
  out.record = item.record;
  retarget_record(out.record, item, client.endpoint(), req.name_space, client.list_tags(item.repository));
  const Blob config = empty_config_blob();
  std::vector<Blob> layers{item.files[0], item.files[1],
                           item.files[2], memory_blob(out.record.dump(2) + "\n", item.exe + ".json"),
                           item.files[3], item.files[4]};
  layers.insert(layers.end(), item.attachments.begin(), item.attachments.end());
  out.blobs = layers.size() + 1;
  std::vector<const Blob *> blobs{&config};
  for (const auto &layer : layers) {
    blobs.push_back(&layer);
  }
  for (const Blob *blob : blobs) {
    const auto held = locks.lock(blob->digest);
    out.uploaded += client.push_blob(item.repository, *blob) ? 1 : 0;
  }
  // Every blob is now verified present: only now may the tag name them.
  const std::string manifest = build_manifest(config, layers, manifest_annotations(out.record, req.source));
  out.digest = client.put_manifest(item.repository, item.tag, manifest);
  verify_manifest(client, item, out.digest, layers[0]);
  return out;
}

// <dir>/publish.json: where each executable of this build went, merged with earlier publishes.
void record_publish(const PublishItem &item, const RegistryEndpoint &endpoint, const std::string &digest) {
  const fs::path path = item.dir / "publish.json";
  ordered_json doc;
  std::error_code ec;
  if (fs::is_regular_file(path, ec)) {
    try {
      doc = ordered_json::parse(read_file(path));
    } catch (const nlohmann::json::exception &) {
      doc = ordered_json();
    }
  }
  if (!doc.is_object() || doc.value("format", "") != kPublishFormat || !doc["executables"].is_array()) {
    doc = ordered_json{{"format", kPublishFormat}, {"executables", ordered_json::array()}};
  }
  ordered_json entry{{"name", item.exe},
                     {"registry", endpoint.host},
                     {"repository", item.repository},
                     {"tag", item.tag},
                     {"reference", endpoint.host + "/" + item.repository + ":" + item.tag},
                     {"digest", digest},
                     {"published_at", utc_now()}};
  auto &exes = doc["executables"];
  bool replaced = false;
  for (auto &e : exes) {
    if (e.value("name", "") == item.exe && e.value("registry", "") == endpoint.host) {
      e = entry;
      replaced = true;
    }
  }
  if (!replaced) {
    exes.push_back(entry);
  }
  write_file_atomic(path, doc.dump(2) + "\n");
}

// Puts the published records into <out>/metadata/<host>.json (written by `forge run`) when it exists, so
// the repository index carries the same snapshots as the artifacts.
void update_aggregates(const fs::path &out, const std::map<std::string, std::vector<ordered_json>> &by_host) {
  for (const auto &[host, records] : by_host) {
    const fs::path path = out / "metadata" / (host + ".json");
    std::error_code ec;
    if (records.empty() || !fs::is_regular_file(path, ec)) {
      continue;
    }
    ordered_json all;
    try {
      all = ordered_json::parse(read_file(path));
    } catch (const nlohmann::json::exception &) {
      spdlog::warn("{} is not JSON: its snapshots were not updated", path.string());
      continue;
    }
    if (!all.is_array()) {
      continue;
    }
    bool changed = false;
    for (auto &entry : all) {
      for (const auto &r : records) {
        if (entry.is_object() && entry.value("pkg_id", "") == r.value("pkg_id", "") &&
            entry.value("pkg_name", "") == r.value("pkg_name", "") &&
            entry.value("version", "") == r.value("version", "") && entry != r) {
          entry = r;
          changed = true;
        }
      }
    }
    if (changed) {
      write_file_atomic(path, all.dump(2) + "\n");
    }
  }
}

void print_plan(const PublishRequest &req, const std::vector<PublishItem> &items,
                const std::function<void(const std::string &)> &say) {
  const std::string registry = req.client.endpoint.host;
  for (const auto &item : items) {
    say(fmt::format("would publish {} -> {}/{}:{}", label(item), registry, item.repository, item.tag));
    const auto row = [&say](const std::string &title, const std::string &size, const std::string &digest) {
      say(fmt::format("  {:<32} {:>12}  {}", title, size, digest));
    };
    row(item.files[0].title, std::to_string(item.files[0].size), item.files[0].digest);
    row(item.files[1].title, std::to_string(item.files[1].size), item.files[1].digest);
    row(item.files[2].title, std::to_string(item.files[2].size), item.files[2].digest);
    row(item.exe + ".json", "-", "(the record, with snapshots from the registry's tags)");
    row(item.files[3].title, std::to_string(item.files[3].size), item.files[3].digest);
    row(item.files[4].title, std::to_string(item.files[4].size), item.files[4].digest);
    for (const auto &a : item.attachments) {
      row(a.title, std::to_string(a.size), a.digest + " " + a.media_type);
    }
    const Blob config = empty_config_blob();
    row("(config)", std::to_string(config.size), config.digest + " " + config.media_type);
  }
  say(fmt::format("dry run: {} executable{} would be published to {}; nothing was sent", items.size(),
                  items.size() == 1 ? "" : "s", registry));
}

// The shared state of the workers: which item is next, what was published, the first fatal error.
struct Workers {
  Workers(const PublishRequest &r, const std::vector<PublishItem> &i,
          const std::function<void(const std::string &)> &s)
      : req(r), items(i), say(s) {}

  const PublishRequest &req;
  const std::vector<PublishItem> &items;
  const std::function<void(const std::string &)> &say;
  std::atomic<size_t> next{0};
  std::atomic<bool> stop{false};
  BlobLocks blob_locks;
  std::mutex mutex; // guards everything below, the out dir's files and `say`
  PublishOutcome outcome;
  std::map<std::string, std::vector<ordered_json>> by_host;
  std::exception_ptr fatal;

  void give_up(std::exception_ptr error) {
    if (!fatal) {
      fatal = std::move(error);
    }
    stop = true;
  }

  void add_stats(const OciStats &s) {
    outcome.stats.blobs_uploaded += s.blobs_uploaded;
    outcome.stats.blobs_present += s.blobs_present;
    outcome.stats.bytes_uploaded += s.bytes_uploaded;
    outcome.stats.chunked_uploads += s.chunked_uploads;
    outcome.stats.restarted_uploads += s.restarted_uploads;
    outcome.stats.resumed_chunks += s.resumed_chunks;
  }

  void publish(OciClient &client, const PublishItem &item) {
    try {
      const Pushed pushed = publish_one(client, req, item, blob_locks);
      const std::string text = pushed.record.dump(2) + "\n";
      const fs::path record_path = item.dir / (item.exe + ".json");
      const std::lock_guard lock(mutex);
      if (read_file(record_path) != text) {
        write_file_atomic(record_path, text);
      }
      record_publish(item, client.endpoint(), pushed.digest);
      by_host[item.host].push_back(pushed.record);
      ++outcome.published;
      say(fmt::format("published {} -> {}/{}:{} ({}; {} of {} blobs uploaded)", label(item),
                      client.endpoint().host, item.repository, item.tag, pushed.digest, pushed.uploaded,
                      pushed.blobs));
    } catch (const Error &e) {
      const std::lock_guard lock(mutex);
      if (e.code() != ExitCode::network) {
        give_up(std::current_exception()); // the registry refused or a local file failed: so would the rest
        return;
      }
      spdlog::warn("{}: not published: {}", label(item), e.what());
      if (outcome.failures.empty()) {
        outcome.code = e.code();
      }
      outcome.failures.push_back(label(item) + ": " + e.what());
    }
  }

  void run() {
    try {
      OciClient client(req.client);
      for (size_t i = next++; i < items.size() && !stop; i = next++) {
        publish(client, items[i]);
      }
      const std::lock_guard lock(mutex);
      add_stats(client.stats());
    } catch (...) {
      const std::lock_guard lock(mutex);
      give_up(std::current_exception());
    }
  }
};

} // namespace

PublishOutcome run_publish(const PublishRequest &req, const std::function<void(const std::string &)> &say) {
  const std::vector<PublishItem> items = plan_publish(req);
  PublishOutcome empty;
  empty.planned = items.size();
  if (items.empty()) {
    say(fmt::format("nothing to publish: no built static executables in {}", req.out.string()));
    return empty;
  }
  if (req.dry_run) {
    print_plan(req, items, say);
    return empty;
  }
  Workers w{req, items, say};
  w.outcome.planned = items.size();
  // Each worker has its own connection and tokens: with a distant registry, latency is the limit.
  const size_t jobs = std::clamp<size_t>(static_cast<size_t>(std::max(req.jobs, 1)), 1, items.size());
  std::vector<std::thread> threads;
  for (size_t j = 1; j < jobs; ++j) {
    threads.emplace_back([&w] { w.run(); });
  }
  w.run();
  for (auto &t : threads) {
    t.join();
  }
  update_aggregates(req.out, w.by_host);
  if (w.fatal) {
    std::rethrow_exception(w.fatal);
  }
  return std::move(w.outcome);
}

} // namespace forge
