#!/bin/sh
# Echoes its stdin (the call record) to stdout.
exec cat
