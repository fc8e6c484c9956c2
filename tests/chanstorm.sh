#!/bin/sh
# SPDX-License-Identifier: MIT
# chanstorm.sh -- the short form of the channel's kill storm for make
# check and make chanstorm: the storm in the default and a persistent
# registry, and traffic without kills, a few seconds each
# (CHANSTORM_CHECK_SECONDS, default 3); then the two checks of its
# checker: receivers that forget a message must give lost ones, receivers
# that record one twice duplicated ones (make stress runs the three forms
# CHANSTORM_SECONDS each).
chanstorm="${top_builddir:-.}/tests/chanstorm"
secs=${CHANSTORM_CHECK_SECONDS:-3}
fail=0

# "-k -c 264 -m 256": a ring of one largest record, where a record must
# run past the ring's end (a largest message once waited there for ever).
for form in "-k" "-p -k" "" "-k -c 264 -m 256"; do
    echo "chanstorm -s $secs${form:+ $form}"
    # shellcheck disable=SC2086 # the form is several words on purpose
    "$chanstorm" -s "$secs" $form || fail=1
done

# The checker itself: a forgotten message is lost, a doubled one doubled.
for t in lose:lost dup:duplicated; do
    echo "chanstorm -s 2 -k -X ${t%%:*} (must report ${t#*:} messages)"
    out=$("$chanstorm" -s 2 -k -X "${t%%:*}" 2>/dev/null)
    echo "$out"
    case $out in
    *" 0 ${t#*:},"*)
        echo "chanstorm.sh: -X ${t%%:*} gave no ${t#*:} message" >&2
        fail=1
        ;;
    *" ${t#*:},"*) ;;
    *)
        echo "chanstorm.sh: no summary from chanstorm -X ${t%%:*}" >&2
        fail=1
        ;;
    esac
done
exit $fail
