# .ci/lib.sh - stage bookkeeping for .ci/run (sourced).
#
# ci_stage NAME COMMAND...: run a stage between banners, time it, and on
# failure print which stage failed (with its exit status) and exit; with
# NX_CI_KEEP_GOING=1 the other stages run first (to see every failure and
# every stage's time), and ci_summary exits 1.
# ci_summary: the time of every stage.

ci_times=()
ci_failed=""

ci_stage() {
    local name=$1
    shift
    local start=$SECONDS rc=0
    echo
    echo "======== stage $name: start ($(date -u +%H:%M:%S))"
    # An asynchronous subshell, waited for: `set -e` holds inside it (in
    # `( ... ) || rc=$?` bash would ignore it), and a failing stage
    # returns here instead of ending the run silently.
    ( set -euo pipefail; "$@" ) &
    wait $! || rc=$?
    local t=$((SECONDS - start))
    ci_times+=("$(printf '%-10s %4ds' "$name" "$t")")
    if [ "$rc" -ne 0 ]; then
        echo
        echo "======== stage $name: FAILED (exit $rc) after ${t}s"
        ci_failed="$ci_failed $name"
        if [ "${NX_CI_KEEP_GOING:-0}" != 1 ]; then
            ci_summary
        fi
        return 0
    fi
    echo "======== stage $name: ok (${t}s)"
}

ci_summary() {
    echo
    echo "======== stage times"
    printf '  %s\n' "${ci_times[@]}"
    echo "  total      $(printf '%4d' "$SECONDS")s"
    if [ -n "$ci_failed" ]; then
        echo "CI FAILED in stage:$ci_failed" >&2
        exit 1
    fi
    echo "CI passed"
}
