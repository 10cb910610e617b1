#!/bin/bash
# T240: what a query leaves out is said (issue 14, items 5 and 6).  Without
# --all, the matches left out for being unpublished are counted (JSON
# "unpublished", always there; a text line naming --all), in the engine
# and in SQL alike, and every hit says whether it is published.  A query
# whose words have nothing to search for finds nothing, not everything,
# and says why.
. "$(dirname "$0")/lib.sh"

copy_samples news
"$NEWSINDEX" -q --db t.db news || exit 1

json() {
    "$NEWSQUERY" --db t.db -f json "$@" >.out 2>.err
}

# unpublished = (--all) - (without): for queries the engine runs and for
# ones it leaves to SQL (an AND inside an OR, filters alone).
for q in ai 'insurer' 'ai model' '(ai model) OR zurich' 'topic:AI' \
    'ai -robot' 'date:2021'; do
    json --count -- "$q"
    without=$(jq .total_matches .out)
    hidden=$(jq .unpublished .out)
    json --count --all -- "$q"
    all=$(jq .total_matches .out)
    check_eq "[$q]: unpublished is what --all adds" "$((all - without))" \
        "$hidden"
    check "[$q]: --all has no unpublished key" jq_true .out 'has("unpublished") | not'
done
json --count ai
check "some ai items are unpublished (else this proves little)" \
    jq_true .out '.unpublished > 0'

json -n 100 ai
check "hits without --all are all published" \
    jq_true .out '.hits | length > 0 and all(.published == true)'
json -n 100 --all --no-collapse ai
check "with --all some hits are unpublished" \
    jq_true .out 'any(.hits[]; .published == false)'
n=$(sql t.db "SELECT count(*) FROM items WHERE published IS 0 AND id IN
    (SELECT rowid FROM fts WHERE fts MATCH 'ai')")
check_eq "published: false hits are the unpublished items" "$n" \
    "$(jq '[.hits[] | select(.published == false)] | length' .out)"

# The text output names --all when it left something out.
"$NEWSQUERY" --db t.db ai >text.out
check "text: says how many were left out" \
    grep -qE '^[0-9]+ unpublished matches? left out: --all shows (it|them)$' \
    text.out
"$NEWSQUERY" --db t.db --all ai >text.out
check "text with --all: nothing left out" test -z "$(grep 'left out' text.out)"
"$NEWSQUERY" --db t.db --count ai >text.out
check_eq "--count in text: the number alone" 1 "$(wc -l <text.out)"

# A query only unpublished items match: 0 matches, and why.
id=$(sql t.db "SELECT id FROM items WHERE published IS 0 LIMIT 1")
word=$(sql t.db "SELECT term FROM terms t WHERE df = 1 AND term NOT LIKE
    char(57344) || '%' AND length(term) > 5 AND EXISTS (SELECT 1 FROM fts
    WHERE fts MATCH '\"' || t.term || '\"' AND rowid = $id) LIMIT 1")
json -- "=$word"
check "[$word] (only in an unpublished item): 0 matches, 1 left out" \
    jq_true .out '.total == 0 and .unpublished == 1'

# Nothing to search for.
for q in '!!!' '—' '"' '-' '... ---' 'title:!!!'; do
    json -- "$q"
    check "[$q]: nothing found" jq_true .out '.total == 0 and .hits == []'
    check "[$q]: the words dropped are counted" jq_true .out '.dropped >= 1'
    "$NEWSQUERY" --db t.db -- "$q" >text.out
    check "[$q]: the text says why" grep -q 'nothing to search for' text.out
done
json -- 'ai !!!'
check "[ai !!!]: ai still found" jq_true .out '.total > 0 and .dropped == 1'
json -- '☕'
check "[☕]: a symbol is something to search for" \
    jq_true .out '.total == 1 and (has("dropped") | not)'
json --count -- '-ai'
check "[-ai]: only an exclusion is every other item" \
    jq_true .out '.total > 0 and (has("dropped") | not)'

finish
