#!/bin/bash
# T180: newsindex --json: one valid JSON object on one line (checked by a
# real parser, also with a file name that is not UTF-8), with its format
# version and the program's version, the counts, the failed files with
# their reasons and the warnings, the same on a re-run of unchanged files.
. "$(dirname "$0")/lib.sh"

mkdir -p arch
printf -- '---\ntitle: Good item about quokkas\n---\n' >arch/good.md
printf -- '---\ntitle: Warned item\nquality: high\nheat: hot\n---\n' >arch/warn.md
printf 'no front matter\n' >arch/plain.md
printf -- '---\ntitle: "broken\n---\n' >arch/$'bad\xff.md'
printf -- '---\ntitle: Warned too\nquality: high\n---\n' >arch/$'warned\xfe.md'
abs=$(realpath arch)

# expect_json TAG PYTHON: $out parses (strict UTF-8) and PYTHON (on d, the
# object) is true.
expect_json() {
    printf '%s\n' "$out" >"$TMP/.json"
    check "$1: valid JSON" valid_json "$TMP/.json"
    check "$1: one line" test "$(wc -l <"$TMP/.json")" -eq 1
    check "$1: $2" python3 -c '
import json, sys
d = json.loads(open(sys.argv[1], "rb").read().decode("utf-8", "strict"))
abs, version = sys.argv[2], sys.argv[3]
sys.exit(0 if eval(sys.argv[4]) else 1)' "$TMP/.json" "$abs" "$version" "$2"
}
version=$("$NEWSINDEX" --version | sed 's/.* //')

run_index --db t.db --json -q arch
check_eq "first run: exit 5" 5 "$rc"
check_eq "first run: -q prints only the error" 1 "$(wc -l <.err)"
expect_json "first run" 'd["version"] == 1 and d["newsidx_version"] == version'
expect_json "first run" 'list(d) == ["version", "newsidx_version", "db", "added", "updated", "renamed", "unchanged", "removed", "skipped", "failed", "warnings", "bytes", "items", "seconds", "failures", "warning_details"]'
expect_json "first run" '(d["added"], d["skipped"], d["failed"], d["warnings"], d["items"]) == (3, 1, 1, 3, 3)'
expect_json "first run: the failed file" 'd["failures"] == [{"path": abs + "/bad\ufffd.md", "line": 3, "column": 1, "reason": "found unexpected end of stream while scanning a quoted scalar"}]'
expect_json "first run: the warnings" 'd["warning_details"] == [
  {"path": abs + "/warn.md", "line": 3, "column": 10, "field": "quality", "message": "expected a whole number, got \u0027high\u0027"},
  {"path": abs + "/warn.md", "line": 4, "column": 7, "field": "heat", "message": "expected a whole number, got \u0027hot\u0027"},
  {"path": abs + "/warned\ufffd.md", "line": 3, "column": 10, "field": "quality", "message": "expected a whole number, got \u0027high\u0027"}]'

# Re-run, nothing changed: the same failures and warnings, standing.
first_failures=$(printf '%s' "$out" | jq -c '.failures')
first_warnings=$(printf '%s' "$out" | jq -c '.warning_details')
run_index --db t.db --json arch
check_eq "re-run: exit 5" 5 "$rc"
expect_json "re-run" '(d["added"], d["unchanged"], d["skipped"], d["failed"], d["warnings"], d["bytes"]) == (0, 3, 1, 1, 3, 0)'
check_eq "re-run: the same failures" "$first_failures" "$(printf '%s' "$out" | jq -c '.failures')"
check_eq "re-run: the same warnings" "$first_warnings" "$(printf '%s' "$out" | jq -c '.warning_details')"
check_eq "re-run: stderr tells only the error and the summary" \
"arch/bad"$'\xff'".md:3:1: error: found unexpected end of stream while scanning a quoted scalar
newsindex: 0 added, 0 updated, 0 renamed, 3 unchanged, 0 removed, 1 skipped, 1 failed (3 warnings); 3 items in t.db; SECONDS
newsindex: 1 not news item and 3 warnings told in earlier runs (--verbose lists them)" \
    "$(sed -E 's/; [0-9.]+ s$/; SECONDS/' .err)"

# A failure without a position (a file over --max-size): line and column
# null; a warning field may be null (invalid UTF-8 in the file).
head -c 2000 /dev/zero | tr '\0' 'x' >>arch/good.md
printf -- '---\ntitle: "Caf\xe9 item"\n---\n' >arch/latin1.md
run_index --db t.db --json --max-size 1K arch
expect_json "positions" 'any(f["path"] == abs + "/good.md" and f["line"] is None and f["column"] is None and "limit" in f["reason"] for f in d["failures"])'
expect_json "positions" 'any(w["path"] == abs + "/latin1.md" and w["field"] is None for w in d["warning_details"])'

# A db name that is not UTF-8, a path typed relative: still valid JSON.
run_index --db $'t\xfd.db' --json arch
expect_json "db not UTF-8" 'd["db"] == "t\ufffd.db" and d["added"] == 4'

# Nothing to list: empty lists; the counts of a run with no PATH left.
rm -f arch/*.md
printf -- '---\ntitle: Alone\n---\n' >arch/alone.md
run_index --db t.db --json arch
check_eq "clean: exit 0" 0 "$rc"
expect_json "clean" 'd["failures"] == [] and d["warning_details"] == [] and d["removed"] == 4 and d["added"] == 1'

finish
