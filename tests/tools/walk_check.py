#!/usr/bin/env python3
"""Facet counts and deep pages must equal what a walk over every match
gives (issue 18), for tests/cli/T660-facets-pages.sh.

usage:
  walk_check.py corpus GEN_NEWS_DIR OUT_DIR
      Writes OUT_DIR/edge (hand-made items for the corners of the facets:
      two providers of one name, a provider without a name, an item
      without a provider, one topic spelled three ways, a topic listed
      twice in one item, dates before 1970 and in year 900, an
      unpublished item) and OUT_DIR/copies (copies of every 25th item of
      GEN_NEWS_DIR, by address or by title, with another topic or year,
      so that collapsing folds items that count differently).
  walk_check.py check [--seed S] [--random N] [--quick] [--jobs J]
                      [--break-reference] NEWSQUERY DB QUERIES
      QUERIES is bench/queries.txt (CLASS<TAB>QUERY): its words make the
      fixed and the --random N random queries (seed S, default 18).
      --quick runs a few of the fixed queries only (valgrind).
      --break-reference spoils the reference (one item less in a facet
      count, two hits swapped in the walk), to show that a difference is
      seen: the run must then fail.
      Prints a line per difference, with the newsquery command that shows
      it, then "N comparisons (...), F failed"; exits 1 when F > 0.

The reference never asks newsquery to count.  It lists every match
(`--no-collapse -n 10000`, checked to be the whole of `total_matches`),
then counts those items from the index file itself with Python's sqlite3
module (docs/schema.md):
- provider: providers.name through items.provider_id, grouped by name (two
  providers of one name are one value); an item without a provider counts
  nowhere, and one whose provider has no name counts under "" (what
  newsquery prints today; its text output shows "(none)");
- year: strftime('%Y', published_at, 'unixepoch'), items with a date only;
- topic: item_topics and topics grouped by topics.key, an item once per
  key, shown as the least topics.name of that key among the matching
  items' topics;
- order: most frequent first, then by value (bytes of UTF-8, as SQLite
  and strcmp compare); years latest first.
Deep pages: `-n 10 --offset K` must be hits K..K+9 of the one listing
`-n 10000` of the same query (ids, order, collapsed ids, scores)."""
import concurrent.futures
import json
import os
import random
import re
import shlex
import sqlite3
import subprocess
import sys
from collections import defaultdict

BIG = 10000  # newsquery's largest --limit: more than any test index holds
KINDS = ("topic", "provider", "year")
OFFSETS = (0, 10, 100, 500, 1000, 1500)
SCORE_TOLERANCE = 1e-9  # relative: a page and the walk score alike


# ---------------------------------------------------------------- corpus

EDGE_ITEMS = [
    # name, title words, provider (name, domain), topics, date, published,
    # address.  Every title and excerpt holds "sort" and "the" (common
    # words of the generated items) and "zedgeword".
    ("e1", "Twin one", ("Twin Wire", "a.example"), ["Edge Cases"],
     "2022-03-01T10:00:00Z", True, "https://a.example/e1"),
    ("e2", "Twin two", ("Twin Wire", "b.example"), ["edge cases"],
     "2022-04-01T10:00:00Z", True, "https://b.example/e2"),
    ("e3", "No provider", None, ["Edge Cases", "EDGE CASES", "Edge Cases"],
     None, True, "https://c.example/e3"),
    ("e4", "Domain only", (None, "d.example"), [],
     "1969-12-31T23:00:00Z", True, "https://d.example/e4"),
    ("e5", "Name only", ("Solo Name", None), ["Économie Numérique"],
     "0900-06-01T00:00:00Z", True, "https://e.example/e5"),
    ("e6", "Copy", ("Copy Co", "copy.example"), ["Copies"],
     "2020-01-01T00:00:00Z", True, "https://copy.example/s"),
    ("e7", "Copy", ("Other Copy", "other.example"), ["Copies B"],
     "2021-01-01T00:00:00Z", True, "https://copy.example/s"),
    ("e8", "Hidden", ("Hidden Wire", "h.example"), ["Hidden Topic"],
     "2019-01-01T00:00:00Z", False, "https://h.example/e8"),
    ("e9", "Empty name", ("", "f.example"), ["Edge Cases"],
     "2999-01-01T00:00:00Z", True, "https://f.example/e9"),
]


