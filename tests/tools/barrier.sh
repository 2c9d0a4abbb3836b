#!/bin/sh
# barrier.sh DIR N: marks DIR/$AGRAPH_TOOL, then waits until N marks are
# there (at most 5 s, else exit 1): N probes pass only when they run at once.
touch "$1/$AGRAPH_TOOL"
i=0
while [ "$(find "$1" -type f | wc -l)" -lt "$2" ]; do
	i=$((i + 1))
	[ $i -le 500 ] || { echo "only $(find "$1" -type f | wc -l) of $2 at once" >&2; exit 1; }
	sleep 0.01
done
