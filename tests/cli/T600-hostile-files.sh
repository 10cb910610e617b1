#!/bin/bash
# T600: hostile and odd files (tests/data/, see tests/data/README.md).
#
# One run over tests/data/hostile, tests/data/odd, the files make-hostile.sh
# generates and a copy of samples/news: every hostile file is reported with
# its path and the reason (error, notice or warning as tests/data/README.md
# decides), with no crash, no hang (timeout) and bounded memory (peak RSS);
# the run ends with exit status 5; every good file is indexed, and every odd
# item is findable through newsquery by a made-up word of its title.  Then
# a re-run, and a run with a small --max-size around its cap.
. "$(dirname "$0")/lib.sh"
: "${NEWSQUERY:?run through ctest}"

DATA=$NX_SOURCE_DIR/tests/data
for tool in python3 sqlite3 timeout; do
    command -v "$tool" >/dev/null || { echo "SKIP: no $tool"; exit 77; }
done

# Limits.  A sanitizer build needs more memory and time.
rss_limit_kb=$((200 * 1024))
time_limit=60
if grep -aq '__asan_init' "$NEWSINDEX" 2>/dev/null ||
   { command -v ldd >/dev/null && ldd "$NEWSINDEX" 2>/dev/null | grep -q asan; }; then
    rss_limit_kb=$((1024 * 1024))
    time_limit=300
fi
have_time=false
[ -x /usr/bin/time ] && have_time=true

# timed_index TAG ARGS...: run_index under timeout and /usr/bin/time; checks
# that it neither crashed nor hung and stayed under the memory bound.
timed_index() {
    local tag=$1 rss
    shift
    rm -f "$TMP/.rss"
    if $have_time; then
        /usr/bin/time -f %M -o "$TMP/.rss" \
            timeout "$time_limit" "$NEWSINDEX" "$@" >"$TMP/.out" 2>"$TMP/.err"
    else
        timeout "$time_limit" "$NEWSINDEX" "$@" >"$TMP/.out" 2>"$TMP/.err"
    fi
    rc=$?
    out=$(cat "$TMP/.out")
    err=$(cat "$TMP/.err")
    check "$tag: no hang (timeout ${time_limit}s)" test "$rc" -ne 124
    check "$tag: no crash (rc $rc)" test "$rc" -lt 128
    check "$tag: no sanitizer report" \
        bash -c "! grep -aqE 'ERROR: (Address|Leak|Memory|Undefined)Sanitizer|runtime error:' '$TMP/.err'"
    if $have_time && [ -s "$TMP/.rss" ]; then
        rss=$(tail -n 1 "$TMP/.rss")
        echo "$tag: peak RSS ${rss} KB"
        check "$tag: peak RSS $rss KB < $rss_limit_kb KB" test "$rss" -lt "$rss_limit_kb"
    fi
}

# expect PATH KIND REGEX: stderr ($TMP/.err) has a report for PATH, as
# "PATH[:line:col]: KIND: ..." with KIND error, notice or warning, whose
# text matches REGEX (Python syntax).  KIND "none": no error for PATH.
# Expectations are queued; check_reports checks them all in one Python run.
expect() {
    printf '%s\0%s\0%s\0' "$1" "$2" "$3" >>"$TMP/.expect"
}
check_reports() {
    local line
    while IFS= read -r line; do
        n_checks=$((n_checks + 1))
        case $line in FAIL:*) fail "${line#FAIL: }" ;; esac
    done < <(python3 - "$TMP/.err" "$TMP/.expect" <<'EOF'
import re, sys
lines = open(sys.argv[1], 'rb').read().decode('utf-8', 'surrogateescape').split('\n')
f = open(sys.argv[2], 'rb').read().decode('utf-8', 'surrogateescape').split('\0')
for i in range(0, len(f) - 2, 3):
    path, kind, rx = f[i:i + 3]
    head = re.compile(re.escape(path) + r'(:\d+:\d+)?: (error|notice|warning): (.*)')
    found = [(m.group(2), m.group(3)) for m in map(head.fullmatch, lines) if m]
    if kind == 'none':
        ok = not [x for x in found if x[0] == 'error']
    else:
        ok = any(k == kind and re.search(rx, t) for k, t in found)
    print('ok' if ok else 'FAIL: %s report for %s matching /%s/; found: %s'
          % (kind, ascii(path), rx, found or 'none'))
EOF
)
    rm -f "$TMP/.expect"
}

