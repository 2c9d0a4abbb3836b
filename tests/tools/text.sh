#!/bin/sh
# Prints a line of text, which is no JSON.
printf 'hello world\n'
