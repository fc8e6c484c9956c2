#!/bin/sh
# SPDX-License-Identifier: MIT
# stress.sh -- the short form of the stress test for make check: about 40
# SIGKILLs of random lock holders (make stress runs 1,000 and more).
exec "${top_builddir:-.}/tests/stress" -k 40
