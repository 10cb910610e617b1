#!/bin/bash
# T630: hostile index files (issue 13).  An index file travels, so every
# byte newsquery reads back from one is untrusted (STYLE.md §2.1a).
#
# Builds an index of 8000 generated items (tests/cli/gen_items.py: common
# words whose doclists span several FTS5 leaves, with doclist indexes, two
# segments, bounds), then, for each damage shape of issue 13, copies it,
# damages the copy on purpose through SQL (tests/tools/damage_index.py,
# which checks that the damage happened and says what it was), and runs a
# set of ordinary queries on it under `timeout 20`.  Every run must exit 0
# (the damage was not on its path) or 1 (a runtime error, with a
# `newsquery: error: REASON` line); never a crash, a signal, a hang or a
# sanitizer report, and `-f json` output is valid JSON or nothing.  Where
# the damage lies on a query's path whatever the engine does (the
# structure record, the first leaf of a query word, the docinfo block of
# its first matches, a leaf of a doclist the query must walk whole), the
# run must exit 1 saying the index is damaged and advising
# `newsindex --rebuild`; a malformed stored `weights` must be named.
# With NEWSIDX_FTS5_READER=off (a CI stage), queries go through FTS5's
# SQL, which checks far less than the reader: the structure record is
# still checked first, and every run must still exit 0 or 1 as above,
# but damage elsewhere need not be noticed.
# An allocation sized from the file is caught too: in a sanitizer build
# (the stage this test is for) one over 1 GiB is a report; any other build
# runs the queries under `ulimit -v 1G`, so that such an allocation fails
# instead of thrashing the machine.
. "$(dirname "$0")/lib.sh"
: "${NEWSQUERY:?run through ctest}"

for tool in python3 sqlite3 timeout; do
    command -v "$tool" >/dev/null || { echo "SKIP: no $tool"; exit 77; }
done
DAMAGE=$NX_SOURCE_DIR/tests/tools/damage_index.py
TIMEOUT=20
BIG_ID=1099511627776 # 2^40

# A sanitizer build: an allocation over 1 GiB is a report (the index is a
# few MB).  Otherwise the address space is bounded, so that such an
# allocation fails quickly.
is_san=false
if grep -aqE '__(a|ub)san_' "$NEWSQUERY" 2>/dev/null ||
   { command -v ldd >/dev/null &&
     ldd "$NEWSQUERY" 2>/dev/null | grep -qE 'lib(a|ub)san'; }; then
    is_san=true
    export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}max_allocation_size_mb=1024:allocator_may_return_null=0"
fi

# --- the index --------------------------------------------------------
python3 "$NX_SOURCE_DIR/tests/cli/gen_items.py" items 8000 || exit 1
"$NEWSINDEX" -q --db base.db items || { echo "newsindex failed"; exit 1; }
sql base.db 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null

# Its layout is what the damage needs: `robot` has a doclist over several
# leaves with a doclist index, bounds and bound_avg exist.
layout=$(python3 "$DAMAGE" base.db - info robot) || exit 1
echo "$layout"
check "robot: a doclist index" grep -q '^robot: .*dlidx 1$' <<<"$layout"
check "robot: a doclist over 5 leaves or more" \
    test "$(grep -c '^  leaf ' <<<"$layout")" -ge 5
check_eq "robot: has bounds" 1 \
    "$(sql base.db "SELECT count(*) > 0 FROM bounds WHERE term = 'robot'")"
check_eq "meta('bound_avg') set" 1 \
    "$(sql base.db "SELECT count(*) FROM meta WHERE key = 'bound_avg'")"

