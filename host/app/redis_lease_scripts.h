/* redis_lease_scripts.h — the Lua scripts of the pair leases and the shared budget, run atomically
 * by Redis (redis_lease_scripts.c says what each takes and answers). */
#ifndef TH_REDIS_LEASE_SCRIPTS_H
#define TH_REDIS_LEASE_SCRIPTS_H

extern const char TH_LEASE_RENEW[];
extern const char TH_LEASE_RELEASE[];
extern const char TH_LEASE_ACQUIRE[];
extern const char TH_LEASE_HEARTBEAT[];
extern const char TH_LEASE_RESERVE[];

#endif
