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

finish
