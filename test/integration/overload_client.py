#!/usr/bin/env python3
"""Misbehaving clients for the overload tests: many idle TLS connections, slow senders (HTTP/1.1 and HTTP/2) and an
HTTP/2 rapid-reset burst. HTTP/2 frames are written by hand (a few static HPACK entries suffice), so no HTTP/2 library
is needed. Every operation is bounded in time and prints one result line.

  overload_client.py hold PORT CA COUNT SECONDS     open COUNT TLS connections (h2 and http/1.1 alternating), print
                                                   "held N", keep them until stdin closes or SECONDS pass
  overload_client.py slow-h1-headers PORT CA LIMIT  trickle a header byte every 0.2 s; print "closed AFTER" or "open"
  overload_client.py slow-h1-body PORT CA LIMIT     send headers and part of the body, then stall; same output
  overload_client.py slow-h2-body PORT CA LIMIT     trickle body bytes and PINGs on an h2 stream; print "reset AFTER",
                                                   "closed AFTER" or "open"
  overload_client.py ping-idle PORT CA LIMIT       an h2 connection that only PINGs; print "goaway CODE AFTER",
                                                   "closed AFTER" or "open"
  overload_client.py rapid-reset PORT CA PAIRS      send PAIRS HEADERS+RST_STREAM pairs at once; print "goaway CODE",
                                                   "closed" or "open", then "responses N"
"""
import select
import socket
import ssl
import struct
import sys
import time

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
DATA, HEADERS, RST_STREAM, SETTINGS, PING, GOAWAY = 0, 1, 3, 4, 6, 7
END_STREAM, END_HEADERS, ACK = 0x1, 0x4, 0x1


def connect(port, ca, alpn):
    ctx = ssl.create_default_context(cafile=ca)
    ctx.check_hostname = False
    ctx.set_alpn_protocols([alpn])
    raw = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock = ctx.wrap_socket(raw, server_hostname="localhost")
    return sock


