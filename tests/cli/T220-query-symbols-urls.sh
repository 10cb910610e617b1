#!/bin/bash
# T220: what schema 7 indexes beyond words (issue 14): emoji and other
# symbols are tokens of their own; every URL of an item is findable with
# url: (and a query that is only an address means url: it); the terms
# table holds each word's stem in the index's language.
. "$(dirname "$0")/lib.sh"

mkdir items
cat >items/a.md <<'ITEM'
---
title: "Robot barista serves coffee ☕🤖 in Zurich"
excerpt: "The robots brew; © 2024"
webUrl: "https://www.example.com/news/robot-barista/?utm_source=x"
originalUrl: "https://origin.example.org/stories/42"
ampWebUrl: "https://amp.example.net/robot-barista"
published: true
---
ITEM
cat >items/b.md <<'ITEM'
---
title: "Plain item about coffee"
excerpt: "Nothing but words."
webUrl: "https://www.example.com/news/plain"
published: true
---
ITEM
"$NEWSINDEX" -q --db t.db items || exit 1

count() {
    "$NEWSQUERY" --db t.db --count -- "$@" 2>&1
}

# --- symbols -------------------------------------------------------------
check_eq "🤖 finds the item with it" 1 "$(count '🤖')"
check_eq "☕ finds it" 1 "$(count '☕')"
check_eq "☕🤖 is a phrase of two symbols" 1 "$(count '☕🤖')"
check_eq "© finds it" 1 "$(count '©')"
check_eq "an emoji not in the index finds nothing" 0 "$(count '🚀')"
check_eq "robot 🤖 (AND)" 1 "$(count 'robot 🤖')"
check_eq "the stock sqlite3 shell finds it too" 1 \
    "$(sql t.db "SELECT count(*) FROM fts WHERE fts MATCH '\"🤖\"'")"
check_eq "coffee is still a word beside them" 2 "$(count coffee)"

# --- url: ------------------------------------------------------------------
check_eq "url: webUrl" 1 \
    "$(count 'url:https://www.example.com/news/robot-barista/?utm_source=x')"
check_eq "url: webUrl, normalized (no www., no query, no slash)" 1 \
    "$(count 'url:http://example.com/news/robot-barista')"
check_eq "url: originalUrl" 1 "$(count 'url:https://origin.example.org/stories/42')"
check_eq "url: ampWebUrl" 1 "$(count 'url:amp.example.net/robot-barista')"
check_eq "url: another item's" 1 "$(count 'url:https://example.com/news/plain')"
check_eq "url: nobody's" 0 "$(count 'url:https://example.com/news/none')"
check_eq "-url: leaves it out" 1 \
    "$(count 'coffee -url:https://origin.example.org/stories/42')"
check_eq "a bare address means url: it" 1 \
    "$(count 'https://origin.example.org/stories/42')"
check_eq "so does www." 1 "$(count 'www.example.com/news/plain')"
out=$("$NEWSQUERY" --db t.db -f json 'https://origin.example.org/stories/42')
check_eq "the bare address finds the item" \
    "Robot barista serves coffee ☕🤖 in Zurich" \
    "$(jq -r '.hits[0].title' <<<"$out")"
check_eq "a quoted address is words" 0 \
    "$(count '"https://origin.example.org/stories/42"')"

# --- stems -------------------------------------------------------------------
check_eq "the index's language" english \
    "$(sql t.db "SELECT value FROM meta WHERE key = 'stem_language'")"
check_eq "robots is stored with its stem" robot \
    "$(sql t.db "SELECT stem FROM terms WHERE term = 'robots'")"
check_eq "a word that is its own stem has none" "" \
    "$(sql t.db "SELECT stem FROM terms WHERE term = 'robot'")"
check_eq "tags have no stem" 0 \
    "$(sql t.db "SELECT count(*) FROM terms WHERE term >= char(57344) AND stem IS NOT NULL")"

finish
