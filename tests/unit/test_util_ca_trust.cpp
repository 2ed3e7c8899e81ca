// Why: the bundle's forge runs on distributions whose CA bundle is not where Debian's libcurl looks, and
// users point OpenSSL's variables at their own; which file wins must not depend on the machine running
// the test, so the environment and the file system are given here.
#include "forge/util/ca_trust.hpp"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>

namespace {

struct Machine {
  std::map<std::string, std::string> env;
  std::set<std::string> files;

  forge::CaTrust choose(std::string_view builtin_file = "/etc/ssl/certs/ca-certificates.crt",
                        std::string_view builtin_dir = "/etc/ssl/certs") const {
    return forge::choose_ca_trust(
        [this](const char *name) -> const char * {
          const auto it = env.find(name);
          return it == env.end() ? nullptr : it->second.c_str();
        },
        [this](const std::string &path) { return files.count(path) != 0; }, builtin_file, builtin_dir);
  }
};

TEST(UtilCaTrust, OpenSslVariablesWinOverEverything) {
  Machine m{{{"SSL_CERT_FILE", "/my/ca.pem"}, {"CURL_CA_BUNDLE", "/other.pem"}},
            {"/etc/ssl/certs/ca-certificates.crt"}};
  EXPECT_EQ(m.choose().file, "/my/ca.pem");
  EXPECT_EQ(m.choose().dir, "");
  m.env = {{"SSL_CERT_DIR", "/my/certs"}};
  EXPECT_EQ(m.choose().file, "");
  EXPECT_EQ(m.choose().dir, "/my/certs");
}

TEST(UtilCaTrust, AFileThatIsNotThereIsStillTheUsersChoice) {
  // libcurl then fails naming it, instead of forge silently trusting something else.
  const Machine m{{{"SSL_CERT_FILE", "/missing.pem"}}, {"/etc/ssl/certs/ca-certificates.crt"}};
  EXPECT_EQ(m.choose().file, "/missing.pem");
}

TEST(UtilCaTrust, CurlCaBundleWhenOpenSslsAreUnset) {
  const Machine m{{{"CURL_CA_BUNDLE", "/ci/ca.pem"}, {"SSL_CERT_FILE", ""}}, {}};
  EXPECT_EQ(m.choose().file, "/ci/ca.pem");
}

TEST(UtilCaTrust, BuiltInBundleThatExistsIsLeftAlone) {
  const Machine m{{}, {"/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt"}};
  EXPECT_EQ(m.choose().file, "");
  EXPECT_EQ(m.choose().dir, "");
}

TEST(UtilCaTrust, FedoraAndOpenSuseBundlesAreFound) {
  EXPECT_EQ((Machine{{}, {"/etc/pki/tls/certs/ca-bundle.crt"}}.choose().file),
            "/etc/pki/tls/certs/ca-bundle.crt");
  EXPECT_EQ((Machine{{}, {"/etc/ssl/ca-bundle.pem"}}.choose().file), "/etc/ssl/ca-bundle.pem");
  EXPECT_EQ((Machine{{}, {"/etc/ssl/cert.pem"}}.choose().file), "/etc/ssl/cert.pem");
}

TEST(UtilCaTrust, ADirectoryWhenNoBundleExists) {
  const Machine m{{}, {"/etc/pki/tls/certs"}};
  EXPECT_EQ(m.choose("/nowhere.crt", "/nowhere").dir, "/etc/pki/tls/certs");
}

TEST(UtilCaTrust, NothingFoundLeavesLibcurlsSetting) {
  const Machine m{{}, {}};
  EXPECT_EQ(m.choose().file, "");
  EXPECT_EQ(m.choose().dir, "");
}

} // namespace
