#!/bin/bash
# T190: the progress line comes within a second of the start, also for a
# --rebuild of a big index (emptying it takes seconds), says "counting
# files..." while the first walk runs, then shows the bar.
. "$(dirname "$0")/lib.sh"

# Under valgrind (NX_VALGRIND_BIN, .ci/valgrind) every program starts
# slowly whatever it does: the clock is not checked there, and a small
# tree does for the rest.
N=20000
is_timed=true
if [ -n "${NX_VALGRIND_BIN:-}" ]; then
    N=500
    is_timed=false
fi
python3 "$NX_SOURCE_DIR/tests/cli/gen_items.py" big "$N" || exit 1
run_index --db t.db -q big
check_eq "first run: exit 0" 0 "$rc"

# first_draw ARGS...: newsindex --progress ARGS; prints the seconds to
# its first byte on stderr, and keeps stderr in .err.
first_draw() {
    python3 - "$NEWSINDEX" --progress "$@" <<'PY'
import subprocess, sys, time
t0 = time.monotonic()
p = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
first, data = None, b""
while True:
    b = p.stderr.read1(65536)
    if not b:
        break
    if first is None:
        first = time.monotonic() - t0
    data += b
p.wait()
open(".err", "wb").write(data)
print("%.3f" % (first if first is not None else 99))
sys.exit(p.returncode)
PY
}
t=$(first_draw --db t.db --rebuild big)
rc=$?
check_eq "rebuild: exit 0" 0 "$rc"
$is_timed && check "rebuild: the first draw within 1 s (at $t s)" \
    python3 -c "import sys; sys.exit(0 if $t < 1 else 1)"
check "rebuild: says it empties the index first" \
    grep -aq $'^\r\e\\[Kemptying the index\\.\\.\\.' .err
check "rebuild: says it counts the files" grep -aq 'counting files\.\.\.' .err
check "rebuild: then the bar" grep -aq "/$N files " .err
check "rebuild: the summary after it" grep -aq "newsindex: $N added" .err
t=$(first_draw --db t.db big)
$is_timed && check "re-run: the first draw within 1 s (at $t s)" \
    python3 -c "import sys; sys.exit(0 if $t < 1 else 1)"
check "re-run: starts counting" grep -aq $'^\r\e\\[Kcounting files\\.\\.\\.' .err
# Not a terminal and no --progress: no bar.
run_index --db t.db big
check "no --progress, not a terminal: no bar" bash -c "! grep -aq 'counting' '$TMP/.err'"

finish
