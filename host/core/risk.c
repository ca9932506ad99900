/* risk.c — risk gates, kill switch and circuit breaker (see risk.h for the order of the gates). */
#include "risk.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"

static const char *const REASONS[TH_RISK_REASON_COUNT] = {
    "ok", "halted", "breaker_open", "rate_limited", "venue_backoff", "bad_order", "unknown_symbol",
    "instrument_offline", "not_on_tick", "not_on_lot", "below_exchange_min_qty", "below_exchange_min_cost",
    "size_too_small", "size_too_large", "notional_too_small", "notional_too_large", "no_reference_price",
    "book_not_ok", "price_band", "post_only_cross", "position_limit", "max_open_orders", "layering",
    "exposure_total", "exposure_position", "exposure_pair", "daily_loss", "drawdown", "recovering", "no_venue",
    "no_lease", "shared_budget", "exposure_share", "insufficient_balance",
};

const char *th_risk_reason(int32_t reason)
{
    return reason >= 0 && reason < TH_RISK_REASON_COUNT ? REASONS[reason] : "unknown_reason";
}

void th_risk_defaults(th_risk_limits *lim)
{
    memset(lim, 0, sizeof *lim);
    lim->max_total_exposure_pct = 0.80;
    lim->max_position_pct = 0.15;
    lim->max_pair_pct = 0.20;
    lim->breaker_errors = 5;
    lim->breaker_cooldown_ns = 30LL * 1000000000;
    lim->pair_default.band_bps = 500;
    lim->pair_default.layering_bps = 10; /* 0.1% */
}

int th_risk_init(th_risk *r, const th_risk_limits *lim, int32_t n)
{
    memset(r, 0, sizeof *r);
    r->lim = *lim;
    for (int32_t i = 0; i < TH_RISK_REASON_COUNT; i++) {
        char name[96];
        const char *err;
        snprintf(name, sizeof name, "risk_refused_total{reason=\"%s\"}", REASONS[i]);
        r->metric[i] = -1;
        if (i > 0) th_metric_register(name, TH_METRIC_COUNTER, &r->metric[i], &err);
    }
    return th_risk_reserve(r, n > 0 ? n : 1);
}

void th_risk_free(th_risk *r)
{
    free(r->pair);
    free(r->pair_refusals);
    r->pair_refusals = NULL;
    r->pair = NULL;
    r->npair = 0;
}

int th_risk_reserve(th_risk *r, int32_t n)
{
    if (n <= r->npair) return 0;
    uint64_t *c = realloc(r->pair_refusals, sizeof *c * (size_t)n * TH_RISK_REASON_COUNT);
    if (!c) return -1;
    memset(c + (size_t)r->npair * TH_RISK_REASON_COUNT, 0, sizeof *c * (size_t)(n - r->npair) * TH_RISK_REASON_COUNT);
    r->pair_refusals = c;
    th_pair_limits *p = realloc(r->pair, sizeof *p * (size_t)n);
    if (!p) return -1;
    for (int32_t i = r->npair; i < n; i++) p[i] = r->lim.pair_default;
    r->pair = p;
    r->npair = n;
    return 0;
}

th_pair_limits *th_risk_pair(th_risk *r, int32_t ins)
{
    if (ins < 0 || th_risk_reserve(r, ins + 1) != 0) return NULL;
    return &r->pair[ins];
}

void th_risk_count(th_risk *r, int32_t reason)
{
    if (reason <= 0 || reason >= TH_RISK_REASON_COUNT) return;
    r->refusals[reason]++;
    if (r->metric[reason] >= 0) th_metric_inc(r->metric[reason]);
}

void th_risk_count_pair(th_risk *r, int32_t ins, int32_t reason)
{
    th_risk_count(r, reason);
    if (reason > 0 && reason < TH_RISK_REASON_COUNT && ins >= 0 && ins < r->npair)
        r->pair_refusals[(size_t)ins * TH_RISK_REASON_COUNT + (size_t)reason]++;
}

uint64_t th_risk_pair_refusals(const th_risk *r, int32_t ins, int32_t reason)
{
    if (reason <= 0 || reason >= TH_RISK_REASON_COUNT || ins < 0 || ins >= r->npair) return 0;
    return r->pair_refusals[(size_t)ins * TH_RISK_REASON_COUNT + (size_t)reason];
}

static int32_t refuse(th_risk *r, int32_t reason)
{
    th_risk_count(r, reason);
    return reason;
}

bool th_risk_breaker_open(const th_risk *r, int64_t now_ns) { return now_ns < r->breaker_until_ns; }

