#!/bin/sh
# Prints a JSON object.
printf '{"ok": true, "n": 2}\n'
