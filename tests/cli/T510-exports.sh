#!/bin/bash
# T510: the shared library's export list is the public API, no more and no
# less: every dynamic symbol is newsidx_*, every function the header
# declares NEWSIDX_API is exported, and the SONAME is versioned.
. "$(dirname "$0")/lib.sh"

: "${NX_LIB_SHARED:?run through ctest}"
so=$NX_LIB_SHARED
check "the shared library is built" test -f "$so"
check "the static library libnewsidx.a is built" \
    test "$(basename "${NX_LIB_STATIC:-}")" = libnewsidx.a -a -f "${NX_LIB_STATIC:-}"

want=$(expected_soname)
soname=$(readelf -d "$so" | sed -n 's/.*Library soname: \[\(.*\)\].*/\1/p')
check_eq "SONAME" "$want" "$soname"

# Defined dynamic symbols, without the linker's own (_init, _end, ...).
nm -D --defined-only "$so" | awk '{ print $NF }' | sed 's/@.*//' |
    grep -Ev '^(_init|_fini|_edata|_end|__bss_start|_DYNAMIC|_GLOBAL_OFFSET_TABLE_)$' |
    sort -u >exported
check "nm lists exported symbols" test -s exported
grep -v '^newsidx_' exported >stray
check "only newsidx_* is exported (stray: $(tr '\n' ' ' <stray))" \
    test ! -s stray

# Every NEWSIDX_API function of the header, also when the declaration
# spans lines ("NEWSIDX_API const char *\nnewsidx_x(").
python3 - "$NX_SOURCE_DIR/include/newsidx.h" >declared <<'PY'
import re, sys
text = open(sys.argv[1], encoding="utf-8").read()
text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
names = re.findall(r"\bNEWSIDX_API\b[^;{]*?\b(newsidx_\w+)\s*\(", text)
print("\n".join(sorted(set(names))))
PY
check "the header declares NEWSIDX_API functions" test "$(wc -l <declared)" -ge 40
comm -23 declared exported >missing
check "every NEWSIDX_API function is exported (missing: $(tr '\n' ' ' <missing))" \
    test ! -s missing
comm -13 declared exported >undeclared
check "every export is declared in newsidx.h (undeclared: $(tr '\n' ' ' <undeclared))" \
    test ! -s undeclared

# Internal nx_* functions stay out of the dynamic table but are in the
# library (i.e. hidden, not missing).
check "nx_* symbols are hidden" sh -c "! nm -D '$so' | grep -q ' nx_'"

finish
