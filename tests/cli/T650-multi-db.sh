#!/bin/bash
# T650: several index files searched as one (issue 17).  Items are split
# over three files (generated items in two, the samples in the third, and
# 40 items copied from the first into the second so that near-duplicates
# span files); one more file indexes them all, in the same order.  Then:
# - every bench query and a set of option variants (--all, paging,
#   --count, facets, sorts, freshness, phrases, prefixes, exclusions,
#   typos that get suggestions) answer the same from
#   `--db A --db B --db C` as from the one combined file: totals, facets,
#   suggestions, every hit and its score, and the items each collapsed
#   (tests/tools/same_results.py); with the FTS5 reader and without;
# - hits name their file (JSON "db", text "#ID in FILE");
# - NEWSIDX_DB takes a list separated by ':';
# - misuse is refused with a message: one file twice, files that stem in
#   different languages, --like over several, a missing file;
# - a filter on a value no item has finds nothing, also for words with
#   score ceilings (a bug this test found: the bounded walk ignored it).
. "$(dirname "$0")/lib.sh"
: "${NEWSQUERY:?run through ctest}"

command -v python3 >/dev/null || { echo "SKIP: no python3"; exit 77; }
python3 -c 'import sqlite3' 2>/dev/null || { echo "SKIP: no sqlite3 module"; exit 77; }
SAME=$NX_SOURCE_DIR/tests/tools/same_results.py

# nq ARGS...: run newsquery with the files the arguments name (run_query
# names t.db); sets $rc, $out and $err.
nq() {
    "$NEWSQUERY" "$@" >"$TMP/.out" 2>"$TMP/.err"
    rc=$?
    out=$(cat "$TMP/.out")
    err=$(cat "$TMP/.err")
}

# Under valgrind (.ci/valgrind), fewer items and queries: each run is
# 20-50 times slower there.
n_items=2000
if [ -n "${NX_VALGRIND_BIN:-}" ]; then n_items=1100; fi
python3 "$NX_SOURCE_DIR/bench/gen.py" --jobs 1 --seed 3 gen $n_items \
    >/dev/null || exit 1
mkdir -p parts
mv gen/_news/d0000 parts/a && mv gen/_news/d0001 parts/b || exit 1
cp -r "$NX_SOURCE_DIR/samples/news" parts/c || exit 1
for f in $(ls parts/a | head -40); do cp "parts/a/$f" "parts/b/dup-$f"; done
for p in a b c; do
    run_index -q --db "$p.db" "parts/$p"
    check_eq "index $p: exit 0" 0 "$rc"
done
run_index -q --db all.db parts/a parts/b parts/c
check_eq "index all: exit 0" 0 "$rc"
n=$(sql all.db 'SELECT count(*) FROM items')
m=$(( $(sql a.db 'SELECT count(*) FROM items') + $(sql b.db 'SELECT count(*) FROM items') + $(sql c.db 'SELECT count(*) FROM items') ))
check_eq "the combined file holds the parts' items" "$m" "$n"

# The queries: the bench's, each as typed, and variants with options.
grep -v '^#' "$NX_SOURCE_DIR/bench/queries.txt" | cut -f2 |
    python3 -c 'import shlex, sys
for l in sys.stdin:
    l = l.rstrip("\n")
    if l: print(shlex.quote(l))' >queries
cat >variants <<'QUERIES'
sort
--all sort
--no-collapse -n 30 sort
-n 20 --offset 15 sort
-n 10 --offset 2000 sort
--count sort
--facets topic,provider,year sort
--count --facets topic,provider,year the
--sort date sort
--sort quality sort
--sort heat the
--fresh=30d sort
--exact sorting
'sort*'
'"sort the"'
-- 'sort -the'
'sort OR gai'
title:sort
soort
'sorrt gaii'
--since 2020-01-01 --until 2021-12-31 sort
-n 100 the
-n 50 --facets topic the
robot
'robots market'
--facets topic,provider,year ai
'four topic:"Smart Cities"'
--all 'ai topic:"AI Ethics"'
topic:AI
--since 2023-01-01 --until 2023-12-31
'topic:AI -sort'
--facets year --sort date topic:AI
QUERIES
cat variants >>queries
if [ -n "${NX_VALGRIND_BIN:-}" ]; then
    # One query of each bench class, and every variant.
    python3 -c 'import shlex, sys
