#!/usr/bin/env python3
"""bench/xapian_peer.py TSV QUERIES WORK NEWSQUERY INDEX ROUNDS

Xapian, the field's reference engine, measured side by side with newsidx in
one run of bench/run, on the same items and the same queries:

  1. indexes TSV's lines (title TAB excerpt, as bench/gen.py writes them)
     into WORK/xapian.db with Xapian's TermGenerator: positions kept,
     English stems (STEM_SOME, as quest's -s english searches them), title
     and excerpt as two runs of text, nothing else (no display fields);
  2. runs the plain queries of QUERIES (classes rare, common, mid, two,
     three, phrase: those whose syntax means the same to both) as whole
     processes, ROUNDS rounds, each query's two commands one after the
     other: `quest -d WORK/xapian.db -m 10 -s english -o and QUERY` and
     `NEWSQUERY --db INDEX --format json QUERY`, both with their output
     sent to /dev/null.

Prints one JSON object.  Without Xapian's tools (Debian: xapian-tools,
python3-xapian) it prints {"skipped": "<why>"} and exits 0: the peer is
optional.  Indexing time is that of a Python loop over the Xapian library,
which is not omindex's; the report says so.
"""
import json
import os
import shutil
import subprocess
import sys
import time

PLAIN = ("rare", "common", "mid", "two", "three", "phrase")


def pct(values, p):
    v = sorted(values)
    if not v:
        return None
    k = min(len(v) - 1, max(0, int(round(p / 100.0 * (len(v) - 1)))))
    return v[k]


def summary(seconds):
    ms = [s * 1000.0 for s in seconds]
    return {"n": len(ms), "p50_ms": pct(ms, 50), "p95_ms": pct(ms, 95),
            "p99_ms": pct(ms, 99), "max_ms": max(ms) if ms else None}


def dir_bytes(path):
    total = 0
    for dirpath, _, files in os.walk(path):
        for f in files:
            total += os.path.getsize(os.path.join(dirpath, f))
    return total


def index(xapian, tsv, db_path):
    shutil.rmtree(db_path, ignore_errors=True)
    db = xapian.WritableDatabase(db_path, xapian.DB_CREATE_OR_OVERWRITE)
    tg = xapian.TermGenerator()
    tg.set_stemmer(xapian.Stem("english"))
    tg.set_stemming_strategy(xapian.TermGenerator.STEM_SOME)
    n = 0
    t0 = time.monotonic()
    with open(tsv, encoding="utf-8") as f:
        for line in f:
            title, _, excerpt = line.rstrip("\n").partition("\t")
            doc = xapian.Document()
            tg.set_document(doc)
            tg.index_text(title)
            tg.increase_termpos()
            tg.index_text(excerpt)
            db.add_document(doc)
            n += 1
    db.commit()
    db.close()
    return n, time.monotonic() - t0


def run(args):
    t0 = time.monotonic()
    r = subprocess.run(args, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, check=False)
    return time.monotonic() - t0, r.returncode


def main():
    tsv, queries, work, newsquery, idx, rounds = sys.argv[1:7]
    rounds = int(rounds)
    try:
        import xapian
    except ImportError:
        print(json.dumps({"skipped": "python3-xapian is not installed"}))
        return 0
    quest = shutil.which("quest")
    if quest is None:
        print(json.dumps({"skipped": "quest (xapian-tools) is not installed"}))
        return 0

    db_path = os.path.join(work, "xapian.db")
    n_items, index_seconds = index(xapian, tsv, db_path)

    plain = []
    with open(queries, encoding="utf-8") as f:
        for line in f:
            if line.startswith("#") or "\t" not in line:
                continue
            cls, text = line.rstrip("\n").split("\t", 1)
            if cls in PLAIN:
                plain.append((cls, text))

    times = {"quest": [], "newsquery": []}
    ratios = []
    failed = {"quest": 0, "newsquery": 0}
    per_class = {}
    for _ in range(rounds):
        for cls, text in plain:
            tq, rq = run([quest, "-d", db_path, "-m", "10", "-s", "english",
                          "-o", "and", text])
            tn, rn = run([newsquery, "--db", idx, "--format", "json", text])
            failed["quest"] += rq != 0
            failed["newsquery"] += rn not in (0, 4)
            times["quest"].append(tq)
            times["newsquery"].append(tn)
            ratios.append(tn / tq)
            c = per_class.setdefault(cls, {"quest": [], "newsquery": []})
            c["quest"].append(tq)
            c["newsquery"].append(tn)

    print(json.dumps({
        "xapian": xapian.version_string(),
        "items": n_items,
        "index_seconds": index_seconds,
        "index_bytes": dir_bytes(db_path),
        "newsidx_bytes": os.path.getsize(idx),
        "queries": len(plain),
        "rounds": rounds,
        "failed": failed,
        "quest": summary(times["quest"]),
        "newsquery": summary(times["newsquery"]),
        "ratio_p50": pct(ratios, 50),
        "classes": {cls: {"quest_p50_ms": pct(v["quest"], 50) * 1000.0,
                          "newsquery_p50_ms": pct(v["newsquery"], 50) * 1000.0}
                    for cls, v in per_class.items()},
    }, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
