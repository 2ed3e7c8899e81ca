// Why: merge is where shards meet the long-lived index: the rules (newer replaces older, nothing drops out,
// the same shard twice changes nothing, shards of another queue are refused) and the libgit2 commit.
#include "forge/ship/merge.hpp"
#include "run_fixtures.hpp"

#include "forge/run/aggregates.hpp"
#include "forge/ship/git_commit.hpp"
#include "forge/util/error.hpp"

#include <git2.h>
#include <gtest/gtest.h>

namespace forge {
namespace {
using namespace test_run;
namespace fs = std::filesystem;

// A run directory as `forge run` leaves it: journal, per-exe soar records, run.json.
void make_shard(const fs::path &dir, const std::vector<JournalEntry> &entries, const std::string &queue_sha) {
  fs::create_directories(dir);
  {
    JournalWriter w(dir / kJournalFile);
    for (const auto &e : entries) {
      w.append(e);
      for (const auto &exe : e.executables) {
        const nlohmann::ordered_json rec{{"pkg_id", "pkgforge-cargo." + e.crate + ".stable"},
                                         {"pkg_name", exe},
                                         {"version", e.version},
                                         {"build_date", e.finished_at}};
        spit(dir / e.host / e.crate / e.version / (exe + ".json"), rec.dump());
      }
    }
  }
  RunInfo info;
  info.queue.sha256 = queue_sha;
  info.queue.generated_at = "2025-06-01T00:00:00Z";
  info.queue.crates = 3;
  info.state = "complete";
  write_run_info(dir, info);
}

std::map<std::string, std::string> files_of(const fs::path &dir) {
  std::map<std::string, std::string> out;
  for (const auto &e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) {
      out[fs::relative(e.path(), dir).string()] = slurp(e.path());
    }
  }
  return out;
}

class ShipMerge : public ::testing::Test {
protected:
  TempDir dir{"merge"};
  fs::path shard(const std::string &name) { return dir.path() / name; }
  fs::path out() { return dir.path() / "index"; }
};

TEST_F(ShipMerge, FoldsShardsIntoTheAggregatesIdempotently) {
  make_shard(shard("s1"), {entry("a", "1.0.0", "built"), entry("b", "1.0.0", "failed")}, "q1");
  make_shard(shard("s2"), {entry("c", "2.0.0", "built")}, "q1");
  MergeRequest req;
  req.shards = {shard("s1"), shard("s2")};
  req.out = out();
  const MergeResult r = merge_shards(req);
  EXPECT_EQ(r.shards, 2u);
  EXPECT_EQ(r.built, 2u);
  EXPECT_EQ(r.failed, 1u);
  EXPECT_EQ(r.new_entries, 3u);
  EXPECT_EQ(r.records, 2u);
  EXPECT_EQ(r.index_crates, 3u);
  const auto first = files_of(out());
  for (const char *f :
       {"CRATES_BUILT.json", "report.json", "retry.txt", "journal.ndjson", "metadata/x86_64-Linux.json"}) {
    EXPECT_EQ(first.count(f), 1u) << f;
  }
  EXPECT_NE(first.at("retry.txt").find("b@1.0.0 x86_64-unknown-linux-musl compile-error"), std::string::npos);
  req.shards = {shard("s2"), shard("s1"), shard("s1")};
  const MergeResult again = merge_shards(req);
  EXPECT_EQ(again.new_entries, 0u);
  EXPECT_EQ(files_of(out()), first) << "merging the same shards again (any order) changes nothing";
}

TEST_F(ShipMerge, NewerVersionReplacesOlderAndNothingDropsOut) {
  JournalEntry old_a = entry("a", "1.0.0", "built", "2025-06-01T00:00:00Z");
  old_a.executables = {"a", "a-helper"};
  make_shard(shard("week1"), {old_a, entry("b", "1.0.0", "built", "2025-06-01T00:00:00Z")}, "q1");
  make_shard(shard("week2"), {entry("a", "1.1.0", "built", "2025-06-08T00:00:00Z")}, "q2");
  MergeRequest req;
  req.out = out();
  req.shards = {shard("week1")};
  merge_shards(req);
  req.shards = {shard("week2")}; // a later merge, from a later queue
  merge_shards(req);
  const HostMetadata m = read_host_metadata(out() / "metadata/x86_64-Linux.json");
  std::vector<std::string> got;
  for (const auto &[k, r] : m.records) {
    got.push_back(r["pkg_name"].get<std::string>() + "=" + r["version"].get<std::string>());
  }
  EXPECT_EQ(got, (std::vector<std::string>{"a=1.1.0", "a-helper=1.0.0", "b=1.0.0"}));
  EXPECT_EQ(read_crates_built(out() / "CRATES_BUILT.json").crates.at("a").version, "1.1.0");
}

TEST_F(ShipMerge, RefusesShardsOfDifferentQueues) {
  make_shard(shard("s1"), {entry("a", "1.0.0", "built")}, "q1");
  make_shard(shard("s2"), {entry("c", "2.0.0", "built")}, "q2");
  MergeRequest req;
  req.shards = {shard("s1"), shard("s2")};
  req.out = out();
  try {
    merge_shards(req);
    FAIL();
  } catch (const Error &e) {
    EXPECT_EQ(e.code(), ExitCode::data);
    EXPECT_NE(std::string(e.what()).find("different queue"), std::string::npos);
  }
  EXPECT_FALSE(fs::exists(out() / "CRATES_BUILT.json")) << "nothing written";
  fs::create_directories(shard("empty"));
  req.shards = {shard("empty")};
  EXPECT_THROW(merge_shards(req), Error);
  req.shards = {};
  EXPECT_THROW(merge_shards(req), Error);
}

class GitRepo {
public:
  explicit GitRepo(const fs::path &path) {
    git_libgit2_init();
    git_repository *repo = nullptr;
    EXPECT_EQ(git_repository_init(&repo, path.c_str(), 1), 0);
    git_repository_free(repo);
  }
  ~GitRepo() { git_libgit2_shutdown(); }
  GitRepo(const GitRepo &) = delete;
  GitRepo &operator=(const GitRepo &) = delete;
};

TEST_F(ShipMerge, CommitsToABranchOfABareRepositoryWithoutACheckout) {
  const fs::path repo = dir.path() / "index.git";
  GitRepo init(repo);
  GitCommitRequest readme;
  readme.repo = repo;
  readme.branch = "forge-index";
  readme.files = {{"README.md", "the index\n"}};
  readme.message = "start";
  readme.author = "Someone <someone@example.com>";
  const GitCommitResult start = commit_files(readme);
  EXPECT_TRUE(start.committed);
  EXPECT_TRUE(start.parent.empty());

  make_shard(shard("s1"), {entry("a", "1.0.0", "built"), entry("b", "1.0.0", "failed")}, "q1");
  MergeRequest req;
  req.shards = {shard("s1")};
  req.out = out();
  req.git_repo = repo;
  req.branch = "forge-index";
  const MergeResult r = merge_shards(req);
  EXPECT_TRUE(r.committed);
  EXPECT_EQ(r.message.substr(0, r.message.find('\n')),
            "forge merge: 1 shard(s), 2 job(s) (1 built, 1 failed)");
  auto files = read_branch_files(repo, "forge-index", "metadata", {"CRATES_BUILT.json", "README.md", "nope"});
  EXPECT_EQ(files.at("README.md"), "the index\n") << "other files of the branch are kept";
  EXPECT_EQ(files.at("CRATES_BUILT.json"), slurp(out() / "CRATES_BUILT.json"));
  EXPECT_EQ(files.at("metadata/x86_64-Linux.json"), slurp(out() / "metadata/x86_64-Linux.json"));
  EXPECT_EQ(files.count("nope"), 0u);

  const MergeResult same = merge_shards(req);
  EXPECT_FALSE(same.committed) << "no empty commit";
  EXPECT_EQ(same.commit, r.commit);

  // A merge job with an empty --out still keeps everything the branch had.
  make_shard(shard("s2"), {entry("c", "1.0.0", "built")}, "q1");
  req.shards = {shard("s2")};
  req.out = dir.path() / "fresh";
  const MergeResult more = merge_shards(req);
  EXPECT_TRUE(more.committed);
  EXPECT_EQ(more.index_crates, 3u) << "a and b come from the branch";
  files = read_branch_files(repo, "forge-index", "", {});
  EXPECT_EQ(files.count("CRATES_BUILT.json"), 1u);
  EXPECT_EQ(read_crates_built(dir.path() / "fresh/CRATES_BUILT.json").crates.size(), 3u);
}

TEST(ShipGit, ErrorsNameTheRepository) {
  TempDir dir("git");
  GitCommitRequest req;
  req.repo = dir.path() / "not-a-repo";
  req.branch = "x";
  try {
    commit_files(req);
    FAIL();
  } catch (const Error &e) {
    EXPECT_EQ(e.code(), ExitCode::io);
    EXPECT_NE(std::string(e.what()).find("not-a-repo"), std::string::npos);
  }
  EXPECT_EQ(parse_author("A B <a@b.c>"), (std::pair<std::string, std::string>{"A B", "a@b.c"}));
  EXPECT_THROW(parse_author("nobody"), Error);
  EXPECT_THROW(parse_author("<a@b>"), Error);
}

} // namespace
} // namespace forge
