#!/bin/bash
# T200: newsquery's text output on the sample set: the header, hit blocks,
# snippets, related entries, facets, suggestions, --explain, colour and
# NO_COLOR, --help/--version and the default index.
. "$(dirname "$0")/lib.sh"

# --- helpers of this script (lib.sh has the shared ones) ---------------

# has PATTERN / lacks PATTERN: the last output has (no) line matching the
# extended regular expression.
has() {
    grep -Eq -- "$1" "$TMP/.out"
}
lacks() {
    ! grep -Eq -- "$1" "$TMP/.out"
}

# count_lines PATTERN: lines of the last output matching it.
count_lines() {
    grep -Ec -- "$1" "$TMP/.out"
}

# on_tty COMMAND...: run COMMAND with stdout on a pseudo-terminal
# (script(1)); its output goes to .out.
on_tty() {
    script -qec "$(printf '%q ' "$@")" /dev/null >"$TMP/.out" 2>/dev/null
}

ESC=$'\033'

copy_samples news
"$NEWSINDEX" -q --db t.db news || exit 1
quill1=$(id_of '2023-11-28-quillon-labs-open-sources-quill-7-a-state-of-the-art-language-model-for-code.md')
quill2=$(id_of '2023-11-29-quill-7-hands-on-quillons-open-model-writes-c-and-rust-but-stumbles-on-sql.md')
quill3=$(id_of '2023-11-30-why-quillon-labs-gave-away-quill-7-and-what-it-means-for-gpt-4-rivals.md')

# --- one query, block by block ---------------------------------------
run_query zurich
check_eq "text: exit 0" 0 "$rc"
check_eq "text: nothing on stderr" "" "$err"
check_eq "text: header" "2 matches, showing 1-2" "$(head -n 1 .out)"
check "text: hit 1" has '^  1\. Z(ü|u)rich '
check "text: hit 2" has '^  2\. Z(ü|u)rich '
check "text: the Alpenmind title" has '^  [12]\. Zürich startup Alpenmind raises CHF 12 million for AI-powered avalanche forecasts$'
# Alpenmind (2021-01-14) has no quality or heat; the insurer item 45/45.
check "text: provider and date line" has '^     Swiss Tech Journal · 2021-01-14 · score [0-9.]+ '
check "text: quality and heat when known" has '^     Swiss Tech Journal · 2022-06-14 · quality 45 · heat 45 · score [0-9.]+'
check "text: unknown quality and heat are left out" lacks '2021-01-14 · (quality|heat)'
check "text: snippet with [marks]" has '^     .*\[Zürich\]'
check "text: the URL" has '^     https://www\.swisstechjournal\.ch/en/startups/alpenmind-series-a$'
check "text: no path without --explain" lacks '/news/'
check "text: no colour when not a terminal" lacks "$ESC"
check "text: no explain line" lacks 'explain:'

run_query --explain zurich
check "--explain: the factors" has '^     explain: bm25 [0-9.]+ x prior [0-9.]+ x fresh 1\.0000 = [0-9.]+$'
check "--explain: the path" has '^     path: .*/news/imports/2022-06-14-zürich-insurer-trains-claims-model-on-scanned-forms\.md$'
run_query --explain --fresh zurich
check "--explain --fresh: fresh below 1" has 'fresh 0\.[0-9]+ '

# --- --fresh counts from the newest item (--now sets another date) ----
newest=$(sql t.db "SELECT strftime('%Y-%m-%dT%H:%M:%SZ', max(published_at), 'unixepoch') FROM items")
check_eq "the newest sample date is known" 20 "${#newest}"
run_query --explain --fresh -n 100 ai
check_eq "--fresh ai: exit 0" 0 "$rc"
check "--explain --fresh: the reference date is the newest item's" \
    test "$(count_lines "fresh [0-9.]+ \(now $newest\) = ")" -eq "$(count_lines '^     explain: ')"
