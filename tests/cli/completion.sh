#!/bin/sh
# SPDX-License-Identifier: MIT
# completion.sh -- the bash completion (completion/xsipc) without
# bash-completion's helpers: names with spaces and quotes come back
# quoted as one word, --output= and -o complete column names (any case,
# the last item of a list), and each command's options include --help.
# Skipped without bash.
. "${top_srcdir:-.}/tests/cli/lib.sh"

command -v bash >/dev/null 2>&1 || skip "bash is not installed"
bindir=$(cd "$builddir/tools" && pwd)

# complete WORD...: the replies for the last WORD, one a line, sorted.
complete_words() {
    PATH="$bindir:$PATH" bash --norc --noprofile -c '
        . "$1/completion/xsipc"
        shift
        COMP_WORDS=("$@")
        COMP_CWORD=$(($# - 1))
        _xsipc
        printf "%s\n" "${COMPREPLY[@]}" | LC_ALL=C sort' \
        complete "$srcdir" "$@"
}

xsipc create "my name" 4096
xsipc create "it's" 4096
xsipc create plain 4096

check "a name with a space, quoted" 'my\ name' \
    "$(complete_words xsipc -r "$dir" rm my)"
check "a quote in a name, quoted" "it\\'s" \
    "$(complete_words xsipc -r "$dir" info it)"
check "typed with a backslash" 'my\ name' \
    "$(complete_words xsipc -r "$dir" rm 'my\ n')"
check "typed after a quote: as it is" 'my name' \
    "$(complete_words xsipc -r "$dir" get "'my n")"
check "all names, each once" "it\\'s
my\\ name
plain" "$(complete_words xsipc -r "$dir" lock '')"

check "ls --output=" "--output=CPID" \
    "$(complete_words xsipc ls --output=C)"
check "ls --output= split at '='" "NAME
NATTCH" "$(complete_words xsipc ls --output = NA)"
check "ls --output= split, nothing typed" 12 \
    "$(complete_words xsipc ls --output = | wc -l)"
check "ls -o, lower case, a list" "NAME,KIND" \
    "$(complete_words xsipc ls -o NAME,ki)"
check "ls --output=LIST" "--output=name,STATUS" \
    "$(complete_words xsipc ls --output=name,st)"
check "limits -o" "USE%
USED" "$(complete_words xsipc limits -o US)"
check "limits --output=" "--output=RESOURCE" \
    "$(complete_words xsipc limits --output=R)"
check "ls options have --help" "--help" \
    "$(complete_words xsipc ls --he)"
check "lock options" "--timeout" \
    "$(complete_words xsipc lock --ti)"
check "get's -w" "--wait" "$(complete_words xsipc get --wa)"
check "put's -w" "--wait" "$(complete_words xsipc put x --wa)"
check "send's options" "--create" "$(complete_words xsipc send x --cr)"
check "send -l" "--lines" "$(complete_words xsipc send x --li)"
check "recv's options" "--count" "$(complete_words xsipc recv x --co)"
check "recv -0" "--null" "$(complete_words xsipc recv x --nu)"
check "the commands send and recv" "recv" "$(complete_words xsipc rec)"
check "ls -o MSGS" "MSGS" "$(complete_words xsipc ls -o MS)"
check "create --mode" "0600
0660" "$(complete_words xsipc create x --mode '')"

xsipc rm "my name" "it's" plain
exit $fail
