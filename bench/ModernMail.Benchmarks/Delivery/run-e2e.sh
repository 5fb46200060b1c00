#!/usr/bin/env bash
# End-to-end delivery benchmark: ModernMail vs MailKit (with and without NoDelay) vs smtp-source, into
# Postfix's smtp-sink on 127.0.0.1:2626. Usage: bench/ModernMail.Benchmarks/Delivery/run-e2e.sh [messages]
set -euo pipefail
cd "$(dirname "$0")/../../.."
n=${1:-500}
dotnet build bench/ModernMail.Benchmarks -c Release >/dev/null
smtp-sink -u nobody 127.0.0.1:2626 1000 &
sink=$!
trap 'kill $sink' EXIT
sleep 0.5
bin=bench/ModernMail.Benchmarks/bin/Release/net10.0/ModernMail.Benchmarks
echo "| client | sessions | DKIM | messages | delivered | msgs/s | CPU s | peak MB | allocated MB |"
echo "|---|---|---|---|---|---|---|---|---|"
for c in 4 16; do
  for sign in unsigned dkim; do
    for client in modernmail mailkit mailkit-nodelay; do
      "$bin" e2e "$client" "$c" "$sign" "$n"
    done
  done
  # smtp-source: Postfix's C load generator, same size and sessions, no MIME and no signing.
  start=$(date +%s.%N)
  /usr/bin/time -f "%U %S %M" -o /tmp/smtp-source.time smtp-source -c -l 100000 -m "$n" -s "$c" -f bench@sender.test -t user@d0.bench 127.0.0.1:2626 >/dev/null
  end=$(date +%s.%N)
  read -r u s m < /tmp/smtp-source.time
  awk -v n="$n" -v c="$c" -v a="$start" -v b="$end" -v u="$u" -v s="$s" -v m="$m" \
    'BEGIN { printf "| smtp-source | %d | none | %d | %d | %.0f | %.2f | %.0f | - |\n", c, n, n, n/(b-a), u+s, m/1024 }'
done
