#!/bin/sh
# Prints the variables of the tool protocol and HOME.
printf "%s|%s|%s|%s|%s\n" "$AGRAPH_TRACE" "$AGRAPH_TOOL" "$AGRAPH_CALL" "$AGRAPH_ATTEMPT" "$HOME"
