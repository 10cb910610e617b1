#!/bin/bash
# T400: newsquery's errors and exit codes: query syntax errors with a
# caret (3), no match with --exit-status (4), an index that cannot be used
# (1), usage errors (2); stdout stays empty or valid in JSON modes.
. "$(dirname "$0")/lib.sh"

# --- helpers of this script (lib.sh has the shared ones) ---------------

# err_line N: line N of the last stderr.
err_line() {
    sed -n "${1}p" "$TMP/.err"
}

copy_samples news
"$NEWSINDEX" -q --db t.db news || exit 1

# --- query syntax errors: exit 3, message, query, caret ---------------
for f in text json jsonl; do
    run_query -f $f foo:bar zurich
    check_eq "$f: unknown field: exit 3" 3 "$rc"
    check_eq "$f: unknown field: stdout empty" "" "$out"
    check "$f: unknown field: message" \
        grep -q "^newsquery: error: unknown field 'foo'" .err
done
check_eq "unknown field: the query" "  foo:bar zurich" "$(err_line 2)"
check_eq "unknown field: caret at column 1" "  ^" "$(err_line 3)"
check_eq "unknown field: three lines" 3 "$(wc -l <.err)"

run_query 'zurich date:2021-13'
check_eq "malformed date: exit 3" 3 "$rc"
check "malformed date: message" grep -q '^newsquery: error: .*2021-13' .err
check_eq "malformed date: caret under 'date'" "         ^" "$(err_line 3)"

# Columns count characters, not bytes: 'Zürich 语言 ' is 10 characters
# (15 bytes), so quality: is character 11.
run_query 'Zürich 语言 quality:>=x'
check_eq "malformed number: exit 3" 3 "$rc"
check_eq "caret counts characters" "            ^" "$(err_line 3)"
check_eq "the query line" "  Zürich 语言 quality:>=x" "$(err_line 2)"

# Words of QUERY are joined with single spaces before the column counts.
run_query ai 'heat:>abc'
check_eq "malformed heat: exit 3" 3 "$rc"
check_eq "joined words: caret under 'heat'" "     ^" "$(err_line 3)"
run_query -f json date:2021-02-30..
check_eq "impossible date: exit 3" 3 "$rc"
check_eq "impossible date: no JSON" "" "$out"
run_query 'title:x "foo:bar"'
check_eq "a quoted field is text: exit 0" 0 "$rc"

# --- --exit-status -----------------------------------------------------
for f in text json jsonl; do
    run_query -f $f --exit-status alpenmnd
    check_eq "$f --exit-status, no match: exit 4" 4 "$rc"
    run_query -f $f --exit-status zurich
    check_eq "$f --exit-status, a match: exit 0" 0 "$rc"
    run_query -f $f alpenmnd
    check_eq "$f no match without --exit-status: exit 0" 0 "$rc"
done
run_query -f json --exit-status alpenmnd
check "--exit-status json: still valid" valid_json .out
check "--exit-status json: total 0" jq_true .out '.total == 0 and .hits == []'
run_query -f jsonl --exit-status alpenmnd
check_eq "--exit-status jsonl: empty" "" "$out"
run_query --count --exit-status alpenmnd
check_eq "--count --exit-status: exit 4" 4 "$rc"
check_eq "--count --exit-status: prints 0" 0 "$out"
run_query --exit-status -n 0 zurich
check_eq "--exit-status counts matches, not the page" 0 "$rc"

# --- the index ---------------------------------------------------------
for f in text json jsonl; do
    run_query -f $f --db missing.db zurich
    check_eq "$f: missing index: exit 1" 1 "$rc"
    check_eq "$f: missing index: stdout empty" "" "$out"
done
check "missing index: says to run newsindex" grep -q "newsquery: error: .*missing.db.*newsindex" .err
check "missing index: not created" test ! -e missing.db
NEWSIDX_DB=missing2.db "$NEWSQUERY" zurich >.out 2>.err
check_eq "missing NEWSIDX_DB index: exit 1" 1 "$?"
check "missing NEWSIDX_DB index: named" grep -q 'missing2.db' .err
echo "just text" >not-an-index.db
run_query --db not-an-index.db zurich
check_eq "not an index: exit 1" 1 "$rc"
check_eq "not an index: one line, no advice" \
    "newsquery: error: 'not-an-index.db' is not a newsidx index (not an SQLite database)" \
    "$(cat .err)"
# Another program's SQLite file: said what it is, and no advice that
# cannot work (newsindex --rebuild refuses it, rightly).
sql foreign.db 'CREATE TABLE t(a); PRAGMA application_id = 1234'
run_query --db foreign.db zurich
check_eq "foreign database: exit 1" 1 "$rc"
check_eq "foreign database: what it is, once, no advice" \
    "newsquery: error: 'foreign.db' is not a newsidx index: it is an SQLite database of another program (application_id 1234)" \
    "$(cat .err)"
"$NEWSINDEX" --rebuild --db foreign.db "$NX_SOURCE_DIR/samples" >/dev/null 2>&1
check_eq "foreign database: newsindex --rebuild refuses it too" 1 "$?"
check_eq "foreign database: untouched" 1234 "$(sql foreign.db 'PRAGMA application_id')"
cp t.db new.db
sql new.db 'PRAGMA user_version = 99'
run_query --db new.db zurich
check_eq "newer schema version: exit 1" 1 "$rc"
check_eq "newer schema version: the advice once" \
    "newsquery: error: 'new.db' has schema version 99, made by a newer newsidx than this one (8); use that newsidx, or make it anew for this one: newsindex --rebuild" \
    "$(cat .err)"
