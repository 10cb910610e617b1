#!/bin/bash
# T500: `cmake --install` into a temporary prefix, then a small program
# built against the INSTALLED copy, once through pkg-config and once
# through find_package(newsidx), shared and static.  The program creates an
# index, adds a document from memory, queries it and checks the hit.
. "$(dirname "$0")/lib.sh"

: "${NX_BUILD_DIR:?run through ctest}"
CMAKE=${NX_CMAKE:-cmake}
CC=${NX_CC:-cc}
for tool in "$CMAKE" "$CC" pkg-config readelf; do
    if ! command -v "$tool" >/dev/null; then
        echo "skip: $tool not found"
        exit 77
    fi
done
unset PKG_CONFIG_PATH LD_LIBRARY_PATH CMAKE_PREFIX_PATH
cflags_extra=""
if [ "${NX_SANITIZE:-0}" = 1 ]; then
    # The installed library is instrumented; so must the program be.
    cflags_extra="-fsanitize=address,undefined -fno-omit-frame-pointer"
fi

prefix=$TMP/prefix
check "cmake --install into a temporary prefix" \
    "$CMAKE" --install "$NX_BUILD_DIR" --prefix "$prefix" >install.log

# GNUInstallDirs: the libdir may be lib, lib64 or lib/<multiarch>.
pcfile=$(find "$prefix" -path '*/pkgconfig/newsidx.pc' | head -n 1)
check "newsidx.pc is installed" test -n "$pcfile"
libdir=$(dirname "$(dirname "${pcfile:-$prefix/lib/pkgconfig/x}")")
echo "libdir: ${libdir#"$prefix"/}"

soname=$(expected_soname)

# What is installed.
for f in "$libdir/$soname" "$libdir/libnewsidx.so" \
    "$libdir/libnewsidx.a" "$prefix/include/newsidx.h" \
    "$prefix/share/man/man1/newsindex.1" "$prefix/share/man/man1/newsquery.1" \
    "$libdir/cmake/newsidx/newsidxConfig.cmake" \
    "$libdir/cmake/newsidx/newsidxConfigVersion.cmake" \
    "$libdir/cmake/newsidx/newsidxTargets.cmake" \
    "$libdir/cmake/newsidx/newsidxStaticTargets.cmake"; do
    check "installed: ${f#"$prefix"/}" test -e "$f"
done
check_eq "newsidx.h is the only installed header" newsidx.h \
    "$(ls "$prefix/include")"
for page in newsindex newsquery; do
    check "the $page man page has a title line" \
        grep -q '^\.TH ' "$prefix/share/man/man1/$page.1"
done
check_eq "pc prefix is the install prefix" "$prefix" \
    "$(PKG_CONFIG_PATH=${pcfile%/*} pkg-config --variable=prefix newsidx)"

# uses_installed PROG: PROG loads the installed libnewsidx from the prefix.
uses_installed() {
    local lib
    lib=$(ldd "$1" | awk -v so="$soname" '$1 == so { print $3 }')
    [ -n "$lib" ] &&
        [ "$(realpath "$lib")" = "$(realpath "$libdir/$soname")" ]
}

# The installed programs run from the custom prefix, on the installed
# library (found through their RPATH, not the build tree).
for prog in newsindex newsquery; do
    check "installed $prog --version runs" "$prefix/bin/$prog" --version
    check "installed $prog uses the installed libnewsidx" \
        uses_installed "$prefix/bin/$prog"
done
"$prefix/bin/newsquery" --version >version.out 2>&1
version=$(sed -n 's/^project(newsidx VERSION \([0-9.]*\).*/\1/p' \
    "$NX_SOURCE_DIR/CMakeLists.txt")
check "the project has a version" test -n "$version"
check "newsquery --version names the version ($version)" \
    grep -qF "$version" version.out

# The consumer program.
mkdir consumer
cat >consumer/prog.c <<'C'
#include <stdio.h>
#include <string.h>

#include <newsidx.h>

static const char doc[] =
    "---\n"
    "title: Zebrafish regrow heart tissue in a lab test\n"
    "excerpt: Researchers watched zebrafish hearts heal within weeks.\n"
    "webUrl: https://example.org/zebrafish\n"
    "publishedDateTime: 2024-03-01T08:00:00Z\n"
    "---\n"
    "Body text.\n";