check "--explain --fresh: no score collapses to 0" lacks '(score 0\.000 |= 0\.0000$)'
check "--explain --fresh: no factor below the floor" lacks 'fresh 0\.0'
check "--explain --fresh: the newest ai item is fully fresh" has 'fresh 1\.0000 '
run_query --explain zurich
check "--explain without --fresh: no reference date" lacks '\(now '
run_query --explain --fresh --now 2021-01-14 -n 1 zurich
check "--now 2021-01-14: the end of that day" has 'fresh [0-9.]+ \(now 2021-01-14T23:59:59Z\) '
check "--now 2021-01-14: the Alpenmind item (that day) comes first" has '^  1\. Zürich startup Alpenmind'
run_query --explain --fresh zurich
check "without --now: the newer Zürich insurer comes first" has '^  1\. Zürich insurer'
before=$(date -u +%s)
run_query --explain --fresh --now now zurich
ref=$(grep -Eo '\(now [0-9TZ:-]+\)' .out | head -n 1 | tr -d '()' | cut -d' ' -f2)
check "--now now: the current time" \
    test "$(date -u -d "$ref" +%s)" -ge "$before" -a "$(date -u -d "$ref" +%s)" -le "$(date -u +%s)"

# --- options anywhere, GNU style --------------------------------------
run_query --count --all quillon
all_first=$out
run_query quillon --all --count
check_eq "options after the words: the same count" "$all_first" "$out"
run_query --count quillon
check "options after the words: --all was read" test "$all_first" -gt "$out"
run_query quillon --count --format json
check "options after the words: --format json" valid_json .out
run_query --count 'insurer -london'
quoted=$out
run_query --count -- insurer -london
check_eq "-- then words: -london excludes, as in a quoted query" "$quoted" "$out"
run_query --count insurer
check "-london excluded something" test "$quoted" -lt "$out"
run_query --count ai -
ai_dash=$out
run_query --count ai
check_eq "a lone - is a word that searches nothing" "$out" "$ai_dash"
run_query --count --fresh ai
check_eq "--fresh then a word that is no half-life: exit 0" 0 "$rc"
check_eq "... and the word is searched" "$ai_dash" "$out"
run_query --count ai --fresh
check_eq "--fresh last: exit 0" 0 "$rc"

# --- colour and NO_COLOR ---------------------------------------------
run_query --color=always zurich
check "--color=always: bold title" has "^  1\. ${ESC}\[1mZ"
check "--color=always: inverse marks" has "${ESC}\[1;7mZürich${ESC}\[0m"
check "--color=always: no brackets" lacks '\[Zürich\]'
run_query --color zurich
check "--color alone means always" has "$ESC"
run_query --color=never zurich
check "--color=never: none" lacks "$ESC"
NO_COLOR=1 run_query --color=always zurich
check "--color=always beats NO_COLOR" has "$ESC"
if command -v script >/dev/null; then
    on_tty "$NEWSQUERY" --db t.db zurich
    check "terminal: colour by default" has "$ESC"
    NO_COLOR=1 on_tty "$NEWSQUERY" --db t.db zurich
    check "terminal: NO_COLOR=1 turns it off" lacks "$ESC"
    check "terminal: NO_COLOR=1 brackets the marks" has '\[Zürich\]'
    NO_COLOR='' on_tty "$NEWSQUERY" --db t.db zurich
    check "terminal: empty NO_COLOR keeps colour" has "$ESC"
    on_tty "$NEWSQUERY" --db t.db --color=never zurich
    check "terminal: --color=never" lacks "$ESC"
else
    echo "script(1) not found: terminal checks skipped" >&2
fi

# --- paging, counting, sorting -----------------------------------------
total=$(sql t.db "SELECT count(*) FROM fts JOIN items i ON i.id = fts.rowid WHERE fts MATCH 'ai' AND i.published IS NOT 0")
run_query -n 2 --offset 2 --no-collapse ai
check_eq "--offset 2 -n 2 --no-collapse: header" "$total matches, showing 3-4" "$(head -n 1 .out)"
# Collapsed, the header says how many stories the matches make, and that
# is what paging goes through (T260 checks the paging).
stories=$("$NEWSQUERY" --db t.db -f json --count ai | jq .total)
check "ai: some matches are copies of one story (else this proves little)" \
    test "$stories" -lt "$total"
