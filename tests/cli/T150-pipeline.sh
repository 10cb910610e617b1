#!/bin/bash
# T150: a re-run over many files with every outcome mixed, spread over more
# files than newsindex looks ahead (64) and over several batches: every
# file's outcome is reported once and in walk order, the counts are right,
# and the index holds the same as a fresh index of the same files.
. "$(dirname "$0")/lib.sh"

gen=$NX_SOURCE_DIR/tests/cli/gen_items.py
python3 "$gen" items 600 1
run_index --db t.db --json --batch 37 items
check_eq "first run exits 0" 0 "$rc"
check_eq "first run: all added" 600 "$(json_get added)"

# One outcome per file, by its number: touched, changed, broken, renamed,
# deleted, made into a non-item; the rest stay as they are.
python3 - items <<'EOF'
import os, sys
root = sys.argv[1]
for i in range(600):
    path = os.path.join(root, "d%03d" % (i // 500), "item-%06d.md" % i)
    if i % 7 == 0:
        os.utime(path, (978307200, 978307200))          # touched
    elif i % 11 == 0:
        text = open(path).read().replace('title: "Item', 'title: "Changed', 1)
        open(path, "w").write(text)                     # changed
    elif i % 13 == 0:
        open(path, "a").write("\n")                     # body only: changed
        text = open(path).read().replace("quality:", "quality: [", 1)
        open(path, "w").write(text)                     # broken YAML
    elif i % 17 == 0:
        os.rename(path, path.replace("item-", "renamed-"))
    elif i % 19 == 0:
        os.remove(path)
    elif i % 23 == 0:
        open(path, "w").write("no front matter here\n")  # skipped
EOF
python3 "$gen" items/new 40 2
head -c 300000 /dev/zero | tr '\0' 'x' >items/d000/zz-huge.md

touched=0 changed=0 broken=0 renamed=0 deleted=0 skipped=0
for i in $(seq 0 599); do
    if ((i % 7 == 0)); then touched=$((touched + 1))
    elif ((i % 11 == 0)); then changed=$((changed + 1))
    elif ((i % 13 == 0)); then broken=$((broken + 1))
    elif ((i % 17 == 0)); then renamed=$((renamed + 1))
    elif ((i % 19 == 0)); then deleted=$((deleted + 1))
    elif ((i % 23 == 0)); then skipped=$((skipped + 1))
    fi
done
rest=$((600 - changed - broken - renamed - deleted - skipped))

run_index --db t.db --json --verbose --batch 37 --max-size 200K items
check_eq "re-run exits 5 (some files failed)" 5 "$rc"
check_eq "updated" "$changed" "$(json_get updated)"
check_eq "renamed" "$renamed" "$(json_get renamed)"
check_eq "removed" "$deleted" \
    "$(json_get removed)"
check_eq "added: the new files" 40 "$(json_get added)"
check_eq "skipped" "$skipped" "$(json_get skipped)"
check_eq "failed: broken ones and the huge file" $((broken + 1)) \
    "$(json_get failed)"
check_eq "unchanged, touched ones included" "$rest" "$(json_get unchanged)"

# Each walked file is reported once, in walk (path) order; removals come
# last.
printf '%s\n' "$err" | grep -v '^newsindex: ' | grep -v ': removed$' |
    sed -E 's/(:[0-9]+:[0-9]+)?: .*//' >reported
find items -type f | LC_ALL=C sort >walked
check "every file reported once, in walk order" diff walked reported
check_eq "the huge file's reason is given" 1 \
    "$(grep -c 'zz-huge.md: error: .*over the 204800-byte limit' <<<"$err")"

# The incremental index holds what a fresh index of the same files holds.
run_index --db fresh.db --batch 1000 --max-size 200K items
dump() {
    sql "$1" "SELECT f.path, f.status, i.title, i.excerpt, i.quality,
                     i.heat, i.published_at, i.url_key,
                     (SELECT group_concat(t.name, '|') FROM item_topics it
                        JOIN topics t ON t.id = it.topic_id
                       WHERE it.item_id = i.id),
                     (SELECT count(*) FROM related r WHERE r.item_id = i.id)
                FROM files f LEFT JOIN items i ON i.id = f.id
               WHERE f.status = 0 ORDER BY f.path"
}
dump t.db >incremental
dump fresh.db >rebuilt
check "incremental index = fresh index" cmp -s incremental rebuilt
# A broken file keeps its last good item.
check_eq "items: the fresh ones and the broken files' last good ones" \
    $(($(sql fresh.db 'SELECT count(*) FROM items') + broken)) \
    "$(sql t.db 'SELECT count(*) FROM items')"
matches() {
    sql "$1" "SELECT count(*) FROM fts JOIN items i ON i.id = fts.rowid
                JOIN files f ON f.id = i.id
               WHERE fts MATCH '$2' AND f.status = 0"
}
for word in changed market robot item0 item599; do
    check_eq "fts '$word'" "$(matches fresh.db "$word")" \
        "$(matches t.db "$word")"
done
check_eq "fts integrity" "" \
    "$(sql t.db "INSERT INTO fts(fts) VALUES('integrity-check')")"
# The term counts (queries' idf) equal FTS5's own, after every kind of
# change the run made.
check_eq "terms = fts5vocab" "0 $(sql t.db 'SELECT count(*) FROM terms')" \
    "$(sql t.db "CREATE VIRTUAL TABLE temp.v USING fts5vocab(main, fts, row);
        SELECT (SELECT count(*) FROM (SELECT term, doc FROM v EXCEPT
                                      SELECT term, df FROM terms)) +
               (SELECT count(*) FROM (SELECT term, df FROM terms EXCEPT
                                      SELECT term, doc FROM v)),
               (SELECT count(*) FROM v)" | tr '|' ' ')"

finish
