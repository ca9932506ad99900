"""pty_session.py — drive `tradehost repl` on a pseudo-terminal, as a person at a keyboard would,
so that the libedit path (line editing, history, completion) is tested through the real binary.

    s = Session([bin, "repl", sock], env)
    s.expect(r"th> ")            # waits (bounded) for a regex in the output since the last expect
    s.send("40+2\r")
    s.close()                    # Ctrl-D, then the exit status

Keys are sent only after the output they answer has been seen: typed ahead, a key would reach the
terminal while the client waits for the host (not in libedit), and the kernel would echo it."""
import os
import pty
import re
import select
import sys
import time

UP = "\x1b[A"
CTRL_D = "\x04"
CTRL_U = "\x15"


class Session:
    def __init__(self, argv, env):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            os.execve(argv[0], argv, env)
        self.out = b""      # everything read
        self.mark = 0       # where the next expect starts looking

    def _read(self, timeout):
        r, _, _ = select.select([self.fd], [], [], timeout)
        if not r:
            return False
        try:
            data = os.read(self.fd, 65536)
        except OSError:
            return None
        if not data:
            return None
        self.out += data
        return True

    def expect(self, pattern, timeout=10):
        rx = re.compile(pattern.encode() if isinstance(pattern, str) else pattern)
        end = time.time() + timeout
        while True:
            m = rx.search(self.out, self.mark)
            if m:
                self.mark = m.end()
                return self.out[m.start():m.end()].decode(errors="replace")
            left = end - time.time()
            if left <= 0 or self._read(min(left, 0.2)) is None:
                m = rx.search(self.out, self.mark)
                if m:
                    self.mark = m.end()
                    return self.out[m.start():m.end()].decode(errors="replace")
                self.fail("timed out waiting for /%s/" % (pattern if isinstance(pattern, str) else pattern.decode()))

    def prompt(self, text=r"th> "):
        """Waits for a prompt, then a moment: libedit prints the prompt just before it puts the
        terminal in raw mode, and a key typed in between would be echoed by the kernel too."""
        self.expect(text)
        time.sleep(0.1)

    def since(self, start):
        return self.out[start:].decode(errors="replace")

    def send(self, text):
        os.write(self.fd, text.encode())

    def fail(self, msg):
        sys.stderr.write("FAIL: %s\n--- terminal output ---\n%r\n" % (msg, self.out.decode(errors="replace")))
        try:
            os.kill(self.pid, 9)
        except OSError:
            pass
        sys.exit(1)

    def close(self, timeout=10):
        """Ctrl-D; returns the exit status."""
        self.send(CTRL_D)
        end = time.time() + timeout
        while time.time() < end:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                while self._read(0.05):
                    pass
                return os.waitstatus_to_exitcode(status)
            self._read(0.05)
        self.fail("the client did not exit after Ctrl-D")
