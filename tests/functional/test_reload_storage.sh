#!/usr/bin/env bash
# test_reload_storage.sh — a reload (SIGHUP) that changes storage.* (issue 17): the stores keep
# what they were opened with (storage.postgres and storage.redis are not re-read while running:
# their connections and what they write stay), and the host says so, one warning per key naming
# it, besides the `reload applied` summary; the session goes on as it was (no store turned on).
source "$(dirname "$0")/lib.sh"
paper_mm_config
start_host run "$T/cfg.lua"
wait_for 'msg="stores" journal=.* redis="off" postgres=off' 10
sed -i 's|fsync = "turn" }|fsync = "turn", postgres = { conninfo_env = "TH_PG_NOT_USED" }, redis = { host = "127.0.0.1", port = 1 } }|' "$T/cfg.lua"
grep -q 'conninfo_env = "TH_PG_NOT_USED"' "$T/cfg.lua" || fail "the test's edit did not apply"
kill -HUP "$HOST_PID"
wait_for 'msg="reload applied"' 10
for key in storage.postgres.conninfo_env storage.redis.host storage.redis.port; do
  grep -q "msg=\"reload applied\".*needs a restart (kept as running).*$key" "$T/host.log" || fail "the summary does not name $key"
  grep -q "level=warn msg=\"reload: this key changed but needs a restart: not applied\" key=$key effect=\"the store keeps the settings it was opened with\"" "$T/host.log" ||
    fail "no warning naming $key: $(grep 'needs a restart' "$T/host.log")"
done
sleep 0.5
! grep -q 'redis: mirror on\|postgres: ' "$T/host.log" || fail "a store was opened by the reload"
kill -0 "$HOST_PID" || fail "the host exited after the reload"
kill -TERM "$HOST_PID"; wait_exit 20
[ "$HOST_RC" = 0 ] || fail "exit $HOST_RC after SIGTERM"
pass "storage.* changed by SIGHUP: kept as running, one warning per key: $(grep -o 'key=storage[^ ]*' "$T/host.log" | tr '\n' ' ')"
