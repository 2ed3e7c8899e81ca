// Why: invalid UTF-8 must become U+FFFD and valid text must pass untouched, or JSON writers throw mid-run.
#include "forge/util/utf8.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace forge {
namespace {

TEST(Utf8, ValidTextIsUnchanged) {
  const std::string text = "plain ascii, caf\xC3\xA9, \xE2\x82\xAC, \xF0\x9F\xA6\x80, \xF4\x8F\xBF\xBF";
  EXPECT_EQ(valid_utf8(text), text);
  EXPECT_EQ(valid_utf8(""), "");
}

TEST(Utf8, InvalidBytesBecomeReplacementCharacters) {
  const std::string r = "\xEF\xBF\xBD";
  EXPECT_EQ(valid_utf8("a\xFF"
                       "b"),
            "a" + r + "b");
  EXPECT_EQ(valid_utf8("\xC0\xAF"), r + r) << "overlong";
  EXPECT_EQ(valid_utf8("\xED\xA0\x80"), r + r + r) << "surrogate";
  EXPECT_EQ(valid_utf8("\xF4\x90\x80\x80"), r + r + r + r) << "above U+10FFFF";
  EXPECT_EQ(valid_utf8("x\xE2\x82"), "x" + r + r) << "truncated at the end";
  EXPECT_EQ(valid_utf8(std::string("\0", 1)), std::string("\0", 1));
}

TEST(Utf8, IsValidAgreesWithTheRepair) {
  const std::vector<std::string> cases = {"",
                                          "plain ascii longer than eight bytes",
                                          "caf\xC3\xA9 and \xF0\x9F\xA6\x80 after ascii",
                                          "eight ok\xFF",
                                          "\xC0\xAF",
                                          "\xED\xA0\x80",
                                          "abcdefgh\xE2\x82",
                                          std::string("\0", 1)};
  for (const auto &c : cases) {
    EXPECT_EQ(is_valid_utf8(c), valid_utf8(c) == c) << c;
  }
  std::string all;
  for (int i = 0; i < 256; ++i) {
    all.push_back(static_cast<char>(i));
  }
  EXPECT_FALSE(is_valid_utf8(all));
  EXPECT_TRUE(is_valid_utf8(valid_utf8(all)));
}

TEST(Utf8, TheResultAlwaysSerialisesAsJson) {
  std::string all;
  for (int i = 0; i < 256; ++i) {
    all.push_back(static_cast<char>(i));
    all.push_back(static_cast<char>(255 - i));
  }
  EXPECT_NO_THROW((void)nlohmann::json(valid_utf8(all)).dump());
  EXPECT_THROW((void)nlohmann::json(all).dump(), nlohmann::json::type_error) << "what it protects against";
}

} // namespace
} // namespace forge
