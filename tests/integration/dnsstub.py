#!/usr/bin/python3
"""A DNS stub for tests: serves a zone given as a dict (or a JSON file) on a
free loopback port, over UDP and TCP, encoding and decoding with Debian's
python3-dnslib. It is an authoritative-looking server that also answers with
RA set, so libunbound can use it as a forwarder (dns.servers=127.0.0.1@PORT).

The zone maps a name to its records, or to a whole-name behaviour:

    {
      "example.test": {
        "MX": [[10, "mx1.example.test"], [20, "mx2.example.test"]],
        "A": ["127.0.0.1"], "AAAA": ["::1"],
        "TXT": [["v=spf1 ", "-all"], "one string"],   # one list per record
        "TLSA": [[3, 1, 1, "<64 hex digits>"]],
        "PTR": ["mail.example.test"],               # at 1.0.0.127.in-addr.arpa
        "ttl": 300                                  # optional, default 300
      },
      "nullmx.test": {"MX": [[0, "."]]},
      "gone.test": "NXDOMAIN",    # also the answer for every unlisted name
      "broken.test": "SERVFAIL",
      "refused.test": "REFUSED",
      "slow.test": "HANG",        # never answers: a timeout
      "half.test": {"A": ["127.0.0.1"], "MX": "SERVFAIL"}  # per type too
    }

A listed name with no record of the type asked gets NOERROR and no answer
(NODATA), with a SOA in the authority section. Names compare without case
and without the final dot.

Signed answers: zonefiles=[path, ...] loads every RR of zone files (as
ldns-signzone writes them: RRSIG, DNSKEY, NSEC included) with dnslib's zone
parser; a query for a name and type in them gets the records and the RRSIGs
that cover them. Such names take precedence over the dict.

From Python (pytest):

    with DnsStub(zone) as stub:
        ... "--set", f"dns.servers=127.0.0.1@{stub.port}" ...
        stub.queries   # [(name, type), ...] every question asked, in order
        stub.tcp_queries   # how many of them came over TCP

From a shell (prints the port on its first line, serves until killed):

    python3 tests/integration/dnsstub.py zone.json [--port N] [--zonefile F]
"""

import argparse
import json
import socket
import struct
import sys
import threading

from dnslib import (AAAA, EDNS0, MX, PTR, QTYPE, RCODE, RR, SOA, TLSA,
                    TXT, A, DNSLabel, DNSRecord)

BEHAVIOURS = ("NXDOMAIN", "SERVFAIL", "REFUSED", "HANG")


def _key(name):
    return str(name).rstrip(".").lower()


def _txt_strings(record):
    strings = [record] if isinstance(record, str) else list(record)
    return [s.encode() if isinstance(s, str) else bytes(s) for s in strings]


def _rdata(qtype, value):
    if qtype == "A":
        return A(value)
    if qtype == "AAAA":
        return AAAA(value)
    if qtype == "MX":
        pref, host = value
        return MX(host if host != "." else DNSLabel([]), pref)
    if qtype == "TXT":
        return TXT(_txt_strings(value))
    if qtype == "PTR":
        return PTR(value)
    if qtype == "TLSA":
        usage, selector, mtype, data = value
        return TLSA(usage, selector, mtype, bytes.fromhex(data))
    raise ValueError(f"the stub does not serve {qtype} records")


def sign_zone(directory, origin, zone):
    """Writes zone (master-file text for origin) into directory and signs
    it with a fresh ECDSA key (ldns-keygen, ldns-signzone from
    ldnsutils): (the signed zone's text, the DS file to use as the trust
    anchor)."""
    import pathlib
    import subprocess
    d = pathlib.Path(directory)
    (d / "zone").write_text(zone)
    key = subprocess.run(["ldns-keygen", "-a", "ECDSAP256SHA256", "-k",
                          origin], cwd=d, check=True, capture_output=True,
                         text=True).stdout.strip()
    subprocess.run(["ldns-signzone", "zone", key], cwd=d, check=True,
                   capture_output=True)
    return (d / "zone.signed").read_text(), d / f"{key}.ds"


