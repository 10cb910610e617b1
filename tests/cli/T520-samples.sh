#!/bin/bash
# T520: the sample programs (samples/*.c) build and do what their comments
# say, on an index of samples/news made by newsindex: `search` finds the
# Zürich items, `feed` adds documents from stdin and files, `related` prints
# the Quill-7 cluster with the ids its links resolve to.
. "$(dirname "$0")/lib.sh"

if [ -z "${NX_SAMPLE_SEARCH:-}" ]; then
    echo "skip: samples not built (NEWSIDX_SAMPLES=OFF)"
    exit 77
fi
SEARCH=$NX_SAMPLE_SEARCH FEED=$NX_SAMPLE_FEED RELATED=$NX_SAMPLE_RELATED

# run PROG ARGS...: sets $rc, $out, $err like run_index.
run() {
    "$@" >"$TMP/.out" 2>"$TMP/.err"
    rc=$?
    out=$(cat "$TMP/.out")
    err=$(cat "$TMP/.err")
}

copy_samples news
"$NEWSINDEX" -q --db s.db news
check "newsindex built the sample index" test -s s.db
items=$(sql s.db 'SELECT count(*) FROM items')
id_of() { sql s.db "SELECT id FROM items WHERE title LIKE '$1%'"; }

# search: the two Zürich items, whichever way the word is written.
for q in zurich Zürich ZURICH; do
    run "$SEARCH" s.db "$q"
    check_eq "search $q exits 0" 0 "$rc"
    check_eq "search $q: match count" '2 matches for "'"$q"'"' \
        "$(printf '%s\n' "$out" | head -n 1)"
    check "search $q finds the Zürich insurer" grep -q \
        "#$(id_of 'Zürich insurer') Zürich insurer trains claims model" .out
    check "search $q finds Alpenmind" grep -q \
        "#$(id_of 'Zürich startup') Zürich startup Alpenmind" .out
done
run "$SEARCH" s.db zurich insurer
check "search joins its arguments into one query" grep -q '^1 matches for "zurich insurer"' .out
run "$SEARCH" s.db xyzzyplugh
check_eq "search without a match exits 1" 1 "$rc"
run "$SEARCH" missing.db zurich
check_eq "search on a missing index exits 2" 2 "$rc"
check "search reports the error" grep -q 'NEWSIDX_NOTFOUND' .err
run "$SEARCH" s.db 'foo:bar'
check_eq "search with a bad field exits 2" 2 "$rc"
check "search reports the parse error" grep -q 'NEWSIDX_PARSE' .err

# feed: two documents from stdin, found by search afterwards.
cat >two.txt <<'DOCS'
---
title: Lighthouse keepers train a gannet-counting model
excerpt: A seabird census on Bass Rock now runs on a small vision model.
webUrl: https://example.org/gannets
publishedDateTime: 2024-03-02T09:00:00Z
---
The gannet colony is counted from drone photos.
%%
---
title: Gannet census results published
excerpt: The gannet model counted 150,000 birds.
---
%%
DOCS
run "$FEED" s.db <two.txt
check_eq "feed of two documents exits 0" 0 "$rc"
check "feed names stdin:1" grep -qx 'added stdin:1' .out
check "feed names stdin:2" grep -qx 'added stdin:2' .out
check_eq "feed summary" "2 added, 0 failed, 0 warnings; $((items + 2)) items in the index" \
    "$(tail -n 1 .out)"
check_eq "feed: no messages" "" "$err"
run "$SEARCH" s.db gannet
check_eq "search finds the fed documents" '2 matches for "gannet"' \
    "$(head -n 1 .out)"
check_eq "the fed documents keep their source names" 2 \
    "$(sql s.db "SELECT count(*) FROM files WHERE path IN ('stdin:1','stdin:2')")"

# Feeding the same source again replaces, it does not add.
run "$FEED" s.db <two.txt
check_eq "feeding again replaces" "$((items + 2)) items" \
    "$(tail -n 1 .out | sed 's/.*; \([0-9]* items\).*/\1/')"

# Warnings come through the callback; a bad document fails alone.
printf '%s\n' '---' 'title: Otters learn to open clams' 'quality: very high' \
    '---' '%%' 'no front matter here' '%%' '---' 'title: [unclosed' '---' \
    >mixed.txt
run "$FEED" w.db <mixed.txt
check_eq "feed with failures exits 1" 1 "$rc"
check "the warning names source, field and position" \
    grep -q '^feed: stdin:1:3:[0-9]*: warning: quality' .err
check "a document without front matter fails" \
    grep -q '^feed: stdin:2: .*NEWSIDX_NOTFOUND' .err
check "malformed YAML fails with its position" \
    grep -q '^feed: stdin:3: stdin:3:[0-9]*:[0-9]*: .*NEWSIDX_PARSE' .err
check_eq "feed with failures: summary" \
    "1 added, 2 failed, 1 warnings; 1 items in the index" "$(tail -n 1 .out)"

# feed with file arguments: one document per file, named by the file.
sed -n '1,7p' two.txt >one.md
run "$FEED" f.db one.md
check_eq "feed FILE exits 0" 0 "$rc"
check "feed FILE names the file" grep -qx 'added one.md' .out

# related: the Quill-7 cluster, with ids for the linked items.
run "$RELATED" s.db quill
check_eq "related exits 0" 0 "$rc"
q33=$(id_of 'Quillon Labs open-sources')
q34=$(id_of 'Quill-7 hands-on')
q35=$(id_of 'Why Quillon Labs')
check "related prints the launch story" grep -q "^#$q33 Quillon Labs open-sources Quill-7" .out
check "related: launch -> hands-on, resolved" \
    grep -q "^    -> Quill-7 hands-on.* | ByteLedger | 2023-11-29 \[indexed as #$q34\]$" .out
check "related: launch -> analysis, resolved" \
    grep -q "^    -> Why Quillon Labs gave away Quill-7.*\[indexed as #$q35\]$" .out
check "related: an entry that is not indexed says so" \
    grep -q "^    -> Open-weight code models close the gap.*\[not indexed\]$" .out
check "related: hands-on -> launch, resolved" \
    grep -q "^    -> Quillon Labs open-sources Quill-7.*\[indexed as #$q33\]$" .out
# Every id printed is an indexed item whose title the entry repeats.
grep '^    -> .*\[indexed as #[0-9]*\]$' .out |
    sed 's/^    -> \([^|]*\) | .*#\([0-9]*\)\]$/\2\t\1/' >links
check "related printed resolved links" test -s links
while IFS=$'\t' read -r id title; do
    check_eq "related id #$id is the item '$title'" "$title" \
        "$(sql s.db "SELECT title FROM items WHERE id = $id")"
done <links
run "$RELATED" s.db xyzzyplugh
check_eq "related without a match exits 1" 1 "$rc"

finish
