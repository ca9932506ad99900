/* trading_config.c — the order side's settings from the config (see trading_config.h). */
#include "trading_config.h"

#include <stdio.h>
#include <string.h>

#include "../core/decimal.h"
#include "../core/log.h"

/* Percent keys are written as percent in the config and held as fractions. */
static double pct(th_lua *lua, const char *key, double dflt) { return th_lua_cfg_number(lua, key, dflt * 100) / 100; }

static void pair_limit(th_lua *lua, const char *key, int pair, double dflt_human, int32_t dec, int64_t *out)
{
    char path[64];
    snprintf(path, sizeof path, "pairs.%d.%s", pair + 1, key);
    double v = th_lua_cfg_number(lua, path, dflt_human);
    if (v > 0) th_dec_from_double(v, dec, out);
}

static void load_risk_limits(th_lua *lua, th_risk_limits *l)
{
    l->budget = th_lua_cfg_number(lua, "risk.budget", 0);
    l->max_notional = th_lua_cfg_number(lua, "risk.max_order_notional", 0);
    l->min_notional = th_lua_cfg_number(lua, "risk.min_order_notional", 0);
    l->max_total_exposure_pct = pct(lua, "risk.max_exposure_pct", 0.80);
    l->max_position_pct = pct(lua, "risk.max_position_pct", 0.15);
    l->max_pair_pct = pct(lua, "risk.max_pair_pct", 0.20);
    l->daily_loss_cap = th_lua_cfg_number(lua, "risk.daily_loss_cap", 0);
    l->max_drawdown = pct(lua, "risk.max_drawdown_pct", 0) * l->budget;
    l->breaker_errors = (int32_t)th_lua_cfg_number(lua, "risk.breaker_errors", 5);
    l->breaker_cooldown_ns = (int64_t)(th_lua_cfg_number(lua, "risk.breaker_cooldown_s", 30) * 1e9);
    l->pair_default.band_bps = pct(lua, "risk.price_band_pct", 0.05) * 1e4;
    l->pair_default.layering_bps = pct(lua, "risk.anti_layering_pct", 0.001) * 1e4;
    l->pair_default.max_open_orders = (int32_t)th_lua_cfg_number(lua, "risk.max_open_orders", 0);
}

void th_trading_cfg_flow(th_lua *lua, th_flow_cfg *c)
{
    load_risk_limits(lua, &c->risk);
    c->pending_timeout_ns = (int64_t)(th_lua_cfg_number(lua, "risk.pending_timeout_s", 10) * 1e9);
    char buf[32];
    c->adopt_unknown = !(th_lua_cfg_string(lua, "risk.unknown_orders", buf, sizeof buf) && strcmp(buf, "cancel") == 0);
    int hh, mm; /* "HH:MM", checked by the config schema */
    if (th_lua_cfg_string(lua, "risk.day_start_utc", buf, sizeof buf) && sscanf(buf, "%d:%d", &hh, &mm) == 2 && hh >= 0 &&
        hh < 24 && mm >= 0 && mm < 60)
        c->day_offset_ns = ((int64_t)hh * 3600 + mm * 60) * 1000000000LL;
    c->keep_done_ns = (int64_t)(th_lua_cfg_number(lua, "session.keep_done_s", 300) * 1e9);
    c->keep_done_max = (int32_t)th_lua_cfg_number(lua, "session.keep_done_max", 10000);
    c->venue_rate = th_lua_cfg_number(lua, "risk.orders_per_s", 10);
    c->venue_cap = th_lua_cfg_number(lua, "risk.orders_burst", 50);
    c->exec.price_tol_bps = th_lua_cfg_number(lua, "quotes.price_tolerance_bps", 2);
    c->exec.size_tol = pct(lua, "quotes.size_tolerance_pct", 0.10);
    c->exec.amend = th_lua_cfg_bool(lua, "quotes.amend", true);
    c->stop_cancel_all = th_lua_cfg_bool(lua, "venue.cancel_all_on_stop", true);
    char hid[64];
    if (th_lua_cfg_string(lua, "storage.redis.leases.host_id", hid, sizeof hid)) {
        /* Several hosts on one account (host/app/redis_lease.c): this host's client ids start with
         * session.id_prefix (required then); the venue's cancel_all would take the others' orders. */
        th_lua_cfg_string(lua, "session.id_prefix", c->own_prefix, sizeof c->own_prefix);
        c->stop_cancel_all = false;
    }
}

