#!/bin/bash
# T530: the programs are built on the public API alone, and newsidx.h is a
# self-contained header that C and C++ accept and that exposes no SQLite,
# libyaml or utf8proc type.
. "$(dirname "$0")/lib.sh"

src=$NX_SOURCE_DIR
internal='base.h format.h fts5read.h write.h query.h results.h'

# The program sources: both main.c files and everything only the programs
# compile (the newsidx_cli helpers, newsquery's options and printers).
programs="indexer/main.c indexer/cli/cli.c indexer/cli/printer_json.c query/main.c
          query/args.c query/emit.c query/printer_paths.c query/printer_text.c"

# Every repository file a source includes with "...", transitively:
# resolved next to the including file, then in the layers' folders and
# include/ (tests/cli/T540-layers.sh checks what the build lets each see).
seen=" "
walk() {
    local file=$1 dir inc found d
    case $seen in *" $file "*) return ;; esac
    seen="$seen$file "
    dir=$(dirname "$file")
    for inc in $(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$src/$file"); do
        found=
        for d in "$dir" indexer/base indexer/format indexer indexer/cli query include; do
            if [ -f "$src/$d/$inc" ]; then
                found=$(realpath --relative-to="$src" "$src/$d/$inc")
                break
            fi
        done
        if [ -n "$found" ]; then
            echo "$file $found"
            walk "$found"
        fi
    done
}
for p in $programs; do
    check "program source $p exists" test -f "$src/$p"
    [ -f "$src/$p" ] && walk "$p"
done >includes
check "program includes were found" grep -q ' include/newsidx.h$' includes
for h in $internal; do
    while read -r from to; do
        case $to in
        */"$h") fail "$from includes internal header $to" ;;
        esac
    done <includes
    n_checks=$((n_checks + 1))
done
# The closure, for the log.
echo "headers used by the programs: $(awk '{ print $2 }' includes | sort -u | tr '\n' ' ')"

# newsidx.h on its own, as C99 and as C++.
CC=${NX_CC:-cc}
check "newsidx.h compiles alone as C99" \
    "$CC" -fsyntax-only -Wall -Wextra -pedantic -Werror -std=c99 -x c \
    "$src/include/newsidx.h"
check "newsidx.h compiles alone as C11 with -Wstrict-prototypes" \
    "$CC" -fsyntax-only -Wall -Wextra -pedantic -Werror -std=c11 \
    -Wstrict-prototypes -x c "$src/include/newsidx.h"
if command -v g++ >/dev/null; then
    check "newsidx.h compiles alone as C++" \
        g++ -fsyntax-only -Wall -Wextra -pedantic -Werror -x c++ \
        "$src/include/newsidx.h"
    # C++ code using the header: the option initializers and extern "C".
    cat >use.cpp <<'CPP'
#include "newsidx.h"
int main()
{
    newsidx_index_options io = NEWSIDX_INDEX_OPTIONS_INIT;
    newsidx_query_options qo = NEWSIDX_QUERY_OPTIONS_INIT;
    newsidx_index_stats st = NEWSIDX_INDEX_STATS_INIT;
    const char *(*f)(int) = newsidx_strerror;
    return (int)io.version + (int)qo.version + (int)st.version +
           (f != nullptr ? 0 : 1);
}
CPP
    check "C++ code can use the header's initializers" \
        g++ -std=c++11 -fsyntax-only -Wall -Wextra -pedantic -Werror \
        -I"$src/include" use.cpp
else
    echo "note: no g++, C++ check skipped"
fi

# No third-party type leaks into the API (comments aside).
python3 - "$src/include/newsidx.h" >leaks <<'PY'
import re, sys
text = open(sys.argv[1], encoding="utf-8").read()
text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
for m in re.finditer(r"\b(sqlite3\w*|yaml_\w+|utf8proc_\w+)\b|#\s*include\s*[<\"](sqlite3|yaml|utf8proc)", text):
    print(m.group(0))
PY
check "newsidx.h names no SQLite/yaml/utf8proc type ($(tr '\n' ' ' <leaks))" \
    test ! -s leaks

finish
