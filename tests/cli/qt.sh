#!/bin/sh
# SPDX-License-Identifier: MIT
# qt.sh -- a Qt5 consumer (tests/interop/qt5-peer, QSharedMemory) reads
# what xsipc put wrote.  (Qt's detach by the last user removes the
# segment, persistent or not, as with any Qt segment.)
. "${top_srcdir:-.}/tests/cli/lib.sh"
qt5=$builddir/tests/interop/qt5-peer
[ -x "$qt5" ] ||
    skip "interop with Qt 5: no tests/interop/qt5-peer (configure found no Qt5Core; ./bootstrap installs it)"

printf 'hello from xsipc' | xsipc put forqt
check "put" 0 $?
keys=$(object_keys)
check "qt5-peer reads what put wrote" "hello from xsipc" "$("$qt5" read forqt)"
xsipc rm forqt 2>/dev/null
check "objects left" "" "$(objects_at "$keys")"
check "key files left" "" "$(ls "$dir" | grep qipc_)"
exit $fail
