#!/usr/bin/env bash
# A backtest on several recordings: Kraken spot books and trades (venue.recording + venue.data)
# with Kraken Futures as the lead market (venue.lead), merged by receive time.
#  1. The strategy's market events (on_book for the pairs, on_lead for the lead's books) come in
#     receive-time order across both venues: each book update is first told in the batch it falls
#     in (after the previous batch's time, at or before now), and the host clock never goes back; the lead (2021-07-22) is shifted by venue.lead.align = "start" so its
#     first record meets the spot recordings' first (2021-04-17): the shift is the difference of
#     the files' first receive times, to the microsecond.
#  2. The lead's book is readable from the pair's on_book (th.book of a Futures symbol): bid and
#     ask of the XBT/USD future, healthy, after its snapshot arrives.
#  3. Deterministic: the same run twice gives byte-identical report.json and summary.json.
#  4. Without align the lead (July) comes after the whole spot recording (April): none of it is
#     read (the session ends with the traded recordings), and the start says why;
#     --lead replaces the config's lead recording; a missing lead recording is named.
source "$(dirname "$0")/lib.sh"
D="$TH_HOME/tests/data"
lead_config() { # lead_config ALIGN JOURNAL
  cat <<CFG
return {
  venue = { name = "sim", paper = true, feed = "kraken", recording = "$D/kraken/book-5pairs-2021-04-17.v2.txt",
            instruments = "$D/kraken/instrument-5pairs.v2.json", stale_ms = 60000,
            data = { "$D/kraken/trades-ws-v1-2021-04-17.rec" },
            lead = { feed = "kraken-futures", recording = "$D/kraken-futures/futures-ws-v1-2021-07-22.rec",
                     instruments = "$D/kraken-futures/instruments-2021-07-22.rec", align = "$1" } },
  strategy = { name = "leadlog", module = "$TH_HOME/tests/functional/lead_log.lua", tick_ms = 1000 },
  pairs = { { symbol = "XMR/USD" }, { symbol = "WAVES/EUR" } },
  storage = { journal_dir = "$T/$2" }, log = { level = "info" },
}
CFG
}
lead_config start j >"$T/lead.lua"
"$TH_BIN" backtest "$T/lead.lua" --report "$T/a" --seed 3 >"$T/a.out" 2>"$T/a.log" || fail "backtest exit $?: $(tail -5 "$T/a.log")"

# ---- 1 and 2: order across the venues, the shift, the lead's book
python3 - "$T/a.log" "$D/kraken/book-5pairs-2021-04-17.v2.txt" "$D/kraken-futures/futures-ws-v1-2021-07-22.rec" "$D/kraken/trades-ws-v1-2021-04-17.rec" <<'PY' >"$T/check.out" || fail "$(cat "$T/check.out")"
import re, sys
from decimal import Decimal
log, spot, fut, trades = sys.argv[1:5]
# the first record of the traded recordings (the trades file opens first: "<url> <-> <epoch>")
# and of the futures file (also a connection opened)
spot_first = min(int(open(spot).readline().split(" ", 1)[0]), int(Decimal(open(trades).readline().split()[2]) * 1000000000))
fut_first = int(Decimal(open(fut).readline().split()[2]) * 1000000000)
want_shift = spot_first - fut_first
m = re.search(r'msg="lead market from recording" .*shift_s=(-?[0-9.]+)', open(log).read())
assert m, "no lead start line"
assert abs(Decimal(m.group(1)) * 1000000000 - want_shift) < 1000, f"shift {m.group(1)} s, expected {want_shift} ns"
ev = []
for line in open(log):
    if 'msg="ev"' not in line: continue
    kv = dict(re.findall(r'(\w+)=(\S+)', line.split('msg="ev"', 1)[1]))
    ev.append(kv)
