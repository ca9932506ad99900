#!/usr/bin/env bash
# Bad configs stop start-up (exit 2) with a message that names the file and the key path.
. "$(dirname "$0")/lib.sh"

expect_error() { # expect_error NAME EXPECTED_TEXT <<< config
  local name=$1 want=$2
  cat > "$T/$name.lua"
  set +e
  "$TH_BIN" run "$T/$name.lua" --duration 0.1 2>"$T/$name.err"
  local rc=$?
  set -e
  [ "$rc" -eq 2 ] || { cat "$T/$name.err"; fail "$name: exit $rc, want 2"; }
  grep -qF -- "$want" "$T/$name.err" || { cat "$T/$name.err"; fail "$name: message lacks: $want"; }
  grep -qF -- "$T/$name.lua" "$T/$name.err" || fail "$name: message does not name the file"
  pass "$name -> $want"
}

expect_error unknown_key 'venue.nmae: unknown key' <<'LUA'
return { venue = { nmae = "sim" }, strategy = { name = "heartbeat" }, pairs = { { symbol = "X/Y" } } }
LUA
expect_error pair_type 'pairs[3].log_every: expected number, got string' <<'LUA'
return { venue = { name = "sim" }, strategy = { name = "heartbeat" },
         pairs = { { symbol = "A/B" }, { symbol = "C/D" }, { symbol = "E/F", log_every = "10" } } }
LUA
expect_error pair_unknown 'pairs[1].spread_bsp: unknown key' <<'LUA'
return { venue = { name = "sim" }, strategy = { name = "heartbeat" }, pairs = { { symbol = "A/B", spread_bsp = 3 } } }
LUA
expect_error param_unknown 'strategy.params.log_evry: unknown key (not a parameter of strategy heartbeat)' <<'LUA'
return { venue = { name = "sim" }, strategy = { name = "heartbeat", params = { log_evry = 2 } }, pairs = { { symbol = "A/B" } } }
LUA
expect_error missing 'strategy: required value is missing' <<'LUA'
return { venue = { name = "sim" }, pairs = { { symbol = "A/B" } } }
LUA
expect_error enum 'venue.name: kraken-spot is not one of' <<'LUA'
return { venue = { name = "kraken-spot" }, strategy = { name = "heartbeat" }, pairs = { { symbol = "A/B" } } }
LUA
expect_error wrong_type 'strategy.tick_ms: expected integer, got string' <<'LUA'
return { venue = { name = "sim" }, strategy = { name = "heartbeat", tick_ms = "fast" }, pairs = { { symbol = "A/B" } } }
LUA
expect_error api_public 'api.listen: 0.0.0.0 is not a loopback address' <<'LUA'
return { venue = { name = "sim" }, strategy = { name = "heartbeat" }, pairs = { { symbol = "A/B" } },
         api = { listen = "0.0.0.0:8080" } }
LUA
expect_error literal_secret 'venue.credentials.secret_env: must be the name of an environment variable' <<'LUA'
return { venue = { name = "kraken", credentials = { key_env = "K", secret_env = "kQ1+/sEcReT==" } },
         strategy = { name = "heartbeat" }, pairs = { { symbol = "A/B" } } }
LUA
expect_error duplicate_pair 'pairs[2].symbol: A/B is listed twice' <<'LUA'
return { venue = { name = "sim" }, strategy = { name = "heartbeat" }, pairs = { { symbol = "A/B" }, { symbol = "A/B" } } }
LUA
expect_error syntax "$(basename "$T")/syntax.lua:2:" <<'LUA'
return {
  venue = { name = "sim" ,, },
}
LUA
expect_error no_strategy_file 'strategies/nosuch.lua' <<'LUA'
return { venue = { name = "sim" }, strategy = { name = "nosuch" }, pairs = { { symbol = "A/B" } } }
LUA
grep -q 'kQ1+/sEcReT' "$T/literal_secret.err" && fail "a rejected secret value was echoed"
pass "a secret-looking value is not echoed back"

# A valid config starts and stops cleanly.
"$TH_BIN" run "$TH_HOME/config/heartbeat.lua" --duration 0.25 2>"$T/ok.err" || fail "valid config failed: $(cat "$T/ok.err")"
grep -q 'msg="tick"' "$T/ok.err" || fail "valid config produced no ticks"
pass "valid config runs"

# Config evaluation has a budget (issue 11 item 8): a loop, a loop inside a C function's
# callback, a pattern bomb or a runaway allocation in a config ends start-up promptly, with bounded
# memory and a message naming the file.
expect_budget() { # expect_budget NAME EXPECTED_TEXT <<< config
  local name=$1 want=$2 rc secs kb
  cat > "$T/$name.lua"
  set +e
  timeout 30 /usr/bin/time -f "%e %M" -o "$T/$name.time" "$TH_BIN" run "$T/$name.lua" --duration 0.1 2>"$T/$name.err"
  rc=$?
  set -e
  [ "$rc" -eq 2 ] || { cat "$T/$name.err"; fail "$name: exit $rc, want 2"; }
  # The budget counts instructions and wall time; on a loaded machine either may stop it first.
  grep -F -- "$T/$name.lua: evaluation " "$T/$name.err" | grep -qE -- "evaluation $want" ||
    { cat "$T/$name.err"; fail "$name: message lacks: $T/$name.lua: evaluation /$want/"; }
  read -r secs kb < <(tail -1 "$T/$name.time")
  awk -v s="$secs" 'BEGIN { exit !(s < 10) }' || fail "$name: took $secs s"
  [ "$kb" -lt 409600 ] || fail "$name: max RSS $kb kB"
  pass "$name -> stopped in $secs s, max RSS $((kb / 1024)) MiB"
}
expect_budget config_loop 'stopped after (5000[0-9]{4} instructions|[0-9]+ ms)' <<'LUA'
while true do end
return {}
LUA
expect_budget config_callback_loop 'stopped after (5000[0-9]{4} instructions|[0-9]+ ms)' <<'LUA'
string.gsub(("x"):rep(10), ".", function() while true do end end)
LUA
expect_budget config_pattern 'stopped after (5000[0-9]{4} instructions|[0-9]+ ms), in a pattern match or sort' <<'LUA'
local bomb = ("a"):rep(3000):find(".-.-.-.-b")
return {}
LUA
expect_budget config_memory '(stopped: the memory budget of 256 MiB was exceeded|stopped after [0-9]+ ms)' <<'LUA'
local t = {}
while true do t[#t + 1] = string.rep("x", 1000000) .. #t end
LUA

# log.file that is a FIFO nobody reads (start-up used to hang in open() forever) or a directory:
# refused at once, naming the file and the reason.
mkfifo "$T/fifo"
mkdir -p "$T/logdir"
for target in fifo logdir; do
  cat >"$T/log_$target.lua" <<LUA
return { venue = { name = "sim" }, strategy = { name = "heartbeat" }, pairs = { { symbol = "A/B" } },
         log = { file = "$T/$target" } }
LUA
  set +e
  timeout 10 "$TH_BIN" run "$T/log_$target.lua" --duration 0.1 2>"$T/log_$target.err"
  rc=$?
  set -e
  [ "$rc" -eq 2 ] || { cat "$T/log_$target.err"; fail "log.file = $target: exit $rc, want 2 (124: start-up hung)"; }
  grep -qF "log.file $T/$target:" "$T/log_$target.err" || { cat "$T/log_$target.err"; fail "log.file = $target: the message does not name the file"; }
  pass "log.file = $target -> $(sed 's/.*: //' "$T/log_$target.err")"
done