def edge_item(title, provider, topics, date, published, url, name):
    lines = ["---",
             'title: "%s sort the zedgeword"' % title,
             'excerpt: "Edge item %s: sort the zedgeword words."' % name,
             'webUrl: "%s"' % url,
             "published: %s" % ("true" if published else "false")]
    if date:
        lines.append("publishedDateTime: %s" % date)
    if provider:
        lines.append("provider:")
        if provider[0] is not None:
            lines.append('  name: "%s"' % provider[0])
        if provider[1] is not None:
            lines.append("  domain: %s" % provider[1])
    if topics:
        lines.append("topics:")
        lines += ['  - "%s"' % t for t in topics]
    return "\n".join(lines + ["---", ""])


URL_KEYS = ("webUrl:", "originalUrl:", "ampWebUrl:", "cdnAmpWebUrl:")


def copy_item(text, by_address):
    """A copy of a generated item (top-level lines only are touched).  By
    address: the same URLs, one word and one topic more.  Otherwise: other
    URLs (so only the title makes it a copy) and another year."""
    out = []
    for line in text.split("\n"):
        if line.startswith("excerpt: \"") and line.endswith('"'):
            line = line[:-1] + ' zcopyword"'
        elif line.startswith(URL_KEYS) and not by_address:
            line = line.replace("/news/", "/copies/")
        elif line.startswith("publishedDateTime:") and not by_address:
            line = "publishedDateTime: 2013-07-01T00:00:00Z"
        out.append(line)
        if line == "topics:" and by_address:
            out.append("  - Wire Copies")
    return "\n".join(out)


def make_corpus(gen_dir, out_dir):
    os.makedirs(os.path.join(out_dir, "edge"), exist_ok=True)
    os.makedirs(os.path.join(out_dir, "copies"), exist_ok=True)
    for name, title, prov, topics, date, pub, url in EDGE_ITEMS:
        with open(os.path.join(out_dir, "edge", name + ".md"), "w") as f:
            f.write(edge_item(title, prov, topics, date, pub, url, name))
    files = sorted(os.path.join(d, f) for d, _, fs in os.walk(gen_dir)
                   for f in fs if f.endswith(".md"))
    for i, path in enumerate(files[::25]):
        with open(path, encoding="utf-8") as f:
            text = f.read()
        dest = os.path.join(out_dir, "copies",
                            "copy-" + os.path.basename(path))
        with open(dest, "w", encoding="utf-8") as f:
            f.write(copy_item(text, i % 2 == 0))
    return 0


# ---------------------------------------------------------------- reference

class Index:
    """What the facets count, per item, read from the index file."""

    def __init__(self, db):
        con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
        try:
            # An item without a provider row is absent; a provider with
            # no name counts under "" (see the module comment).
            self.provider = {i: (n if n is not None else "") for i, n in
                             con.execute("SELECT i.id, p.name FROM items i"
                                         " JOIN providers p"
                                         " ON p.id = i.provider_id")}
            self.year = {i: y for i, y in con.execute(
                "SELECT id, strftime('%Y', published_at, 'unixepoch')"
                " FROM items WHERE published_at IS NOT NULL")}
            self.topics = defaultdict(list)  # id -> [(key, name)]
            for i, key, name in con.execute(
                    "SELECT it.item_id, t.key, t.name FROM item_topics it"
                    " JOIN topics t ON t.id = it.topic_id"):
                self.topics[i].append((key, name))
            self.n_items = con.execute(
                "SELECT count(*) FROM items").fetchone()[0]
        finally:
            con.close()

    def facets(self, ids):
        """{kind: [(value, count)]} over the items `ids`, in output order."""
        items = defaultdict(set)
        names = {}
        for i in ids:
            for key, name in self.topics.get(i, ()):
                items[key].add(i)
                names[key] = min(names.get(key, name), name)
        topic = [(names[k], len(s)) for k, s in items.items()]
        prov = defaultdict(int)
        year = defaultdict(int)
        for i in ids:
            if i in self.provider:
                prov[self.provider[i]] += 1
            if self.year.get(i) is not None:
                year[self.year[i]] += 1

        def by_count(pairs):
            return sorted(pairs, key=lambda p: (-p[1], p[0].encode()))
        return {"topic": by_count(topic),
                "provider": by_count(prov.items()),
                "year": sorted(year.items(), key=lambda p: p[0].encode(),
                               reverse=True)}


