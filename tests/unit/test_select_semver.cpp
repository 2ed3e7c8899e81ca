// Why: default-version selection relies on SemVer 2.0.0 precedence; the spec's own examples pin it down.
#include "forge/select/semver.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

using forge::compare_semver;
using forge::parse_semver;

int cmp(const char *a, const char *b) {
  const auto va = parse_semver(a);
  const auto vb = parse_semver(b);
  EXPECT_TRUE(va.has_value()) << a;
  EXPECT_TRUE(vb.has_value()) << b;
  if (!va || !vb)
    return 99;
  return compare_semver(*va, *vb);
}

TEST(Semver, ParsesParts) {
  const auto v = parse_semver("1.22.333-alpha.1.x-y+build.007.sha-1");
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(v->major, 1u);
  EXPECT_EQ(v->minor, 22u);
  EXPECT_EQ(v->patch, 333u);
  EXPECT_EQ(v->pre, (std::vector<std::string>{"alpha", "1", "x-y"}));
  EXPECT_EQ(v->build, "build.007.sha-1");
  EXPECT_TRUE(v->is_prerelease());

  const auto r = parse_semver("0.0.0");
  ASSERT_TRUE(r.has_value());
  EXPECT_FALSE(r->is_prerelease());
  EXPECT_TRUE(r->build.empty());

  const auto big = parse_semver("18446744073709551615.0.0");
  ASSERT_TRUE(big.has_value());
  EXPECT_EQ(big->major, UINT64_MAX);

  const auto dashy = parse_semver("1.0.0-x-y-z.--");
  ASSERT_TRUE(dashy.has_value());
  EXPECT_EQ(dashy->pre, (std::vector<std::string>{"x-y-z", "--"}));

  const auto build_only = parse_semver("1.0.0+20130313144700");
  ASSERT_TRUE(build_only.has_value());
  EXPECT_FALSE(build_only->is_prerelease());
  EXPECT_EQ(build_only->build, "20130313144700");
}

TEST(Semver, RejectsInvalid) {
  for (const char *bad : {"",
                          "1",
                          "1.0",
                          "v1.0.0",
                          "01.0.0",
                          "1.01.0",
                          "1.0.01",
                          "1.0.0.0",
                          "1..0",
                          "1.0.",
                          ".1.0",
                          "1.0.0-",
                          "1.0.0+",
                          "1.0.0-01",
                          "1.0.0-alpha..1",
                          "1.0.0-alpha.",
                          "1.0.0-al_pha",
                          "1.0.0+bu!ld",
                          "1.0.0+a..b",
                          " 1.0.0",
                          "1.0.0 ",
                          "1.0.0-a+",
                          "1.0.0++a",
                          "a.b.c",
                          "-1.0.0",
                          "1.-1.0",
                          "18446744073709551616.0.0",
                          "1.0.0-é",
                          "=1.0.0",
                          "^1.0.0"}) {
    EXPECT_FALSE(parse_semver(bad).has_value()) << bad;
  }
  // Leading zeros are allowed in build metadata and in alphanumeric pre-release identifiers.
  EXPECT_TRUE(parse_semver("1.0.0+001").has_value());
  EXPECT_TRUE(parse_semver("1.0.0-0a").has_value());
  EXPECT_TRUE(parse_semver("1.0.0-0").has_value());
}

TEST(Semver, SpecPrecedenceChain) {
  const std::vector<const char *> chain = {"1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta",
                                           "1.0.0-beta",  "1.0.0-beta.2",  "1.0.0-beta.11",
                                           "1.0.0-rc.1",  "1.0.0",         "1.0.1",
                                           "1.1.0",       "2.0.0",         "2.1.0",
                                           "2.1.1"};
  for (size_t i = 0; i < chain.size(); ++i) {
    for (size_t j = 0; j < chain.size(); ++j) {
      const int expected = i < j ? -1 : (i > j ? 1 : 0);
      EXPECT_EQ(cmp(chain[i], chain[j]), expected) << chain[i] << " vs " << chain[j];
    }
  }
}

TEST(Semver, NumericParts) {
  EXPECT_LT(cmp("1.9.0", "1.10.0"), 0);
  EXPECT_LT(cmp("1.10.0", "1.11.0"), 0);
  EXPECT_LT(cmp("0.9.99", "1.0.0"), 0);
  EXPECT_LT(cmp("1.0.0-2", "1.0.0-10"), 0);
  EXPECT_LT(cmp("1.0.0-99999999999999999999", "1.0.0-100000000000000000000"), 0);
  EXPECT_LT(cmp("1.0.0-999", "1.0.0-a"), 0); // numeric ranks below alphanumeric
  EXPECT_LT(cmp("1.0.0-A", "1.0.0-a"), 0);   // ASCII order
  EXPECT_LT(cmp("1.0.0-alpha-1", "1.0.0-alpha1"), 0);
  EXPECT_LT(cmp("1.0.0-rc.1", "1.0.0-rc.1.0"), 0);
  EXPECT_LT(cmp("1.0.0-1a", "1.0.0-1b"), 0);
  EXPECT_GT(cmp("1.0.0-2a", "1.0.0-11"), 0); // "2a" is alphanumeric
}

TEST(Semver, BuildMetadataIgnored) {
  EXPECT_EQ(cmp("1.0.0+a", "1.0.0+b"), 0);
  EXPECT_EQ(cmp("1.0.0-rc.1+x", "1.0.0-rc.1"), 0);
  EXPECT_LT(cmp("1.0.0-rc.1+zzz", "1.0.0"), 0);
  EXPECT_EQ(cmp("1.0.0+20130313144700", "1.0.0+exp.sha.5114f85"), 0);
}

} // namespace
