#!/bin/sh
# Prints bytes that are not UTF-8, and a NUL.
printf 'a\377b\300\000c\n'