# ---------------------------------------------------------------- queries

def bench_pools(path):
    """Words, phrases, prefixes and filters of bench/queries.txt by class."""
    pools = defaultdict(list)
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("#") or "\t" not in line:
                continue
            cls, q = line.rstrip("\n").split("\t", 1)
            if cls in ("topic", "provider", "date"):
                m = re.search(r'\b%s:("[^"]*"|\S+)' % cls, q)
                pools[cls].append("%s:%s" % (cls, m.group(1)))
                pools["mid" if cls == "date" else "word"].append(
                    q[:m.start()].strip())
            elif cls in ("two", "three"):
                pools["word"] += q.split()
            else:
                pools[cls].append(q)
    return pools


FACET_FIXED = [
    # options, query.  Common, mid and rare words, several words,
    # phrases, prefixes, exclusions, OR (an AND inside an OR runs in SQL),
    # filters with words and alone, the sample items and the edge items.
    ([], "the"), (["--all"], "the"), ([], "sort"), (["--all"], "SORT"),
    ([], "túk"), ([], "trondkesh"), (["--all"], "ak"),
    ([], "fenwempriort"), ([], "four tuk"), (["--all"], "tuk quil viom"),
    ([], '"stend the"'), (["--all"], '"steangbrind quil"'),
    ([], "shi*"), (["--all"], "gre* sort"),
    ([], "the -sort"), (["--all"], "sort -four -tuk"),
    ([], "sort OR gai"), (["--all"], "(sort four) OR trondkesh"),
    ([], "the topic:Robotics"), (["--all"], "the -topic:Robotics"),
    ([], "sort provider:skixlipost.io"),
    ([], 'the provider:"Skixli Post"'),
    (["--all"], "mus date:2021-03..2021-12"),
    ([], "the quality:>=60"), (["--all"], "sort heat:>50"),
    ([], "topic:Robotics"), (["--all"], 'topic:"Language Models"'),
    ([], "provider:skixlipost.io"), (["--all"], "date:2018..2020"),
    ([], "quality:60..80"), (["--all"], "heat:<30 topic:Robotics"),
    (["--since", "2020", "--until", "2022-06"], "the"),
    (["--all", "--since", "2019-03-15"], None),
    (["--until", "2016"], None), (["--all", "--since", "2023"], "sort"),
    (["--exact"], "sorting"), (["--sort", "date"], "sort"),
    ([], "ai"), (["--all"], "zurich"), ([], "quill*"),
    ([], "zedgeword"), (["--all"], "zedgeword"), ([], "twin two"),
    (["--all"], 'topic:"Edge Cases"'), ([], "zcopyword"),
    (["--all"], 'topic:"Wire Copies" the'), ([], "zzzznomatch"),
]

PAGE_FIXED = [
    # options, query: big listings (to offset 1500), collapsing on and
    # off, sort orders, exclusions, filters alone, the SQL path.
    (["--all"], "the"), ([], "sort"), (["--no-collapse", "--all"], "sort"),
    (["--sort", "date"], "the"), (["--sort", "quality", "--all"], "tuk"),
    (["--sort", "heat", "--no-collapse"], "the"),
    ([], "topic:Robotics"), (["--all", "--since", "2016"], None),
    (["--all"], "the -sort"), ([], "shi*"),
    (["--all"], "(sort four) OR trondkesh"), (["--all"], "zcopyword"),
    (["--all"], "zedgeword"),
]

QUICK_FACETS = (0, 1, 8, 14, 16, 17, 18, 25, 32, 33, 41, 42, 44)
QUICK_PAGES = (0, 2, 3, 12)


