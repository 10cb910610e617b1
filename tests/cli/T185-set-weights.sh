#!/bin/bash
# T185: newsindex --set-weights SPEC stores the ranking default (meta
# 'weights') that newsquery reads; a malformed SPEC is a usage error that
# writes nothing; "" removes it; --rebuild keeps it.
. "$(dirname "$0")/lib.sh"

weights() {
    sql t.db "SELECT value FROM meta WHERE key = 'weights'"
}
copy_samples news

# Without a PATH, on a new index: made, set, nothing printed.
run_index --db t.db --set-weights title=12,prior=0.2
check_eq "alone: exit 0" 0 "$rc"
check_eq "alone: quiet" "" "$out$err"
check_eq "alone: stored" "title=12,prior=0.2" "$(weights)"

# With PATHs: set, then index; newsquery ranks with it (form=0.25 shows).
run_index --db t.db --set-weights form=0.25,fresh=30 news
check_eq "with PATH: exit 0" 0 "$rc"
check_eq "with PATH: replaced" "form=0.25,fresh=30" "$(weights)"
run_query -f json --explain robots
check_eq "newsquery reads it" 0.25 "$(printf '%s' "$out" | jq '.form_weight')"

# Malformed: exit 2, the pair named, nothing written, no file made.
bad() {
    run_index --db "$1" --set-weights "$2" news
    check_eq "'$2': exit 2" 2 "$rc"
    check_eq "'$2': the message" "newsindex: error: --set-weights: $3
Try 'newsindex --help' for more information." "$err"
}
bad t.db titel=3 "ranking weight 'titel=3' is not NAME=VALUE with a NAME of title, excerpt, body, quality, heat, prior, form or fresh"
bad t.db title=10,prior=2 "ranking weight 'prior=2' needs a number from 0 to 0.9"
bad t.db form=1.5 "ranking weight 'form=1.5' needs a number from 0 to 1"
bad t.db title=-1 "ranking weight 'title=-1' needs a number from 0 to 1000"
bad t.db title=1e3 "ranking weight 'title=1e3' needs a number from 0 to 1000"
bad t.db 'title=10,' "ranking weights 'title=10,' have an empty pair"
bad t.db title "ranking weight 'title' is not NAME=VALUE with a NAME of title, excerpt, body, quality, heat, prior, form or fresh"
bad new.db 'title=10, excerpt=4' "ranking weight ' excerpt=4' is not NAME=VALUE with a NAME of title, excerpt, body, quality, heat, prior, form or fresh"
check_eq "malformed: the stored one stays" "form=0.25,fresh=30" "$(weights)"
check "malformed: no index made" test ! -e new.db

# --rebuild keeps it; "" removes it.
run_index --db t.db --rebuild news
check_eq "rebuild keeps it" "form=0.25,fresh=30" "$(weights)"
run_index --db t.db --set-weights ''
check_eq "'': exit 0" 0 "$rc"
check_eq "'': removed" "" "$(weights)"
run_query -f json --explain robots
check_eq "'': newsquery back to the default" 0.5 "$(printf '%s' "$out" | jq '.form_weight')"

finish
