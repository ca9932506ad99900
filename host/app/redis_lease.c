/* redis_lease.c — pair leases and the shared risk budget in Redis, and the order flow's gate that
 * asks them (see redis_lease.h for the keys and the rules). */
#include "redis_lease.h"
#include "redis_cfg.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../core/clock.h"
#include "../core/log.h"
#include "../core/metrics.h"
#include "tradehost.h"

#include "redis_lease_scripts.h"

typedef enum { C_ACQUIRE = 1, C_RENEW, C_HEARTBEAT, C_RESERVE } cmd_kind;

typedef struct cmd_ctx {
    th_redis_lease *l;
    int32_t kind, pair;
    uint32_t gen;                /* the connection it was sent on */
    int64_t sent_ns;
    double amount;
    int32_t *cand, ncand;        /* C_ACQUIRE: the pairs asked for, in KEYS order */
} cmd_ctx;

static uint32_t g_gen; /* bumped on every (re)connect: a reply from before is ignored */

static void on_value(void *ctx, const th_redis_value *v);

static int lease_send(th_redis_lease *l, int32_t kind, int32_t pair, double amount, int argc, const char **argv)
{
    cmd_ctx *c = malloc(sizeof *c);
    if (!c) return -1;
    *c = (cmd_ctx){l, kind, pair, g_gen, th_mono_ns(), amount, NULL, 0};
    if (th_redis_cmd_value(&l->r, argc, argv, on_value, c) != 0) {
        free(c);
        return -1;
    }
    return 0;
}

/* Ask for up to `max` of the free pairs in one script; the answer marks those taken. */
static void acquire(th_redis_lease *l, int32_t max)
{
    int32_t n = 0;
    for (int32_t i = 0; i < l->np; i++) n += l->p[i].state == TH_LEASE_NONE && !l->p[i].off;
    if (n == 0 || max <= 0) return;
    const char **argv = malloc(sizeof *argv * (size_t)(n + 6));
    cmd_ctx *c = malloc(sizeof *c);
    int32_t *cand = malloc(sizeof *cand * (size_t)n);
    if (!argv || !c || !cand) { free(argv); free(c); free(cand); return; }
    char nk[16], ttl[24], mx[16];
    snprintf(nk, sizeof nk, "%d", n);
    snprintf(ttl, sizeof ttl, "%lld", (long long)l->ttl_ms);
    snprintf(mx, sizeof mx, "%d", max);
    int32_t k = 0, a = 0;
    argv[a++] = "EVAL";
    argv[a++] = TH_LEASE_ACQUIRE;
    argv[a++] = nk;
    for (int32_t i = 0; i < l->np; i++)
        if (l->p[i].state == TH_LEASE_NONE && !l->p[i].off) { cand[k++] = i; argv[a++] = l->p[i].key; }
    argv[a++] = l->host_id;
    argv[a++] = ttl;
    argv[a++] = mx;
    *c = (cmd_ctx){l, C_ACQUIRE, -1, g_gen, th_mono_ns(), 0, cand, n};
    if (th_redis_cmd_value(&l->r, a, argv, on_value, c) != 0) { free(c); free(cand); }
    else l->acquiring = true;
    free(argv);
}

static void count_held(th_redis_lease *l)
{
    int32_t n = 0;
    for (int32_t i = 0; i < l->np; i++) n += l->p[i].state != TH_LEASE_NONE;
    l->held = n;
    th_metric_set(l->m_held, n);
}

/* This side lets the pair go at once: its orders cancelled, new ones refused (no_lease). */
static void pull(th_redis_lease *l, int32_t i, const char *why)
{
    th_lease_pair *p = &l->p[i];
    if (p->state == TH_LEASE_NONE) return;
    bool was_held = p->state == TH_LEASE_HELD;
    p->state = TH_LEASE_NONE;
    p->renewing = false;
    int32_t before = l->tr->flow.trk.nlive;
    th_flow_cancel_all(&l->tr->flow, p->ins, th_clock_ns());
    if (was_held) {
        l->lost++;
        th_metric_inc(l->m_lost);
    }
    count_held(l);
    th_logf(TH_LOG_WARN, "lease: lost: quotes on the pair pulled", "symbol=%s key=%s why=\"%s\" live_before=%d", l->tr->flow.ins->v[p->ins].symbol,
            p->key, why, before);
}