static double bps_apart(int64_t a, int64_t b) { return fabs((double)(a - b)) / (double)b * 1e4; }

static int32_t gates(th_risk *r, const th_risk_ctx *c)
{
    if (r->halted) return refuse(r, r->halt_code == TH_RISK_DAILY_LOSS || r->halt_code == TH_RISK_DRAWDOWN ? r->halt_code : TH_RISK_HALTED);
    if (th_risk_breaker_open(r, c->now_ns)) return refuse(r, TH_RISK_BREAKER_OPEN);
    if (!c->ins) return refuse(r, TH_RISK_UNKNOWN_SYMBOL);
    if (c->price <= 0 || c->qty <= 0 || (c->side != TH_BID && c->side != TH_ASK)) return refuse(r, TH_RISK_BAD_ORDER);
    const th_instrument *ins = c->ins;
    if (!ins->online) return refuse(r, TH_RISK_INSTRUMENT_OFFLINE);
    if (ins->tick > 1 && c->price % ins->tick) return refuse(r, TH_RISK_NOT_ON_TICK);
    if (ins->lot > 1 && c->qty % ins->lot) return refuse(r, TH_RISK_NOT_ON_LOT);
    if (ins->min_qty > 0 && c->qty < ins->min_qty) return refuse(r, TH_RISK_BELOW_EXCHANGE_MIN_QTY);
    if (ins->min_cost > 0 && th_money_mul(c->price, c->qty) < ins->min_cost) return refuse(r, TH_RISK_BELOW_EXCHANGE_MIN_COST);

    const th_pair_limits *pl = c->ins_idx >= 0 && c->ins_idx < r->npair ? &r->pair[c->ins_idx] : &r->lim.pair_default;
    if (pl->min_order_qty && c->qty < pl->min_order_qty) return refuse(r, TH_RISK_SIZE_TOO_SMALL);
    if (pl->max_order_qty && c->qty > pl->max_order_qty) return refuse(r, TH_RISK_SIZE_TOO_LARGE);

    const th_position *pos = c->portfolio && c->ins_idx >= 0 && c->ins_idx < c->portfolio->n ? &c->portfolio->v[c->ins_idx] : NULL;
    /* money products in 128 bits (money.h), converted to the report currency for the limits */
    double notional = pos ? th_position_gate(pos, th_money_mul(c->price, c->qty)) : 0;
    if (pos && r->lim.min_notional > 0 && notional < r->lim.min_notional) return refuse(r, TH_RISK_NOTIONAL_TOO_SMALL);
    if (pos && r->lim.max_notional > 0 && notional > r->lim.max_notional) return refuse(r, TH_RISK_NOTIONAL_TOO_LARGE);

    /* Price: a reference is required; quoting pauses on any book state but ok. */
    int64_t ref = c->oracle;
    if (!ref) {
        if (c->book_health != TH_BOOK_OK) return refuse(r, TH_RISK_BOOK_NOT_OK);
        if (!c->best_bid || !c->best_ask) return refuse(r, TH_RISK_NO_REFERENCE_PRICE);
        ref = (c->best_bid + c->best_ask) / 2;
    } else if (c->book_health != TH_BOOK_OK && c->book_health != TH_BOOK_EMPTY) {
        return refuse(r, TH_RISK_BOOK_NOT_OK);
    }
    /* A reference at or below zero would turn the band (a negative distance) and the exposure
     * gates (a negative price) off: no usable reference, no order. */
    if (ref <= 0) return refuse(r, TH_RISK_NO_REFERENCE_PRICE);
    if (pl->band_bps > 0 && bps_apart(c->price, ref) > pl->band_bps) return refuse(r, TH_RISK_PRICE_BAND);
    if (c->post_only && ((c->side == TH_BID && c->best_ask && c->price >= c->best_ask) ||
                         (c->side == TH_ASK && c->best_bid && c->price <= c->best_bid)))
        return refuse(r, TH_RISK_POST_ONLY_CROSS);

    /* Per pair: walk this instrument's live set once (contiguous; no order is touched). */
    int64_t open_same = 0, open_other = 0;
    int32_t nopen = 0;
    if (c->tracker) {
        /* per order: |price - o.price| / o.price < layering_bps / 1e4, without a division */
        double layer = pl->layering_bps;
        int32_t n;
        const th_live *lv = th_tracker_live(c->tracker, c->ins_idx, &n);
        for (int32_t k = 0; k < n; k++) {
            const th_live *o = &lv[k];
            if (o->idx == c->exclude) continue;
            nopen++;
            if (o->side == c->side) {
                open_same += o->rest;
                int64_t d = c->price - o->price;
                if (layer > 0 && (double)(d < 0 ? -d : d) * 1e4 < layer * (double)o->price) return refuse(r, TH_RISK_LAYERING);
            } else {
                open_other += o->rest;
            }
        }
    }
    if (pl->max_open_orders && nopen >= pl->max_open_orders) return refuse(r, TH_RISK_MAX_OPEN_ORDERS);
    int64_t held = pos ? pos->qty : 0;
    int64_t sign = c->side == TH_BID ? 1 : -1;
    int64_t after = held + sign * (open_same + c->qty);
    int64_t abs_after = after < 0 ? -after : after, abs_held = held < 0 ? -held : held;
    bool grows = abs_after > abs_held;
    if (grows && pl->max_position && abs_after > pl->max_position) return refuse(r, TH_RISK_POSITION_LIMIT);

    if (grows && pos && r->lim.budget > 0) {
        double budget = r->lim.budget;
        if (th_position_gate(pos, th_money_mul(abs_after, ref)) > r->lim.max_position_pct * budget)
            return refuse(r, TH_RISK_EXPOSURE_POSITION);
        double pair_gross = th_position_gate(pos, th_money_mul(abs_held + open_same + open_other + c->qty, ref));
        if (pair_gross > r->lim.max_pair_pct * budget) return refuse(r, TH_RISK_EXPOSURE_PAIR);
        double total = (c->portfolio ? c->portfolio->total_exposure : 0) + c->open_notional + notional;
        if (total > r->lim.max_total_exposure_pct * budget) return refuse(r, TH_RISK_EXPOSURE_TOTAL);
        /* an instance with a share below the whole: its pairs together within that share */
        if (pl->group > 0 && pl->share < 1 && c->group_exposure + notional > r->lim.max_total_exposure_pct * pl->share * budget)
            return refuse(r, TH_RISK_EXPOSURE_SHARE);
    }
    return TH_RISK_OK;
}

