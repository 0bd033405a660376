#!/usr/bin/env bash
# Prints the path of a flatc whose version matches the FlatBuffers Go runtime
# pinned in go.mod, building it from that module's own source (cmake, about
# three minutes on two cores) the first time. The binary is cached outside the
# repository, under ${XDG_CACHE_HOME:-~/.cache}/tickwire, keyed by version.
set -euo pipefail
cd "$(dirname "$0")/.."

modver=$(go list -m -f '{{.Version}}' github.com/google/flatbuffers)
version=${modver#v}; version=${version%%+*}
cache=${XDG_CACHE_HOME:-$HOME/.cache}/tickwire/flatc-$version
bin=$cache/flatc

if [ -x "$bin" ] && "$bin" --version | grep -qF "$version"; then
	echo "$bin"
	exit 0
fi

if ! command -v cmake >/dev/null || ! command -v c++ >/dev/null; then
	echo "flatc.sh: cmake and a C++ compiler are needed (make deps installs them)" >&2
	exit 1
fi

go mod download github.com/google/flatbuffers
src=$(go list -m -f '{{.Dir}}' github.com/google/flatbuffers)
build=$(mktemp -d)
trap 'rm -rf "$build"' EXIT
echo "flatc.sh: building flatc $version from $src (once; cached in $cache)" >&2
cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release \
	-DFLATBUFFERS_BUILD_TESTS=OFF -DFLATBUFFERS_BUILD_FLATLIB=OFF \
	-DFLATBUFFERS_BUILD_FLATHASH=OFF -DFLATBUFFERS_INSTALL=OFF >&2
cmake --build "$build" --target flatc -j "$(nproc)" >&2
mkdir -p "$cache"
cp "$build/flatc" "$bin.tmp"
mv "$bin.tmp" "$bin"
"$bin" --version | grep -qF "$version"
echo "$bin"
