#!/usr/bin/env bash
# PostgreSQL queue drained by 1 and 3 real `mailbroker serve` processes (no kill): N ~2 KB messages enqueued into a
# throwaway schema, then drained into Postfix's smtp-sink on 127.0.0.1:2650. Usage: bench/scripts/pg-drain.sh [messages]
# Needs the test world's PostgreSQL (or $MODERNMAIL_TEST_PG) and postfix (smtp-sink).
set -euo pipefail
cd "$(dirname "$0")/../.."
n=${1:-2000}
dotnet build src/ModernMail.Cli -c Release -nologo -clp:ErrorsOnly >/dev/null
dotnet build bench/ModernMail.Benchmarks -c Release -nologo -clp:ErrorsOnly >/dev/null
smtp-sink -u nobody 127.0.0.1:2650 1000 & sink=$!
trap 'kill "$sink" 2>/dev/null || true' EXIT
sleep 0.5
bin=bench/ModernMail.Benchmarks/bin/Release/net10.0/ModernMail.Benchmarks
echo "load before: $(uptime)"
echo "| processes | messages | enqueue msg/s | first delivery at s | drain s | drain msg/s | msg/s from launch | delivered per process | lost | duplicated |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for k in 1 3 1 3; do
  "$bin" pgdrain "$k" "$n" 127.0.0.1:2650
done
echo "load after: $(uptime)"
