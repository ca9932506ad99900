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
"""
import socket
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
    else:
        sys.exit("unknown probe " + probe)


if __name__ == "__main__":
    main()