# The corpus: the committed files, the generated ones, the samples.
mkdir corpus
cp -R "$DATA/hostile" corpus/hostile
cp -R "$DATA/odd" corpus/odd
copy_samples corpus/news
unreadable=$(bash "$DATA/make-hostile.sh" corpus) || { echo "make-hostile.sh failed"; exit 1; }
abs=$(realpath corpus)
n_news=$(count_news corpus/news)
n_news_files=$(find corpus/news -type f \( -iname '*.md' -o -iname '*.markdown' \
    -o -iname '*.txt' \) -not -path '*/.*' | wc -l)

# ----------------------------------------------------------------------------
# The full run.
# ----------------------------------------------------------------------------
timed_index "full run" --db t.db --json corpus/hostile corpus/odd corpus/news
check_eq "full run: exit 5 (some files failed)" 5 "$rc"
check "full run: JSON summary" json_get failed >/dev/null

H=corpus/hostile
# Errors: path[:line:col]: error: reason.
n_err=0
err_case() { expect "$@"; n_err=$((n_err + 1)); }
err_case "$H/unclosed.md:1:1" error 'never closed'
err_case "$H/only-open-dash.md:1:1" error 'never closed'
err_case "$H/big-unclosed.md:1:1" error 'never closed'
err_case "$H/tab-indent.md:4:1" error '(?i)\btabs?\b'
err_case "$H/unterminated-double.md" error '.'
err_case "$H/unterminated-single.md" error 'quoted scalar|quote|end of stream'
err_case "$H/bad-indent.md" error '.'
err_case "$H/two-colons.md" error 'mapping values'
err_case "$H/alias-bomb.md" error 'alias|nodes'
err_case "$H/alias-merge-bomb.md" error 'alias|nodes'
err_case "$H/undefined-alias.md" error 'undefined alias'
err_case "$H/deep-flow-seq.md" error 'nesting deeper'
err_case "$H/deep-flow-map.md" error 'nesting deeper'
err_case "$H/deep-block-seq.md" error 'nesting deeper'
err_case "$H/deep-block-map.md" error 'nesting deeper'
err_case "$H/deep-flow-unclosed.md" error 'nesting deeper'
err_case "$H/scalar.md" error 'scalar, not a mapping'
err_case "$H/list.md" error 'list, not a mapping'
err_case "$H/binary-fm.md" error '.'
err_case "$H/nul-fm.md" error '.'
err_case "$H/big-300m.md" error 'file is 314572800 bytes, over the 16777216-byte limit'
err_case "$H/loop-a.md" error 'symbolic link.*(levels of symbolic links|loop)'
err_case "$H/loop-b.md" error 'symbolic link.*(levels of symbolic links|loop)'
err_case "$H/self-loop.md" error 'symbolic link.*(levels of symbolic links|loop)'
err_case "$H/dangling.md" error 'symbolic link.*No such file'
# Two broken files with control characters in their names (counted in the
# run's failures; their report format is checked below).
n_err=$((n_err + 2))
if [ "$unreadable" = unreadable-ok ]; then
    err_case "$H/unreadable.md" error 'Permission denied|cannot (open|read)'
else
    echo "note: running as root, $H/unreadable.md is readable: that check is skipped"
fi
check_eq "full run: failed count" "$n_err" "$(json_get failed)"

# Not news items: path: notice: not a news item: reason.
n_notice=0
notice_case() { expect "$1" notice "$2"; n_notice=$((n_notice + 1)); }
notice_case "$H/empty.md" 'no front matter'
notice_case "$H/plain-text.md" 'no front matter'
notice_case "$H/binary.md" 'no front matter'
notice_case "$H/nul-only.md" 'no front matter'
notice_case "$H/utf16.md" 'no front matter'
notice_case "$H/only-dashes.md" 'front matter is empty'
notice_case "$H/only-dashes-many.md" 'front matter is empty'
notice_case "$H/no-title-or-excerpt.md" 'no title or excerpt'
notice_case "$H/nul-in-key.md" 'no title or excerpt'
notice_case "$H/invalid-utf8-key.md" 'no title or excerpt'
check_eq "full run: skipped count" $((n_notice + n_news_files - n_news)) \
    "$(json_get skipped)"

