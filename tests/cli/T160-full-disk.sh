#!/bin/bash
# T160: a full disk.  When the write-ahead log cannot be folded into the
# index at the end of a run, newsindex says so and exits 1; the items stay
# committed in the log and queryable, and the next run with room completes
# the fold: no log left behind, every item there.
#
# The index lives on a small tmpfs of its own (root only: skipped with 77
# otherwise, or when mounting is not allowed, as in many containers).  The
# full disk is made deterministic: a reader holds a snapshot while a run
# adds items, so that run cannot fold them (that is normal and must not be
# reported), then a file fills the disk and the next run's fold meets it.
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" -ne 0 ]; then
    echo "T160 needs root to mount a tmpfs; skipped" >&2
    exit 77
fi
MNT=$TMP/mnt
mkdir "$MNT"
if ! mount -t tmpfs -o size=8m tmpfs "$MNT" 2>mount.err; then
    echo "cannot mount a tmpfs ($(head -n 1 mount.err)); skipped" >&2
    exit 77
fi
reader_pid=
cleanup() {
    [ -n "$reader_pid" ] && kill "$reader_pid" 2>/dev/null && wait "$reader_pid"
    umount "$MNT" 2>/dev/null || umount -l "$MNT"
    rm -rf "$TMP"
}
trap cleanup EXIT

GEN="$(dirname "$0")/gen_items.py"
N1=200
N2=400
python3 "$GEN" items1 "$N1" 1
python3 "$GEN" items2 "$N2" 2
DB=$MNT/t.db

wal_size() {
    if [ -e "$DB-wal" ]; then stat -c %s "$DB-wal"; else echo 0; fi
}

# 1. A first run on an empty disk folds its log: none is left.
run_index --db "$DB" -q items1
check_eq "first run: exit 0" 0 "$rc"
check_eq "first run: no message" "" "$err"
check_eq "first run: no log left" 0 "$(wal_size)"

# 2. A reader holds a snapshot from before the second run, which therefore
# cannot fold what it adds.  That is normal while queries run: exit 0, no
# message, and no wait for the busy timeout (10 s).
python3 - "$DB" reader.ready reader.go <<'PY' &
import os, sqlite3, sys, time
con = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True,
                      isolation_level=None)
con.execute("BEGIN")
n = con.execute("SELECT count(*) FROM items").fetchone()[0]
with open(sys.argv[2], "w") as f:
    f.write("%d\n" % n)
while not os.path.exists(sys.argv[3]):
    time.sleep(0.02)
con.execute("COMMIT")
con.close()
PY
reader_pid=$!
for _ in $(seq 1 500); do
    [ -s reader.ready ] && break
    sleep 0.02
done
check_eq "the reader sees the first run's items" "$N1" "$(cat reader.ready)"
t0=$(date +%s)
run_index --db "$DB" -q items1 items2
check_eq "run under a reader: exit 0" 0 "$rc"
check_eq "run under a reader: no message" "" "$err"
check "run under a reader: no wait for the busy timeout" \
    test $(($(date +%s) - t0)) -lt 8
wal_pending=$(wal_size)
check "run under a reader: its log is left for later" test "$wal_pending" -gt 0

# 3. The disk fills up (head stops at "No space left on device"), then the
# reader lets go.  Its connection is read-only and does not fold the log.
head -c 64M /dev/zero >"$MNT/filler" 2>/dev/null
check_eq "the disk is full" 0 "$(df -P "$MNT" | awk 'NR == 2 { print $4 }')"
touch reader.go
wait "$reader_pid"
reader_pid=

# 4. A run now cannot fold the log: the summary, then the error, exit 1.
run_index --db "$DB" --json -q items1 items2
check_eq "full disk: exit 1" 1 "$rc"
check "full disk: the summary is still printed" valid_json .out
check_eq "full disk: the summary counts every item" $((N1 + N2)) \
    "$(json_get items)"
want="newsindex: error: cannot fold the write-ahead log into '$DB': database or disk is full; the items are safe in the log, and the next run completes this"
check_eq "full disk: the message names the index and the reason" "$want" "$err"
check_eq "full disk: the log is kept" "$wal_pending" "$(wal_size)"
"$NEWSQUERY" --db "$DB" --count 'title:item*' >q.out 2>q.err
check_eq "full disk: newsquery works" 0 "$?"
check_eq "full disk: every item is queryable" $((N1 + N2)) "$(cat q.out)"

# The same again without --json: the text summary, then the error.
run_index --db "$DB" items1 items2
check_eq "full disk again: exit 1" 1 "$rc"
check_eq "full disk again: summary, then the error" \
    "newsindex: 0 added, 0 updated, 0 renamed, $((N1 + N2)) unchanged, 0 removed, 0 skipped, 0 failed (0 warnings); $((N1 + N2)) items in $DB" \
    "$(sed -n '1s/; [0-9.]* s$//p' .err)"
check_eq "full disk again: the error line" "$want" "$(sed -n '2p' .err)"

# 5. With room again, the next run completes the fold.
rm -f "$MNT/filler"
run_index --db "$DB" --json -q items1 items2
check_eq "with room: exit 0" 0 "$rc"
check_eq "with room: no message" "" "$err"
check_eq "with room: no log left" 0 "$(wal_size)"
check_eq "with room: every item" $((N1 + N2)) "$(json_get items)"
check_eq "with room: integrity" ok "$(sql "$DB" 'PRAGMA integrity_check')"
check "with room: fts integrity" sql "$DB" \
    "INSERT INTO fts(fts, rank) VALUES('integrity-check', 1)"
check_eq "with room: items in SQL" $((N1 + N2)) \
    "$(sql "$DB" 'SELECT count(*) FROM items')"
"$NEWSQUERY" --db "$DB" --count 'title:item*' >q.out 2>q.err
check_eq "with room: every item is queryable" $((N1 + N2)) "$(cat q.out)"

finish
