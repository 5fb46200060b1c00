#!/usr/bin/env bash
# Stops everything scripts/testworld/up.sh started. Mail and configuration stay in
# /var/spool/testworld; `down.sh --purge` removes them too.
set -uo pipefail
W=/var/spool/testworld
run=$W/run

# stop_pidfile PIDFILE NAME: stops the process if it is still the one called NAME.
stop_pidfile() {
  local pidfile=$1 pid i
  [[ -s $pidfile ]] || return 0
  pid=$(tr -dc 0-9 <"$pidfile")
  if [[ $(cat "/proc/$pid/comm" 2>/dev/null) == "$2" ]]; then
    kill "$pid" 2>/dev/null
    for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -f "$pidfile"
}

if [[ -f $W/etc/postfix/main.cf ]] && postfix -c "$W/etc/postfix" status >/dev/null 2>&1; then
  postfix -c "$W/etc/postfix" stop >/dev/null 2>&1
fi
stop_pidfile "$run/opendkim.pid" opendkim
stop_pidfile "$run/unbound-dane.pid" unbound
stop_pidfile "$W/knot/run/knot.pid" knotd
stop_pidfile "$run/unbound.pid" unbound
stop_pidfile "$run/dnsmasq.pid" dnsmasq
for pgver in $(ls /usr/lib/postgresql 2>/dev/null); do
  pg_ctlcluster "$pgver" main stop >/dev/null 2>&1 || true
done
if [[ ${1:-} == --purge ]]; then
  rm -rf "$W"
fi
echo "down.sh: test world stopped"
