#!/usr/bin/env bash
# The DNSSEC part of the loopback test world, for DANE (RFC 7672) tests; up.sh runs it, and it can run alone
# (it needs the MX certificate up.sh creates):
#   knot      127.0.0.1:5302  authoritative for dane.test. (signed by knot itself, automatic policy) and
#                             nodane.test. (unsigned); data under /var/spool/testworld/knot
#   unbound   127.0.0.1:5303  VALIDATING resolver: trust anchor = the dane.test KSK knot generated, stub zones to
#                             knot, everything else forwarded to dnsmasq (127.0.0.1:5300)
# TLSA records are computed from the MX certificate /var/spool/testworld/etc/tls.crt, so they follow it.
# Idempotent: running servers with unchanged configuration are left alone; the signing keys are generated once
# and kept in knot's KASP database, so the trust anchor stays the same across runs.
#   dane.sh [--no-check]   start or refresh, then self-check with dig and delv (unless --no-check)
#   dane.sh --check        only the self-check
#   dane.sh --stop         stop knot and the validating unbound
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"
W=/var/spool/testworld
etc=$W/etc
run=$W/run
K=$W/knot
anchor=$K/dane.test.anchor
mode=${1:-up}

if [[ $(id -u) -ne 0 ]]; then
  echo "dane.sh: must run as root" >&2
  exit 1
fi

stop_all() {
  stop_pidfile "$run/unbound-dane.pid" unbound
  stop_pidfile "$K/run/knot.pid" knotd
}

# ---------------------------------------------------------------------------------------------
# Self-check: AD for the signed zone's TLSA (and its authenticated denial), none for the unsigned zone's, and delv
# validating the same TLSA against knot directly with the same trust anchor.
# ---------------------------------------------------------------------------------------------
check() {
  local flags out
  fail() { echo "dane.sh: self-check FAIL: $*" >&2; exit 1; }
  # flags NAME TYPE: the header flags unbound on :5303 answers with, for a query with the DO bit.
  flags() { dig @127.0.0.1 -p 5303 +dnssec +tries=2 +time=3 "$1" "$2" | sed -n 's/^;; flags: \([a-z ]*\);.*/\1/p'; }
  out=$(dig @127.0.0.1 -p 5303 +short +time=3 TLSA _25._tcp.mx-ok.dane.test)
  [[ -n $out ]] || fail "no TLSA for _25._tcp.mx-ok.dane.test via 127.0.0.1:5303"
  [[ " $(flags _25._tcp.mx-ok.dane.test TLSA) " == *" ad "* ]] || fail "_25._tcp.mx-ok.dane.test TLSA via :5303 has no AD bit"
  [[ " $(flags mx-ok.dane.test A) " == *" ad "* ]] || fail "mx-ok.dane.test A via :5303 has no AD bit"
  out=$(dig @127.0.0.1 -p 5303 +dnssec +time=3 TLSA _25._tcp.mx-none.dane.test)
  [[ $out == *"status: NXDOMAIN"* && $out =~ flags:[a-z\ ]*\ ad[\ \;] ]] || fail "_25._tcp.mx-none.dane.test: want an authenticated NXDOMAIN"
  [[ -n $(dig @127.0.0.1 -p 5303 +short +time=3 TLSA _25._tcp.mx.nodane.test) ]] || fail "no TLSA for _25._tcp.mx.nodane.test"
  [[ " $(flags _25._tcp.mx.nodane.test TLSA) " != *" ad "* ]] || fail "_25._tcp.mx.nodane.test (unsigned) has the AD bit"
  [[ $(dig @127.0.0.1 -p 5303 +short +time=3 A mx.a.test) == 127.0.0.1 ]] || fail "mx.a.test A via :5303 (forwarded to dnsmasq)"
  # delv takes bind's trust-anchors syntax: "dane.test. static-key 257 3 13 "...";".
  awk '$4 == "DNSKEY" && $5 == 257 { key = ""; for (i = 8; i <= NF; i++) key = key $i;
        printf "trust-anchors { %s static-key %s %s %s \"%s\"; };\n", $1, $5, $6, $7, key }' "$anchor" >"$K/delv.anchor"
  out=$(delv @127.0.0.1 -p 5302 -a "$K/delv.anchor" +root=dane.test TLSA _25._tcp.mx-ok.dane.test 2>&1) || true
  [[ $out == *"; fully validated"* ]] || fail "delv does not validate _25._tcp.mx-ok.dane.test TLSA: $out"
  echo "dane.sh: self-check ok (AD on dane.test TLSA and denial, none on nodane.test, delv validates)"
}

