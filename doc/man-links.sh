#!/bin/sh
# SPDX-License-Identifier: MIT
# man-links.sh -- the .so link pages of the library's functions, from one
# list (doc/links.txt: lines "NAME PAGE", # comments and blank lines):
#   man-links.sh install LIST MAN3DIR    writes MAN3DIR/NAME.3 as
#                                        ".so man3/PAGE", mode 0644
#   man-links.sh uninstall LIST MAN3DIR  removes MAN3DIR/NAME.3
#   man-links.sh list LIST               prints the checked "NAME PAGE" lines
# man(1) and groff's soelim resolve ".so man3/PAGE" from the root of the
# manual tree (MAN3DIR/..), as Debian's own link pages do; a .so file rather
# than a symbolic link is what lintian and mandb expect.  A bad line (not
# two fields, a name that is not a C identifier, a page not in section 3, a
# link that would overwrite its page) fails the whole run before anything
# is written.
set -u

me=man-links.sh
usage() {
    echo "usage: $me install|uninstall LIST MAN3DIR, or $me list LIST" >&2
    exit 2
}

[ $# -ge 2 ] || usage
mode=$1
list=$2
case $mode in
install | uninstall) [ $# -eq 3 ] || usage; dir=$3 ;;
list) [ $# -eq 2 ] || usage ;;
*) usage ;;
esac

# The checked entries, one "NAME PAGE" a line, or a failure.
entries() {
    awk -v me="$me" -v list="$list" '
        { sub(/#.*/, "") }
        NF == 0 { next }
        NF != 2 || $1 !~ /^[A-Za-z_][A-Za-z0-9_]*$/ ||
        $2 !~ /^[A-Za-z0-9_.-]+\.3$/ || $1 ".3" == $2 {
            printf "%s: %s:%d: bad entry: %s\n", me, list, NR, $0 \
                >"/dev/stderr"
            bad = 1
            next
        }
        seen[$1]++ {
            printf "%s: %s:%d: %s listed twice\n", me, list, NR, $1 \
                >"/dev/stderr"
            bad = 1
            next
        }
        { print $1, $2 }
        END { exit bad }
    ' "$list"
}

out=$(entries) || exit 1

case $mode in
list)
    printf '%s\n' "$out"
    ;;
install)
    # rm first: a symbolic link left there by another packaging would
    # otherwise be written through, over the page it points to.
    printf '%s\n' "$out" | while read -r name page; do
        [ -n "$name" ] || continue
        file=$dir/$name.3
        rm -f "$file" &&
            printf '.so man3/%s\n' "$page" >"$file" &&
            chmod 644 "$file" || exit 1
    done
    ;;
uninstall)
    printf '%s\n' "$out" | while read -r name page; do
        [ -n "$name" ] || continue
        rm -f "$dir/$name.3" || exit 1
    done
    ;;
esac
