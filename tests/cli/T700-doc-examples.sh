#!/bin/bash
# T700: every newsquery and newsindex example of README.md and of the man
# pages (docs/man/newsquery.1, docs/man/newsindex.1) does what its text
# says, run against an index of samples/news.
#
# The examples are read from the files themselves: the lines of README's
# ```sh blocks and of the man pages' .nf blocks that start with the
# program, and the inline code (`newsquery ...`, \fBnewsquery ...\fR).  Each
# must have an expectation below, keyed by its exact text; an example
# without one fails the test, and so does an expectation whose example is
# gone.  They run in document order in a home folder of their own: ~ holds
# archive/ (a copy of samples/news) and news.db, the working folder is ~,
# `build/indexer/newsindex` is the program under test and PATH... is
# ~/archive.
. "$(dirname "$0")/lib.sh"

export HOME="$TMP/home"
mkdir -p "$HOME"
copy_samples "$HOME/archive"
cd "$HOME" || exit 1
N=$(count_news "$HOME/archive")
check "the samples hold news items" test "$N" -gt 0

newsquery() {
    "$NEWSQUERY" "$@"
}
newsindex() {
    "$NEWSINDEX" "$@"
}

# --- the examples, from the documents ----------------------------------
python3 - "$NX_SOURCE_DIR" >"$TMP/examples" <<'PY'
import re, sys

src = sys.argv[1]
PROGRAMS = ("newsquery", "newsindex")


def is_example(cmd):
    first = cmd.split(" ", 1)[0]
    return " " in cmd and first.rsplit("/", 1)[-1] in PROGRAMS


def roff(text):
    """Man page text as a reader types it: escapes resolved."""
    for a, b in (("\\-", "-"), ("\\(aq", "'"), ("\\(dq", '"'), ("\\e", "\\"),
                 ("\\&", ""), ("\\(em", "-")):
        text = text.replace(a, b)
    return text


def spans(text, pattern):
    for m in re.finditer(pattern, text):
        if is_example(m.group(1)):
            yield m.group(1)


def readme(path):
    """The ```sh lines, and the inline code of each paragraph (a span may
    go over a line end)."""
    fence, para = None, []
    for line in open(path, encoding="utf-8"):
        line = line.rstrip("\n")
        if fence is None and (line.startswith("```") or not line.strip()):
            yield from spans(" ".join(para), r"`([^`]+)`")
            para = []
        if line.startswith("```"):
            fence = None if fence is not None else line[3:].strip()
        elif fence is not None:
            if fence == "sh" and is_example(line.strip()):
                yield line.strip()
        else:
            para.append(line.strip())
    yield from spans(" ".join(para), r"`([^`]+)`")


def man(path):
    """The lines of .nf blocks, and the bold text of each run of text
    lines (a font change lasts over line ends)."""
    in_nf, para = False, []
    for line in open(path, encoding="utf-8"):
        line = line.rstrip("\n")
        if line.startswith((".", "'")):
            for cmd in spans(roff(" ".join(para)), r"\\fB(.*?)\\f[RPI]"):
                yield cmd
            para = []
            in_nf = {".nf": True, ".fi": False}.get(line.split(" ")[0], in_nf)
        elif in_nf:
            if is_example(roff(line).strip()):
                yield roff(line).strip()
            else:
                para.append(line)
        else:
            para.append(line)
    yield from spans(roff(" ".join(para)), r"\\fB(.*?)\\f[RPI]")


for name, reader in (("README.md", readme), ("docs/man/newsquery.1", man),
                     ("docs/man/newsindex.1", man)):
    for cmd in reader(src + "/" + name):
        print(name + "\t" + cmd)
PY
check "examples found" test "$(wc -l <"$TMP/examples")" -ge 20

# --- helpers of the expectations --------------------------------------

