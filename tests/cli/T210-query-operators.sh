#!/bin/bash
# T210: the query operators (issue 14).  AND, OR and NOT in capitals are
# operators, parentheses group, lowercase and/or/not are words.  Each
# query's count must be FTS5's own count of the equivalent expression
# (the stock sqlite3 shell over the same index), so that an operator can
# never quietly become a word or vanish.  Expressions the engine does not
# run (an AND inside an OR, a NOT of a group) go through SQL and must
# count the same.  What cannot be run is a query error (exit 3) with a
# caret, never another query.
. "$(dirname "$0")/lib.sh"

"$NEWSINDEX" -q --db t.db "$NX_SOURCE_DIR/samples/news" || exit 1
# Words without their other forms (stemming is T230's): FTS5 then counts
# exactly what the operators should give.
sql t.db "UPDATE meta SET value = 'none' WHERE key = 'stem_language'"

# fts5_count EXPR: FTS5's count of the rows matching EXPR.
fts5_count() {
    sql t.db "SELECT count(*) FROM fts WHERE fts MATCH '$1'"
}

# same QUERY FTS5-EXPR: newsquery's count (every item, no collapsing) is
# FTS5's, and not zero (a check that cannot tell apart nothing from
# something proves little).
same() {
    local want got
    want=$(fts5_count "$2")
    got=$("$NEWSQUERY" --db t.db --all --no-collapse --count -- "$1" 2>&1)
    check_eq "[$1] counts as FTS5's [$2]" "$want" "$got"
    n_checks=$((n_checks + 1))
    [ "${want:-0}" -gt 0 ] || fail "[$2] finds nothing on the samples"
}

same 'ai AND model' 'ai AND model'
same 'ai model' 'ai AND model'
same 'ai NOT model' 'ai NOT model'
same 'ai -model' 'ai NOT model'
same 'ai AND NOT model' 'ai NOT model'
same 'NOT model ai' 'ai NOT model'
same 'ai NOT (model OR data)' 'ai NOT (model OR data)'
same 'ai -(model OR data)' 'ai NOT (model OR data)'
same 'ai OR zurich AND model' '(ai OR zurich) AND model'
same '(ai model) OR zurich' '(ai AND model) OR zurich'
same 'zurich OR (ai model)' 'zurich OR (ai AND model)'
same '(ai OR data) (model OR startup)' '(ai OR data) AND (model OR startup)'
same '((ai model) OR zurich) NOT data' '((ai AND model) OR zurich) NOT data'
same 'ai NOT (model data)' 'ai NOT (model AND data)'
same '(ai NOT model) OR zurich' '(ai NOT model) OR zurich'
same 'title:(model)' 'title AND model'
same 'ai NOT NOT model' 'ai AND model'

# Lowercase and, or, not are words (FTS5 has them as tokens).
for w in and or not; do
    n=$(fts5_count "\"$w\"")
    check_eq "[$w] is a word" "$n" \
        "$("$NEWSQUERY" --db t.db --all --no-collapse --count -- "$w")"
done

# An operator is never highlighted as a word.
out=$("$NEWSQUERY" --db t.db --all -f json 'ai AND model NOT data' | \
    jq -r '.hits[].snippet')
check "AND and NOT are not highlighted" \
    test -z "$(grep -io '<mark>and</mark>\|<mark>not</mark>' <<<"$out")"
check "the words are highlighted" grep -qi '<mark>model</mark>' <<<"$out"

# Lone operators are dropped: the query is what is left.
for q in 'ai AND' 'AND ai' 'ai OR' 'OR ai' 'ai NOT' 'ai ()' '(ai' 'ai)'; do
    check_eq "[$q] is [ai]" "$(fts5_count ai)" \
        "$("$NEWSQUERY" --db t.db --all --no-collapse --count -- "$q")"
done

# What cannot be run: exit 3, the message, the caret; stdout empty.
while IFS='|' read -r q col what; do
    "$NEWSQUERY" --db t.db -- "$q" >err.out 2>err.txt
    rc=$?
    check_eq "[$q]: exit 3" 3 "$rc"
    check_eq "[$q]: nothing on stdout" "" "$(cat err.out)"
    check "[$q]: says $what" grep -q "$what" err.txt
    caret=$(sed -n 3p err.txt)
    check_eq "[$q]: caret at column $col" "$((col + 2))" \
        "$(awk '{ print index($0, "^") }' <<<"$caret")"
done <<'CASES'
ai OR -model|7|exclusion
ai OR NOT model|7|exclusion
topic:AI OR model|1|filter
model OR topic:AI|10|filter
zurich OR (NOT ai)|12|NOT needs
CASES

finish
