/* redis_uv.h — one Redis connection on the session's libuv loop (hiredis 0.14 async), kept open:
 * connect with a timeout, reconnect after a loss with the one back-off (core/rate_limit.h
 * th_backoff: exponential, full jitter), AUTH first when a password is given.
 *
 * Why its own adapter (and not hiredis's adapters/libuv.h): hiredis 0.14's libuv adapter ignores
 * a poll error, so a refused or reset connection never calls back and the connection hangs
 * forever; here a poll error is handed to hiredis as readable and writable, so it reads the error
 * and calls the connect or disconnect callback (as hiredis 1.x does). 0.14 also has no connect
 * timeout and no reconnect: both are uv timers here. A failed connect calls the connect callback
 * (not the disconnect one), and hiredis frees the context after either.
 * Commands are queued with th_redis_cmd; hiredis writes everything queued in one go when the
 * socket is writable, so the commands of one loop turn leave as one pipelined write. */
#ifndef TH_REDIS_UV_H
#define TH_REDIS_UV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "../core/rate_limit.h"

struct redisAsyncContext;

/* connected: the connection is up (AUTH answered) or went down (why says how). */
typedef void (*th_redis_state_fn)(void *ctx, bool connected, const char *why);
/* A command's reply: ok false for an error reply or a lost connection. */
typedef void (*th_redis_reply_fn)(void *ctx, bool ok, const char *error);

typedef struct th_redis {
    uv_loop_t *loop;
    char host[64];
    int port;
    char password[128];
    int64_t connect_timeout_ms;
    struct redisAsyncContext *ac;
    bool want_open;                /* reconnect after a loss (false once closing) */
    bool connected;                /* AUTH (if any) answered */
    bool timers_open;
    uv_timer_t retry_timer, connect_timer;
    th_backoff bo;
    th_redis_state_fn on_state;
    void *ctx;
    uint64_t connects, losses, timeouts, pending;
    char last_error[160];
    char closing_why[160];         /* why we closed the connection ourselves (an AUTH refused): the
                                      disconnect callback reports it instead of "closed" */
} th_redis;

/* Start connecting (the result comes through on_state). 0, or -1 with *err. */
int th_redis_open(th_redis *r, uv_loop_t *loop, const char *host, int port, const char *password, int64_t connect_timeout_ms,
                  th_redis_state_fn on_state, void *ctx, const char **err);
/* Queue a command (argv/lens as redisAsyncCommandArgv); the reply goes to fn (may be NULL).
 * -1 when not connected (nothing is queued). */
int th_redis_cmd(th_redis *r, int argc, const char **argv, const size_t *lens, th_redis_reply_fn fn, void *ctx);
/* A reply's value, for the commands whose answer matters (a lease's SET NX, a script's result). */
typedef enum th_redis_kind { TH_REDIS_LOST = 0, TH_REDIS_NIL, TH_REDIS_INT, TH_REDIS_STR, TH_REDIS_ERR, TH_REDIS_OTHER } th_redis_kind;
typedef struct th_redis_value {
    th_redis_kind kind;        /* LOST: no reply (the connection went, or is being closed) */
    long long integer;
    const char *str;           /* STR, ERR (status replies such as OK are STR); valid during the call */
} th_redis_value;
typedef void (*th_redis_value_fn)(void *ctx, const th_redis_value *v);
/* As th_redis_cmd, with the reply's value handed to fn. -1 when not connected. */
int th_redis_cmd_value(th_redis *r, int argc, const char **argv, th_redis_value_fn fn, void *ctx);
/* Stop: queued commands are still written (hiredis's disconnect waits for their replies), then
 * the connection and the timers close; no reconnect. */
void th_redis_close(th_redis *r);

#endif
