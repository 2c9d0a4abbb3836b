#!/bin/sh
# Starts a grandchild that ignores SIGTERM (its pid to $1), then sleeps.
(trap '' TERM; exec sleep 30) &
echo $! >"$1"
sleep 30