int
main(int argc, char **argv)
{
    newsidx_query_options opts = NEWSIDX_QUERY_OPTIONS_INIT;
    newsidx_error err;
    newsidx_index *idx = NULL;
    newsidx_query *q = NULL;
    newsidx_results *res = NULL;
    const newsidx_hit *hit = NULL;
    int rc, ok = 0;

    if (argc != 2)
        return 2;
    rc = newsidx_index_open(&idx, argv[1], NEWSIDX_OPEN_CREATE, &err);
    if (rc == NEWSIDX_OK)
        rc = newsidx_index_add_buffer(idx, "mem:1", doc, strlen(doc), NULL,
                                      NULL, &err);
    if (rc == NEWSIDX_OK)
        rc = newsidx_query_new(&q, idx, "zebrafish", &opts, &err);
    if (rc == NEWSIDX_OK)
        rc = newsidx_query_run(&res, q, &err);
    if (rc == NEWSIDX_OK && newsidx_results_total(res) == 1 &&
        newsidx_results_next(&hit, res) == NEWSIDX_OK &&
        strstr(newsidx_hit_title(hit), "Zebrafish") != NULL &&
        strcmp(newsidx_hit_path(hit), "mem:1") == 0)
        ok = 1;
    if (rc != NEWSIDX_OK)
        fprintf(stderr, "prog: %s (%s)\n", err.message, newsidx_strerror(rc));
    else
        printf("%s %s: %s\n", ok ? "ok" : "wrong hit", newsidx_version(),
               hit != NULL ? newsidx_hit_title(hit) : "(none)");
    newsidx_results_free(res);
    newsidx_query_free(q);
    newsidx_index_close(idx);
    return ok ? 0 : 1;
}
C
warn="-std=c99 -Wall -Wextra -pedantic -Werror"

# 1. pkg-config, shared.
pc() { PKG_CONFIG_PATH=${pcfile%/*} pkg-config "$@" newsidx; }
pc_flags=$(pc --cflags --libs)
check "pkg-config flags point into the prefix" \
    sh -c "echo '$pc_flags' | grep -q -- '-L$libdir'"
# Users' compile flags carry only the header's folder: nothing of the
# libraries newsidx uses inside (utf8proc's .pc adds -DUTF8PROC_EXPORTS).
pc_cflags=$(pc --cflags)
check "pkg-config --cflags is only -I<includedir> (got '$pc_cflags')" \
    test "$(echo $pc_cflags)" = "-I$(pc --variable=includedir)"
# shellcheck disable=SC2086
check "compile with pkg-config (shared)" \
    "$CC" $warn $cflags_extra consumer/prog.c -o prog_pc $pc_flags \
    -Wl,-rpath,"$(pc --variable=libdir)"
check "the pkg-config program uses the installed libnewsidx" \
    uses_installed ./prog_pc
check "the pkg-config program runs and finds its document" ./prog_pc pc.db

# 2. pkg-config, static: Requires.private brings SQLite and libyaml,
# Libs.private utf8proc, libstemmer and the rest.
static_libs=$(pc --static --libs)
for l in -lsqlite3 -lyaml -lutf8proc -lm; do
    check "pkg-config --static lists $l" \
        sh -c "echo ' $static_libs ' | grep -q -- ' $l '"
done
# shellcheck disable=SC2086
check "compile with pkg-config (static)" \
    "$CC" $warn $cflags_extra consumer/prog.c -o prog_pc_static \
    $(pc --cflags) "$libdir/libnewsidx.a" ${static_libs//-lnewsidx/}
check "the static program does not need libnewsidx.so" sh -c \
    "! readelf -d ./prog_pc_static | grep -q 'libnewsidx'"
check "the static program runs" ./prog_pc_static pc-static.db

# 3. find_package(newsidx), shared and static.
cat >consumer/CMakeLists.txt <<'CM'
cmake_minimum_required(VERSION 3.20)
project(newsidx_consumer C)
find_package(newsidx 0.3 REQUIRED COMPONENTS shared static)
add_executable(prog_shared prog.c)
target_link_libraries(prog_shared PRIVATE newsidx::newsidx)
add_executable(prog_static prog.c)
target_link_libraries(prog_static PRIVATE newsidx::newsidx_static)
CM
check "configure a find_package(newsidx) project" \
    "$CMAKE" -S consumer -B consumer-build -DCMAKE_PREFIX_PATH="$prefix" \
    -DCMAKE_C_COMPILER="$CC" -DCMAKE_C_FLAGS="$warn $cflags_extra" \
    -DCMAKE_BUILD_TYPE=Release >consumer.log 2>&1
check "find_package found the installed package" \
    grep -q "^newsidx_DIR:PATH=$libdir/cmake/newsidx$" consumer-build/CMakeCache.txt
check "build the find_package project" \
    "$CMAKE" --build consumer-build >>consumer.log 2>&1
check "the find_package program uses the installed libnewsidx" \
    uses_installed consumer-build/prog_shared
check "the find_package program runs (shared)" \
    consumer-build/prog_shared cm.db
check "the find_package program runs (static)" \
    consumer-build/prog_static cm-static.db
check "the static find_package program does not need libnewsidx.so" sh -c \
    "! readelf -d consumer-build/prog_static | grep -q 'libnewsidx'"
[ "$n_failed" -eq 0 ] || cat consumer.log >&2

# A staged install (DESTDIR) keeps the real prefix in newsidx.pc.
check "cmake --install with DESTDIR" env DESTDIR="$TMP/stage" \
    "$CMAKE" --install "$NX_BUILD_DIR" --prefix /opt/newsidx >/dev/null
staged_pc=$(find "$TMP/stage" -name newsidx.pc | head -n 1)
check "DESTDIR: newsidx.pc says prefix=/opt/newsidx" \
    grep -qx 'prefix=/opt/newsidx' "${staged_pc:-/dev/null}"

finish
