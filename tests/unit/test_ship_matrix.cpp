// Why: the matrix is read by GitHub Actions and by each shard's `forge run --expect-plan`; its shape and the
// $GITHUB_OUTPUT lines are an interface.
#include "forge/ship/matrix.hpp"
#include "run_fixtures.hpp"

#include <gtest/gtest.h>

#include <cstdlib>

namespace forge {
namespace {
using namespace test_run;

TEST(ShipMatrix, ShardsWithFingerprints) {
  std::vector<PlannedJob> jobs{planned("a", 300, musl()), planned("a", 300, arm()), planned("b", 200),
                               planned("c", 100)};
  const MatrixPlan plan = plan_matrix(jobs, 2, 256, 3600);
  const auto m = matrix_json(plan);
  ASSERT_EQ(m["include"].size(), 2u);
  EXPECT_EQ(m["include"][0]["shard"], "1/2");
  EXPECT_EQ(m["include"][0]["jobs"], 2);
  EXPECT_EQ(m["include"][0]["crates"], 1);
  EXPECT_EQ(m["include"][0]["expected_s"], 600);
  EXPECT_EQ(m["include"][1]["shard"], "2/2");
  EXPECT_EQ(m["include"][1]["expected_s"], 300);
  EXPECT_EQ(m["include"][0]["plan"], plan_fingerprint(split_shards(jobs, 2)[0].jobs))
      << "what forge run --shard 1/2 computes";
}

TEST(ShipMatrix, ShardCountRules) {
  std::vector<PlannedJob> jobs{planned("a"), planned("b")};
  EXPECT_EQ(plan_matrix(jobs, 5, 256, 3600).shards.size(), 2u) << "never more shards than crates";
  EXPECT_EQ(plan_matrix(jobs, 0, 256, 3600).shards.size(), 1u) << "auto: 240 s of work fits one shard";
  EXPECT_EQ(plan_matrix(jobs, 0, 256, 60).shards.size(), 2u);
  const MatrixPlan empty = plan_matrix({}, 3, 256, 3600);
  EXPECT_EQ(matrix_json(empty).dump(), R"({"include":[]})");
}

TEST(ShipMatrix, GithubOutputAppendsLines) {
  TempDir dir("matrix");
  const auto path = dir.path() / "github_output";
  spit(path, "earlier=1\n");
  ::setenv("GITHUB_OUTPUT", path.c_str(), 1);
  EXPECT_TRUE(write_github_output({{"matrix", R"({"include":[]})"}, {"jobs", "0"}}));
  ::unsetenv("GITHUB_OUTPUT");
  EXPECT_EQ(slurp(path), "earlier=1\nmatrix={\"include\":[]}\njobs=0\n");
  EXPECT_FALSE(write_github_output({{"x", "y"}}));
}

} // namespace
} // namespace forge