# hits FORMAT [--min N] [--each EXPR] [--all EXPR]: the hits of the last
# output (FORMAT text, json or jsonl) looked up in news.db; at least N
# (default 1); EXPR (Python) true of each row r / of the list rows, with
# has(r, REGEX) searching r's title, excerpt and body, case and accents
# folded.  A row: id title excerpt body date quality heat published
# domain provider topics text.
hits() {
    python3 - "$HOME/news.db" "$TMP/.out" "$@" <<'PY'
import argparse, json, os, re, sqlite3, sys, unicodedata

db, out, fmt = sys.argv[1], sys.argv[2], sys.argv[3]
ap = argparse.ArgumentParser()
ap.add_argument("--min", type=int, default=1)
ap.add_argument("--each", action="append", default=[])
ap.add_argument("--all", action="append", default=[])
opt = ap.parse_args(sys.argv[4:])
text = open(out, encoding="utf-8").read()
if fmt == "text":
    ids = [int(i) for i in re.findall(r"\u00b7 #(\d+)$", text, re.M)]
elif fmt == "json":
    ids = [h["id"] for h in json.loads(text)["hits"]]
else:
    ids = [json.loads(l)["id"] for l in text.splitlines()]


def fold(s):
    s = unicodedata.normalize("NFKD", s or "")
    return "".join(c for c in s if not unicodedata.combining(c)).casefold()


con = sqlite3.connect(db)
rows = []
for i in ids:
    r = con.execute(
        "SELECT i.id, i.title, i.excerpt, i.body, i.published_at, i.quality,"
        " i.heat, i.published, p.domain, p.name FROM items i"
        " LEFT JOIN providers p ON p.id = i.provider_id WHERE i.id = ?",
        (i,)).fetchone()
    keys = ("id title excerpt body date quality heat published domain"
            " provider").split()
    r = dict(zip(keys, r))
    r["topics"] = [t for (t,) in con.execute(
        "SELECT t.name FROM item_topics it JOIN topics t ON t.id ="
        " it.topic_id WHERE it.item_id = ? ORDER BY it.ord", (i,))]
    r["text"] = fold(" ".join(r[k] or "" for k in ("title", "excerpt", "body")))
    rows.append(r)


def has(r, rx):
    return re.search(rx, r["text"]) is not None


env = {"has": has, "rows": rows, "re": re, "fold": fold, "os": os}
bad = []
if len(rows) < opt.min:
    bad.append("%d hits, fewer than %d" % (len(rows), opt.min))
for e in opt.each:
    bad += ["#%d (%s): not %s" % (r["id"], r["title"], e) for r in rows
            if not eval(e, dict(env, r=r))]
for e in opt.all:
    if not eval(e, env):
        bad.append("not " + e)
for b in bad:
    print(b, file=sys.stderr)
sys.exit(1 if bad else 0)
PY
}

# total: the count of the first line of the last text output ("N matches").
total() {
    head -n 1 "$TMP/.out" | grep -Eo '^[0-9]+'
}

# sql_n QUERY: a number from news.db.
sql_n() {
    sql "$HOME/news.db" "$1"
}

# need_index: news.db holds every sample item.
need_index() {
    [ "$(sql_n 'SELECT count(*) FROM items' 2>/dev/null)" = "$N" ] ||
        "$NEWSINDEX" -q --db "$HOME/news.db" "$HOME/archive"
}

# run_also ARGS...: newsquery ARGS on news.db into .also (beside .out).
run_also() {
    "$NEWSQUERY" --db "$HOME/news.db" "$@" >"$TMP/.also" 2>/dev/null
}

# summary: the counts of newsindex's summary line in the last stderr.
summary() {
    grep -Eo '[0-9]+ added, [0-9]+ updated, [0-9]+ renamed, [0-9]+ unchanged, [0-9]+ removed' "$TMP/.err"
}

EPOCH_2023=1672531200
NOW_2021_06_30=1625097599

