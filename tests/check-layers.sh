#!/bin/sh
# SPDX-License-Identifier: MIT
# check-layers.sh -- the library's layers depend one way (DESIGN.md
# section 1), checked on the objects the build made rather than on the
# sources: every symbol an object of a layer leaves undefined (nm -u) is
# looked up among the symbols the other layers define (nm --defined-only),
# and one that a layer above it, or beside it, defines is a failure.
#
# The layers, bottom first, and what each may use:
#   common     nothing of the library    (common)
#   sysv       common                    (lib/sysv)
#   registry   common                    (registry)
#   lib        all of them               (lib)
# Each layer is a libtool convenience library; lib/libxsipc-core.la holds
# the objects of the lower ones too, so lib's own are those of its archive
# that no lower layer's archive holds.  Symbols the library does not define
# (the C library's) are no concern here.  One rule is checked on the
# sources: lib/ sees the registry through registry/registry.h alone, never
# through registry/internal.h (the handle's structure, the claims).
set -u
top=${top_builddir:-.}
src=${top_srcdir:-.}
nm_cmd=${NM:-nm}

# name, convenience library, the layers it may use
layers="common common/libxsipc-common.la -
sysv lib/sysv/libxsipc-sysv.la common
registry registry/libxsipc-registry.la common
lib lib/libxsipc-core.la common,sysv,registry"

work=$(mktemp -d) || exit 99
trap 'rm -rf "$work"' EXIT

# symbols LAYER ARCHIVE: work/LAYER.def and work/LAYER.und, one line each
# "MEMBER SYMBOL" (nm -A names the member; run in the archive's directory
# so that no ':' of a path gets into the way).
symbols() {
    (cd "$(dirname "$2")" && $nm_cmd -A --defined-only "$(basename "$2")") |
        awk -v skip="$work/lower.members" '
            BEGIN { while ((getline m < skip) > 0) low[m] = 1 }
            { split($1, f, ":"); if (!(f[2] in low)) print f[2], $NF }' \
            >"$work/$1.def" || return 1
    (cd "$(dirname "$2")" && $nm_cmd -A -u "$(basename "$2")") |
        awk -v skip="$work/lower.members" '
            BEGIN { while ((getline m < skip) > 0) low[m] = 1 }
            { split($1, f, ":"); if (!(f[2] in low)) print f[2], $NF }' \
            >"$work/$1.und" || return 1
}

: >"$work/lower.members"
summary=
echo "$layers" | while read -r name la uses; do
    if [ ! -f "$top/$la" ]; then
        echo "check-layers: $top/$la is not built" >&2
        exit 99
    fi
    old=$(sed -n "s/^old_library='\(.*\)'$/\1/p" "$top/$la")
    archive=$top/$(dirname "$la")/.libs/$old
    if [ -z "$old" ] || [ ! -f "$archive" ]; then
        echo "check-layers: $top/$la names no archive" >&2
        exit 99
    fi
    symbols "$name" "$archive" || exit 99
    # The members of this layer are no member of the layers above.
    awk '{print $1}' "$work/$name.def" "$work/$name.und" |
        sort -u >>"$work/lower.members"
    echo "$name $uses" >>"$work/order"
done || exit $?

fail=0
while read -r name uses; do
    n=$(awk '{print $1}' "$work/$name.def" "$work/$name.und" | sort -u |
        wc -l)
    summary="$summary $name $n,"
    while read -r other ouses; do
        [ "$other" = "$name" ] && continue
        case ",$uses," in *",$other,"*) continue ;; esac
        # Undefined here, defined there: "member symbol other-member".
        awk 'NR == FNR { def[$2] = $1; next }
             $2 in def { print $1, $2, def[$2] }' \
            "$work/$other.def" "$work/$name.und" >"$work/bad"
        while read -r member sym where; do
            echo "check-layers: $name object ${member#*-} uses $sym," \
                "defined by $other object ${where#*-}" >&2
            fail=1
        done <"$work/bad"
    done <"$work/order"
done <"$work/order"

for f in "$src"/lib/*.[ch] "$src"/lib/sysv/*.[ch]; do
    if grep -q '^#include "registry/internal.h"' "$f"; then
        echo "check-layers: ${f#"$src"/} includes registry/internal.h," \
            "which is the registry's own" >&2
        fail=1
    fi
done

if [ $fail -ne 0 ]; then
    echo "check-layers: a layer reaches one above or beside it" \
        "(order: common < sysv, registry < lib)" >&2
    exit 1
fi
echo "check-layers: objects per layer:${summary%,}; each uses only" \
    "the layers below it"
exit 0
