#!/usr/bin/env bash
# test_repl_edit.sh — `tradehost repl` on a terminal (a pty driven by tests/functional/pty_session.py):
# libedit line editing (the up arrow recalls the last line and runs it again: its escape bytes never
# reach the host), history kept across sessions in ~/.tradehost_history or
# $XDG_STATE_HOME/tradehost/history, always mode 0600; tab completion of th. names asked of the host;
# a multi-line chunk continuing on a `..>` prompt; .help. Without a terminal (piped input) a line
# holding an ESC byte is refused by the client, and a raw client's ESC line by the host, with a
# message saying what it is, never run.
source "$(dirname "$0")/lib.sh"
SOCK="$T/th.sock"
paper_mm_config
start_host run "$T/cfg.lua"
wait_for 'repl: listening' 10
wait_for 'order flow ready' 10
mkdir -p "$T/home"

session() { # session NAME [ENV...]: runs the python scenario on stdin in a pty client
  local name=$1; shift
  env -i PATH="$PATH" HOME="$T/home" TERM=xterm PYTHONDONTWRITEBYTECODE=1 "$@" python3 - "$TH_BIN" "$SOCK" "$(dirname "$0")" >"$T/$name.out" 2>&1 ||
    { cat "$T/$name.out" >&2; fail "terminal session $name"; }
}

# 1. Editing, recall, completion, multi-line, .help; the history file.
session one <<'PY'
import os, sys
sys.path.insert(0, sys.argv[3])
from pty_session import Session, UP, CTRL_U
s = Session([sys.argv[1], "repl", sys.argv[2]], dict(os.environ))
s.expect(r"\(full access\)")
s.prompt()
s.send("40+2\r")
s.expect(r"\r\n42\r\n")
s.prompt()
s.send(UP)                          # the last line comes back, edited in place
s.expect(r"40\+2")
s.send("\r")
s.expect(r"\r\n42\r\n")             # it ran again: the host got "40+2", not "\x1b[A"
s.prompt()
s.send("th.risk.sta\t")             # completed by the host: th.risk.status(
s.expect(r"tus\(")
s.send(")\r")
s.expect(r"halted = false")
s.prompt()
s.send("th.risk.\t\t")              # several completions: listed on the second Tab
s.expect(r"th\.risk\.kill\(")
s.expect(r"th\.risk\.status\(")
s.send(CTRL_U)
s.send("function f()\r")
s.prompt(r"\.\.> ")                 # an unfinished chunk continues on a ..> prompt
s.send("return 6 * 7\r")
s.prompt(r"\.\.> ")
s.send("end\r")
s.prompt()
s.send("f()\r")
s.expect(r"\r\n42\r\n")
s.prompt()
s.send(".help\r")
s.expect(r"th\.status\(\)")
s.prompt()
out = s.since(0)
for bad in ("error:", "bytecode", "wrong mode", "^[[A"):
    if bad in out:
        s.fail("the session shows %r" % bad)
code = s.close()
if code != 0:
    s.fail("exit status %d after Ctrl-D" % code)
print("ok")
PY
H="$T/home/.tradehost_history"
[ -f "$H" ] || fail "no history file at $H"
[ "$(stat -c %a "$H")" = 600 ] || fail "history file mode $(stat -c %a "$H"), not 600"
grep -qx '40+2' "$H" && grep -qx 'th.risk.status()' "$H" && grep -q '^function' "$H" && grep -qx '.help' "$H" ||
  { cat "$H" >&2; fail "history file lacks the lines entered"; }
pass "terminal: up arrow recalls and reruns a line, Tab completes th.risk.sta -> th.risk.status( and lists th.risk., ..> continuation, .help; history in ~/.tradehost_history (0600)"

# 2. The history survives: a new session recalls the last lines of the previous one; a history
#    file that was made readable by others is made 0600 again.
chmod 644 "$H"
session two <<'PY'
import os, sys
sys.path.insert(0, sys.argv[3])
from pty_session import Session, UP
s = Session([sys.argv[1], "repl", sys.argv[2]], dict(os.environ))
s.prompt()
s.send(UP)
s.expect(r"\.help")
s.send(UP)
s.expect(r"f\(\)")
s.send(UP)
s.expect(r"end")
s.send(UP + UP + UP + UP)             # past the chunk's lines and th.risk.status() to 40+2
s.expect(r"40\+2")
s.send("\r")
s.expect(r"\r\n42\r\n")
s.prompt()
if s.close() != 0:
    s.fail("exit status after Ctrl-D")
PY
[ "$(stat -c %a "$H")" = 600 ] || fail "history file left at mode $(stat -c %a "$H") after a session"
pass "a new session recalls the previous session's lines; the history file is made 0600 again"

# 3. XDG_STATE_HOME: the history goes to $XDG_STATE_HOME/tradehost/history (directory 0700).
before=$(md5sum <"$H")
session three XDG_STATE_HOME="$T/state" <<'PY'
import os, sys
sys.path.insert(0, sys.argv[3])
from pty_session import Session
s = Session([sys.argv[1], "repl", sys.argv[2]], dict(os.environ))
s.prompt()
s.send("'xdg'..1\r")
s.expect(r'"xdg1"')
s.prompt()
if s.close() != 0:
    s.fail("exit status after Ctrl-D")
PY
XH="$T/state/tradehost/history"
[ -f "$XH" ] && [ "$(stat -c %a "$XH")" = 600 ] && [ "$(stat -c %a "$T/state/tradehost")" = 700 ] ||
  fail "XDG history: $(ls -la "$T/state/tradehost" 2>&1)"
grep -qx "'xdg'..1" "$XH" || fail "XDG history lacks the line: $(cat "$XH")"
[ "$(md5sum <"$H")" = "$before" ] || fail "~/.tradehost_history written although XDG_STATE_HOME is set"
pass "with XDG_STATE_HOME the history is \$XDG_STATE_HOME/tradehost/history (0600, directory 0700)"

# 4. No terminal: a line holding an ESC byte (an arrow key where nothing edits lines) is refused by
#    the client with a message and never sent; the lines around it run.
OUT=$(printf '1+1\n\033[A\n2+2\n' | "$TH_BIN" repl "$SOCK" 2>"$T/esc.err") || fail "piped client exited $?"
[ "$OUT" = $'2\n4' ] || fail "piped ESC line: stdout '$OUT'"
grep -q 'input line 2: an ESC byte in the line (an arrow or function key read without line editing?)' "$T/esc.err" ||
  fail "piped ESC line: no message: $(cat "$T/esc.err")"
# A raw client that sends one anyway gets the host's own refusal, not a compile of "bytecode".
python3 - "$SOCK" >"$T/raw.out" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX); s.settimeout(10); s.connect(sys.argv[1])
def frame():
    h = b""
    while len(h) < 5: h += s.recv(5 - len(h))
    n = int.from_bytes(h[1:5], "big"); d = b""
    while len(d) < n: d += s.recv(n - len(d))
    return h[0], d.decode()
s.sendall(b"TH-REPL 2 full\n\x1b[A\n")
print(frame(), frame())
PY
grep -qF "(0, 'full') (0, \"error: the line starts with an escape byte (a terminal's arrow or function key?): not Lua, not run\\n\")" "$T/raw.out" ||
  fail "raw client ESC line: $(cat "$T/raw.out")"
pass "without a terminal an ESC line is refused by the client (and by the host for a raw client), never run"
kill -TERM "$HOST_PID"; wait_exit 20
