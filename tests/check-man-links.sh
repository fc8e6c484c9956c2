#!/bin/sh
# SPDX-License-Identifier: MIT
# check-man-links.sh -- `man FUNCTION` works for every public function.
#  1. The functions declared XSIPC_API in lib/xsipc.h are exactly those of
#     tests/exports.expected, and each has a line in doc/links.txt whose
#     page is installed (dist_man3_MANS of doc/local.mk), lists it in its
#     NAME line (what mandb, whatis and apropos read), declares it in its
#     SYNOPSIS and mentions it in its DESCRIPTION.  Every line of the list
#     names a public function, and every name of a NAME line is the page's
#     own or has a line pointing to that page.
#  2. The pages and the link pages that doc/man-links.sh writes for
#     `make install`, put in a scratch manual tree, are what `man -M TREE -w
#     FUNCTION` finds for every function, and the page it shows is the
#     right one.
# Part 2 needs man(1): without it the test ends after part 1 and the .so
# lines' own check with exit 77 (skipped), saying so.
set -u

me=check-man-links
srcdir=${top_srcdir:-.}
header=$srcdir/lib/xsipc.h
exports=$srcdir/tests/exports.expected
list=$srcdir/doc/links.txt
mk=$srcdir/doc/local.mk
fail=0

err() {
    echo "$me: $*"
    fail=1
}

# The functions the public header declares: every XSIPC_API declaration,
# however it is broken across lines, up to the name before its "(".
api=$(tr '\n' ' ' <"$header" | grep -o 'XSIPC_API[^;(]*(' |
    sed -n 's/.*[^A-Za-z0-9_]\(xsipc_[A-Za-z0-9_]*\)($/\1/p' | sort -u)
exported=$(grep -v '^[[:space:]]*$' "$exports" | sort -u)
if [ -z "$api" ]; then
    echo "$me: no XSIPC_API function found in $header"
    exit 1
fi
for f in $(printf '%s\n' "$exported" | grep -vxF "$api"); do
    err "$f is exported ($exports) but not declared in lib/xsipc.h"
done
for f in $(printf '%s\n' "$api" | grep -vxF "$exported"); do
    err "$f is declared in lib/xsipc.h but not in $exports"
done
functions=$(printf '%s\n%s\n' "$api" "$exported" | sort -u)

# The installed section 3 pages, as doc/local.mk lists them.
installed=$(awk '
    /^dist_man3_MANS[ \t]*\+?=/ { on = 1; sub(/^[^=]*=/, "") }
    on { more = sub(/\\$/, ""); gsub(/[ \t]+/, " "); printf "%s ", $0
         if (!more) on = 0 }
' "$mk")
if [ -z "$installed" ]; then
    echo "$me: no dist_man3_MANS in $mk"
    exit 1
fi

# "NAME PAGE" lines, checked by the script that install uses.
entries=$(sh "$srcdir/doc/man-links.sh" list "$list") ||
    { echo "$me: $list: refused by doc/man-links.sh"; exit 1; }

# The body of section $2 (.SH $2) of page $1, without its .SH line.
section() {
    awk -v want="$2" '
        /^\.SH/ { s = $0; sub(/^\.SH[ \t]*/, "", s); gsub(/"/, "", s)
                  on = (s == want); next }
        on' "$1"
}

# The names of page $1's NAME line, one a line.
names() {
    section "$1" NAME | tr '\n' ' ' | sed 's/[[:space:]]*\\-.*//' |
        tr ',' '\n' | sed 's/^[[:space:]]*//; s/[[:space:]]*$//' |
        grep -v '^$'
}

# Part 1: every function has its line, and its page documents it.
for f in $functions; do
    page=$(printf '%s\n' "$entries" | awk -v f="$f" '$1 == f { print $2 }')
    if [ -z "$page" ]; then
        err "$f: no line in doc/links.txt (man $f would find nothing)"
        continue
    fi
    file=$srcdir/doc/$page
    case " $installed " in
    *" doc/$page "*) ;;
    *) err "$f: its page doc/$page is not in dist_man3_MANS"; continue ;;
    esac
    if [ ! -f "$file" ]; then
        err "$f: its page doc/$page is missing"
        continue
    fi
    names "$file" | grep -qxF "$f" ||
        err "$f: not in the NAME line of doc/$page"
    section "$file" SYNOPSIS | grep -Eq "(^|[^A-Za-z0-9_])$f\(" ||
        err "$f: no prototype in the SYNOPSIS of doc/$page"
    section "$file" DESCRIPTION |
        grep -Eq "(^|[^A-Za-z0-9_])$f([^A-Za-z0-9_]|\$)" ||
        err "$f: not described in the DESCRIPTION of doc/$page"
