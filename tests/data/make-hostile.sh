#!/bin/bash
# make-hostile.sh DIR - add to DIR/hostile, DIR/odd and DIR/cap the test
# files that cannot or should not be committed: huge files, binary data, NUL
# bytes, invalid UTF-8, deep nesting, a folder named x.md, symbolic link
# loops, a FIFO, an unreadable file, a file name with a newline.
#
#   DIR/hostile  generated hostile files (next to a copy of tests/data/hostile)
#   DIR/odd      generated odd but valid items (next to tests/data/odd)
#   DIR/cap      three items around a 64 KiB cap, for --max-size 64K
#
# Everything is deterministic (no /dev/urandom).  The 300 MiB file is sparse
# where the file system allows it, so it costs little disk.  Environment:
# HOSTILE_BIG_MB (default 300) sets its size.
#
# Prints "unreadable-ok" on stdout when DIR/hostile/unreadable.md really
# cannot be read (not root), "unreadable-skip" otherwise.
set -eu
export LC_ALL=C

dir=${1:?usage: make-hostile.sh DIR}
big_mb=${HOSTILE_BIG_MB:-300}
H=$dir/hostile
O=$dir/odd
C=$dir/cap
mkdir -p "$H" "$O" "$C"

# pseudo-random bytes, reproducible: N bytes from a linear congruential
# generator (awk), written as octal escapes through printf.
prand() {
    awk -v n="$1" 'BEGIN {
        x = 12345
        for (i = 0; i < n; i++) {
            x = (x * 1103515245 + 12345) % 2147483648
            printf "\\%03o", int(x / 65536) % 256
            if (i % 64 == 63) printf "\n"
        }
    }' | while IFS= read -r line; do printf "$line"; done
}

# repeat STRING COUNT: the string COUNT times, no newline.
repeat() {
    awk -v s="$1" -v n="$2" 'BEGIN { for (i = 0; i < n; i++) printf "%s", s }'
}

# --- huge files ------------------------------------------------------------

# 300 MiB with a valid front matter start: must fail on the size cap (16 MiB
# by default) without being read into memory.
printf -- '---\ntitle: "Hostile huge file"\nexcerpt: "' > "$H/big-300m.md"
truncate -s "${big_mb}M" "$H/big-300m.md" 2>/dev/null ||
    dd if=/dev/zero of="$H/big-300m.md" bs=1M count=0 seek="$big_mb" 2>/dev/null

# 12 MiB (under the cap) whose front matter never closes: one long quoted
# excerpt, then nothing.
{
    printf -- '---\ntitle: "Hostile big unclosed"\nexcerpt: "'
    repeat 'lorem ipsum dolor sit amet ' 466034
    printf '"\ntype: article\n'
} > "$H/big-unclosed.md"

# --- nesting thousands deep -------------------------------------------------

{ printf -- '---\ntitle: "Hostile deep flow sequence"\nnest: '
  repeat '[' 5000; repeat ']' 5000; printf '\n---\n'; } > "$H/deep-flow-seq.md"
{ printf -- '---\ntitle: "Hostile deep flow mapping"\nnest: '
  repeat '{a: ' 5000; printf '1'; repeat '}' 5000; printf '\n---\n'; } \
    > "$H/deep-flow-map.md"
{ printf -- '---\ntitle: "Hostile deep block sequence"\nnest:\n  '
  repeat '- ' 5000; printf 'x\n---\n'; } > "$H/deep-block-seq.md"
# block mappings need one more space of indentation per level
awk 'BEGIN {
    printf "---\ntitle: \"Hostile deep block mapping\"\nnest:\n"
    for (i = 1; i <= 3000; i++) {
        for (j = 0; j < i; j++) printf " "
        printf "k%d:\n", i
    }
    printf "---\n"
}' > "$H/deep-block-map.md"
# an unclosed flow collection thousands deep (the parser must not recurse)
{ printf -- '---\ntitle: "Hostile unclosed deep flow"\nnest: '
  repeat '[{' 20000; printf '\n---\n'; } > "$H/deep-flow-unclosed.md"

# --- binary data, NUL bytes, invalid UTF-8 ----------------------------------

