#!/bin/sh
# SPDX-License-Identifier: MIT
# check-format.sh -- every C source follows .clang-format.  Skipped (77)
# where clang-format is not installed.
set -u
command -v clang-format >/dev/null 2>&1 || {
    echo "check-format: clang-format not installed" >&2
    exit 77
}
cd "${top_srcdir:-.}" || exit 99
files=$(ls lib/*.[ch] lib/sysv/*.[ch] registry/*.[ch] tests/*.[ch] \
    examples/*.c tests/interop/*.cpp tools/*.[ch] 2>/dev/null)
if clang-format --dry-run -Werror $files; then
    echo "check-format: $(echo "$files" | wc -l) files formatted as .clang-format says"
    exit 0
fi
echo "check-format: run clang-format -i on the files above" >&2
exit 1
