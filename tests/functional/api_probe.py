#!/usr/bin/env python3
"""api_probe.py — what a hostile local process can do to the HTTP API, on raw sockets.

Used by test_api_probe.sh. Each probe prints one line "key=value ..." that the test checks; the
probe itself never decides pass or fail, except that a socket error of ours is an error.

  api_probe.py PORT connect-close [N]     connect and close at once (what `nc -z` does), N times
  api_probe.py PORT send TEXT             send TEXT (python escapes: \\r\\n, \\x00), print the status line
  api_probe.py PORT big-header BYTES      GET /health with one header of BYTES bytes
  api_probe.py PORT idle SECS             connect, send nothing: how long until the host hangs up
  api_probe.py PORT slow-header SECS      a header trickled one byte a second: how long until cut
  api_probe.py PORT slow-body SECS        a POST whose declared body never comes: how long until cut
  api_probe.py PORT stream-body MB         a POST streaming MB megabytes of body: how much the host took
  api_probe.py PORT post-flood N           N POST /risk/kill without a token, one connection each
  api_probe.py PORT hold N SECS           N idle connections (half of them with a partial request),
                                          while /health is asked every 0.2 s on fresh connections
  api_probe.py PORT no-read N SECS        N pipelined GET /metrics on one connection, never read

The /events websocket (a client written here on raw sockets from RFC 6455, so the test needs no
package: handshake with the accept key checked, masked client frames, fragments reassembled):
  api_probe.py PORT events SECS [OUT]     read the stream for SECS: each message must be one JSON
                                          object with a "type"; prints counts by type (and writes
                                          the messages, one a line, to OUT)
  api_probe.py PORT ws-no-read SECS       subscribe with a tiny receive buffer and never read: how
                                          long until the host drops us
  api_probe.py PORT ws-garbage            after the handshake, bytes that are no websocket frame
  api_probe.py PORT ws-huge MB            a text frame announcing MB megabytes, streamed
  api_probe.py PORT ws-fragments N        N continuation fragments of 1 KiB (one message)
  api_probe.py PORT ws-many N SECS        N subscribers at once: how many the host kept
  api_probe.py PORT ws-upgrade PATH       a websocket upgrade on PATH: the status line
"""
import base64
import hashlib
import json
import os
import socket
import struct
import sys
import time

HOST = "127.0.0.1"


def connect(port, timeout=5.0):
    s = socket.create_connection((HOST, port), timeout=timeout)
    return s


def status_line(s, timeout=5.0):
    """First line of the answer, or 'closed' when the host hung up with nothing, or 'timeout'."""
    s.settimeout(timeout)
    data = b""
    try:
        while b"\r\n" not in data:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    except socket.timeout:
        return "timeout"
    except ConnectionResetError:
        return "reset" if not data else data.split(b"\r\n")[0].decode("latin-1")
    if not data:
        return "closed"
    return data.split(b"\r\n")[0].decode("latin-1")


def until_closed(s, limit):
    """Seconds until the peer closes (reads and discards), or None after limit seconds."""
    t0 = time.monotonic()
    s.settimeout(0.2)
    while time.monotonic() - t0 < limit:
        try:
            if not s.recv(65536):
                return time.monotonic() - t0
        except socket.timeout:
            continue
        except (ConnectionResetError, BrokenPipeError):
            return time.monotonic() - t0
    return None


def health(port, timeout=2.0):
    """(ok, seconds) for one GET /health on a fresh connection."""
    t0 = time.monotonic()
    try:
        s = connect(port, timeout)
        s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        line = status_line(s, timeout)
        s.close()
        return line.startswith("HTTP/1.1 200"), time.monotonic() - t0
    except OSError:
        return False, time.monotonic() - t0


def fmt_secs(v):
    return "never" if v is None else "%.1f" % v


