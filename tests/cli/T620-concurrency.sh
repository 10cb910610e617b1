#!/bin/bash
# T620: readers and writers on one index at once.
#
# While newsindex writes a large batch (NX_CONC_ITEMS generated items, then
# every file rewritten with a new version and indexed again, then rewritten
# while the indexer runs), several processes query in a loop: library
# readers (tests/tools/nx_reader.c, linked to the shared libnewsidx) and
# newsquery loops (tests/tools/query_loop.py, JSON and JSONL).  No query may
# fail (SQLITE_BUSY is waited for inside the library) and no query may see
# a half-applied file: each item's title, excerpt, topic and related list
# carry one version tag (tests/tools/gen_versioned.py), and the readers
# check that they agree.
#
# Two indexers on one file: started at once (while every file is rewritten
# under them), one refuses (exit 1, "another newsindex") or waits; started
# during a --rebuild, the second refuses or waits.  Either way the index
# ends complete and consistent.
#
# Knobs: NX_CONC_ITEMS (20000), NX_CONC_READERS (library readers, 2),
# NX_CONC_QLOOPS (newsquery loops, 2), NX_CONC_REBUILD (1: also a --rebuild
# under the readers, with a second indexer during it).
. "$(dirname "$0")/lib.sh"

if [ -z "${NX_READER:-}" ] || [ ! -x "$NX_READER" ]; then
    echo "NX_READER (tests/tools/nx_reader) is not built; skipped" >&2
    exit 77
fi
TOOLS=$NX_SOURCE_DIR/tests/tools
N=${NX_CONC_ITEMS:-20000}
READERS=${NX_CONC_READERS:-2}
QLOOPS=${NX_CONC_QLOOPS:-2}
REBUILD=${NX_CONC_REBUILD:-1}
MAX_SECONDS=600
QUERIES=(gen alpha 'title:bravo' 'charlie OR delta' 'excerpt:echo news'
    'gen -golf' 'hotel*' 'topic:"ver 3"')
# The items go to a RAM file system when there is one (NX_FAST_TMPDIR,
# default /dev/shm): writing and deleting thousands of small files is slow
# on some disks.  The index stays in the test folder.
FAST=$(mktemp -d "${NX_FAST_TMPDIR:-/dev/shm}/newsidx-items.XXXXXX" 2>/dev/null) ||
    FAST=$TMP
pids=() # the readers, stopped on any exit
trap 'kill "${pids[@]}" 2>/dev/null; wait; rm -rf "$TMP" "$FAST"' EXIT
ITEMS=$FAST/items
t0=$(date +%s)

gen() { # gen VERSION [N]: (re)write the items, all at VERSION
    echo "$(($(date +%s) - t0)) s: writing v$1"
    python3 "$TOOLS/gen_versioned.py" "$ITEMS" "${2:-$N}" "$1"
}

# index_all WHAT: a normal run over the items, exit 0 expected.
index_all() {
    run_index --db t.db -q "$@" "$ITEMS"
    check_eq "$WHAT: exit 0" 0 "$rc"
    [ "$rc" -eq 0 ] || echo "$err" | head -5 >&2
}

# is_at VERSION: every one of the N items is indexed at VERSION, with its
# related entries, in a sound file.
is_at() {
    local v=$1 what="all at v$1"
    echo "$(($(date +%s) - t0)) s: checking v$v"
    check_eq "$what: items" "$N" "$(sql t.db 'SELECT count(*) FROM items')"
    check_eq "$what: titles" 0 "$(sql t.db \
        "SELECT count(*) FROM items WHERE title NOT LIKE 'Gen % v$v %'")"
    check_eq "$what: related entries" 0 "$(sql t.db \
        "SELECT count(*) FROM related WHERE title NOT LIKE 'rel %.% v$v'")"
    check_eq "$what: related count" \
        "$(python3 -c "import sys; sys.path.insert(0, '$TOOLS')
from gen_versioned import related_count as c
print(sum(c(i, $v) for i in range($N)))")" \
        "$(sql t.db 'SELECT count(*) FROM related')"
    check_eq "$what: integrity" ok "$(sql t.db 'PRAGMA integrity_check')"
    check "$what: fts integrity" sql t.db \
        "INSERT INTO fts(fts, rank) VALUES('integrity-check', 1)"
}

