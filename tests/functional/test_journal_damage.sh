#!/usr/bin/env bash
# test_journal_damage.sh — a real session's journal with one bit flipped (issue 10 item 9): in the
# length, the CRC or the body of a middle record it is corruption (`tradehost journal` exits
# non-zero naming the record's offset, the independent reference reader agrees, and the host
# refuses to start on it, leaving no new journal); in the last record it is a torn tail (exit 0,
# one record fewer). Before, a flipped length bit made the rest of the file a "torn tail": exit 0
# and every later record silently dropped.
source "$(dirname "$0")/lib.sh"
REF="luajit $TH_HOME/tests/functional/journal_reference.lua"

paper_mm_config
start_host run "$T/cfg.lua" --duration 3
wait_exit 30
[ "$HOST_RC" = 0 ] || fail "the session exited $HOST_RC"
J=$(ls "$T"/j/*.thj | sort | tail -1)
cp "$J" "$T/good.thj"

# offsets.lua FILE: the byte offset of every record, one a line
cat >"$T/offsets.lua" <<'LUA'
local f = assert(io.open(arg[1], "rb")) local d = f:read("*a") f:close()
local off = 1
while off + 8 <= #d do
  local a, b, c, e = d:byte(off, off + 3)
  print(off - 1)
  off = off + 8 + a + b * 256 + c * 65536 + e * 16777216
end
LUA
# flip FILE OFFSET BIT: flip one bit of one byte in place
flip() { luajit -e "
local f = assert(io.open('$1', 'r+b')) f:seek('set', $2) local b = f:read(1):byte()
f:seek('set', $2) f:write(string.char(bit.bxor(b, bit.lshift(1, $3)))) f:close()"; }
records() { "$TH_BIN" journal "$1" --json | luajit -e 'print(require("cjson").decode(io.read("*a")).records)'; }

mapfile -t OFF < <(luajit "$T/offsets.lua" "$T/good.thj")
N=${#OFF[@]}
[ "$N" -gt 40 ] || fail "only $N records in the session's journal"
[ "$(records "$T/good.thj")" = "$N" ] || fail "the undamaged journal does not read whole"
MID=${OFF[19]}  # record 20
LAST=${OFF[$((N - 1))]}

# A middle record: one bit in the length (a high bit: the length runs past the end of the file,
# which the old reader took for a torn tail), in the CRC, in the body.
for spot in "length:$((MID + 2)):4" "length:$MID:0" "crc:$((MID + 5)):3" "body:$((MID + 12)):6"; do
  IFS=: read -r part at bitn <<<"$spot"
  cp "$T/good.thj" "$T/bad.thj"
  flip "$T/bad.thj" "$at" "$bitn"
  set +e; "$TH_BIN" journal "$T/bad.thj" >"$T/out.txt" 2>"$T/err.txt"; rc=$?; set -e
  [ "$rc" != 0 ] || fail "$part bit flip in record 20 of $N: tradehost journal exited 0 ($(grep -c . "$T/out.txt") lines)"
  grep -q "corruption" "$T/err.txt" || fail "$part: the message does not say corruption: $(cat "$T/err.txt")"
  grep -q "byte $MID " "$T/err.txt" || fail "$part: the message does not name byte $MID: $(cat "$T/err.txt")"
  grep -q "after 19 good records" "$T/err.txt" || fail "$part: the message does not count the good records: $(cat "$T/err.txt")"
  set +e; $REF "$T/bad.thj" >/dev/null 2>"$T/ref_err.txt"; rc=$?; set -e
  [ "$rc" != 0 ] || fail "$part: the reference reader accepted the damaged journal"
  grep -q "corrupt record at byte $MID " "$T/ref_err.txt" || fail "$part: reference: $(cat "$T/ref_err.txt")"
  pass "$part bit flip in record 20 of $N is corruption at byte $MID"
done

# The host refuses to start on it, and leaves no journal of its own behind.
cp "$T/good.thj" "$J"
flip "$J" $((MID + 2)) 4
before=$(ls "$T"/j | wc -l)
start_host run "$T/cfg.lua" --duration 1 --resume
wait_exit 20
[ "$HOST_RC" = 2 ] || fail "the host started on a corrupt journal (exit $HOST_RC)"
grep -q "corruption" "$T/host.log" || fail "the start-up refusal does not say corruption"
grep -q "byte $MID" "$T/host.log" || fail "the start-up refusal does not name byte $MID"
[ "$(ls "$T"/j | wc -l)" = "$before" ] || fail "the refused start left a file in the journal directory: $(ls "$T"/j)"
# The orders read before the damage are not known state: nothing is cancelled (or sent) from them,
# and the host does not linger on a drain (it used to send cancels for them and wait 5 s).
grep -q "cancelling every open order\|orders still live" "$T/host.log" && fail "the refused start acted on orders from the damaged journal: $(grep -E 'cancelling|still live' "$T/host.log")"
pass "the host refuses to start on a corrupt journal and leaves no trace (no cancel from half-read orders)"
cp "$T/good.thj" "$J"

# The last record: the same damage is a torn tail, one record fewer, and both readers agree.
for spot in "length:$((LAST + 2)):4" "crc:$((LAST + 5)):3" "body:$((LAST + 12)):6"; do
  IFS=: read -r part at bitn <<<"$spot"
  cp "$T/good.thj" "$T/bad.thj"
  flip "$T/bad.thj" "$at" "$bitn"
  got=$(records "$T/bad.thj") || fail "$part bit flip in the last record: tradehost journal failed"
  [ "$got" = $((N - 1)) ] || fail "$part bit flip in the last record: $got records, expected $((N - 1))"
  $REF "$T/bad.thj" | grep -q '"torn_tail":true' || fail "$part: the reference reader does not see a torn tail"
  pass "$part bit flip in the last record is a torn tail ($got of $N records)"
done
