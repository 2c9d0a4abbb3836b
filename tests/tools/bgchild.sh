#!/bin/sh
# Answers and exits 0, leaving a child in its group that holds stdout (its pid to $1).
sleep 30 &
echo $! >"$1"
echo '{"x": 1}'
