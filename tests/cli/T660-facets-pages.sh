#!/bin/bash
# T660: facet counts and deep pages equal what a walk over every match
# gives (issue 18: both are being rewritten for speed, and must not change
# a number).  An index of 2,000 generated items, the samples, hand-made
# items for the corners of the facets and copies of generated items that
# collapse into one story (tests/tools/walk_check.py, "corpus").  Then,
# for fixed queries and random ones made from the words of
# bench/queries.txt (a fixed seed: a failure prints the newsquery command
# that shows it), tests/tools/walk_check.py checks that:
# - `--facets topic,provider,year` gives, with collapsing on and off,
#   with --count, and with the default or a small --facet-limit (and what
#   facets_left_out says), the counts, values and order that the index
#   file gives for the items of a `--no-collapse -n 10000` listing of every
#   match, counted in Python from its tables;
# - `-n 10 --offset K` (K = 0, 10, 100, 500, 1000, 1500, the last page,
#   and one past it) lists hits K+1..K+10 of a `-n 10000` listing of the
#   same query: ids, order, collapsed ids and scores, collapsed or not,
#   under --sort date, quality and heat; and the stories of the collapsed
#   listing hold every match once;
# - the same without the FTS5 reader (NEWSIDX_FTS5_READER=off: SQL);
# - a spoiled reference is seen (the check can fail).
. "$(dirname "$0")/lib.sh"
: "${NEWSQUERY:?run through ctest}"

command -v python3 >/dev/null || { echo "SKIP: no python3"; exit 77; }
python3 -c 'import sqlite3' 2>/dev/null || { echo "SKIP: no sqlite3 module"; exit 77; }
WALK=$NX_SOURCE_DIR/tests/tools/walk_check.py
BENCH=$NX_SOURCE_DIR/bench/queries.txt

# Under valgrind (.ci/valgrind), fewer items and queries, one pass, and
# no check of the checker (it tests no program code): each newsquery run
# takes about 1.5 s there, against 0.02 s.
n_items=2000 walk_opts=(--random 80)
if [ -n "${NX_VALGRIND_BIN:-}" ]; then
    n_items=600 walk_opts=(--quick --random 0)
fi
python3 "$NX_SOURCE_DIR/bench/gen.py" --jobs 1 --seed 5 gen $n_items \
    >/dev/null || exit 1
python3 "$WALK" corpus gen/_news more || exit 1
run_index -q --db t.db gen "$NX_SOURCE_DIR/samples/news" more
check_eq "index: exit 0" 0 "$rc"
n_samples=$(count_news "$NX_SOURCE_DIR/samples/news")
n_more=$(find more -name '*.md' | wc -l)
check_eq "index: every file an item" "$((n_items + n_samples + n_more))" \
    "$(sql t.db 'SELECT count(*) FROM items')"

# (The status is kept before the message is made: a $(...) in the
# arguments would set $? anew.)
python3 "$WALK" check "${walk_opts[@]}" "$NEWSQUERY" t.db "$BENCH" >walk.out
walk_rc=$?
check "facets and pages equal the walk: $(tail -1 walk.out)" \
    test "$walk_rc" = 0
if [ -z "${NX_VALGRIND_BIN:-}" ]; then
    NEWSIDX_FTS5_READER=off python3 "$WALK" check "${walk_opts[@]}" \
        "$NEWSQUERY" t.db "$BENCH" >walk-off.out
    walk_rc=$?
    check "the same without the FTS5 reader: $(tail -1 walk-off.out)" \
        test "$walk_rc" = 0
fi
tail -qn1 walk.out walk-off.out 2>/dev/null
grep -h '^FAIL' walk.out walk-off.out 2>/dev/null | head -20 >&2

# The check can fail: with one item less in a facet count and two hits
# swapped in the walk, it must report differences, and name the query.
if [ -z "${NX_VALGRIND_BIN:-}" ]; then
    python3 "$WALK" check --quick --random 0 --break-reference \
        "$NEWSQUERY" t.db "$BENCH" >broken.out
    check_eq "a spoiled reference fails the check" 1 "$?"
    check "... and says where" \
        grep -q "^FAIL newsquery .* -- the: topic facet: '[^']*': count" \
        broken.out
    check "... in pages too" \
        grep -q "^FAIL newsquery .*--offset 0 .*hits 1\.\. of the walk" \
        broken.out
fi

finish
