#!/usr/bin/env python3
"""bench/report.py RESULTS-DIR SIZE OUT: turn the measurements bench/run
left in RESULTS-DIR into a Markdown section, print it, and put it into OUT
(replacing OUT's section for the same size, keeping the others, sections
ordered by size).  Figures are reported as measured."""
import json
import os
import re
import sys

HEADER = """# Benchmark results

Written by `bench/run` (see `bench/README.md` for what is measured and
how). Each section is one run at one size, all of its figures measured side
by side in that run, on the machine it names. Nothing here is edited by
hand; a rerun replaces its size's section. The targets are those of the
performance issues, defined for 1M items on a 2-core machine (the rows
marked "at 100k" for 100k items); at other sizes they are shown for
orientation.
"""


def load(res, name):
    path = os.path.join(res, name)
    if not os.path.exists(path):
        return None
    with open(path) as f:
        text = f.read()
    if name.endswith(".json"):
        try:
            return json.loads(text)
        except ValueError:
            return None
    return text.strip()


def ms(x):
    return "–" if x is None else ("%.1f ms" % x if x >= 10 else "%.2f ms" % x)


def secs(x):
    return "%.2f s" % x if x < 100 else "%.0f s" % x


def mib(kb):
    return "%.0f MiB" % (kb / 1024.0)


def met(ok):
    return "**met**" if ok else "**not met**"


