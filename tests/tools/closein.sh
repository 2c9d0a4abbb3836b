#!/bin/sh
# Closes its stdin at once, then answers.
exec 0<&-
sleep 0.1
echo closed
