#!/bin/bash
# T300: newsquery --format json and jsonl on the sample set.  The query
# language and every option, checked on output parsed by jq and python3
# (never by comparing strings), against counts taken from the index with
# the stock sqlite3 shell and from reading samples/news.
. "$(dirname "$0")/lib.sh"

# --- helpers of this script (lib.sh has the shared ones) ---------------

# jq_out ARGS...: jq -c over the output of the last run_query.
jq_out() {
    jq -c "$@" "$TMP/.out"
}

# check_jq DESCRIPTION [JQ-OPTION]... FILTER: FILTER is true of the last
# output.
check_jq() {
    check "$1" jq_true "$TMP/.out" "${@:2}"
}

# lacks FILE PATTERN: FILE has no line matching PATTERN.
lacks() {
    ! grep -q -- "$2" "$1"
}

# no_raw_controls FILE: no control byte other than newline in FILE.
no_raw_controls() {
    python3 -c 'import sys
sys.exit(any(b < 0x20 and b != 0x0a or b == 0x7f for b in open(sys.argv[1], "rb").read()))' "$1"
}

# ids QUERY...: the hit ids of a JSON query, sorted, as a JSON array.
ids() {
    run_query -f json -n 100 "$@"
    jq_out '[.hits[].id] | sort'
}

# published COND: how many published items satisfy the SQL condition.
published() {
    sql t.db "SELECT count(*) FROM items WHERE published IS NOT 0 AND ($1)"
}

copy_samples news
"$NEWSINDEX" -q --db t.db news || exit 1
n_items=$(sql t.db 'SELECT count(*) FROM items')
check_eq "78 sample items" 78 "$n_items"
# 10 items say published: false (or no): README.md of samples/news.
check_eq "10 unpublished items" 10 "$(sql t.db 'SELECT count(*) FROM items WHERE published = 0')"

alpen=$(id_of '2021-01-14-zurich-startup-alpenmind-raises-chf-12-million-for-ai-powered-avalanche-forecasts.md')
zins=$(id_of 'imports/2022-06-14-zürich-insurer-trains-claims-model-on-scanned-forms.md')
quill1=$(id_of '2023-11-28-quillon-labs-open-sources-quill-7-a-state-of-the-art-language-model-for-code.md')
quill2=$(id_of '2023-11-29-quill-7-hands-on-quillons-open-model-writes-c-and-rust-but-stumbles-on-sql.md')
quill3=$(id_of '2023-11-30-why-quillon-labs-gave-away-quill-7-and-what-it-means-for-gpt-4-rivals.md')
veltrix=$(id_of '2019-12-20-chip-designer-veltrix-raises-15-billion-to-take-on-gpu-incumbents.md')
nimbra=$(id_of '2021-06-03-nimbra-brings-its-c-inference-runtime-to-edge-devices.md')
london=$(id_of '2021-06-03-london-insurer-settles-dispute-over-ai-written-claim-denials.md')
for v in alpen zins quill1 quill2 quill3 veltrix nimbra london; do
    check "item id of \$$v" test -n "${!v}"
done

# --- the document ------------------------------------------------------
run_query -f json zurich
check_eq "json: exit 0" 0 "$rc"
check "json: valid" valid_json .out
check_jq "json: version 2" '.version == 2'
check_jq "json: query as typed" '.query == "zurich"'
check_jq "json: total, offset, hits" \
    '(.total | type) == "number" and .offset == 0 and (.hits | type) == "array"'
check_jq "json: no facets unless asked" 'has("facets") | not'
check_jq "json: no suggestions when found" 'has("suggestions") | not'
check_eq "json: stderr is empty" "" "$err"
# Every field of a hit, with its type (docs/json-schema.md).
check_jq "hit fields and types" '.hits | length > 0 and all(.[];
    (.id | type) == "number" and (.path | type) == "string" and
    (.title | type) == "string" and (.excerpt | type) == "string" and
    (.url | type) == "string" and (.published_at | type) == "string" and
    (.provider | type) == "object" and (.provider | has("name") and has("domain")) and
    (.topics | type) == "array" and
    ((.quality | type) == "number" or .quality == null) and
    ((.heat | type) == "number" or .heat == null) and
    (.score | type) == "number" and (.snippet | type) == "string" and
    (.related | type) == "array" and (.collapsed | type) == "number" and
    (has("explain") | not))'
