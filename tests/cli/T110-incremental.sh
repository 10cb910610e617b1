#!/bin/bash
# T110: re-runs: no change, one changed, one deleted, one renamed, a touched
# file, a bad file among good ones, and --rebuild.
. "$(dirname "$0")/lib.sh"

copy_samples news
n=$(count_news news)
run_index --db t.db --json news
check_eq "first run" 0 "$rc"
files=$(sql t.db 'SELECT count(*) FROM files')

# No change: nothing is read again.
run_index --db t.db --json news
check_eq "no-change run exits 0" 0 "$rc"
check_eq "no-change: all unchanged" "$n" "$(json_get unchanged)"
check_eq "no-change: no byte read" 0 "$(json_get bytes)"
check_eq "no-change: nothing added" 0 "$(json_get added)"
check_eq "no-change: nothing updated" 0 "$(json_get updated)"

# Pick a news item that has a title.
victim=$(sql t.db "SELECT f.path FROM files f JOIN items i ON i.id = f.id WHERE i.title IS NOT NULL AND f.path NOT LIKE '% %' ORDER BY f.path LIMIT 1")
victim_id=$(sql t.db "SELECT id FROM files WHERE path = '$victim'")

# Touch without a change: read and hashed, but not re-indexed.
touch -d '2001-01-01' "$victim"
run_index --db t.db --json news
check_eq "touched: unchanged" "$n" "$(json_get unchanged)"
check_eq "touched: not updated" 0 "$(json_get updated)"
check "touched: one file read" test "$(json_get bytes)" -gt 0

# Change one file's title.
sed -i '0,/^title:.*/s//title: "Quokka zeppelin breakthrough"/' "$victim"
run_index --db t.db --json news
check_eq "change: one updated" 1 "$(json_get updated)"
check_eq "change: rest unchanged" $((n - 1)) "$(json_get unchanged)"
check_eq "change: item keeps its id" "$victim_id" \
    "$(sql t.db "SELECT id FROM files WHERE path = '$victim'")"
check_eq "change: new title is searchable" 1 \
    "$(sql t.db "SELECT count(*) FROM fts WHERE fts MATCH 'quokka zeppelin'")"
check_eq "change: fts has one row per item" "$n" "$(sql t.db 'SELECT count(*) FROM fts')"

# Rename it: same item, new path, nothing added or removed.
mv "$victim" "$(dirname "$victim")/renamed-item.md"
run_index --db t.db --json news
check_eq "rename: counted as renamed" 1 "$(json_get renamed)"
check_eq "rename: nothing added" 0 "$(json_get added)"
check_eq "rename: nothing removed" 0 "$(json_get removed)"
check_eq "rename: same id" "$victim_id" \
    "$(sql t.db "SELECT id FROM files WHERE path LIKE '%/renamed-item.md'")"
check_eq "rename: still searchable" 1 \
    "$(sql t.db "SELECT count(*) FROM fts WHERE fts MATCH 'quokka zeppelin'")"

# Delete it.
rm "$(dirname "$victim")/renamed-item.md"
run_index --db t.db --json news
check_eq "delete: one removed" 1 "$(json_get removed)"
check_eq "delete: item gone" $((n - 1)) "$(json_get items)"
check_eq "delete: gone from fts" 0 \
    "$(sql t.db "SELECT count(*) FROM fts WHERE fts MATCH 'quokka zeppelin'")"
check_eq "delete: no orphan related rows" 0 \
    "$(sql t.db 'SELECT count(*) FROM related WHERE item_id NOT IN (SELECT id FROM items)')"
check_eq "delete: no orphan topics" 0 \
    "$(sql t.db 'SELECT count(*) FROM item_topics WHERE item_id NOT IN (SELECT id FROM items)')"

