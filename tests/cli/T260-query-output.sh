#!/bin/bash
# T260: newsquery's output tells the whole truth (issue 15).  Facets say
# what they leave out; "total" is what paging goes through, and each hit
# lists the ids it stands for; an offset past the end says so; --count
# and --facets go together; --format paths prints paths byte for byte,
# NUL-ended with -0; highlights cover words, not the punctuation around.
. "$(dirname "$0")/lib.sh"

# Items of our own, for exact output: six providers, a story told twice
# (same URL), quotes and a hyphenated phrase, file names with a space, a
# newline and a byte that is not UTF-8.
mkdir -p own
item() { # FILE TITLE EXCERPT URL PROVIDER QUALITY
    cat >"own/$1" <<EOF
---
title: "$2"
excerpt: "$3"
publishedDateTime: 2024-03-0${6:0:1}T10:00:00Z
webUrl: "$4"
provider:
  name: $5
  domain: $(echo "$5" | tr 'A-Z ' 'a-z-').example
quality: $6
topics:
  - Robots
---
Body.
EOF
}
item a.md "Gantry robots reach the port" "Port cranes get “Machine” brains for robots." \
    https://a.example/1 "Alpha News" 90
item b.md "Gantry robots reach the port again" "Robots and a self-driving truck meet." \
    https://b.example/1 "Beta Daily" 80
item c.md "Copy of the gantry story" "Robots at the port, told once more." \
    https://a.example/1 "Gamma Post" 70
item "d with space.md" "Warehouse robots" "Robots sort parcels." \
    https://d.example/1 "Delta Wire" 60
item "$(printf 'e\nnewline.md')" "Farm robots" "Robots pick apples." \
    https://e.example/1 "Epsilon Times" 50
item "$(printf 'f\xffbyte.md')" "Kitchen robots" "Robots flip burgers." \
    https://f.example/1 "Zeta Journal" 40
"$NEWSINDEX" -q --db t.db own || exit 1

# --- one meaning of total -----------------------------------------------
run_query -f json robots
check "json: valid" valid_json .out
check_eq "robots: 6 matching items" 6 "$(jq .total_matches .out)"
check_eq "robots: 5 stories (a and c share a URL)" 5 "$(jq .total .out)"
check_eq "robots: the count is exact" true "$(jq .total_exact .out)"
check_eq "robots: 5 hits" 5 "$(jq '.hits | length' .out)"
check_eq "the collapsed hit stands for a and c, its own id first" \
    "[$(id_of a.md),$(id_of c.md)]" \
    "$(jq -c '.hits[] | select(.collapsed == 2) | .collapsed_ids' .out)"
check "every other hit stands for itself" \
    jq_true .out 'all(.hits[] | select(.collapsed == 1); .collapsed_ids == [.id])'
run_query robots
check_eq "text: matches and stories" "6 matches in 5 stories, showing 1-5" \
    "$(head -n 1 .out)"

# Paging goes through exactly `total` hits, which stand for every match
# once, on the samples too, for queries the engine runs and SQL runs.
copy_samples news
"$NEWSINDEX" -q --db s.db news || exit 1
for q in ai robots 'port OR crane' 'topic:AI' 'ai -robot' rotterdam; do
    for all in "" --all; do
        "$NEWSQUERY" --db s.db -f json --count $all -- "$q" >.count
        total=$(jq .total .count)
        ids=""
        offset=0
        while :; do
            "$NEWSQUERY" --db s.db -f json -n 3 --offset $offset $all -- "$q" >.page
            n=$(jq '.hits | length' .page)
            [ "$n" -eq 0 ] && break
            ids="$ids $(jq -r '.hits[].collapsed_ids[]' .page)"
            offset=$((offset + n))
        done
        check_eq "[$q]$all: paging yields --count's total" "$total" "$offset"
        check_eq "[$q]$all: the hits stand for every match" \
            "$(jq .total_matches .count)" "$(echo $ids | wc -w)"
        check_eq "[$q]$all: ... each once" "$(echo $ids | wc -w)" \
            "$(echo $ids | tr ' ' '\n' | sort -u | wc -w)"
        check_eq "[$q]$all: the count is exact" true "$(jq .total_exact .count)"
    done
done
"$NEWSQUERY" --db s.db -f json --count rotterdam >.count
check "rotterdam: two copies make one story (else this proves little)" \
    jq_true .count '.total_matches == 2 and .total == 1'

# An offset past the end says so.
run_query --offset 5 robots
check_eq "text: --offset past the end" \
    "6 matches in 5 stories; --offset 5 is past the last of them" "$out"
run_query -f json --offset 5 robots
check "json: --offset past the end: no hits, the totals" \
    jq_true .out '.hits == [] and .total == 5 and .offset == 5'
