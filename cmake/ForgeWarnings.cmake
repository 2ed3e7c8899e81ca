add_library(forge_options INTERFACE)
target_compile_options(forge_options INTERFACE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
  -Wold-style-cast -Wcast-align -Wunused -Woverloaded-virtual -Wformat=2)
if(FORGE_WERROR)
  target_compile_options(forge_options INTERFACE -Werror)
endif()
if(FORGE_SANITIZE)
  target_compile_options(forge_options INTERFACE -fsanitize=address,undefined -fno-omit-frame-pointer
    -fno-sanitize-recover=undefined)
  target_link_options(forge_options INTERFACE -fsanitize=address,undefined)
endif()

if(FORGE_TSAN)
  if(FORGE_SANITIZE OR FORGE_FUZZ)
    message(FATAL_ERROR "FORGE_TSAN cannot be combined with FORGE_SANITIZE or FORGE_FUZZ (one sanitizer runtime)")
  endif()
  target_compile_options(forge_options INTERFACE -fsanitize=thread -fno-omit-frame-pointer)
  target_link_options(forge_options INTERFACE -fsanitize=thread)
endif()

if(FORGE_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "FORGE_FUZZ needs clang (e.g. CXX=clang++-14)")
  endif()
  target_compile_options(forge_options INTERFACE -fsanitize=fuzzer-no-link,address,undefined
    -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
  target_link_options(forge_options INTERFACE -fsanitize=address,undefined)
endif()
