# .ci/valgrind-env.sh - sourced by bash through BASH_ENV during the
# valgrind stage (.ci/valgrind), before each test script runs: point the
# program variables ctest set at the valgrind wrappers of the same name in
# $NX_VALGRIND_BIN.  Idempotent, so nested bash processes are harmless.
if [ -n "${NX_VALGRIND_BIN:-}" ]; then
    for nx_vg_var in NEWSINDEX NEWSQUERY NX_SAMPLE_SEARCH NX_SAMPLE_FEED \
        NX_SAMPLE_RELATED; do
        nx_vg_val=${!nx_vg_var:-}
        if [ -n "$nx_vg_val" ] && [ "${nx_vg_val%/*}" != "$NX_VALGRIND_BIN" ] &&
            [ -x "$NX_VALGRIND_BIN/${nx_vg_val##*/}" ]; then
            export "$nx_vg_var=$NX_VALGRIND_BIN/${nx_vg_val##*/}"
        fi
    done
    unset nx_vg_var nx_vg_val
fi
