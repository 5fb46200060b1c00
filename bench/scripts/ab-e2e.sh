#!/usr/bin/env bash
# Two end-to-end delivery configurations side by side (into Postfix's smtp-sink on 127.0.0.1:2626), alternating in one
# session so both see the same machine: the cost of one feature, e.g.
#   bench/scripts/ab-e2e.sh modernmail modernmail-shaped unsigned 2000 3     # traffic shaping, no limit reached
#   bench/scripts/ab-e2e.sh modernmail modernmail-telemetry dkim 2000 3      # metrics and tracing listened to
# Usage: bench/scripts/ab-e2e.sh CLIENT-A CLIENT-B unsigned|dkim [messages] [rounds]
set -euo pipefail
cd "$(dirname "$0")/../.."
a=$1
b=$2
sign=$3
n=${4:-2000}
rounds=${5:-3}
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
    for client in "$a" "$b"; do
      "$bin" e2e "$client" "$c" "$sign" "$n"
    done
  done
done