class DnsStub:
    """Serves `zone` on host:port (UDP and TCP) in daemon threads: by
    default 127.0.0.1 and a free port; bench/b10.py serves it on port 53
    of another loopback address, where the C library's resolver (which
    knows no other port) can be sent to it."""

    def __init__(self, zone=None, zonefiles=(), port=0, host="127.0.0.1"):
        self.host = host
        self.zone = {_key(k): v for k, v in (zone or {}).items()}
        self.signed = {}
        for path in zonefiles:
            self.load_zonefile(path)
        self.queries = []
        self.tcp_queries = 0	# questions that came over TCP
        self._stop = threading.Event()
        self._bind(port)

    def load_zonefile(self, path):
        with open(path, encoding="ascii") as f:
            for rr in RR.fromZone(f.read()):
                self.signed.setdefault(_key(rr.rname), []).append(rr)

    def _bind(self, port):
        # UDP and TCP on the same number: try free UDP ports until the
        # TCP one is free too.
        for _ in range(50):
            udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            udp.bind((self.host, port))
            tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                tcp.bind((self.host, udp.getsockname()[1]))
            except OSError:
                udp.close()
                tcp.close()
                if port:
                    raise
                continue
            tcp.listen(16)
            self.udp, self.tcp = udp, tcp
            self.port = udp.getsockname()[1]
            return
        raise OSError("no free port for the DNS stub")

    # ---- answers ----

    def _soa(self, name):
        return RR(name, QTYPE.SOA, ttl=60,
                  rdata=SOA("ns.stub.test", "hostmaster.stub.test",
                            (1, 3600, 600, 86400, 60)))

    def answer(self, request):
        """The reply to a parsed request, or None to stay silent."""
        q = request.q
        name, qtype = _key(q.qname), QTYPE.get(q.qtype)
        self.queries.append((name, qtype))
        reply = request.reply(ra=1, aa=1)
        do = False
        for ar in request.ar:
            if ar.rtype == QTYPE.OPT:
                do = bool(ar.ttl & 0x8000)
                reply.add_ar(EDNS0(udp_len=4096,
                                   flags="do" if do else ""))
        if name in self.signed:
            return self._answer_signed(reply, name, q.qtype, do)
        entry = self.zone.get(name, "NXDOMAIN")
        if isinstance(entry, dict):
            entry = entry.get(qtype, entry)
        if entry == "HANG":
            return None
        if entry in BEHAVIOURS:
            reply.header.rcode = getattr(RCODE, entry)
            if entry == "NXDOMAIN":
                reply.add_auth(self._soa(name))
            return reply
        if isinstance(entry, dict):	# the name exists; not this type
            reply.add_auth(self._soa(name))
            return reply
        ttl = self.zone[name].get("ttl", 300)
        for value in entry:
            reply.add_answer(RR(q.qname, q.qtype, ttl=ttl,
                                rdata=_rdata(qtype, value)))
        return reply

    def _answer_signed(self, reply, name, qtype, do):
        for rr in self.signed[name]:
            if rr.rtype == qtype:
                reply.add_answer(rr)
            elif (do and rr.rtype == QTYPE.RRSIG and
                  rr.rdata.covered == qtype):
                reply.add_answer(rr)
        return reply

    # ---- transport ----

    def _serve_udp(self):
        self.udp.settimeout(0.2)
        while not self._stop.is_set():
            try:
                data, peer = self.udp.recvfrom(65535)
            except socket.timeout:
                continue
            except OSError:
                return
            out = self._handle(data, udp=True)
            if out is not None:
                self.udp.sendto(out, peer)

    def _serve_tcp(self):
        self.tcp.settimeout(0.2)
        while not self._stop.is_set():
            try:
                conn, _ = self.tcp.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            threading.Thread(target=self._tcp_conn, args=(conn,),
                             daemon=True).start()

    def _tcp_conn(self, conn):
        with conn:
            conn.settimeout(10)
            try:
                while True:
                    head = conn.recv(2, socket.MSG_WAITALL)
                    if len(head) < 2:
                        return
                    (n,) = struct.unpack("!H", head)
                    data = conn.recv(n, socket.MSG_WAITALL)
                    self.tcp_queries += 1
                    out = self._handle(data, udp=False)
                    if out is not None:
                        conn.sendall(struct.pack("!H", len(out)) + out)
            except OSError:
                return

    def _handle(self, data, udp):
        try:
            request = DNSRecord.parse(data)
        except Exception:	# a stub answers what it can read
            return None
        reply = self.answer(request)
        if reply is None:
            return None
        out = reply.pack()
        limit = 512
        for ar in request.ar:
            if ar.rtype == QTYPE.OPT:
                limit = max(512, ar.rclass)
        if udp and len(out) > limit:
            reply = reply.truncate()
            out = reply.pack()
        return out

    def start(self):
        for target in (self._serve_udp, self._serve_tcp):
            threading.Thread(target=target, daemon=True).start()
        return self

    def stop(self):
        self._stop.set()
        self.udp.close()
        self.tcp.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("zone", help="JSON file: the zone dict")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--zonefile", action="append", default=[],
                        help="a (signed) zone file to serve as well")
    args = parser.parse_args()
    with open(args.zone, encoding="utf-8") as f:
        zone = json.load(f)
    stub = DnsStub(zone, args.zonefile, args.port).start()
    print(stub.port, flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    stub.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
