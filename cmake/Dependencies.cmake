# All third-party dependencies are found here, and only here.
find_package(PkgConfig REQUIRED)
pkg_check_modules(SQLITE3 REQUIRED IMPORTED_TARGET sqlite3>=3.35)
pkg_check_modules(YAML REQUIRED IMPORTED_TARGET yaml-0.1)
pkg_check_modules(UTF8PROC REQUIRED IMPORTED_TARGET libutf8proc)
# Snowball's libstemmer (Debian's libstemmer-dev) has no pkg-config file:
# its header and library are looked up, and Stemmer::Stemmer names them.
find_path(STEMMER_INCLUDE_DIR libstemmer.h REQUIRED)
find_library(STEMMER_LIBRARY stemmer REQUIRED)
add_library(Stemmer::Stemmer INTERFACE IMPORTED)
set_target_properties(Stemmer::Stemmer PROPERTIES
  INTERFACE_INCLUDE_DIRECTORIES "${STEMMER_INCLUDE_DIR}"
  INTERFACE_LINK_LIBRARIES "${STEMMER_LIBRARY}")
# newsindex reads and parses files on a second thread (indexer/index.c).
set(THREADS_PREFER_PTHREAD_FLAG ON)
find_package(Threads REQUIRED)

# The index needs FTS5.  Check at configure time that the SQLite we link
# against has it, so a missing feature is a clear configure error and not a
# runtime surprise.
include(CheckCSourceRuns)
set(CMAKE_REQUIRED_INCLUDES ${SQLITE3_INCLUDE_DIRS})
set(CMAKE_REQUIRED_LIBRARIES ${SQLITE3_LINK_LIBRARIES})
check_c_source_runs([=[
#include <sqlite3.h>
int main(void) {
  sqlite3 *db; int rc;
  if (sqlite3_open(":memory:", &db) != SQLITE_OK) return 1;
  rc = sqlite3_exec(db, "CREATE VIRTUAL TABLE t USING fts5(x)", 0, 0, 0);
  sqlite3_close(db);
  return rc == SQLITE_OK ? 0 : 1;
}]=] NEWSIDX_SQLITE_HAS_FTS5)
unset(CMAKE_REQUIRED_INCLUDES)
unset(CMAKE_REQUIRED_LIBRARIES)
if(NOT NEWSIDX_SQLITE_HAS_FTS5)
  message(FATAL_ERROR
    "The SQLite library found (${SQLITE3_VERSION}) has no FTS5. "
    "newsidx needs SQLite built with SQLITE_ENABLE_FTS5 "
    "(Debian's libsqlite3-dev has it).")
endif()

if(NEWSIDX_TESTS)
  pkg_check_modules(CMOCKA REQUIRED IMPORTED_TARGET cmocka)
endif()
