#!/bin/sh
# Fails with exit 3; the last line of stderr that is not blank says why.
echo "first try" >&2
echo "card declined" >&2
echo "  " >&2
exit 3
