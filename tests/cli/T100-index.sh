#!/bin/bash
# T100: indexing the sample set: counts, notices, the index contents and
# normalization as seen from a stock sqlite3 shell.
. "$(dirname "$0")/lib.sh"

copy_samples news
expected=$(count_news news)
check "the sample set has at least 40 news items" test "$expected" -ge 40

run_index --db t.db --json news
check_eq "first run exits 0" 0 "$rc"
check_eq "every news item is added" "$expected" "$(json_get added)"
check_eq "items in the index" "$expected" "$(json_get items)"
check_eq "nothing failed" 0 "$(json_get failed)"
check "non-news files are skipped with a notice" \
    grep -q 'notice: not a news item' .err
check_eq "items table" "$expected" "$(sql t.db 'SELECT count(*) FROM items')"
check_eq "fts rows" "$expected" "$(sql t.db 'SELECT count(*) FROM fts')"
check_eq "integrity" ok "$(sql t.db 'PRAGMA integrity_check')"
check "fts integrity" sql t.db \
    "INSERT INTO fts(fts, rank) VALUES('integrity-check', 1)"
check_eq "WAL mode" wal "$(sql t.db 'PRAGMA journal_mode')"
check_eq "schema version" 8 "$(sql t.db 'PRAGMA user_version')"

# Normalization: the examples of the issue, through the stock shell.
match() {
    sql t.db "SELECT count(*) FROM fts WHERE fts MATCH '$1'"
}
check "zurich finds Zürich" test "$(match zurich)" -ge 1
check "finance finds ﬁnance" test "$(match '"finance"')" -ge 1
check "strasse finds Straße" test "$(match strasse)" -ge 1
check "ai finds ＡＩ" test "$(sql t.db "SELECT count(*) FROM items i JOIN fts ON fts.rowid = i.id WHERE i.title LIKE '%ＡＩ%' AND fts MATCH 'title:ai'")" -ge 1
check "CJK characters are tokens" test "$(match '"语 言 模 型"')" -ge 1
check "mojibake is repaired for display" test \
    "$(sql t.db "SELECT count(*) FROM related WHERE excerpt LIKE '%itâ€™s%'")" -eq 0
check "entities are decoded for display" test \
    "$(sql t.db "SELECT count(*) FROM items WHERE title LIKE '%&amp;%' OR excerpt LIKE '%&amp;%' OR title LIKE '%&#8217;%'")" -eq 0

# Related items keep their order and link to indexed items by URL.
check "related entries are stored" test \
    "$(sql t.db 'SELECT count(*) FROM related')" -ge 10
check "some related entries resolve to indexed items" test \
    "$(sql t.db 'SELECT count(*) FROM related_resolved WHERE target_id IS NOT NULL')" -ge 1
check_eq "related order is kept" 0 \
    "$(sql t.db 'SELECT count(*) FROM related r GROUP BY item_id HAVING max(ord) + 1 <> count(*)' | wc -l)"

# Unknown heat (-1) is stored as NULL; every item has its docinfo block.
check_eq "no heat -1 is stored" 0 "$(sql t.db 'SELECT count(*) FROM items WHERE heat = -1')"
check_eq "every item has a docinfo block" 0 \
    "$(sql t.db 'SELECT count(*) FROM items WHERE id >> 10 NOT IN (SELECT block FROM docinfo)')"

# Default --db comes from NEWSIDX_DB, then ./news.db.
NEWSIDX_DB=env.db "$NEWSINDEX" -q news
check "NEWSIDX_DB is the default index" test -s env.db
"$NEWSINDEX" -q news
check "./news.db is the last default" test -s news.db

# `name:` is the title of an item without one (issue 14, item 9): events
# and communities name themselves so.  The sample event has no title.
event="news/_events/2024-04-16-tidewater-ml-forum-2024.md"
check_eq "name: stored as the title" "Tidewater ML Forum 2024" \
    "$(sql t.db "SELECT i.title FROM items i JOIN files f ON f.id = i.id WHERE f.path LIKE '%/$event'")"
check_eq "name: still kept in extra" "Tidewater ML Forum 2024" \
    "$(sql t.db "SELECT json_extract(i.extra, '\$.name') FROM items i JOIN files f ON f.id = i.id WHERE f.path LIKE '%/$event'")"
check_eq "name: indexed in the fts title column" 1 "$(match 'title:tidewater')"
check_eq "name: not in the excerpt column" 0 "$(match 'excerpt:tidewater')"
check_eq "a taxonomy file with only a name is still skipped" 1 \
    "$(sql t.db "SELECT status FROM files WHERE path LIKE '%/_data/organizations/example.org.md'")"

finish