case $mode in
  --stop) stop_all; exit 0 ;;
  --check) check; exit 0 ;;
esac

for tool in knotd knotc unbound dig delv openssl; do
  command -v "$tool" >/dev/null || { echo "dane.sh: $tool missing; run scripts/testworld/install.sh" >&2; exit 1; }
done
[[ -s $etc/tls.crt ]] || { echo "dane.sh: $etc/tls.crt missing; run scripts/testworld/up.sh" >&2; exit 1; }
mkdir -p "$K/zones" "$K/db" "$K/run" "$run"
# Several worktrees may run this at the same time; up.sh already holds the lock when it calls us.
if [[ -z ${TESTWORLD_LOCKED:-} ]]; then
  exec 9>"$W/up.lock"
  flock 9
fi
trap 'echo "dane.sh: failed at line $LINENO: $BASH_COMMAND" >&2' ERR

# ---------------------------------------------------------------------------------------------
# Zones. TLSA data from the MX certificate: DANE-EE SPKI SHA-256 (3 1 1) and full certificate SHA-512 (3 0 2),
# DANE-TA full certificate SHA-256 (2 0 1, on a name the certificate does not carry: the name check must fail),
# and records that match nothing.
# ---------------------------------------------------------------------------------------------
spki_sha256=$(openssl x509 -in "$etc/tls.crt" -noout -pubkey | openssl pkey -pubin -outform DER | sha256sum | cut -d' ' -f1)
cert_sha256=$(openssl x509 -in "$etc/tls.crt" -outform DER | sha256sum | cut -d' ' -f1)
cert_sha512=$(openssl x509 -in "$etc/tls.crt" -outform DER | sha512sum | cut -d' ' -f1)
other_sha256=$(printf 'not the test world certificate' | sha256sum | cut -d' ' -f1)
[[ ${#spki_sha256} -eq 64 && ${#cert_sha512} -eq 128 ]] || { echo "dane.sh: cannot hash $etc/tls.crt" >&2; exit 1; }

knot_changed=0
install_file "$K/zones/dane.test.zone" <<EOF && knot_changed=1
; Generated by scripts/testworld/dane.sh; knot signs it when loading.
\$ORIGIN dane.test.
\$TTL 5
@                SOA   ns.dane.test. hostmaster.dane.test. 1 60 60 600 5
@                NS    ns.dane.test.
ns               A     127.0.0.1
@                MX    10 mx-ok.dane.test.
bad              MX    10 mx-bad.dane.test.
mx-ok            A     127.0.0.1
_25._tcp.mx-ok   TLSA  3 1 1 $spki_sha256
mx-full          A     127.0.0.1
_25._tcp.mx-full TLSA  3 0 2 $cert_sha512
mx-bad           A     127.0.0.1
_25._tcp.mx-bad  TLSA  3 1 1 $other_sha256
mx-ta            A     127.0.0.1
_25._tcp.mx-ta   TLSA  2 0 1 $cert_sha256
mx-unusable      A     127.0.0.1
_25._tcp.mx-unusable TLSA 1 1 1 $spki_sha256
mx-none          A     127.0.0.1
EOF
install_file "$K/zones/nodane.test.zone" <<EOF && knot_changed=1
; Generated by scripts/testworld/dane.sh; NOT signed and no DS anywhere: its TLSA must be ignored.
\$ORIGIN nodane.test.
\$TTL 5
@                SOA   ns.nodane.test. hostmaster.nodane.test. 1 60 60 600 5
@                NS    ns.nodane.test.
ns               A     127.0.0.1
@                MX    10 mx.nodane.test.
mx               A     127.0.0.1
_25._tcp.mx      TLSA  3 1 1 $other_sha256
EOF

# No rollovers (lifetime 0): the trust anchor exported below stays valid. No journal and no zone file sync: each
# load signs the zone file afresh with the keys kept in the KASP database.
install_file "$K/knot.conf" <<EOF && knot_changed=1
# Generated by scripts/testworld/dane.sh
server:
  rundir: "$K/run"
  listen: 127.0.0.1@5302
log:
  - target: "$K/knot.log"
    any: info
database:
  storage: "$K/db"
policy:
  - id: testworld
    algorithm: ecdsap256sha256
    ksk-lifetime: 0
    zsk-lifetime: 0
    nsec3: off
template:
  - id: default
    storage: "$K/zones"
    file: "%s.zone"
    zonefile-sync: -1
    zonefile-load: whole
    journal-content: none
zone:
  - domain: dane.test
    dnssec-signing: on
    dnssec-policy: testworld
  - domain: nodane.test
EOF
if [[ $knot_changed -eq 1 ]] || ! pid_alive "$K/run/knot.pid" knotd || ! listening 5302; then
  stop_pidfile "$K/run/knot.pid" knotd
  log "starting knot on 127.0.0.1:5302"
  knotd -c "$K/knot.conf" -d 9>&-
  wait_port 5302
fi

# The trust anchor: the KSK (flags 257) knot serves once it has signed the zone.
ksk=""
for i in $(seq 1 100); do
  ksk=$(dig @127.0.0.1 -p 5302 +norec +time=2 +nocmd +noall +answer dane.test DNSKEY | awk '$4 == "DNSKEY" && $5 == 257')
  [[ -n $ksk ]] && break
  sleep 0.1
done
[[ -n $ksk ]] || { echo "dane.sh: knot does not serve a dane.test KSK; see $K/knot.log" >&2; exit 1; }

unbound_changed=0
install_file "$anchor" <<<"$ksk" && unbound_changed=1
install_file "$etc/unbound-dane.conf" <<EOF && unbound_changed=1
# Generated by scripts/testworld/dane.sh: the VALIDATING resolver for DANE tests.
server:
  interface: 127.0.0.1
  port: 5303
  do-ip6: no
  access-control: 127.0.0.0/8 allow
  do-not-query-localhost: no
  module-config: "validator iterator"
  trust-anchor-file: "$anchor"
  local-zone: "test." nodefault
  local-zone: "127.in-addr.arpa." nodefault
  cache-max-ttl: 5
  cache-max-negative-ttl: 1
  username: ""
  chroot: ""
  directory: "$run"
  pidfile: "$run/unbound-dane.pid"
  use-syslog: no
  logfile: "$W/unbound-dane.log"
  do-daemonize: yes
remote-control:
  control-enable: no
stub-zone:
  name: "dane.test."
  stub-addr: 127.0.0.1@5302
stub-zone:
  name: "nodane.test."
  stub-addr: 127.0.0.1@5302
# Everything else goes to dnsmasq (no trust anchor covers it: insecure, never AD); nothing leaves the machine.
forward-zone:
  name: "."
  forward-addr: 127.0.0.1@5300
EOF
if [[ $unbound_changed -eq 1 ]] || ! pid_alive "$run/unbound-dane.pid" unbound || ! listening 5303; then
  stop_pidfile "$run/unbound-dane.pid" unbound
  log "starting validating unbound on 127.0.0.1:5303"
  unbound -c "$etc/unbound-dane.conf" 9>&-
  wait_port 5303
fi

[[ $mode == --no-check ]] || check
