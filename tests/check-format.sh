#!/bin/sh
# SPDX-License-Identifier: MIT
# check-format.sh -- every C source follows .clang-format (make
# check-format; CI runs it).  Fails where clang-format is not installed.
set -u
command -v clang-format >/dev/null 2>&1 || {
    echo "check-format: clang-format is not installed" >&2
    exit 1
}
cd "${top_srcdir:-.}" || exit 99
files=$(ls common/*.[ch] lib/*.[ch] lib/sysv/*.[ch] registry/*.[ch] \
    tests/*.[ch] examples/*.c tests/interop/*.cpp tools/*.[ch] \
    bench/*.[ch] bench/*.cpp 2>/dev/null)
if clang-format --dry-run -Werror $files; then
    echo "check-format: $(echo "$files" | wc -l) files formatted as .clang-format says"
    exit 0
fi
echo "check-format: run clang-format -i on the files above" >&2
exit 1