run_query -n 2 --offset 2 ai
check_eq "--offset 2 -n 2: header" "$total matches in $stories stories, showing 3-4" "$(head -n 1 .out)"
check "--offset: rank 3" has '^  3\. '
check "--offset: rank 4" has '^  4\. '
check_eq "--offset: two hits" 2 "$(count_lines '^ +[0-9]+\. ')"
total_all=$(sql t.db "SELECT count(*) FROM fts WHERE fts MATCH 'ai'")
run_query --limit 0 --all --no-collapse ai
check_eq "--limit 0: the count line only" "$total_all matches" "$out"
run_query ai
check_eq "default: 10 hits" 10 "$(count_lines '^ +[0-9]+\. ')"
run_query --count ai
check_eq "--count: the number alone" "$total" "$out"
run_query --count --all ai
all=$(sql t.db "SELECT count(*) FROM fts WHERE fts MATCH 'ai'")
check_eq "--count --all: unpublished too" "$all" "$out"
run_query -n 100 --sort date ai
dates=$(grep -Eo '^     [^·]+ · [0-9]{4}-[0-9]{2}-[0-9]{2}' .out | grep -Eo '[0-9-]{10}$')
check_eq "--sort date: newest first" "$(sort -r <<<"$dates")" "$dates"
run_query -n 100 --sort quality ai
q=$(grep -Eo 'quality [0-9]+' .out | cut -d' ' -f2)
check_eq "--sort quality: highest first" "$(sort -rn <<<"$q")" "$q"
run_query -n 100 --sort heat ai
h=$(grep -Eo 'heat [0-9]+' .out | cut -d' ' -f2)
check_eq "--sort heat: highest first" "$(sort -rn <<<"$h")" "$h"
run_query --since 2024-02-15 --until 2024-02-20
check "--since/--until alone: a filter-only query" has '^[0-9]+ matches'
check "--since/--until: dates inside" \
    test -z "$(grep -Eo '· 20[0-9-]{8}' .out | grep -Ev '2024-02-(1[5-9]|20)')"

# --- related entries ---------------------------------------------------
run_query -n 1 'quillon open-sources'
check "Quill-7 #1 first" has '^  1\. Quillon Labs open-sources Quill-7'
check_eq "default --related 3" 3 "$(count_lines '^     ↳ ')"
check "related: title — provider, date (#id)" \
    has "^     ↳ Quill-7 hands-on: Quillon’s open model writes C\+\+ and Rust but stumbles on SQL — ByteLedger, 2023-11-29 \(#$quill2\)$"
check "related: unpublished items resolve too" has "\(#$quill3\)$"
check "related: unresolved entries have no id" \
    has '^     ↳ Open-weight code models close the gap with closed ones — SaaS Insider, 2023-11-20$'
run_query -n 1 --related 2 'quillon open-sources'
check_eq "--related 2" 2 "$(count_lines '^     ↳ ')"
run_query --related 0 quill
check_eq "--related 0: none" 0 "$(count_lines '↳')"

# --- --like, facets, suggestions, collapse -----------------------------
run_query --like "$quill1"
check_eq "--like: exit 0" 0 "$rc"
check "--like: hits" has '^  1\. '
check "--like: not the item itself" lacks "· #$quill1\$"
run_query --facets topic,provider,year quill
check "--facets: topic line" has '^topic: (AI|Natural Language Processing) \(2\), '
check "--facets: provider line" has '^provider: .*ByteLedger \(1\)'
check "--facets: year line" has '^year: 2023 \(2\)$'
run_query alpenmnd
check_eq "no match: 0 matches" "0 matches" "$(head -n 1 .out)"
check "no match: did you mean" has '^Did you mean: alpenmind \(1\)\?$'
run_query rotterdam
check_eq "collapsed: one Rotterdam hit" 1 "$(count_lines '^ +[0-9]+\. ')"
check "collapsed: says so" has '· 2 similar stories'
run_query --no-collapse rotterdam
check_eq "--no-collapse: two hits" 2 "$(count_lines '^ +[0-9]+\. ')"

# --- every option in text: exit 0, something printed -------------------
while IFS= read -r args; do
    # shellcheck disable=SC2086
    run_query $args
    check_eq "text $args: exit 0" 0 "$rc"
    check "text $args: output" test -s .out
done <<EOF
-f text ai
--format=text -n 3 ai
--limit 3 --offset 3 ai
--count ai
--sort rank ai
--all ai
--since 7d
--until 2020 ai
--fresh ai
--fresh=12h ai
--fresh --now 2021-06 ai
--explain ai
--no-collapse ai
--related 1 ai
--like $quill2
--facets year ai
--weights title=1,excerpt=1,body=1,quality=2,heat=0,prior=0.9 ai
--exit-status ai
--format-version 1 ai
EOF