static void pull_all(th_redis_lease *l, const char *why)
{
    for (int32_t i = 0; i < l->np; i++) pull(l, i, why);
}

/* A host's share of the limit follows the pairs it holds (all of it when it holds every pair):
 * first come is not first served, so a host with a hungry pair cannot starve the others. */
static double share_cap(const th_redis_lease *l) { return l->nconf > 0 ? l->limit * (double)l->held / (double)l->nconf : 0; }

static void reserve(th_redis_lease *l, double want)
{
    if (!l->budget_on || !l->up || l->reserve_out) return;
    double cap = share_cap(l);
    if (want > cap) want = cap;
    if (want < 0) want = 0;
    char w[48], lim[48], ttl[24];
    snprintf(w, sizeof w, "%.6f", want);
    snprintf(lim, sizeof lim, "%.6f", l->limit);
    snprintf(ttl, sizeof ttl, "%lld", (long long)(4 * l->ttl_ms));
    const char *argv[] = {"EVAL", TH_LEASE_RESERVE, "1", l->budget_key, l->host_id, w, lim, ttl};
    if (lease_send(l, C_RESERVE, -1, want, 8, argv) == 0) {
        l->reserve_out = true;
        l->asked = want;
        /* handing back: this side stops using it now, before Redis can give it to another host */
        if (want < l->reserved) l->reserved = want;
    }
}

static double exposure_now(th_redis_lease *l) { return l->tr->flow.pf.total_exposure + l->tr->flow.open_notional; }

/* With the live host count fresh: take pairs up to the fair share, hand one back when over it. */
static void share(th_redis_lease *l)
{
    int32_t hosts = l->nhosts > 0 ? l->nhosts : 1;
    int32_t fair = (l->nconf + hosts - 1) / hosts, releasing = 0;
    for (int32_t i = 0; i < l->np; i++) releasing += l->p[i].state == TH_LEASE_RELEASING;
    if (!l->acquiring && l->held < fair) acquire(l, fair - l->held);
    if (l->held > fair && !releasing)
        for (int32_t i = l->np - 1; i >= 0; i--)
            if (l->p[i].state == TH_LEASE_HELD) {
                th_lease_pair *p = &l->p[i];
                p->state = TH_LEASE_RELEASING; /* renewed until its orders are gone, then deleted */
                th_flow_cancel_all(&l->tr->flow, p->ins, th_clock_ns());
                th_logf(TH_LOG_INFO, "lease: handing a pair back (over the fair share)", "symbol=%s hosts=%d held=%d fair=%d",
                        l->tr->flow.ins->v[p->ins].symbol, hosts, l->held, fair);
                break;
            }
}

static void handle(cmd_ctx *c, const th_redis_value *v);

static void on_value(void *ctx, const th_redis_value *v)
{
    cmd_ctx *c = ctx;
    handle(c, v);
    free(c->cand);
    free(c);
}