seen = set()
for l in open(sys.argv[1]):
    if l.startswith("#") or "\t" not in l:
        continue
    c, q = l.rstrip("\n").split("\t", 1)
    if c not in seen:
        seen.add(c)
        print(shlex.quote(q))' "$NX_SOURCE_DIR/bench/queries.txt" >few
    cat few variants >queries
fi
# (The status is kept before the message is made: a $(...) in the
# arguments would set $? anew, and the check could never fail.)
python3 "$SAME" "$NEWSQUERY" all.db queries a.db b.db c.db >same.out
same_rc=$?
check "the same answers from the parts as from one file: $(tail -1 same.out)" \
    test "$same_rc" = 0
if [ -z "${NX_VALGRIND_BIN:-}" ]; then
    NEWSIDX_FTS5_READER=off python3 "$SAME" "$NEWSQUERY" all.db queries \
        a.db b.db c.db >same-off.out
    same_rc=$?
    check "the same without the FTS5 reader: $(tail -1 same-off.out)" \
        test "$same_rc" = 0
fi
grep -v ' queries equal$' same.out same-off.out 2>/dev/null | head -5 >&2

# Hits name their file; the document lists the files.
nq --db a.db --db b.db -f json sort
check_eq "JSON names the files" '["a.db", "b.db"]' \
    "$(printf '%s' "$out" | python3 -c 'import json, sys; print(json.dumps(json.load(sys.stdin)["dbs"]))')"
check_eq "each hit names its file" "True" \
    "$(printf '%s' "$out" | python3 -c 'import json, sys; d = json.load(sys.stdin); print(all(h["db"] in ("a.db", "b.db") and len(h["collapsed_dbs"]) == h["collapsed"] for h in d["hits"]) and len(d["hits"]) == 10)')"
nq --db a.db -f json sort
check "one file: no \"db\" member" test "${out#*\"db\"}" = "$out"
nq --db a.db --db b.db --color=never sort
check "text: '#ID in FILE'" grep -q ' #[0-9]* in [ab]\.db$' <<<"$out"
NEWSIDX_DB=a.db:b.db "$NEWSQUERY" -f json sort >env.json 2>&1
check_eq "NEWSIDX_DB=a.db:b.db searches both" '["a.db", "b.db"]' \
    "$(python3 -c 'import json, sys; print(json.dumps(json.load(open("env.json"))["dbs"]))')"
NEWSIDX_DB=a.db:b.db "$NEWSINDEX" parts/a >env.out 2>&1
check_eq "newsindex refuses a list in NEWSIDX_DB" 2 "$?"
check "... and says why" grep -q 'NEWSIDX_DB names several' env.out

# Misuse.
nq --db a.db --db ./a.db sort
check_eq "one file twice: exit 1" 1 "$rc"
check "... names it" grep -q "same index file" <<<"$err"
nq --db a.db --db b.db --like 5
check_eq "--like over several: usage error" 2 "$rc"
nq --db a.db --db missing.db sort
check_eq "a missing file: exit 1" 1 "$rc"
check "... named" grep -q "missing.db" <<<"$err"
run_index -q --db none.db --stem-language none parts/c
nq --db a.db --db none.db sort
check_eq "files stemming differently: exit 1" 1 "$rc"
check "... says so" grep -q "must stem alike" <<<"$err"

# A topic spelled two ways in two files is one facet value, as in one
# index (which groups topics by a normalized key and shows the least
# spelling).
mkdir -p t1 t2
printf -- '---\ntitle: Edge one\ntopics:\n  - edge cases\n---\n' >t1/a.md
printf -- '---\ntitle: Edge two\ntopics:\n  - Edge Cases\n---\n' >t2/b.md
run_index -q --db t1.db t1
run_index -q --db t2.db t2
run_index -q --db t12.db t1 t2
nq --db t12.db -f json --facets topic edge
one=$(printf '%s' "$out" | python3 -c 'import json, sys; print(json.load(sys.stdin)["facets"])')
nq --db t1.db --db t2.db -f json --facets topic edge
check_eq "a topic's two spellings: one facet value, as in one index" \
    "$one" "$(printf '%s' "$out" | python3 -c 'import json, sys; print(json.load(sys.stdin)["facets"])')"

# A filter on a value no item has finds nothing, whatever the words.
for q in sort the 'sort the' four; do
    nq --db a.db -f json "$q topic:\"No Such Topic\""
    check_eq "[$q topic:none] finds nothing" 0 \
        "$(printf '%s' "$out" | python3 -c 'import json, sys; d = json.load(sys.stdin); print(d["total"] + len(d["hits"]))')"
done

finish
