#!/bin/sh
# Writes one JSON value in pieces, over time.
printf '{"a":'
sleep 0.2
printf ' [1,'
sleep 0.2
printf '2]}\n'
