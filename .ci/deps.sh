#!/usr/bin/env bash
# Installs the system packages the test suite needs, when any is missing:
# Node (Go's js/wasm test runner), Chromium (browser tests), Xvfb and the X/GL
# runtime libraries (the desktop demo client), cmake and a C++ compiler (to
# build flatc for `make schema`), redis-server (the cluster directory
# tests). Debian only; does nothing when all is there.
set -euo pipefail

need=()
have() { command -v "$1" >/dev/null 2>&1; }
lib() { ldconfig -p 2>/dev/null | grep -q "$1"; }

have node || need+=(nodejs)
have chromium || need+=(chromium)
have Xvfb || need+=(xvfb)
have cmake || need+=(cmake)
have redis-server || need+=(redis-server)
have c++ || need+=(g++)
lib libX11.so.6 || need+=(libx11-6)
lib libXrandr.so.2 || need+=(libxrandr2)
lib libXcursor.so.1 || need+=(libxcursor1)
lib libXinerama.so.1 || need+=(libxinerama1)
lib libXi.so.6 || need+=(libxi6)
lib libEGL.so.1 || need+=(libegl1)
lib libGLESv2.so.2 || need+=(libgles2)
[ -e /usr/lib/x86_64-linux-gnu/dri/swrast_dri.so ] || [ -e /usr/lib/x86_64-linux-gnu/dri/kms_swrast_dri.so ] || need+=(libgl1-mesa-dri)

[ ${#need[@]} -eq 0 ] && exit 0

if ! have apt-get; then
	echo "deps: missing ${need[*]} and no apt-get; install them by hand" >&2
	exit 1
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "deps: installing ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