def random_cases(pools, rng, n):
    """`n` random (options, query) pairs: words of each class, exclusions,
    phrases, prefixes, filters (quality: and heat: too), filters alone."""
    def word():
        return rng.choice(pools[rng.choice(("common", "mid", "rare",
                                            "word"))])

    def flt():
        kind = rng.choice(("topic", "provider", "date", "q", "h"))
        if kind == "q":
            return "quality:%s%d" % (rng.choice((">=", "<", ">")),
                                     rng.randrange(20, 90))
        if kind == "h":
            lo = rng.randrange(0, 80)
            return "heat:%d..%d" % (lo, lo + rng.randrange(5, 40))
        return rng.choice(pools[kind])

    shapes = (
        lambda: word(),
        lambda: "%s %s" % (word(), word()),
        lambda: "%s -%s" % (rng.choice(pools["common"]), word()),
        lambda: rng.choice(pools["phrase"]),
        lambda: "%s %s" % (rng.choice(pools["prefix"]), word()),
        lambda: "%s %s" % (word(), flt()),
        lambda: "%s -%s %s" % (word(), rng.choice(pools["common"]), flt()),
        lambda: flt(),
        lambda: "%s %s" % (flt(), flt()),
        lambda: "%s OR %s" % (word(), word()),
    )
    cases = []
    for _ in range(n):
        q = rng.choice(shapes)()
        opts = ["--all"] if rng.random() < 0.5 else []
        r = rng.random()
        if r < 0.15:
            opts += ["--since", "%d" % rng.randrange(2014, 2025)]
        elif r < 0.25:
            opts += ["--until", "%d-%02d" % (rng.randrange(2014, 2025),
                                              rng.randrange(1, 13))]
        if rng.random() < 0.3 and ("--since" in opts or "--until" in opts):
            q = None  # the options' date range alone
        cases.append((opts, q))
    return cases


# ---------------------------------------------------------------- checking