# Repaired and indexed, with a warning at the place.
expect "$H/invalid-utf8.md:2:28" warning 'invalid UTF-8'
expect "$H/nul-in-title.md:2:26" warning 'invalid UTF-8 or control characters'

# Folders, links and special files are not errors and are not followed.
for f in x.md empty-folder.md x.md/up x.md/parent.md here fifo.md dev-zero.md; do
    expect "$H/$f" none ''
done
check_eq "folder links are not followed" 0 \
    "$(sql t.db "SELECT count(*) FROM files WHERE path LIKE '%/up/%' OR path LIKE '%/here/%' OR path LIKE '%/parent.md/%'")"
check_eq "FIFO and device never recorded" 0 \
    "$(sql t.db "SELECT count(*) FROM files WHERE path LIKE '%/fifo.md' OR path LIKE '%/dev-zero.md'")"
check_reports

# Nothing among the good files failed.
check "no error under odd/ or news/" \
    bash -c "! grep -aE '^corpus/(odd|news)/.*: error: ' '$TMP/.err'"

# Reports of files whose names hold control characters stay on one line and
# carry no raw control character (a newline splits the report; ESC would
# reach the terminal).
check "a newline in a failing file's name does not split its report" \
    grep -aqE '^corpus/hostile/broken.{1,6}name\.md:1:1: error: front matter is never closed$' .err
check "no raw ESC on stderr (escape sequences from file names)" \
    bash -c "! grep -aq $'\033' '$TMP/.err'"
check "every stderr line is a report or the summary" \
    bash -c "! grep -avE '^(corpus/.*: (error|notice|warning): |newsindex: )' '$TMP/.err'"

# Every good file is indexed: the samples, the odd items, the repaired
# hostile ones and the item inside the folder named x.md (and the unreadable
# file when running as root).
n_odd=$(find corpus/odd -type f -not -name '.*' -printf x | wc -c)
n_hostile_items=3
[ "$unreadable" = unreadable-ok ] || n_hostile_items=4
check_eq "full run: every good file indexed" $((n_news + n_odd + n_hostile_items)) \
    "$(json_get items)"
check_eq "full run: items in the index" $((n_news + n_odd + n_hostile_items)) \
    "$(sql t.db 'SELECT count(*) FROM items')"
check_eq "full run: fts integrity" ok \
    "$(sql t.db "INSERT INTO fts(fts, rank) VALUES('integrity-check', 1); SELECT 'ok'" 2>&1)"
check_eq "full run: database integrity" ok "$(sql t.db 'PRAGMA integrity_check')"

