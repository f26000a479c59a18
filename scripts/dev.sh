#!/usr/bin/env bash
# The run command (README "Run it"): installs dependencies, builds, makes a
# data directory inside the checkout with a demo account, and serves.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
cmake -S . -B build -G Ninja >/dev/null
cmake --build build --target lemonade

data=${LEMONADE_DATA:-data}
password=$(head -c 12 /dev/urandom | base64 | tr -d '/+=' | head -c 16)
if build/lemonade user list --data-dir "$data" | grep -qx demo; then
  printf '%s\n' "$password" | build/lemonade user passwd demo --data-dir "$data" >/dev/null
else
  printf '%s\n' "$password" | build/lemonade user add demo --data-dir "$data" >/dev/null
fi

cat <<TXT

  Lemonade is starting with data in $data/ (config: $data/lemonade.toml).

    user:      demo
    password:  $password

    IMAP + STARTTLS  127.0.0.1:1143
    IMAP over TLS    127.0.0.1:1993   (self-signed certificate: $data/tls/cert.pem)
    Submission       127.0.0.1:1587 (STARTTLS), 127.0.0.1:1465 (TLS); mail demo@localhost
    LMTP             127.0.0.1:1024

  Stop with Ctrl-C.

TXT
exec build/lemonade serve --data-dir "$data" "$@"
