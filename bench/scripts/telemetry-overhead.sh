#!/usr/bin/env bash
# The cost of metrics and tracing: the end-to-end delivery into Postfix's smtp-sink with nothing listening (modernmail)
# and with every ModernMail instrument and span listened to (modernmail-telemetry), alternating in one session.
# Usage: bench/scripts/telemetry-overhead.sh [messages] [rounds]
set -euo pipefail
cd "$(dirname "$0")/../.."
n=${1:-2000}
rounds=${2:-3}
dotnet build bench/ModernMail.Benchmarks -c Release >/dev/null
smtp-sink -u nobody 127.0.0.1:2626 1000 &
sink=$!
trap 'kill $sink' EXIT
sleep 0.5
bin=bench/ModernMail.Benchmarks/bin/Release/net10.0/ModernMail.Benchmarks
echo "| client | sessions | DKIM | messages | delivered | msgs/s | CPU s | peak MB | allocated MB |"
echo "|---|---|---|---|---|---|---|---|---|"
for ((r = 0; r < rounds; r++)); do
  for c in 4 16; do
    for client in modernmail modernmail-telemetry; do
      "$bin" e2e "$client" "$c" dkim "$n"
    done
  done
done
