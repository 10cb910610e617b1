#!/bin/bash
# T000: --help, --version and usage errors of newsindex.
. "$(dirname "$0")/lib.sh"

run_index --help
check_eq "--help exits 0" 0 "$rc"
check "--help prints usage on stdout" grep -q '^Usage: newsindex' .out
check "--help lists --db" grep -q -- '--db FILE' .out
check "--help lists exit codes" grep -q 'Exit status' .out

run_index --version
check_eq "--version exits 0" 0 "$rc"
check "--version names the program" grep -q '^newsindex (newsidx) [0-9]' .out

run_index
check_eq "no PATH is a usage error" 2 "$rc"
check "usage error hints at --help" grep -q "Try 'newsindex --help'" .err

run_index --no-such-option x
check_eq "unknown option is a usage error" 2 "$rc"
check "unknown option is named" grep -q -- "--no-such-option" .err

run_index --batch 0 x
check_eq "--batch 0 is a usage error" 2 "$rc"
run_index --max-size 12Q x
check_eq "--max-size 12Q is a usage error" 2 "$rc"
run_index --ext , x
check_eq "--ext without endings is a usage error" 2 "$rc"

# --- options anywhere, GNU style: "--" ends them ----------------------
mkdir -p docs ./-drafts
printf -- '---\ntitle: "Options anywhere"\n---\n' >docs/a.md
printf -- '---\ntitle: "A path with a dash"\n---\n' >./-drafts/b.md
run_index docs --db after.db -q
check_eq "options after the PATH: exit 0" 0 "$rc"
check "options after the PATH: --db is read" test -f after.db
check_eq "options after the PATH: -q is read" "" "$err"
check_eq "options after the PATH: one item" 1 "$(sql after.db 'SELECT count(*) FROM items')"
run_index --db dash.db -q -- -drafts
check_eq "a PATH after --: exit 0" 0 "$rc"
check_eq "a PATH after --: indexed" 1 "$(sql dash.db "SELECT count(*) FROM files WHERE path LIKE '%/-drafts/b.md'")"
run_index --db dash2.db -q -drafts
check_eq "a PATH that starts with '-' before --: usage error" 2 "$rc"
check "... named" grep -q -- "unknown option '-drafts'" .err
check "... says to put it after --" grep -q -- "goes after -- (newsindex -- -dir)" .err
check "... no index made" test ! -e dash2.db
run_index --db short.db -qv docs
check_eq "-qv: a group of short options: exit 0" 0 "$rc"
check "-qv: the last one wins (verbose)" grep -q 'added' .err
run_index --db joined.db -e5 docs
check_eq "a value joined to a short option (-e5): usage error" 2 "$rc"
check "... says to give it apart" grep -q -- "-e 5" .err
run_index docs --db
check_eq "a missing value: usage error" 2 "$rc"
check "... says so" grep -q -- "option '--db' needs a value" .err
run_index --help
check "--help says options may come anywhere" grep -q 'Options may come anywhere' .out

finish
