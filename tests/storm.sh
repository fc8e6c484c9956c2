#!/bin/sh
# SPDX-License-Identifier: MIT
# storm.sh -- the short form of the storm for make check: its four forms
# (default and persistent registry, without and with kills) a few seconds
# each, then the two checks of its checker: without any lock it must see
# overlaps, and under an flock that excludes for sure it must see none
# (make stress runs the four forms STORM_SECONDS each).
storm="${top_builddir:-.}/tests/storm"
secs=${STORM_CHECK_SECONDS:-3}
fail=0
skipped=0

for form in "" "-k" "-p" "-p -k"; do
    echo "storm -s $secs${form:+ $form}"
    # shellcheck disable=SC2086 # the form is several words on purpose
    "$storm" -s "$secs" $form
    rc=$?
    case $rc in
    0) ;;
    77) skipped=$((skipped + 1)) ;;
    *) fail=1 ;;
    esac
done
if [ "$skipped" -eq 4 ]; then
    # It counts every object of its namespace: it needs one of its own.
    echo "skipped: the storm needs a private IPC namespace (unshare refused)"
    exit 77
fi
[ "$skipped" -ne 0 ] && fail=1

# The checker itself: no lock at all must give overlaps...
echo "storm -s 1 -X nolock (must report overlaps)"
out=$("$storm" -s 1 -X nolock 2>/dev/null)
echo "$out"
case $out in
*", 0 overlaps,"*) echo "storm.sh: no overlap seen without a lock" >&2; fail=1 ;;
*" overlaps,"*) ;;
*) echo "storm.sh: no summary from storm -X nolock" >&2; fail=1 ;;
esac
# ...and a lock that certainly excludes, with kills, none: a dead
# holder's token is not an overlap.
echo "storm -s 2 -k -X flock (must report no overlap)"
out=$("$storm" -s 2 -k -X flock)
echo "$out"
case $out in
*", 0 overlaps,"*) ;;
*) echo "storm.sh: overlaps reported under an flock" >&2; fail=1 ;;
esac
exit $fail
