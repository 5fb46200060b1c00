#!/usr/bin/env bash
# A Postfix instance of the benchmark's own, beside the test world's (which it never touches): config in
# /tmp/bench-postfix, queue in /var/spool/bench-postfix, SMTP on 127.0.0.1:2641 (no TLS, no milter), relaying
# everything to the smtp-sink on 127.0.0.1:2640. Usage: bench/scripts/bench-postfix.sh start|stop
set -euo pipefail
conf=/tmp/bench-postfix
queue=/var/spool/bench-postfix
data=/var/lib/bench-postfix
case "${1:-}" in
start)
  mkdir -p "$conf" "$queue" "$data"
  chown postfix "$data"
  cat > "$conf/main.cf" <<CF
compatibility_level = 3.6
queue_directory = $queue
data_directory = $data
syslog_name = bench-postfix
maillog_file = $conf/maillog
maillog_file_prefixes = $conf
myhostname = bench-postfix.test
mydestination =
local_recipient_maps =
alias_maps =
alias_database =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject
relayhost = [127.0.0.1]:2640
smtp_tls_security_level = none
smtpd_tls_security_level = none
smtpd_milters =
non_smtpd_milters =
CF
  # Debian's stock master.cf with smtpd on our port only and no chroot (the chroot would need its own /etc copies).
  awk '/^smtp +inet/ { print "127.0.0.1:2641 inet n - n - - smtpd"; next }
       /^[a-z]/ && NF >= 8 { $5 = "n" } { print }' /usr/share/postfix/master.cf.dist > "$conf/master.cf"
  # postfix reports errors only to a terminal or the log, so say where to look.
  postfix -c "$conf" start || { echo "postfix -c $conf start failed: see $conf/maillog, or run it under script(1) to see the error" >&2; exit 1; }
  ;;
stop)
  postfix -c "$conf" stop || true
  ;;
*)
  echo "usage: $0 start|stop" >&2
  exit 2
  ;;
esac