# --- the expectations: KEY EXAMPLE, and check_KEY (setup_KEY first) ------
cat >"$TMP/expectations" <<'EOF'
index_first build/indexer/newsindex --db news.db ~/archive        # first run: everything
index_later build/indexer/newsindex --db news.db ~/archive        # later: only changes
index_json build/indexer/newsindex --db news.db --json -q ~/archive | jq .
help_index newsindex --help
index_after newsindex ~/archive --db news.db
and_words newsquery --db news.db zurich startup            # words are ANDed
forms newsquery robots                                 # also robot: other forms of a word
exact_form newsquery =robots                                # that form only (also "robots", --exact)
syntax newsquery '"language model" OR gpu* -cloud'      # phrase OR prefix, not cloud
fields newsquery 'title:vision provider:sportstechjournal.com topic:"Computer Vision"'
filters newsquery 'date:2021-01..2021-06-30 quality:>=60 heat:>0 ai'
since_sort newsquery --since 2024-02 --sort date -n 20 ai
json_facets newsquery -f json --facets topic,provider,year --related 5 quill | jq .
jsonl_urls newsquery -f jsonl ai | jq -r .url
like newsquery --like 42                              # items like item #42
explain newsquery --explain ai                           # each hit's score factors
anywhere newsquery pytorch --all
exclude newsquery 'insurer -london'
exclude newsquery -- insurer -london
help_query newsquery --help
rebuild newsindex --rebuild PATH...
and_words newsquery zurich startup
since_2023 newsquery '"language model" OR llm -crypto' --since 2023
provider_sort newsquery 'provider:techwiredaily.com quality:>=60' --sort date
facets_only newsquery --facets topic,year -n 0 'topic:"Computer Vision"'
facet_count newsquery --facets provider --facet-limit 0 --count ai
paths_grep newsquery -0 -n 1000 'title:robot*' | xargs -0 grep -l Optimus
paths_grep newsquery -0 -n 100 'title:robot*' | xargs -0 grep -l Optimus   # paths only
fresh_gpu newsquery --fresh=14d --explain 'title:gpu*'
fresh_now newsquery --fresh --now 2021-06-30 ai
form_weight newsquery --explain --weights form=0.25 robots
jsonl_urls_100 newsquery -f jsonl -n 100 ai | jq -r .url
like_no_related newsquery --like 42 --related 0
no_match newsquery --count --exit-status zuckerberg >/dev/null || echo "no match"
last_week newsquery --since 7d
index_after newsindex ~/archive --db ~/news.db
dash_path newsindex -- -drafts
index_two newsindex --db ~/news.db ~/archive/_news ~/archive/_archive
stem_german newsindex --db ~/news.db --stem-language german
index_failed newsindex --json -q ~/archive | jq .failed
index_failures newsindex --json -q ~/archive | jq -r '.failures[] | .path'
index_exclude newsindex --db ~/news.db --exclude README.md --exclude _data ~/archive
set_weights newsindex --db ~/news.db --set-weights title=12,prior=0.2
EOF

