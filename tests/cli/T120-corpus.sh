#!/bin/bash
# T120: the real corpus (../shared/corpus next to the repository), when it
# is there: every news item is indexed and no file makes the run fail.
. "$(dirname "$0")/lib.sh"

corpus="$NX_SOURCE_DIR/../shared/corpus"
if [ ! -d "$corpus" ]; then
    echo "SKIP: no corpus at $corpus"
    exit 77
fi
expected=$(count_news "$corpus")
check "the corpus has news items" test "$expected" -gt 200

run_index --db t.db --json "$corpus"
check_eq "corpus: exit 0" 0 "$rc"
check_eq "corpus: no file failed" 0 "$(json_get failed)"
check_eq "corpus: every news item is indexed" "$expected" "$(json_get items)"
check "corpus: taxonomy files are skipped" test "$(json_get skipped)" -gt 0
check_eq "corpus: integrity" ok "$(sql t.db 'PRAGMA integrity_check')"
check "corpus: fts integrity" sql t.db \
    "INSERT INTO fts(fts, rank) VALUES('integrity-check', 1)"
check_eq "corpus: every indexed file is an item" "$expected" \
    "$(sql t.db 'SELECT count(*) FROM files WHERE status = 0')"
check_eq "corpus: related entries" 406 \
    "$(sql t.db "SELECT count(*) FROM related r JOIN files f ON f.id = r.item_id WHERE f.path LIKE '%/everyday-ai/%'")"
check_eq "corpus: seed mojibake repaired" 0 \
    "$(sql t.db "SELECT count(*) FROM related WHERE excerpt LIKE '%â€%'")"
check "corpus: some related entries link to indexed items" test \
    "$(sql t.db 'SELECT count(*) FROM related_resolved WHERE target_id IS NOT NULL')" -ge 20

run_index --db t.db --json "$corpus"
check_eq "corpus re-run: everything unchanged" "$expected" "$(json_get unchanged)"
check_eq "corpus re-run: nothing read" 0 "$(json_get bytes)"

finish
