#!/bin/sh
# Not executable (mode 644): running it is a spawn error.
echo never
