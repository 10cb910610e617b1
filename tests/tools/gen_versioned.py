#!/usr/bin/env python3
"""gen_versioned.py DIR N VERSION: write N news items whose every part
carries VERSION, for tests/cli/T620-concurrency.sh.

Item I at version V (file DIR/dNNN/gen-IIIIII.md, same path every version):
  title      "Gen I vV WORD"   (WORD = WORDS[I % len(WORDS)])
  excerpt    "Excerpt of gen I at vV: ..."
  topics     ["ver V"]
  related    K = related_count(I, V) entries (1 to 4), entry k titled
             "rel I.k vV" with webUrl https://gen.example/rel/I/k
A reader that sees title version V must see the excerpt, the topic and
exactly K related entries of version V: anything else is a half-applied
file.  Each file is written to a temporary name and renamed into place, so
the indexer never reads a half-written file."""
import os
import sys

WORDS = "alpha bravo charlie delta echo foxtrot golf hotel".split()


def related_count(i, v):
    return 1 + (i * 7 + v) % 4


def item(i, v):
    rel = "".join(
        '  - title: "rel %d.%d v%d"\n'
        '    webUrl: "https://gen.example/rel/%d/%d"\n'
        '    provider:\n      name: Rel\n' % (i, k, v, i, k)
        for k in range(related_count(i, v)))
    return ('---\ntitle: "Gen %d v%d %s"\n'
            'excerpt: "Excerpt of gen %d at v%d: %s news"\n'
            'publishedDateTime: 2021-04-%02dT08:00:00Z\n'
            'webUrl: "https://gen.example/item/%d"\n'
            'quality: %d\nheat: %d\npublished: true\n'
            'provider:\n  name: Gen\n  domain: gen.example\n'
            'topics:\n  - "ver %d"\n'
            'related:\n%s---\nBody of gen %d, version %d.\n'
            % (i, v, WORDS[i % len(WORDS)], i, v, WORDS[(i + v) % len(WORDS)],
               1 + i % 28, i, i % 100, (i * 13) % 300, v, rel, i, v))


def main():
    out, n, v = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    for i in range(n):
        sub = os.path.join(out, "d%03d" % (i // 1000))
        os.makedirs(sub, exist_ok=True)
        path = os.path.join(sub, "gen-%06d.md" % i)
        with open(path + ".tmp", "w") as f:
            f.write(item(i, v))
        os.replace(path + ".tmp", path)


if __name__ == "__main__":
    main()
