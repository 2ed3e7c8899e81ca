// Why: the bundle's forge is built on Debian, whose libcurl looks for /etc/ssl/certs/ca-certificates.crt
// only, and runs on Fedora, openSUSE and Alpine too; OpenSSL's SSL_CERT_FILE / SSL_CERT_DIR, which users
// and CI images set, are ignored by libcurl unless the program passes them on.
#pragma once
#include <functional>
#include <string>
#include <string_view>

namespace forge {

// The certificates TLS peers are checked against; an empty field leaves libcurl's built-in setting.
struct CaTrust {
  std::string file; // CURLOPT_CAINFO
  std::string dir;  // CURLOPT_CAPATH
};

// SSL_CERT_FILE / SSL_CERT_DIR, else CURL_CA_BUNDLE, else libcurl's built-in bundle or directory when it
// exists here, else the first bundle or directory found where Linux distributions keep them.
CaTrust choose_ca_trust(const std::function<const char *(const char *)> &env,
                        const std::function<bool(const std::string &)> &exists, std::string_view builtin_file,
                        std::string_view builtin_dir);

} // namespace forge
