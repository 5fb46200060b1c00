#!/usr/bin/python3
"""Delivery-time DKIM verification for the test world (dkimpy), run by maildir-deliver.sh.

Reads one message on stdin and writes it to stdout with one Authentication-Results header per
DKIM-Signature (or "dkim=none"). It replaces the OpenDKIM milter on the MX: Debian 12's OpenDKIM
starts answering 451 4.7.1 and then crashes when a few SMTP sessions run concurrently (four
parallel connections reproduce it within ~15 rounds), which made delivery tests flaky. Keys come
from the world's dnsmasq on 127.0.0.1:5300, as a receiver would fetch them.
"""
import sys

import dkim
import dkim.util
import dns.resolver

AUTHSERV = "mx.a.test"


def dnsfunc(name, timeout=5):
    res = dns.resolver.Resolver(configure=False)
    res.nameservers = ["127.0.0.1"]
    res.port = 5300
    res.lifetime = timeout
    try:
        answer = res.resolve(name.decode("ascii").rstrip("."), "TXT")
    except Exception:
        return b""
    for rdata in answer:
        return b"".join(rdata.strings)
    return b""


def results(data):
    headers, _ = dkim.rfc822_parse(data)
    signatures = [value for name, value in headers if name.lower() == b"dkim-signature"]
    if not signatures:
        return ["dkim=none"]
    out = []
    for idx, value in enumerate(signatures):
        try:
            tags = dkim.util.parse_tag_value(value)
        except Exception:
            tags = {}
        ident = " ".join(f"header.{k}={tags[k.encode()].decode('ascii', 'replace')}"
                         for k in ("d", "s", "a") if k.encode() in tags)
        try:
            ok = dkim.DKIM(data).verify(idx=idx, dnsfunc=dnsfunc)
            verdict = "pass" if ok else "fail"
        except dkim.DKIMException as e:
            verdict = f"permerror ({str(e)[:60]})"
        except Exception as e:  # never lose the message over a verifier bug
            verdict = f"temperror ({type(e).__name__})"
        out.append(f"dkim={verdict} {ident}".rstrip())
    return out


def main():
    data = sys.stdin.buffer.read()
    try:
        lines = results(data)
    except Exception as e:
        lines = [f"dkim=temperror ({type(e).__name__})"]
    newline = b"\r\n" if b"\r\n" in data[:2048] else b"\n"
    for line in lines:
        sys.stdout.buffer.write(f"Authentication-Results: {AUTHSERV}; {line}".encode() + newline)
    sys.stdout.buffer.write(data)


main()
