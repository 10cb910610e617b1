#!/bin/bash
# T250: on the real corpus (when present), a distinctive phrase from each
# news item's title finds that item first for at least 95% of the items.
# Prints the figure it measured.
. "$(dirname "$0")/lib.sh"


corpus="$NX_SOURCE_DIR/../shared/corpus"
if [ ! -d "$corpus" ]; then
    echo "SKIP: no corpus at $corpus"
    exit 77
fi
"$NEWSINDEX" --db t.db -q "$corpus"
check "corpus indexed" test -s t.db

sql t.db "SELECT id, title FROM items WHERE title IS NOT NULL AND title <> ''" \
    > titles.txt
result=$(NEWSQUERY="$NEWSQUERY" python3 - titles.txt <<'PY'
import json, re, subprocess, sys, os

nq = os.environ["NEWSQUERY"]
rows = [l.rstrip("\n").split("|", 1) for l in open(sys.argv[1], encoding="utf-8")]
ok = 0
misses = []
for sid, title in rows:
    words = re.findall(r"[^\W_]+(?:['’][^\W_]+)?", title)
    # A distinctive phrase: five consecutive words from the middle of the
    # title (the whole title when it is shorter), searched as a phrase.
    start = max(0, (len(words) - 5) // 2)
    phrase = " ".join(words[start:start + 5])
    out = subprocess.run([nq, "--db", "t.db", "--all", "-n", "1", "-f", "json",
                          '"%s"' % phrase.replace('"', "")],
                         capture_output=True, text=True)
    try:
        hits = json.loads(out.stdout)["hits"]
    except Exception:
        hits = []
    if hits and (hits[0]["id"] == int(sid) or hits[0]["title"] == title):
        ok += 1
    else:
        misses.append(phrase)
print("%d %d" % (ok, len(rows)))
for m in misses[:10]:
    print("miss: %s" % m, file=sys.stderr)
PY
)
ok=${result% *}
total=${result#* }
echo "distinctive title phrase finds the item first: $ok of $total"
check "at least 200 titled items" test "$total" -ge 200
check "at least 95% found first ($ok of $total)" \
    test $((ok * 100)) -ge $((total * 95))

# "Did you mean" from the index vocabulary.
check_eq "zuckerbreg suggests zuckerberg" '["zuckerberg"]' \
    "$("$NEWSQUERY" --db t.db -f json --all zuckerbreg | jq -c .suggestions)"

finish
