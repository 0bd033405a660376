#!/usr/bin/env bash
# Regenerates the Go code in schema/wire from schema/tickwire.fbs with a flatc
# of the same version as the FlatBuffers Go runtime in go.mod (schema/flatc.sh
# builds one the first time). The output is gofmt'ed so `gofmt -l` stays
# clean whatever flatc emits.
#
#   ./schema/gen.sh          regenerate schema/wire in place (`make schema`)
#   ./schema/gen.sh --check  regenerate into a temporary directory and fail
#                            when the committed schema/wire differs (CI)
set -euo pipefail
cd "$(dirname "$0")/.."

check=false
case "${1:-}" in
	"") ;;
	--check) check=true ;;
	*)
		echo "usage: $0 [--check]" >&2
		exit 2
		;;
esac

flatc=$(./schema/flatc.sh)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The schema's namespace is `wire`, so flatc writes package wire into
# $tmp/wire; every generated file only imports the FlatBuffers runtime, so no
# --go-module-name is needed for the import path
# github.com/tickwire/tickwire/schema/wire.
"$flatc" --go -o "$tmp" schema/tickwire.fbs
if [ ! -d "$tmp/wire" ]; then
	echo "gen.sh: flatc wrote no $tmp/wire (did the namespace in tickwire.fbs change?)" >&2
	exit 1
fi
gofmt -w "$tmp/wire"

if $check; then
	if ! diff -ru schema/wire "$tmp/wire" >&2; then
		echo "schema/wire is stale: run make schema" >&2
		exit 1
	fi
	exit 0
fi

# Replace only the generated files, so a table removed from the schema does
# not leave its old file behind.
rm -f schema/wire/*.go
mkdir -p schema/wire
cp "$tmp"/wire/*.go schema/wire/
