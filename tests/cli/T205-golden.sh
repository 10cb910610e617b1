#!/bin/bash
# T205: where the output is the point, the whole of it, compared with
# expected files (tests/cli/expected/T205-*), as notmuch's tests compare
# theirs: newsindex's summary, newsquery's text, JSON, JSONL and paths
# output over the sample set, its hints, the count with facets, and the
# messages of mistakes.  Each file holds the exit status, stdout and
# stderr; the temporary folder shows as TMP and times as N.  After a
# deliberate change of output, NX_UPDATE_EXPECTED=1 ctest -R T205 writes
# the files again: review the diff before committing it.
. "$(dirname "$0")/lib.sh"

golden_sanitize() {
    sed -E -e "s|$TMP|TMP|g" \
        -e 's/; [0-9]+\.[0-9]+ s$/; N s/' \
        -e 's/"seconds": ?[0-9.e+-]+/"seconds": N/'
}

copy_samples news
golden T205-index-first "$NEWSINDEX" --db t.db news
golden T205-index-again "$NEWSINDEX" --db t.db news
golden T205-index-json "$NEWSINDEX" --db t.db --json news

q() {
    local name=$1
    shift
    golden "T205-query-$name" "$NEWSQUERY" --db t.db "$@"
}
q text zurich
q related --related 3 quill
q facets -n 3 --facets topic,year zurich OR munchen
q count-facets --count --facets topic,year topic:AI
q offset-past --offset 100 quill
q hint-unpublished quill
q all --all -n 2 quill
q json -f json -n 2 zurich
q jsonl -f jsonl -n 2 quill
q paths --format paths quill
q explain --explain -n 1 avalanche
q no-match zzzyyyxxx
q option-as-word -- -quill
q unknown-option --frobnicate quill
q bad-range 'date:2021-13'
q bad-weights --weights titel=3 quill

finish
