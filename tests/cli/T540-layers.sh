#!/bin/bash
# T540: the build enforces libnewsidx's layering (docs/architecture.md): a
# file can include the headers of its own layer and of those below it, and
# no other; the programs only the public header and the shared CLI code.
# And no layer's object calls a function of a layer above it or across.
. "$(dirname "$0")/lib.sh"

: "${NX_BUILD_DIR:?run through ctest}"
if [ ! -f "$NX_BUILD_DIR/compile_commands.json" ] || ! command -v python3 > /dev/null; then
    echo "skipped: needs compile_commands.json and python3"
    exit 77
fi
check "each layer includes and calls only what lies below it" \
    python3 "$NX_SOURCE_DIR/tests/tools/layers.py" "$NX_BUILD_DIR"

finish
