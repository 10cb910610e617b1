# lib.sh - helpers for the end-to-end tests (sourced by T*.sh).
#
# Environment (set by ctest): NEWSINDEX (the program), NX_SOURCE_DIR (the
# repository), NX_BUILD_DIR.  Each test runs in its own temporary folder,
# removed at exit.
set -u
: "${NEWSINDEX:?run through ctest}"
: "${NX_SOURCE_DIR:?run through ctest}"
export LC_ALL=C.UTF-8 TZ=UTC
unset NEWSIDX_DB

TMP=$(mktemp -d "${TMPDIR:-/tmp}/newsidx-test.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
cd "$TMP" || exit 1
n_checks=0
n_failed=0

fail() {
    echo "FAIL: $*" >&2
    n_failed=$((n_failed + 1))
}

# check DESCRIPTION COMMAND...: the command must succeed.
check() {
    local what=$1
    shift
    n_checks=$((n_checks + 1))
    if ! "$@"; then
        fail "$what"
    fi
}

# check_eq DESCRIPTION EXPECTED ACTUAL
check_eq() {
    n_checks=$((n_checks + 1))
    if [ "$2" != "$3" ]; then
        fail "$1: expected '$2', got '$3'"
    fi
}

# run_index ARGS...: run newsindex; sets $rc, $out (stdout), $err (stderr).
run_index() {
    "$NEWSINDEX" "$@" >"$TMP/.out" 2>"$TMP/.err"
    rc=$?
    out=$(cat "$TMP/.out")
    err=$(cat "$TMP/.err")
}

# json_get FIELD: a number from the JSON summary in $out.
json_get() {
    printf '%s' "$out" | python3 -c \
        "import json,sys; print(json.load(sys.stdin)['$1'])"
}

# sql DB QUERY: run a query with the stock sqlite3 shell.  It waits up to
# 10 s for a lock, as newsidx does: in WAL mode a process closing the last
# connection takes the file exclusively for a moment to checkpoint, and a
# shell without a timeout then fails with "database is locked" (T620).
sql() {
    sqlite3 -batch -noheader -cmd '.timeout 10000' "$1" "$2"
}

# newsquery, next to newsindex in the build tree unless ctest says where.
: "${NEWSQUERY:=$(dirname "$NEWSINDEX")/../query/newsquery}"

# run_query ARGS...: newsquery on t.db; sets $rc, $out, $err (.out, .err).
run_query() {
    "$NEWSQUERY" --db t.db "$@" >"$TMP/.out" 2>"$TMP/.err"
    rc=$?
    out=$(cat "$TMP/.out")
    err=$(cat "$TMP/.err")
}

# jq_true FILE JQ-ARGS...: FILE is not empty and jq's answer is exactly
# `true`.  (jq 1.6's -e succeeds on an empty input: a check of a command
# that printed nothing would pass.)
jq_true() {
    local file=$1
    shift
    [ -s "$file" ] && [ "$(jq "$@" "$file" 2>/dev/null)" = true ]
}

# valid_json FILE: one JSON value, strict UTF-8.
valid_json() {
    python3 -c 'import json,sys
json.loads(open(sys.argv[1], "rb").read().decode("utf-8", "strict"))' "$1"
}

# valid_jsonl FILE: every line is one JSON object, strict UTF-8, and the
# file ends with a newline (or is empty).
valid_jsonl() {
    python3 -c 'import json,sys
data = open(sys.argv[1], "rb").read().decode("utf-8", "strict")
assert data == "" or data.endswith("\n")
for line in data.splitlines():
    assert isinstance(json.loads(line), dict)' "$1"
}

# id_of PATH-END: the id of the item whose file path ends so (in t.db).
id_of() {
    sql t.db "SELECT id FROM files WHERE path LIKE '%/$1'"
}

# A writable copy of the sample news items.
copy_samples() {
    cp -R "$NX_SOURCE_DIR/samples/news" "$1"
}

# golden NAME COMMAND...: run COMMAND (in $TMP) and compare what it did
# (its exit status, stdout and stderr, passed through `golden_sanitize`
# when the script defines one) with tests/cli/expected/NAME, as notmuch's
# tests do; a difference is shown as a diff.  NX_UPDATE_EXPECTED=1 writes
# the file instead (then read the diff in git before committing it).
golden() {
    local name=$1 want
    shift
    want=$NX_SOURCE_DIR/tests/cli/expected/$name
    "$@" >"$TMP/.gout" 2>"$TMP/.gerr"
    {
        echo "exit $?"
        echo "--- stdout"
        cat "$TMP/.gout"
        echo "--- stderr"
        cat "$TMP/.gerr"
    } | if declare -F golden_sanitize >/dev/null; then golden_sanitize; else
        cat; fi >"$TMP/.got"
    n_checks=$((n_checks + 1))
    if [ "${NX_UPDATE_EXPECTED:-}" = 1 ]; then
        mkdir -p "$(dirname "$want")" && cp "$TMP/.got" "$want"
        echo "wrote $want"
    elif [ ! -f "$want" ]; then
        fail "$name: no expected file (NX_UPDATE_EXPECTED=1 writes it)"
    elif ! diff -u --label "expected/$name" --label "got" "$want" \
        "$TMP/.got" >"$TMP/.gdiff"; then
        fail "$name: the output differs from expected/$name:"
        cat "$TMP/.gdiff" >&2
    fi
}

finish() {
    echo "$n_checks checks, $n_failed failed"
    [ "$n_failed" -eq 0 ]
    exit $?
}

# count_news DIR: how many files under DIR (default endings) are news
# items, i.e. have front matter with a non-empty top-level title or
# excerpt.  Independent of newsindex: a line-based reading of the YAML.
count_news() {
    find "$(realpath "$1")" -type f \( -iname '*.md' -o -iname '*.markdown' \
        -o -iname '*.txt' \) -not -path '*/.*' -print0 |
        xargs -0 awk '
        FNR == 1 { infm = 0; found = 0; pending = 0; sub(/^\xef\xbb\xbf/, "") }
        { sub(/\r$/, "") }
        FNR == 1 && /^---[ \t]*$/ { infm = 1; next }
        infm && /^(---|\.\.\.)[ \t]*$/ {
            if (found) n++
            infm = 0; found = -1; nextfile
        }
        infm && pending && /^[ \t]+[^ \t]/ { found = 1 }
        infm { pending = 0 }
        infm && /^(title|excerpt):/ {
            v = $0; sub(/^[a-z]+:[ \t]*/, "", v); sub(/[ \t]+#.*$/, "", v)
            if (v == "") pending = 1
            else if (v != "~" && v != "null" && v != "\"\"" && v != "'\'''\''") found = 1
        }
        END { print n + 0 }'
}

# The SONAME libnewsidx must have, from newsidx.h's version:
# libnewsidx.so.0.MINOR while the major version is 0 (a minor version may
# change the ABI then), libnewsidx.so.MAJOR from 1.0 on.
expected_soname() {
    local h=$NX_SOURCE_DIR/include/newsidx.h major minor
    major=$(sed -n 's/^#define NEWSIDX_VERSION_MAJOR *//p' "$h")
    minor=$(sed -n 's/^#define NEWSIDX_VERSION_MINOR *//p' "$h")
    if [ "$major" = 0 ]; then
        echo "libnewsidx.so.0.$minor"
    else
        echo "libnewsidx.so.$major"
    fi
}
