#!/usr/bin/env python3
"""Check that the build enforces libnewsidx's layering (docs/architecture.md).

For a file of each layer and of each program, compile a one-line probe
beside it that includes a header, with that file's own compile command
(from compile_commands.json).  The headers a layer may use must compile;
those of a layer above it, of the other half, or of the library (for a
program) must not.  Then read the layers' object files (nm): no function
of a layer calls one of a layer above it or of the other half, even
through a prototype written by hand, and each third-party library is
called from its one file (SQLite from none of the base layer).  Last, no
#include "..." in indexer/ or query/ names a folder, which would reach
around the include directories.  (The programs' own includes are
checked by T530.)  Usage: layers.py BUILD_DIR
"""
import glob
import json
import os
import shlex
import subprocess
import sys

# file of the layer: (headers it may include, headers it must not)
RULES = {
    "indexer/base/url.c": (["base.h"],
                           ["format.h", "fts5read.h", "write.h", "query.h",
                            "results.h", "cli.h"]),
    "indexer/format/terms.c": (["base.h", "format.h", "fts5read.h"],
                               ["write.h", "query.h", "results.h", "cli.h"]),
    "indexer/store.c": (["base.h", "format.h", "fts5read.h", "write.h"],
                        ["query.h", "results.h", "cli.h"]),
    "query/search.c": (["base.h", "format.h", "fts5read.h", "query.h",
                        "results.h"],
                       ["write.h", "cli.h"]),
    "indexer/cli/cli.c": (["newsidx.h", "cli.h", "printer.h"],
                          ["base.h", "format.h", "write.h", "query.h"]),
    "indexer/main.c": (["newsidx.h", "cli.h", "printer.h"],
                       ["base.h", "format.h", "write.h", "query.h"]),
    "query/main.c": (["newsidx.h", "cli.h", "printer.h", "emit.h"],
                     ["base.h", "format.h", "write.h", "query.h",
                      "results.h"]),
}


def compiles(entry, header):
    args = shlex.split(entry["command"]) if "command" in entry \
        else list(entry["arguments"])
    src = entry["file"]
    probe = os.path.join(os.path.dirname(src), ".nx_layer_probe.c")
    with open(probe, "w") as f:
        f.write('#include "%s"\nint nx_layer_probe(void);\n'
                'int nx_layer_probe(void) { return 0; }\n' % header)
    try:
        args[args.index(src) if src in args else args.index("-c") + 1] = probe
        if "-o" in args:
            args[args.index("-o") + 1] = os.devnull
        r = subprocess.run(args, cwd=entry["directory"],
                           capture_output=True, text=True)
        return r.returncode == 0
    finally:
        os.unlink(probe)


LAYERS = {"nx_base": 0, "nx_format": 1, "nx_write": 2, "nx_read": 3}


def read_objects(build):
    """{object: (layer level, symbols it defines, symbols it uses)} of
    every object of the layers, from one nm run each."""
    objects = {}
    for layer, n in LAYERS.items():
        pattern = os.path.join(build, "**", "CMakeFiles", layer + ".dir",
                               "**", "*.o")
        for obj in glob.glob(pattern, recursive=True):
            out = subprocess.run(["nm", obj], capture_output=True,
                                 text=True, check=True).stdout
            defined, used = set(), set()
            for line in out.splitlines():
                f = line.split()
                if len(f) == 3 and f[1] in "TDBR":
                    defined.add(f[2])
                elif len(f) == 2 and f[0] == "U":
                    used.add(f[1])
            objects[obj] = (n, defined, used)
    return objects


def upward_calls(objects):
    """(caller object, callee object, symbol) of every call up or across."""
    owner = {sym: obj for obj, (_, defined, _) in objects.items()
             for sym in defined}
    found = []
    for obj, (a, _, used) in objects.items():
        for sym in used:
            callee = owner.get(sym)
            if callee is None:
                continue
            b = objects[callee][0]
            if b > a or (a >= 2 and b >= 2 and a != b):
                found.append((obj, callee, sym))
    return found

# Each third-party library is used in one file (../shared/STYLE.md 2.1),
# and the base layer uses no SQLite: symbol prefix -> the objects that may
# use it (None: any object outside the base layer).
OWNERS = {
    "yaml_": {"frontmatter.c.o"},
    "sb_stemmer_": {"stem.c.o"},
    "utf8proc_": {"normalize.c.o"},
    "sqlite3_": None,
}


def library_calls(objects):
    """(object, symbol, why) of each third-party call out of its place."""
    found = []
    for obj, (n, _, used) in objects.items():
        name = os.path.basename(obj)
        for sym in used:
            for prefix, owners in OWNERS.items():
                if not sym.startswith(prefix):
                    continue
                if owners is None and n == 0:
                    found.append((name, sym, "the base layer"))
                elif owners is not None and name not in owners:
                    found.append((name, sym, "only " +
                                  ", ".join(sorted(owners))))
    return found

def path_includes(root):
    """(file, line) of each #include "..." that names a folder: a path
    reaches around the include directories the layers are given."""
    found = []
    for folder in ("indexer", "query"):
        for dirpath, _, files in os.walk(os.path.join(root, folder)):
            for f in files:
                if not f.endswith((".c", ".h")):
                    continue
                path = os.path.join(dirpath, f)
                with open(path, encoding="utf-8") as fh:
                    for line in fh:
                        t = line.strip()
                        if t.startswith("#") and "include" in t and \
                                '"' in t and "/" in t.split('"')[1]:
                            found.append((os.path.relpath(path, root), t))
    return found


def main():
    build = sys.argv[1]
    with open(os.path.join(build, "compile_commands.json")) as f:
        entries = json.load(f)
    bad = 0
    for rel, (allowed, forbidden) in RULES.items():
        matches = [e for e in entries if e["file"].endswith("/" + rel)]
        if not matches:
            print("layers: no compile command for %s" % rel)
            bad += 1
            continue
        for h in allowed:
            if not compiles(matches[0], h):
                print("layers: %s cannot include %s, but may" % (rel, h))
                bad += 1
        for h in forbidden:
            if compiles(matches[0], h):
                print("layers: %s can include %s, but must not" % (rel, h))
                bad += 1
    objects = read_objects(build)
    n_objects = len(objects)
    if n_objects < 30:
        print("layers: only %d layer objects found in %s" % (n_objects, build))
        bad += 1
    for caller, callee, sym in upward_calls(objects):
        print("layers: %s calls %s in %s, a layer above or across" %
              (os.path.basename(caller), sym, os.path.basename(callee)))
        bad += 1
    for obj, sym, why in library_calls(objects):
        print("layers: %s uses %s, which belongs to %s" % (obj, sym, why))
        bad += 1
    root = os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))))
    for path, line in path_includes(root):
        print("layers: %s: %s names a folder" % (path, line))
        bad += 1
    print("layers: %d files and %d objects checked, %d problems" %
          (len(RULES), n_objects, bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
