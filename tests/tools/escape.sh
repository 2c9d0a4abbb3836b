#!/bin/sh
# Answers and exits 0, leaving a child outside its group (setsid) that holds stdout (its pid to $1).
setsid sleep 30 &
echo $! >"$1"
echo '{"x": 1}'
