#include "forge/compile/crate_spec.hpp"
#include "forge/util/error.hpp"

#include <gtest/gtest.h>

namespace forge {
namespace {

TEST(CrateSpec, NamesAndVersions) {
  const CrateSpec plain = parse_crate_spec("ripgrep");
  EXPECT_EQ(plain.name, "ripgrep");
  EXPECT_FALSE(plain.version);
  const CrateSpec exact = parse_crate_spec("fd-find@10.2.0");
  EXPECT_EQ(exact.name, "fd-find");
  EXPECT_EQ(exact.version, "10.2.0");
  EXPECT_EQ(parse_crate_spec("cargo_x@1.0.0-rc.1+build.5").version, "1.0.0-rc.1+build.5");
  EXPECT_EQ(parse_crate_spec(std::string(64, 'a')).name.size(), 64U);
}

TEST(CrateSpec, RefusesWhatCratesIoCouldNotHave) {
  for (const char *bad : {"", "@1.0.0", "bad name!", "9lives", "-dash", "_under", "caf\xc3\xa9", "a/b",
                          "ripgrep@notaversion", "ripgrep@1.0", "ripgrep@v1.0.0", "ripgrep@"}) {
    try {
      (void)parse_crate_spec(bad);
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const Error &e) {
      EXPECT_EQ(e.code(), ExitCode::usage) << bad;
    }
  }
  EXPECT_THROW(parse_crate_spec(std::string(65, 'a')), Error);
  EXPECT_NE(crate_name_problem("bad name!").find("only ASCII letters, digits, '-' and '_'"), std::string::npos);
  EXPECT_EQ(crate_name_problem("serde_json"), "");
}

} // namespace
} // namespace forge
