# Packaging: what `cmake --install` adds beyond the targets' own install()
# rules (indexer/, query/): the programs' RPATH, the pkg-config file
# newsidx.pc and the CMake package (find_package(newsidx)).
# Included by the top-level CMakeLists.txt after the targets exist.
include(CMakePackageConfigHelpers)

set(NX_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/newsidx)

# The programs link the shared library.  An RPATH relative to the program
# ($ORIGIN/../lib...) lets them run from any prefix, including one given
# only at install time (cmake --install --prefix).
option(NEWSIDX_INSTALL_RPATH
  "Give the installed programs an RPATH to the installed library" ON)
if(NEWSIDX_INSTALL_RPATH AND NOT APPLE AND NOT WIN32)
  if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
    set(NX_RPATH "${CMAKE_INSTALL_LIBDIR}")
  else()
    file(RELATIVE_PATH NX_BIN_TO_LIB
      /nx-prefix/${CMAKE_INSTALL_BINDIR} /nx-prefix/${CMAKE_INSTALL_LIBDIR})
    set(NX_RPATH "$ORIGIN/${NX_BIN_TO_LIB}")
  endif()
  set_target_properties(newsindex newsquery PROPERTIES INSTALL_RPATH "${NX_RPATH}")
endif()

# newsidx.pc.  Written at install time, so that its prefix is the one the
# files really go to, also with `cmake --install --prefix DIR`.
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  set(NX_PC_LIBDIR "${CMAKE_INSTALL_LIBDIR}")
  set(NX_PC_DEST "${CMAKE_INSTALL_LIBDIR}/pkgconfig")
else()
  set(NX_PC_LIBDIR "\${prefix}/${CMAKE_INSTALL_LIBDIR}")
  set(NX_PC_DEST "\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_LIBDIR}/pkgconfig")
endif()
if(IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  set(NX_PC_INCLUDEDIR "${CMAKE_INSTALL_INCLUDEDIR}")
else()
  set(NX_PC_INCLUDEDIR "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
endif()
set(NX_PC_IN ${CMAKE_CURRENT_LIST_DIR}/newsidx.pc.in)
set(NX_PC_OUT ${PROJECT_BINARY_DIR}/pkgconfig/newsidx.pc)
set(NX_PC_CODE [[
set(NX_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
set(NX_PC_LIBDIR [=[@NX_PC_LIBDIR@]=])
set(NX_PC_INCLUDEDIR [=[@NX_PC_INCLUDEDIR@]=])
set(NX_PC_VERSION "@PROJECT_VERSION@")
configure_file("@NX_PC_IN@" "@NX_PC_OUT@" @ONLY)
file(INSTALL DESTINATION "@NX_PC_DEST@" TYPE FILE FILES "@NX_PC_OUT@")
]])
string(CONFIGURE "${NX_PC_CODE}" NX_PC_CODE @ONLY)
install(CODE "${NX_PC_CODE}")

# The CMake package: newsidx::newsidx (shared) and newsidx::newsidx_static.
install(EXPORT newsidxTargets
  NAMESPACE newsidx::
  FILE newsidxTargets.cmake
  DESTINATION ${NX_CMAKE_DIR})
install(EXPORT newsidxStaticTargets
  NAMESPACE newsidx::
  FILE newsidxStaticTargets.cmake
  DESTINATION ${NX_CMAKE_DIR})
configure_package_config_file(
  ${CMAKE_CURRENT_LIST_DIR}/newsidxConfig.cmake.in
  ${PROJECT_BINARY_DIR}/newsidxConfig.cmake
  INSTALL_DESTINATION ${NX_CMAKE_DIR})
# Compatibility follows the SONAME (cmake/Library.cmake): the minor
# version while the major one is 0, then the major version.
if(PROJECT_VERSION_MAJOR EQUAL 0)
  set(NX_COMPATIBILITY SameMinorVersion)
else()
  set(NX_COMPATIBILITY SameMajorVersion)
endif()
write_basic_package_version_file(
  ${PROJECT_BINARY_DIR}/newsidxConfigVersion.cmake
  VERSION ${PROJECT_VERSION}
  COMPATIBILITY ${NX_COMPATIBILITY})
install(FILES
  ${PROJECT_BINARY_DIR}/newsidxConfig.cmake
  ${PROJECT_BINARY_DIR}/newsidxConfigVersion.cmake
  DESTINATION ${NX_CMAKE_DIR})