cp t.db old.db
sql old.db 'PRAGMA user_version = 6'
run_query --db old.db zurich
check_eq "older schema version: exit 1" 1 "$rc"
check_eq "older schema version: the advice once" \
    "newsquery: error: 'old.db' has schema version 6, older than this newsidx's 8; make it anew: newsindex --rebuild" \
    "$(cat .err)"
run_query --like 999999
check_eq "--like an unknown id: exit 1" 1 "$rc"
check "--like an unknown id: named" grep -q '999999' .err

# --- usage errors: exit 2, one line and a hint --------------------------
while IFS= read -r args; do
    # shellcheck disable=SC2086
    eval "run_query $args"
    check_eq "usage [$args]: exit 2" 2 "$rc"
    check_eq "usage [$args]: stdout empty" "" "$out"
    check "usage [$args]: hint" grep -q "^Try 'newsquery --help' for more information\.$" .err
    check "usage [$args]: an error line" grep -q '^newsquery: error: ' .err
done <<'EOF'

-f json
'' '  '
--no-such-option zurich
--db
--limit 10001 ai
--limit x ai
-n -1 ai
--offset -1 ai
--offset x ai
--format xml ai
-f JSON ai
--sort relevance ai
--since 2021-13 ai
--since 2021-02-30 ai
--since 21 ai
--since 2021-1 ai
--until 7x ai
--until yesterday ai
--since 2022 --until 2021 ai
--fresh=0 ai
--fresh=abc ai
--fresh=-3d ai
--related -1 ai
--related x ai
--like 0
--like abc
--like 5 zurich
--facets foo ai
--facets '' ai
--weights foo=1 ai
--weights title=x ai
--weights title= ai
--weights prior=2 ai
--weights title=-1 ai
--color=sometimes ai
--format-version 3 ai
--format-version x ai
ai -crypto
-crypto ai
'-crypto ai'
ai -5
-5
ai -n20
ai -n95
-hiring
-Vx
-fjson ai
--no-such-option
--f ai
ai --db
ai -n
--fresh 30d ai
--fresh 2024 elections
--fresh 3d printing
--color always ai
--color never
--now
--now x ai
--now 2021-13 ai
--now 7x --fresh ai
EOF
run_query --limit 10000 ai
check_eq "--limit 10000 is allowed" 0 "$rc"
run_query --limit 0 ai
check_eq "--limit 0 is allowed" 0 "$rc"
run_query --no-such-option zurich
check "unknown option is named" grep -q -- '--no-such-option' .err
run_query --limit 10001 ai
check "--limit: says the range" grep -q '0 to 10000' .err
run_query --format-version 3 ai
check "--format-version: says which" grep -q '(1 or 2)' .err

# --- a '-word' is never a word and never silently an option -------------
hint="to exclude a word, quote the query (newsquery 'ai -crypto') or put the words after -- (newsquery -- ai -crypto)"
run_query ai -crypto
check_eq "-crypto: one line and the hint" 2 "$(wc -l <.err)"
check_eq "-crypto: says how to exclude a word" \
    "newsquery: error: unknown option '-crypto'; $hint" "$(err_line 1)"
run_query ai -n95
check "-n95: not --limit 95, the value goes apart" \
    grep -qF "unknown option '-n95' (the value of -n is the next argument: -n 95); $hint" .err
run_query -hiring
check_eq "-hiring: not --help" "" "$out"
check "-hiring: named" grep -qF "unknown option '-hiring'" .err
run_query --f ai
check "--f: ambiguous" grep -qF "option '--f' is ambiguous" .err
run_query ai --db
check "--db last: needs a value" grep -qF "option '--db' needs a value" .err
run_query --fresh 30d ai
check "--fresh 30d: says to write --fresh=30d" \
    grep -qF "'--fresh 30d': an optional value goes after '=' (--fresh=30d); for the word '30d', put it before --fresh" .err
run_query --color always ai
check "--color always: says to write --color=always" grep -qF '(--color=always)' .err
run_query --fresh=30d ai
check_eq "--fresh=30d ai: exit 0" 0 "$rc"
run_query 30d ai --fresh
check_eq "the word 30d before --fresh: exit 0" 0 "$rc"
run_query --color=always ai
check_eq "--color=always ai: exit 0" 0 "$rc"
run_query --now x ai
check "--now x: the forms" grep -qF -- "--now needs YYYY, YYYY-MM, YYYY-MM-DD, a time ago such as 7d, or now, not 'x'" .err
for args in "-- -crypto ai" "-- ai -5" "-- -n95" "-- --all"; do
    # shellcheck disable=SC2086
    run_query $args
    check_eq "after --, [$args] is words: exit 0" 0 "$rc"
done
POSIXLY_CORRECT=1 run_query --count ai --all
check_eq "POSIXLY_CORRECT does not stop options at a word" 0 "$rc"
check "POSIXLY_CORRECT: --all after the word is read" test "$out" -gt "$(NEWSIDX_DB=t.db "$NEWSQUERY" --count ai)"

# A write error (a full disk) is a failure, not a silent success.
if [ -w /dev/full ]; then
    for f in text json jsonl; do
        "$NEWSQUERY" --db t.db -f $f zurich >/dev/full 2>.err
        check_eq "$f: write error: exit 1" 1 "$?"
        check "$f: write error: said so" grep -q '^newsquery: error: ' .err
    done
fi

# --help and --version win over a missing query.
run_query --help
check_eq "--help alone: exit 0" 0 "$rc"
run_query --version
check_eq "--version alone: exit 0" 0 "$rc"

finish
