#!/usr/bin/env bash
# Installs every Debian 12 package tradehost needs to build, test and run, and nothing else.
# A no-op (no apt-get at all) when everything is already installed, so it is cheap to call
# from every README command and from CI.
set -euo pipefail

PKGS=(
  build-essential pkg-config cmake
  libuv1-dev libwebsockets-dev libwebsockets-evlib-uv libhiredis-dev libpq-dev
  libluajit-5.1-dev luajit libssl-dev libcurl4-openssl-dev zlib1g-dev libjsmn-dev libisal-dev
  libedit-dev
  libcmocka-dev lua-busted lua-cjson
  clang libclang-rt-14-dev valgrind curl python3 jq
  chromium
  redis-server postgresql-15 postgresql-client-15
)

missing=()
for p in "${PKGS[@]}"; do
  # dpkg-query exits non-zero for unknown packages; "install ok installed" is the only good state.
  if [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" != "install ok installed" ]; then
    missing+=("$p")
  fi
done

# Node.js is only for the ccxt comparison benchmark; a machine may already carry a newer one
# outside dpkg (then Debian's npm cannot be installed beside it), so test for the command.
if ! command -v npm >/dev/null 2>&1; then missing+=(nodejs npm); fi

# ccxt for the sim's client tests (tests/ccxt) and playwright-core for the report's browser test
# (tests/browser, driving Debian's chromium), each pinned by its package-lock.json: installed once.
ccxt_dir="$(dirname "$0")/../tests/ccxt"
browser_dir="$(dirname "$0")/../tests/browser"
install_ccxt() {
  if [ ! -d "$ccxt_dir/node_modules/ccxt" ] && command -v npm >/dev/null 2>&1; then
    echo "install-deps: npm ci in tests/ccxt"
    (cd "$ccxt_dir" && npm ci --no-audit --no-fund --silent)
  fi
  if [ ! -d "$browser_dir/node_modules/playwright-core" ] && command -v npm >/dev/null 2>&1; then
    echo "install-deps: npm ci in tests/browser"
    (cd "$browser_dir" && npm ci --no-audit --no-fund --silent)
  fi
}

if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-deps: all ${#PKGS[@]} packages present"
  install_ccxt
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  SUDO="sudo"
fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
install_ccxt