setup_index_first() {
    rm -f news.db news.db-wal news.db-shm news.db.lock
}
check_index_first() {
    check_eq "$1: exit 0" 0 "$rc"
    check_eq "$1: everything added" "$N added, 0 updated, 0 renamed, 0 unchanged, 0 removed" "$(summary)"
    check_eq "$1: $N items" "$N" "$(sql_n 'SELECT count(*) FROM items')"
}
setup_index_later() {
    printf '\nOne more line of body.\n' >>"$(find archive/_news -name '*zurich-startup*' | head -n 1)"
}
check_index_later() {
    check_eq "$1: exit 0" 0 "$rc"
    check_eq "$1: only the changed file" "0 added, 1 updated, 0 renamed, $((N - 1)) unchanged, 0 removed" "$(summary)"
}
check_index_json() {
    check_eq "$1: exit 0" 0 "$rc"
    check_eq "$1: quiet" "" "$(cat "$TMP/.err")"
    check "$1: the summary as JSON" jq_true "$TMP/.out" --argjson n "$N" \
        '.items == $n and .unchanged == $n and .added == 0 and .failed == 0 and (.db | type) == "string"'
}
check_help_index() {
    check_eq "$1: exit 0" 0 "$rc"
    check "$1: the usage" grep -q '^Usage: newsindex' "$TMP/.out"
}
check_help_query() {
    check_eq "$1: exit 0" 0 "$rc"
    check "$1: the usage" grep -q '^Usage: newsquery' "$TMP/.out"
}
check_index_after() {
    check_eq "$1: exit 0" 0 "$rc"
    check_eq "$1: --db after the PATH is read" "$N" "$(sql_n 'SELECT count(*) FROM items')"
    check "$1: no file named after an option" test ! -e ./--db
}
check_rebuild() {
    check_eq "$1: exit 0" 0 "$rc"
    check_eq "$1: everything indexed anew" "$N added, 0 updated, 0 renamed, 0 unchanged, 0 removed" "$(summary)"
}
check_and_words() {
    check_eq "$1: exit 0" 0 "$rc"
    check "$1: every hit has both words" hits text --each "has(r, r'\\bzurich') and has(r, r'\\bstartup')"
}
check_syntax() {
    check_eq "$1: exit 0" 0 "$rc"
    check "$1: every hit has the phrase or a gpu* word, none cloud" hits text \
        --each "(has(r, r'\\blanguage model\\b') or has(r, r'\\bgpu')) and not has(r, r'\\bcloud')"
    run_also --count '"language model" OR gpu*'
    check "$1: -cloud left items out" test "$(total)" -lt "$(cat "$TMP/.also")"
}
check_fields() {
    check_eq "$1: exit 0" 0 "$rc"
    check "$1: every hit fits the three fields" hits text \
        --each "'vision' in fold(r['title']) and r['domain'] == 'sportstechjournal.com' and 'Computer Vision' in r['topics']"
}
check_filters() {
    check_eq "$1: exit 0" 0 "$rc"
    check "$1: every hit in the range, quality >= 60, heat > 0, about ai" hits text \
        --each "1609459200 <= r['date'] <= 1625097599 and r['quality'] >= 60 and r['heat'] > 0 and has(r, r'\\bai\\b|\\ba\\.i\\.')"
}
check_since_sort() {
    check_eq "$1: exit 0" 0 "$rc"
    check "$1: since February 2024, newest first, at most 20" hits text \
        --each "r['date'] >= 1706745600 and has(r, r'\\bai\\b|\\ba\\.i\\.')" \
        --all "len(rows) <= 20 and [r['date'] for r in rows] == sorted([r['date'] for r in rows], reverse=True)"
}
check_json_facets() {
    check_eq "$1: exit 0" 0 "$rc"
    check "$1: facets of the three kinds, at most 5 related" jq_true "$TMP/.out" \
        '(.facets | keys) == ["provider", "topic", "year"] and all(.hits[]; (.related | length) <= 5) and any(.hits[]; (.related | length) > 0)'
    check "$1: every hit about quill" hits json --each "has(r, r'\\bquill')"
}
check_jsonl_urls() {
    check_eq "$1: exit 0" 0 "$rc"
    run_also -f json -n "${2:-10}" ai
    check_eq "$1: one line per hit" "$(jq '.hits | length' "$TMP/.also")" "$(wc -l <"$TMP/.out")"
    check "$1: each an address" test -z "$(grep -Ev '^https?://' "$TMP/.out")"
}
check_jsonl_urls_100() {
    check_jsonl_urls "$1" 100
    check "$1: more than 10 lines" test "$(wc -l <"$TMP/.out")" -gt 10
}
check_like() {
    check_eq "$1: exit 0" 0 "$rc"
    check "$1: item 42 exists" test "$(sql_n 'SELECT count(*) FROM items WHERE id = 42')" -eq 1
    ITEM=$(sql_n "SELECT coalesce(title, '') || ' ' || coalesce(excerpt, '') FROM items WHERE id = 42")
    export ITEM
    check "$1: items that share words with #42, not #42" hits text --each "r['id'] != 42" \
        --each "any(w[:5] in r['text'] for w in re.findall(r'\\w{4,}', fold(os.environ['ITEM'])))"
}
check_like_no_related() {
    check_like "$1"
    check "$1: no related entries" test -z "$(grep '↳' "$TMP/.out")"
}
check_explain() {
    check_eq "$1: exit 0" 0 "$rc"
    check_eq "$1: an explain line per hit" "$(grep -c '· #[0-9]*$' "$TMP/.out")" "$(grep -c '^     explain: ' "$TMP/.out")"
    check "$1: the score is the product of the factors" awk '
        /^     explain: / { n++; p = $3 * $6 * $9; s = $NF
                            if (p - s > 1e-3 * s + 1e-4 || s - p > 1e-3 * s + 1e-4) bad++ }
        END { exit !(n > 0 && bad == 0) }' "$TMP/.out"
}
check_anywhere() {
    check_eq "$1: exit 0" 0 "$rc"
    check "$1: hits" hits text
    run_also --all pytorch
    check_eq "$1: the same as --all first" "$(grep -Eo '#[0-9]+$' "$TMP/.also")" "$(grep -Eo '#[0-9]+$' "$TMP/.out")"
    run_also --count pytorch
    check "$1: --all was read" test "$(total)" -gt "$(cat "$TMP/.also")"
}
check_exclude() {
    check_eq "$1: exit 0" 0 "$rc"
    check "$1: insurers, not London" hits text --each "has(r, r'\\binsur') and not has(r, r'\\blondon')"
    run_also --count insurer
    check "$1: -london left items out" test "$(total)" -lt "$(cat "$TMP/.also")"
}
check_forms() {
    check_eq "$1: exit 0" 0 "$rc"
    check "$1: every hit has robots or robot, some robot only" hits text \
        --each "has(r, r'\\brobots?\\b')" \
        --all "any(not has(r, r'\\brobots\\b') for r in rows)"
    run_also --count --exact robots
    check "$1: more than robots as written" test "$(total)" -gt "$(cat "$TMP/.also")"
}
check_exact_form() {
    check_eq "$1: exit 0" 0 "$rc"
    check "$1: every hit has robots as written" hits text --each "has(r, r'\\brobots\\b')"
    run_also --count robots
    check "$1: fewer than robots with its other forms" test "$(total)" -lt "$(cat "$TMP/.also")"
    run_also --count '"robots"'
    check_eq "$1: the same as \"robots\"" "$(total)" "$(cat "$TMP/.also")"
    run_also --count --exact robots
    check_eq "$1: the same as --exact robots" "$(total)" "$(cat "$TMP/.also")"
}
# bm25_ratios FORMER LATTER: each hit's bm25 in the --explain text output
# FORMER over its bm25 in LATTER: 0.5 for the items with robot and not
# robots, 1 for those with robots and not robot; at least one of each.
bm25_ratios() {
    python3 - "$1" "$2" "$HOME/news.db" <<'PY'
import re, sqlite3, sys


def bm25(path):
    d, id = {}, None
    for line in open(path, encoding="utf-8"):
        m = re.search(r"\u00b7 #(\d+)$", line)
        if m:
            id = int(m.group(1))
        m = re.match(r"     explain: bm25 ([0-9.]+) ", line)
        if m:
            d[id] = float(m.group(1))
    return d


a, b = bm25(sys.argv[1]), bm25(sys.argv[2])
con = sqlite3.connect(sys.argv[3])
ids = lambda m: {i for (i,) in con.execute(
    "SELECT rowid FROM fts WHERE fts MATCH ?", (m,))}
kinds = ((ids("robot NOT robots"), 0.5), (ids("robots NOT robot"), 1.0))
bad = [i for i in a for only, want in kinds
       if i in only and abs(a[i] / b[i] - want) > 1e-3]
seen = [any(i in only for i in a) for only, _ in kinds]
sys.exit(0 if a and not bad and all(seen) else 1)
PY
}
check_form_weight() {
    check_explain "$1"
    check_eq "$1: the forms line" "forms: robots = robot (each 0.25 of the word typed)" \
        "$(grep '^forms: ' "$TMP/.out")"
    check "$1: hits with robots or robot" hits text --each "has(r, r'\\brobots?\\b')"
    run_also --explain robots
    check "$1: robot alone counts half of what it does at 0.5, robots the same" \
        bm25_ratios "$TMP/.out" "$TMP/.also"
}
check_stem_german() {
    local exact
    check_eq "$1: exit 0" 0 "$rc"
    check_eq "$1: quiet" "" "$(cat "$TMP/.out" "$TMP/.err")"
    check_eq "$1: the index's language" german \
        "$(sql_n "SELECT value FROM meta WHERE key = 'stem_language'")"
    run_also --count ampelphase
    check "$1: Ampelphase finds Ampelphasen" test "$(cat "$TMP/.also")" -gt 0
    run_also --count --exact ampelphase
    check_eq "$1: (Ampelphase as written is in no item)" 0 "$(cat "$TMP/.also")"
    run_also --count --exact uses
    exact=$(cat "$TMP/.also")
    run_also --count uses
    check_eq "$1: uses no longer finds use, used, using" "$exact" "$(cat "$TMP/.also")"
    # English again, for the examples after this one.
    "$NEWSINDEX" --db "$HOME/news.db" --stem-language english
    run_also --count ampelphase
    check_eq "$1: (English again: Ampelphase finds nothing)" 0 "$(cat "$TMP/.also")"
    run_also --count uses
    check "$1: (English again: uses finds its forms)" test "$(cat "$TMP/.also")" -gt "$exact"
}
check_since_2023() {
    check_eq "$1: exit 0" 0 "$rc"
    check "$1: since 2023, the phrase or llm, no crypto" hits text \
        --each "r['date'] >= $EPOCH_2023 and (has(r, r'\\blanguage model\\b') or has(r, r'\\bllm')) and not has(r, r'\\bcrypto')"
}
check_provider_sort() {
    check_eq "$1: exit 0" 0 "$rc"
    check "$1: the provider, quality >= 60, newest first" hits text \
        --each "r['domain'] == 'techwiredaily.com' and r['quality'] >= 60" \
        --all "[r['date'] for r in rows] == sorted([r['date'] for r in rows], reverse=True)"
}
check_facets_only() {
    local n
    n=$(sql_n "SELECT count(*) FROM items i JOIN item_topics it ON it.item_id = i.id JOIN topics t ON t.id = it.topic_id WHERE t.name = 'Computer Vision' AND i.published IS NOT 0")
    check_eq "$1: exit 0" 0 "$rc"
    check "$1: the count line" grep -Eq "^$n matches(, | in [0-9]+ stor|\$)" "$TMP/.out"
    check "$1: no hits" hits text --min 0 --all "rows == []"
    check "$1: the topic facet counts them all" grep -q "^topic: .*Computer Vision ($n)" "$TMP/.out"
    check "$1: the year facet" grep -Eq '^year: [0-9]{4} \([0-9]+\)' "$TMP/.out"
}
check_facet_count() {
    local n
    n=$(sql_n "SELECT count(*) FROM fts JOIN items i ON i.id = fts.rowid WHERE fts MATCH 'ai' AND i.published IS NOT 0")
    check_eq "$1: exit 0" 0 "$rc"
    check_eq "$1: the count line" "$n" "$(head -n 1 "$TMP/.out")"
    check_eq "$1: one provider line" 1 "$(grep -c '^provider: ' "$TMP/.out")"
    check_eq "$1: every provider: their counts add up to the items" "$n" \
        "$(grep '^provider: ' "$TMP/.out" | grep -o '([0-9]*)' | tr -d '()' | awk '{s += $1} END {print s}')"
    check "$1: nothing left out" test -z "$(grep ' more (' "$TMP/.out")"
}
check_paths_grep() {
    local f
    check_eq "$1: exit 0" 0 "$rc"
    check "$1: some file" test -s "$TMP/.out"
    while IFS= read -r f; do
        check "$1: $f has Optimus and a robot* title" \
            sh -c "grep -q Optimus '$f' && grep -Eiq '^title:.*robot' '$f'"
    done <"$TMP/.out"
}
# fresh_ok HALF-LIFE-DAYS REF: every explain line's freshness follows the
# formula from REF (Unix seconds) for its hit's date in news.db.
fresh_ok() {
    hits text --each "True" --all "all(abs(f - (0.1 + 0.9 * 0.5 ** (abs($2 - r['date']) / ($1 * 86400)))) < 1e-4 for f, r in zip([float(x) for x in re.findall(r'fresh ([0-9.]+)', open('$TMP/.out').read())], rows))"
}
check_fresh_gpu() {
    local newest
    newest=$(sql_n "SELECT strftime('%Y-%m-%dT%H:%M:%SZ', max(published_at), 'unixepoch') FROM items")
    check_eq "$1: exit 0" 0 "$rc"
    check "$1: titles with gpu*" hits text --each "re.search(r'\\bgpu', fold(r['title']))"
    check_eq "$1: counted from the newest item ($newest)" "$(grep -c '^     explain: ' "$TMP/.out")" \
        "$(grep -c "(now $newest) = " "$TMP/.out")"
    check "$1: a 14-day half-life from it" fresh_ok 14 "$(sql_n 'SELECT max(published_at) FROM items')"
    check "$1: no score at 0" test -z "$(grep -E 'score 0\.000 ' "$TMP/.out")"
}
check_fresh_now() {
    check_eq "$1: exit 0" 0 "$rc"
    check "$1: the best hit is near 2021-06-30" hits text \
        --all "abs(rows[0]['date'] - $NOW_2021_06_30) < 45 * 86400"
}
check_no_match() {
    check_eq "$1: exit 0" 0 "$rc"
    if [ "$(sql_n "SELECT count(*) FROM fts JOIN items i ON i.id = fts.rowid WHERE fts MATCH 'zuckerberg' AND i.published IS NOT 0")" = 0 ]; then
        check_eq "$1: no match, said so" "no match" "$(cat "$TMP/.out")"
    else
        check_eq "$1: a match, nothing said" "" "$(cat "$TMP/.out")"
    fi
}
check_last_week() {
    check_eq "$1: exit 0" 0 "$rc"
    check "$1: the count line" grep -Eq '^[0-9]+ match' "$TMP/.out"
    check "$1: every hit of the last 7 days" hits text --min 0 \
        --each "r['date'] >= $(($(date +%s) - 7 * 86400))"
}
setup_dash_path() {
    mkdir -p ./-drafts
    printf -- '---\ntitle: "A folder whose name starts with a dash"\n---\n' >./-drafts/dash.md
}
check_dash_path() {
    check_eq "$1: exit 0" 0 "$rc"
    check_eq "$1: the item under -drafts is indexed" 1 \
        "$(sql_n "SELECT count(*) FROM files WHERE path LIKE '%/-drafts/dash.md'")"
}
check_index_two() {
    local want
    want=$(($(count_news archive/_news) + $(count_news archive/_archive)))
    check_eq "$1: exit 0" 0 "$rc"
    check_eq "$1: every item of the two folders" "$want" \
        "$(sql_n "SELECT count(*) FROM files f JOIN items i ON i.id = f.id WHERE f.path LIKE '$HOME/archive/_news/%' OR f.path LIKE '$HOME/archive/_archive/%'")"
}
check_index_failed() {
    local n
    n=$(grep -c ': error: ' "$TMP/.err")
    check_eq "$1: the failed count" "$n" "$(cat "$TMP/.out")"
    check_eq "$1: exit 0, or 5 when some failed" "$([ "$n" -eq 0 ] && echo 0 || echo 5)" "$rc"
}

