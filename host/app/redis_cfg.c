/* redis_cfg.c — storage.redis's connection settings read from the config (redis_cfg.h). The
 * password is taken from the environment at start and never logged or stored. */
#include "redis_cfg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int th_redis_cfg_read(th_lua *lua, th_redis_cfg *c, const char **err)
{
    static char msg[300];
    memset(c, 0, sizeof *c);
    if (!th_lua_cfg_string(lua, "storage.redis.host", c->host, sizeof c->host)) return 0;
    c->port = (int)th_lua_cfg_number(lua, "storage.redis.port", 6379);
    c->timeout_ms = (int64_t)th_lua_cfg_number(lua, "storage.redis.connect_timeout_ms", 1000);
    char penv[128];
    if (th_lua_cfg_string(lua, "storage.redis.password_env", penv, sizeof penv)) {
        c->password = getenv(penv);
        if (!c->password || !*c->password) {
            snprintf(msg, sizeof msg, "storage.redis.password_env: the environment variable %s is not set or empty", penv);
            *err = msg;
            return -1;
        }
    }
    return 1;
}