run_query --offset 4 robots
check_eq "text: the last page" "6 matches in 5 stories, showing 5-5" \
    "$(head -n 1 .out)"

# --- facets ---------------------------------------------------------------
run_query --facets provider --facet-limit 2 -n 0 robots
check_eq "text: facets say how many values are left out" \
    "provider: Alpha News (1), Beta Daily (1), and 4 more (--facet-limit 0 shows all)" \
    "$(tail -n 1 .out)"
run_query -f json --facets provider,topic --facet-limit 2 -n 0 robots
check "json: at most 2 values, the rest counted" \
    jq_true .out '(.facets.provider | length) == 2 and .facets_left_out == {"provider": 4, "topic": 0}'
run_query -f json --facets provider --facet-limit 0 -n 0 robots
check "json: --facet-limit 0 gives all 6" \
    jq_true .out '(.facets.provider | length) == 6 and .facets_left_out.provider == 0'
check "json: the counts add up to the matching items" \
    jq_true .out '([.facets.provider[].count] | add) == .total_matches'
# The default is 20 values: the samples have more providers than that.
n_prov=$(sql s.db "SELECT count(DISTINCT p.name) FROM items i JOIN providers p ON p.id = i.provider_id WHERE i.published IS NOT 0")
check "samples: more than 20 providers (else this proves little)" test "$n_prov" -gt 20
"$NEWSQUERY" --db s.db -f json --facets provider 'date:1900..2100' >.out
check "json: 20 provider values by default" \
    jq_true .out '(.facets.provider | length) == 20 and .facets_left_out.provider > 0'
"$NEWSQUERY" --db s.db --facets provider 'date:1900..2100' >.out
check "text: ... and says how many more" \
    grep -Eq '^provider: .*, and [0-9]+ more \(--facet-limit 0 shows all\)$' .out

# --count and --facets together give both.
run_query --count --facets topic robots
check_eq "text: --count --facets: the count, then the facets" \
    "$(printf '6\n\ntopic: Robots (6)')" "$out"
run_query -f json --count --facets topic robots
check "json: --count --facets" \
    jq_true .out '.total_matches == 6 and .facets.topic == [{"value": "Robots", "count": 6}] and (has("hits") | not)'
# The man page's example.
"$NEWSQUERY" --db s.db --facets topic,year --count 'topic:"Computer Vision"' >.out
check "man page example: the count and two facet lines" \
    grep -Eq '^topic: .*Computer Vision' .out

# --- paths ------------------------------------------------------------
run_query -f paths --no-collapse -n 100 --sort quality robots
check_eq "paths: one per line (the newline name spans two)" \
    "$(printf '%s\n' "$PWD/own/a.md" "$PWD/own/b.md" "$PWD/own/c.md" \
        "$PWD/own/d with space.md" "$PWD/own/e" "newline.md" \
        "$PWD/own/f$(printf '\xff')byte.md")" "$out"
"$NEWSQUERY" --db t.db -0 --no-collapse -n 100 --sort quality robots >.out
check_eq "-0: six paths, each ended by NUL" 6 "$(tr -cd '\0' <.out | wc -c)"
check "-0: the byte that is not UTF-8 is kept" grep -q "$(printf 'f\xffbyte')" .out
check_eq "-0: xargs -0 opens every file" 6 \
    "$(xargs -0 cat <.out | grep -c '^webUrl')"
"$NEWSQUERY" --db t.db -f paths robots >.out 2>.err
check_eq "paths: collapsed, one per story" 5 \
    "$(tr -cd '\n' <.out | wc -c | awk '{print $1 - 1}')"
check_eq "paths: nothing on stderr when all are listed" "" "$(cat .err)"
"$NEWSQUERY" --db t.db -f paths -n 2 --sort quality robots >.out 2>.err
check_eq "paths: a page of 2" 2 "$(wc -l <.out)"
check_eq "paths: stderr says more match" \
    "newsquery: hint: 2 of 5 stories listed; --limit and --offset list more" \
    "$(cat .err)"
run_query -f json --no-collapse -n 100 robots
check "json: the path that is not UTF-8 is valid JSON (U+FFFD)" valid_json .out
check "json: ... with U+FFFD in place of the byte" \
    jq_true .out 'any(.hits[]; .path | endswith("/own/f\ufffdbyte.md"))'
run_query -0 -f json robots
check_eq "-0 with json: usage error" 2 "$rc"
run_query -f paths --count robots
check_eq "paths with --count: usage error" 2 "$rc"

# --- highlights -------------------------------------------------------
run_query machine
check "a mark leaves the quote out" grep -qF '“[Machine]” brains' .out
run_query '"self driving"'
check "hyphenated words share one mark" grep -qF 'a [self-driving] truck' .out

finish