check_index_failures() {
    check_eq "$1: exit 0" 0 "$rc"
    check_eq "$1: a path per error" "$(grep -c ': error: ' "$TMP/.err")" \
        "$(grep -c . "$TMP/.out")"
}
check_index_exclude() {
    check_eq "$1: exit 0" 0 "$rc"
    check_eq "$1: no README.md, nothing under _data" 0 \
        "$(sql_n "SELECT count(*) FROM files WHERE path LIKE '%/README.md' OR path LIKE '%/\\_data/%' ESCAPE '\\'")"
    check_eq "$1: every item of the archive still there" "$N" \
        "$(sql_n "SELECT count(*) FROM files f JOIN items i ON i.id = f.id WHERE f.path LIKE '$HOME/archive/%'")"
    check "$1: no notice for them" bash -c "! grep -E 'README.md|/_data/' '$TMP/.err'"
}
check_set_weights() {
    check_eq "$1: exit 0" 0 "$rc"
    check_eq "$1: quiet" "" "$(cat "$TMP/.out" "$TMP/.err")"
    check_eq "$1: stored" "title=12,prior=0.2" \
        "$(sql_n "SELECT value FROM meta WHERE key = 'weights'")"
    # Removed again, for the examples after this one.
    "$NEWSINDEX" --db "$HOME/news.db" --set-weights ''
}

# --- run every example ----------------------------------------------------
declare -A key_of used
while read -r key example; do
    key_of[$example]=$key
done <"$TMP/expectations"

while IFS=$'\t' read -r doc example; do
    key=${key_of[$example]:-}
    if [ -z "$key" ]; then
        fail "$doc: no expectation in T700 for the example: $example"
        continue
    fi
    used[$key]=1
    cmd=${example/#build\/indexer\/newsindex/newsindex}
    cmd=${cmd//PATH.../\~/archive}
    case $key in
    index_* | rebuild | help_* | dash_path) ;;
    *) need_index ;;
    esac
    if declare -F "setup_$key" >/dev/null; then
        "setup_$key"
    fi
    (
        set -o pipefail
        eval "$cmd"
    ) >"$TMP/.out" 2>"$TMP/.err"
    rc=$?
    "check_$key" "$doc: $example"
done <"$TMP/examples"

while read -r key example; do
    [ -n "${used[$key]:-}" ] ||
        fail "an expectation whose example is gone from the documents: $example"
done <"$TMP/expectations"

finish