check_jq "published_at is ISO 8601 UTC" \
    'all(.hits[]; .published_at | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$"))'
# The Alpenmind item: 2021-01-14T07:55:00Z, Swiss Tech Journal, no
# quality or heat (an older item), topics Machine Learning and AI.
check_jq "Alpenmind hit, field by field" ".hits[] | select(.id == $alpen) |
    .published_at == \"2021-01-14T07:55:00Z\" and
    .provider == {\"name\": \"Swiss Tech Journal\", \"domain\": \"swisstechjournal.ch\"} and
    .quality == null and .heat == null and
    .topics == [\"Machine Learning\", \"AI\"] and
    (.title | startswith(\"Zürich startup Alpenmind\")) and
    (.path | endswith(\"/news/_news/2021-01-14-zurich-startup-alpenmind-raises-chf-12-million-for-ai-powered-avalanche-forecasts.md\")) and
    .url == \"https://www.swisstechjournal.ch/en/startups/alpenmind-series-a\" and
    .collapsed == 1"
check_jq "snippet marks the match with <mark>" \
    'all(.hits[]; .snippet | test("<mark>Zürich</mark>"))'
check_jq "scores best first" '[.hits[].score] | . == (sort | reverse)'

# --- normalization: Zürich, zurich, ZURICH ---------------------------
check_eq "zurich finds both Zürich items" "[$(printf '%s\n' "$alpen" "$zins" | sort -n | paste -sd,)]" "$(ids zurich)"
check_eq "Zürich = zurich" "$(ids zurich)" "$(ids Zürich)"
check_eq "ZURICH = zurich" "$(ids zurich)" "$(ids ZURICH)"
check_eq "ZÜRICH = zurich" "$(ids zurich)" "$(ids ZÜRICH)"

# --- the query language ------------------------------------------------
# "open model": only the Quill-7 review has the phrase; the words alone
# also match the Quill-7 release and the François Dubreuil item.
check_eq "phrase: one item" "[$quill2]" "$(ids '"open model"')"
run_query -f json open model
check_jq "words: more than the phrase" '.total_matches >= 3'
check_jq "words: the phrase item among them" ".hits | any(.id == $quill2)"
check_eq "OR: the union" \
    "[$(printf '%s\n' "$veltrix" "$nimbra" | sort -n | paste -sd,)]" \
    "$(ids veltrix OR nimbra)"
check_eq "lower-case or is a word" "[]" "$(ids veltrix or nimbra)"
# insurer: Boston, London, Zürich (imports), hail-damage insurer; as
# written (=): its other forms (insurance) are T230's.
run_query -f json =insurer
check_jq "insurer: 4 items" '.total_matches == 4'
run_query -f json '=insurer -london'
check_jq "-word excludes: 3 items" '.total_matches == 3'
check_jq "-word excludes the London item" "all(.hits[]; .id != $london)"
run_query -f json 'quill*'
check_jq "prefix: quill* finds the 2 published Quill-7 items" '.total_matches == 2'
check_jq "prefix: highlights whole words" 'any(.hits[]; .snippet | test("<mark>Quillon</mark>"))'
run_query -f json quil
check_jq "no prefix without *" '.total_matches == 0'
# ETH (Zürich) is in the Alpenmind excerpt only, not in a title.
check_eq "eth is in an excerpt" "[$alpen]" "$(ids eth)"
check_eq "title:eth finds nothing" "[]" "$(ids title:eth)"
check_eq "excerpt:eth finds it" "[$alpen]" "$(ids excerpt:eth)"
check_eq "title:alpenmind" "[$alpen]" "$(ids title:alpenmind)"
# provider: by name or by domain.
check_eq "provider: by domain" "[$quill1]" "$(ids provider:techwiredaily.com)"
check_eq "provider: by name" "[$quill1]" "$(ids 'provider:"TechWire Daily"')"
n=$(published "provider_id IN (SELECT id FROM providers WHERE domain = 'healthitwire.com')")
run_query -f json --count provider:healthitwire.com
check_jq "provider: Health IT Wire has $n published items" ".total_matches == $n"
# topic:
n=$(sql t.db "SELECT count(*) FROM items i JOIN item_topics it ON it.item_id = i.id JOIN topics t ON t.id = it.topic_id WHERE t.name = 'Computer Vision' AND i.published IS NOT 0")
run_query -f json -n 100 'topic:"Computer Vision"'
check_jq "topic: $n items" ".total_matches == $n and (.hits | length) == $n"
check_jq "topic: every hit has it" 'all(.hits[]; .topics | index("Computer Vision"))'
# type:
run_query -f json -n 100 type:video
check_jq "type:video: the 2 Power Apps videos" '.total_matches == 2'
# date: June 2021 has Berlin, London, Nimbra and Seattle (14:05-07:00 is
# 21:05Z on the 3rd) published; Cloud kitchens and the Corvane seed are
# unpublished; the dairy item has an unreadable date.
run_query -f json -n 100 date:2021-06
check_jq "date:2021-06: 4 items" '.total_matches == 4'
check_jq "date:2021-06: all in June 2021" 'all(.hits[]; .published_at | startswith("2021-06-"))'
run_query -f json -n 100 date:2021-01..2021-06-30
n=$(published "published_at BETWEEN 1609459200 AND 1625097599")
check_jq "date:2021-01..2021-06-30: $n items" ".total_matches == $n"
check_jq "date range: all in it" 'all(.hits[]; .published_at >= "2021-01" and .published_at < "2021-07")'
run_query -f json -n 100 date:2024..
n=$(published "published_at >= 1704067200")
check_jq "date:2024..: $n items" ".total_matches == $n"
# quality: and heat: (heat -1 is unknown and never matches)
n=$(published "quality >= 80")
check_eq "12 published items of quality >= 80" 12 "$n"
run_query -f json -n 100 'quality:>=80'
check_jq "quality:>=80: 12 items" ".total_matches == 12 and all(.hits[]; .quality >= 80)"
n=$(published "heat > 100")
run_query -f json -n 100 'heat:>100'
check_jq "heat:>100: $n items" ".total_matches == $n and all(.hits[]; .heat > 100)"
run_query -f json -n 100 'heat:>0' ai
check_jq "heat:>0 leaves out unknown heat" 'all(.hits[]; .heat != null and .heat > 0)'

# --- options ---------------------------------------------------------
# --all: 64 published; 10 more with --all.
run_query -f json --count ai
n_pub=$(jq_out .total_matches)
run_query -f json --count --all ai
n_all=$(jq_out .total_matches)
n=$(sql t.db "SELECT count(*) FROM fts JOIN items i ON i.id = fts.rowid WHERE fts MATCH 'ai' AND i.published = 0")
check_eq "--all adds the unpublished ai items" "$((n_pub + n))" "$n_all"
check "--all adds some" test "$n_all" -gt "$n_pub"
n=$(published "published_at IS NOT NULL")
check_eq "65 dated published items" 65 "$n"
run_query -f json --count --since 1900
check_jq "--since 1900: all 65 dated published items" '.total_matches == 65'
run_query -f json --count --all --since 1900
check_jq "--all: all 75 dated items" '.total_matches == 75'
run_query -f json --all -n 100 quillon
check_jq "--all finds the unpublished Quill-7 item" ".hits | any(.id == $quill3)"
run_query -f json -n 100 quillon
check_jq "without --all it is left out" "all(.hits[]; .id != $quill3)"

# --sort
for order in date quality heat; do
    run_query -f json -n 100 --sort $order ai
    check_eq "--sort $order: exit 0" 0 "$rc"
done
run_query -f json -n 100 --sort date ai
check_jq "--sort date: newest first" \
    '[.hits[].published_at | select(. != null)] | . == (sort | reverse)'
check_jq "--sort date: undated last" \
    '[.hits[].published_at] | (map(. == null) | index(true)) as $i | $i == null or all(.[$i:][]; . == null)'
run_query -f json -n 100 --sort quality ai
check_jq "--sort quality: highest first, unknown last" \
    '[.hits[].quality] | (map(select(. != null)) | . == (sort | reverse)) and
     ((map(. == null) | index(true)) as $i | $i == null or all(.[$i:][]; . == null))'
run_query -f json -n 100 --sort heat ai
check_jq "--sort heat: highest first, unknown last" \
    '[.hits[].heat] | (map(select(. != null)) | . == (sort | reverse)) and
     ((map(. == null) | index(true)) as $i | $i == null or all(.[$i:][]; . == null))'
run_query -f json -n 1 --sort quality ai
check_jq "--sort quality: the meetup (160) is first" '.hits[0].quality == 160'

# --limit, --offset
run_query -f json -n 6 ai
all6=$(jq_out '[.hits[].id]')
check_jq "--limit 6: 6 hits" '.hits | length == 6'
run_query -f json -n 2 --offset 2 ai
check_eq "--offset 2 --limit 2: hits 3-4" "$(jq -c '.[2:4]' <<<"$all6")" "$(jq_out '[.hits[].id]')"
check_jq "--offset is echoed" '.offset == 2'
n=$(sql t.db "SELECT count(*) FROM fts JOIN items i ON i.id = fts.rowid WHERE fts MATCH 'ai' AND i.published IS NOT 0")
run_query -f json -n 0 ai
check_jq "--limit 0: total ($n), no hits" ".total_matches == $n and .hits == []"
run_query -f json --offset 1000 ai
check_jq "--offset past the end: no hits" '.hits == [] and .total > 0'
run_query -f json ai
check_jq "default limit 10" '.hits | length == 10'

# --count
run_query -f json --count zurich
check "--count json: valid" valid_json .out
check_jq "--count json: the object" '. == {"version": 2, "query": "zurich", "total": 2, "total_exact": true, "total_matches": 2, "unpublished": 0}'
run_query -f json --count --format-version 1 zurich
check_jq "--count json, version 1: the object" '. == {"version": 1, "query": "zurich", "total": 2, "unpublished": 0}'
run_query -f jsonl --count zurich
check "--count jsonl: valid" valid_jsonl .out
check_eq "--count jsonl: one line" 1 "$(wc -l <.out)"
check_jq "--count jsonl: the object" '.total_matches == 2'

# --related N: the Veltrix item lists 8 related entries, two of them its
# own URL (with ?mod=... queries): 6 are shown, never the item itself.
run_query -f json veltrix
check_jq "default --related 3" ".hits[] | select(.id == $veltrix) | .related | length == 3"
run_query -f json --related 0 veltrix
check_jq "--related 0: none" 'all(.hits[]; .related == [])'
run_query -f json --related 2 veltrix
check_jq "--related 2: two" ".hits[] | select(.id == $veltrix) | .related | length == 2"
run_query -f json --related 100 veltrix
check_jq "--related 100: all 6 others, in file order" ".hits[] | select(.id == $veltrix) | [.related[].url] == [
    \"https://www.financefeed.com/2019/12/19/veltrix-funding-9-billion\",
    \"https://www.chipinsider.com/2019/12/18/ai-chip-startups-record-2019\",
    \"https://machinebeat.news/analysis/veltrix-gpu-shortage\",
    \"https://www.enterpriseledger.com/news/2019/12/veltrix-hires-sales-chief\",
    \"https://www.techwiredaily.com/2019/12/02/race-to-build-ai-training-chip/\",
    \"https://www.financefeed.com/2019/12/20/chipmakers-shares-slip\"]"
run_query -f json --all --no-collapse --related 100 -n 100 ai
check_jq "no hit lists itself among its related items" \
    'all(.hits[]; .id as $id | all(.related[]; .id != $id))'
check_jq "no hit lists one related URL twice" \
    'all(.hits[]; [.related[].url] | length == (unique | length))'
check_jq "related fields" 'all(.hits[].related[];
    has("title") and has("url") and (.provider | has("name") and has("domain")) and
    has("published_at") and has("quality") and has("id") and
    ((.id | type) == "number" or .id == null))'
# The Quill-7 cluster: item 1 lists 2 and 3 by exact webUrl, then an
# outside story; item 2 links 1 (?utm_source=rss) and 3 (http://).
run_query -f json -n 100 'quill*'
check_jq "Quill-7 #1 related ids" ".hits[] | select(.id == $quill1) | [.related[].id] == [$quill2, $quill3, null]"
check_jq "Quill-7 #2 related ids" ".hits[] | select(.id == $quill2) | [.related[].id] == [$quill1, $quill3]"
check_jq "Quill-7 #1 related #1" ".hits[] | select(.id == $quill1) | .related[0] |
    .provider == {\"name\": \"ByteLedger\", \"domain\": \"byteledger.io\"} and
    .published_at == \"2023-11-29T12:10:00Z\" and .quality == 74 and
    .url == \"https://byteledger.io/reviews/quill-7-hands-on\""

# --like ID
run_query -f json --like "$quill1"
check_eq "--like: exit 0" 0 "$rc"
check_jq "--like: some hits" '.hits | length > 0'
check_jq "--like: not the item itself" "all(.hits[]; .id != $quill1)"
check_jq "--like: the Quill-7 review is like it" "any(.hits[]; .id == $quill2)"
check_jq "--like: query and like" ".query == \"\" and .like == $quill1"

# --facets: counts over all matches, not the page.
run_query -f json -n 1 --facet-limit 0 --facets topic,provider,year ai
check_jq "--facets: three kinds" '.facets | keys == ["provider", "topic", "year"]'
check_jq "--facets: value/count pairs" 'all(.facets[][]; (.value | type) == "string" and (.count | type) == "number" and .count > 0)'
check_jq "--facets: providers sum to the total" '([.facets.provider[].count] | add) == .total_matches'
n=$(sql t.db "SELECT count(*) FROM fts JOIN items i ON i.id = fts.rowid WHERE fts MATCH 'ai' AND i.published IS NOT 0 AND i.published_at IS NOT NULL")
check_jq "--facets: years sum to the dated matches ($n)" "([.facets.year[].count] | add) == $n"
check_jq "--facets: topics and providers most frequent first" \
    'all(.facets.topic, .facets.provider; [.[].count] | . == (sort | reverse))'
check_jq "--facets: years newest first" \
    '[.facets.year[].value] | . == (sort | reverse)'
n=$(sql t.db "SELECT count(*) FROM fts f JOIN items i ON i.id = f.rowid JOIN item_topics it ON it.item_id = i.id JOIN topics t ON t.id = it.topic_id WHERE fts MATCH 'ai' AND i.published IS NOT 0 AND t.name = 'AI'")
check_jq "--facets: topic AI counted ($n)" ".facets.topic[] | select(.value == \"AI\") | .count == $n"
run_query -f json --facets year zurich
check_jq "--facets year: 2021 and 2022" '.facets == {"year": [{"value": "2021", "count": 1}, {"value": "2022", "count": 1}]} or .facets == {"year": [{"value": "2022", "count": 1}, {"value": "2021", "count": 1}]}'

# Suggestions for misspellings of distinctive sample words.
run_query -f json alpenmnd
check_jq "alpenmnd: nothing found" '.total_matches == 0 and .hits == []'
check_jq "alpenmnd: did you mean alpenmind" '.suggestions | index("alpenmind") != null'
run_query -f json rotterdm
check_jq "rotterdm: did you mean rotterdam" '.suggestions | index("rotterdam") != null'

# --explain
run_query -f json --explain zurich
check_jq "--explain: factors" 'all(.hits[]; .explain | (.bm25 | type) == "number" and (.prior | type) == "number" and (.fresh | type) == "number")'
check_jq "--explain: score = bm25 x prior x fresh" 'all(.hits[]; ((.explain.bm25 * .explain.prior * .explain.fresh) - .score | fabs) <= 1e-6 * (.score | fabs) + 1e-9)'
check_jq "--explain: no freshness without --fresh" 'all(.hits[]; .explain.fresh == 1)'

# --fresh[=HALF-LIFE]: the samples are years old, so the factor is small.
run_query -f json --explain --fresh zurich
check_jq "--fresh: factor below 1" 'all(.hits[]; .explain.fresh < 1 and .explain.fresh >= 0)'
fresh30=$(jq_out '[.hits[].explain.fresh] | max')
run_query -f json --explain --fresh=100y zurich
check_jq "--fresh=100y decays less than 30d" "([.hits[].explain.fresh] | max) > $fresh30"
run_query -f json --explain --fresh=2w zurich
check_eq "--fresh=2w: exit 0" 0 "$rc"

# The reference date: the newest item's, --now's, or none.
newest=$(sql t.db "SELECT strftime('%Y-%m-%dT%H:%M:%SZ', max(published_at), 'unixepoch') FROM items")
run_query -f json --explain zurich
check_jq "explain.now: null without --fresh" 'all(.hits[]; .explain | has("now") and .now == null)'
run_query -f json --explain --fresh -n 100 ai
check_jq "explain.now: the newest item's date ($newest)" --arg n "$newest" \
    '.hits | length > 0 and all(.[]; .explain.now == $n)'
check_jq "--fresh: no factor below the floor, no score at 0" \
    'all(.hits[]; .explain.fresh >= 0.1 and .score > 0)'
check_jq "--fresh: the newest item is fully fresh" --arg n "$newest" \
    'any(.hits[]; .published_at == $n and .explain.fresh == 1)'
# fresh = 0.1 + 0.9 * 0.5^(|now - date| / 30 days), either way of now.
fresh_formula='all(.hits[] | select(.published_at != null);
    (((.explain.now | fromdateiso8601) - (.published_at | fromdateiso8601)) | fabs) as $d |
    ((.explain.fresh - (0.1 + 0.9 * pow(0.5; $d / (30 * 86400)))) | fabs) < 1e-9)'
check_jq "--fresh: the factor follows the formula" "$fresh_formula"
check_jq "--fresh: an undated hit gets 0.5" \
    'all(.hits[] | select(.published_at == null); .explain.fresh == 0.5)'
run_query -f json --explain --fresh --now 2021-06 -n 100 ai
check_jq "--now 2021-06: the end of the month" \
    'all(.hits[]; .explain.now == "2021-06-30T23:59:59Z")'
check_jq "--now 2021-06: the formula, items after it too" "$fresh_formula"
check_jq "--now 2021-06: items after it decay" \
    'any(.hits[]; .published_at > "2021-07" and .explain.fresh < 1)'
run_query -f jsonl --explain --fresh -n 3 ai
check "jsonl: explain.now in every hit" \
    jq_true .out -s --arg n "$newest" 'length == 3 and all(.[]; .explain.now == $n)'

# Options anywhere: after the words, and "--" before words that start
# with '-'.
run_query ai --format json --count
check "options after the words: --format json is read" valid_json .out
check_jq "options after the words: --count is read" 'keys == ["query", "total", "total_exact", "total_matches", "unpublished", "version"]'
check_jq "options after the words: not query words" '.query == "ai"'
run_query -f json -- =insurer -london
check_jq "-- then words: the query as typed" '.query == "=insurer -london"'
check_jq "-- then words: -london excludes" ".total_matches == 3 and all(.hits[]; .id != $london)"

# --weights
run_query -f json --explain --weights prior=0 zurich
check_jq "--weights prior=0: prior factor 1" 'all(.hits[]; .explain.prior == 1)'
run_query -f json --explain zurich
bm_default=$(jq_out "[.hits[] | select(.id == $alpen) | .explain.bm25][0]")
run_query -f json --explain --weights title=1,excerpt=1,body=1,quality=1,heat=1,prior=0.3 zurich
check_eq "--weights: all six names: exit 0" 0 "$rc"
check_jq "--weights title=1: another bm25" "[.hits[] | select(.id == $alpen) | .explain.bm25][0] != $bm_default"

# --no-collapse: the two Port of Rotterdam files share a webUrl.
run_query -f json rotterdam
check_jq "collapsed: one Rotterdam hit for 2 items" '.total_matches == 2 and .total == 1 and (.hits | length) == 1 and .hits[0].collapsed == 2'
run_query -f json --no-collapse rotterdam
check_jq "--no-collapse: both" '(.hits | length) == 2 and all(.hits[]; .collapsed == 1)'

# --since / --until (calendar periods and relative times)
n=$(published "published_at >= 1704067200")
run_query -f json --count --since 2024
check_jq "--since 2024: $n items" ".total_matches == $n"
run_query -f json -n 100 --since 2024-02 --until 2024-02-14
check_jq "--since 2024-02 --until 2024-02-14: inside" 'all(.hits[]; .published_at >= "2024-02-01" and .published_at < "2024-02-15")'
n=$(published "published_at BETWEEN 1706745600 AND 1707955199")
check_jq "--since 2024-02 --until 2024-02-14: $n items" ".total_matches == $n"
# Up to the end of 2019: Boston 2013, face matching 2015, Málaga 2018,
# Veltrix and Research & Markets 2019 (two more 2019 items are unpublished).
run_query -f json --count --until 2019
check_jq "--until 2019: 5 items" '.total_matches == 5'
run_query -f json --count --since 2021-06 --until 2021-06
check_jq "--since/--until one month = date:2021-06" '.total_matches == 4'
run_query -f json --count --since 100y
check_jq "--since 100y: every dated item" '.total_matches == 65'
run_query -f json --count --since 1d
check_jq "--since 1d: nothing that old samples" '.total_matches == 0'
run_query -f json --count --until 12h
check_jq "--until 12h: every dated item" '.total_matches == 65'
run_query -f json --count --since 520w ai
check_eq "--since 520w: exit 0" 0 "$rc"
run_query -f json --count --since 3m ai
check_eq "--since 3m: exit 0" 0 "$rc"

# --format-version, --color, --exit-status leave JSON alone.
run_query -f json --format-version 1 --color=always --exit-status zurich
check_eq "--format-version 1 --color=always: exit 0" 0 "$rc"
check "--color=always: still valid JSON" valid_json .out
check "--color=always: no escape codes in JSON" lacks .out $'\033'

# --- JSONL -------------------------------------------------------------
run_query -f json -n 100 ai
json_hits=$(jq_out '.hits')
run_query -f jsonl -n 100 ai
check_eq "jsonl: exit 0" 0 "$rc"
check "jsonl: valid" valid_jsonl .out
check_eq "jsonl: the same hits as json" "$json_hits" "$(jq -s -c . .out)"
check_eq "jsonl: one line per hit" "$(jq length <<<"$json_hits")" "$(wc -l <.out)"
run_query -f jsonl --facets topic alpenmnd
check_eq "jsonl: nothing for no match (no facets, no suggestions)" "" "$out"
run_query -f jsonl --facets topic,provider,year --explain --related 1 -n 3 ai
check "jsonl: with facets, only hits" valid_jsonl .out
check_eq "jsonl: 3 lines" 3 "$(wc -l <.out)"
check "jsonl: every line is a hit with explain" \
    jq_true .out -s 'all(.[]; has("id") and has("explain") and (.related | length) <= 1)'

# Every option in json and jsonl: exit 0, valid output.
while IFS= read -r args; do
    for f in json jsonl; do
        # shellcheck disable=SC2086
        run_query -f $f $args
        check_eq "$f $args: exit 0" 0 "$rc"
        check "$f $args: valid" valid_$f .out
    done
done <<EOF
-n 3 ai
--limit 3 --offset 3 ai
--count ai
--sort date ai
--sort quality ai
--sort heat ai
--sort rank ai
--all ai
--since 2021 --until 2022-06 ai
--since 7d
--fresh ai
--fresh=12h ai
--fresh --now 7d ai
--explain ai
--no-collapse rotterdam
--related 0 ai
--related 2 quill
--like $quill1
--facets topic,provider,year ai
--weights title=10,excerpt=4,body=1,quality=1,heat=1,prior=0.3 ai
--exit-status ai
--color=never ai
--color=always ai
--format-version 1 ai
EOF

# --- hostile queries: exit 0 and valid JSON --------------------------
while IFS= read -r q; do
    run_query -f json -- "$q"
    check_eq "hostile [$q]: exit 0" 0 "$rc"
    check "hostile [$q]: valid JSON" valid_json .out
    check_jq "hostile [$q]: echoed" --arg q "$q" '.query == $q'
    run_query -f jsonl -- "$q"
    check "hostile [$q]: valid JSONL" valid_jsonl .out
done <<'EOF'
"
(
)
AND
OR
NOT
C++
AT&T
https://www.techwiredaily.com/2023/11/28/quillon-labs-open-sources-quill-7/?utm_source=rss&a=1
don't
state-of-the-art
"unbalanced phrase
(ai OR
NEAR(a b)
{title}: x
12:30
-
*
\
'; DROP TABLE items; --
ai "" OR -
Zürich* 语言 ＡＩ ﬁnance
EOF
run_query -f json C++
check_jq "C++ finds the two C++ items" '.total_matches == 2'
run_query -f json AT\&T
check_jq "AT&T finds the AT&T item" '.total_matches >= 1 and all(.hits[]; .title | test("AT&T"))'

# --- escaping and invalid UTF-8 in paths -----------------------------
mkdir -p odd
name=$'odd/bad-\xff\xfe-name\x01.md'
printf -- '---\ntitle: "Tab\\there, a quote \\" and a backslash \\\\ in xylophonic news"\nexcerpt: "Bell\\a and escape\\e characters, xylophonic"\npublished: true\n---\n' >"$name"
"$NEWSINDEX" -q --db t.db news odd
run_query -f json xylophonic
check_eq "odd item: exit 0" 0 "$rc"
check "odd item: strict UTF-8 JSON" valid_json .out
check_jq "odd item: found" '.total_matches == 1'
check_jq "odd item: invalid bytes become U+FFFD" '.hits[0].path | endswith("odd/bad-\ufffd\ufffd-name\u0001.md")'
check_jq "odd item: tab, quote, backslash kept" '.hits[0].title | test("Tab\there, a quote \" and a backslash \\\\ in")'
check "odd item: control characters escaped" grep -q '\\u0001' .out
check "odd item: no raw control bytes" no_raw_controls .out
run_query -f jsonl xylophonic
check "odd item: valid JSONL" valid_jsonl .out

# --- name: as the title (issue 14, item 9) ----------------------------
run_query -f json tidewater
check_jq "name: the hit's title" '.total_matches == 1 and .hits[0].title == "Tidewater ML Forum 2024"'
check_jq "name: the snippet marks the name" '.hits[0].snippet | test("<mark>Tidewater</mark>")'

# --- honest suggestions (issue 14, item 4) -----------------------------
for q in 'intel community colleges' 'tesla optimus' 'openai dall-e'; do
    run_query -f json "$q"
    check_jq "$q: found, no suggestions" '.total_matches == 1 and (has("suggestions") | not) and (has("suggestion_totals") | not)'
done
n_company=$(published "id IN (SELECT rowid FROM fts WHERE fts MATCH 'company')")
run_query -f json compnay
check_jq "compnay: company with its total ($n_company)" \
    --argjson n "$n_company" '.total_matches == 1 and .suggestions == ["company"] and .suggestion_totals == [$n]'
run_query -f json teslla optimsu
check_jq "two typos: one suggestion, both fixed" '.total_matches == 0 and .suggestions == ["tesla optimus"] and .suggestion_totals == [1]'
# Every suggestion finds more than the query, and says how much.
for q in alpenmnd rotterdm zuriich 'alpenmnd rotterdam' compnay; do
    run_query -f json "$q"
    check_jq "$q: each suggestion finds more than the query" '.total_matches as $n | (.suggestions // []) as $s | (.suggestion_totals // []) as $t | ($s | length) == ($t | length) and all($t[]; . > $n)'
done
# Version 1 keeps its shape: suggestions are strings.
run_query -f json --format-version 1 rotterdm
check_jq "--format-version 1: suggestions are strings" '.version == 1 and (.suggestions | all(type == "string"))'

finish