/* Several strategy instances (config `strategies`, th/config.lua instances): the pairs of an
 * instance whose risk_share is below 1 form its group in the risk gates (exposure_share). Set
 * afresh each time: a reload may move a pair or change a share. */
static void instance_shares(th_flow *f, th_lua *lua, int32_t from)
{
    const th_instruments *ins = f->ins;
    for (int32_t i = from; i < ins->n; i++) {
        th_pair_limits *pl = th_risk_pair(&f->risk, i);
        if (pl) pl->group = 0, pl->share = 0;
    }
    char path[96], sym[64];
    for (int k = 1;; k++) {
        snprintf(path, sizeof path, "_instances.%d.risk_share", k);
        double share = th_lua_cfg_number(lua, path, -1);
        if (share < 0) break;
        if (share >= 1) continue;
        for (int j = 1;; j++) {
            snprintf(path, sizeof path, "_instances.%d.pairs.%d.symbol", k, j);
            if (!th_lua_cfg_string(lua, path, sym, sizeof sym)) break;
            int32_t i = th_instruments_find(ins, sym, strlen(sym));
            th_pair_limits *pl = i >= from ? th_risk_pair(&f->risk, i) : NULL;
            if (pl) pl->group = k, pl->share = share;
        }
    }
}

void th_trading_cfg_pair_limits(th_flow *f, th_lua *lua, int32_t from)
{
    const th_instruments *ins = f->ins;
    int n = th_lua_cfg_pair_count(lua);
    double max_size = th_lua_cfg_number(lua, "risk.max_order_size", 0), max_pos = th_lua_cfg_number(lua, "risk.max_position", 0);
    for (int32_t i = from; i < ins->n; i++) {
        th_pair_limits *pl = th_risk_pair(&f->risk, i);
        if (!pl) continue;
        if (max_size > 0) th_dec_from_double(max_size, ins->v[i].qty_dec, &pl->max_order_qty);
        if (max_pos > 0) th_dec_from_double(max_pos, ins->v[i].qty_dec, &pl->max_position);
    }
    for (int p = 0; p < n; p++) {
        char sym[64];
        bool enabled;
        if (!th_lua_cfg_pair_symbol(lua, p, sym, sizeof sym, &enabled)) continue;
        int32_t i = th_instruments_find(ins, sym, strlen(sym));
        if (i < from) continue;
        th_pair_limits *pl = th_risk_pair(&f->risk, i);
        if (!pl) continue;
        pair_limit(lua, "max_order_size", p, 0, ins->v[i].qty_dec, &pl->max_order_qty);
        pair_limit(lua, "min_order_size", p, 0, ins->v[i].qty_dec, &pl->min_order_qty);
        pair_limit(lua, "max_position", p, 0, ins->v[i].qty_dec, &pl->max_position);
        char path[64];
        snprintf(path, sizeof path, "pairs.%d.max_open_orders", p + 1);
        pl->max_open_orders = (int32_t)th_lua_cfg_number(lua, path, pl->max_open_orders);
    }
    instance_shares(f, lua, from);
}

/* A missing rate is 1 with a warning (when a budget makes totals matter), never silently wrong
 * twice; the report currency itself is 1. */
void th_trading_cfg_rates(th_flow *f, th_lua *lua, const char *currency, int32_t from)
{
    const th_instruments *ins = f->ins;
    for (int32_t i = from; i < ins->n; i++) {
        const char *q = ins->v[i].quote;
        if (!q[0] || strcmp(q, currency) == 0 || th_flow_has_rate(f, q)) continue;
        char path[64];
        snprintf(path, sizeof path, "risk.rates.%s", q);
        double rate = th_lua_cfg_number(lua, path, 0);
        if (rate <= 0) {
            rate = 1;
            if (f->cfg.risk.budget > 0)
                th_logf(TH_LOG_WARN, "no rate for a quote currency: counted 1:1 in portfolio totals", "currency=%s report=%s key=%s", q,
                        currency, path);
        }
        th_flow_set_rate(f, q, rate);
    }
}

/* A config reload: every configured rate applies, also over one set before (a rate removed from
 * the config keeps its last value: counting a currency 1:1 mid-session would be worse). */
void th_trading_cfg_rates_update(th_flow *f, th_lua *lua, const char *currency)
{
    const th_instruments *ins = f->ins;
    for (int32_t i = 0; i < ins->n; i++) {
        const char *q = ins->v[i].quote;
        if (!q[0] || strcmp(q, currency) == 0) continue;
        char path[64];
        snprintf(path, sizeof path, "risk.rates.%s", q);
        double rate = th_lua_cfg_number(lua, path, 0);
        if (rate <= 0) continue;
        bool same = false;
        for (int32_t k = 0; k < f->nrates; k++)
            if (strcmp(f->rates[k].currency, q) == 0) same = f->rates[k].rate == rate;
        if (!same) th_flow_set_rate(f, q, rate);
    }
}