# --- control characters never reach the terminal ---------------------
mkdir -p odd
printf -- '---\ntitle: "Bell\\a escape\\e[31m tab\\t xylophonic"\nexcerpt: "more\\e]0;pwned\\a xylophonic"\n---\n' >odd/odd.md
"$NEWSINDEX" -q --db t.db news odd
run_query --explain xylophonic
check_eq "odd item: exit 0" 0 "$rc"
check "odd item: found" has '^  1\. Bell'
check "odd item: no ESC or BEL" python3 -c 'import sys
d = open(sys.argv[1], "rb").read()
sys.exit(any(b < 0x20 and b != 0x0a for b in d))' .out

# --- --help, --version, default index --------------------------------
run_query --help
check_eq "--help: exit 0" 0 "$rc"
check "--help: usage on stdout" has '^Usage: newsquery'
check "--help: lists --db" has '--db FILE'
check "--help: lists --format" has '--format FORMAT'
check "--help: exit codes" has 'Exit status'
check "--help: options may come anywhere" has 'Options may come anywhere'
check "--help: how to exclude a word" has "newsquery -- ai -crypto"
for opt in db format limit offset count sort all since until fresh now \
    explain no-collapse related like facets weights exit-status color \
    format-version help version; do
    check "--help lists --$opt" has "--$opt"
done
run_query --version
check_eq "--version: exit 0" 0 "$rc"
check "--version: names the program" has '^newsquery \(newsidx\) [0-9]+\.[0-9]+\.[0-9]+$'
rm -rf news2 && mkdir news2 && cp news/_news/2021-01-14-* news2/
"$NEWSINDEX" -q --db env.db news2
NEWSIDX_DB=env.db "$NEWSQUERY" --count zurich >.out 2>.err
check_eq "NEWSIDX_DB is the default index: exit 0" 0 "$?"
check_eq "NEWSIDX_DB is the default index: its one item" 1 "$(cat .out)"
"$NEWSINDEX" -q news
"$NEWSQUERY" --count zurich >.out 2>.err
check_eq "./news.db is the last default" 2 "$(cat .out)"
NEWSIDX_DB='' "$NEWSQUERY" --count zurich >.out 2>.err
check_eq "an empty NEWSIDX_DB is ignored" 2 "$(cat .out)"

# --- name: as the title (issue 14, item 9) ----------------------------
# The sample event has `name:` and no `title:`; "tidewater" is only in
# its name.
run_query tidewater
check_eq "name: found by its name" "1 match, showing 1-1" "$(head -n 1 .out)"
check "name: shown as the title" has '^  1\. Tidewater ML Forum 2024$'
check "name: not untitled" lacks '\(untitled\)'
run_query title:tidewater
check_eq "name: title: finds it" "1 match, showing 1-1" "$(head -n 1 .out)"
run_query 'title:"ml forum"'
check "name: title: phrase finds it" has '^  1\. Tidewater ML Forum 2024$'

# --- honest suggestions (issue 14, item 4) -----------------------------
# Words that exist and match are never replaced: each of these found
# 1 item and got a suggestion finding 0 ("into community colleges",
# "tests optimus", "open dall-e").
for q in 'intel community colleges' 'tesla optimus' 'openai dall-e' intel; do
    run_query "$q"
    check_eq "$q: 1 match" "1 match, showing 1-1" "$(head -n 1 .out)"
    check "$q: no suggestion" lacks '^Did you mean'
done
# A misspelling found in one item, of a word in ten times as many: the
# suggestion with what it finds.
n_company=$("$NEWSQUERY" --db t.db --count company)
run_query compnay
check_eq "compnay: 1 match" "1 match, showing 1-1" "$(head -n 1 .out)"
check "compnay: did you mean company ($n_company)" \
    has "^Did you mean: company \\($n_company\\)\\?\$"
# Two misspellings: each fix alone finds nothing, both together do.
run_query teslla optimsu
check "two typos: fixed together" has '^Did you mean: tesla optimus \(1\)\?$'
# A suggestion that finds no more than the query is not made.
run_query alpenmnd rotterdam
check_eq "alpenmnd rotterdam: 0 matches" "0 matches" "$(head -n 1 .out)"
check "alpenmnd rotterdam: alpenmind rotterdam finds nothing either" \
    lacks '^Did you mean'

finish
