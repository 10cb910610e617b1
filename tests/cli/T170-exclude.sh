#!/bin/bash
# T170: --exclude and .newsidxignore: gitignore-like patterns relative to
# each folder given; what they match is left out, and removed from the
# index when it was in it; bad patterns are usage errors that write
# nothing; a file given by name is read whatever the patterns.
. "$(dirname "$0")/lib.sh"

# item FILE TITLE: a small news item.
item() {
    mkdir -p "$(dirname "$1")"
    printf -- '---\ntitle: %s\n---\n' "$2" >"$1"
}
mkdir -p arch
item arch/README.md "Readme but a news item"
item arch/_data/org.md "Org data"
item arch/_data/deep/x.md "Deep data"
item arch/news/a.md "News a"
item arch/news/README.md "Nested readme"
item arch/news/_data/keep.md "Nested data folder"
item arch/drafts/d.md "Draft"
item arch/notes.txt "Notes"
printf 'no front matter\n' >arch/plain.md

run_index --db t.db --json arch
check_eq "all: exit 0" 0 "$rc"
check_eq "all: 8 added" 8 "$(json_get added)"
check_eq "all: 1 not news" 1 "$(json_get skipped)"

# A name without '/' matches at any depth; a folder leaves out all under
# it; the excluded items that were indexed are removed, and counted.
run_index --db t.db --json -v --exclude README.md --exclude _data arch
check_eq "by name: exit 0" 0 "$rc"
check_eq "by name: 5 removed" 5 "$(json_get removed)"
check_eq "by name: 3 unchanged" 3 "$(json_get unchanged)"
check_eq "by name: the removed ones" \
"arch/README.md: removed
arch/_data/deep/x.md: removed
arch/_data/org.md: removed
arch/news/README.md: removed
arch/news/_data/keep.md: removed" "$(grep ': removed$' .err | sort)"
check_eq "by name: files left in the index" 4 "$(sql t.db 'SELECT count(*) FROM files')"

# A pattern with a '/' is anchored to the folder given; '*' stops at '/';
# a trailing '/' is for folders only; "**" crosses folders.
run_index --db t.db --json --rebuild --exclude /README.md --exclude '_data/*' arch
check_eq "anchored: indexed" \
"$TMP/arch/drafts/d.md
$TMP/arch/news/README.md
$TMP/arch/news/_data/keep.md
$TMP/arch/news/a.md
$TMP/arch/notes.txt" \
    "$(sql t.db 'SELECT f.path FROM files f JOIN items i ON i.id = f.id ORDER BY f.path')"
run_index --db t.db --json --rebuild --exclude 'notes.txt/' --exclude '**/_data/**/*.md' arch
check_eq "trailing slash is for folders; ** crosses folders (none too)" \
"$TMP/arch/README.md
$TMP/arch/drafts/d.md
$TMP/arch/news/README.md
$TMP/arch/news/a.md
$TMP/arch/notes.txt" \
    "$(sql t.db 'SELECT f.path FROM files f JOIN items i ON i.id = f.id ORDER BY f.path')"
run_index --db t.db --json --rebuild --exclude '*.md' arch
check_eq "*.md leaves notes.txt" 1 "$(json_get added)"

# The ignore file at the top of the folder: comments, blank lines,
# blanks around a pattern and CRLF line ends.
printf '# leave these out\n\n  README.md  \r\n_data/\r\n/drafts\n' >arch/.newsidxignore
run_index --db t.db --json --rebuild arch
check_eq "ignore file: exit 0" 0 "$rc"
check_eq "ignore file: indexed" \
"$TMP/arch/news/a.md
$TMP/arch/notes.txt" \
    "$(sql t.db 'SELECT f.path FROM files f JOIN items i ON i.id = f.id ORDER BY f.path')"
check_eq "ignore file: plain.md still told" \
    "arch/plain.md: notice: not a news item: no front matter" "$(grep notice .err)"
# --exclude adds to it.
run_index --db t.db --json --exclude plain.md arch
check_eq "ignore file and --exclude: nothing but the items" 2 \
    "$(sql t.db 'SELECT count(*) FROM files')"
# A file given by name is read whatever the patterns.
run_index --db t.db --json arch/README.md
check_eq "a file given by name: added" 1 "$(json_get added)"
rm arch/.newsidxignore

# Bad patterns: usage errors, exit 2, and no index file is made.
run_index --db new.db --exclude '!README.md' arch
check_eq "'!' pattern: exit 2" 2 "$rc"
check_eq "'!' pattern: the message" \
"newsindex: error: --exclude '!README.md': a pattern that starts with '!' (an exception) is not supported; write \\! for a name that starts with it
Try 'newsindex --help' for more information." "$err"
check "'!' pattern: no index made" test ! -e new.db
run_index --db new.db --exclude / arch
check_eq "empty pattern: exit 2" 2 "$rc"
check_eq "empty pattern: the message" \
    "newsindex: error: --exclude needs a pattern such as README.md or _data/, not '/'" \
    "$(head -n 1 .err)"
run_index --db new.db --exclude=
check_eq "no pattern at all: exit 2" 2 "$rc"
# In the ignore file: the file and the line are named, nothing written.
before=$(sql t.db 'SELECT count(*) FROM files')
printf 'README.md\n\n!news\n' >arch/.newsidxignore
run_index --db t.db --rebuild arch
check_eq "bad ignore file: exit 2" 2 "$rc"
check_eq "bad ignore file: the message" \
    "newsindex: error: '$TMP/arch/.newsidxignore' line 3: exclude pattern '!news' starts with '!': exceptions are not supported (write \\! for a name that starts with it)" \
    "$err"
check_eq "bad ignore file: the index as it was, even with --rebuild" \
    "$before" "$(sql t.db 'SELECT count(*) FROM files')"
if [ "$(id -u)" != 0 ]; then
    printf 'README.md\n' >arch/.newsidxignore
    chmod 000 arch/.newsidxignore
    run_index --db t.db arch
    check_eq "unreadable ignore file: exit 1" 1 "$rc"
    check_eq "unreadable ignore file: the message" \
        "newsindex: error: cannot read '$TMP/arch/.newsidxignore': Permission denied" "$err"
    chmod 644 arch/.newsidxignore
fi
rm -f arch/.newsidxignore

# The real corpus: README.md and _data left out, the notices with them.
CORPUS=$NX_SOURCE_DIR/../shared/corpus
if [ -d "$CORPUS" ]; then
    run_index --db c.db --exclude README.md --exclude _data "$CORPUS"
    check_eq "corpus: exit 0" 0 "$rc"
    check_eq "corpus: two notices left (a company, a person)" 2 \
        "$(grep -c ': notice: not a news item' .err)"
    check "corpus: none of README.md or _data" \
        bash -c "! grep -E 'README.md|/_data/' '$TMP/.err'"
fi

finish
