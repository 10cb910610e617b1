#!/bin/bash
# T140: SIGKILL at random moments while indexing and while rebuilding.
# After each kill the index opens, passes PRAGMA integrity_check and the
# FTS5 integrity-check, and answers queries; a final normal run reaches
# exactly the full item count with each file once.
. "$(dirname "$0")/lib.sh"

N=${NX_CRASH_ITEMS:-12000}
KILLS=${NX_CRASH_KILLS:-8}
python3 "$(dirname "$0")/gen_items.py" items "$N" 7

check_after_kill() {
    check_eq "$1: integrity" ok "$(sql t.db 'PRAGMA integrity_check')"
    check "$1: fts integrity" sql t.db \
        "INSERT INTO fts(fts, rank) VALUES('integrity-check', 1)"
    check "$1: query works" sql t.db \
        "SELECT count(*) FROM fts WHERE fts MATCH 'robot' ORDER BY rank"
    check_eq "$1: items and fts agree" \
        "$(sql t.db 'SELECT count(*) FROM items')" \
        "$(sql t.db 'SELECT count(*) FROM fts')"
}

kill_at_random() {
    local what=$1
    shift
    "$NEWSINDEX" --db t.db -q --batch 100 "$@" items &
    local pid=$!
    sleep "0.$(printf '%03d' $((RANDOM % 900 + 30)))"
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    check_after_kill "$what"
}

RANDOM=42
for i in $(seq 1 "$KILLS"); do
    kill_at_random "kill $i"
done
for i in 1 2 3; do
    kill_at_random "rebuild kill $i" --rebuild
done

run_index --db t.db --json items
check_eq "final run: exit 0" 0 "$rc"
check_eq "final run: every item" "$N" "$(json_get items)"
check_eq "final run: each file once" "$N" \
    "$(sql t.db 'SELECT count(DISTINCT path) FROM files')"
check_eq "final run: fts rows" "$N" "$(sql t.db 'SELECT count(*) FROM fts')"
check_after_kill "final"

finish
