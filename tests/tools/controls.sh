#!/bin/sh
# Prints $1 bytes of U+0001, each of which JSON writes as six.
head -c "$1" /dev/zero | tr '\0' '\1'