static void handle(cmd_ctx *c, const th_redis_value *v)
{
    th_redis_lease *l = c->l;
    if (l->closing || c->gen != g_gen || v->kind == TH_REDIS_LOST) return; /* a loss is handled by on_state */
    if (v->kind == TH_REDIS_ERR) {
        l->errors++;
        snprintf(l->last_error, sizeof l->last_error, "%s", v->str ? v->str : "error");
        th_logf(TH_LOG_ERROR, "lease: redis refused a command", "kind=%d error=\"%s\"", c->kind, l->last_error);
    }
    th_lease_pair *p = c->pair >= 0 && c->pair < l->np ? &l->p[c->pair] : NULL;
    switch (c->kind) {
    case C_ACQUIRE:
        l->acquiring = false;
        for (const char *q = v->kind == TH_REDIS_STR ? v->str : ""; *q;) {
            long k = strtol(q, (char **)&q, 10) - 1;
            if (*q == ',') q++;
            else if (*q) break;
            if (k < 0 || k >= c->ncand) continue;
            th_lease_pair *p = &l->p[c->cand[k]];
            if (p->off && p->state == TH_LEASE_NONE) { /* removed while the acquire was out: given back at once */
                const char *argv[] = {"EVAL", TH_LEASE_RELEASE, "1", p->key, l->host_id};
                th_redis_cmd(&l->r, 5, argv, NULL, NULL, NULL);
            }
            if (p->state != TH_LEASE_NONE || p->off) continue;
            p->state = TH_LEASE_HELD;
            p->valid_ns = c->sent_ns + l->ttl_ms * 1000000LL;
            l->acquired++;
            count_held(l);
            th_logf(TH_LOG_INFO, "lease: acquired: quoting the pair", "symbol=%s key=%s host_id=%s ttl_ms=%lld",
                    l->tr->flow.ins->v[p->ins].symbol, p->key, l->host_id, (long long)l->ttl_ms);
            /* the previous holder's leftovers (it died: no one pulled them) */
            th_flow_sweep_foreign(&l->tr->flow, th_clock_ns());
            p->sweep_ns = th_mono_ns();
        }
        break;
    case C_RENEW:
        if (!p || p->state == TH_LEASE_NONE) return;
        p->renewing = false;
        if (v->kind == TH_REDIS_INT && v->integer == 1) p->valid_ns = c->sent_ns + l->ttl_ms * 1000000LL;
        else pull(l, c->pair, v->kind == TH_REDIS_INT ? "the lease is another host's now" : "the renewal failed");
        break;
    case C_HEARTBEAT:
        if (v->kind == TH_REDIS_INT) {
            if (v->integer != l->nhosts)
                th_logf(TH_LOG_INFO, "lease: hosts sharing the account", "account=%s hosts=%lld", l->account, v->integer);
            l->nhosts = (int32_t)v->integer;
            share(l);
        }
        break;
    case C_RESERVE:
        l->reserve_out = false;
        if (v->kind == TH_REDIS_STR) {
            l->reserved = strtod(v->str, NULL);
            l->reserved_valid_ns = c->sent_ns + 4 * l->ttl_ms * 1000000LL;
            th_metric_set(l->m_reserved, (int64_t)l->reserved);
        }
        break;
    }
}

/* Every renewal period: register, renew what is held (a renewal still unanswered from the last
 * period ends the lease here), refresh the reservation; the heartbeat's answer shares the pairs. */
static void on_tick(uv_timer_t *t)
{
    th_redis_lease *l = t->data;
    if (l->closing) return;
    if (th_lease_pairs_sync(l) != 0) th_logf(TH_LOG_ERROR, "lease: out of memory following the configured pairs", NULL);
    if (!l->up) return;
    char ttl[24], httl[24];
    snprintf(ttl, sizeof ttl, "%lld", (long long)l->ttl_ms);
    snprintf(httl, sizeof httl, "%lld", (long long)(2 * l->ttl_ms));
    for (int32_t i = 0; i < l->np; i++) {
        th_lease_pair *p = &l->p[i];
        if (p->state == TH_LEASE_NONE) continue;
        if (p->renewing) { pull(l, i, "the renewal went unanswered for a renewal period"); continue; }
        const char *argv[] = {"EVAL", TH_LEASE_RENEW, "1", p->key, l->host_id, ttl};
        if (lease_send(l, C_RENEW, i, 0, 6, argv) == 0) {
            p->renewing = true;
            p->sent_ns = th_mono_ns();
        }
        else pull(l, i, "the renewal could not be sent");
    }
    const char *hb[] = {"EVAL", TH_LEASE_HEARTBEAT, "1", l->hosts_key, l->host_id, httl};
    lease_send(l, C_HEARTBEAT, -1, 0, 6, hb);
    if (l->budget_on && l->reserved > 0) reserve(l, l->reserved); /* keep it from expiring */
    l->peak_prev = l->peak;
    l->peak = 0;
}

/* Each loop turn: a lease this side can no longer vouch for is let go (a stalled loop, renewals
 * late), a pair being handed back is released once its orders are gone, and a reservation larger
 * than what the orders need is handed back. */
