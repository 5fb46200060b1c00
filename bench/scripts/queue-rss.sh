#!/usr/bin/env bash
# Peak RSS of `mailbroker queue add` and `mailbroker serve` with one queued 100 MB attachment delivered into
# Postfix's smtp-sink on 127.0.0.1:26200 (SQLite store). Needs a Release build and postfix (smtp-sink).
set -euo pipefail
cd "$(dirname "$0")/../.."
tool=src/ModernMail.Cli/bin/Release/net10.0/mailbroker.dll
work=$(mktemp -d)
trap 'kill "$sink" 2>/dev/null || true; rm -rf "$work"' EXIT
head -c 100000000 /dev/urandom > "$work/big.bin"
smtp-sink -u postfix 127.0.0.1:26200 64 & sink=$!
sleep 0.5
rss() { /usr/bin/time -f '%M KiB peak RSS, %e s' "$@" 2>&1 >/dev/null | tail -1; }
echo "idle serve (empty queue):   $(rss dotnet $tool serve --store "sqlite:$work/idle" --exit-when-idle --poll 1s)"
echo "queue add (100 MB attach):  $(rss dotnet $tool queue add --store "sqlite:$work/q" --from a@example.test --to b@example.test --text /dev/null --attach "$work/big.bin")"
echo "serve delivers it:          $(rss dotnet $tool serve --store "sqlite:$work/q" --route '*=127.0.0.1:26200' --exit-when-idle --poll 1s)"
