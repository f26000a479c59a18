#!/usr/bin/env bash
# Installs every Debian 12 package Lemonade needs to build, test and
# benchmark. Idempotent: packages already present are skipped by apt-get.
# Usage: scripts/install-deps.sh [--bench]   (run as root, or via sudo)
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake ninja-build pkg-config clang libclang-rt-14-dev
  # libraries (DESIGN.md §6)
  libboost1.81-dev libssl-dev libsodium-dev zlib1g-dev libsqlite3-dev
  libtomlplusplus-dev libc-ares-dev libcli11-dev libspdlog-dev libfmt-dev nlohmann-json3-dev
  libicu-dev libgumbo-dev libvips-dev
  # tests
  libgtest-dev libgmock-dev python3 python3-cryptography python3-websocket curl openssl isync interimap swaks
  # CONVERT tests make pictures and read back their size with vips' tools
  libvips-tools
  # the differential test compares Lemonade's answers with Dovecot's
  dovecot-imapd
  # Postfix delivers to Lemonade over LMTP and is its smarthost in the
  # tests, as its own instance on loopback (tests/support/postfix_server.py)
  postfix
  # the HTTP binding's test: Squid as the only way out of a firewall that
  # passes only HTTPS (tests/support/squid_server.py)
  squid
)
# Node.js with npm (imapflow tests): the machine may already carry a Node.js
# build that bundles npm and conflicts with Debian's npm package.
if ! command -v npm >/dev/null 2>&1; then
  packages+=(nodejs npm)
fi
if [[ "${1:-}" == "--bench" ]]; then
  # bench/run/delivery.py: Dovecot's LMTP and submission services
  packages+=(libbenchmark-dev dovecot-lmtpd dovecot-submissiond)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if ((${#missing[@]} == 0)); then
  exit 0
fi

SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# Postfix as a package only: "No configuration" leaves the system's
# instance unconfigured and stopped (no port 25 opened by installing it).
if printf '%s\n' "${missing[@]}" | grep -qx postfix; then
  echo "postfix postfix/main_mailer_type select No configuration" | $SUDO debconf-set-selections
fi
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