static void on_turn(uv_check_t *h)
{
    th_redis_lease *l = h->data;
    if (l->closing) return;
    int64_t now = th_mono_ns(), margin = l->period_ms * 1000000LL;
    for (int32_t i = 0; i < l->np; i++) {
        th_lease_pair *p = &l->p[i];
        if (p->state == TH_LEASE_NONE) continue;
        if (now > p->valid_ns - margin) { pull(l, i, "the lease was not renewed in time"); continue; }
        /* Redis frozen or the network gone quiet (no error, no reply): half a period is long enough */
        if (p->renewing && now - p->sent_ns > margin / 2) { pull(l, i, "the renewal went unanswered for half a renewal period"); continue; }
        int32_t n;
        if (p->state == TH_LEASE_RELEASING && (th_tracker_live(&l->tr->flow.trk, p->ins, &n), n == 0) && l->up) {
            const char *argv[] = {"EVAL", TH_LEASE_RELEASE, "1", p->key, l->host_id};
            th_redis_cmd(&l->r, 5, argv, NULL, NULL, NULL);
            p->state = TH_LEASE_NONE;
            p->renewing = false;
            l->released++;
            count_held(l);
            th_logf(TH_LOG_INFO, "lease: handed back", "symbol=%s key=%s", l->tr->flow.ins->v[p->ins].symbol, p->key);
        }
    }
    if (!l->budget_on) return;
    if (l->reserved > 0 && now > l->reserved_valid_ns - margin) {
        l->reserved = 0; /* this side can no longer vouch for it: only reducing orders pass */
        th_metric_set(l->m_reserved, 0);
    }
    /* what the orders hold, or what the strategy asked for lately (refused or not): a
     * reservation is not handed back just before the orders it was asked for go out */
    double need = exposure_now(l);
    if (l->peak > need) need = l->peak;
    if (l->peak_prev > need) need = l->peak_prev;
    if (l->up && !l->reserve_out && (l->reserved > need + 2 * l->chunk || l->reserved > share_cap(l) + 1e-6))
        reserve(l, need + l->chunk);
}

static void on_state(void *ctx, bool connected, const char *why)
{
    th_redis_lease *l = ctx;
    if (l->closing) return;
    g_gen++;
    l->up = connected;
    l->reserve_out = false;
    l->acquiring = false;
    for (int32_t i = 0; i < l->np; i++) l->p[i].renewing = false;
    if (!connected) {
        char w[200];
        snprintf(w, sizeof w, "redis unreachable: %s", why);
        pull_all(l, w);
        l->reserved = 0;
        th_metric_set(l->m_reserved, 0);
        return;
    }
    th_logf(TH_LOG_INFO, "lease: connected: taking pairs", "account=%s host_id=%s pairs=%d ttl_ms=%lld shared_budget=%s",
            l->account, l->host_id, l->nconf, (long long)l->ttl_ms, l->budget_on ? "on" : "off");
    on_tick(&l->tick);
}

/* ---- the order flow's gate ---- */

static th_lease_pair *pair_of(th_redis_lease *l, int32_t ins)
{
    for (int32_t i = 0; i < l->np; i++)
        if (l->p[i].ins == ins) return &l->p[i];
    return NULL;
}

static bool gate_owns(void *ctx, int32_t ins)
{
    th_lease_pair *p = pair_of(ctx, ins);
    return p && p->state == TH_LEASE_HELD;
}

static int32_t gate_allow(void *ctx, int32_t ins, bool grows, double need)
{
    th_redis_lease *l = ctx;
    th_lease_pair *p = pair_of(l, ins);
    if (!p || p->state != TH_LEASE_HELD) return TH_RISK_NO_LEASE;
    /* A pair just taken: not before the previous holder's leftovers on it are cancelled (the
     * sweep's cancels go first). Only that pair waits: the pairs held all along trade on. */
    if (p->sweep_ns) {
        if (l->tr->flow.sweep_foreign && th_mono_ns() - p->sweep_ns < l->ttl_ms * 1000000LL) return TH_RISK_NO_LEASE;
        p->sweep_ns = 0; /* answered (or given up after a ttl): never looked at again */
    }
    (void)grows; /* the flow left the positions out of need for a reducing order */
    if (!l->budget_on) return TH_RISK_OK;
    if (need > l->peak) l->peak = need;
    if (need <= l->reserved + 1e-9) return TH_RISK_OK;
    l->budget_refusals++;
    reserve(l, need + l->chunk); /* for the next attempt */
    return TH_RISK_SHARED_BUDGET;
}

