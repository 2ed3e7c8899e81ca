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

# forge_dep(<name> <targets>...): forge_dep_<name>, through which the stage libraries link a library.
# A target with the property FORGE_STATIC_DEPS (the bundle's forge, src/bundle/) gets forge_bundle_deps
# instead of the shared library: the static archives (cmake/ForgeBundle.cmake), placed after every stage
# library that needs them. So the normal build and the bundle share every object file; compiling against
# the library is the same either way.
function(forge_dep name)
  add_library(forge_dep_${name} INTERFACE)
  foreach(target ${ARGN})
    target_link_libraries(forge_dep_${name} INTERFACE
      "$<IF:$<BOOL:$<TARGET_PROPERTY:FORGE_STATIC_DEPS>>,forge_bundle_deps,${target}>")
  endforeach()
endfunction()

forge_dep(curl CURL::libcurl)
forge_dep(crypto OpenSSL::Crypto)
forge_dep(archive LibArchive::LibArchive)
forge_dep(git2 PkgConfig::LIBGIT2)
forge_dep(spdlog spdlog::spdlog)
forge_dep(toml tomlplusplus::tomlplusplus)
# zlib: the embedded dependency list (compile/) always, and the dump's inflate when ISA-L is absent.
find_package(ZLIB REQUIRED)
forge_dep(zlib ZLIB::ZLIB)
if(ISAL_FOUND)
  forge_dep(isal PkgConfig::ISAL)
endif()
if(BLAKE3_FOUND)
  forge_dep(blake3 PkgConfig::BLAKE3)
endif()