# ----------------------------------------------------------------------------
# Odd items: each findable by a word of its title, exactly one hit.
# ----------------------------------------------------------------------------
# find_one QUERY PATH: `newsquery -f json --all QUERY` exits 0 and prints
# valid JSON with total 1 and PATH (relative to corpus/) as the hit.  The
# queries run at once; check_found checks their output in one Python run.
mkdir -p "$TMP/q"
n_q=0
find_one() {
    n_q=$((n_q + 1))
    timeout 30 "$NEWSQUERY" --db t.db -f json --all -- "$1" \
        >"$TMP/q/$n_q.json" 2>"$TMP/q/$n_q.err"
    printf '%s\0%s\0%s\0%s\0' "$n_q" "$?" "$1" "$abs/$2" >>"$TMP/q/list"
}
check_found() {
    local line
    while IFS= read -r line; do
        n_checks=$((n_checks + 1))
        case $line in FAIL:*) fail "${line#FAIL: }" ;; esac
    done < <(python3 - "$TMP/q" <<'EOF'
import json, sys
d = sys.argv[1]
f = open(d + '/list', 'rb').read().decode('utf-8', 'surrogateescape').split('\0')
for i in range(0, len(f) - 3, 4):
    n, rc, q, want = f[i:i + 4]
    # the JSON path is valid UTF-8: bytes that are not become U+FFFD
    want = want.encode('utf-8', 'surrogateescape').decode('utf-8', 'replace')
    what = 'query %s finds %s' % (ascii(q), ascii(want))
    if rc != '0':
        err = open('%s/%s.err' % (d, n), errors='replace').read()[:200]
        print('FAIL: %s: exit %s: %s' % (what, rc, ascii(err)))
        continue
    try:
        doc = json.load(open('%s/%s.json' % (d, n), encoding='utf-8'))
    except ValueError as e:
        print('FAIL: %s: invalid JSON: %s' % (what, e))
        continue
    paths = [h.get('path') for h in doc['hits']]
    if doc['total'] == 1 and paths == [want]:
        print('ok')
    else:
        print('FAIL: %s: total %d, paths %s' % (what, doc['total'], ascii(paths)))
EOF
)
}
O=odd
find_one brindlewump "$O/crlf.md"
find_one zorbulent "$O/bom.md"
find_one flimsternook "$O/no-final-newline.md"
find_one quibbleth "$O/dots-end.md"
find_one grommelfax "$O/block-literal.md"
find_one snorkelvane "$O/block-folded.md"
find_one plinthorax "$O/single-quotes.md"
find_one wobblecrest "$O/anchors.md"
find_one trundlepox "$O/yaml11-yes.md"
find_one mumblecorn "$O/yaml11-no.md"
find_one sprazzlewick "$O/yaml11-on-off.md"
find_one quorvanish "$O/duplicate-keys.md"
find_one glimmerhock "$O/numbers-odd.md"
find_one pobblewine "$O/numbers-strings.md"
find_one sprocketmire "$O/date-rfc2822.md"
find_one tintinnabulox "$O/date-only.md"
find_one crumpetorium "$O/date-space-offset.md"
find_one fendlewisp "$O/date-garbage.md"
find_one nullabrix "$O/nulls.md"
find_one pangolux "$O/emoji.md"
find_one '"鲲鹏翱翔"' "$O/cjk.md"
find_one '鲲鹏翱翔' "$O/cjk.md"
find_one '"鲲 鹏 翱 翔"' "$O/cjk.md"
find_one hanzibork "$O/cjk.md"
find_one 'الخوارزميات' "$O/arabic.md"
find_one qasrimbel "$O/arabic.md"
find_one 'אלגוריתמים' "$O/hebrew.md"
find_one shemtovix "$O/hebrew.md"
find_one marblequin "$O/nbsp.md"
find_one trostwick "$O/nbsp.md"
find_one klimperdorf "$O/zero-width.md"
find_one zerowidth "$O/zero-width.md"
find_one snurfelwick "$O/zero-width.md"
find_one drubbleknock "$O/mojibake.md"
find_one cremefroth "$O/entities.md"
find_one 'Crèmefroth' "$O/entities.md"
find_one wuzzlethorp "$O/entities.md"
find_one snafflewort "$O/ligatures.md"
find_one 'Snaﬄewort' "$O/ligatures.md"
find_one finkbeiner "$O/ligatures.md"
find_one glorbix "$O/fullwidth.md"
find_one 'ＧＬＯＲＢＩＸ' "$O/fullwidth.md"
find_one pembrookle "$O/name with spaces.md"
find_one tiddlewix "$O/ñandú café.md"
find_one dashworthy "$O/-x.md"
find_one bellowmunk "$O/SHOUTING.TXT"
find_one ploofendorf "$O/excerpt-only.md"
find_one newlinequor "$O/new
line.md"
find_one bytenamezot "$O/bad-$(printf '\377')-name.md"
find_one lengthomir "$O/$(printf 'longname-%.0s' $(seq 27))abcd.md"
find_one humongoloid "$O/big-excerpt.md"
find_one dirnamequark "hostile/x.md/inside.md"
find_one gorptastic "hostile/invalid-utf8.md"
find_one nulzipper "hostile/nul-in-title.md"
[ "$unreadable" = unreadable-ok ] ||
    find_one 'hostile unreadable' "hostile/unreadable.md"
check_found

# Duplicate keys: the last one wins; the first title is not searchable.
check_eq "duplicate keys: first title not indexed" 0 \
    "$("$NEWSQUERY" --db t.db --all --count vexilbrant)"

# Stored values of some odd items.
item() { # item FILE COLUMN: the column of the item of corpus/odd/FILE
    sql t.db "SELECT $2 FROM items i JOIN files f ON f.id = i.id WHERE f.path = '$abs/odd/$1'"
}
check_eq "CRLF: no CR kept" "Brindlewump carriage returns everywhere" "$(item crlf.md title)"
check_eq "BOM: not in the title" "Zorbulent byte order mark" "$(item bom.md title)"
check_eq "literal block" "$(printf 'Grommelfax literal block\non two lines')" "$(item block-literal.md title)"
check_eq "folded block" "Snorkelvane folded block scalar" "$(item block-folded.md title)"
check_eq "single quotes" "Plinthorax it's in single quotes" "$(item single-quotes.md title)"
check_eq "anchors: aliased title" "Wobblecrest reached through an alias" "$(item anchors.md title)"
check_eq "anchors: aliased provider" "Anchor Times" \
    "$(sql t.db "SELECT p.name FROM items i JOIN files f ON f.id = i.id JOIN providers p ON p.id = i.provider_id WHERE f.path = '$abs/odd/anchors.md'")"
