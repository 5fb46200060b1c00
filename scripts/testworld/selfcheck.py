#!/usr/bin/python3
"""Self-checks for the loopback test world started by up.sh.

Checks every DNS record of the contract against dnsmasq (127.0.0.1:5300) and through unbound
(127.0.0.1:5301), that Postfix on 127.0.0.1:25 offers STARTTLS, that a plain message lands in
its Maildir with Authentication-Results, that messages DKIM-signed (dkimpy) with the committed
RSA and Ed25519 test keys get dkim=pass from OpenDKIM, and that reject*/defer* local parts get
550/450, and that the milter-free listener on 127.0.0.1:2525 delivers into the same Maildirs
without Authentication-Results. Exits non-zero with a message naming the first failure.
"""

import base64
import os
import secrets
import shutil
import smtplib
import ssl
import subprocess
import sys
import time
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

import dkim
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
KEYS = os.path.join(REPO, "tests", "testdata", "dkim")
MAIL = "/var/spool/testworld/mail"


def fail(message):
    print("selfcheck: FAIL: " + message, file=sys.stderr)
    sys.exit(1)


def query(name, rdtype, port=5300):
    q = dns.message.make_query(name, rdtype)
    return dns.query.udp(q, "127.0.0.1", port=port, timeout=3)


def answers(resp, rdtype):
    out = []
    for rrset in resp.answer:
        if rrset.rdtype == dns.rdatatype.from_text(rdtype):
            out.extend(rrset)
    return out


def check_dns(port):
    def expect(name, rdtype, want):
        resp = query(name, rdtype, port)
        if resp.rcode() != dns.rcode.NOERROR:
            fail(f"{name} {rdtype} @{port}: rcode {dns.rcode.to_text(resp.rcode())}")
        got = sorted(r.to_text() for r in answers(resp, rdtype))
        if got != sorted(want):
            fail(f"{name} {rdtype} @{port}: got {got}, want {sorted(want)}")

    expect("a.test", "MX", ["10 mx.a.test."])
    expect("b.test", "MX", ["10 mx.a.test."])
    expect("mx.a.test", "A", ["127.0.0.1"])
    expect("implicit.test", "A", ["127.0.0.1"])
    expect("implicit.test", "MX", [])
    expect("nullmx.test", "MX", ["0 ."])
    expect("deadfirst.test", "MX", ["10 dead.deadfirst.test.", "20 mx.a.test."])
    expect("dead.deadfirst.test", "A", ["127.0.0.9"])
    expect("sender.test", "A", ["127.0.0.1"])
    expect("sender.test", "MX", ["10 mx.a.test."])
    expect("sender.test", "TXT", ['"v=spf1 ip4:127.0.0.0/8 -all"'])
    expect("_dmarc.sender.test", "TXT", ['"v=DMARC1; p=reject; rua=mailto:dmarc@sender.test"'])
    expect("1.0.0.127.in-addr.arpa", "PTR", ["mx.a.test."])
    resp = query("nosuch.test", "MX", port)
    if resp.rcode() != dns.rcode.NXDOMAIN:
        fail(f"nosuch.test MX @{port}: rcode {dns.rcode.to_text(resp.rcode())}, want NXDOMAIN")

    for selector, key_text in dkim_dns_records().items():
        resp = query(f"{selector}._domainkey.sender.test", "TXT", port)
        txt = answers(resp, "TXT")
        if len(txt) != 1:
            fail(f"{selector}._domainkey.sender.test TXT @{port}: {len(txt)} records")
        strings = txt[0].strings
        if any(len(s) > 255 for s in strings) or b"".join(strings).decode() != key_text:
            fail(f"{selector}._domainkey.sender.test TXT @{port}: got {strings!r}, want {key_text!r}")


def spki_der(path):
    return subprocess.run(["openssl", "pkey", "-in", path, "-pubout", "-outform", "DER"],
                          check=True, capture_output=True).stdout


def dkim_dns_records():
    rsa = base64.b64encode(spki_der(os.path.join(KEYS, "rsa2048.pem"))).decode()
    ed = base64.b64encode(spki_der(os.path.join(KEYS, "ed25519.pem"))[-32:]).decode()
    return {"rsa2048": f"v=DKIM1; k=rsa; p={rsa}", "ed25519": f"v=DKIM1; k=ed25519; p={ed}"}


def ed25519_seed_b64():
    # PKCS#8 DER of an Ed25519 key ends with the 32-byte seed (RFC 8410).
    der = subprocess.run(["openssl", "pkey", "-in", os.path.join(KEYS, "ed25519.pem"), "-outform", "DER"],
                         check=True, capture_output=True).stdout
    return base64.b64encode(der[-32:])


def smtp():
    s = smtplib.SMTP("127.0.0.1", 25, local_hostname="selfcheck.test", timeout=15)
    s.ehlo()
    if not s.has_extn("starttls"):
        fail("127.0.0.1:25 does not offer STARTTLS")
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    s.starttls(context=ctx)
    s.ehlo()
    for ext in ("smtputf8", "8bitmime", "size"):
        if not s.has_extn(ext):
            fail(f"127.0.0.1:25 does not offer {ext.upper()} after STARTTLS")
    return s


