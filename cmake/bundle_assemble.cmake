# cmake -P bundle_assemble.cmake: lays out and packs the bundle (run by the `bundle` target of
# src/bundle/CMakeLists.txt, which passes FORGE, LAUNCHER, LOADER, NAME, OUT_DIR, SOURCE_DIR, STRIP, READELF,
# STATIC_LIBS and SHARED_LIBS).
#
# <NAME>/bin/forge                     the static launcher
# <NAME>/lib/forge/forge               forge (RUNPATH $ORIGIN)
# <NAME>/lib/forge/<LOADER>, lib*.so.* glibc's loader and every shared object forge needs, by soname
# <NAME>/share/doc/forge/              README.md, LICENSE, LINKING.txt, copyright/<Debian package>
cmake_minimum_required(VERSION 3.25)

set(root ${OUT_DIR}/bundle/${NAME})
set(lib ${root}/lib/forge)
set(doc ${root}/share/doc/forge)
file(REMOVE_RECURSE ${OUT_DIR}/bundle)
file(MAKE_DIRECTORY ${root}/bin ${lib} ${doc}/copyright)

# The program interpreter forge was linked for must be the loader the launcher runs.
execute_process(COMMAND ${READELF} -l ${FORGE} OUTPUT_VARIABLE phdrs COMMAND_ERROR_IS_FATAL ANY)
string(REGEX MATCH "program interpreter: ([^]]+)\\]" m "${phdrs}")
set(interp "${CMAKE_MATCH_1}")
get_filename_component(interp_name "${interp}" NAME)
if(NOT interp_name STREQUAL LOADER)
  message(FATAL_ERROR "forge asks for the loader ${interp}, the launcher runs ${LOADER}")
endif()

file(GET_RUNTIME_DEPENDENCIES EXECUTABLES ${FORGE} RESOLVED_DEPENDENCIES_VAR resolved
  UNRESOLVED_DEPENDENCIES_VAR unresolved CONFLICTING_DEPENDENCIES_PREFIX conflict)
if(unresolved)
  message(FATAL_ERROR "shared libraries of forge not found: ${unresolved}")
endif()

set(shipped)
set(runtime ${resolved} ${interp})
list(REMOVE_DUPLICATES runtime)
foreach(path ${runtime})
  get_filename_component(name "${path}" NAME)
  get_filename_component(real "${path}" REALPATH)
  file(COPY_FILE ${real} ${lib}/${name})
  file(CHMOD ${lib}/${name} FILE_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE
    WORLD_READ WORLD_EXECUTE)
  list(APPEND shipped ${real})
endforeach()
list(REMOVE_DUPLICATES shipped)
execute_process(COMMAND ${STRIP} --strip-all -o ${lib}/forge ${FORGE} COMMAND_ERROR_IS_FATAL ANY)
execute_process(COMMAND ${STRIP} --strip-all -o ${root}/bin/forge ${LAUNCHER} COMMAND_ERROR_IS_FATAL ANY)

configure_file(${SOURCE_DIR}/src/bundle/README.md ${doc}/README.md COPYONLY)
configure_file(${SOURCE_DIR}/LICENSE ${doc}/LICENSE COPYONLY)

# The licences of what went in, from the Debian packages that own the archives and shared objects.
set(packages)
foreach(path ${STATIC_LIBS} ${shipped})
  execute_process(COMMAND dpkg-query --search ${path} OUTPUT_VARIABLE owner RESULT_VARIABLE rc ERROR_QUIET)
  if(NOT rc EQUAL 0)
    # usrmerge: dpkg may know a library under /lib what the loader found under /usr/lib, or the reverse.
    string(REGEX REPLACE "^/usr/lib/" "/lib/" other "${path}")
    if(other STREQUAL path)
      string(REGEX REPLACE "^/lib/" "/usr/lib/" other "${path}")
    endif()
    execute_process(COMMAND dpkg-query --search ${other} OUTPUT_VARIABLE owner RESULT_VARIABLE rc ERROR_QUIET)
  endif()
  if(rc EQUAL 0)
    string(REGEX REPLACE ":.*" "" owner "${owner}")
    list(APPEND packages ${owner})
  endif()
endforeach()
list(REMOVE_DUPLICATES packages)
list(SORT packages)
foreach(pkg ${packages} libstdc++6 libgcc-s1)
  if(EXISTS /usr/share/doc/${pkg}/copyright)
    configure_file(/usr/share/doc/${pkg}/copyright ${doc}/copyright/${pkg} COPYONLY)
  endif()
endforeach()

set(linking "forge ${NAME}: how it was linked\n\nstatic archives given to the linker (it takes only the objects forge reaches):\n")
foreach(path ${STATIC_LIBS})
  string(APPEND linking "  ${path}\n")
endforeach()
string(APPEND linking "  libstdc++, libgcc (-static-libstdc++ -static-libgcc)\n\nshared objects shipped in lib/forge/:\n")
foreach(path ${shipped})
  string(APPEND linking "  ${path}\n")
endforeach()
string(APPEND linking "\nDebian packages: ${packages}\n")
file(WRITE ${doc}/LINKING.txt "${linking}")

# A tarball that depends only on the files: sorted names, one owner, one date.
file(GLOB_RECURSE files LIST_DIRECTORIES false RELATIVE ${OUT_DIR}/bundle ${root}/*)
list(SORT files)
set(tarball ${OUT_DIR}/${NAME}.tar.gz)
execute_process(COMMAND ${CMAKE_COMMAND} -E tar cfz ${tarball} --format=gnutar "--mtime=2000-01-01 00:00:00 UTC"
  -- ${files} WORKING_DIRECTORY ${OUT_DIR}/bundle COMMAND_ERROR_IS_FATAL ANY)
execute_process(COMMAND ${CMAKE_COMMAND} -E sha256sum ${NAME}.tar.gz WORKING_DIRECTORY ${OUT_DIR}
  OUTPUT_FILE ${tarball}.sha256 COMMAND_ERROR_IS_FATAL ANY)
file(SIZE ${tarball} size)
message(STATUS "forge bundle: ${tarball} (${size} bytes), ${root}")