static void base36(uint64_t v, char *out)
{
    char tmp[16];
    int n = 0;
    do { tmp[n++] = "0123456789abcdefghijklmnopqrstuvwxyz"[v % 36]; v /= 36; } while (v);
    while (n) *out++ = tmp[--n];
    *out = 0;
}

void th_trading_cfg_id_prefix(th_lua *lua, int64_t wall_ms, char *out, size_t cap)
{
    char id_prefix[8];
    if (!th_lua_cfg_string(lua, "session.id_prefix", id_prefix, sizeof id_prefix)) snprintf(id_prefix, sizeof id_prefix, "th");
    char b36[16];
    base36((uint64_t)wall_ms, b36);
    snprintf(out, cap, "%s%s", id_prefix, b36);
}

void th_trading_cfg_currency(th_lua *lua, char *out, size_t cap)
{
    /* th_lua_cfg_string clears the buffer when the key is unset: the default goes after it */
    if (!th_lua_cfg_string(lua, "risk.currency", out, cap)) snprintf(out, cap, "USD");
}

void th_trading_cfg_fsync(th_lua *lua, char *out, size_t cap)
{
    if (!th_lua_cfg_string(lua, "storage.fsync", out, cap)) snprintf(out, cap, "turn");
}

/* venue.balances, read into one array (the paper venue copies it at open) */
static th_paper_balance g_bal[64];

static int add_balance(void *ctx, const char *asset, const char *amount)
{
    int32_t *n = ctx;
    if (*n == (int32_t)(sizeof g_bal / sizeof g_bal[0])) return 1;
    snprintf(g_bal[*n].asset, sizeof g_bal[*n].asset, "%s", asset);
    snprintf(g_bal[*n].amount, sizeof g_bal[*n].amount, "%s", amount);
    (*n)++;
    return 0;
}

/* The paper venue (paper sessions and backtests): fees, the queue model, the latency model. Every
 * value was checked by th.config (scripts/th/config.lua), so the parses below cannot fail on a
 * config that loaded. */
void th_trading_cfg_paper(th_lua *lua, uint64_t seed, th_paper_cfg *c)
{
    double fee = th_lua_cfg_number(lua, "venue.fee_bps", -1);
    c->maker_bps = th_lua_cfg_number(lua, "venue.maker_fee_bps", fee >= 0 ? fee : 16);
    c->taker_bps = th_lua_cfg_number(lua, "venue.taker_fee_bps", fee >= 0 ? fee : 26);
    char buf[32] = "proportional";
    th_lua_cfg_string(lua, "venue.queue_model", buf, sizeof buf);
    c->queue_model = strcmp(buf, "pessimistic") == 0 ? TH_SIM_QUEUE_PESSIMISTIC
                     : strcmp(buf, "optimistic") == 0 ? TH_SIM_QUEUE_OPTIMISTIC
                                                      : TH_SIM_QUEUE_PROPORTIONAL;
    c->seed = seed;
    th_paper_latency *l = &c->latency;
    memset(l, 0, sizeof *l);
    snprintf(buf, sizeof buf, "fixed");
    th_lua_cfg_string(lua, "venue.latency.dist", buf, sizeof buf);
    th_paper_latency_dist_parse(buf, &l->dist);
    l->feed_ns = (int64_t)(th_lua_cfg_number(lua, "venue.latency.feed_ms", 0) * 1e6);
    l->order_ns = (int64_t)(th_lua_cfg_number(lua, "venue.latency.order_ms", 0) * 1e6);
    l->jitter_ns = (int64_t)(th_lua_cfg_number(lua, "venue.latency.jitter_ms", 0) * 1e6);
    l->sigma = th_lua_cfg_number(lua, "venue.latency.sigma", 0.5);
    /* venue.balances: th.config made every amount exact decimal text; a table (even empty) means
     * "these and nothing else", no table the default for every asset */
    int32_t nbal = 0;
    int rc = th_lua_cfg_each(lua, "venue.balances", add_balance, &nbal);
    if (rc > 0) th_logf(TH_LOG_ERROR, "venue.balances: more than 64 assets: the rest start at 0", NULL);
    c->balances = rc >= 0 ? g_bal : NULL;
    c->nbalances = nbal;
}
