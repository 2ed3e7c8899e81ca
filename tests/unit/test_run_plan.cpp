// Why: matrix and every shard must compute the same plan, and the plan must never skip what still needs
// building; these are the rules, with the shard balance they promise.
#include "forge/run/plan.hpp"
#include "run_fixtures.hpp"

#include "forge/util/error.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

namespace forge {
namespace {
using namespace test_run;

std::vector<std::string> ids(const std::vector<PlannedJob> &jobs) {
  std::vector<std::string> out;
  for (const auto &j : jobs) {
    out.push_back(j.id());
  }
  return out;
}

PlanOptions two_targets() {
  PlanOptions o;
  o.targets = {musl(), arm()};
  return o;
}

TEST(RunPlan, QueueOrderTimesTargetsWithOnlyAndLimit) {
  const Queue q = queue_of({{"a", "1.0.0"}, {"b", "2.0.0"}, {"c", "3.0.0"}});
  auto o = two_targets();
  EXPECT_EQ(
      ids(plan_jobs(q, nullptr, o)),
      (std::vector<std::string>{"a@1.0.0 x86_64-unknown-linux-musl", "a@1.0.0 aarch64-unknown-linux-musl",
                                "b@2.0.0 x86_64-unknown-linux-musl", "b@2.0.0 aarch64-unknown-linux-musl",
                                "c@3.0.0 x86_64-unknown-linux-musl", "c@3.0.0 aarch64-unknown-linux-musl"}));
  o.only = {"c", "a"};
  o.limit = 1;
  EXPECT_EQ(ids(plan_jobs(q, nullptr, o)), (std::vector<std::string>{"a@1.0.0 x86_64-unknown-linux-musl",
                                                                     "a@1.0.0 aarch64-unknown-linux-musl"}));
  EXPECT_EQ(plan_jobs(q, nullptr, o).front().expected_s, 120) << "the default duration";
  EXPECT_FALSE(plan_jobs(q, nullptr, o).front().duration_known);
}

TEST(RunPlan, BuiltIndexSkipsOnlyWhatIsDone) {
  CratesBuilt built;
  merge_entry(built, entry("same", "1.0.0", "built"));                           // done
  merge_entry(built, entry("older", "0.9.0", "built"));                          // queue has 1.0.0: rebuild
  merge_entry(built, entry("flaky", "1.0.0", "failed", "t", musl(), "timeout")); // spurious: retry
  merge_entry(built, entry("broken", "1.0.0", "failed"));                        // compile-error: final
  merge_entry(built, entry("newer", "2.0.0", "built"));                          // the queue went back: skip
  EXPECT_FALSE(needs_building(built, "same", "1.0.0", musl().triple));
  EXPECT_TRUE(needs_building(built, "same", "1.0.0", arm().triple)) << "another target is not done";
  EXPECT_TRUE(needs_building(built, "older", "1.0.0", musl().triple));
  EXPECT_TRUE(needs_building(built, "flaky", "1.0.0", musl().triple));
  EXPECT_FALSE(needs_building(built, "broken", "1.0.0", musl().triple));
  EXPECT_FALSE(needs_building(built, "newer", "1.0.0", musl().triple));
  EXPECT_TRUE(needs_building(built, "never", "1.0.0", musl().triple));

  const Queue q = queue_of({{"same", "1.0.0"},
                            {"older", "1.0.0"},
                            {"flaky", "1.0.0"},
                            {"broken", "1.0.0"},
                            {"newer", "1.0.0"},
                            {"never", "1.0.0"}});
  PlanOptions o;
  o.targets = {musl()};
  const auto jobs = plan_jobs(q, &built, o);
  EXPECT_EQ(ids(jobs), (std::vector<std::string>{"older@1.0.0 x86_64-unknown-linux-musl",
                                                 "flaky@1.0.0 x86_64-unknown-linux-musl",
                                                 "never@1.0.0 x86_64-unknown-linux-musl"}));
  EXPECT_TRUE(jobs[0].duration_known) << "the older version's duration counts";
  EXPECT_EQ(jobs[0].expected_s, 10);
  EXPECT_FALSE(jobs[2].duration_known);
}

TEST(RunPlan, ParseShard) {
  EXPECT_EQ(parse_shard("2/8").index, 2);
  EXPECT_EQ(parse_shard("2/8").count, 8);
  EXPECT_EQ(parse_shard("1/1").count, 1);
  for (const char *bad : {"0/3", "4/3", "3", "a/3", "1/b", "1/3x", "-1/3", "1/0", ""}) {
    try {
      parse_shard(bad);
      ADD_FAILURE() << bad;
    } catch (const Error &e) {
      EXPECT_EQ(e.code(), ExitCode::usage) << bad;
    }
  }
}

TEST(RunPlan, ShardsAreBalancedDeterministicAndKeepCratesWhole) {
  std::vector<PlannedJob> jobs;
  const std::map<std::string, double> loads{{"a", 100}, {"b", 90}, {"c", 50},
                                            {"d", 40},  {"e", 30}, {"f", 20}};
  for (const auto &[name, load] : loads) {
    jobs.push_back(planned(name, load / 2, musl()));
    jobs.push_back(planned(name, load / 2, arm()));
  }
  const auto shards = split_shards(jobs, 2);
  ASSERT_EQ(shards.size(), 2u);
  // LPT: a->1, b->2, c->2, d->1, e->1 (tie goes to the lower index), f->2
  EXPECT_DOUBLE_EQ(shards[0].expected_s, 170);
  EXPECT_DOUBLE_EQ(shards[1].expected_s, 160);
  EXPECT_EQ(shards[0].crates, 3u);
  std::set<std::string> seen;
  for (std::size_t s = 0; s < shards.size(); ++s) {
    std::set<std::string> crates;
    for (const auto &j : shards[s].jobs) {
      EXPECT_TRUE(seen.insert(j.id()).second) << "every job in exactly one shard";
      crates.insert(j.crate);
    }
    for (const auto &c : crates) {
      EXPECT_EQ(std::count_if(shards[s].jobs.begin(), shards[s].jobs.end(),
                              [&](const PlannedJob &j) { return j.crate == c; }),
                2)
          << c << ": a crate's targets stay together";
    }
  }
  EXPECT_EQ(seen.size(), jobs.size());
  EXPECT_EQ(ids(split_shards(jobs, 2)[1].jobs), ids(shards[1].jobs)) << "deterministic";
  EXPECT_EQ(ids(shards[0].jobs).front(), "a@1.0.0 x86_64-unknown-linux-musl") << "plan order within a shard";
}

TEST(RunPlan, EqualLoadsSplitEvenlyAndMoreShardsThanCratesLeavesSomeEmpty) {
  std::vector<PlannedJob> jobs;
  for (const char *c : {"a", "b", "c", "d", "e", "f"}) {
    jobs.push_back(planned(c));
  }
  for (const auto &s : split_shards(jobs, 3)) {
    EXPECT_EQ(s.jobs.size(), 2u);
  }
  const auto many = split_shards(jobs, 8);
  EXPECT_EQ(std::count_if(many.begin(), many.end(), [](const Shard &s) { return s.jobs.empty(); }), 2);
  EXPECT_THROW(split_shards(jobs, 0), Error);
}

TEST(RunPlan, AutoShardCount) {
  std::vector<PlannedJob> jobs;
  for (int i = 0; i < 100; ++i) {
    jobs.push_back(planned("c" + std::to_string(i), 120));
  }
  EXPECT_EQ(auto_shard_count({}, 256, 3600), 0);
  EXPECT_EQ(auto_shard_count(jobs, 256, 3600), 4); // 12000 s of work, 1 h per shard
  EXPECT_EQ(auto_shard_count(jobs, 3, 3600), 3);   // capped by --max-jobs
  EXPECT_EQ(auto_shard_count(jobs, 256, 1), 100);  // at most one shard per crate
  EXPECT_EQ(auto_shard_count(jobs, 256, 1e9), 1);
}

TEST(RunPlan, FingerprintNamesTheJobList) {
  const std::vector<PlannedJob> a{planned("a"), planned("b")};
  const std::vector<PlannedJob> b{planned("a"), planned("c")};
  EXPECT_EQ(plan_fingerprint(a).size(), 12u);
  EXPECT_EQ(plan_fingerprint(a), plan_fingerprint(std::vector<PlannedJob>{planned("a", 5), planned("b", 7)}));
  EXPECT_NE(plan_fingerprint(a), plan_fingerprint(b));
}

TEST(RunPlan, RemainingJobsResumeAndRetryFailed) {
  const std::vector<PlannedJob> jobs{planned("done"), planned("failed"), planned("retrying"),
                                     planned("never")};
  JournalReplay j;
  auto put = [&j](JournalEntry e) {
    j.last[e.id()] = e;
    j.entries.push_back(e);
  };
  put(entry("done", "1.0.0", "built"));
  put(entry("failed", "1.0.0", "failed"));
  JournalEntry r = entry("retrying", "1.0.0", "failed", "t", musl(), "timeout");
  r.retrying = true;
  put(r);
  std::vector<std::string> resume;
  for (const auto &x : remaining_jobs(jobs, j, false)) {
    resume.push_back(x.crate);
  }
  EXPECT_EQ(resume, (std::vector<std::string>{"retrying", "never"})) << "interrupted retries are redone";
  std::vector<std::string> retry;
  for (const auto &x : remaining_jobs(jobs, j, true)) {
    retry.push_back(x.crate);
  }
  EXPECT_EQ(retry, (std::vector<std::string>{"failed", "retrying"}));
}

TEST(RunPlan, LongestFirstUsesJournalDurations) {
  std::vector<PlannedJob> jobs{planned("a", 120), planned("b", 120), planned("c", 300), planned("d", 120)};
  JournalReplay j;
  JournalEntry slow = entry("d", "0.9.0", "built"); // an older version of d took long
  slow.duration_s = 900;
  j.entries.push_back(slow);
  JournalEntry quick = entry("a", "1.0.0", "failed");
  quick.duration_s = 2;
  j.entries.push_back(quick);
  order_longest_first(jobs, &j);
  std::vector<std::string> order;
  for (const auto &x : jobs) {
    order.push_back(x.crate);
  }
  EXPECT_EQ(order, (std::vector<std::string>{"d", "c", "b", "a"}));
}

} // namespace
} // namespace forge
