#!/bin/bash
# T640: without the FTS5 storage reader (issue 16).  NEWSIDX_FTS5_READER=off
# stands for a future SQLite whose FTS5 writes another format: newsindex
# must still complete, working out the score ceilings (`bounds`) through
# fts5vocab, and every query must answer the same, byte for byte, only
# through SQL.  Checked with 9,000 generated items (every word frequent
# enough to have ceilings; two runs, so that words become frequent in a
# later transaction too), indexed once with the reader and once without:
# - the two indexes have the same `bounds` and `meta('bound_avg')`;
# - each query's JSON is the same from both indexes, with the reader and
#   without (four runs per query).
# (CI also runs the whole suite with the variable set.)
. "$(dirname "$0")/lib.sh"
: "${NEWSQUERY:?run through ctest}"

for tool in python3 sqlite3; do
    command -v "$tool" >/dev/null || { echo "SKIP: no $tool"; exit 77; }
done
GEN=$NX_SOURCE_DIR/tests/cli/gen_items.py

python3 "$GEN" a 6000 1 || exit 1
python3 "$GEN" b 3000 7 || exit 1
for db in on off; do
    if [ "$db" = off ]; then export NEWSIDX_FTS5_READER=off; fi
    rm -rf items && cp -r a items || exit 1
    run_index -q --db "$db.db" items
    check_eq "$db: first run, exit 0" 0 "$rc"
    for d in b/*; do cp -r "$d" "items/e${d#b/}" || exit 1; done
    run_index -q --db "$db.db" items
    check_eq "$db: second run, exit 0" 0 "$rc"
    check_eq "$db: 9000 items" 9000 "$(sql "$db.db" 'SELECT count(*) FROM items')"
    unset NEWSIDX_FTS5_READER
done

bounds() {
    sql "$1" "SELECT term, chunk, hex(data) FROM bounds ORDER BY 1, 2;
              SELECT value FROM meta WHERE key = 'bound_avg'"
}
n_terms=$(sql on.db 'SELECT count(DISTINCT term) FROM bounds')
check "with the reader, frequent words have ceilings ($n_terms)" \
    test "$n_terms" -ge 16
check "the same ceilings without the reader" \
    test "$(bounds on.db)" = "$(bounds off.db)"

# One JSON document per (query, index, reader); all four must be equal.
while IFS= read -r line; do
    eval "set -- $line"
    ref=
    for db in on off; do
        for reader in on off; do
            if [ "$reader" = off ]; then
                NEWSIDX_FTS5_READER=off "$NEWSQUERY" --db "$db.db" -f json \
                    "$@" >got 2>goterr
            else
                "$NEWSQUERY" --db "$db.db" -f json "$@" >got 2>goterr
            fi
            got="exit $? $(cat got goterr)"
            if [ -z "$ref" ]; then
                ref=$got
                check "[$line]: exit 0" test "${got#exit 0 }" != "$got"
            else
                check_eq "[$line] from $db.db, reader $reader" "$ref" "$got"
            fi
        done
    done
done <<'EOF'
robot
'robot market'
'chip OR cloud'
'"robot vision"'
'rob*'
'c*'
-- 'market -robot'
--sort date robot
--sort quality city
--all robot
--facets topic,provider,year robot
-n 5 --offset 20 vision
-n 50 'data privacy'
--count court
--fresh=30d 'robot market'
'item1 OR item2'
title:robot
--like 5
EOF

finish