done

# Every line names a public function.
for f in $(printf '%s\n' "$entries" | awk '{ print $1 }'); do
    printf '%s\n' "$functions" | grep -qxF "$f" ||
        err "doc/links.txt: $f is not a public function"
done

# Every name of a NAME line is the page itself or links to it.
for p in $installed; do
    base=${p##*/}
    [ -f "$srcdir/$p" ] || { err "$p: missing"; continue; }
    for n in $(names "$srcdir/$p"); do
        [ "$n.3" = "$base" ] && continue
        printf '%s\n' "$entries" | grep -qxF "$n $base" ||
            err "$p: $n is in the NAME line but doc/links.txt does not link it here"
    done
done

[ $fail -eq 0 ] || exit 1

# Part 2: a scratch manual tree with the pages and the link pages, as
# make install lays them out.
tree=$(mktemp -d "${TMPDIR:-/tmp}/check-man-links.XXXXXX") || exit 1
# A signal (a reader of the output gone: SIGPIPE) exits, which runs the
# EXIT trap: sh runs it on exit, not on death by a signal.
trap 'rm -rf "$tree"' EXIT
trap 'exit 1' HUP INT PIPE TERM
mkdir "$tree/man3" || exit 1
for p in $installed; do
    cp "$srcdir/$p" "$tree/man3/" || exit 1
done
sh "$srcdir/doc/man-links.sh" install "$list" "$tree/man3" ||
    { echo "$me: doc/man-links.sh install failed"; exit 1; }

# The .so lines, as any man or soelim reads them.
printf '%s\n' "$entries" | {
    bad=0
    while read -r f page; do
        so=$(cat "$tree/man3/$f.3")
        if [ "$so" != ".so man3/$page" ] || [ ! -f "$tree/man3/$page" ]; then
            echo "$me: man3/$f.3 holds \"$so\", not a link to man3/$page"
            bad=1
        fi
    done
    exit $bad
} || exit 1

if ! command -v man >/dev/null 2>&1; then
    echo "$me: $(echo "$functions" | wc -l) functions listed and documented;"
    echo "skipped: man -w not tried, man is not installed (./bootstrap installs man-db)"
    exit 77
fi

# man-db resolves a .so page and prints the page it leads to; a man that
# prints the link page itself is accepted (its .so line is checked above).
unset MANPATH MANOPT MANSECT MANPAGER PAGER
for f in $functions; do
    page=$(printf '%s\n' "$entries" | awk -v f="$f" '$1 == f { print $2 }')
    got=$(LC_ALL=C man -M "$tree" -w 3 "$f" 2>&1)
    case $got in
    "$tree/man3/$page" | "$tree/man3/$f.3") ;;
    *) err "man -w $f: \"$got\", not man3/$page" ;;
    esac
done

# Each page shown through one of its links has that page's title.
for p in $installed; do
    base=${p##*/}
    f=$(printf '%s\n' "$entries" | awk -v p="$base" '$2 == p { print $1; exit }')
    [ -n "$f" ] || continue
    title=$(echo "${base%.3}" | tr '[:lower:]' '[:upper:]')
    first=$(LC_ALL=C MANWIDTH=80 man -M "$tree" -P cat 3 "$f" 2>&1 |
        sed -n '1p')
    case $first in
    "$title(3) "*) ;;
    *) err "man $f: shows \"$first\", not $title(3)" ;;
    esac
done

[ $fail -eq 0 ] || exit 1
echo "$me: $(echo "$functions" | wc -l) functions, each in the NAME line," \
    "SYNOPSIS and DESCRIPTION of its page and found by man -w"
exit 0
