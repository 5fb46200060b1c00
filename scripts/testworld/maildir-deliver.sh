#!/bin/sh
# Postfix pipe(8) transport of the test world: stores stdin as one message in the Maildir
# /var/spool/testworld/mail/<domain>/<localpart>/ (tmp/ then rename into new/).
# Usage: maildir-deliver.sh RECIPIENT   (Postfix passes ${recipient}, lower-cased)
# Postfix refuses regexp substitution in virtual_mailbox_maps, hence this small agent.
set -eu
rcpt=$1
localpart=${rcpt%@*}
domain=${rcpt##*@}
case "$localpart$domain" in
  */* | .*) echo "unusable recipient $rcpt" >&2; exit 67 ;;  # EX_NOUSER
esac
box=/var/spool/testworld/mail/$domain/$localpart
umask 022
mkdir -p "$box/tmp" "$box/new" "$box/cur"
name=$(date +%s).M$(date +%N)P$$.mx.a.test
# Prepend Authentication-Results: dkimpy verifies signed messages (dkim-verify.py); unsigned ones
# skip the Python start-up, which would otherwise dominate bulk tests such as the queue crash test.
cat >"$box/tmp/$name.in"
if sed '/^\r\{0,1\}$/q' "$box/tmp/$name.in" | grep -qi '^dkim-signature:'; then
  /usr/bin/python3 "$(dirname "$0")/dkim-verify.py" <"$box/tmp/$name.in" >"$box/tmp/$name"
else
  { printf 'Authentication-Results: mx.a.test; dkim=none\n'; cat "$box/tmp/$name.in"; } >"$box/tmp/$name"
fi
rm -f "$box/tmp/$name.in"
mv "$box/tmp/$name" "$box/new/$name"
