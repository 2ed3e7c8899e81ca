// Why: a misread WWW-Authenticate header means no token (or a token for the wrong scope), and a wrong
// Basic encoding means a refused push; both are checked against the forms real registries send.
#include "forge/ship/oci_auth.hpp"

#include "forge/util/error.hpp"

#include <gtest/gtest.h>

namespace {

using forge::parse_www_authenticate;

TEST(OciAuth, ParsesGhcrBearerChallenge) {
  const auto c = parse_www_authenticate(
      R"(Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:pkgforge-cargo/fd-find/stable/fd:pull")");
  ASSERT_EQ(c.size(), 1U);
  EXPECT_EQ(c[0].scheme, "bearer");
  EXPECT_EQ(c[0].param("realm"), "https://ghcr.io/token");
  EXPECT_EQ(c[0].param("service"), "ghcr.io");
  EXPECT_EQ(c[0].param("scope"), "repository:pkgforge-cargo/fd-find/stable/fd:pull");
  EXPECT_EQ(c[0].param("missing"), "");
}

TEST(OciAuth, ParsesDockerHubStyleWithSpacesAndCase) {
  const auto c = parse_www_authenticate(
      R"(BEARER Realm = "https://auth.docker.io/token" , Service="registry.docker.io", scope="repository:a/b:pull,push")");
  ASSERT_EQ(c.size(), 1U);
  EXPECT_EQ(c[0].scheme, "bearer");
  EXPECT_EQ(c[0].param("realm"), "https://auth.docker.io/token");
  EXPECT_EQ(c[0].param("service"), "registry.docker.io");
  EXPECT_EQ(c[0].param("scope"), "repository:a/b:pull,push"); // the comma inside quotes stays
}

TEST(OciAuth, ParsesBasicAndSeveralChallenges) {
  const auto c = parse_www_authenticate(
      R"(Basic realm="Registry Realm", Bearer realm="http://127.0.0.1:1/t",service=x)");
  ASSERT_EQ(c.size(), 2U);
  EXPECT_EQ(c[0].scheme, "basic");
  EXPECT_EQ(c[0].param("realm"), "Registry Realm");
  EXPECT_EQ(c[1].scheme, "bearer");
  EXPECT_EQ(c[1].param("realm"), "http://127.0.0.1:1/t");
  EXPECT_EQ(c[1].param("service"), "x"); // an unquoted token value
}

TEST(OciAuth, UnescapesQuotedPairsAndSkipsToken68) {
  const auto c = parse_www_authenticate(R"(Negotiate abc123==, Bearer realm="a\"b\\c")");
  ASSERT_EQ(c.size(), 2U);
  EXPECT_EQ(c[0].scheme, "negotiate");
  EXPECT_TRUE(c[0].params.empty());
  EXPECT_EQ(c[1].param("realm"), "a\"b\\c");
}

TEST(OciAuth, ToleratesEmptyAndGarbage) {
  EXPECT_TRUE(parse_www_authenticate("").empty());
  EXPECT_TRUE(parse_www_authenticate("   ,  ").empty());
  const auto c = parse_www_authenticate("Bearer realm=\"unterminated");
  ASSERT_EQ(c.size(), 1U);
  EXPECT_EQ(c[0].param("realm"), "unterminated");
  EXPECT_NO_THROW(parse_www_authenticate("=== \"\" ,, =x"));
}

TEST(OciAuth, Base64MatchesRfc4648Vectors) {
  EXPECT_EQ(forge::base64_encode(""), "");
  EXPECT_EQ(forge::base64_encode("f"), "Zg==");
  EXPECT_EQ(forge::base64_encode("fo"), "Zm8=");
  EXPECT_EQ(forge::base64_encode("foo"), "Zm9v");
  EXPECT_EQ(forge::base64_encode("foob"), "Zm9vYg==");
  EXPECT_EQ(forge::base64_encode("fooba"), "Zm9vYmE=");
  EXPECT_EQ(forge::base64_encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(forge::base64_encode(std::string("\xff\xfe\x00", 3)), "//4A");
}

TEST(OciAuth, BasicAuthorizationHeader) {
  forge::RegistryCredentials c{"Aladdin", "open sesame"};
  EXPECT_TRUE(c.present());
  EXPECT_EQ(forge::basic_authorization(c), "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
  EXPECT_FALSE((forge::RegistryCredentials{"user", ""}).present());
}

TEST(OciAuth, AnonymousUntilTheRegistryAsks) {
  forge::HttpClient http;
  forge::RegistryAuth auth({"u", "secret"}, http, forge::RetryPolicy{1, 0.0});
  EXPECT_EQ(auth.authorization("a/b"), "");
  forge::HttpResponse unauthorized;
  unauthorized.status = 401;
  unauthorized.headers.emplace_back("www-authenticate", R"(Basic realm="r")");
  EXPECT_TRUE(auth.on_unauthorized(unauthorized, "a/b"));
  EXPECT_EQ(auth.authorization("a/b"), "Basic dTpzZWNyZXQ=");
  // Basic was already sent and refused: nothing more to try.
  EXPECT_FALSE(auth.on_unauthorized(unauthorized, "a/b"));
}

TEST(OciAuth, NoCredentialsNoBasicRetry) {
  forge::HttpClient http;
  forge::RegistryAuth auth({"u", ""}, http, forge::RetryPolicy{1, 0.0});
  forge::HttpResponse unauthorized;
  unauthorized.status = 401;
  unauthorized.headers.emplace_back("www-authenticate", R"(Basic realm="r")");
  EXPECT_FALSE(auth.on_unauthorized(unauthorized, "a/b"));
  EXPECT_EQ(auth.authorization("a/b"), "");
}

TEST(OciAuth, NeverSendsCredentialsToAPlainHttpRealmOfAnHttpsRegistry) {
  forge::HttpClient http;
  forge::RegistryAuth auth({"u", "secret"}, http, forge::RetryPolicy{1, 0.0}, /*plain_http_registry=*/false);
  forge::HttpResponse unauthorized;
  unauthorized.status = 401;
  unauthorized.headers.emplace_back("www-authenticate",
                                    R"(Bearer realm="http://127.0.0.1:1/token",service="s")");
  try {
    auth.on_unauthorized(unauthorized, "a/b");
    FAIL() << "expected a refusal";
  } catch (const forge::Error &e) {
    // A registry error, not a network one: nothing was sent to port 1.
    EXPECT_EQ(e.code(), forge::ExitCode::registry);
    EXPECT_NE(std::string(e.what()).find("plain HTTP"), std::string::npos);
    EXPECT_EQ(std::string(e.what()).find("secret"), std::string::npos);
  }
}

} // namespace
