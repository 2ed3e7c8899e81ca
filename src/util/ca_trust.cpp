#include "forge/util/ca_trust.hpp"

namespace forge {

CaTrust choose_ca_trust(const std::function<const char *(const char *)> &env,
                        const std::function<bool(const std::string &)> &exists, std::string_view builtin_file,
                        std::string_view builtin_dir) {
  const auto set = [&](const char *name) {
    const char *value = env(name);
    return value != nullptr && *value != '\0' ? std::string(value) : std::string();
  };
  CaTrust trust{set("SSL_CERT_FILE"), set("SSL_CERT_DIR")};
  if (trust.file.empty() && trust.dir.empty()) {
    trust.file = set("CURL_CA_BUNDLE");
  }
  if (!trust.file.empty() || !trust.dir.empty()) {
    return trust;
  }
  if ((!builtin_file.empty() && exists(std::string(builtin_file))) ||
      (!builtin_dir.empty() && exists(std::string(builtin_dir)))) {
    return {};
  }
  // Debian/Ubuntu/Arch/Gentoo, Fedora/RHEL, openSUSE, RHEL's extracted trust, Alpine/BSD-style.
  for (const char *file :
       {"/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/ca-bundle.pem",
        "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem", "/etc/ssl/cert.pem"}) {
    if (exists(file)) {
      return {file, {}};
    }
  }
  for (const char *dir : {"/etc/ssl/certs", "/etc/pki/tls/certs"}) {
    if (exists(dir)) {
      return {{}, dir};
    }
  }
  return {};
}

} // namespace forge
