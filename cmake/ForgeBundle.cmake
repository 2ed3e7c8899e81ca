# The link of the bundle's forge (src/bundle/): which libraries go in statically and which stay shared.
#
# Debian builds each library twice, a shared object and (for many) a static archive, from the same
# configuration. The shared object's DT_NEEDED list is therefore the exact dependency set of the archive
# too, and walking it from the libraries forge links gives the whole static link line without guessing
# pkg-config module names. A library without an archive stays shared, and so does everything it needs
# (the dynamic loader resolves those; the bundle ships them beside forge).

# glibc and the compiler's runtime: glibc stays shared (the bundle ships it with its own loader, see
# docs/bundle.md); libstdc++ and libgcc are linked statically with -static-libstdc++ -static-libgcc.
set(FORGE_BUNDLE_SYSTEM_LIBS libc libm libpthread libdl librt libresolv libutil libstdc++ libgcc_s libanl)

# Archives Debian ships that cannot stand in for their shared object: libsasl2.a holds the SQL and
# Berkeley DB auxprop plugins that the shared library loads as separate modules, so it needs libsqlite3,
# libmysqlclient, libpq and libdb at link time (none of which libsasl2.so itself needs).
set(FORGE_BUNDLE_KEEP_SHARED libsasl2)

# forge_bundle_find_soname(<out> <soname> <dirs>...): the path of a shared object by its soname.
function(forge_bundle_find_soname out soname)
  foreach(dir ${ARGN})
    if(EXISTS "${dir}/${soname}")
      set(${out} "${dir}/${soname}" PARENT_SCOPE)
      return()
    endif()
  endforeach()
  set(${out} "" PARENT_SCOPE)
endfunction()

# forge_bundle_needed(<out> <shared object>): its DT_NEEDED sonames, in order.
function(forge_bundle_needed out lib)
  execute_process(COMMAND ${CMAKE_READELF} -d "${lib}" OUTPUT_VARIABLE dyn RESULT_VARIABLE rc ERROR_QUIET)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "readelf -d ${lib} failed")
  endif()
  string(REGEX MATCHALL "\\(NEEDED\\)[^\n]*\\[[^]\n]+\\]" lines "${dyn}")
  set(names)
  foreach(line ${lines})
    string(REGEX REPLACE ".*\\[([^]]+)\\].*" "\\1" name "${line}")
    list(APPEND names ${name})
  endforeach()
  set(${out} ${names} PARENT_SCOPE)
endfunction()

# forge_bundle_archive(<out> <soname> <dirs>...): the static archive of a shared object, or "".
# libldap-2.5.so.0's archive is libldap.a: a version in the base name is dropped on a second try.
function(forge_bundle_archive out soname)
  string(REGEX REPLACE "\\.so(\\.[0-9]+)*$" "" base "${soname}")
  string(REGEX REPLACE "-[0-9][0-9.]*$" "" unversioned "${base}")
  foreach(name ${base} ${unversioned})
    foreach(dir ${ARGN})
      if(EXISTS "${dir}/${name}.a")
        set(${out} "${dir}/${name}.a" PARENT_SCOPE)
        return()
      endif()
    endforeach()
  endforeach()
  set(${out} "" PARENT_SCOPE)
endfunction()

# forge_bundle_link_plan(STATIC <out> SHARED <out> MISSING <out> LIBS <shared objects>...)
# Breadth first from LIBS: a library with an archive is linked from it and its own DT_NEEDED are visited
# next; one without stays shared (by path, so its soname is what forge's DT_NEEDED names). STATIC is in
# dependency order (users before what they use), ready for one --start-group.
function(forge_bundle_link_plan)
  cmake_parse_arguments(ARG "" "STATIC;SHARED;MISSING" "LIBS" ${ARGN})
  set(dirs ${CMAKE_CXX_IMPLICIT_LINK_DIRECTORIES})
  if(CMAKE_LIBRARY_ARCHITECTURE)
    list(PREPEND dirs /usr/lib/${CMAKE_LIBRARY_ARCHITECTURE} /lib/${CMAKE_LIBRARY_ARCHITECTURE})
  endif()
  list(REMOVE_DUPLICATES dirs)
  set(queue)
  foreach(lib ${ARG_LIBS})
    get_filename_component(real "${lib}" REALPATH)
    execute_process(COMMAND ${CMAKE_READELF} -d "${real}" OUTPUT_VARIABLE dyn ERROR_QUIET)
    string(REGEX MATCH "\\(SONAME\\)[^\n]*\\[([^]\n]+)\\]" m "${dyn}")
    list(APPEND queue "${CMAKE_MATCH_1}")
  endforeach()
  set(seen)
  set(static)
  set(shared)
  set(missing)
  while(queue)
    list(POP_FRONT queue soname)
    if(soname IN_LIST seen)
      continue()
    endif()
    list(APPEND seen ${soname})
    string(REGEX REPLACE "\\.so(\\.[0-9]+)*$" "" base "${soname}")
    if(base IN_LIST FORGE_BUNDLE_SYSTEM_LIBS OR soname MATCHES "^ld-linux")
      continue()
    endif()
    forge_bundle_find_soname(path ${soname} ${dirs})
    if(NOT path)
      list(APPEND missing ${soname})
      continue()
    endif()
    string(REGEX REPLACE "-[0-9][0-9.]*$" "" unversioned "${base}")
    set(archive "")
    if(NOT base IN_LIST FORGE_BUNDLE_KEEP_SHARED AND NOT unversioned IN_LIST FORGE_BUNDLE_KEEP_SHARED)
      forge_bundle_archive(archive ${soname} ${dirs})
    endif()
    if(archive)
      list(APPEND static "${archive}")
      forge_bundle_needed(needed "${path}")
      list(APPEND queue ${needed})
    else()
      list(APPEND shared "${path}")
    endif()
  endwhile()
  set(${ARG_STATIC} ${static} PARENT_SCOPE)
  set(${ARG_SHARED} ${shared} PARENT_SCOPE)
  set(${ARG_MISSING} ${missing} PARENT_SCOPE)
endfunction()
