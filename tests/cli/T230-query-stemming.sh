#!/bin/bash
# T230: stemming (issue 14).  On the samples, a word's singular and plural
# and a verb's forms find each other; the form typed ranks above another
# form; a quoted word, =word and --exact match the form typed only;
# --explain names the forms searched and their weight, which --weights
# form= sets; --like finds items by the other forms of their words; the
# language is the index's (newsindex --stem-language), kept by --rebuild.
. "$(dirname "$0")/lib.sh"

"$NEWSINDEX" -q --db s.db "$NX_SOURCE_DIR/samples" || exit 1

count() {
    "$NEWSQUERY" --db s.db --all --count -- "$@" 2>&1
}

# --- inflection on the samples -----------------------------------------------
# A word finds exactly the items that hold one of its forms: the terms
# that share its stem (docs/schema.md), searched as written.  Singular and
# plural, and a verb's forms; each word's exact form alone finds fewer.
for word in robot robots use used uses using predict predicted train trained \
    test testing asked matches records; do
    forms=$(sql s.db "SELECT group_concat(term, ' OR ') FROM terms WHERE
        stem = coalesce((SELECT stem FROM terms WHERE term = '$word'), '$word')
        OR term = coalesce((SELECT stem FROM terms WHERE term = '$word'), '$word')")
    check "$word has other forms in the samples ($forms)" \
        grep -q ' OR ' <<<"$forms"
    family=$("$NEWSQUERY" --db s.db --all --count --exact -- "$forms")
    check_eq "$word finds every form of it ($forms)" "$family" "$(count "$word")"
    check "$word as written ($(count "=$word")) finds fewer ($family)" \
        test "$(count "=$word")" -lt "$family"
done
check_eq "predicts, predicting and predictive are one word" \
    "$(count predict)" "$(count predicts)"
check_eq "a form not in the index finds the forms that are" \
    "$(count robot)" "$(count roboted)"

# --- exact forms -------------------------------------------------------------
exact=$(count '=robots')
check_eq "a quoted word is its exact form" "$exact" "$(count '"robots"')"
check_eq "--exact is =word for every word" "$exact" \
    "$("$NEWSQUERY" --db s.db --all --count --exact robots)"
check_eq "--exact is an option after the words too" "$exact" \
    "$("$NEWSQUERY" --db s.db robots --all --count --exact)"
check_eq "a quoted phrase matches its forms exactly" 0 \
    "$(count '"robot learn"')"
check "a quoted phrase finds the phrase" test "$(count '"robots learn"')" -ge 1
check_eq "-word leaves out every form" 0 \
    "$(count 'robots -robot')"
check_eq "-=word leaves out that form only" \
    "$(( $(count robots) - exact ))" "$(count 'robots -=robots')"
check_eq "a prefix has no forms" "$(count 'robo*')" \
    "$("$NEWSQUERY" --db s.db --all --count --exact 'robo*')"

# --- ranking: the form typed first -------------------------------------------
mkdir items
cat >items/plural.md <<'ITEM'
---
title: "Harbour cranes unload the ship"
excerpt: "Same words."
published: true
---
ITEM
cat >items/singular.md <<'ITEM'
---
title: "Harbour crane unloads the ship"
excerpt: "Same words."
published: true
---
ITEM
"$NEWSINDEX" -q --db t.db items || exit 1
first() {
    "$NEWSQUERY" --db t.db -f json "$@" | jq -r '.hits[0].path | sub(".*/"; "")'
}
check_eq "cranes: the item with cranes first" plural.md "$(first cranes)"
check_eq "crane: the item with crane first" singular.md "$(first crane)"
check_eq "unload: the item with unload first" plural.md "$(first unload)"
check_eq "both found" 2 "$("$NEWSQUERY" --db t.db --count crane)"
scores() {
    "$NEWSQUERY" --db t.db -f json "$@" cranes | jq -r '[.hits[].score] | map(tostring) | join(" ")'
}
s=$(scores)
set -- $s
check "the other form scores half as much text relevance: $s" \
    python3 -c "import sys; a, b = map(float, sys.argv[1:]); sys.exit(not 1.2 < a / b < 2.5)" "$1" "$2"
s=$(scores --weights form=1)
set -- $s
check_eq "with form=1 both forms weigh the same" "$1" "$2"
s=$(scores --weights form=0)
set -- $s
check_eq "with form=0 the other form is found but scores 0" "0" "$2"
run_query --weights form=1.5 cranes
check_eq "a form weight above 1 is a usage error" 2 "$rc"

# --- --explain ---------------------------------------------------------------
run_query --explain cranes
check_eq "--explain names the forms and their weight" \
    "forms: cranes = crane (each 0.5 of the word typed)" \
    "$(grep '^forms:' <<<"$out")"
run_query --explain --weights form=0.25 -f json 'cranes unload'
printf '%s' "$out" >explain.json
check "JSON: forms and form_weight" jq_true explain.json -c \
    '.forms == [{"word": "cranes", "form": "crane"}, {"word": "unload", "form": "unloads"}] and .form_weight == 0.25'
run_query -f json cranes
printf '%s' "$out" >plain.json
check "JSON: no forms without --explain" jq_true plain.json 'has("forms") | not'
run_query --explain '"cranes"'
check_eq "a quoted word lists no forms" "" "$(grep '^forms:' <<<"$out")"

# --- --like ------------------------------------------------------------------
mkdir like
cat >like/a.md <<'ITEM'
---
title: "Zeppelins return to the skies"
excerpt: "Airships carry freight."
published: true
---
ITEM
cat >like/b.md <<'ITEM'
---
title: "A zeppelin lands"
excerpt: "An airship carried cargo."
published: true
---
ITEM
cat >like/c.md <<'ITEM'
---
title: "Zeppelins and airships"
excerpt: "History."
published: true
---
ITEM
"$NEWSINDEX" -q --db l.db like || exit 1
a=$(sql l.db "SELECT id FROM files WHERE path LIKE '%/a.md'")
got=$("$NEWSQUERY" --db l.db -f json --like "$a" | jq -r '[.hits[].path | sub(".*/"; "")] | sort | join(" ")')
check_eq "--like finds an item by other forms of its words" "b.md c.md" "$got"
got=$("$NEWSQUERY" --db l.db -f json --like "$a" --exact | jq -r '[.hits[].path | sub(".*/"; "")] | sort | join(" ")')
check_eq "--like --exact: the forms as written" "c.md" "$got"

# --- the index's language ----------------------------------------------------
run_index --db t.db --stem-language none
check_eq "--stem-language without a PATH sets it" 0 "$rc"
check_eq "and says nothing" "" "$out$err"
check_eq "stored" none "$(sql t.db "SELECT value FROM meta WHERE key = 'stem_language'")"
check_eq "none: crane finds crane only" 1 "$("$NEWSQUERY" --db t.db --count crane)"
check_eq "none: no stems stored" 0 "$(sql t.db "SELECT count(*) FROM terms WHERE stem IS NOT NULL")"
run_index --db t.db --rebuild items
check_eq "--rebuild keeps the language" none \
    "$(sql t.db "SELECT value FROM meta WHERE key = 'stem_language'")"
check_eq "and the rebuilt index stems in it" 1 "$("$NEWSQUERY" --db t.db --count cranes)"
run_index --db t.db --stem-language english
check_eq "english again: every stem stored anew" 2 "$("$NEWSQUERY" --db t.db --count crane)"

mkdir de
cat >de/a.md <<'ITEM'
---
title: "Die Häuser der Altstadt"
published: true
---
ITEM
cat >de/b.md <<'ITEM'
---
title: "Ein Haus am See"
published: true
---
ITEM
run_index -q --db de.db --stem-language german de
check_eq "--stem-language with a PATH: set, then indexed" 0 "$rc"
check_eq "german: Haus finds Häuser" 2 "$("$NEWSQUERY" --db de.db --count haus)"
check_eq "german: Häuser finds Haus" 2 "$("$NEWSQUERY" --db de.db --count Häuser)"
"$NEWSINDEX" -q --db en.db de
check_eq "english does not know that" 1 "$("$NEWSQUERY" --db en.db --count haus)"

run_index --db new.db --stem-language klingon
check_eq "an unknown language is a usage error" 2 "$rc"
check "it lists the languages" grep -q "languages are: .*english.*german.* none" <<<"$err"
check "and creates no index" test ! -e new.db
run_index --db t.db
check_eq "no PATH and no --stem-language is still an error" 2 "$rc"

finish
