/* redis_uv.c — a Redis connection kept open on the loop (see redis_uv.h for the hiredis 0.14
 * fixes: poll errors, connect timeout, reconnect with back-off). */
#include "redis_uv.h"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <stdlib.h>
#include <string.h>

#include "../core/clock.h"
#include "../core/log.h"

/* ---- the event adapter (hiredis's adapters/libuv.h, with poll errors handed on) ---- */

typedef struct poll_ev {
    redisAsyncContext *ac;
    uv_poll_t handle;
    int events;
} poll_ev;

static void on_poll(uv_poll_t *h, int status, int events)
{
    poll_ev *p = h->data;
    /* An error (refused, reset): let hiredis find it on read or write, else nothing ever calls back. */
    if (status < 0) events = p->events ? p->events : UV_READABLE | UV_WRITABLE;
    if (p->ac && (events & UV_READABLE)) redisAsyncHandleRead(p->ac);
    if (p->ac && (events & UV_WRITABLE)) redisAsyncHandleWrite(p->ac);
}

static void poll_update(poll_ev *p)
{
    if (p->events) uv_poll_start(&p->handle, p->events, on_poll);
    else uv_poll_stop(&p->handle);
}

static void add_read(void *d) { poll_ev *p = d; p->events |= UV_READABLE; poll_update(p); }
static void del_read(void *d) { poll_ev *p = d; p->events &= ~UV_READABLE; poll_update(p); }
static void add_write(void *d) { poll_ev *p = d; p->events |= UV_WRITABLE; poll_update(p); }
static void del_write(void *d) { poll_ev *p = d; p->events &= ~UV_WRITABLE; poll_update(p); }
static void poll_closed(uv_handle_t *h) { free(h->data); }
static void cleanup(void *d)
{
    poll_ev *p = d;
    p->ac = NULL; /* the context is being freed */
    uv_close((uv_handle_t *)&p->handle, poll_closed);
}

static int attach(redisAsyncContext *ac, uv_loop_t *loop)
{
    poll_ev *p = calloc(1, sizeof *p);
    if (!p) return -1;
    if (uv_poll_init(loop, &p->handle, ac->c.fd) != 0) { free(p); return -1; }
    p->ac = ac;
    p->handle.data = p;
    ac->ev.data = p;
    ac->ev.addRead = add_read;
    ac->ev.delRead = del_read;
    ac->ev.addWrite = add_write;
    ac->ev.delWrite = del_write;
    ac->ev.cleanup = cleanup;
    return 0;
}

/* ---- connecting, losing, reconnecting ---- */

static void start_connect(th_redis *r);

static void on_retry(uv_timer_t *t) { start_connect(t->data); }

static void lost(th_redis *r, const char *why)
{
    bool was = r->connected;
    r->ac = NULL;
    r->connected = false;
    uv_timer_stop(&r->connect_timer);
    snprintf(r->last_error, sizeof r->last_error, "%s", why);
    if (was) r->losses++;
    if (r->on_state) r->on_state(r->ctx, false, why);
    if (!r->want_open) return;
    int64_t now = th_mono_ns(), until = th_backoff_fail(&r->bo, now, 0);
    uint64_t ms = until > now ? (uint64_t)((until - now) / 1000000) : 0;
    th_logf(TH_LOG_WARN, "redis: connection lost: reconnecting", "address=%s:%d why=\"%s\" retry_ms=%llu", r->host, r->port, why,
            (unsigned long long)ms);
    uv_timer_start(&r->retry_timer, on_retry, ms, 0);
}

static void on_auth(redisAsyncContext *ac, void *reply, void *priv)
{
    th_redis *r = priv;
    redisReply *rep = reply;
    if (!rep || rep->type == REDIS_REPLY_ERROR) {
        snprintf(r->closing_why, sizeof r->closing_why, "AUTH refused: %s", rep ? rep->str : "no reply");
        th_logf(TH_LOG_ERROR, "redis: AUTH refused", "address=%s:%d error=\"%s\"", r->host, r->port, rep ? rep->str : "no reply");
        redisAsyncDisconnect(ac); /* the disconnect callback retries with back-off */
        return;
    }
    r->connected = true;
    th_backoff_success(&r->bo);
    if (r->on_state) r->on_state(r->ctx, true, "connected");
}

static void on_connect(const redisAsyncContext *ac, int status)
{
    th_redis *r = ac->data;
    uv_timer_stop(&r->connect_timer);
    if (status != REDIS_OK) { /* hiredis frees the context after this */
        lost(r, ac->errstr[0] ? ac->errstr : "connect failed");
        return;
    }
    r->connects++;
    th_logf(TH_LOG_INFO, "redis: connected", "address=%s:%d connects=%llu", r->host, r->port, (unsigned long long)r->connects);
    if (r->password[0]) {
        const char *argv[2] = {"AUTH", r->password};
        redisAsyncCommandArgv(r->ac, on_auth, r, 2, argv, NULL);
        return;
    }
    r->connected = true;
    th_backoff_success(&r->bo);
    if (r->on_state) r->on_state(r->ctx, true, "connected");
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
    th_redis *r = ac->data;
    char why[sizeof r->closing_why];
    snprintf(why, sizeof why, "%s", r->closing_why[0] ? r->closing_why : status == REDIS_OK ? "closed" : ac->errstr[0] ? ac->errstr : "connection lost");
    r->closing_why[0] = '\0';
    lost(r, why);
}

/* Connected by now, or given up: hiredis 0.14 has no connect timeout of its own. */
static void on_connect_timeout(uv_timer_t *t)
{
    th_redis *r = t->data;
    if (!r->ac || r->connected) return;
    r->timeouts++;
    /* Freeing calls the connect callback with an error? Not in 0.14 for a pending connect: take
     * the context off our hands first, then free it, then handle the loss ourselves. */
    redisAsyncContext *ac = r->ac;
    ac->onConnect = NULL;
    ac->onDisconnect = NULL;
    r->ac = NULL;
    redisAsyncFree(ac);
    lost(r, "connect timeout");
}

