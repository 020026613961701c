#!/usr/bin/env bash
# abi-check.sh LIB MAP MANDIR HEADER UAPIDIR: the library exports exactly
# the versioned symbols of its map, each has a man page and is declared in
# a public header (HEADER's directory), and the public headers compile on
# their own as C99 and C++.
set -uo pipefail
lib=$1 map=$2 mandir=$3 header=$4 uapi=$5
fail=0
err() { echo "abi-check: $*" >&2; fail=1; }
# A page that is only ".so man3/other.3" shares the other page's text.
man_source() {
	local so
	so=$(sed -n 's|^\.so man3/||p' "$1")
	if [ -n "$so" ]; then echo "$(dirname "$1")/$so"; else echo "$1"; fi
}

want=$(sed -n '/global:/,/local:/p' "$map" | grep -Eo '^[[:space:]]*[a-z_0-9]+;' |
       tr -d ' \t;' | sort)
have=$(nm -D --defined-only "$lib" | awk '$2 == "T" { print $3 }' | sort)
[ -n "$want" ] || err "no symbols in $map"
while read -r s; do
	case $s in
	*@@LIBKIPC_*|*@LIBKIPC_*) ;;
	*) err "exported symbol '$s' has no version node" ;;
	esac
done <<<"$have"
diff <(sed 's/@.*//' <<<"$have") <(echo "$want") >/dev/null ||
	err "exports differ from $map: $(diff <(sed 's/@.*//' <<<"$have") <(echo "$want") | grep '^[<>]' | tr '\n' ' ')"
for s in $want; do
	page=$mandir/$s.3
	[ -f "$page" ] || { err "no man page $page"; continue; }
	for sec in NAME SYNOPSIS DESCRIPTION "RETURN VALUE" ERRORS "SEE ALSO"; do
		grep -q "^\.SH \"\?$sec\"\?$" "$(man_source "$page")" || err "$page lacks $sec"
	done
	grep -qw "$s" "$(dirname "$header")"/*.h ||
		err "$s is not declared in $(dirname "$header")"
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for h in "$(dirname "$header")"/*.h; do
	printf '#include <%s>\n' "$(basename "$h")"
done >"$tmp/t.c"
cc -std=c99 -Wall -Wextra -pedantic -Werror -I"$(dirname "$header")" -I"$uapi" \
	-c "$tmp/t.c" -o "$tmp/t.o" || err "the public headers do not compile as C99"
if command -v g++ >/dev/null; then
	cp "$tmp/t.c" "$tmp/t.cc"
	g++ -Wall -Werror -I"$(dirname "$header")" -I"$uapi" -c "$tmp/t.cc" \
		-o "$tmp/t.o" || err "the public headers do not compile as C++"
fi
[ $fail = 0 ] && echo "abi-check: $(wc -w <<<"$want") symbols versioned, documented and declared"
exit $fail