/* The gates count every refusal by reason (refuse); here it is counted for its pair too. */
int32_t th_risk_check(th_risk *r, const th_risk_ctx *c)
{
    int32_t reason = gates(r, c);
    if (reason > 0 && reason < TH_RISK_REASON_COUNT && c->ins_idx >= 0 && c->ins_idx < r->npair)
        r->pair_refusals[(size_t)c->ins_idx * TH_RISK_REASON_COUNT + (size_t)reason]++;
    return reason;
}

bool th_risk_halt(th_risk *r, int32_t code, const char *reason)
{
    if (r->halted) return false;
    r->halted = true;
    r->halt_code = code ? code : TH_RISK_HALTED;
    snprintf(r->halt_reason, sizeof r->halt_reason, "%s", reason && *reason ? reason : "kill switch");
    r->kills++;
    return true;
}

void th_risk_resume(th_risk *r)
{
    r->halted = false;
    r->halt_code = 0;
    r->halt_reason[0] = 0;
}

bool th_risk_check_portfolio(th_risk *r, const th_portfolio *p)
{
    if (r->halted) return false;
    char why[128];
    if (r->lim.daily_loss_cap > 0 && th_portfolio_day_pnl(p) <= -r->lim.daily_loss_cap) {
        snprintf(why, sizeof why, "daily loss %.2f reached the cap %.2f", -th_portfolio_day_pnl(p), r->lim.daily_loss_cap);
        return th_risk_halt(r, TH_RISK_DAILY_LOSS, why);
    }
    if (r->lim.max_drawdown > 0 && th_portfolio_drawdown(p) >= r->lim.max_drawdown) {
        snprintf(why, sizeof why, "drawdown %.2f from the peak reached the cap %.2f", th_portfolio_drawdown(p), r->lim.max_drawdown);
        return th_risk_halt(r, TH_RISK_DRAWDOWN, why);
    }
    return false;
}

bool th_risk_venue_error(th_risk *r, int64_t now_ns)
{
    r->consecutive_errors++;
    if (r->lim.breaker_errors > 0 && r->consecutive_errors >= r->lim.breaker_errors && !th_risk_breaker_open(r, now_ns)) {
        r->breaker_until_ns = now_ns + r->lim.breaker_cooldown_ns;
        r->consecutive_errors = 0;
        r->breaker_trips++;
        return true;
    }
    return false;
}

void th_risk_venue_ok(th_risk *r) { r->consecutive_errors = 0; }
