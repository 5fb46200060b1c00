#!/usr/bin/env bash
# Traffic shaping's cost when no limit is reached: the same end-to-end delivery into Postfix's smtp-sink with the
# benchmark domains unshaped (modernmail) and covered by a rule with every limit set far above the run
# (modernmail-shaped), alternating runs in one session. Usage: bench/scripts/shaping-overhead.sh [messages] [rounds]
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
    for client in modernmail modernmail-shaped; do
      "$bin" e2e "$client" "$c" unsigned "$n"
    done
  done
done
