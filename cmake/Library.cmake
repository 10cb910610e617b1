# libnewsidx is built from four layers (docs/architecture.md), lowest first:
#
#   nx_base    indexer/base/    alloc, buf, error, hash, date, url, scalar,
#                               utf8, repair, normalize (owns utf8proc)
#   nx_format  indexer/format/  the handle and transactions, schema, tags,
#                               tokenizer, stemmer, terms, docinfo, bounds,
#                               the FTS5 storage reader, score
#   nx_write   indexer/         the write half (owns libyaml)
#   nx_read    query/           the read half
#
# Each layer is an OBJECT library whose include directories are its own
# folder and those of the layers below it, so a file that includes a
# header of a layer above it, or of the other half, fails to compile.
# nx_add_layer() makes a layer; nx_assemble_library() (called by the
# top-level CMakeLists.txt once every layer exists) puts the layers'
# objects together into the libraries, here and nowhere else.

# nx_add_layer(<name> PUBLIC_HEADERS <bool> LAYERS <lower layers...>
#              PACKAGES <imported targets...> SOURCES <files...>)
# The folder of the calling CMakeLists.txt holds the layer's sources and
# header.  With PUBLIC_HEADERS, the layers above see that folder (base,
# format); without, it stays the layer's own (the two halves).
function(nx_add_layer name)
  cmake_parse_arguments(PARSE_ARGV 1 L "PUBLIC_HEADERS" ""
                        "LAYERS;PACKAGES;SOURCES")
  add_library(${name} OBJECT ${L_SOURCES})
  set_target_properties(${name} PROPERTIES
    POSITION_INDEPENDENT_CODE ON
    C_VISIBILITY_PRESET hidden)
  target_compile_definitions(${name} PRIVATE NEWSIDX_BUILDING _DEFAULT_SOURCE)
  if(L_PUBLIC_HEADERS)
    target_include_directories(${name} PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
  else()
    target_include_directories(${name} PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
  endif()
  target_include_directories(${name} PUBLIC
    $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>)
  # Usage requirements only (include directories of the layers below and
  # of the packages): the objects are linked in nx_assemble_library().
  target_link_libraries(${name} PUBLIC ${L_LAYERS} ${L_PACKAGES})
  nx_set_warnings(${name})
  set_property(GLOBAL APPEND PROPERTY NX_LAYERS ${name})
  set_property(GLOBAL APPEND PROPERTY NX_LAYER_DIRS ${CMAKE_CURRENT_SOURCE_DIR})
endfunction()

macro(nx_assemble_library)
  get_property(nx_layers GLOBAL PROPERTY NX_LAYERS)
  get_property(nx_layer_dirs GLOBAL PROPERTY NX_LAYER_DIRS)
  set(nx_objects)
  foreach(layer IN LISTS nx_layers)
    list(APPEND nx_objects $<TARGET_OBJECTS:${layer}>)
  endforeach()
  set(nx_packages
    PkgConfig::SQLITE3 PkgConfig::YAML PkgConfig::UTF8PROC Stemmer::Stemmer
    Threads::Threads m)

  # newsidx_core: the static library the unit tests, fuzz targets and
  # bench/nx_bench link.  It alone sees every layer's folder, so that tests
  # reach nx_* of any layer; it is never installed.
  add_library(newsidx_core STATIC ${nx_objects})
  target_include_directories(newsidx_core PUBLIC
    $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include> ${nx_layer_dirs})
  target_link_libraries(newsidx_core PUBLIC ${nx_packages})

  # While the major version is 0, a minor version may change the ABI (0.3
  # changed three functions' signatures), so the SONAME carries both
  # numbers: libnewsidx.so.0.3.  From 1.0 on, the major version alone.
  if(PROJECT_VERSION_MAJOR EQUAL 0)
    set(NX_SOVERSION ${PROJECT_VERSION_MAJOR}.${PROJECT_VERSION_MINOR})
  else()
    set(NX_SOVERSION ${PROJECT_VERSION_MAJOR})
  endif()

  # The shared library: SONAME libnewsidx.so.${NX_SOVERSION}, exporting only
  # newsidx_*.
  # Hidden visibility already keeps nx_* out of the dynamic symbol table;
  # the version script (cmake/newsidx.map) also hides anything a future
  # static dependency might bring in.  tests/cli/T510-exports.sh checks
  # the result.
  add_library(newsidx SHARED ${nx_objects})
  set_target_properties(newsidx PROPERTIES
    VERSION ${PROJECT_VERSION} SOVERSION ${NX_SOVERSION}
    EXPORT_NAME newsidx)
  target_include_directories(newsidx PUBLIC
    $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
    $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
  target_link_libraries(newsidx PRIVATE ${nx_packages})
  if(CMAKE_C_COMPILER_ID MATCHES "GNU|Clang" AND NOT APPLE AND NOT WIN32)
    set(NX_VERSION_SCRIPT ${PROJECT_SOURCE_DIR}/cmake/newsidx.map)
    target_link_options(newsidx PRIVATE
      "LINKER:--version-script=${NX_VERSION_SCRIPT}")
    set_property(TARGET newsidx APPEND PROPERTY LINK_DEPENDS
      ${NX_VERSION_SCRIPT})
    if(NOT NEWSIDX_SANITIZE)
      # Every symbol the library uses must come from a library it links.
      target_link_options(newsidx PRIVATE "LINKER:-z,defs")
    endif()
  endif()

  # The installed static library, libnewsidx.a: the same objects as
  # newsidx_core, but carrying only the public header and the link
  # dependencies (exported as LINK_ONLY).
  add_library(newsidx_static STATIC ${nx_objects})
  set_target_properties(newsidx_static PROPERTIES
    OUTPUT_NAME newsidx
    EXPORT_NAME newsidx_static)
  target_include_directories(newsidx_static PUBLIC
    $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
    $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
  target_link_libraries(newsidx_static PRIVATE ${nx_packages})

  # Installation.  The export sets are written out by cmake/Packaging.cmake
  # (newsidxTargets.cmake, newsidxStaticTargets.cmake).
  install(TARGETS newsidx EXPORT newsidxTargets
    LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
    RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
    ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
  install(TARGETS newsidx_static EXPORT newsidxStaticTargets
    ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
  install(FILES ${PROJECT_SOURCE_DIR}/include/newsidx.h
    DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
endmacro()
