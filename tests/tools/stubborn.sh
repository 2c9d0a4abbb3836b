#!/bin/sh
# Ignores SIGTERM and sleeps: only SIGKILL ends it.
trap '' TERM
sleep 10