def pct(values, p):
    """Nearest-rank percentile, as nx_bench and xapian_peer.py take it."""
    v = sorted(values)
    if not v:
        return None
    k = -(-p * len(v) // 100)
    return v[max(k, 1) - 1]


# The classes of bench/queries-more.txt the report and the targets name
# (bench/gen.py --queries-more makes them).
FACETS, NO_FACETS, DEEP = "facets", "facets-off", "deep-10k"


def facet_ratios(more):
    """(ratio, query) for each facets query whose twin without facets ran:
    the ratio of their medians, from a per_query list."""
    off = {e["query"]: e["median_ms"] for e in more["per_query"]
           if e["class"] == NO_FACETS and not e["failed"]}
    return [(e["median_ms"] / off[e["query"]], e["query"])
            for e in more["per_query"]
            if e["class"] == FACETS and not e["failed"]
            and off.get(e["query"])]


def ratio_row(label, a, b):
    """A row of the facets / no facets table: median, worst and `the`."""
    cells = []
    for r in (a, b):
        if not r:
            cells.append("–")
            continue
        if label == "median":
            cells.append("%.2f×" % pct([x for x, _ in r], 50))
        elif label == "worst":
            x, qt = max(r)
            cells.append("%.2f× (`%s`)" % (x, qt))
        else:
            the = [x for x, qt in r if qt == "the"]
            cells.append("%.2f×" % the[0] if the else "–")
    return cells


def more_section(add, more, spm):
    """The "Facets and deep pages" section from more.json (in-process) and
    spawn-more.json (whole process); either may be None."""
    add("### Facets and deep pages")
    add("")
    base = more or spm
    opts = {}
    for e in base["per_query"]:
        opts.setdefault(e["class"], e["options"])
    add("%d queries from `bench/queries-more.txt`: the words of "
        "`bench/queries.txt` with newsquery options, no baselines and no "
        "top-10 check. In-process through libnewsidx as above (every hit "
        "with its related items, and every facet value), %d round(s) after a "
        "warm-up; whole process `newsquery --format json OPTIONS QUERY`, %d "
        "round(s), each facets query just before the same query without. "
        "A page past the last story is empty."
        % (base["queries"], more["rounds"] if more else 0,
           spm["rounds"] if spm else 0))
    add("")
    add("| class | options | queries | median matches | empty pages | "
        "in-process p50 | p95 | p99 | whole process p50 | p95 | p99 |")
    add("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for cls in base["classes"]:
        m = (more or {}).get("classes", {}).get(cls)
        w = (spm or {}).get("classes", {}).get(cls)
        add("| %s | %s | %d | %s | %s | %s | %s | %s | %s | %s | %s |"
            % (cls, "`%s`" % opts[cls] if opts.get(cls) else "none",
               (m or w)["n"],
               format(m["median_matches"], ",") if m else "–",
               m["empty_pages"] if m else "–",
               ms(m and m["p50_ms"]), ms(m and m["p95_ms"]),
               ms(m and m["p99_ms"]), ms(w and w["p50_ms"]),
               ms(w and w["p95_ms"]), ms(w and w["p99_ms"])))
    add("")
    fi = facet_ratios(more) if more else []
    fw = facet_ratios(spm) if spm else []
    if fi or fw:
        add("| facets / the same query without, per query | in-process | "
            "whole process |")
        add("|---|---:|---:|")
        for label, text in (("median", "median of the %d ratios"
                             % max(len(fi), len(fw))),
                            ("worst", "worst query"),
                            ("the", "the query `the`")):
            add("| %s | %s | %s |" % ((text,) + tuple(ratio_row(label, fi,
                                                                 fw))))
        add("")


def more_targets(add, more, spm):
    """Issue 18's rows of the targets table."""
    c = (more or {}).get("classes", {})
    if FACETS in c:
        p95 = c[FACETS]["p95_ms"]
        add("| facets (topic, provider, year) in-process p95 ≤ 50 ms | %s "
            "| %s |" % (ms(p95), met(p95 <= 50)))
    if DEEP in c:
        d = c[DEEP]
        add("| page at offset 10,000, collapsing on, in-process p95 ≤ 50 ms "
            "| %s (%d of %d pages empty) | %s |"
            % (ms(d["p95_ms"]), d["empty_pages"], d["n"],
               met(d["p95_ms"] <= 50)))
    fw = facet_ratios(spm) if spm else []
    if fw:
        r = pct([x for x, _ in fw], 50)
        add("| at 100k: facets ≤ 2× the same query without, whole process "
            "(median of per-query ratios) | %.2f× | %s |" % (r, met(r <= 2)))
        the = [x for x, qt in fw if qt == "the"]
        if the:
            add("| at 100k: `--facets topic,provider,year the` ≤ 2× `the`, "
                "whole process | %.2f× | %s |" % (the[0], met(the[0] <= 2)))


def main():
    res, size, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    machine = dict(line.split("=", 1) for line in
                   (load(res, "machine.txt") or "").splitlines() if "=" in line)
    yml = load(res, "yaml.json")
    ld = load(res, "load.json")
    idx = load(res, "index.json")
    rerun = load(res, "rerun.json")
    rerun1 = load(res, "rerun1.json")
    q = load(res, "queries.json")
    sp = load(res, "spawn.json")
    rg = load(res, "rg.json")
    items = int(load(res, "index.count") or 0)
    nbytes = int(load(res, "index.bytes") or 0)
    loaded = int(load(res, "load.count") or 0)
    related = (load(res, "related.count") or "").split()
    mutated = load(res, "mutate.txt") or ""
    L = []
    add = L.append

    add("## %s items" % format(size, ","))
    add("")
    add("%s · %s (%s cores, %s) · %s, kernel %s · files and index on %s"
        % (machine.get("date", "?"), machine.get("cpu", "?"),
           machine.get("cores", "?"), machine.get("mem", "?"),
           machine.get("os", "?"), machine.get("kernel", "?"),
           machine.get("fs", "?")))
    add("")
    add("Software: %s; SQLite %s; libyaml %s; utf8proc %s; %s; %s (%s "
        "build); generating the items took %s s."
        % (machine.get("newsidx", "?"), machine.get("sqlite", "?"),
           machine.get("libyaml", "?"), machine.get("utf8proc", "?"),
           machine.get("ripgrep") or "ripgrep not installed",
           machine.get("cc", "?"), machine.get("build", "?"),
           machine.get("gen_seconds", "?")))
    add("")
    # What the person who ran it says of the run (a run stopped early, a
    # busy machine): results/note.txt, printed as it is.
    note = load(res, "note.txt")
    if note:
        add(note)
        add("")

    add("### Indexing")
    add("")
    add("| step | time | items/s | peak RSS | notes |")
    add("|---|---:|---:|---:|---|")
    t_idx = idx["seconds"] if idx else None
    if idx:
        add("| newsindex, empty index | %s | %.0f | %s | %d items indexed, "
            "exit %d; %s bytes per item (%.0f MB) |"
            % (secs(t_idx), items / t_idx if t_idx else 0,
               mib(idx["max_rss_kb"]), items, idx["exit"],
               format(round(nbytes / items) if items else 0, ","),
               nbytes / 1e6))
    t_floor = None
    if yml and ld:
        add("| floor: libyaml parse-only pass | %s | %.0f | – | %d files, "
            "%d events |" % (secs(yml["seconds"]),
                             yml["files"] / yml["seconds"], yml["files"],
                             yml["events"]))
        add("| floor: sqlite3 shell, plain FTS5 bulk load of title and "
            "excerpt | %s | %.0f | %s | %d rows |"
            % (secs(ld["seconds"]), loaded / ld["seconds"],
               mib(ld["max_rss_kb"]), loaded))
        t_floor = yml["seconds"] + ld["seconds"]
        add("| floor: parse + load | %s | %.0f | – | |"
            % (secs(t_floor), size / t_floor))
        if t_idx:
            add("| **newsindex / (parse + load)** | **%.2f×** | | | |"
                % (t_idx / t_floor))
    if rerun:
        add("| newsindex re-run, no change | %s | – | %s | exit %d |"
            % (secs(rerun["seconds"]), mib(rerun["max_rss_kb"]),
               rerun["exit"]))
    if rerun1:
        add("| newsindex re-run, 1%% of files changed | %s | – | %s | %s; "
            "exit %d |" % (secs(rerun1["seconds"]), mib(rerun1["max_rss_kb"]),
                           mutated.replace("\n", " "), rerun1["exit"]))
    if len(related) == 2:
        add("")
        add("Related entries: %s, of which %s resolve to an indexed item."
            % (format(int(related[0]), ","), format(int(related[1]), ",")))
    add("")

    add("### Queries")
    add("")
    if q:
        add("%d queries from `bench/queries.txt`. In-process: through "
            "libnewsidx, query + run + every hit with its related items, "
            "default options (top 10, collapsing on, 3 related), %d rounds "
            "after a warm-up. Baselines: one run each after a warm-up, every "
            "match scored in SQL over the same FTS5 table and the same WHERE "
            "clause."
            % (q["queries"], q["rounds"]))
        add("")
        add("| what | p50 | p95 | p99 | max |")
        add("|---|---:|---:|---:|---:|")
        rows = [
            ("newsidx in-process, top 10 with related", "newsidx"),
            ("newsidx in-process, no collapsing", "newsidx_no_collapse"),
            ("baseline: FTS5 `ORDER BY -bm25(fts,10,4,1) × prior`",
             "baseline_bm25"),
            ("baseline: same formula as newsidx, `ORDER BY nx_bm25f(…) × "
             "prior`", "baseline_bm25f")]
        for label, key in rows:
            s = q[key]
            add("| %s | %s | %s | %s | %s |" % (label, ms(s["p50_ms"]),
                                               ms(s["p95_ms"]),
                                               ms(s["p99_ms"]),
                                               ms(s["max_ms"])))
        if sp:
            s = sp["newsquery_json"]
            add("| newsquery --format json, whole process (%d failed) | %s | "
                "%s | %s | %s |" % (sp["failed"], ms(s["p50_ms"]),
                                    ms(s["p95_ms"]), ms(s["p99_ms"]),
                                    ms(s["max_ms"])))
        if rg:
            s = rg["ripgrep"]
            add("| ripgrep `-l -i -w` over the files, %d one-word queries, "
                "no ranking | %s | %s | %s | %s |"
                % (rg["queries"], ms(s["p50_ms"]), ms(s["p95_ms"]),
                   ms(s["p99_ms"]), ms(s["max_ms"])))
        add("")
        add("Top-10 equal to the exhaustive top-10 of the same formula: "
            "**%d of %d** queries (%d more differ only in the order of equal "
            "scores, %d differ)." % (q["same_top10"], q["queries"],
                                     q["same_but_tie_order"],
                                     q["different_top10"]))
        add("")
        if q.get("big_queries"):
            add("Queries with more than 100,000 matches: %d. newsidx p50 %s, "
                "p99 %s; FTS5 bm25 baseline p50 %s, p99 %s; speed-up "
                "(geometric mean of per-query ratios) %.2f× against the FTS5 "
                "bm25 baseline, %.2f× against the same-formula baseline."
                % (q["big_queries"], ms(q["big_newsidx"]["p50_ms"]),
                   ms(q["big_newsidx"]["p99_ms"]),
                   ms(q["big_baseline_bm25"]["p50_ms"]),
                   ms(q["big_baseline_bm25"]["p99_ms"]),
                   q["big_speedup_bm25_geomean"],
                   q["big_speedup_bm25f_geomean"]))
        else:
            add("No query has more than 100,000 matches at this size.")
        add("")
        add("| class | queries | median matches | newsidx p50 | newsidx p99 "
            "| FTS5 bm25 p50 |")
        add("|---|---:|---:|---:|---:|---:|")
        for cls, s in q["classes"].items():
            add("| %s | %d | %s | %s | %s | %s |"
                % (cls, s["n"], format(s["median_matches"], ","),
                   ms(s["p50_ms"]), ms(s["p99_ms"]), ms(s["bm25_p50_ms"])))
        add("")

    more = load(res, "more.json")
    spm = load(res, "spawn-more.json")
    if more or spm:
        more_section(add, more, spm)

    qn = load(res, "queries-nostem.json")
    idxn = load(res, "index-nostem.json")
    nbytes_n = int(load(res, "index-nostem.bytes") or 0)
    if q and qn and idx and idxn:
        add("### Stemming")
        add("")
        add("The same files indexed again with stemming off "
            "(`--stem-language none`: every word as written, as before "
            "stemming) and the same queries run on that index, in this run. "
            "With stemming a query word also finds its other forms in the "
            "index, so it may match more items.")
        add("")
        add("| what | stemming (english) | stemming off | ratio |")
        add("|---|---:|---:|---:|")
        ti, tn = idx["seconds"], idxn["seconds"]
        add("| newsindex, empty index | %s | %s | %.2f× |"
            % (secs(ti), secs(tn), ti / tn if tn else 0))
        if items:
            add("| index bytes per item | %s | %s | %.2f× |"
                % (format(round(nbytes / items), ","),
                   format(round(nbytes_n / items), ","),
                   nbytes / nbytes_n if nbytes_n else 0))
        for label, key in (("p50", "p50_ms"), ("p99", "p99_ms")):
            a, b = q["newsidx"][key], qn["newsidx"][key]
            add("| in-process %s, top 10 with related | %s | %s | %.2f× |"
                % (label, ms(a), ms(b), a / b if b else 0))
        add("| top-10 equal to the exhaustive top-10 | %d of %d | %d of %d "
            "| |" % (q["same_top10"], q["queries"], qn["same_top10"],
                     qn["queries"]))
        add("")
        add("| class | median matches | median matches, off | p50 | p50, "
            "off |")
        add("|---|---:|---:|---:|---:|")
        for cls, s in q["classes"].items():
            o = qn["classes"].get(cls)
            if o is None:
                continue
            add("| %s | %s | %s | %s | %s |"
                % (cls, format(s["median_matches"], ","),
                   format(o["median_matches"], ","), ms(s["p50_ms"]),
                   ms(o["p50_ms"])))
        add("")

    mu = load(res, "multi.json")
    if mu:
        p1, p2 = load(res, "part1.json"), load(res, "part2.json")
        b1, b2 = load(res, "part1.bytes"), load(res, "part2.bytes")
        add("### Several files as one")
        add("")
        add("The item folders split in two halves, each indexed into its own "
            "file (%s and %s; %s and %s bytes), then the %d queries of "
            "`bench/queries.txt` run whole-process as `newsquery --db "
            "part1.db --db part2.db` and as `newsquery --db idx.db`, and the "
            "two JSON documents compared field by field "
            "(`tests/tools/same_results.py`: totals, facets, every hit and "
            "its score, the items each collapsed; not item ids)."
            % (secs(p1["seconds"]) if p1 else "?",
               secs(p2["seconds"]) if p2 else "?",
               format(int(b1), ",") if b1 else "?",
               format(int(b2), ",") if b2 else "?", mu["queries"]))
        add("")
        add("Equal to the one file: **%d of %d** queries." %
            (mu["equal"], mu["queries"]))
        add("")
        add("| whole process | one file | two files | two / one |")
        add("|---|---:|---:|---:|")
        for label, key in (("p50", "p50_ms"), ("p95", "p95_ms"),
                           ("p99", "p99_ms")):
            a, b = mu["one"][key], mu["many"][key]
            add("| %s | %s | %s | %.2f× |" % (label, ms(a), ms(b),
                                             b / a if a else 0))
        add("")

    xp = load(res, "xapian.json")
    if xp:
        add("### Xapian, side by side")
        add("")
        if "skipped" in xp:
            add("Skipped: %s (Debian: `apt-get install xapian-tools "
                "python3-xapian`)." % xp["skipped"])
        else:
            add("Xapian %s indexed the same title and excerpt of the %s "
                "items (positions kept, English stems, no display fields; a "
                "Python loop over the library, not omindex). Then the %d "
                "plain queries of `bench/queries.txt` (classes %s), %d "
                "round(s), each query's two commands run one after the "
                "other as whole processes: `quest -m 10 -s english -o and` "
                "and `newsquery --format json` (top 10 with related items "
                "and snippets). Failed runs: quest %d, newsquery %d."
                % (xp["xapian"], format(xp["items"], ","), xp["queries"],
                   ", ".join(xp["classes"]), xp["rounds"],
                   xp["failed"]["quest"], xp["failed"]["newsquery"]))
            add("")
            add("| what | newsidx | Xapian | newsidx / Xapian |")
            add("|---|---:|---:|---:|")
            nb, xb = xp["newsidx_bytes"], xp["index_bytes"]
            add("| index bytes | %s | %s | %.2f× |"
                % (format(nb, ","), format(xb, ","), nb / xb if xb else 0))
            if idx:
                add("| indexing time | %s | %s | %.2f× |"
                    % (secs(idx["seconds"]), secs(xp["index_seconds"]),
                       idx["seconds"] / xp["index_seconds"]
                       if xp["index_seconds"] else 0))
            for label, key in (("p50", "p50_ms"), ("p95", "p95_ms"),
                               ("p99", "p99_ms")):
                a, b = xp["newsquery"][key], xp["quest"][key]
                add("| whole process, %s | %s | %s | %.2f× |"
                    % (label, ms(a), ms(b), a / b if b else 0))
            add("| whole process, median of the per-query ratios | | | "
                "%.2f× |" % xp["ratio_p50"])
            add("")
            add("| class | newsquery p50 | quest p50 |")
            add("|---|---:|---:|")
            for cls, c in xp["classes"].items():
                add("| %s | %s | %s |" % (cls, ms(c["newsquery_p50_ms"]),
                                         ms(c["quest_p50_ms"])))
        add("")

    add("### Targets")
    add("")
    has_100k = bool(spm and facet_ratios(spm))
    if size == 1000000 and has_100k:
        add("The rows marked \"at 100k\" are defined for 100,000 items and "
            "shown here for orientation only.")
        add("")
    elif size == 100000 and has_100k:
        add("The targets are defined for 1,000,000 items, except those "
            "marked \"at 100k\"; at 100,000 items the others are shown for "
            "orientation only.")
        add("")
    elif size != 1000000:
        add("The targets are defined for 1,000,000 items%s; at %s items "
            "they are shown for orientation only."
            % (" (those marked \"at 100k\" for 100,000)" if has_100k else "",
               format(size, ",")))
        add("")
    add("| target | measured | |")
    add("|---|---:|---|")
    if idx and t_idx:
        rate = items / t_idx
        add("| indexing ≥ 15,000 items/s | %.0f items/s | %s |"
            % (rate, met(rate >= 15000)))
        add("| peak RSS ≤ 256 MiB | %s | %s |"
            % (mib(idx["max_rss_kb"]), met(idx["max_rss_kb"] <= 256 * 1024)))
    if rerun:
        add("| re-run with no change ≤ 10 s | %s | %s |"
            % (secs(rerun["seconds"]), met(rerun["seconds"] <= 10)))
    if idx and t_idx and t_floor:
        add("| indexing ≤ 1.3× the floor (parse + load) | %.2f× | %s |"
            % (t_idx / t_floor, met(t_idx / t_floor <= 1.3)))
    if xp and "skipped" not in xp and xp.get("index_bytes"):
        r = xp["newsidx_bytes"] / xp["index_bytes"]
        add("| index bytes ≤ Xapian's on the same items | %.2f× | %s |"
            % (r, met(r <= 1.0)))
        add("| whole process ≤ `quest` (median of per-query ratios) | "
            "%.2f× | %s |" % (xp["ratio_p50"], met(xp["ratio_p50"] <= 1.0)))
    if q:
        p99 = q["newsidx"]["p99_ms"]
        add("| in-process p99 ≤ 10 ms, whole query set | %s | %s |"
            % (ms(p99), met(p99 <= 10)))
        if q.get("big_queries"):
            sp_b = q["big_speedup_bm25_geomean"]
            worst = q["big_newsidx"]["p99_ms"]
            add("| ≥ 20× faster than the FTS5 baseline on queries with "
                "> 100k matches | %.2f× | %s |" % (sp_b, met(sp_b >= 20)))
        else:
            add("| ≥ 20× faster than the FTS5 baseline on queries with "
                "> 100k matches | no such query at this size | – |")
        same = q["same_top10"] == q["queries"]
        add("| same top-10 as the exhaustive baseline | %d of %d | %s |"
            % (q["same_top10"], q["queries"], met(same)))
    more_targets(add, more, spm)
    add("")
    section = "\n".join(L)
    print(section)

    # Merge into OUT.
    sections = {}
    if os.path.exists(out):
        with open(out) as f:
            text = f.read()
        for m in re.finditer(r"^## ([\d,]+) items\n.*?(?=^## |\Z)", text,
                             re.S | re.M):
            sections[int(m.group(1).replace(",", ""))] = m.group(0).rstrip()
    sections[size] = section.rstrip()
    with open(out, "w") as f:
        f.write(HEADER)
        for k in sorted(sections):
            f.write("\n" + sections[k] + "\n")


if __name__ == "__main__":
    main()