check_eq "anchors: aliased related title" "Wobblecrest reached through an alias" \
    "$(sql t.db "SELECT r.title FROM related r JOIN files f ON f.id = r.item_id WHERE f.path = '$abs/odd/anchors.md'")"
check_eq "yes: published" 1 "$(item yaml11-yes.md published)"
check_eq "no: unpublished" 0 "$(item yaml11-no.md published)"
check_eq "On: published" 1 "$(item yaml11-on-off.md published)"
check_eq "no: left out without --all" 0 "$("$NEWSQUERY" --db t.db --count mumblecorn)"
check_eq "duplicate keys: the last wins" "Quorvanish is the second title" "$(item duplicate-keys.md title)"
check_eq "quality: high is kept raw" "high" "$(item numbers-odd.md "json_extract(extra, '$.quality')")"
check_eq "quality: high gives no value" "" "$(item numbers-odd.md quality)"
check_eq "heat out of range gives no value" "" "$(item numbers-odd.md heat)"
check_eq "quality as a string" 75 "$(item numbers-strings.md quality)"
check_eq "RFC 2822 date" 1622534400 "$(item date-rfc2822.md published_at)"
check_eq "date without time" 1622505600 "$(item date-only.md published_at)"
check_eq "date with a space and offset" 1622534400 "$(item date-space-offset.md published_at)"
check_eq "date in words: no value" "" "$(item date-garbage.md published_at)"
check_eq "date in words: kept raw" "the first of June, probably" \
    "$(item date-garbage.md "json_extract(extra, '$.publishedDateTime')")"
check_eq "nulls: no excerpt, no date" "||" "$(item nulls.md "excerpt, published_at, quality")"
check_eq "mojibake repaired" "It’s the Drubbleknock mojibake" "$(item mojibake.md title)"
check_eq "entities decoded" "Crèmefroth & Wuzzlethorp’s entities" "$(item entities.md title)"
check "big excerpt stored whole (10 MB)" \
    test "$(item big-excerpt.md 'length(CAST(excerpt AS BLOB))')" -gt 10000000

# ----------------------------------------------------------------------------
# A re-run: the same reports, nothing read again, no hang on the FIFO.
# ----------------------------------------------------------------------------
timed_index "re-run" --db t.db --json corpus/hostile corpus/odd corpus/news
check_eq "re-run: exit 5" 5 "$rc"
check_eq "re-run: same failures" "$n_err" "$(json_get failed)"
check_eq "re-run: nothing added" 0 "$(json_get added)"
expect "$H/alias-bomb.md" error 'alias|nodes'
expect "$H/big-300m.md" error 'over the 16777216-byte limit'
check_reports

# The huge file given by name.
timed_index "huge file alone" --db t2.db "$H/big-300m.md"
check_eq "huge file alone: exit 5" 5 "$rc"
expect "$H/big-300m.md" error 'over the 16777216-byte limit'
check_reports

# ----------------------------------------------------------------------------
# A small cap: one byte over fails with the limit, at and under pass.
# ----------------------------------------------------------------------------
timed_index "--max-size 64K" --db cap.db --json --max-size 64K corpus/cap
check_eq "--max-size: exit 5" 5 "$rc"
check_eq "--max-size: one failed" 1 "$(json_get failed)"
check_eq "--max-size: two added" 2 "$(json_get added)"
expect corpus/cap/over-cap.md error 'file is 65537 bytes, over the 65536-byte limit'
check_reports
check_eq "--max-size: at the cap is indexed" 1 \
    "$("$NEWSQUERY" --db cap.db --count --all capsizzle)"
check_eq "--max-size: under the cap is indexed" 1 \
    "$("$NEWSQUERY" --db cap.db --count --all capwobble)"

# Leave nothing unremovable behind.
chmod -R u+rwX corpus 2>/dev/null
finish
