/* redis_lease_scripts.c — the scripts the leases and the shared budget run inside Redis (EVAL).
 * Each decision that two hosts could race on (take a free lease, renew or release only our own,
 * count the live hosts, grant a reservation from what the others leave) is one script, so Redis
 * runs it atomically; redis_lease.c sends them and acts on the answers. */
#include "redis_lease_scripts.h"

/* Renew only if the lease is still ours (KEYS[1] the lease, ARGV host id, ttl ms): 1 or 0. */
const char TH_LEASE_RENEW[] =
    "if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end return 0";
/* Delete the lease only if it is still ours. */
const char TH_LEASE_RELEASE[] = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0";
/* Take up to ARGV[3] of the free leases among KEYS (SET NX PX, host id ARGV[1], ttl ARGV[2]), in
 * one round trip: the 1-based positions of those taken, as "1,3" ("" for none). A key still
 * holding this host's id (it let the pair go on its side after a Redis blip, or it restarted
 * with the same id) is taken back at once: no other host can hold it meanwhile. */
const char TH_LEASE_ACQUIRE[] =
    "local got = {} for i = 1, #KEYS do if #got >= tonumber(ARGV[3]) then break end "
    "if redis.call('SET', KEYS[i], ARGV[1], 'NX', 'PX', ARGV[2]) then got[#got + 1] = i "
    "elseif redis.call('GET', KEYS[i]) == ARGV[1] then redis.call('PEXPIRE', KEYS[i], ARGV[2]) got[#got + 1] = i end end "
    "return table.concat(got, ',')";
/* This host's entry in the hosts hash (host -> expiry ms), the expired ones dropped: how many live. */
const char TH_LEASE_HEARTBEAT[] =
    "local t = redis.call('TIME') local now = t[1] * 1000 + math.floor(t[2] / 1000) "
    "redis.call('HSET', KEYS[1], ARGV[1], string.format('%d', now + tonumber(ARGV[2]))) "
    "local all = redis.call('HGETALL', KEYS[1]) local n = 0 "
    "for i = 1, #all, 2 do if tonumber(all[i + 1]) <= now then redis.call('HDEL', KEYS[1], all[i]) else n = n + 1 end end "
    "redis.call('PEXPIRE', KEYS[1], ARGV[2]) return n";
/* The reservation (KEYS[1] the budget hash; ARGV host, wanted amount, limit, ttl ms): granted out
 * of what the other hosts' unexpired reservations leave of the limit; returns the grant as text. */
const char TH_LEASE_RESERVE[] =
    "local t = redis.call('TIME') local now = t[1] * 1000 + math.floor(t[2] / 1000) "
    "local all = redis.call('HGETALL', KEYS[1]) local others = 0 "
    "for i = 1, #all, 2 do if all[i] ~= ARGV[1] then "
    "  local a, e = string.match(all[i + 1], '^([^:]+):(%d+)$') "
    "  if not a or tonumber(e) <= now then redis.call('HDEL', KEYS[1], all[i]) else others = others + tonumber(a) end end end "
    "local grant = math.min(tonumber(ARGV[2]), tonumber(ARGV[3]) - others) if grant < 0 then grant = 0 end "
    "if grant > 0 then redis.call('HSET', KEYS[1], ARGV[1], string.format('%.6f:%d', grant, now + tonumber(ARGV[4]))) "
    "else redis.call('HDEL', KEYS[1], ARGV[1]) end "
    "redis.call('PEXPIRE', KEYS[1], ARGV[4]) return string.format('%.6f', grant)";
