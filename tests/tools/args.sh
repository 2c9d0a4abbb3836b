#!/bin/sh
# Prints each argument on a line of its own.
for a; do printf "%s\n" "$a"; done