# A small first index, so that the readers find an index from the start.
gen 1 200
WHAT="seed index" index_all

# --- the readers ------------------------------------------------------------
for r in $(seq 1 "$READERS"); do
    "$NX_READER" t.db stop "$MAX_SECONDS" "${QUERIES[@]}" \
        >"reader$r.out" 2>"reader$r.err" &
    pids+=($!)
done
for r in $(seq 1 "$QLOOPS"); do
    python3 "$TOOLS/query_loop.py" "$NEWSQUERY" t.db stop "$MAX_SECONDS" \
        "${QUERIES[@]}" >"qloop$r.out" 2>"qloop$r.err" &
    pids+=($!)
done
sleep 1

# --- phase 1: a large batch of additions ----------------------------------
gen 1
t=$(date +%s)
WHAT="phase 1 (add $N)" index_all --batch 500
echo "phase 1: $N additions in $(($(date +%s) - t)) s"
is_at 1

# --- phase 2: every file rewritten, then indexed again ---------------------
gen 2
t=$(date +%s)
WHAT="phase 2 (update $N)" index_all --batch 500
echo "phase 2: $N updates in $(($(date +%s) - t)) s"
is_at 2

# --- two indexers on one file ----------------------------------------------
# two_indexers WHAT DELAY ARGS_A...: start newsindex ARGS_A, then after DELAY
# seconds a plain newsindex; one refuses with the message or they wait.
two_indexers() {
    local what=$1 delay=$2 a b rca rcb
    shift 2
    "$NEWSINDEX" --db t.db -q "$@" "$ITEMS" >a.out 2>a.err &
    a=$!
    sleep "$delay"
    "$NEWSINDEX" --db t.db -q "$ITEMS" >b.out 2>b.err &
    b=$!
    wait "$a"
    rca=$?
    wait "$b"
    rcb=$?
    echo "$what: exit statuses $rca and $rcb"
    n_checks=$((n_checks + 1))
    if [ "$rca" -eq 0 ] && [ "$rcb" -eq 0 ]; then
        : # the second waited for the first
    elif [ "$rca" -eq 0 ] && [ "$rcb" -eq 1 ]; then
        check "$what: the second says why" \
            grep -q 'being updated by another newsindex' b.err
    elif [ "$rca" -eq 1 ] && [ "$rcb" -eq 0 ]; then
        check "$what: the refused one says why" \
            grep -q 'being updated by another newsindex' a.err
    else
        fail "$what: exit $rca and $rcb: $(head -c 300 a.err) $(head -c 300 b.err)"
    fi
}

# --- phase 3: two indexers at once, racing a rewrite of every file ---------
# The files change while they are indexed (each file is replaced whole, by
# a rename); a catch-up run must then bring every item to v3.
t=$(date +%s)
gen 3 &
p3=$!
two_indexers "phase 3: two started at once, during a rewrite" 0
wait "$p3"
WHAT="phase 3 (catch up)" index_all
echo "phase 3: in $(($(date +%s) - t)) s"
is_at 3

# --- phase 4: a rebuild under the readers, a second indexer during it ------
if [ "$REBUILD" = 1 ]; then
    t=$(date +%s)
    two_indexers "phase 4: a second one during --rebuild" 1 --rebuild
    echo "phase 4: rebuild of $N in $(($(date +%s) - t)) s"
    is_at 3
fi

# --- the readers' verdicts ---------------------------------------------------
touch stop
for p in "${pids[@]}"; do
    wait "$p"
    check_eq "reader $p: exit 0" 0 "$?"
done
total=0
for f in reader*.out qloop*.out; do
    cat "$f"
    sed 's/^/  /' "${f%.out}.err" | head -20 >&2
    q=$(sed -n 's/^[a-z]*: \([0-9]*\) queries.*/\1/p' "$f")
    total=$((total + ${q:-0}))
    check "$f: no failure" grep -q ' 0 failures, 0 mismatches ' "$f"
done
echo "$total concurrent queries in $(($(date +%s) - t0)) s"

finish