WS_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def ws_connect(port, path="/events", rcvbuf=None, timeout=5.0):
    """The opening handshake; returns (socket, leftover bytes) or raises with the status line."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.settimeout(timeout)
    s.connect((HOST, port))
    key = base64.b64encode(os.urandom(16))
    s.sendall(b"GET " + path.encode() + b" HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
              b"Sec-WebSocket-Key: " + key + b"\r\nSec-WebSocket-Version: 13\r\n\r\n")
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(4096)
        if not chunk:
            raise ConnectionError("closed during the handshake")
        data += chunk
    head, rest = data.split(b"\r\n\r\n", 1)
    lines = head.split(b"\r\n")
    if not lines[0].startswith(b"HTTP/1.1 101"):
        raise ConnectionError(lines[0].decode("latin-1"))
    want = base64.b64encode(hashlib.sha1(key + WS_GUID).digest())
    accept = [l.split(b":", 1)[1].strip() for l in lines[1:] if l.lower().startswith(b"sec-websocket-accept:")]
    if accept != [want]:
        raise ConnectionError("bad Sec-WebSocket-Accept %r" % accept)
    return s, rest


def ws_frame(opcode, payload, fin=True, declared=None):
    """A masked client frame (declared: the length to announce, for lies)."""
    n = len(payload) if declared is None else declared
    b0 = (0x80 if fin else 0) | opcode
    if n < 126:
        hdr = struct.pack("!BB", b0, 0x80 | n)
    elif n < 65536:
        hdr = struct.pack("!BBH", b0, 0x80 | 126, n)
    else:
        hdr = struct.pack("!BBQ", b0, 0x80 | 127, n)
    mask = os.urandom(4)
    return hdr + mask + bytes(c ^ mask[i % 4] for i, c in enumerate(payload))


class WsReader:
    """Server frames from a socket: (opcode, payload) of whole messages, fragments joined."""

    def __init__(self, s, buf=b""):
        self.s, self.buf = s, buf

    def _need(self, n):
        while len(self.buf) < n:
            chunk = self.s.recv(65536)
            if not chunk:
                raise EOFError
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def message(self):
        parts, first = [], None
        while True:
            b0, b1 = self._need(2)
            if b1 & 0x80:
                raise ValueError("a masked frame from the server")
            n = b1 & 0x7F
            if n == 126:
                n = struct.unpack("!H", self._need(2))[0]
            elif n == 127:
                n = struct.unpack("!Q", self._need(8))[0]
            payload = self._need(n)
            op = b0 & 0x0F
            if op >= 8:
                return op, payload  # control frames come whole, between fragments too
            first = op if first is None else first
            parts.append(payload)
            if b0 & 0x80:
                return first, b"".join(parts)


def ws_until_closed(s, limit):
    """Seconds until the server closes or resets (reading and discarding), or None."""
    return until_closed(s, limit)


def main():
    port = int(sys.argv[1])
    probe = sys.argv[2]
    args = sys.argv[3:]
    if probe == "connect-close":
        for _ in range(int(args[0]) if args else 1):
            connect(port).close()
        print("done")
    elif probe == "send":
        s = connect(port)
        s.sendall(args[0].encode("latin-1").decode("unicode_escape").encode("latin-1"))
        print("status=%s" % status_line(s).replace(" ", "_"))
        s.close()
    elif probe == "big-header":
        s = connect(port)
        req = b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * int(args[0]) + b"\r\n\r\n"
        try:
            s.sendall(req)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the host may hang up before reading it all: that is an answer too
        print("status=%s" % status_line(s).replace(" ", "_"))
        s.close()
    elif probe == "idle":
        s = connect(port)
        print("closed_after=%s" % fmt_secs(until_closed(s, float(args[0]))))
        s.close()
    elif probe == "slow-header":
        limit = float(args[0])
        s = connect(port)
        s.sendall(b"GET /health HTTP/1.1\r\n")
        t0 = time.monotonic()
        closed = None
        s.settimeout(1.0)
        while time.monotonic() - t0 < limit:
            try:
                s.sendall(b"X")
                if not s.recv(4096):
                    closed = time.monotonic() - t0
                    break
            except socket.timeout:
                continue
            except (BrokenPipeError, ConnectionResetError):
                closed = time.monotonic() - t0
                break
            # an answer (e.g. 408) counts as cut too: the next recv sees the close
        print("closed_after=%s" % fmt_secs(closed))
        s.close()
    elif probe == "slow-body":
        s = connect(port)
        s.sendall(b"POST /risk/kill HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\nab")
        print("closed_after=%s" % fmt_secs(until_closed(s, float(args[0]))))
        s.close()
    elif probe == "stream-body":
        s = connect(port)
        total = int(args[0]) << 20
        s.sendall(b"POST /risk/kill HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % total)
        chunk = b"z" * 65536
        sent = 0
        s.settimeout(5.0)
        try:
            while sent < total:
                s.sendall(chunk)
                sent += len(chunk)
        except (BrokenPipeError, ConnectionResetError, socket.timeout):
            pass
        print("sent_kb=%d" % (sent >> 10))
        s.close()
    elif probe == "post-flood":
        codes = {}
        for _ in range(int(args[0])):
            s = connect(port)
            s.sendall(b"POST /risk/kill HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            line = status_line(s)
            codes[line] = codes.get(line, 0) + 1
            s.close()
        print(" ".join("%s=%d" % (k.replace(" ", "_"), v) for k, v in sorted(codes.items())))
    elif probe == "hold":
        n, secs = int(args[0]), float(args[1])
        held = []
        refused = 0
        for i in range(n):
            try:
                s = connect(port)
                if i % 2:
                    s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")  # never finished
                held.append(s)
            except OSError:
                refused += 1
        ok = bad = 0
        worst = 0.0
        t0 = time.monotonic()
        while time.monotonic() - t0 < secs:
            good, dt = health(port)
            worst = max(worst, dt)
            if good:
                ok += 1
            else:
                bad += 1
            time.sleep(0.2)
        # How many of ours the host has cut by now (it must cut idle ones, not keep them forever).
        cut = 0
        for s in held:
            s.setblocking(False)
            try:
                if s.recv(65536) == b"":
                    cut += 1
            except BlockingIOError:
                pass
            except OSError:
                cut += 1
            s.close()
        print("held=%d refused=%d health_ok=%d health_failed=%d worst_s=%.2f cut=%d" % (len(held), refused, ok, bad, worst, cut))
    elif probe == "no-read":
        n, secs = int(args[0]), float(args[1])
        s = connect(port)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.settimeout(secs)
        req = b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"
        sent = 0
        t0 = time.monotonic()
        try:
            for _ in range(n):
                s.sendall(req)
                sent += 1
        except (socket.timeout, BrokenPipeError, ConnectionResetError):
            pass
        left = max(0.0, secs - (time.monotonic() - t0))
        time.sleep(left)
        print("sent=%d" % sent)
        s.close()
    elif probe == "events":
        secs = float(args[0])
        out = open(args[1], "w") if len(args) > 1 else None
        s, rest = ws_connect(port)
        rd = WsReader(s, rest)
        counts, bad, first, close = {}, 0, None, None
        t0 = time.monotonic()
        s.settimeout(0.5)
        while time.monotonic() - t0 < secs:
            try:
                op, payload = rd.message()
            except socket.timeout:
                continue
            except EOFError:
                close = "eof"
                break
            if op == 8:
                close = "close_%d" % (struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 0)
                break
            if op == 9:
                s.sendall(ws_frame(10, payload))
                continue
            if op != 1:
                bad += 1
                continue
            try:
                doc = json.loads(payload.decode("utf-8"))
                kind = doc["type"]
            except (ValueError, KeyError, TypeError):
                bad += 1
                continue
            first = first or kind
            counts[kind] = counts.get(kind, 0) + 1
            if out:
                out.write(payload.decode("utf-8") + "\n")
        s.sendall(ws_frame(8, struct.pack("!H", 1000)))
        s.close()
        if out:
            out.close()
        print("first=%s bad=%d closed=%s %s" % (first, bad, close or "no",
                                               " ".join("%s=%d" % kv for kv in sorted(counts.items()))))
    elif probe == "ws-no-read":
        s, _ = ws_connect(port, rcvbuf=4096)
        time.sleep(float(args[0]))  # never read: the host's queue for us grows until it drops us
        # dropped: the host has closed its side, so what is left drains and then EOF (or a reset)
        t = ws_until_closed(s, 3.0)
        print("dropped=%s" % ("yes" if t is not None else "no"))
        s.close()
    elif probe == "ws-garbage":
        s, _ = ws_connect(port)
        s.sendall(b"GET /health HTTP/1.1\r\n\r\n" + os.urandom(64))
        print("closed_after=%s" % fmt_secs(ws_until_closed(s, 10.0)))
        s.close()
    elif probe == "ws-huge":
        s, _ = ws_connect(port)
        total = int(args[0]) << 20
        sent = 0
        try:
            s.sendall(ws_frame(1, b"", declared=total))
            chunk = b"z" * 65536
            while sent < total:
                s.sendall(chunk)
                sent += len(chunk)
        except (BrokenPipeError, ConnectionResetError, socket.timeout):
            pass
        print("sent_kb=%d" % (sent >> 10))
        s.close()
    elif probe == "ws-fragments":
        s, _ = ws_connect(port)
        n, sent = int(args[0]), 0
        try:
            s.sendall(ws_frame(1, b"x" * 1024, fin=False))
            for _ in range(n - 1):
                s.sendall(ws_frame(0, b"x" * 1024, fin=False))
                sent += 1
        except (BrokenPipeError, ConnectionResetError, socket.timeout):
            pass
        print("fragments_sent=%d closed_after=%s" % (sent + 1, fmt_secs(ws_until_closed(s, 5.0))))
        s.close()
    elif probe == "ws-many":
        n, secs = int(args[0]), float(args[1])
        held, refused = [], 0
        for _ in range(n):
            try:
                held.append(ws_connect(port)[0])
            except (ConnectionError, OSError):
                refused += 1
        time.sleep(secs)
        alive = 0
        for s in held:
            s.setblocking(False)
            try:
                alive += s.recv(1 << 20) != b""
            except BlockingIOError:
                alive += 1
            except OSError:
                pass
            s.close()
        print("accepted=%d refused=%d alive=%d" % (len(held), refused, alive))
    elif probe == "ws-upgrade":
        try:
            s, _ = ws_connect(port, path=args[0])
            print("status=101")
            s.close()
        except ConnectionError as e:
            print("status=%s" % str(e).replace(" ", "_"))
    else:
        sys.exit("unknown probe " + probe)


if __name__ == "__main__":
    main()
