#!/usr/bin/env bash
# End-to-end intake benchmark: 16 clients submit 100 KB messages to a real `mailbroker serve` (HTTP API, and SMTP
# submission with STARTTLS + AUTH when the build has it), which DKIM-signs them (RSA-2048) and delivers them into
# Postfix's smtp-sink; side by side, smtp-source submits the same number to a Postfix instance of our own that relays
# them, unsigned, to the same sink. The sink's counter says when the last message arrived.
# Usage: bench/scripts/intake.sh [messages=2000] [runs=3]   (prints each run's rows, then the median run of each row)
# Ports: sink 127.0.0.1:2640, Postfix 127.0.0.1:2641, HTTP 127.0.0.1:28410, SMTP 127.0.0.1:28411.
set -euo pipefail
cd "$(dirname "$0")/../.."
n=${1:-2000}
runs=${2:-3}
c=16
work=$(mktemp -d /tmp/mm-intake.XXXXXX)
tool=src/ModernMail.Cli/bin/Release/net10.0/mailbroker.dll
load=bench/ModernMail.Benchmarks/bin/Release/net10.0/ModernMail.Benchmarks
sink= server=
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
  [ -n "$sink" ] && kill "$sink" 2>/dev/null
  bench/scripts/bench-postfix.sh stop >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT

dotnet build src/ModernMail.Cli -c Release -nologo -clp:ErrorsOnly >/dev/null
dotnet build bench/ModernMail.Benchmarks -c Release -nologo -clp:ErrorsOnly >/dev/null
smtp="none"
if dotnet "$tool" serve --help | grep -q -- '--smtp'; then smtp=127.0.0.1:28411; fi

smtp-sink -c -u nobody 127.0.0.1:2640 1000 > "$work/sink.count" & sink=$!
bench/scripts/bench-postfix.sh start
sleep 1

cat > "$work/mailbroker.json" <<JSON
{ "Dkim": [ { "Domain": "sender.test", "Selector": "bench", "KeyFile": "$PWD/tests/testdata/dkim/rsa2048.pem" } ] }
JSON

start_server() {
  local data=$work/data-$1
  mkdir -p "$data"
  secret=$(dotnet "$tool" keys create --name bench --domain sender.test --data "$data")
  local args=(serve --config "$work/mailbroker.json" --data "$data" --http 127.0.0.1:28410 --route '*=127.0.0.1:2640'
    --hostname mx.sender.test --tls Disabled)
  if [ "$smtp" != none ]; then args+=(--smtp "$smtp"); fi
  dotnet "$tool" "${args[@]}" > /dev/null 2> "$work/serve-$1.log" & server=$!
  for _ in $(seq 300); do
    if grep -q 'HTTP API on' "$work/serve-$1.log" && { [ "$smtp" = none ] || grep -q 'SMTP submission on' "$work/serve-$1.log"; }; then
      return 0
    fi
    sleep 0.1
  done
  cat "$work/serve-$1.log" >&2
  return 1
}

header="| server | messages | concurrency | intake msg/s | delivered msg/s | p50 ms | p99 ms | server CPU s | client CPU s |"
: > "$work/rows"
for run in $(seq "$runs"); do
  echo "run $run: $(uptime)"
  echo "$header"
  echo "|---|---|---|---|---|---|---|---|---|"
  start_server "$run"
  "$load" intake http http://127.0.0.1:28410 "$secret" "$c" "$n" "$work/sink.count" "$server" | tee -a "$work/rows"
  if [ "$smtp" != none ]; then
    "$load" intake smtp "$smtp" "bench:$secret" "$c" "$n" "$work/sink.count" "$server" | tee -a "$work/rows"
  fi
  kill "$server"; wait "$server" || true; server=
  "$load" intake smtp-source 127.0.0.1:2641 - "$c" "$n" "$work/sink.count" "$(tr -d " " < /var/spool/bench-postfix/pid/master.pid)" | tee -a "$work/rows"
done

echo
echo "median of $runs runs (for each row, the run with the median delivered msg/s), $(uptime)"
echo "$header"
echo "|---|---|---|---|---|---|---|---|---|"
python3 - "$work/rows" <<'PY'
import sys
rows = {}
for line in open(sys.argv[1]):
    cells = [c.strip() for c in line.strip().strip('|').split('|')]
    rows.setdefault(cells[0], []).append(cells)
for name, runs in rows.items():
    runs.sort(key=lambda c: float(c[4]))
    print('| ' + ' | '.join(runs[len(runs) // 2]) + ' |')
PY
