#!/usr/bin/env bash
# `make demo`: the main job, offline, on the embedded default (SQLite). A January 2024
# course on a bundled MediaWiki export (src/wikicourse/demo/demo-wiki.xml), updated
# mid-course, a student dis-enrolled, updated again: the same update cycle as a real wiki.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .run
rm -f .run/demo.sqlite .run/demo.sqlite-*
export WIKICOURSE_DB="sqlite:///$PWD/.run/demo.sqlite"
EXPORT=$(python -c 'from wikicourse.demo import DEMO_XML; print(DEMO_XML.resolve().as_uri())')
WIKI=demo.wikicourse.invalid   # a reserved domain: the demo can never reach a real wiki

run() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }

run wikicourse wiki add "$WIKI" --api-url "$EXPORT"
run wikicourse course create demo-2024 --title "Writing Wikipedia, January 2024" \
    --start 2024-01-01 --end 2024-01-31 --wiki "$WIKI"
run wikicourse enroll demo-2024 "Amara Okafor" "Lena Fischer" "Tomás Ibáñez" "Zofia Wiśniewska" \
    "Priya Raman" "Ólafur Jónsson" "Jonas Berg" "Mei Chen"
run wikicourse enroll demo-2024 "Helen Carter (Wiki Ed)" --role instructor
run wikicourse update demo-2024 --as-of 2024-01-16T00:00:00Z
run wikicourse stats demo-2024
run wikicourse disenroll demo-2024 "Priya Raman"
# Same clock: the drop is her edits alone, re-derived locally (no wiki is asked).
run wikicourse update demo-2024 --as-of 2024-01-16T00:00:00Z
# The course goes on: the rest of January comes in.
run wikicourse update demo-2024 --as-of 2024-02-01T00:00:00Z
run wikicourse stats demo-2024
# The invariant, shown: a rebuild from scratch gives the same figures.
run wikicourse update demo-2024 --full --as-of 2024-02-01T00:00:00Z
# What the course had done by mid-January, for a term report.
run wikicourse stats demo-2024 --until 2024-01-15
# A workshop within the month shares three students: their edits are read once, for both
# courses; a campaign of the two counts each revision and each student once.
run wikicourse course create workshop-2024 --title "Wikipedia workshop, January 2024" \
    --start 2024-01-10 --end 2024-01-20 --wiki "$WIKI"
run wikicourse enroll workshop-2024 "Amara Okafor" "Lena Fischer" "Mei Chen" "Priya Raman"
run wikicourse update workshop-2024 --as-of 2024-02-01T00:00:00Z
run wikicourse campaign create january-2024 --title "January 2024 programs"
run wikicourse campaign add january-2024 demo-2024 workshop-2024
run wikicourse campaign stats january-2024
printf '\nDatabase: %s (inspect it with `wikicourse stats demo-2024 --json`)\n' "$WIKICOURSE_DB"
printf 'In a browser: .venv/bin/wikicourse --db %s serve, then http://127.0.0.1:8000/\n' "$WIKICOURSE_DB"
