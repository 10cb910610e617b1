#!/bin/bash
# T610: hostile queries and option abuse.  Every query of
# tests/data/queries.txt (plus generated 100 KB queries) runs through
# newsquery in text, JSON and JSONL under `timeout 10`: each either succeeds
# (exit 0; JSON output valid, every JSONL line valid) or is a query syntax
# error (exit 3, stdout empty, the message and a caret line on stderr).
# Never a crash, a hang, a sanitizer report or invalid JSON.  Abused option
# values are usage errors (exit 2) or accepted, never a crash (an unknown
# --like id is the documented exit 1).
. "$(dirname "$0")/lib.sh"

if [ ! -x "$NEWSQUERY" ]; then
    echo "newsquery not found at '$NEWSQUERY'" >&2
    exit 1
fi
QUERIES=$NX_SOURCE_DIR/tests/data/queries.txt
TIMEOUT=${NX_QUERY_TIMEOUT:-10}

copy_samples news
"$NEWSINDEX" -q --db t.db news || exit 1

# --- the queries: decode queries.txt, add the generated ones ------------
# out/N.query holds query N, byte for byte.
mkdir out
n=$(python3 - "$QUERIES" out <<'EOF'
import re, sys
text = open(sys.argv[1], "rb").read().split(b"\n")
body = text[text.index(b"%%") + 1:]
def decode(line):
    return re.sub(rb"\\(x([0-9A-Fa-f]{2})|\\)",
                  lambda m: bytes([int(m.group(2), 16)]) if m.group(2)
                  else b"\\", line)
qs = [decode(l) for l in body if l]
assert all(b"\0" not in q for q in qs)
K = 100 * 1024
gen = [
    (b"ai " * (K // 3 + 1))[:K],                 # 100 KB of one word
    (b"robotvisionmodel" * (K // 16 + 1))[:K],   # one 100 KB word
    (b"ai OR " * (K // 6 + 1))[:K],              # 17k alternatives
    (b"-x" + b" -ai" * (K // 4))[:K],            # 25k exclusions
    (b'"' + b"(" * K)[:K],                       # an unbalanced mess
    (b"title:ai " * (K // 9 + 1))[:K],           # 11k fielded terms
    (b"quality:>=1 " * (K // 12 + 1))[:K],       # 8k filters
    (b"date:2021..2022 " * (K // 16 + 1))[:K],   # 6k date ranges
    ("Zürich 人工智能 🤖 ".encode() * (K // 30 + 1))[:K],  # cut mid-character
    (b"\xff\x01" * (K // 2)),                    # invalid bytes and controls
    (b"ai* " * (K // 4)),                        # 25k prefix terms
]
for i, q in enumerate(qs + gen, 1):
    with open("%s/%d.query" % (sys.argv[2], i), "wb") as f:
        f.write(q)
print(len(qs + gen))
print("%d listed + %d generated queries" % (len(qs), len(gen)),
      file=sys.stderr)
EOF
) || exit 1

for i in $(seq 1 "$n"); do
    q=$(cat "out/$i.query" && printf x) # keeps trailing newlines
    q=${q%x}
    for f in text json jsonl; do
        timeout -k 2 "$TIMEOUT" "$NEWSQUERY" --db t.db -f "$f" --related 5 \
            -n 20 -- "$q" >"out/$i.$f" 2>"out/$i.$f.err"
        echo $? >"out/$i.$f.rc"
    done
done
echo "ran $n queries x 3 formats"

# One Python pass judges every run: rc, stdout, stderr.
python3 - "$n" >check.out <<'EOF'
import json, re, sys
n = int(sys.argv[1])
checks = fails = 0
def fail(i, f, why):
    global fails
    q = open("out/%d.query" % i, "rb").read()
    shown = repr(q[:60]) + ("...(%d bytes)" % len(q) if len(q) > 60 else "")
    print("FAIL: query %d %s -f %s: %s" % (i, shown, f, why))
    fails += 1
caret = re.compile(rb"^ *\^$", re.M)
for i in range(1, n + 1):
    q = open("out/%d.query" % i, "rb").read()
    rcs = {}
    for f in ("text", "json", "jsonl"):
        checks += 1
        rc = int(open("out/%d.%s.rc" % (i, f)).read())
        rcs[f] = rc
        out = open("out/%d.%s" % (i, f), "rb").read()
        err = open("out/%d.%s.err" % (i, f), "rb").read()
        if rc == 124 or rc == 137:
            fail(i, f, "timed out"); continue
        if rc >= 128:
            fail(i, f, "killed by signal %d" % (rc - 128)); continue
        if b"Sanitizer" in err or b"runtime error:" in err:
            fail(i, f, "sanitizer report: %r" % err[:300]); continue
        if rc == 3:
            if out:
                fail(i, f, "exit 3 with output on stdout")
            if not err.startswith(b"newsquery: error: "):
                fail(i, f, "exit 3 without an error message: %r" % err[:200])
            if not caret.search(err):
                fail(i, f, "exit 3 without a caret line: %r" % err[:200])
            continue
        if rc != 0:
            fail(i, f, "exit %d (want 0 or 3): %r" % (rc, err[:200])); continue
        try:
            if f == "json":
                doc = json.loads(out.decode("utf-8", "strict"))
                assert isinstance(doc, dict), "not an object"
                assert doc.get("version") == 2, "version"
                assert isinstance(doc.get("total"), int), "total"
                assert isinstance(doc.get("hits"), list), "hits"
                assert len(doc["hits"]) <= 20, "more hits than --limit"
                try:
                    qt = q.decode("utf-8", "strict")
                    assert doc.get("query") == qt, "query is not the query"
                except UnicodeDecodeError:
                    assert isinstance(doc.get("query"), str), "query"
                for h in doc["hits"]:
                    assert isinstance(h.get("id"), int), "hit id"
                    assert len(h.get("related", [])) <= 5, "related > 5"
            elif f == "jsonl":
                lines = out.decode("utf-8", "strict").split("\n")
                assert lines[-1] == "", "no final newline"
                for line in lines[:-1]:
                    h = json.loads(line)
                    assert isinstance(h, dict) and isinstance(h.get("id"), int), \
                        "line is not a hit"
                assert len(lines) - 1 <= 20, "more hits than --limit"
        except (ValueError, AssertionError) as e:
            fail(i, f, "invalid %s output: %s" % (f, e))
    checks += 1
    if len(set(rcs.values())) != 1:
        fail(i, "*", "formats disagree on the exit status: %r" % rcs)
print("checks %d %d" % (checks, fails))
EOF
grep '^FAIL' check.out >&2
read -r _ c f < <(grep '^checks ' check.out)
n_checks=$((n_checks + ${c:-1}))
n_failed=$((n_failed + ${f:-1}))
echo "exit statuses of the JSON runs:" \
    "$(cat out/*.json.rc | sort -n | uniq -c | awk '{printf " %s: %s", $2, $1}')"

# --- option abuse: usage error (2) or accepted (0), never a crash -------
n_opts=0
while IFS= read -r args; do
    [ -n "$args" ] || continue
    n_opts=$((n_opts + 1))
    # shellcheck disable=SC2086
    eval "timeout -k 2 $TIMEOUT \"\$NEWSQUERY\" --db t.db -f json $args" \
        >opt.out 2>opt.err
    rc=$?
    n_checks=$((n_checks + 1))
    case $rc in
    0)
        check "option [$args]: accepted, valid JSON" valid_json opt.out
        ;;
    2)
        check_eq "option [$args]: usage error, stdout empty" "" "$(cat opt.out)"
        check "option [$args]: usage error, message" \
            grep -q '^newsquery: error: ' opt.err
        ;;
    1)
        # Documented: an unknown --like id is exit 1 (docs/exit-codes.md).
        case $args in
        --like*) check "option [$args]: unknown id named" \
            grep -q '^newsquery: error: no item with id' opt.err ;;
        *) fail "option [$args]: exit 1 (want 0 or 2): $(head -c 300 opt.err)" ;;
        esac
        ;;
    *)
        fail "option [$args]: exit $rc (want 0 or 2): $(head -c 300 opt.err)"
        ;;
    esac
    if grep -q 'Sanitizer\|runtime error:' opt.err; then
        fail "option [$args]: sanitizer report"
    fi
done <<'EOF'
--limit 99999999999999999999 ai
--limit 18446744073709551616 ai
--limit 18446744073709551615 ai
--limit 4294967296 ai
--limit 4294967295 ai
--limit 2147483648 ai
--limit -1 ai
--limit -0 ai
--limit -99999999999999999999 ai
--limit 0 ai
--limit 10000 ai
--limit '' ai
--limit ' 5' ai
--limit 5x ai
--limit 0x10 ai
--limit 1e3 ai
--offset 99999999999999999999 ai
--offset 18446744073709551616 ai
--offset 18446744073709551615 ai
--offset 9223372036854775808 ai
--offset 9223372036854775807 ai
--offset 4294967296 ai
--offset -1 ai
--offset -99999999999999999999 ai
--offset '' ai
--limit 10000 --offset 9223372036854775807 ai
--sort relevance ai
--sort '' ai
--sort RANK ai
--sort 'date;DROP TABLE items' ai
--related -1 ai
--related -99999999999999999999 ai
--related 99999999999999999999 ai
--related 4294967296 ai
--related 2147483648 ai
--related 2147483647 ai
--related 1000000 ai
--weights prior=5 ai
--weights prior=-1 ai
--weights title=1e308,excerpt=1e308 ai
--weights title=1e309 ai
--weights title=inf ai
--weights title=nan ai
--weights title=0,excerpt=0,body=0 ai
--weights 'title=1,,excerpt=2' ai
--weights , ai
--weights = ai
--weights title=99999999999999999999999999 ai
--fresh=abc ai
--fresh=0d ai
--fresh=99999999999999999999d ai
--fresh=9223372036854775807y ai
--fresh=1e9d ai
--fresh= ai
--fresh=-1d ai
--since 2021-13 ai
--since 0000 ai
--since 0000-00-00 ai
--since 9999-12-31 ai
--since 99999-01-01 ai
--since 99999999999999999999d ai
--since 9223372036854775807d ai
--since 9223372036854775807y ai
--since 0d ai
--until 1969 ai
--until -1d ai
--like 99999999999999999999
--like -1
--like 9223372036854775807
--like 18446744073709551615
--facets topic,topic,provider,year,year ai
--facets , ai
--facets topic, ai
--format-version 99999999999999999999 ai
--format-version -1 ai
--format-version 1 ai
--count --limit 99999999999999999999 ai
EOF
echo "$n_opts option sets"

# Semantics of accepted extremes: an offset past the end gives no hits.
for off in 4294967296 9223372036854775807 18446744073709551615; do
    "$NEWSQUERY" --db t.db -f json --offset "$off" ai >opt.out 2>opt.err
    rc=$?
    if [ "$rc" -eq 0 ]; then
        check "--offset $off: no hits, offset echoed" jq_true opt.out \
            ".hits == [] and (.offset | tostring) == \"$off\""
    else
        check_eq "--offset $off: accepted or a usage error" 2 "$rc"
    fi
done

# --- words FTS5 cuts, and an item of megabytes (issue 13) ----------------
# FTS5 keeps the first 32,768 bytes of a token when it indexes and when it
# queries: a longer word finds its item, as FTS5 itself counts it.  --like
# on an item with a 15 MB excerpt looks at a bounded part of it (it took
# seconds when it looked up every word).
mkdir big
python3 - <<'PY'
long = "quux" * 10000  # 40,000 bytes
with open("big/long-word.md", "w") as f:
    f.write('---\ntitle: "A %s word"\nexcerpt: "xylo long"\n'
            'published: true\n---\n' % long)
with open("big/long-word-2.md", "w") as f:
    f.write('---\ntitle: "Another %szzz word"\nexcerpt: "xylo"\n'
            'published: true\n---\n' % long)
words = " ".join("w%07d" % i for i in range(1900000))
with open("big/huge.md", "w") as f:
    f.write('---\ntitle: "A huge item"\nexcerpt: "%s"\n'
            'published: true\n---\n' % words)
with open("big/small.md", "w") as f:
    f.write('---\ntitle: "w0000001 w0000002"\nexcerpt: "w0000003"\n'
            'published: true\n---\n')
PY
"$NEWSINDEX" -q --max-size 64M --db big.db big || fail "indexing big/"
long=$(python3 -c 'print("quux" * 10000)')
fts5=$(sql big.db "SELECT count(*) FROM fts WHERE fts MATCH '\"$long\"'")
check_eq "a 40,000-byte word: FTS5 finds both items" 2 "$fts5"
"$NEWSQUERY" --db big.db --count "$long" >long.out 2>long.err
check_eq "a 40,000-byte word: newsquery finds what FTS5 does" \
    "0 $fts5" "$? $(cat long.out)"
"$NEWSQUERY" --db big.db --count "title:$long" >long.out 2>long.err
check_eq "title:<40,000-byte word>: the same" "0 $fts5" "$? $(cat long.out)"
huge=$(sql big.db "SELECT id FROM files WHERE path LIKE '%/huge.md'")
timeout -k 2 "$TIMEOUT" "$NEWSQUERY" --db big.db -f json --like "$huge" \
    >like.out 2>like.err
check_eq "--like on a 15 MB item: in time, exit 0" 0 "$?"
check "--like on a 15 MB item: its first words find the small item" \
    jq_true like.out '.total == 1'

finish
