#!/bin/bash
# T140: SIGKILL at random moments while indexing and while rebuilding.
# After each kill the index opens, passes PRAGMA integrity_check and the
# FTS5 integrity-check, and answers queries (sqlite3 and newsquery); a final
# normal run reaches exactly the full item count with each file once and
# every item as its file says now.
#
# Kills must land mid-run, so the runs are kept busy: whenever a kill finds
# the index complete, the next run gets new work, alternately a rewrite of
# every file (all updates) or a fresh index (all additions).  The test
# counts the kills that found the index partial (some item missing or not
# yet updated) and fails if none did.
#
# Knobs: NX_CRASH_ITEMS (items), NX_CRASH_KILLS (kills during normal runs),
# NX_CRASH_REBUILD_KILLS (kills during --rebuild), NX_CRASH_MAX_MS (the
# latest moment of a kill, ms after the start; lowered when runs end
# before their kill), NX_CRASH_SEED.
. "$(dirname "$0")/lib.sh"

N=${NX_CRASH_ITEMS:-3000}
KILLS=${NX_CRASH_KILLS:-30}
REBUILD_KILLS=${NX_CRASH_REBUILD_KILLS:-10}
MAX_MS=${NX_CRASH_MAX_MS:-700}
MIN_MS=40
max_ms=$MAX_MS
RANDOM=${NX_CRASH_SEED:-42}
GEN="$(dirname "$0")/gen_items.py"
# The items go to a RAM file system when there is one (NX_FAST_TMPDIR,
# default /dev/shm): writing and deleting thousands of small files is slow
# on some disks.  The index stays in the test folder.
FAST=$(mktemp -d "${NX_FAST_TMPDIR:-/dev/shm}/newsidx-items.XXXXXX" 2>/dev/null) ||
    FAST=$TMP
trap 'rm -rf "$TMP" "$FAST"' EXIT
ITEMS=$FAST/items

generation=7
python3 "$GEN" "$ITEMS" "$N" "$generation"

# want.titles: the title of every file, as the index should show it.
expected_titles() {
    grep -rh '^title: ' "$ITEMS" | sed 's/^title: "//; s/"$//' | sort >want.titles
}
expected_titles

sql_quiet() {
    sql "$@" >/dev/null
}

n_partial=0        # kills that found the index partial
n_early=0          # kills before the index file (or its tables) existed
n_finished=0       # runs that ended before their kill
is_complete=false  # the last check found every item up to date

check_after_kill() {
    local what=$1
    check_eq "$what: integrity" ok "$(sql t.db 'PRAGMA integrity_check')"
    check "$what: fts integrity" sql t.db \
        "INSERT INTO fts(fts, rank) VALUES('integrity-check', 1)"
    check "$what: query works" sql_quiet t.db \
        "SELECT count(*) FROM fts WHERE fts MATCH 'robot' ORDER BY rank"
    check_eq "$what: items and fts agree" \
        "$(sql t.db 'SELECT count(*) FROM items')" \
        "$(sql t.db 'SELECT count(*) FROM fts')"
    check_eq "$what: no item twice" \
        "$(sql t.db 'SELECT count(*) FROM items')" \
        "$(sql t.db 'SELECT count(DISTINCT path) FROM files WHERE status = 0')"
    "$NEWSQUERY" --db t.db -f json --related 5 robot >q.out 2>q.err
    check_eq "$what: newsquery works" 0 "$?"
    check "$what: newsquery JSON valid" valid_json q.out
    "$NEWSQUERY" --db t.db --count 'title:item1*' >q.out 2>q.err
    check_eq "$what: newsquery --count works" 0 "$?"
    sql t.db 'SELECT title FROM items' | sort >have.titles
    if cmp -s want.titles have.titles; then
        is_complete=true
    else
        is_complete=false
        n_partial=$((n_partial + 1))
    fi
}

kill_at_random() {
    local what=$1
    shift
    "$NEWSINDEX" --db t.db -q --batch 100 "$@" "$ITEMS" 2>run.err &
    local pid=$!
    sleep "$(printf '%d.%03d' 0 $((RANDOM % (max_ms - MIN_MS) + MIN_MS)))"
    if ! kill -9 "$pid" 2>/dev/null; then
        # The run was shorter than the window: aim earlier from now on.
        n_finished=$((n_finished + 1))
        max_ms=$((max_ms * 3 / 4))
        [ "$max_ms" -gt $((MIN_MS + 60)) ] || max_ms=$((MIN_MS + 60))
    fi
    wait "$pid" 2>/dev/null
    if [ ! -s t.db ]; then
        # Killed before the index file was written: nothing to check.
        n_early=$((n_early + 1))
        return
    fi
    if [ "$(sql t.db 'SELECT count(*) FROM sqlite_schema')" = 0 ]; then
        # Killed after SQLite wrote the file's header but before the first
        # transaction (the tables) committed: no index yet, and newsquery
        # says so (the next run makes the tables).  Seen under load.
        "$NEWSQUERY" --db t.db robot >q.out 2>q.err
        check_eq "$what: newsquery on a file without tables: exit 1" 1 "$?"
        check "$what: ... says it is not an index" \
            grep -q 'is empty, not an index' q.err
        n_early=$((n_early + 1))
        return
    fi
    check_after_kill "$what"
}

# Give the next run work to do when the index is complete.
new_work() {
    local k=$1
    if [ $((k % 2)) -eq 0 ]; then
        generation=$((generation + 1))
        python3 "$GEN" "$ITEMS" "$N" "$generation"
        expected_titles
    else
        rm -f t.db t.db-wal t.db-shm
    fi
}

t0=$(date +%s)
n_work=0
for i in $(seq 1 "$KILLS"); do
    if $is_complete; then
        n_work=$((n_work + 1))
        new_work "$n_work"
    fi
    kill_at_random "kill $i"
done
# --rebuild starts from a complete index every time.
for i in $(seq 1 "$REBUILD_KILLS"); do
    run_index --db t.db -q "$ITEMS"
    check_eq "before rebuild kill $i: exit 0" 0 "$rc"
    kill_at_random "rebuild kill $i" --rebuild
done

run_index --db t.db --json "$ITEMS"
check_eq "final run: exit 0" 0 "$rc"
check_eq "final run: every item" "$N" "$(json_get items)"
check_eq "final run: each file once" "$N" \
    "$(sql t.db 'SELECT count(DISTINCT path) FROM files')"
check_eq "final run: items" "$N" "$(sql t.db 'SELECT count(*) FROM items')"
check_eq "final run: fts rows" "$N" "$(sql t.db 'SELECT count(*) FROM fts')"
check_after_kill "final"
check "final run: every item as its file says now" $is_complete
check_eq "final run: every related entry once" \
    "$(grep -rh '^  - title: "related ' "$ITEMS" | wc -l)" \
    "$(sql t.db 'SELECT count(*) FROM related')"
"$NEWSQUERY" --db t.db --count robot >q.out 2>q.err
check_eq "final run: newsquery counts" \
    "$(grep -rlw 'robot' "$ITEMS" | wc -l)" "$(cat q.out)"

total=$((KILLS + REBUILD_KILLS))
echo "$total kills ($REBUILD_KILLS during --rebuild) in $(($(date +%s) - t0)) s:" \
    "$n_partial found the index partial, $n_finished runs ended before" \
    "their kill, $n_early before the index existed; $n_work refills," \
    "generation $generation"
check "some kills found the index partial" test "$n_partial" -gt 0
check "most kills landed mid-run" test $((n_finished * 2)) -lt "$total"

finish