# Items that every `robot market` query finds: the dates are put on the
# first two, the third gets the id 2^40 (not item 1: `--like 1`).
mapfile -t ids < <(sql base.db "SELECT rowid FROM fts WHERE fts MATCH
    'robot AND market AND vision' ORDER BY rowid LIMIT 3")
check_eq "three items with robot, market and vision" 3 "${#ids[@]}"
[ "${#ids[@]}" -eq 3 ] || finish

# --- the queries ------------------------------------------------------
# NAME ARGUMENTS (shell words).  text_q: every query but --like, which
# picks its own words; robot_q: those with the word robot.
queries='
two-words robot market
one-word robot
prefix rob*
prefix-many c*
phrase "\"robot vision\""
facets --facets topic,provider,year robot
sort-date --sort date robot market
fresh --fresh=30d robot market
like --like 1
all --all robot
json -f json robot market
json-date -f json --sort date --fresh=30d --facets topic,provider,year robot
'
all_q=$(awk 'NF { printf "%s ", $1 }' <<<"$queries")
text_q=${all_q/like /}
robot_q=${text_q/prefix-many /}

# --- the damage shapes ------------------------------------------------
# NAME | damage_index.py SHAPE ARGS | what is required | of which queries
# (the others: any).  Where a damage is on a query's path only for some
# engines' choices, the queries it always lies on are named: a ranked word
# reads its bounds, its terms count, its doclist from the first leaf.
# any: exit 0 or 1.  damaged: exit 1, "damaged" or "corrupt" and
# "newsindex --rebuild".  weights: exit 1 naming the stored value.
# ok: exit 0 (the undamaged index).
cases="
baseline          | -                                 | ok      | $all_q
leaf-rowid-offset | leaf-rowid-offset robot           | damaged | one-word two-words
struct-level      | struct-level                      | damaged | $all_q
struct-pglast     | struct-pglast robot               | any     |
footer-delta      | footer-delta robot                | damaged | one-word two-words
weights           | weights title=12,prior=x          | weights | $all_q
item-id           | item-id ${ids[2]} $BIG_ID         | damaged | one-word two-words
item-id-fts       | item-id-fts ${ids[2]} $BIG_ID     | damaged | one-word two-words
poslist-col       | poslist-col robot                 | damaged | phrase
date              | date ${ids[0]} ${ids[1]}          | any     |
df                | df robot market vision chip city cloud court | damaged | one-word two-words
leaf-truncate     | leaf-truncate robot               | damaged | $robot_q
leaf-missing      | leaf-missing robot                | damaged | facets json-date
idx-missing       | idx-missing robot                 | any     |
bounds-size       | bounds-size robot                 | damaged | one-word two-words
docinfo-missing   | docinfo-missing 0                 | damaged | $text_q
docinfo-size      | docinfo-size 0                    | damaged | $text_q
bound-avg-text    | bound-avg seven\\ thirty          | damaged | one-word two-words
bound-avg-nan     | bound-avg nan\\ -1\\ 0            | damaged | one-word two-words
"

# run_case NAME DB REQUIRE STRICT-QUERIES: every query on DB, at once
# (each ~0.1 s), into out/NAME.QUERY.{out,err,rc}; one manifest line each.
mkdir out
run_case() {
    local name=$1 db=$2 req=$3 strict=" $4 " q args mode
    while read -r q args; do
        [ -n "$q" ] || continue
        mode=any
        case $strict in *" $q "*) mode=$req ;; esac
        printf '%s\t%s\t%s\t%s\n' "$name" "$q" "$mode" "$args" >>out/manifest
        (
            $is_san || ulimit -v $((1024 * 1024))
            set -f # no globbing of rob*
            eval "set -- $args"
            timeout -k 2 "$TIMEOUT" "$NEWSQUERY" --db "$db" "$@" </dev/null \
                >"out/$name.$q.out" 2>"out/$name.$q.err"
            echo $? >"out/$name.$q.rc"
        ) &
    done <<<"$queries"
    wait
}

