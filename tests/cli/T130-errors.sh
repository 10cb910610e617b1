#!/bin/bash
# T130: an index that cannot be used: unwritable place, another schema
# version, not an index at all, another indexer at work.
. "$(dirname "$0")/lib.sh"

copy_samples news

run_index --db no/such/dir/t.db news
check_eq "unwritable index: exit 1" 1 "$rc"
check "unwritable index: named" grep -q 'no/such/dir/t.db' .err

echo "just text" > not-an-index.db
run_index --db not-an-index.db news
check_eq "not a database: exit 1" 1 "$rc"

sqlite3 other.db 'CREATE TABLE x(y)'
run_index --db other.db news
check_eq "foreign database: exit 1" 1 "$rc"
check "foreign database: said so" grep -q 'not a newsidx index' .err
check_eq "foreign database: left as it was" delete \
    "$(sql other.db 'PRAGMA journal_mode')"

run_index --db t.db -q news
check_eq "fresh index" 0 "$rc"
sql t.db 'PRAGMA user_version = 99'
run_index --db t.db news
check_eq "other schema version: exit 1" 1 "$rc"
check "other schema version: says how to fix" grep -q 'schema version 99.*--rebuild' .err
run_index --db t.db --json --rebuild news
check_eq "--rebuild recreates an index of another version" 0 "$rc"
check_eq "rebuilt version" 8 "$(sql t.db 'PRAGMA user_version')"

# A second indexer on the same file refuses with a clear message.
flock t.db.lock sleep 3 &
holder=$!
sleep 0.5
run_index --db t.db news
check_eq "second indexer: exit 1" 1 "$rc"
check "second indexer: says why" grep -q 'being updated by another newsindex' .err
wait $holder

# Files over --max-size fail with the reason; the others are indexed.
head -c 5000 /dev/zero | tr '\0' 'x' > big.txt
printf -- '---\ntitle: big\n---\n' | cat - big.txt > news/big.md
run_index --db t.db --json --max-size 4K news
check_eq "--max-size: exit 5" 5 "$rc"
check "--max-size: reason" grep -q 'news/big.md: error: .*limit' .err

finish