def frame(ftype, flags, stream, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([ftype, flags]) + struct.pack(">I", stream) + payload


def hpack_literal(index, value):
    # Literal header field without indexing, indexed name (RFC 7541 6.2.2); names and values here are short.
    assert index < 15 and len(value) < 127
    return bytes([index, len(value)]) + value


def request_block(method_index, path):
    # :method (2 = GET, 3 = POST), :scheme https (7), :path (4), :authority (1)
    return bytes([0x80 | method_index, 0x87]) + hpack_literal(4, path) + hpack_literal(1, b"localhost")


def h2_connect(port, ca):
    sock = connect(port, ca, "h2")
    if sock.selected_alpn_protocol() != "h2":
        raise SystemExit("server did not negotiate h2")
    sock.sendall(PREFACE + frame(SETTINGS, 0, 0))
    return sock


class FrameReader:
    def __init__(self, sock):
        self.sock, self.buf = sock, b""

    def next(self, deadline):
        """The next frame as (type, flags, stream, payload), None when the peer closed, or "timeout"."""
        while True:
            if len(self.buf) >= 9:
                length = int.from_bytes(self.buf[:3], "big")
                if len(self.buf) >= 9 + length:
                    f = self.buf[:9 + length]
                    self.buf = self.buf[9 + length:]
                    return f[3], f[4], int.from_bytes(f[5:9], "big") & 0x7FFFFFFF, f[9:]
            left = deadline - time.monotonic()
            if left <= 0:
                return "timeout"
            if not self.sock.pending():
                r, _, _ = select.select([self.sock], [], [], min(left, 0.2))
                if not r:
                    continue
            try:
                chunk = self.sock.recv(65536)
            except (ssl.SSLError, OSError):
                return None
            if not chunk:
                return None
            self.buf += chunk


def closed_by_peer(sock):
    """True when the peer has closed (reads EOF or an error); consumes whatever data is pending, never blocks."""
    timeout = sock.gettimeout()
    sock.settimeout(0)
    try:
        r, _, _ = select.select([sock], [], [], 0)
        if r or sock.pending():
            return sock.recv(65536) == b""
    except (ssl.SSLWantReadError, ssl.SSLWantWriteError, BlockingIOError):
        return False  # only TLS records without application data (e.g. session tickets) were there
    except (ssl.SSLError, OSError):
        return True
    finally:
        sock.settimeout(timeout)
    return False


def hold(port, ca, count, seconds):
    conns = []
    for i in range(count):
        conns.append(connect(port, ca, "h2" if i % 2 == 0 else "http/1.1"))
        if i % 2 == 0:
            conns[-1].sendall(PREFACE + frame(SETTINGS, 0, 0))
    print("held %d" % len(conns), flush=True)
    r, _, _ = select.select([sys.stdin], [], [], seconds)
    alive = sum(1 for c in conns if not closed_by_peer(c))
    print("alive %d" % alive, flush=True)
    for c in conns:
        c.close()


def trickle(sock, limit, step):
    """Calls step() every 0.2 s until the peer closes or limit seconds pass; returns the elapsed time or None."""
    start = time.monotonic()
    while time.monotonic() - start < limit:
        if closed_by_peer(sock):
            return time.monotonic() - start
        try:
            step()
        except (ssl.SSLError, OSError):
            return time.monotonic() - start
        time.sleep(0.2)
    return None


def report(after):
    print("open" if after is None else "closed %.1f" % after, flush=True)


def slow_h1_headers(port, ca, limit):
    sock = connect(port, ca, "http/1.1")
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n")
    report(trickle(sock, limit, lambda: sock.sendall(b"x")))


def slow_h1_body(port, ca, limit):
    sock = connect(port, ca, "http/1.1")
    sock.sendall(b"POST /validate HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                 b"Content-Length: 100\r\n\r\n{\"apiVersion\":")
    report(trickle(sock, limit, lambda: None))


def slow_h2_body(port, ca, limit):
    sock = h2_connect(port, ca)
    sock.sendall(frame(HEADERS, END_HEADERS, 1, request_block(3, b"/healthz")))
    reader = FrameReader(sock)
    start = time.monotonic()
    while time.monotonic() - start < limit:
        sock.sendall(frame(DATA, 0, 1, b"x") + frame(PING, 0, 0, b"12345678"))
        deadline = time.monotonic() + 0.2
        while True:
            f = reader.next(deadline)
            if f is None:
                print("closed %.1f" % (time.monotonic() - start), flush=True)
                return
            if f == "timeout":
                break
            if f[0] == RST_STREAM and f[2] == 1:
                print("reset %.1f" % (time.monotonic() - start), flush=True)
                return
    print("open", flush=True)


def ping_idle(port, ca, limit):
    sock = h2_connect(port, ca)
    reader = FrameReader(sock)
    start = time.monotonic()
    outcome = "open"
    while outcome == "open" and time.monotonic() - start < limit:
        try:
            sock.sendall(frame(PING, 0, 0, b"12345678"))
        except (ssl.SSLError, OSError):
            outcome = "closed %.1f" % (time.monotonic() - start)
            break
        deadline = time.monotonic() + 0.2
        while True:
            f = reader.next(deadline)
            if f == "timeout":
                break
            if f is None:
                outcome = "closed %.1f" % (time.monotonic() - start)
                break
            if f[0] == GOAWAY:
                outcome = "goaway %d %.1f" % (int.from_bytes(f[3][4:8], "big"), time.monotonic() - start)
                break
    print(outcome, flush=True)


def rapid_reset(port, ca, pairs):
    sock = h2_connect(port, ca)
    burst = bytearray()
    for i in range(pairs):
        stream = 1 + 2 * i
        burst += frame(HEADERS, END_HEADERS | END_STREAM, stream, request_block(2, b"/healthz"))
        burst += frame(RST_STREAM, 0, stream, struct.pack(">I", 8))  # CANCEL
    try:
        sock.sendall(bytes(burst))
    except (ssl.SSLError, OSError):
        pass
    reader = FrameReader(sock)
    # A flood must be cut well within 10 s; for a small burst, 2 s of quiet show that nothing closes the connection.
    deadline = time.monotonic() + (10 if pairs > 10 else 2)
    responses, outcome = 0, "open"
    while True:
        f = reader.next(deadline)
        if f == "timeout":
            break
        if f is None:
            outcome = outcome if outcome != "open" else "closed"
            break
        if f[0] == HEADERS and f[2] != 0:
            responses += 1
        if f[0] == GOAWAY:
            outcome = "goaway %d" % int.from_bytes(f[3][4:8], "big")
    print(outcome, flush=True)
    print("responses %d" % responses, flush=True)


def main():
    cmd, port, ca, n = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    if cmd == "hold":
        hold(port, ca, int(n), float(sys.argv[5]))
    elif cmd == "slow-h1-headers":
        slow_h1_headers(port, ca, float(n))
    elif cmd == "slow-h1-body":
        slow_h1_body(port, ca, float(n))
    elif cmd == "slow-h2-body":
        slow_h2_body(port, ca, float(n))
    elif cmd == "ping-idle":
        ping_idle(port, ca, float(n))
    elif cmd == "rapid-reset":
        rapid_reset(port, ca, int(n))
    else:
        raise SystemExit("unknown command " + cmd)


if __name__ == "__main__":
    main()