# trim STRING: without its leading and trailing blanks.
trim() {
    local s=$1
    s=${s#"${s%%[![:space:]]*}"}
    printf '%s' "${s%"${s##*[![:space:]]}"}"
}

start=$SECONDS
while IFS='|' read -r name shape req strict; do
    name=$(trim "$name")
    [ -n "$name" ] || continue
    shape=$(trim "$shape")
    req=$(trim "$req")
    if [ "$shape" = - ]; then
        db=base.db
        echo "== $name: the undamaged index"
    else
        db=$name.db
        n_checks=$((n_checks + 1))
        eval "set -- $shape"
        if ! what=$(python3 "$DAMAGE" base.db "$db" "$@" 2>&1 </dev/null); then
            fail "$name: the damage could not be applied: $what"
            continue
        fi
        echo "== $name: $what"
    fi
    run_case "$name" "$db" "$req" "$strict"
done <<<"$cases"
echo "queries ran in $((SECONDS - start)) s"

# --- one Python pass judges every run ---------------------------------
python3 - out >out/judge <<'EOF'
import json, os, re, sys
d = sys.argv[1]
READER_OFF = os.environ.get("NEWSIDX_FTS5_READER") == "off"
SAN = re.compile(rb"AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer"
                 rb"|runtime error:")
FRAME = re.compile(rb"#\d+ 0x[0-9a-f]+ in (\S+) (\S+)")

def summary(err):
    """The first line of stderr, or the sanitizer's report and top frame."""
    m = re.search(rb"^(\S+?):(\d+):\d+: runtime error: (.*)$", err, re.M)
    if m:
        return "UBSan %s:%s: %s" % (m.group(1).rsplit(b"/", 1)[-1].decode(),
                                    m.group(2).decode(),
                                    m.group(3).decode("utf-8", "replace")[:90])
    m = re.search(rb"ERROR: (\w+Sanitizer): (.*)$", err, re.M)
    if m:
        kind = m.group(2).decode("utf-8", "replace")
        kind = re.sub(r" on (unknown )?address.*| \(.*", "", kind)[:60]
        top = "?"
        for f in FRAME.finditer(err, m.end()):
            if b"libsanitizer" not in f.group(2) and \
               not f.group(1).startswith(b"__interceptor"):
                top = "%s %s" % (f.group(1).decode(),
                                 f.group(2).rsplit(b"/", 1)[-1].decode())
                break
        return "%s: %s in %s" % (m.group(1).decode(), kind, top)
    line = err.split(b"\n", 1)[0]
    return line.decode("utf-8", "replace")[:160] if line else "(no stderr)"

checks = fails = 0
rows = []
for entry in open(d + "/manifest", encoding="utf-8"):
    case, q, mode, args = entry.rstrip("\n").split("\t")
    base = "%s/%s.%s" % (d, case, q)
    why = []
    try:
        rc = int(open(base + ".rc").read())
    except (OSError, ValueError):
        rc = -1
    out = open(base + ".out", "rb").read()
    err = open(base + ".err", "rb").read()
    if rc in (124, 137):
        why.append("timed out")
    elif rc >= 128:
        why.append("killed by signal %d" % (rc - 128))
    elif rc not in (0, 1):
        why.append("exit %d (want 0 or 1)" % rc)
    if SAN.search(err):
        why.append("sanitizer report")
    elif rc == 1:
        m = re.search(rb"^newsquery: error: (.*)$", err, re.M)
        if not m or not m.group(1).strip():
            why.append("exit 1 without a 'newsquery: error: REASON' line")
    if "-f json" in args:
        try:
            if rc == 0 or out.strip():
                json.loads(out.decode("utf-8", "strict"))
        except ValueError as e:
            why.append("-f json: stdout is not valid JSON: %s" % e)
    if mode == "ok" and rc != 0:
        why.append("undamaged index: exit %d (want 0)" % rc)
    elif mode == "damaged" and not why and (not READER_OFF or case == "struct-level"):
        if rc != 1:
            why.append("exit %d: the damage is on this query's path (want 1)" % rc)
        elif not re.search(rb"damaged|corrupt", err, re.I):
            why.append("exit 1 without saying the index is damaged or corrupt")
        elif b"newsindex --rebuild" not in err:
            why.append("exit 1 without advising 'newsindex --rebuild'")
    elif mode == "weights" and not why:
        try:
            text = err.decode("utf-8", "strict")
        except UnicodeDecodeError:
            text = None
            why.append("the message is not valid UTF-8")
        if rc != 1:
            why.append("exit %d with malformed stored weights (want 1)" % rc)
        elif text is not None and not ("weights" in text and "prior=x" in text):
            why.append("the message does not name the stored weights"
                       " 'title=12,prior=x'")
    checks += 1
    got = "exit %d: %s" % (rc, summary(err))
    rows.append((case, q, mode, got))
    if why:
        fails += 1
        print("FAIL: %s, query %s [%s] (%s): %s; %s" % (
            case, q, mode, args, "; ".join(why), got))
print("RESULTS")
for case, q, mode, got in rows:
    print("  %-17s %-11s %-7s %s" % (case, q, mode, got))
print("checks %d %d" % (checks, fails))
EOF
sed -n '/^RESULTS$/,/^checks /p' out/judge | grep -v '^checks '
grep '^FAIL' out/judge >&2
read -r _ c f < <(grep '^checks ' out/judge)
n_checks=$((n_checks + ${c:-1}))
n_failed=$((n_failed + ${f:-1}))
finish