books = [e for e in ev if e["kind"] == "book"]
leads = [e for e in ev if e["kind"] == "lead"]
assert len(books) > 500 and len(leads) > 500, f"{len(books)} on_book, {len(leads)} on_lead"
prev_now, batch_start, switches, last_kind, seen = 0, 0, 0, None, set()
for e in ev:
    now, upd = int(e["now"]), int(e["upd"])
    assert now >= prev_now, f"clock went back: {prev_now} then {now}"
    if now > prev_now: batch_start, prev_now = prev_now, now
    assert upd <= now, f"{e['kind']} {e['symbol']} updated at {upd}, after now {now}"
    # a book update is first told in its own batch: after the previous batch's time (a trade
    # alone also calls on_book/on_lead, with the book's older update)
    if (e["symbol"], upd) not in seen:
        seen.add((e["symbol"], upd))
        assert batch_start < upd, f"{e['kind']} {e['symbol']} updated at {upd}, first told in the batch ({batch_start}, {now}]"
    if last_kind and e["kind"] != last_kind: switches += 1
    last_kind = e["kind"]
assert switches > 200, f"the venues' events interleave only {switches} times"
# every lead update is a shifted futures receive time
fut_ts = set()
for line in open(fut):
    head = line.split(" ", 1)[0]
    if head.endswith(":"): fut_ts.add(int(Decimal(head[:-1]) * 1000000000) + want_shift)
bad = [e for e in leads if int(e["upd"]) not in fut_ts]
assert not bad, f"{len(bad)} lead updates at no shifted futures receive time, e.g. {bad[0]}"
# the lead's book, read in the pairs' on_book: the XBT/USD September future, healthy
read = [e for e in books if e["lead_health"] == "ok"]
assert len(read) > 0.9 * len(books), f"lead book ok in {len(read)} of {len(books)} on_book"
for e in read:
    b, a = float(e["lead_bid"]), float(e["lead_ask"])
    assert 30000 < b < a < 35000, f"lead book {b} / {a}"
print(f"{len(books)} on_book and {len(leads)} on_lead in receive-time order, {switches} switches between venues; shift {want_shift} ns")
PY
pass "merged spot + futures lead: $(cat "$T/check.out")"

# ---- 3. deterministic
"$TH_BIN" backtest "$T/lead.lua" --report "$T/b" --seed 3 >"$T/b.out" 2>"$T/b.log" || fail "second backtest exit $?"
cmp "$T/a/summary.json" "$T/b/summary.json" || fail "same inputs, different summary.json"
cmp "$T/a"/*.report/report.json "$T/b"/*.report/report.json || fail "same inputs, different report.json"
pass "the merged run twice: byte-identical summary.json and report.json"

# ---- 4. without align; --lead; a missing lead
lead_config none j2 >"$T/noalign.lua"
"$TH_BIN" backtest "$T/noalign.lua" 2>"$T/n.log" >/dev/null || fail "unaligned backtest exit $?"
grep -q 'msg="lead recording is hours away from the traded one' "$T/n.log" || fail "no warning for an unaligned lead: $(grep lead "$T/n.log" | head -3)"
# the lead (July) comes after the whole spot recording (April): the session ends with the traded
# recordings, so none of it is read
grep -q 'msg="lead recording finished" feed=kraken-futures records=0 frames=0 lead_book_events=0 ' "$T/n.log" || fail "unaligned lead: $(grep 'lead recording finished' "$T/n.log")"
pass "an unaligned lead is warned about ('hours away', venue.lead.align)"
head -n 400 "$D/kraken-futures/futures-ws-v1-2021-07-22.rec" >"$T/short.rec"
"$TH_BIN" backtest "$T/lead.lua" --lead "$T/short.rec" 2>"$T/s.log" >/dev/null || fail "--lead backtest exit $?"
grep -q "msg=\"lead recording finished\" feed=kraken-futures records=400 " "$T/s.log" || fail "--lead did not replace the lead recording: $(grep 'lead recording finished' "$T/s.log")"
rc=0; "$TH_BIN" backtest "$T/lead.lua" --lead "$T/nope.rec" 2>"$T/m.log" >/dev/null || rc=$?
[ "$rc" = 2 ] && grep -q -- "--lead $T/nope.rec: No such file" "$T/m.log" || fail "missing --lead: rc=$rc $(cat "$T/m.log")"
pass "--lead replaces venue.lead.recording; a missing one is named (exit 2)"
