#!/usr/bin/env python3
"""Several index files searched as one must answer as one index of all their
items does (issue 17).  For each line of QUERIES (newsquery arguments,
shell-quoted), runs

    newsquery --db COMBINED -f json ARGS
    newsquery --db PART1 --db PART2 ... -f json ARGS

and compares the two documents: every total, facet, suggestion, hit (its
fields, score, snippet, related items) and the items each hit collapsed
(compared by file path, since item ids are each file's own).  Two things
may differ and are left out: item ids, and the id of a related item that
lives in another file (a file resolves related links among its own items).

usage: same_results.py [--json FILE] NEWSQUERY COMBINED.db QUERIES PART.db...
Prints one line per query that differs and "N of M queries equal"; exits 1
when any differs.  QUERIES may also be bench/queries.txt (CLASS<TAB>QUERY
lines: the query is taken as typed).  With --json, FILE gets the counts
and each side's whole-process times (bench/run reports them)."""
import json
import shlex
import sqlite3
import statistics
import subprocess
import sys
import time


def paths_by_id(db):
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    try:
        return dict(con.execute("SELECT id, path FROM files"))
    finally:
        con.close()


def run(newsquery, dbs, args, times):
    cmd = [newsquery]
    for db in dbs:
        cmd += ["--db", db]
    t0 = time.perf_counter()
    p = subprocess.run(cmd + ["-f", "json"] + args, capture_output=True,
                       text=True)
    times.append((time.perf_counter() - t0) * 1000.0)
    if p.returncode not in (0, 1):
        return None, "exit %d: %s" % (p.returncode, p.stderr.strip())
    return json.loads(p.stdout), None


def percentile(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(round(p / 100.0 * (len(v) - 1))))] if v \
        else None


def parse_line(line):
    """newsquery arguments: shell words, or a bench line's query as typed."""
    if "\t" in line:
        return [line.rstrip("\n").split("\t", 1)[1]]
    return shlex.split(line)


def normal(doc, files):
    """The document without ids; collapsed items as paths.  `files` maps
    a db name to its id -> path table."""
    doc = dict(doc)
    doc.pop("dbs", None)
    for h in doc.get("hits", []):
        dbs = h.pop("collapsed_dbs", None) or [h.get("db")] * len(
            h["collapsed_ids"])
        h["collapsed_paths"] = [files[db].get(i, "?%d" % i)
                                for db, i in zip(dbs, h.pop("collapsed_ids"))]
        h.pop("id")
        h.pop("db", None)
        for r in h.get("related", []):
            r.pop("id", None)
    return doc


def first_difference(a, b, where=""):
    if type(a) is not type(b):
        return "%s: %r vs %r" % (where, a, b)
    if isinstance(a, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                return "%s.%s: only in %s" % (where, k,
                                              "one" if k in a else "parts")
            d = first_difference(a[k], b[k], "%s.%s" % (where, k))
            if d:
                return d
        return None
    if isinstance(a, list):
        if len(a) != len(b):
            return "%s: %d vs %d entries" % (where, len(a), len(b))
        for i, (x, y) in enumerate(zip(a, b)):
            d = first_difference(x, y, "%s[%d]" % (where, i))
            if d:
                return d
        return None
    return None if a == b else "%s: %r vs %r" % (where, a, b)


def main():
    argv = sys.argv[1:]
    out = None
    if argv[:1] == ["--json"]:
        out, argv = argv[1], argv[2:]
    newsquery, combined, queries, parts = argv[0], argv[1], argv[2], argv[3:]
    files = {db: paths_by_id(db) for db in [combined] + parts}
    n = n_equal = 0
    t_one, t_many = [], []
    with open(queries) as f:
        for line in f:
            if not line.strip() or line.startswith("#"):
                continue
            args = parse_line(line)
            n += 1
            one, e1 = run(newsquery, [combined], args, t_one)
            many, e2 = run(newsquery, parts, args, t_many)
            if e1 or e2:
                print("[%s] %s" % (line.strip(), e1 or e2))
                continue
            for h in one.get("hits", []):
                h["db"] = combined
            d = first_difference(normal(one, files), normal(many, files))
            if d:
                print("[%s] differs at %s" % (line.strip(), d))
                continue
            n_equal += 1
    print("%d of %d queries equal" % (n_equal, n))
    if out:
        with open(out, "w") as f:
            json.dump({"queries": n, "equal": n_equal, "files": len(parts),
                       "one": {"p50_ms": percentile(t_one, 50),
                               "p95_ms": percentile(t_one, 95),
                               "p99_ms": percentile(t_one, 99)},
                       "many": {"p50_ms": percentile(t_many, 50),
                                "p95_ms": percentile(t_many, 95),
                                "p99_ms": percentile(t_many, 99)}}, f)
    return 0 if n_equal == n else 1


if __name__ == "__main__":
    sys.exit(main())
