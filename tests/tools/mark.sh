#!/bin/sh
# Leaves a mark that it ran (a file TOOL.ATTEMPT in $MARKS, when set) and
# prints a JSON object.
[ -z "$MARKS" ] || : >>"$MARKS/$AGRAPH_TOOL.$AGRAPH_ATTEMPT"
printf '{"tool": "%s", "n": 2}\n' "$AGRAPH_TOOL"
