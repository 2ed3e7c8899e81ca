# Every dependency comes from a Debian package; scripts/deps.sh installs them.
find_package(PkgConfig REQUIRED)
find_package(CURL REQUIRED)
find_package(LibArchive REQUIRED)
find_package(nlohmann_json 3 REQUIRED)
find_package(CLI11 REQUIRED)
find_package(spdlog REQUIRED)
find_package(tomlplusplus REQUIRED)
find_package(OpenSSL REQUIRED)
find_package(Threads REQUIRED)
pkg_check_modules(LIBGIT2 REQUIRED IMPORTED_TARGET libgit2)
# ISA-L inflates the dump ~5x faster than zlib; without it forge falls back to libarchive's gzip filter.
pkg_check_modules(ISAL IMPORTED_TARGET libisal)
# A system BLAKE3 is preferred when present; otherwise forge's portable implementation is used.
pkg_check_modules(BLAKE3 IMPORTED_TARGET libblake3)