/* ---- open, health, close ---- */

static bool id_ok(const char *s)
{
    if (!*s) return false;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_' && *s != '.') return false;
    return true;
}

int th_redis_lease_open(th_redis_lease *l, uv_loop_t *loop, th_lua *lua, th_trading *tr, th_session_feed *mf, const char **err)
{
    memset(l, 0, sizeof *l);
    bool budget = th_lua_cfg_bool(lua, "storage.redis.shared_budget", false);
    if (!th_lua_cfg_string(lua, "storage.redis.leases.host_id", l->host_id, sizeof l->host_id)) {
        if (!budget) return 0;
        *err = "storage.redis.shared_budget: needs storage.redis.leases (host_id, ttl_ms): without leases nothing takes a dead "
               "host's orders off the account, and its reservation would be given away under them";
        return -1;
    }
    char idp[8];
    th_redis_cfg rc;
    int have = th_redis_cfg_read(lua, &rc, err);
    if (have < 0) return -1;
    if (have == 0) {
        *err = "storage.redis.leases: storage.redis.host is not set";
        return -1;
    }
    if (!id_ok(l->host_id)) {
        *err = "storage.redis.leases.host_id: 1 to 63 letters, digits, '-', '_' or '.'";
        return -1;
    }
    if (!th_lua_cfg_string(lua, "session.id_prefix", idp, sizeof idp) || !idp[0]) {
        *err = "storage.redis.leases: session.id_prefix must be set, and differ on every host sharing the account (another "
               "host's orders are told apart by it)";
        return -1;
    }
    if (!tr->active || !tr->ready || !tr->jn.open) {
        *err = "storage.redis.leases: several hosts share an account in a session with orders and a journal (not a backtest)";
        return -1;
    }
    l->ttl_ms = (int64_t)th_lua_cfg_number(lua, "storage.redis.leases.ttl_ms", 3000);
    if (l->ttl_ms < 300 || l->ttl_ms > 600000) {
        *err = "storage.redis.leases.ttl_ms: 300 to 600000 (the lease is renewed every ttl_ms / 3)";
        return -1;
    }
    l->period_ms = l->ttl_ms / 3;
    if (!th_lua_cfg_string(lua, "storage.redis.leases.account", l->account, sizeof l->account))
        th_lua_cfg_string(lua, "venue.name", l->account, sizeof l->account);
    if (!id_ok(l->account)) {
        *err = "storage.redis.leases.account: 1 to 63 letters, digits, '-', '_' or '.'";
        return -1;
    }
    const th_risk_limits *rl = &tr->flow.cfg.risk;
    if (budget && rl->budget <= 0) {
        *err = "storage.redis.shared_budget: risk.budget must be set (> 0): the shared limit is risk.max_exposure_pct of it";
        return -1;
    }
    l->budget_on = budget;
    l->limit = rl->budget * rl->max_total_exposure_pct;
    l->chunk = l->limit / 20;
    l->tr = tr;
    l->mf = mf;
    if (th_lease_pairs_sync(l) != 0) { *err = "storage.redis.leases: out of memory"; return -1; }
    if (l->nconf == 0) {
        *err = "storage.redis.leases: no enabled pair to lease";
        return -1;
    }
    snprintf(l->hosts_key, sizeof l->hosts_key, "th:hosts:%s", l->account);
    snprintf(l->budget_key, sizeof l->budget_key, "th:budget:%s", l->account);
    const char *e2;
    th_metric_register("leases_held", TH_METRIC_GAUGE, &l->m_held, &e2);
    th_metric_register("lease_lost_total", TH_METRIC_COUNTER, &l->m_lost, &e2);
    th_metric_register("shared_budget_reserved", TH_METRIC_GAUGE, &l->m_reserved, &e2);
    l->active = true;
    th_flow_set_gate(&tr->flow, (th_flow_gate){gate_allow, gate_owns, l});
    uv_timer_init(loop, &l->tick);
    l->tick.data = l;
    uv_check_init(loop, &l->turn);
    l->turn.data = l;
    uv_check_start(&l->turn, on_turn);
    uv_timer_start(&l->tick, on_tick, (uint64_t)l->period_ms, (uint64_t)l->period_ms);
    if (th_redis_open(&l->r, loop, rc.host, rc.port, rc.password, rc.timeout_ms, on_state, l, err) != 0) return -1;
    th_logf(TH_LOG_INFO, "leases on: quoting only the pairs whose lease this host holds", "address=%s:%d host_id=%s account=%s pairs=%d ttl_ms=%lld renew_ms=%lld shared_budget=%s limit=%.2f",
            rc.host, rc.port, l->host_id, l->account, l->nconf, (long long)l->ttl_ms, (long long)l->period_ms, budget ? "on" : "off", l->limit);
    return 0;
}

