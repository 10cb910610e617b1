#!/usr/bin/env python3
"""query_loop.py NEWSQUERY DB STOPFILE MAX_SECONDS QUERY...: run newsquery
in a loop (JSON and JSONL, alternating sort orders) until STOPFILE exists,
for tests/cli/T620-concurrency.sh, and check every hit of the items of
tests/tools/gen_versioned.py: the excerpt, the topic and every related
entry carry the version of the title, with the right number of entries.
Any exit status but 0, or output that is not valid JSON, is a failure.

Prints "newsquery: Q queries, H hits, R related, F failures, M mismatches
(V vanished items)";
exits 0 when F and M are 0 and at least one query ran."""
import json
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_versioned import related_count  # noqa: E402

TITLE = re.compile(r"^Gen (\d+) v(\d+) \w+$")


def main():
    prog, db, stop, max_s = sys.argv[1:5]
    queries = sys.argv[5:]
    end = time.time() + float(max_s)
    n = {"queries": 0, "hits": 0, "related": 0, "failures": 0,
         "mismatches": 0, "vanished": 0}
    reports = []

    def bad(kind, msg):
        n[kind] += 1
        if len(reports) < 20:
            reports.append(msg)

    i = 0
    while not os.path.exists(stop) and time.time() < end:
        fmt = ("json", "jsonl")[i % 2]
        sort = ("rank", "date", "quality", "heat")[(i // 2) % 4]
        q = queries[i % len(queries)]
        i += 1
        n["queries"] += 1
        p = subprocess.run([prog, "--db", db, "-f", fmt, "-n", "50",
                            "--related", "10", "--sort", sort, "--", q],
                           capture_output=True)
        if p.returncode != 0:
            bad("failures", "%s -f %s: exit %d: %r"
                % (q, fmt, p.returncode, p.stderr[:300]))
            continue
        try:
            text = p.stdout.decode("utf-8", "strict")
            if fmt == "json":
                doc = json.loads(text)
                hits = doc["hits"]
                if len(hits) > doc["total"]:
                    bad("mismatches", "%s: more hits than total" % q)
            else:
                hits = [json.loads(line) for line in text.splitlines()]
        except (ValueError, KeyError) as e:
            bad("failures", "%s -f %s: invalid output: %s" % (q, fmt, e))
            continue
        for h in hits:
            n["hits"] += 1
            if h.get("id") == 0 and h.get("title") is None:
                # The item changed between the search and reading the hit.
                n["vanished"] += 1
                if n["vanished"] <= 3:
                    bad("mismatches", "hit 0 without title, topics or related "
                        "entries: its item vanished after the search")
                else:
                    n["mismatches"] += 1
                continue
            m = TITLE.match(h.get("title") or "")
            if not m:
                bad("mismatches", "hit %s: title %r" % (h.get("id"),
                                                      h.get("title")))
                continue
            it, v = int(m.group(1)), int(m.group(2))
            why = []
            if not (h.get("excerpt") or "").startswith(
                    "Excerpt of gen %d at v%d: " % (it, v)):
                why.append("excerpt %r" % h.get("excerpt"))
            if h.get("topics") != ["ver %d" % v]:
                why.append("topics %r" % h.get("topics"))
            rel = [r.get("title") for r in h.get("related", [])]
            n["related"] += len(rel)
            want = ["rel %d.%d v%d" % (it, k, v)
                    for k in range(related_count(it, v))]
            if rel != want:
                why.append("related %r, want %r" % (rel, want))
            if why:
                bad("mismatches", "hit %s %r: %s" % (h.get("id"), h["title"],
                                                     "; ".join(why)))
    for r in reports:
        print("query_loop: " + r, file=sys.stderr)
    print("newsquery: %(queries)d queries, %(hits)d hits, %(related)d "
          "related, %(failures)d failures, %(mismatches)d mismatches "
          "(%(vanished)d vanished items)" % n)
    sys.exit(0 if n["failures"] == 0 and n["mismatches"] == 0
             and n["queries"] > 0 else 1)


if __name__ == "__main__":
    main()