{ printf '\211PNG\r\n\032\n'; prand 65536; } > "$H/binary.md"
{ printf -- '---\n'; prand 4096; printf '\n---\n'; } > "$H/binary-fm.md"
head -c 4096 /dev/zero > "$H/nul-only.md"
{ printf -- '---\n'; head -c 1024 /dev/zero; printf '\n---\n'; } > "$H/nul-fm.md"
printf -- '---\ntitle: "Hostile Nulzipper\000title"\n---\n' > "$H/nul-in-title.md"
printf -- '---\nti\000tle: "Hostile NUL inside a key"\n---\n' > "$H/nul-in-key.md"
# a lone continuation byte, 0xff 0xfe, an overlong '/', a UTF-16 surrogate,
# a truncated sequence at the end of the value
printf -- '---\ntitle: "Hostile Gorptastic \200 \377\376 \300\257 \355\240\200 \342\202"\n---\n' \
    > "$H/invalid-utf8.md"
printf -- '---\n\303\050tle: "Hostile invalid UTF-8 in a key"\n\377: x\n---\n' \
    > "$H/invalid-utf8-key.md"
# UTF-16LE with a BOM: not UTF-8, its first line is not "---".
printf -- '\377\376-\000-\000-\000\n\000t\000i\000t\000l\000e\000:\000 \000x\000\n\000-\000-\000-\000\n\000' \
    > "$H/utf16.md"

# --- folders, links, special files -----------------------------------------

# A folder named like a news file: walked like any folder.
mkdir -p "$H/x.md" "$H/empty-folder.md"
printf -- '---\ntitle: "Dirnamequark lives in a folder named x.md"\nexcerpt: "inside x.md/"\n---\n' \
    > "$H/x.md/inside.md"
# Symbolic link loops and a dangling link.
ln -sfn loop-b.md "$H/loop-a.md"
ln -sfn loop-a.md "$H/loop-b.md"
ln -sfn self-loop.md "$H/self-loop.md"
ln -sfn does-not-exist.md "$H/dangling.md"
# Folder links back up the tree (one with a news file ending).
ln -sfn .. "$H/x.md/up"
ln -sfn .. "$H/x.md/parent.md"
ln -sfn . "$H/here"
# A FIFO and a character device with news file endings: never opened.
rm -f "$H/fifo.md"
mkfifo "$H/fifo.md"
ln -sfn /dev/zero "$H/dev-zero.md"
# An unreadable file (a good item otherwise).
printf -- '---\ntitle: "Hostile unreadable file"\nexcerpt: "mode 000"\n---\n' \
    > "$H/unreadable.md"
chmod 000 "$H/unreadable.md"
if cat "$H/unreadable.md" >/dev/null 2>&1; then
    echo unreadable-skip
else
    echo unreadable-ok
fi

# Broken files whose names hold control characters: the report must stay on
# one line and must not send raw escape sequences to a terminal.
printf -- '---\ntitle: "Hostile newline name"\n' > "$H/broken
name.md"
printf -- '---\ntitle: "Hostile escape name"\n' > "$H/esc-$(printf '\033')[2J-name.md"

# --- odd but valid, generated -----------------------------------------------

printf -- '---\ntitle: "Newlinequor file name with a newline"\nexcerpt: "odd"\n---\n' \
    > "$O/new
line.md"
printf -- '---\ntitle: "Bytenamezot file name that is not UTF-8"\nexcerpt: "odd"\n---\n' \
    > "$O/bad-$(printf '\377')-name.md"
long=$(repeat 'longname-' 27)
printf -- '---\ntitle: "Lengthomir file name of 250 bytes"\nexcerpt: "odd"\n---\n' \
    > "$O/${long}abcd.md"
# 10 MiB, under the cap: a valid item with a huge excerpt.
{
    printf -- '---\ntitle: "Humongoloid item with a ten megabyte excerpt"\nexcerpt: "'
    repeat 'plenty of words in a very long excerpt ' 268435
    printf '"\n---\n'
} > "$O/big-excerpt.md"

# --- around a 64 KiB cap (run with --max-size 64K) ----------------------------

# cap-item NAME TITLE SIZE: a valid item padded to exactly SIZE bytes.
cap_item() {
    local head
    head=$(printf -- '---\ntitle: "%s"\nexcerpt: "padded to %s bytes"\n---\n' "$2" "$3")
    { printf '%s\n' "$head"; repeat 'x' $(($3 - ${#head} - 2)); printf '\n'; } > "$C/$1"
}
cap_item at-cap.md "Capsizzle exactly at the cap" 65536
cap_item over-cap.md "Hostile one byte over the cap" 65537
cap_item under-cap.md "Capwobble one byte under the cap" 65535