int th_redis_lease_health(th_redis_lease *l, FILE *f)
{
    if (!l->active) return 0;
    fprintf(f, ",{\"name\":\"leases\",\"state\":\"%s\",\"ok\":%s,\"host_id\":\"%s\",\"account\":\"%s\",\"hosts\":%d,\"held\":[",
            l->up ? "ok" : "down", l->up ? "true" : "false", l->host_id, l->account, l->nhosts);
    int k = 0;
    for (int32_t i = 0; i < l->np; i++)
        if (l->p[i].state == TH_LEASE_HELD) fprintf(f, "%s\"%s\"", k++ ? "," : "", l->tr->flow.ins->v[l->p[i].ins].symbol);
    fprintf(f, "],\"pairs\":%d,\"acquired\":%llu,\"lost\":%llu,\"released\":%llu", l->nconf, (unsigned long long)l->acquired,
            (unsigned long long)l->lost, (unsigned long long)l->released);
    if (l->budget_on)
        fprintf(f, ",\"budget\":{\"limit\":%.2f,\"reserved\":%.2f,\"exposure\":%.2f,\"refusals\":%llu}", l->limit, l->reserved,
                exposure_now(l), (unsigned long long)l->budget_refusals);
    fputc('}', f);
    /* no lease while Redis is up is a normal state (another host quotes): unhealthy only when down */
    return l->up ? 0 : 1;
}

static void closed_cb(uv_handle_t *h) { (void)h; }

void th_redis_lease_close(th_redis_lease *l)
{
    if (!l->active || l->closing) return;
    if (l->up) {
        int32_t n = 0;
        for (int32_t i = 0; i < l->np; i++) {
            if (l->p[i].state == TH_LEASE_NONE) continue;
            const char *argv[] = {"EVAL", TH_LEASE_RELEASE, "1", l->p[i].key, l->host_id};
            th_redis_cmd(&l->r, 5, argv, NULL, NULL, NULL);
            n++;
        }
        const char *b[] = {"HDEL", l->budget_key, l->host_id};
        if (l->budget_on) th_redis_cmd(&l->r, 3, b, NULL, NULL, NULL);
        const char *h[] = {"HDEL", l->hosts_key, l->host_id};
        th_redis_cmd(&l->r, 3, h, NULL, NULL, NULL);
        th_logf(TH_LOG_INFO, "lease: released at the stop", "leases=%d reservation=%.2f", n, l->reserved);
    }
    l->closing = true;
    for (int32_t i = 0; i < l->np; i++) l->p[i].state = TH_LEASE_NONE;
    th_flow_set_gate(&l->tr->flow, (th_flow_gate){0});
    th_redis_close(&l->r);
    uv_close((uv_handle_t *)&l->tick, closed_cb);
    uv_close((uv_handle_t *)&l->turn, closed_cb);
}

void th_redis_lease_free(th_redis_lease *l)
{
    free(l->p);
    l->p = NULL;
    l->np = l->cap = 0;
}