class Checker:
    def __init__(self, newsquery, db, index, is_broken):
        self.newsquery = newsquery
        self.db = db
        self.index = index
        self.is_broken = is_broken

    def command(self, args, q):
        return [self.newsquery, "--db", self.db, "-f", "json"] + args + \
            (["--", q] if q is not None else [])

    def show(self, args, q):
        """The failing command, as one can paste it in $TMP."""
        cmd = self.command(args, q)
        cmd[0], cmd[2] = "newsquery", os.path.basename(self.db)
        return " ".join(shlex.quote(a) for a in cmd)

    def run(self, out, args, q):
        p = subprocess.run(self.command(args, q), capture_output=True)
        out["runs"] += 1
        if p.returncode != 0:
            raise Mismatch(self.show(args, q), "exit %d: %s" % (
                p.returncode, p.stderr.decode("utf-8", "replace").strip()))
        try:
            return json.loads(p.stdout.decode("utf-8", "strict"))
        except ValueError as e:
            raise Mismatch(self.show(args, q), "not JSON: %s" % e)

    def walk(self, out, opts, q, is_collapsed):
        """Every hit of the query: one page of BIG, checked to be all."""
        args = ([] if is_collapsed else ["--no-collapse"]) + \
            ["-n", str(BIG), "--related", "0"] + opts
        doc = self.run(out, args, q)
        hits = doc["hits"]
        want_total = doc["total"] if is_collapsed else doc["total_matches"]
        ids = [i for h in hits for i in h["collapsed_ids"]]
        expect(out, self.show(args, q), "the walk lists every match",
               doc["total_exact"] and len(hits) == want_total and
               doc["total"] < BIG and
               len(ids) == len(set(ids)) == doc["total_matches"] and
               all(h["collapsed_ids"][0] == h["id"] and
                   h["collapsed"] == len(h["collapsed_ids"]) for h in hits),
               "total %d (exact %s), total_matches %d, %d hits holding %d"
               " ids (%d distinct)" % (doc["total"], doc["total_exact"],
                                       doc["total_matches"], len(hits),
                                       len(ids), len(set(ids))))
        return doc

    def facets(self, out, case):
        """Facet counts, collapsed and not, with --count, and with the
        default limit or a small one, against the counts of the walk."""
        n, (opts, q) = case
        walk = self.walk(out, opts, q, False)
        ids = [h["id"] for h in walk["hits"]]
        want = self.index.facets(ids)
        if self.is_broken:
            want = spoil_facets(want)
        every = ["--facets", "topic,provider,year", "--facet-limit", "0"]
        limited = (["--facets", "topic,provider,year", "--offset", "20"],
                   ["--facets", "year,provider", "--facet-limit", "3"],
                   ["--facets", "topic", "--facet-limit", "1",
                    "--no-collapse"])[n % 3]
        for args in (every + opts, ["--no-collapse", "-n", "0"] + every +
                     opts, ["--count"] + every + opts, limited + opts):
            doc = self.run(out, args, q)
            where = self.show(args, q)
            expect(out, where, "total_matches is the walk's",
                   doc["total_matches"] == len(ids),
                   "%d, the walk %d" % (doc["total_matches"], len(ids)))
            kinds = args[args.index("--facets") + 1].split(",")
            limit = int(args[args.index("--facet-limit") + 1]) \
                if "--facet-limit" in args else 20
            for kind in KINDS:
                if kind not in kinds:
                    expect(out, where, "no %s facet unasked" % kind,
                           kind not in doc["facets"], "it is there")
                    continue
                w = want[kind][:limit] if limit else want[kind]
                left = len(want[kind]) - len(w)
                got = doc["facets"].get(kind)
                out["values"] += len(w)
                expect(out, where, "%s facet" % kind,
                       got is not None and
                       [(e["value"], e["count"]) for e in got] == w,
                       facet_difference(got or [], w))
                expect(out, where, "%s values left out" % kind,
                       doc["facets_left_out"].get(kind) == left,
                       "%s, the walk %d" % (doc["facets_left_out"].get(kind),
                                            left))

    def pages(self, out, case):
        """Pages of 10 at offsets 0 to 1500 (and the last and one past it)
        against the walk; the collapsed walk against the uncollapsed."""
        _, (opts, q) = case
        is_collapsed = "--no-collapse" not in opts
        walk = self.walk(out, opts, q, is_collapsed)
        hits = [(h["id"], h["collapsed_ids"], h["score"])
                for h in walk["hits"]]
        if self.is_broken and len(hits) > 1:
            hits[0], hits[1] = hits[1], hits[0]
        if is_collapsed:
            flat = self.walk(out, opts, q, False)
            got = sorted(i for h in hits for i in h[1])
            want = sorted(h["id"] for h in flat["hits"])
            expect(out, self.show(["--no-collapse"] + opts, q),
                   "the stories hold every match once", got == want,
                   "%d ids in stories, %d matches" % (len(got), len(want)))
        total = len(hits)
        offsets = sorted({k for k in OFFSETS if k < total} |
                         {max(total - 4, 0), total})
        for k in offsets:
            args = ["-n", "10", "--offset", str(k), "--related", "0"] + opts
            doc = self.run(out, args, q)
            where = self.show(args, q)
            page = [(h["id"], h["collapsed_ids"], h["score"])
                    for h in doc["hits"]]
            out["hits"] += len(page)
            expect(out, where, "hits %d.. of the walk" % (k + 1),
                   same_hits(page, hits[k:k + 10]),
                   hit_difference(page, hits[k:k + 10], k))
            expect(out, where, "totals",
                   doc["offset"] == k and
                   doc["total_matches"] == walk["total_matches"] and
                   (doc["total"] == total if doc["total_exact"] else
                    doc["total"] >= total),
                   "offset %d, total %d (exact %s), total_matches %d; the"
                   " walk: %d hits of %d matches" % (
                       doc["offset"], doc["total"], doc["total_exact"],
                       doc["total_matches"], total, walk["total_matches"]))


class Mismatch(Exception):
    pass


def expect(out, where, what, ok, detail):
    out["comparisons"] += 1
    if not ok:
        out["failures"].append("%s: %s: %s" % (where, what, detail))