def make_message(rcpt, subject):
    m = EmailMessage()
    m["From"] = "selfcheck@sender.test"
    m["To"] = rcpt
    m["Subject"] = subject
    m["Date"] = formatdate(localtime=True)
    m["Message-ID"] = make_msgid(domain="sender.test")
    m.set_content("Test world self-check.\n")
    return m.as_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def wait_for_one(localpart, domain="a.test", timeout=20):
    box = os.path.join(MAIL, domain, localpart)
    deadline = time.time() + timeout
    while time.time() < deadline:
        files = []
        for sub in ("new", "cur"):
            d = os.path.join(box, sub)
            if os.path.isdir(d):
                files += [os.path.join(d, f) for f in os.listdir(d)]
        if files:
            if len(files) != 1:
                fail(f"{localpart}@{domain}: {len(files)} messages, want 1")
            with open(files[0], "rb") as f:
                return f.read()
        time.sleep(0.1)
    fail(f"no message arrived in {box} within {timeout}s; see /var/spool/testworld/postfix.log")


def auth_results(raw):
    head = raw.split(b"\n\n", 1)[0].decode("utf-8", "replace")
    lines = []
    for line in head.split("\n"):
        if line[:1] in (" ", "\t") and lines:
            lines[-1] += line
        else:
            lines.append(line)
    return [l for l in lines if l.lower().startswith("authentication-results:")]


def check_delivery():
    s = smtp()
    cleanup = []
    try:
        # Plain message: Maildir + Authentication-Results (dkim=none) + TLS in Received.
        lp = "selfcheck-" + secrets.token_hex(4)
        cleanup.append(lp)
        s.sendmail("selfcheck@sender.test", [f"{lp}@a.test"], make_message(f"{lp}@a.test", "plain"))
        raw = wait_for_one(lp)
        if not auth_results(raw):
            fail("delivered message has no Authentication-Results (dkim-verify.py not applied)")
        if b"with ESMTPS" not in raw or b"TLS" not in raw:
            fail("Received header does not show TLS")

        # DKIM-signed with both committed keys.
        rsa_key = open(os.path.join(KEYS, "rsa2048.pem"), "rb").read()
        for selector, key, algo in (("rsa2048", rsa_key, b"rsa-sha256"),
                                    ("ed25519", ed25519_seed_b64(), b"ed25519-sha256")):
            lp = f"selfcheck-{selector}-" + secrets.token_hex(4)
            cleanup.append(lp)
            msg = make_message(f"{lp}@a.test", f"signed {selector}")
            sig = dkim.sign(msg, selector.encode(), b"sender.test", key,
                            include_headers=[b"from", b"to", b"subject", b"date", b"message-id"],
                            signature_algorithm=algo)
            s.sendmail("selfcheck@sender.test", [f"{lp}@a.test"], sig + msg)
            ar = auth_results(wait_for_one(lp))
            want = "dkim=pass"
            if not any(want in a and "header.d=sender.test" in a for a in ar):
                fail(f"{selector}: Authentication-Results {ar!r} lacks {want} for sender.test")

        # reject*/defer* local parts.
        for lp, code in (("reject-selfcheck", 550), ("defer-selfcheck", 450)):
            s.mail("selfcheck@sender.test")
            got, text = s.rcpt(f"{lp}@a.test")
            s.rset()
            if got != code:
                fail(f"RCPT {lp}@a.test: {got} {text!r}, want {code}")
        s.quit()
    finally:
        for lp in cleanup:
            shutil.rmtree(os.path.join(MAIL, "a.test", lp), ignore_errors=True)


def check_no_milter():
    # Port 2525: same Postfix, same Maildirs, but OpenDKIM never sees the mail (no Authentication-Results).
    lp = "selfcheck-nomilter-" + secrets.token_hex(4)
    try:
        s = smtplib.SMTP("127.0.0.1", 2525, local_hostname="selfcheck.test", timeout=15)
        s.sendmail("selfcheck@sender.test", [f"{lp}@b.test"], make_message(f"{lp}@b.test", "no milter"))
        s.quit()
        raw = wait_for_one(lp, "b.test")
    except (OSError, smtplib.SMTPException) as e:
        fail(f"127.0.0.1:2525 (milter-free MX): {e}")
    finally:
        shutil.rmtree(os.path.join(MAIL, "b.test", lp), ignore_errors=True)


def check_postgres():
    env = dict(os.environ, PGPASSWORD="modernmail", PGCONNECT_TIMEOUT="5")
    r = subprocess.run(["psql", "-h", "127.0.0.1", "-p", "5432", "-U", "modernmail", "-d", "modernmail",
                        "-tAc", "select current_user"], env=env, capture_output=True, text=True)
    if r.returncode != 0 or r.stdout.strip() != "modernmail":
        fail(f"PostgreSQL 127.0.0.1:5432 as modernmail: {r.stderr.strip() or r.stdout.strip()}")


def main():
    check_postgres()
    check_dns(5300)
    check_dns(5301)
    check_delivery()
    check_no_milter()
    print("selfcheck: ok (DNS on :5300 and :5301, STARTTLS on :25, Maildir delivery, "
          "DKIM rsa-sha256 and ed25519-sha256 pass, 550/450 recipients, milter-free :2525, PostgreSQL)")


if __name__ == "__main__":
    main()
