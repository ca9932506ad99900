/* redis_cfg.h — storage.redis's connection settings (host, port, password_env, connect_timeout_ms)
 * read from the config in one place: the mirror (redis_mirror.c) and the leases (redis_lease.c)
 * each open their own connection to the same server, and must read the same keys the same way. */
#ifndef TH_REDIS_CFG_H
#define TH_REDIS_CFG_H

#include <stdint.h>

#include "../lua/lua_host.h"

typedef struct {
    char host[64];
    int port;                   /* storage.redis.port, default 6379 */
    const char *password;       /* from the environment variable storage.redis.password_env names, or NULL */
    int64_t timeout_ms;         /* storage.redis.connect_timeout_ms, default 1000 */
} th_redis_cfg;

/* 0: storage.redis.host is not set (no Redis); 1: read; -1: *err says which key is wrong. */
int th_redis_cfg_read(th_lua *lua, th_redis_cfg *c, const char **err);

#endif