static void start_connect(th_redis *r)
{
    if (!r->want_open || r->ac) return;
    redisAsyncContext *ac = redisAsyncConnect(r->host, r->port);
    if (!ac || ac->err) {
        char why[160];
        snprintf(why, sizeof why, "%s", ac ? ac->errstr : "out of memory");
        if (ac) redisAsyncFree(ac);
        lost(r, why);
        return;
    }
    ac->data = r;
    if (attach(ac, r->loop) != 0) {
        redisAsyncFree(ac);
        lost(r, "cannot watch the socket");
        return;
    }
    r->ac = ac;
    redisAsyncSetConnectCallback(ac, on_connect);
    redisAsyncSetDisconnectCallback(ac, on_disconnect);
    uv_timer_start(&r->connect_timer, on_connect_timeout, (uint64_t)r->connect_timeout_ms, 0);
}

int th_redis_open(th_redis *r, uv_loop_t *loop, const char *host, int port, const char *password, int64_t connect_timeout_ms,
                  th_redis_state_fn on_state, void *ctx, const char **err)
{
    memset(r, 0, sizeof *r);
    if (!host || !*host || strlen(host) >= sizeof r->host) { *err = "storage.redis.host: empty or too long"; return -1; }
    if (password && strlen(password) >= sizeof r->password) { *err = "storage.redis: the password is longer than 127 bytes"; return -1; }
    r->loop = loop;
    snprintf(r->host, sizeof r->host, "%s", host);
    r->port = port;
    if (password) snprintf(r->password, sizeof r->password, "%s", password);
    r->connect_timeout_ms = connect_timeout_ms > 0 ? connect_timeout_ms : 1000;
    r->on_state = on_state;
    r->ctx = ctx;
    r->want_open = true;
    th_backoff_init(&r->bo, 100000000LL, 5000000000LL, (uint64_t)th_mono_ns()); /* 0.1 s doubling to 5 s */
    uv_timer_init(loop, &r->retry_timer);
    uv_timer_init(loop, &r->connect_timer);
    r->retry_timer.data = r->connect_timer.data = r;
    r->timers_open = true;
    start_connect(r);
    return 0;
}

typedef struct cmd_cb {
    th_redis *r;
    th_redis_reply_fn fn;
    void *ctx;
} cmd_cb;

static void on_reply(redisAsyncContext *ac, void *reply, void *priv)
{
    (void)ac;
    cmd_cb *c = priv;
    redisReply *rep = reply;
    c->r->pending--;
    if (c->fn) c->fn(c->ctx, rep && rep->type != REDIS_REPLY_ERROR, !rep ? "no reply (connection lost)" : rep->type == REDIS_REPLY_ERROR ? rep->str : NULL);
    free(c);
}

int th_redis_cmd(th_redis *r, int argc, const char **argv, const size_t *lens, th_redis_reply_fn fn, void *ctx)
{
    if (!r->connected || !r->ac) return -1;
    cmd_cb *c = malloc(sizeof *c);
    if (!c) return -1;
    *c = (cmd_cb){r, fn, ctx};
    if (redisAsyncCommandArgv(r->ac, on_reply, c, argc, argv, lens) != REDIS_OK) {
        free(c);
        return -1;
    }
    r->pending++;
    return 0;
}

typedef struct value_cb {
    th_redis *r;
    th_redis_value_fn fn;
    void *ctx;
} value_cb;

static void on_value(redisAsyncContext *ac, void *reply, void *priv)
{
    (void)ac;
    value_cb *c = priv;
    redisReply *rep = reply;
    c->r->pending--;
    th_redis_value v = {TH_REDIS_LOST, 0, NULL};
    if (rep) switch (rep->type) {
        case REDIS_REPLY_NIL: v.kind = TH_REDIS_NIL; break;
        case REDIS_REPLY_INTEGER: v.kind = TH_REDIS_INT; v.integer = rep->integer; break;
        case REDIS_REPLY_STRING: case REDIS_REPLY_STATUS: v.kind = TH_REDIS_STR; v.str = rep->str; break;
        case REDIS_REPLY_ERROR: v.kind = TH_REDIS_ERR; v.str = rep->str; break;
        default: v.kind = TH_REDIS_OTHER; break;
        }
    c->fn(c->ctx, &v);
    free(c);
}

int th_redis_cmd_value(th_redis *r, int argc, const char **argv, th_redis_value_fn fn, void *ctx)
{
    if (!r->connected || !r->ac) return -1;
    value_cb *c = malloc(sizeof *c);
    if (!c) return -1;
    *c = (value_cb){r, fn, ctx};
    if (redisAsyncCommandArgv(r->ac, on_value, c, argc, argv, NULL) != REDIS_OK) {
        free(c);
        return -1;
    }
    r->pending++;
    return 0;
}

static void timer_closed(uv_handle_t *h) { (void)h; }

void th_redis_close(th_redis *r)
{
    r->want_open = false;
    if (r->ac) {
        redisAsyncContext *ac = r->ac;
        if (r->connected) redisAsyncDisconnect(ac); /* pending replies first; then on_disconnect */
        else {
            ac->onConnect = NULL;
            ac->onDisconnect = NULL;
            r->ac = NULL;
            redisAsyncFree(ac);
        }
    }
    if (r->timers_open) {
        uv_close((uv_handle_t *)&r->retry_timer, timer_closed);
        uv_close((uv_handle_t *)&r->connect_timer, timer_closed);
        r->timers_open = false;
    }
}
