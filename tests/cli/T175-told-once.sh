#!/bin/bash
# T175: a file that is not a news item, and a warning, are told once, when
# the file is first seen or changes; --verbose tells them again; a failed
# file is told on every run; a fixed file keeps its item and is updated; a
# missing path is reported once; paths are shown as typed.
. "$(dirname "$0")/lib.sh"

mkdir -p arch
printf -- '---\ntitle: Good item about quokkas\n---\n' >arch/good.md
printf -- '---\ntitle: Warned item\nquality: high\n---\n' >arch/warn.md
printf 'no front matter\n' >arch/plain.md
printf -- '---\ntitle: "broken\n---\n' >arch/bad.md

run_index --db t.db arch
check_eq "first run: exit 5" 5 "$rc"
check_eq "first run: every report" \
"arch/bad.md:3:1: error: found unexpected end of stream while scanning a quoted scalar
arch/plain.md: notice: not a news item: no front matter
arch/warn.md:3:10: warning: quality: expected a whole number, got 'high'" \
    "$(grep -v '^newsindex: ' .err)"

# Again, unchanged: the error again, the notice and the warning not.
run_index --db t.db arch
check_eq "re-run: exit 5" 5 "$rc"
check_eq "re-run: the error only, and a line for the rest" \
"arch/bad.md:3:1: error: found unexpected end of stream while scanning a quoted scalar
newsindex: 0 added, 0 updated, 0 renamed, 2 unchanged, 0 removed, 1 skipped, 1 failed (0 warnings); 2 items in t.db; SECONDS
newsindex: 1 not news item told in earlier runs (--verbose lists them)" \
    "$(sed -E 's/; [0-9.]+ s$/; SECONDS/' .err)"

# --verbose lists them all again.
run_index --db t.db --verbose arch
check_eq "verbose: everything" \
"arch/bad.md:3:1: error: found unexpected end of stream while scanning a quoted scalar
arch/good.md: unchanged
arch/plain.md: notice: not a news item: no front matter
arch/warn.md: unchanged
arch/warn.md:3:10: warning: quality: expected a whole number, got 'high'
newsindex: 0 added, 0 updated, 0 renamed, 2 unchanged, 0 removed, 1 skipped, 1 failed (1 warnings); 2 items in t.db; SECONDS" \
    "$(sed -E 's/; [0-9.]+ s$/; SECONDS/' .err)"

# A changed file is told again; one moved elsewhere too (a new path).
printf 'still no front matter\n' >arch/plain.md
mv arch/warn.md arch/warned.md
run_index --db t.db arch
check_eq "changed and moved: told again" \
"arch/bad.md:3:1: error: found unexpected end of stream while scanning a quoted scalar
arch/plain.md: notice: not a news item: no front matter
newsindex: 0 added, 0 updated, 1 renamed, 1 unchanged, 0 removed, 1 skipped, 1 failed (0 warnings); 2 items in t.db; SECONDS" \
    "$(sed -E 's/; [0-9.]+ s$/; SECONDS/' .err)"

# A good item that breaks keeps its item; fixed, it is updated, not added.
id=$(id_of good.md)
printf -- '---\ntitle: "Good item\n---\n' >arch/good.md
run_index --db t.db --json arch
check_eq "broken: two failed" 2 "$(json_get failed)"
check_eq "broken: the item kept" 2 "$(json_get items)"
printf -- '---\ntitle: Good item fixed about quokkas\n---\n' >arch/good.md
run_index --db t.db --json arch
check_eq "fixed: updated" 1 "$(json_get updated)"
check_eq "fixed: not added" 0 "$(json_get added)"
check_eq "fixed: same id" "$id" "$(id_of good.md)"
# A file that never had an item and is fixed is added.
printf -- '---\ntitle: Bad no more\n---\n' >arch/bad.md
run_index --db t.db --json arch
check_eq "fixed, never indexed: added" 1 "$(json_get added)"

# A missing path: once.
run_index --db t.db nowhere
check_eq "missing path: exit 1" 1 "$rc"
check_eq "missing path: reported once" \
    "nowhere: error: cannot access: No such file or directory" "$err"
run_index --db t.db nowhere arch
check_eq "missing path among others: exit 5" 5 "$rc"
check_eq "missing path among others: reported once" 1 "$(grep -c nowhere .err)"

# Paths are shown as typed: ../x, an absolute path, x/.
rm arch/plain.md
printf -- '---\ntitle: "broken again\n---\n' >arch/bad.md
mkdir sub
(cd sub && "$NEWSINDEX" --db ../t.db ../arch) 2>.err2
check_eq "typed ../arch" \
    "../arch/bad.md:3:1: error: found unexpected end of stream while scanning a quoted scalar" \
    "$(grep error .err2)"
run_index --db t.db "$TMP/arch"
check_eq "typed absolute" \
    "$TMP/arch/bad.md:3:1: error: found unexpected end of stream while scanning a quoted scalar" \
    "$(grep error .err)"
run_index --db t.db arch/ "$TMP/arch/bad.md"
check_eq "typed arch/ (and the file by its absolute path: the longest wins)" \
    "$TMP/arch/bad.md:3:1: error: found unexpected end of stream while scanning a quoted scalar" \
    "$(grep error .err)"
run_index --db t.db ./arch/
check_eq "typed ./arch/" \
    "./arch/bad.md:3:1: error: found unexpected end of stream while scanning a quoted scalar" \
    "$(grep error .err)"

# The real corpus: 12 notices the first time, none the second.
CORPUS=$NX_SOURCE_DIR/../shared/corpus
if [ -d "$CORPUS" ]; then
    run_index --db c.db "$CORPUS"
    check_eq "corpus first run: 12 notices" 12 "$(grep -c ': notice: ' .err)"
    run_index --db c.db "$CORPUS"
    check_eq "corpus re-run: no notice" 0 "$(grep -c ': notice: ' .err)"
    check_eq "corpus re-run: one line says so" \
        "newsindex: 12 not news items told in earlier runs (--verbose lists them)" \
        "$(tail -n 1 .err)"
    run_index --db c.db -v "$CORPUS"
    check_eq "corpus --verbose: the 12 again" 12 "$(grep -c ': notice: ' .err)"
fi

finish
