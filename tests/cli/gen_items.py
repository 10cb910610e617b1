#!/usr/bin/env python3
"""Write N small synthetic news items into a folder (for crash and bulk
tests).  Deterministic for a given seed; needs only the standard library."""
import os
import random
import sys

WORDS = ("market robot vision model chip cloud privacy startup health "
         "energy policy court city finance security language data").split()


def main():
    out, n = sys.argv[1], int(sys.argv[2])
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    rnd = random.Random(seed)
    for i in range(n):
        sub = os.path.join(out, "d%03d" % (i // 500))
        os.makedirs(sub, exist_ok=True)
        title = " ".join(rnd.choice(WORDS) for _ in range(6))
        excerpt = " ".join(rnd.choice(WORDS) for _ in range(30))
        rel = "".join(
            '  - title: "related %d %d"\n    webUrl: "https://ex.org/%d"\n'
            % (i, k, rnd.randrange(n)) for k in range(rnd.randrange(4)))
        with open(os.path.join(sub, "item-%06d.md" % i), "w") as f:
            f.write('---\ncategory: news\ntitle: "Item%d %s"\n'
                    'excerpt: "%s"\npublishedDateTime: 2021-03-%02dT10:00:00Z\n'
                    'webUrl: "https://ex.org/%d"\ntype: article\n'
                    'quality: %d\nheat: %d\npublished: true\n'
                    'provider:\n  name: Ex\n  domain: ex.org\n'
                    'topics:\n  - AI\n%s---\n'
                    % (i, title, excerpt, 1 + i % 28, i, rnd.randrange(150),
                       rnd.randrange(-1, 300),
                       "related:\n" + rel if rel else ""))


if __name__ == "__main__":
    main()
