#!/usr/bin/env bash
# test_manpages.sh: every tool has a man page, and its --help and the page's OPTIONS list the
# same long options.
. "$(dirname "$0")/lib.sh"
n=0
for tool in "$AIMET_BIN"/aimet-*; do
	[ -x "$tool" ] || continue
	name=$(basename "$tool")
	n=$((n + 1))
	page=$AIMET_ROOT/man/man1/$name.1
	if [ ! -f "$page" ]; then bad "$name: no man page"; continue; fi
	"$tool" --help >"$T/help" 2>/dev/null
	expect_eq "$name --help exit" 0 $?
	grep -oE -- '--[a-z][a-z0-9-]*' "$T/help" | sort -u >"$T/h"
	sed -n '/^\.SH OPTIONS/,/^\.SH [A-Z]/p' "$page" | sed 's/\\-/-/g' |
		grep -oE -- '--[a-z][a-z0-9-]*' | sort -u >"$T/m"
	expect_eq "$name: --help and man page options" "$(cat "$T/h")" "$(cat "$T/m")"
done
[ "$n" -ge 3 ] && ok || bad "only $n tools built"
finish