def spoil_facets(want):
    """The reference with one item less in its first count."""
    for kind in KINDS:
        if want[kind]:
            v, c = want[kind][0]
            return dict(want, **{kind: [(v, c - 1)] + want[kind][1:]})
    return want


def facet_difference(got, want):
    g = [(e["value"], e["count"]) for e in got]
    gd, wd = dict(g), dict(want)
    for v in sorted(set(gd) | set(wd)):
        if gd.get(v) != wd.get(v):
            return "%r: count %s, the walk %s" % (v, gd.get(v), wd.get(v))
    if len(g) != len(gd):
        return "a value shown twice: %r" % g
    for i, (a, b) in enumerate(zip(g, want)):
        if a != b:
            return "order: %r at %d, the walk has %r" % (a, i, b)
    return "%d values, the walk %d" % (len(g), len(want))


def same_hits(page, want):
    return len(page) == len(want) and all(
        a[0] == b[0] and a[1] == b[1] and
        abs(a[2] - b[2]) <= SCORE_TOLERANCE * max(abs(a[2]), abs(b[2]), 1e-300)
        for a, b in zip(page, want))


def hit_difference(page, want, k):
    for i, (a, b) in enumerate(zip(page, want)):
        if a != b:
            return "hit %d: id %d %s score %r, the walk: id %d %s score %r" % (
                k + i + 1, a[0], a[1], a[2], b[0], b[1], b[2])
    return "%d hits, the walk %d" % (len(page), len(want))


def run_case(checker, kind, case):
    out = {"runs": 0, "comparisons": 0, "values": 0, "hits": 0,
           "failures": []}
    try:
        getattr(checker, kind)(out, case)
    except Mismatch as e:
        out["comparisons"] += 1
        out["failures"].append("%s: %s" % e.args)
    return out


def check(argv):
    seed, n_random, jobs, quick, broken = 18, 80, 2, False, False
    while argv and argv[0].startswith("--"):
        opt = argv.pop(0)
        if opt == "--seed":
            seed = int(argv.pop(0))
        elif opt == "--random":
            n_random = int(argv.pop(0))
        elif opt == "--jobs":
            jobs = int(argv.pop(0))
        elif opt == "--quick":
            quick = True
        elif opt == "--break-reference":
            broken = True
        else:
            sys.exit("walk_check.py: unknown option %s" % opt)
    newsquery, db, queries = argv
    index = Index(db)
    checker = Checker(newsquery, db, index, broken)
    facets = list(FACET_FIXED)
    pages = list(PAGE_FIXED)
    if quick:
        facets = [facets[i] for i in QUICK_FACETS]
        pages = [pages[i] for i in QUICK_PAGES]
    facets += random_cases(bench_pools(queries), random.Random(seed),
                           n_random)
    work = [("facets", c) for c in enumerate(facets)] + \
        [("pages", c) for c in enumerate(pages)]
    # Each case runs its newsquery processes one after the other; cases
    # run side by side.  map() keeps the report in case order.
    with concurrent.futures.ThreadPoolExecutor(max(jobs, 1)) as pool:
        results = list(pool.map(lambda w: run_case(checker, *w), work))
    total = defaultdict(int)
    n_failed = 0
    for r in results:
        for line in r["failures"]:
            print("FAIL %s" % line)
        n_failed += len(r["failures"])
        for k in ("runs", "comparisons", "values", "hits"):
            total[k] += r[k]
    print("%d comparisons (%d facet cases, %d page cases, %d newsquery runs,"
          " %d facet values, %d page hits; %d items), %d failed" % (
              total["comparisons"], len(facets), len(pages), total["runs"],
              total["values"], total["hits"], index.n_items, n_failed))
    return 1 if n_failed else 0


def main():
    argv = sys.argv[1:]
    if argv[:1] == ["corpus"] and len(argv) == 3:
        return make_corpus(argv[1], argv[2])
    if argv[:1] == ["check"] and len(argv) >= 4:
        return check(argv[1:])
    sys.stderr.write(__doc__.split("\n\n")[1] + "\n")
    return 2


if __name__ == "__main__":
    sys.exit(main())