# A bad file among good ones: reported with path:line:column, the rest is
# indexed, exit status 5; the next run reports it again.
printf -- '---\ntitle: "Good start\nexcerpt: broken\n---\n' > news/broken.md
printf -- '---\ntitle: Fresh good item about walruses\n---\n' > news/fresh.md
run_index --db t.db --json news
check_eq "bad file: exit 5" 5 "$rc"
check_eq "bad file: one failed" 1 "$(json_get failed)"
check_eq "bad file: the good one is added" 1 "$(json_get added)"
check "bad file: path:line:column: error" \
    grep -Eq '^news/broken.md:[0-9]+:[0-9]+: error: ' .err
run_index --db t.db --json news
check_eq "bad file again: exit 5" 5 "$rc"
check "bad file again: reported again" grep -q '^news/broken.md:.*error' .err
check_eq "bad file again: not read again" 0 "$(json_get bytes)"
rm news/broken.md
run_index --db t.db --json news
check_eq "bad file removed: exit 0" 0 "$rc"

# A folder that cannot be read is reported, and its indexed files are not
# taken as deleted.
if [ "$(id -u)" != 0 ]; then
    chmod 000 news/_news
    run_index --db t.db --json news
    check_eq "unreadable folder: exit 5" 5 "$rc"
    check_eq "unreadable folder: nothing removed" 0 "$(json_get removed)"
    chmod 755 news/_news
fi

# A path that does not exist: could not run, nothing removed.
run_index --db t.db --json does-not-exist
check_eq "missing path: exit 1" 1 "$rc"
check "missing path is named" grep -q 'does-not-exist' .err

# Folders whose names sort around '/' ("a-b/..." comes before "a/...",
# "a0/..." after): a run over one of them never takes the others' files as
# deleted; a run over all finds a move from one to another as a rename.
mkdir -p side/a side/a-b side/a0
for d in a a-b a0; do
    for i in 1 2; do
        printf -- '---\ntitle: Side item %s %s about %s\n---\n' "$d" "$i" \
            "ocelot$i$d" > "side/$d/item$i.md"
    done
done
run_index --db t.db --json side/a side/a-b side/a0
check_eq "siblings: six added" 6 "$(json_get added)"
rm side/a-b/item1.md
mv side/a0/item2.md side/a/moved.md
run_index --db t.db --json side/a
check_eq "siblings: a run over a/ removes nothing" 0 "$(json_get removed)"
check_eq "siblings: the moved file is new to a/" 1 "$(json_get added)"
run_index --db t.db --json side/a0 side/a-b
check_eq "siblings: a run over a0/ and a-b/ removes two" 2 \
    "$(json_get removed)"
check_eq "siblings: files left" 5 \
    "$(sql t.db "SELECT count(*) FROM files WHERE path LIKE '%/side/%'")"
mv side/a/item1.md side/a-b/back.md
run_index --db t.db --json side
check_eq "siblings: a move across them is a rename" 1 "$(json_get renamed)"
check_eq "siblings: nothing removed" 0 "$(json_get removed)"
# Folders inside others, given first; a path that does not exist among
# them is reported and counted, and the rest is indexed as usual.
mkdir -p side/a/deep
printf -- '---\ntitle: Deep side item about okapis\n---\n' > side/a/deep/d.md
run_index --db t.db --json side/a/deep side/a-b side/a side/nowhere
check_eq "nested: exit 5 for the missing path" 5 "$rc"
check_eq "nested: the missing path counts as failed" 1 "$(json_get failed)"
check "nested: the missing path is named" grep -q 'side/nowhere' .err
check_eq "nested: the new file added once" 1 "$(json_get added)"
check_eq "nested: nothing removed" 0 "$(json_get removed)"
check_eq "nested: no file twice" 0 \
    "$(sql t.db "SELECT count(*) - count(DISTINCT path) FROM files")"
rm -rf side
run_index --db t.db --json news
check_eq "siblings gone, news again: nothing removed" 0 "$(json_get removed)"

# --rebuild starts over and reaches the same count.
run_index --db t.db --json --rebuild news
check_eq "rebuild: exit 0" 0 "$rc"
check_eq "rebuild: everything added" "$n" "$(json_get added)"
check_eq "rebuild: count" "$n" "$(sql t.db 'SELECT count(*) FROM items')"

finish
