#!/usr/bin/env bash
# Installs the Debian packages the loopback test world needs (see scripts/testworld/up.sh).
# Idempotent: returns at once when everything is already installed.
# Package installs must not start system services that would take our ports (25, 53, 5432 is ours
# anyway): a policy-rc.d that forbids starting services is in place during apt-get install.
set -euo pipefail

if [[ $(id -u) -ne 0 ]]; then
  echo "install.sh: must run as root" >&2
  exit 1
fi

packages=(
  postfix               # the MX (a separate instance is started by up.sh)
  dnsmasq-base          # authoritative DNS for test. on 127.0.0.1:5300 (binary only, no service)
  unbound               # recursive resolver for OpenDKIM (libunbound needs a forwarder)
  opendkim opendkim-tools
  postgresql
  python3-dkim python3-nacl python3-dnspython python3-aiosmtpd
  openssl ca-certificates
  bind9-dnsutils        # dig, and delv (an independent DNSSEC validator) for the DANE self-check
  knot                  # authoritative DNS that signs dane.test (DNSSEC) on 127.0.0.1:5302
  swaks
  procps iproute2 netcat-openbsd
  chromium              # headless browser that loads the status page in the integration tests (ServerStatusPageTests)
)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)
  [[ $status == ii* ]] || missing+=("$p")
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install.sh: all packages already installed"
else
  echo "install.sh: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
  echo "postfix postfix/mailname string mx.a.test" | debconf-set-selections

  created_policy=0
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    created_policy=1
  fi
  trap 'if [[ $created_policy -eq 1 ]]; then rm -f /usr/sbin/policy-rc.d; fi' EXIT

  # Other processes may be installing packages at the same time: wait for the dpkg lock.
  apt-get -o DPkg::Lock::Timeout=600 update -qq
  apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${missing[@]}"
fi

# Stop Debian's own instances if something started them anyway. Only their pid files are
# used: the init scripts' "stop" matches by executable and would also kill the test world's
# unbound/opendkim started by up.sh.
for pidfile in /run/unbound.pid /run/opendkim/opendkim.pid /run/dnsmasq/dnsmasq.pid /run/knot/knot.pid; do
  if [[ -s $pidfile ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    echo "install.sh: stopping system service with $pidfile"
    kill "$(cat "$pidfile")" || true
  fi
done
if [[ -f /etc/postfix/main.cf ]] && postfix -c /etc/postfix status >/dev/null 2>&1; then
  echo "install.sh: stopping the system Postfix instance"
  postfix -c /etc/postfix stop || true
fi
echo "install.sh: done"
