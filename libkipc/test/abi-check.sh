#!/usr/bin/env bash
# abi-check.sh LIB MAP MANDIR HEADER UAPIDIR: the library exports exactly
# the versioned symbols of its map, each in its node (and the older
# versions the map names "compat"), each has a man page and is declared in
# a public header (HEADER's directory), and the public headers compile on
# their own as C99 and C++.
set -uo pipefail
lib=$1 map=$2 mandir=$3 header=$4 uapi=$5
fail=0
err() { echo "abi-check: $*" >&2; fail=1; }
# Each symbol of the map as NAME@@NODE, the node that holds it (its
# default version), and each one a node keeps for older programs, written
# in that node as "/* compat: NAME ... */", as NAME@NODE (the library
# defines it with a symver attribute).
versioned=$(awk '
	/^[A-Z_0-9.]+ *\{/ { node = $1 }
	/compat:/ { sub(/.*compat: */, ""); sub(/[^a-z_0-9].*/, "")
		    print $0 "@" node; next }
	/global:/ { g = 1; next }
	/local:|^}/ { g = 0 }
	g && /^[[:space:]]*[a-z_0-9]+;/ {
		sub(/^[[:space:]]*/, ""); sub(/;.*/, ""); print $0 "@@" node }
	' "$map" | sort)
want=$(grep '@@' <<<"$versioned" | sed 's/@.*//' | sort)
have=$(nm -D --defined-only "$lib" | awk '$2 == "T" { print $3 }' | sort)
[ -n "$want" ] || err "no symbols in $map"
while read -r s; do
	case $s in
	*@@LIBKIPC_*|*@LIBKIPC_*) ;;
	*) err "exported symbol '$s' has no version node" ;;
	esac
done <<<"$have"
diff <(echo "$have") <(echo "$versioned") >/dev/null ||
	err "exports differ from $map: $(diff <(echo "$have") <(echo "$versioned") | grep '^[<>]' | tr '\n' ' ')"
# Every page's ".SH" headings, as "PAGE<tab>SECTION"; a page that is only
# ".so man3/other.3" shares the other page's text: "PAGE<tab>=OTHER".
# Read in one pass (a process per page and symbol is slow to start).
declare -A sections declared source
while IFS=$'\t' read -r page sec; do
	case $sec in
	=*) source[$page]=$(dirname "$page")/${sec#=} ;;
	*) sections[$page/$sec]=1 ;;
	esac
done < <(awk 'FNR == 1 && /^\.so man3\// { print FILENAME "\t=" substr($0, 10); nextfile }
	      /^\.SH / { s = substr($0, 5); gsub(/"/, "", s); print FILENAME "\t" s }' \
	      "$mandir"/*.3)
while read -r word; do declared[$word]=1; done < \
	<(cat "$(dirname "$header")"/*.h | grep -Eo '[A-Za-z_][A-Za-z_0-9]*' | sort -u)
for s in $want; do
	page=$mandir/$s.3
	[ -f "$page" ] || { err "no man page $page"; continue; }
	src=${source[$page]:-$page}
	for sec in NAME SYNOPSIS DESCRIPTION "RETURN VALUE" ERRORS "SEE ALSO"; do
		[ -n "${sections[$src/$sec]:-}" ] || err "$page lacks $sec"
	done
	[ -n "${declared[$s]:-}" ] ||
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
