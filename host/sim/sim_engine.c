/* sim_engine.c — the local venue's matching engine (see sim_engine.h and docs/sim.md).
 *
 * State: one market per instrument (the recorded th_book, the liquidity our takers consumed per
 * level, and the instrument's open orders in time priority), accounts with per-asset totals and
 * reservations at TH_SIM_SCALE, every accepted order (closed ones too, for queries) and every fill.
 * Open orders per instrument are few (a bot's tens), so matching scans them: simple and exact. */
#include "sim_engine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kraken_rate_counter.h"

typedef struct sim_consumed {
    int64_t price, qty;
} sim_consumed;

typedef struct sim_market {
    th_book book;
    sim_consumed *cons[2];
    int32_t ncons[2], capcons[2];
    int32_t *open;               /* indices into e->orders, time priority (seq) ascending */
    int32_t nopen, capopen;
    int32_t base, quote;         /* asset indices */
    th_money base_mul, quote_mul; /* qty units -> TH_SIM_SCALE; notional units -> TH_SIM_SCALE */
} sim_market;

typedef struct sim_account {
    char *key, *secret;
    int32_t maker_ppm, taker_ppm, tier;
    th_money *total, *reserved;  /* per asset */
    th_kraken_rate_counter *rate; /* per instrument */
    bool *rate_init;
    int32_t nopen;
    th_sim_account_stats st;
    /* fees charged in another asset (Binance's BNB), at a fixed price per quote asset; -1: none */
    int32_t fee_asset, nfee_px;
    struct { int32_t quote; th_money px; } fee_px[8]; /* px: quote per unit of fee_asset, TH_SIM_SCALE */
} sim_account;

struct th_sim_engine {
    th_sim_config cfg;
    th_instruments ins;
    int32_t nmk;                 /* markets allocated (mk), what free releases */
    sim_market *mk;
    char (*asset)[16];
    int32_t nasset, capasset;
    th_money *fees;              /* per asset */
    sim_account *acc;
    int32_t nacc, capacc;
    th_sim_order *orders;
    int32_t norders, caporders;
    int32_t *idslots;            /* order id -> index + 1 */
    int32_t nidslots;
    th_sim_trade *trades;
    int32_t ntrades, captrades;
    int32_t *scratch;            /* order indices copied before a pass that may close orders */
    int32_t capscratch;
    uint64_t seq, trade_seq;
    bool in_cb;
};

/* ---------- small helpers ---------- */

static int grow(void **p, int32_t *cap, int32_t need, size_t elem)
{
    if (need <= *cap) return 0;
    int32_t nc = *cap ? *cap : 8;
    while (nc < need) nc *= 2;
    void *np = realloc(*p, (size_t)nc * elem);
    if (!np) return -1;
    *p = np;
    *cap = nc;
    return 0;
}

/* splitmix64's finaliser: a bijection of uint64, so distinct sequence numbers give distinct ids
 * that do not look like a counter (clients must not lean on their order). */
static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static void emit(th_sim_engine *e, const th_sim_event *ev)
{
    if (!e->cfg.on_event) return;
    e->in_cb = true;
    e->cfg.on_event(e->cfg.ctx, ev);
    e->in_cb = false;
}

static th_money ceil_ppm(th_money n, int32_t ppm)
{
    if (n <= 0 || ppm <= 0) return 0;
    return (n * ppm + 999999) / 1000000;
}

static int32_t asset_find(const th_sim_engine *e, const char *name)
{
    for (int32_t i = 0; i < e->nasset; i++)
        if (strcmp(e->asset[i], name) == 0) return i;
    return -1;
}

static int32_t asset_intern(th_sim_engine *e, const char *name)
{
    int32_t i = asset_find(e, name);
    if (i >= 0) return i;
    if (strlen(name) >= sizeof e->asset[0] || !*name) return -1;
    if (grow((void **)&e->asset, &e->capasset, e->nasset + 1, sizeof *e->asset)) return -1;
    void *nf = realloc(e->fees, sizeof *e->fees * (size_t)(e->nasset + 1));
    if (!nf) return -1;
    e->fees = nf;
    e->fees[e->nasset] = 0;
    for (int32_t a = 0; a < e->nacc; a++) {
        sim_account *ac = &e->acc[a];
        void *t = realloc(ac->total, sizeof *ac->total * (size_t)(e->nasset + 1));
        if (!t) return -1;
        ac->total = t;
        void *r = realloc(ac->reserved, sizeof *ac->reserved * (size_t)(e->nasset + 1));
        if (!r) return -1;
        ac->reserved = r;
        ac->total[e->nasset] = ac->reserved[e->nasset] = 0;
    }
    strcpy(e->asset[e->nasset], name);
    return e->nasset++;
}

/* The recorded quantity at a price (0: no level). Book sides are ascending, best last; bids keyed
 * by price, asks by -price. */
static int64_t book_qty(const th_book *b, int side, int64_t price)
{
    const th_book_side *s = &b->side[side];
    int64_t key = side == TH_BID ? price : -price;
    int32_t lo = s->start, hi = s->end;
    while (lo < hi) {
        int32_t mid = lo + (hi - lo) / 2;
        if (s->key[mid] < key) lo = mid + 1;
        else hi = mid;
    }
    return lo < s->end && s->key[lo] == key ? s->qty[lo] : 0;
}

static int32_t cons_find(const sim_market *m, int side, int64_t price)
{
    for (int32_t i = 0; i < m->ncons[side]; i++)
        if (m->cons[side][i].price == price) return i;
    return -1;
}

static int64_t consumed(const sim_market *m, int side, int64_t price)
{
    int32_t i = cons_find(m, side, price);
    return i < 0 ? 0 : m->cons[side][i].qty;
}

static void cons_add(sim_market *m, int side, int64_t price, int64_t qty)
{
    int32_t i = cons_find(m, side, price);
    if (i >= 0) {
        m->cons[side][i].qty += qty;
        return;
    }
    if (grow((void **)&m->cons[side], &m->capcons[side], m->ncons[side] + 1, sizeof *m->cons[side])) return;
    m->cons[side][m->ncons[side]++] = (sim_consumed){price, qty};
}

static void cons_reset(sim_market *m, int side, int64_t price)
{
    int32_t i = cons_find(m, side, price);
    if (i >= 0) m->cons[side][i] = m->cons[side][--m->ncons[side]];
}

static int64_t avail_at(const sim_market *m, int side, int64_t price)
{
    int64_t q = book_qty(&m->book, side, price) - consumed(m, side, price);
    return q > 0 ? q : 0;
}

static int ids_put(th_sim_engine *e, uint64_t id, int32_t idx)
{
    if ((e->norders + 1) * 2 > e->nidslots) {
        int32_t n = e->nidslots ? e->nidslots * 2 : 64;
        int32_t *s = calloc((size_t)n, sizeof *s);
        if (!s) return -1;
        for (int32_t i = 0; i < e->norders; i++) {
            uint32_t h = (uint32_t)mix64(e->orders[i].id) & (uint32_t)(n - 1);
            while (s[h]) h = (h + 1) & (uint32_t)(n - 1);
            s[h] = i + 1;
        }
        free(e->idslots);
        e->idslots = s;
        e->nidslots = n;
    }
    uint32_t mask = (uint32_t)e->nidslots - 1, h = (uint32_t)mix64(id) & mask;
    while (e->idslots[h]) h = (h + 1) & mask;
    e->idslots[h] = idx + 1;
    return 0;
}

static int32_t ids_find(const th_sim_engine *e, uint64_t id)
{
    if (!e->nidslots) return -1;
    uint32_t mask = (uint32_t)e->nidslots - 1;
    for (uint32_t h = (uint32_t)mix64(id) & mask;; h = (h + 1) & mask) {
        int32_t i = e->idslots[h];
        if (!i) return -1;
        if (e->orders[i - 1].id == id) return i - 1;
    }
}

static bool valid_account(const th_sim_engine *e, int32_t a) { return a >= 0 && a < e->nacc; }
static bool valid_ins(const th_sim_engine *e, int32_t i) { return i >= 0 && i < e->ins.n; }

/* ---------- engine ---------- */

/* Markets for instruments [from, e->ins.n): books, assets, unit multipliers; every account's
 * per-instrument arrays grow with them. -1 with *err. */
static int markets_init(th_sim_engine *e, int32_t from, const char **err)
{
    sim_market *mk = realloc(e->mk, sizeof *mk * (size_t)(e->ins.n ? e->ins.n : 1));
    if (!mk) goto oom;
    e->mk = mk;
    memset(mk + from, 0, sizeof *mk * (size_t)(e->ins.n - from));
    e->nmk = e->ins.n;
    for (int32_t a = 0; a < e->nacc; a++) {
        sim_account *ac = &e->acc[a];
        void *r = realloc(ac->rate, sizeof *ac->rate * (size_t)e->ins.n);
        if (!r) goto oom;
        ac->rate = r;
        void *ri = realloc(ac->rate_init, sizeof *ac->rate_init * (size_t)e->ins.n);
        if (!ri) goto oom;
        ac->rate_init = ri;
        memset(ac->rate_init + from, 0, sizeof *ac->rate_init * (size_t)(e->ins.n - from));
    }
    for (int32_t i = from; i < e->ins.n; i++) {
        const th_instrument *in = &e->ins.v[i];
        sim_market *m = &e->mk[i];
        if (th_book_init(&m->book, e->cfg.book_depth, in->price_dec, in->qty_dec)) goto oom;
        m->base = asset_intern(e, in->base);
        m->quote = asset_intern(e, in->quote);
        if (m->base < 0 || m->quote < 0) {
            *err = "sim: an instrument has no base or quote asset name (or one longer than 15)";
            return -1;
        }
        m->base_mul = th_money_pow10(TH_SIM_SCALE - in->qty_dec);
        m->quote_mul = th_money_pow10(TH_SIM_SCALE - in->price_dec - in->qty_dec);
    }
    return 0;
oom:
    *err = "sim: out of memory";
    return -1;
}

static int put_instruments(th_sim_engine *e, const th_instruments *src, const char **err)
{
    for (int32_t i = e->ins.n; i < src->n; i++) {
        const th_instrument *in = &src->v[i];
        if (in->price_dec < 0 || in->qty_dec < 0 || in->price_dec + in->qty_dec > TH_SIM_SCALE) {
            *err = "sim: an instrument's price_dec + qty_dec exceeds the sim's balance scale (20)";
            return -1;
        }
        if (th_instruments_put(&e->ins, in) < 0) { *err = "sim: out of memory"; return -1; }
    }
    return 0;
}

th_sim_engine *th_sim_engine_new(const th_sim_config *cfg, const char **err)
{
    *err = NULL;
    if (!cfg || !cfg->instruments) {
        *err = "sim: no instruments";
        return NULL;
    }
    if ((unsigned)cfg->queue_model > TH_SIM_QUEUE_OPTIMISTIC) {
        *err = "sim: unknown queue model";
        return NULL;
    }
    th_sim_engine *e = calloc(1, sizeof *e);
    if (!e) {
        *err = "sim: out of memory";
        return NULL;
    }
    e->cfg = *cfg;
    e->cfg.instruments = &e->ins;
    th_instruments_init(&e->ins, cfg->instruments->venue);
    if (put_instruments(e, cfg->instruments, err) != 0 || markets_init(e, 0, err) != 0) {
        th_sim_engine_free(e);
        return NULL;
    }
    return e;
}

int th_sim_instruments_grow(th_sim_engine *e, const th_instruments *src, const char **err)
{
    *err = NULL;
    int32_t from = e->ins.n;
    if (src->n <= from) return 0;
    if (put_instruments(e, src, err) != 0) {
        e->ins.n = from; /* the markets were not made: the engine keeps what it had */
        return -1;
    }
    if (markets_init(e, from, err) != 0) return -1;
    return 0;
}

void th_sim_engine_free(th_sim_engine *e)
{
    if (!e) return;
    if (e->mk)
        for (int32_t i = 0; i < e->nmk; i++) {
            th_book_free(&e->mk[i].book);
            free(e->mk[i].cons[0]);
            free(e->mk[i].cons[1]);
            free(e->mk[i].open);
        }
    free(e->mk);
    for (int32_t a = 0; a < e->nacc; a++) {
        free(e->acc[a].key);
        free(e->acc[a].secret);
        free(e->acc[a].total);
        free(e->acc[a].reserved);
        free(e->acc[a].rate);
        free(e->acc[a].rate_init);
    }
    free(e->acc);
    free(e->asset);
    free(e->fees);
    free(e->orders);
    free(e->idslots);
    free(e->trades);
    free(e->scratch);
    th_instruments_free(&e->ins);
    free(e);
}

const th_instruments *th_sim_instruments(const th_sim_engine *e) { return &e->ins; }

/* ---------- accounts ---------- */

int32_t th_sim_account_add(th_sim_engine *e, const th_sim_account_spec *spec, const char **err)
{
    *err = NULL;
    if (!spec || !spec->key || !*spec->key) {
        *err = "sim: an account needs a key";
        return -1;
    }
    if (th_sim_account_find(e, spec->key) >= 0) {
        *err = "sim: two accounts have the same key";
        return -1;
    }
    if (spec->maker_ppm < 0 || spec->taker_ppm < 0 || spec->maker_ppm >= 1000000 || spec->taker_ppm >= 1000000) {
        *err = "sim: an account's fee is negative or 100% or more";
        return -1;
    }
    if (e->cfg.rate_model == TH_SIM_RATE_KRAKEN) {
        double t, d;
        if (th_kraken_tier_limits(spec->rate_tier, &t, &d)) {
            *err = "sim: unknown rate tier (starter, intermediate, pro)";
            return -1;
        }
    }
    if (grow((void **)&e->acc, &e->capacc, e->nacc + 1, sizeof *e->acc)) goto oom;
    sim_account *ac = &e->acc[e->nacc];
    memset(ac, 0, sizeof *ac);
    ac->key = strdup(spec->key);
    ac->secret = strdup(spec->secret ? spec->secret : "");
    ac->total = calloc((size_t)(e->nasset ? e->nasset : 1), sizeof *ac->total);
    ac->reserved = calloc((size_t)(e->nasset ? e->nasset : 1), sizeof *ac->reserved);
    ac->rate = calloc((size_t)(e->ins.n ? e->ins.n : 1), sizeof *ac->rate);
    ac->rate_init = calloc((size_t)(e->ins.n ? e->ins.n : 1), sizeof *ac->rate_init);
    if (!ac->key || !ac->secret || !ac->total || !ac->reserved || !ac->rate || !ac->rate_init) {
        free(ac->key);
        free(ac->secret);
        free(ac->total);
        free(ac->reserved);
        free(ac->rate);
        free(ac->rate_init);
        goto oom;
    }
    ac->maker_ppm = spec->maker_ppm;
    ac->taker_ppm = spec->taker_ppm;
    ac->tier = spec->rate_tier;
    ac->fee_asset = -1;
    return e->nacc++;
oom:
    *err = "sim: out of memory";
    return -1;
}

int32_t th_sim_account_find(const th_sim_engine *e, const char *key)
{
    for (int32_t a = 0; key && a < e->nacc; a++)
        if (strcmp(e->acc[a].key, key) == 0) return a;
    return -1;
}

int32_t th_sim_account_count(const th_sim_engine *e) { return e->nacc; }
const char *th_sim_account_key(const th_sim_engine *e, int32_t a) { return valid_account(e, a) ? e->acc[a].key : NULL; }
const char *th_sim_account_secret(const th_sim_engine *e, int32_t a) { return valid_account(e, a) ? e->acc[a].secret : NULL; }
const th_sim_account_stats *th_sim_account_stats_get(const th_sim_engine *e, int32_t a)
{
    return valid_account(e, a) ? &e->acc[a].st : NULL;
}

/* A non-negative decimal with at most TH_SIM_SCALE decimals, exactly, as th_money. */
static int parse_amount(const char *s, th_money *out)
{
    th_money v = 0;
    int frac = -1, digits = 0;
    for (; *s; s++) {
        if (*s == '.') {
            if (frac >= 0) return -1;
            frac = 0;
            continue;
        }
        if (*s < '0' || *s > '9') return -1;
        if (frac >= 0 && ++frac > TH_SIM_SCALE) {
            if (*s != '0') return -1;
            continue;
        }
        if (v > th_money_pow10(36)) return -1;
        v = v * 10 + (*s - '0');
        digits++;
    }
    if (!digits) return -1;
    int f = frac < 0 ? 0 : (frac > TH_SIM_SCALE ? TH_SIM_SCALE : frac);
    th_money mul = th_money_pow10(TH_SIM_SCALE - f);
    if (v > th_money_pow10(37) / mul) return -1;
    *out = v * mul;
    return 0;
}

int th_sim_balance_grant(th_sim_engine *e, int32_t a, const char *asset, const char *amount, const char **err)
{
    *err = NULL;
    int32_t i = asset ? asset_find(e, asset) : -1;
    if (!valid_account(e, a) || i < 0) {
        *err = "sim: unknown account or asset";
        return -1;
    }
    if (e->acc[a].total[i] != 0 || e->acc[a].reserved[i] != 0) {
        *err = "sim: the account already holds this asset";
        return -1;
    }
    th_money v;
    if (!amount || parse_amount(amount, &v)) {
        *err = "sim: a balance is not a non-negative decimal with at most 20 decimals";
        return -1;
    }
    e->acc[a].total[i] = v;
    return 0;
}

int th_sim_account_fee_asset(th_sim_engine *e, int32_t a, const char *asset, const char *quote, const char *price, const char **err)
{
    *err = NULL;
    if (!valid_account(e, a)) { *err = "sim: unknown account"; return -1; }
    sim_account *ac = &e->acc[a];
    th_money px;
    if (!price || parse_amount(price, &px) || px <= 0) { *err = "sim: a fee asset's price is not a positive decimal with at most 20 decimals"; return -1; }
    px /= th_money_pow10(TH_SIM_SCALE - 10); /* 10 decimals are plenty for a price */
    if (px <= 0) { *err = "sim: a fee asset's price is below 1e-10"; return -1; }
    int32_t fa = asset ? asset_intern(e, asset) : -1, q = quote ? asset_intern(e, quote) : -1;
    if (fa < 0 || q < 0) { *err = "sim: bad asset name (empty, longer than 15, or out of memory)"; return -1; }
    if (ac->fee_asset >= 0 && ac->fee_asset != fa) { *err = "sim: an account pays its fees in one asset only"; return -1; }
    if (ac->nfee_px == (int32_t)(sizeof ac->fee_px / sizeof ac->fee_px[0])) { *err = "sim: at most 8 fee asset prices"; return -1; }
    ac->fee_asset = fa;
    ac->fee_px[ac->nfee_px].quote = q;
    ac->fee_px[ac->nfee_px++].px = px;
    return 0;
}

int th_sim_balance_set(th_sim_engine *e, int32_t a, const char *asset, const char *amount, const char **err)
{
    *err = NULL;
    if (!valid_account(e, a)) {
        *err = "sim: unknown account";
        return -1;
    }
    if (e->acc[a].nopen) {
        *err = "sim: a balance cannot change while the account has open orders";
        return -1;
    }
    th_money v;
    if (!amount || parse_amount(amount, &v)) {
        *err = "sim: a balance is not a non-negative decimal with at most 20 decimals";
        return -1;
    }
    int32_t i = asset ? asset_intern(e, asset) : -1;
    if (i < 0) {
        *err = "sim: bad asset name (empty, longer than 15, or out of memory)";
        return -1;
    }
    e->acc[a].total[i] = v;
    return 0;
}

int th_sim_balance_get(const th_sim_engine *e, int32_t a, const char *asset, th_money *total, th_money *reserved)
{
    int32_t i = asset ? asset_find(e, asset) : -1;
    if (!valid_account(e, a) || i < 0) return -1;
    if (total) *total = e->acc[a].total[i];
    if (reserved) *reserved = e->acc[a].reserved[i];
    return 0;
}

int32_t th_sim_asset_count(const th_sim_engine *e) { return e->nasset; }
const char *th_sim_asset_name(const th_sim_engine *e, int32_t i) { return i >= 0 && i < e->nasset ? e->asset[i] : NULL; }
int32_t th_sim_asset_find(const th_sim_engine *e, const char *asset) { return asset ? asset_find(e, asset) : -1; }
th_money th_sim_fees_collected(const th_sim_engine *e, int32_t i) { return i >= 0 && i < e->nasset ? e->fees[i] : 0; }

/* ---------- rate counter ---------- */

static th_kraken_rate_counter *rate_of(th_sim_engine *e, int32_t a, int32_t ins, int64_t ts)
{
    sim_account *ac = &e->acc[a];
    if (!ac->rate_init[ins]) {
        th_kraken_rate_init(&ac->rate[ins], (th_kraken_tier)ac->tier, ts);
        ac->rate_init[ins] = true;
    }
    return &ac->rate[ins];
}

static bool rate_charge(th_sim_engine *e, int32_t a, int32_t ins, double cost, bool force, int64_t ts)
{
    if (e->cfg.rate_model != TH_SIM_RATE_KRAKEN) return true;
    return th_kraken_rate_charge(rate_of(e, a, ins, ts), cost, force, ts);
}

double th_sim_rate_level(th_sim_engine *e, int32_t a, int32_t ins, int64_t now_ns)
{
    if (e->cfg.rate_model != TH_SIM_RATE_KRAKEN || !valid_account(e, a) || !valid_ins(e, ins)) return 0;
    return th_kraken_rate_level(rate_of(e, a, ins, now_ns), now_ns);
}

/* ---------- orders: balances ---------- */

/* What a buy of rem at price holds: the notional, the taker fee on it, and 2 units for the
 * rounding of the taker and maker fees, which are each rounded up over the order's cumulative
 * notional (so the order never spends more than it held). */
static th_money buy_hold(const sim_market *m, const sim_account *ac, int64_t rem, int64_t price)
{
    th_money n = th_money_mul(rem, price) * m->quote_mul;
    return n + ceil_ppm(n, ac->taker_ppm) + 2;
}

static int32_t held_asset(const sim_market *m, const th_sim_order *o) { return o->side == TH_SIM_BUY ? m->quote : m->base; }

static void release(th_sim_engine *e, th_sim_order *o)
{
    sim_market *m = &e->mk[o->ins];
    e->acc[o->account].reserved[held_asset(m, o)] -= o->reserved;
    o->reserved = 0;
}

static void open_remove(th_sim_engine *e, th_sim_order *o)
{
    sim_market *m = &e->mk[o->ins];
    int32_t idx = (int32_t)(o - e->orders);
    for (int32_t i = 0; i < m->nopen; i++)
        if (m->open[i] == idx) {
            memmove(m->open + i, m->open + i + 1, sizeof *m->open * (size_t)(m->nopen - i - 1));
            m->nopen--;
            break;
        }
    e->acc[o->account].nopen--;
}

static void open_append(th_sim_engine *e, th_sim_order *o)
{
    sim_market *m = &e->mk[o->ins];
    if (grow((void **)&m->open, &m->capopen, m->nopen + 1, sizeof *m->open)) return;
    m->open[m->nopen++] = (int32_t)(o - e->orders);
}

static void close_order(th_sim_engine *e, th_sim_order *o, th_sim_status st, th_sim_cancel_reason why, int64_t ts)
{
    bool was_open = o->status == TH_SIM_ST_OPEN;
    release(e, o);
    o->status = st;
    o->cancel_reason = why;
    o->updated_ns = ts;
    if (was_open) open_remove(e, o);
    if (st == TH_SIM_ST_CANCELED) {
        e->acc[o->account].st.cancelled++;
        th_sim_event ev = {.kind = TH_SIM_EV_CANCELED, .account = o->account, .order = o, .ts_ns = ts};
        emit(e, &ev);
    }
}

/* One fill of o: qty at price, as maker or taker. Moves the balances, records the trade, emits it,
 * and closes the order when it is complete. */
static void fill(th_sim_engine *e, th_sim_order *o, int64_t price, int64_t qty, bool maker, int64_t ts)
{
    sim_market *m = &e->mk[o->ins];
    sim_account *ac = &e->acc[o->account];
    th_money cost = th_money_mul(qty, price);
    th_money c20 = cost * m->quote_mul;
    th_money b20 = (th_money)qty * m->base_mul;
    th_money fee;
    if (maker) {
        o->cum_maker += c20;
        th_money f = ceil_ppm(o->cum_maker, ac->maker_ppm);
        fee = f - o->fee_maker;
        o->fee_maker = f;
    } else {
        o->cum_taker += c20;
        th_money f = ceil_ppm(o->cum_taker, ac->taker_ppm);
        fee = f - o->fee_taker;
        o->fee_taker = f;
    }
    /* In the fee asset when the account pays fees in one, it has a price for this quote, and the
     * free balance covers it (else in the quote, as Binance falls back) */
    int32_t fee_in = m->quote;
    th_money charged = fee;
    if (ac->fee_asset >= 0 && ac->fee_asset != m->quote && fee > 0) {
        for (int32_t k = 0; k < ac->nfee_px; k++) {
            if (ac->fee_px[k].quote != m->quote) continue;
            th_money px = ac->fee_px[k].px, scale = th_money_pow10(10);
            /* px has 10 decimals: fee / (px / 1e10), rounded up, stays at TH_SIM_SCALE (128 bits hold
             * any fee below 1e28 units, 1e8 of the quote) */
            th_money in_fa = (fee * scale + px - 1) / px, step = th_money_pow10(TH_SIM_SCALE - 8);
            in_fa = (in_fa + step - 1) / step * step; /* Binance's commission has 8 decimals */
            if (ac->total[ac->fee_asset] - ac->reserved[ac->fee_asset] >= in_fa) {
                fee_in = ac->fee_asset;
                charged = in_fa;
                ac->total[fee_in] -= in_fa;
                fee = 0;
            }
            break;
        }
    }
    if (o->side == TH_SIM_BUY) {
        th_money spend = c20 + fee;
        th_money from_hold = spend < o->reserved ? spend : o->reserved;
        o->reserved -= from_hold;
        ac->reserved[m->quote] -= from_hold;
        ac->total[m->quote] -= spend;
        ac->total[m->base] += b20;
    } else {
        th_money from_hold = b20 < o->reserved ? b20 : o->reserved;
        o->reserved -= from_hold;
        ac->reserved[m->base] -= from_hold;
        ac->total[m->base] -= b20;
        ac->total[m->quote] += c20 - fee;
    }
    e->fees[fee_in] += charged;
    o->filled += qty;
    o->cost += cost;
    o->fee += fee;
    o->updated_ns = ts;
    ac->st.fills++;
    if (grow((void **)&e->trades, &e->captrades, e->ntrades + 1, sizeof *e->trades)) return;
    th_sim_trade *t = &e->trades[e->ntrades++];
    *t = (th_sim_trade){.id = mix64(e->cfg.seed + 0x5bd1e995u + ++e->trade_seq), .order_id = o->id,
                        .account = o->account, .ins = o->ins, .side = o->side, .maker = maker,
                        .price = price, .qty = qty, .cost = cost, .fee = charged, .fee_asset = fee_in,
                        .ts_ns = ts};
    if (o->filled >= o->qty) {
        /* closed before the event, so the event shows the order's final state */
        bool was_open = o->status == TH_SIM_ST_OPEN;
        release(e, o);
        o->status = TH_SIM_ST_FILLED;
        if (was_open) open_remove(e, o);
    }
    th_sim_event ev = {.kind = TH_SIM_EV_FILL, .account = o->account, .order = o, .trade = t, .ts_ns = ts};
    emit(e, &ev);
}

/* ---------- orders: matching ---------- */

static bool crosses(th_sim_side side, int64_t limit, int64_t level_price)
{
    return side == TH_SIM_BUY ? level_price <= limit : level_price >= limit;
}

static int opp_side(th_sim_side s) { return s == TH_SIM_BUY ? TH_ASK : TH_BID; }
static int own_side(th_sim_side s) { return s == TH_SIM_BUY ? TH_BID : TH_ASK; }

/* Best opposite level our accounts can still take (skipping levels fully consumed); false if none. */
static bool best_opposite(const sim_market *m, th_sim_side side, int64_t *price)
{
    int os = opp_side(side);
    int32_t n = th_book_count(&m->book, os);
    for (int32_t k = 0; k < n; k++) {
        int64_t p = 0, q = 0;
        th_book_level(&m->book, os, k, &p, &q);
        if (q - consumed(m, os, p) > 0) {
            *price = p;
            return true;
        }
    }
    return false;
}

/* Walk the opposite side as a taker. dry: only add up what the walk would fill and cost. */
static int64_t walk(th_sim_engine *e, th_sim_order *o, bool dry, th_money *cost_out, int64_t ts)
{
    sim_market *m = &e->mk[o->ins];
    int os = opp_side(o->side);
    int64_t rem = o->qty - o->filled, done = 0;
    th_money cost = 0;
    int32_t n = th_book_count(&m->book, os);
    for (int32_t k = 0; k < n && rem > 0 && o->status == TH_SIM_ST_OPEN; k++) {
        int64_t p = 0, q = 0;
        th_book_level(&m->book, os, k, &p, &q);
        if (o->type == TH_SIM_LIMIT && !crosses(o->side, o->price, p)) break;
        int64_t av = q - consumed(m, os, p);
        if (av <= 0) continue;
        int64_t f = av < rem ? av : rem;
        rem -= f;
        done += f;
        cost += th_money_mul(f, p);
        if (!dry) {
            cons_add(m, os, p, f);
            fill(e, o, p, f, false, ts);
        }
    }
    if (cost_out) *cost_out = cost;
    return done;
}

/* Join the back of the level: the market quantity our accounts see there is ahead of us. */
static void enqueue(th_sim_engine *e, th_sim_order *o)
{
    sim_market *m = &e->mk[o->ins];
    int s = own_side(o->side);
    o->level_qty = book_qty(&m->book, s, o->price);
    o->ahead = avail_at(m, s, o->price);
    o->traded_since = 0;
    o->seq = ++e->seq;
}

static int32_t *scratch(th_sim_engine *e, int32_t n)
{
    if (grow((void **)&e->scratch, &e->capscratch, n ? n : 1, sizeof *e->scratch)) return NULL;
    return e->scratch;
}

/* Copies of the open order indices on an instrument (fills close orders, changing the list). */
static int32_t snapshot_open(th_sim_engine *e, int32_t ins, int32_t **out)
{
    sim_market *m = &e->mk[ins];
    int32_t *s = scratch(e, m->nopen);
    if (!s) return 0;
    if (m->nopen) memcpy(s, m->open, sizeof *s * (size_t)m->nopen);
    *out = s;
    return m->nopen;
}

/* ---------- the market ---------- */

/* An opposite level now at `price` with `qty` our accounts can take: fill our resting orders that
 * it crosses, best price first then time, at their own prices (they were there first). */
static void fill_crossed(th_sim_engine *e, int32_t ins, int level_side, int64_t price, int64_t ts)
{
    sim_market *m = &e->mk[ins];
    th_sim_side ours = level_side == TH_ASK ? TH_SIM_BUY : TH_SIM_SELL;
    int32_t *idx, n = snapshot_open(e, ins, &idx), k = 0;
    for (int32_t i = 0; i < n; i++) {
        th_sim_order *o = &e->orders[idx[i]];
        if (o->side == ours && crosses(ours, o->price, price)) idx[k++] = idx[i];
    }
    /* stable insertion sort by price priority (the list is already in time priority) */
    for (int32_t i = 1; i < k; i++) {
        int32_t v = idx[i], j = i;
        int64_t pv = e->orders[v].price;
        while (j > 0 && (ours == TH_SIM_BUY ? e->orders[idx[j - 1]].price < pv : e->orders[idx[j - 1]].price > pv)) {
            idx[j] = idx[j - 1];
            j--;
        }
        idx[j] = v;
    }
    /* idx is e->scratch: fill() does not touch it */
    for (int32_t i = 0; i < k; i++) {
        int64_t av = avail_at(m, level_side, price);
        if (av <= 0) break;
        th_sim_order *o = &e->orders[idx[i]];
        if (o->status != TH_SIM_ST_OPEN) continue;
        int64_t rem = o->qty - o->filled, f = av < rem ? av : rem;
        cons_add(m, level_side, price, f);
        fill(e, o, o->price, f, true, ts);
    }
}

void th_sim_market_level(th_sim_engine *e, int32_t ins, int side, int64_t price, int64_t qty, int64_t ts)
{
    if (e->in_cb || !valid_ins(e, ins) || (side != TH_BID && side != TH_ASK) || price <= 0) return;
    sim_market *m = &e->mk[ins];
    if (qty < 0) qty = 0;
    th_book_set(&m->book, side, price, qty);
    if (m->book.depth > 0) th_book_truncate(&m->book);
    m->book.last_update_ns = ts;
    cons_reset(m, side, price);
    /* queue positions at this level */
    for (int32_t i = 0; i < m->nopen; i++) {
        th_sim_order *o = &e->orders[m->open[i]];
        if (own_side(o->side) != side || o->price != price) continue;
        if (qty < o->level_qty) {
            int64_t d = o->level_qty - qty;
            int64_t explained = d < o->traded_since ? d : o->traded_since;
            int64_t u = d - explained;  /* shrink no trade explains: cancels */
            if (u > 0 && o->ahead > 0) {
                switch (e->cfg.queue_model) {
                case TH_SIM_QUEUE_PESSIMISTIC: break;
                case TH_SIM_QUEUE_OPTIMISTIC: o->ahead -= u < o->ahead ? u : o->ahead; break;
                case TH_SIM_QUEUE_PROPORTIONAL: {
                    /* share of the cancels that was ahead: u * ahead / level (rounded down: the
                     * model never moves us up by more than the proportion) */
                    int64_t lvl = o->level_qty - o->traded_since;
                    if (lvl > 0) {
                        th_money cut = (th_money)u * o->ahead / lvl;
                        o->ahead -= (int64_t)cut;
                    }
                    break;
                }
                }
            }
        }
        if (o->ahead > qty) o->ahead = qty;
        o->level_qty = qty;
        o->traded_since = 0;
    }
    if (qty > 0) fill_crossed(e, ins, side, price, ts);
}

void th_sim_market_clear(th_sim_engine *e, int32_t ins, int64_t ts)
{
    if (e->in_cb || !valid_ins(e, ins)) return;
    sim_market *m = &e->mk[ins];
    th_book_clear(&m->book);
    m->book.last_update_ns = ts;
    m->ncons[0] = m->ncons[1] = 0;
}

void th_sim_market_trade(th_sim_engine *e, int32_t ins, int64_t price, int64_t qty, th_sim_side aggressor, int64_t ts)
{
    if (e->in_cb || !valid_ins(e, ins) || price <= 0 || qty <= 0) return;
    /* an aggressive buy lifted asks: it reaches our resting sells */
    th_sim_side ours = aggressor == TH_SIM_BUY ? TH_SIM_SELL : TH_SIM_BUY;
    int32_t *idx, n = snapshot_open(e, ins, &idx);
    /* our orders ahead of each other at the trade's price, in time priority */
    int64_t ours_ahead = 0;
    for (int32_t i = 0; i < n; i++) {
        th_sim_order *o = &e->orders[idx[i]];
        if (o->side != ours || o->status != TH_SIM_ST_OPEN) continue;
        int64_t rem = o->qty - o->filled;
        bool through = ours == TH_SIM_SELL ? o->price < price : o->price > price;
        if (through) {
            /* the aggressor paid a worse price than ours: it would have met us first */
            fill(e, o, o->price, rem, true, ts);
        } else if (o->price == price) {
            int64_t reach = qty - o->ahead - ours_ahead;
            ours_ahead += rem;
            o->ahead = o->ahead > qty ? o->ahead - qty : 0;
            o->traded_since += qty;
            if (reach > 0) fill(e, o, o->price, reach < rem ? reach : rem, true, ts);
        }
    }
}

const th_book *th_sim_market_book(const th_sim_engine *e, int32_t ins) { return valid_ins(e, ins) ? &e->mk[ins].book : NULL; }

int64_t th_sim_market_available(const th_sim_engine *e, int32_t ins, int side, int64_t price)
{
    if (!valid_ins(e, ins) || (side != TH_BID && side != TH_ASK)) return 0;
    return avail_at(&e->mk[ins], side, price);
}

/* ---------- orders: requests ---------- */

static th_sim_reject reject(th_sim_engine *e, int32_t a, const th_sim_order_req *r, th_sim_reject why, int64_t ts)
{
    th_sim_order o = {.account = a, .ins = r->ins, .side = r->side, .type = r->type, .tif = r->tif,
                      .post_only = r->post_only, .status = TH_SIM_ST_REJECTED, .price = r->price,
                      .qty = r->qty, .userref = r->userref, .created_ns = ts, .updated_ns = ts};
    if (r->cl_ord_id) snprintf(o.cl_ord_id, sizeof o.cl_ord_id, "%s", r->cl_ord_id);
    if (valid_account(e, a)) e->acc[a].st.rejected++;
    th_sim_event ev = {.kind = TH_SIM_EV_REJECTED, .account = a, .order = &o, .reject = why, .ts_ns = ts};
    emit(e, &ev);
    return why;
}

th_sim_reject th_sim_place(th_sim_engine *e, int32_t a, const th_sim_order_req *r, int64_t ts, uint64_t *order_id)
{
    if (order_id) *order_id = 0;
    if (e->in_cb || !r) return TH_SIM_REJ_BAD_REQUEST;
    if (!valid_account(e, a)) return reject(e, a, r, TH_SIM_REJ_BAD_REQUEST, ts);
    if (!valid_ins(e, r->ins)) return reject(e, a, r, TH_SIM_REJ_UNKNOWN_SYMBOL, ts);
    /* Kraken charges the add before validating it */
    if (!rate_charge(e, a, r->ins, th_kraken_rate_add_cost(), false, ts)) return reject(e, a, r, TH_SIM_REJ_RATE_LIMITED, ts);
    const th_instrument *in = &e->ins.v[r->ins];
    sim_market *m = &e->mk[r->ins];
    sim_account *ac = &e->acc[a];
    if ((r->side != TH_SIM_BUY && r->side != TH_SIM_SELL) || (r->type != TH_SIM_LIMIT && r->type != TH_SIM_MARKET) ||
        (r->tif != TH_SIM_GTC && r->tif != TH_SIM_IOC) || (r->type == TH_SIM_MARKET && r->post_only))
        return reject(e, a, r, TH_SIM_REJ_BAD_REQUEST, ts);
    if (r->cl_ord_id && strlen(r->cl_ord_id) >= TH_SIM_CL_ORD_ID_MAX) return reject(e, a, r, TH_SIM_REJ_BAD_REQUEST, ts);
    if (r->cl_ord_id && *r->cl_ord_id && th_sim_order_find_cl(e, a, r->cl_ord_id))
        return reject(e, a, r, TH_SIM_REJ_DUPLICATE_CL_ORD_ID, ts);
    int64_t lot = in->lot > 0 ? in->lot : 1, tick = in->tick > 0 ? in->tick : 1;
    if (r->qty <= 0 || r->qty % lot) return reject(e, a, r, TH_SIM_REJ_BAD_LOT, ts);
    if (r->type == TH_SIM_LIMIT && (r->price <= 0 || r->price % tick)) return reject(e, a, r, TH_SIM_REJ_BAD_TICK, ts);
    if (r->qty < in->min_qty) return reject(e, a, r, TH_SIM_REJ_BELOW_MIN_SIZE, ts);
    int64_t best = 0;
    bool have_best = best_opposite(m, r->side, &best);
    int64_t ref_price = r->type == TH_SIM_LIMIT ? r->price : best;
    if (in->min_cost > 0 && (r->type == TH_SIM_LIMIT || have_best) && th_money_mul(r->qty, ref_price) < in->min_cost)
        return reject(e, a, r, TH_SIM_REJ_BELOW_MIN_COST, ts);
    if (r->post_only && have_best && crosses(r->side, r->price, best))
        return reject(e, a, r, TH_SIM_REJ_POST_ONLY_WOULD_CROSS, ts);
    if (r->type == TH_SIM_MARKET && !have_best) return reject(e, a, r, TH_SIM_REJ_NO_LIQUIDITY, ts);

    th_sim_order o = {.account = a, .ins = r->ins, .side = r->side, .type = r->type, .tif = r->tif,
                      .post_only = r->post_only, .status = TH_SIM_ST_OPEN,
                      .price = r->type == TH_SIM_LIMIT ? r->price : 0, .qty = r->qty, .userref = r->userref,
                      .created_ns = ts, .updated_ns = ts, .rate_ns = ts};
    if (r->cl_ord_id) snprintf(o.cl_ord_id, sizeof o.cl_ord_id, "%s", r->cl_ord_id);
    /* what it holds */
    th_money hold;
    int32_t hold_asset = r->side == TH_SIM_BUY ? m->quote : m->base;
    if (r->side == TH_SIM_SELL) {
        hold = (th_money)r->qty * m->base_mul;
    } else if (r->type == TH_SIM_LIMIT) {
        hold = buy_hold(m, ac, r->qty, r->price);
    } else {
        /* a market buy holds what its walk would cost now, with the taker fee */
        th_money cost;
        walk(e, &o, true, &cost, ts);
        th_money c20 = cost * m->quote_mul;
        hold = c20 + ceil_ppm(c20, ac->taker_ppm) + 2;
    }
    if (ac->total[hold_asset] - ac->reserved[hold_asset] < hold) return reject(e, a, r, TH_SIM_REJ_INSUFFICIENT_FUNDS, ts);

    if (grow((void **)&e->orders, &e->caporders, e->norders + 1, sizeof *e->orders)) return TH_SIM_REJ_BAD_REQUEST;
    uint64_t seq = ++e->seq;
    o.id = mix64(e->cfg.seed + seq);
    o.seq = seq;
    o.reserved = hold;
    if (ids_put(e, o.id, e->norders)) return TH_SIM_REJ_BAD_REQUEST;
    int32_t oi = e->norders++;
    e->orders[oi] = o;
    th_sim_order *op = &e->orders[oi];
    ac->reserved[hold_asset] += hold;
    ac->nopen++;
    ac->st.placed++;
    open_append(e, op);
    if (order_id) *order_id = op->id;
    th_sim_event ev = {.kind = TH_SIM_EV_NEW, .account = a, .order = op, .ts_ns = ts};
    emit(e, &ev);

    walk(e, op, false, NULL, ts);
    if (op->status == TH_SIM_ST_OPEN) {
        if (op->type == TH_SIM_MARKET || op->tif == TH_SIM_IOC) {
            close_order(e, op, TH_SIM_ST_CANCELED, TH_SIM_CANCEL_IOC, ts);
        } else {
            int s = own_side(op->side);
            op->level_qty = book_qty(&m->book, s, op->price);
            op->ahead = avail_at(m, s, op->price);
            op->traded_since = 0;
        }
    }
    return TH_SIM_OK;
}

static th_sim_order *own_open(th_sim_engine *e, int32_t a, uint64_t id)
{
    int32_t i = ids_find(e, id);
    if (i < 0) return NULL;
    th_sim_order *o = &e->orders[i];
    return o->account == a && o->status == TH_SIM_ST_OPEN ? o : NULL;
}

static th_sim_reject cancel_one(th_sim_engine *e, th_sim_order *o, int64_t ts)
{
    if (!rate_charge(e, o->account, o->ins, th_kraken_rate_cancel_cost(ts - o->rate_ns), false, ts))
        return TH_SIM_REJ_RATE_LIMITED;
    close_order(e, o, TH_SIM_ST_CANCELED, TH_SIM_CANCEL_USER, ts);
    return TH_SIM_OK;
}

th_sim_reject th_sim_cancel(th_sim_engine *e, int32_t a, uint64_t id, int64_t ts)
{
    if (e->in_cb || !valid_account(e, a)) return TH_SIM_REJ_BAD_REQUEST;
    th_sim_order *o = own_open(e, a, id);
    return o ? cancel_one(e, o, ts) : TH_SIM_REJ_UNKNOWN_ORDER;
}

th_sim_reject th_sim_cancel_cl(th_sim_engine *e, int32_t a, const char *cl, int64_t ts)
{
    if (e->in_cb || !valid_account(e, a) || !cl || !*cl) return TH_SIM_REJ_BAD_REQUEST;
    th_sim_order *o = (th_sim_order *)th_sim_order_find_cl(e, a, cl);
    return o ? cancel_one(e, o, ts) : TH_SIM_REJ_UNKNOWN_ORDER;
}

static int32_t cancel_all(th_sim_engine *e, int32_t a, int32_t ins, th_sim_cancel_reason why, int64_t ts)
{
    int32_t count = 0;
    for (int32_t i = 0; i < e->ins.n; i++) {
        if (ins >= 0 && i != ins) continue;
        int32_t *idx, n = snapshot_open(e, i, &idx);
        for (int32_t k = 0; k < n; k++) {
            th_sim_order *o = &e->orders[idx[k]];
            if (o->account != a || o->status != TH_SIM_ST_OPEN) continue;
            rate_charge(e, a, o->ins, th_kraken_rate_cancel_cost(ts - o->rate_ns), true, ts);
            close_order(e, o, TH_SIM_ST_CANCELED, why, ts);
            count++;
        }
    }
    return count;
}

th_sim_reject th_sim_cancel_all(th_sim_engine *e, int32_t a, int32_t ins, int64_t ts, int32_t *count)
{
    if (count) *count = 0;
    if (e->in_cb || !valid_account(e, a)) return TH_SIM_REJ_BAD_REQUEST;
    if (ins >= e->ins.n) return TH_SIM_REJ_UNKNOWN_SYMBOL;
    int32_t n = cancel_all(e, a, ins, TH_SIM_CANCEL_ALL, ts);
    if (count) *count = n;
    return TH_SIM_OK;
}

th_sim_reject th_sim_amend(th_sim_engine *e, int32_t a, uint64_t id, int64_t new_qty, int64_t new_price, int post_only,
                           int64_t ts)
{
    if (e->in_cb || !valid_account(e, a)) return TH_SIM_REJ_BAD_REQUEST;
    th_sim_order *o = own_open(e, a, id);
    if (!o) return TH_SIM_REJ_UNKNOWN_ORDER;
    if (!rate_charge(e, a, o->ins, th_kraken_rate_amend_cost(ts - o->rate_ns), false, ts)) return TH_SIM_REJ_RATE_LIMITED;
    const th_instrument *in = &e->ins.v[o->ins];
    sim_market *m = &e->mk[o->ins];
    sim_account *ac = &e->acc[a];
    int64_t qty = new_qty ? new_qty : o->qty, price = new_price ? new_price : o->price;
    bool po = post_only < 0 ? o->post_only : post_only != 0;
    int64_t lot = in->lot > 0 ? in->lot : 1, tick = in->tick > 0 ? in->tick : 1;
    if (o->type != TH_SIM_LIMIT) return TH_SIM_REJ_BAD_REQUEST;
    if (qty <= 0 || qty % lot) return TH_SIM_REJ_BAD_LOT;
    if (qty <= o->filled) return TH_SIM_REJ_BAD_REQUEST;
    if (price <= 0 || price % tick) return TH_SIM_REJ_BAD_TICK;
    if (qty < in->min_qty) return TH_SIM_REJ_BELOW_MIN_SIZE;
    int64_t best;
    bool have_best = best_opposite(m, o->side, &best);
    if (po && have_best && crosses(o->side, price, best)) return TH_SIM_REJ_POST_ONLY_WOULD_CROSS;
    th_money hold = o->side == TH_SIM_BUY ? buy_hold(m, ac, qty - o->filled, price)
                                           : (th_money)(qty - o->filled) * m->base_mul;
    int32_t ha = held_asset(m, o);
    if (hold > o->reserved && ac->total[ha] - ac->reserved[ha] < hold - o->reserved) return TH_SIM_REJ_INSUFFICIENT_FUNDS;
    ac->reserved[ha] += hold - o->reserved;
    o->reserved = hold;
    /* Kraken keeps the queue position only when the size goes down at the same price */
    bool keep = price == o->price && qty <= o->qty;
    int64_t old_price = o->price, old_qty = o->qty;
    o->qty = qty;
    o->price = price;
    o->post_only = po;
    o->updated_ns = o->rate_ns = ts;
    if (!keep) {
        enqueue(e, o);
        /* to the back of the time priority too */
        int32_t idx = (int32_t)(o - e->orders);
        for (int32_t i = 0; i < m->nopen; i++)
            if (m->open[i] == idx) {
                memmove(m->open + i, m->open + i + 1, sizeof *m->open * (size_t)(m->nopen - i - 1));
                m->open[m->nopen - 1] = idx;
                break;
            }
    }
    th_sim_event ev = {.kind = TH_SIM_EV_AMENDED, .account = a, .order = o, .old_price = old_price,
                       .old_qty = old_qty, .ts_ns = ts};
    emit(e, &ev);
    if (!keep && have_best && crosses(o->side, o->price, best)) {
        walk(e, o, false, NULL, ts);
        if (o->status == TH_SIM_ST_OPEN) enqueue(e, o);
    }
    return TH_SIM_OK;
}

/* ---------- retention ---------- */

/* Keep memory bounded over a long session: past twice the configured retention, drop the oldest
 * closed orders (open ones always stay) and the oldest trades. Runs from th_sim_tick, never inside
 * a matching pass (those hold order indices). Indices shift; ids do not. */
static void compact(th_sim_engine *e)
{
    int32_t keep = e->cfg.max_closed_orders, open = 0;
    for (int32_t i = 0; i < e->ins.n; i++) open += e->mk[i].nopen;
    int32_t closed = e->norders - open;
    if (keep > 0 && closed > 2 * keep) {
        int32_t *remap = malloc(sizeof *remap * (size_t)e->norders);
        int32_t *slots = calloc((size_t)e->nidslots, sizeof *slots);
        if (remap && slots) {
            int32_t drop = closed - keep, w = 0;
            for (int32_t i = 0; i < e->norders; i++) {
                if (drop > 0 && e->orders[i].status != TH_SIM_ST_OPEN) {
                    remap[i] = -1;
                    drop--;
                    continue;
                }
                remap[i] = w;
                if (w != i) e->orders[w] = e->orders[i];
                w++;
            }
            e->norders = w;
            for (int32_t i = 0; i < e->ins.n; i++)
                for (int32_t k = 0; k < e->mk[i].nopen; k++) e->mk[i].open[k] = remap[e->mk[i].open[k]];
            uint32_t mask = (uint32_t)e->nidslots - 1;
            for (int32_t i = 0; i < e->norders; i++) {
                uint32_t h = (uint32_t)mix64(e->orders[i].id) & mask;
                while (slots[h]) h = (h + 1) & mask;
                slots[h] = i + 1;
            }
            free(e->idslots);
            e->idslots = slots;
            slots = NULL;
        }
        free(remap);
        free(slots);
    }
    int32_t tkeep = e->cfg.max_trades;
    if (tkeep > 0 && e->ntrades > 2 * tkeep) {
        int32_t drop = e->ntrades - tkeep;
        memmove(e->trades, e->trades + drop, sizeof *e->trades * (size_t)tkeep);
        e->ntrades = tkeep;
    }
}

void th_sim_dead_man(th_sim_engine *e, int32_t a, int64_t deadline_ns)
{
    if (valid_account(e, a)) e->acc[a].st.dead_man_ns = deadline_ns > 0 ? deadline_ns : 0;
}

void th_sim_tick(th_sim_engine *e, int64_t now)
{
    if (e->in_cb) return;
    for (int32_t a = 0; a < e->nacc; a++) {
        sim_account *ac = &e->acc[a];
        if (ac->st.dead_man_ns && now >= ac->st.dead_man_ns) {
            ac->st.dead_man_ns = 0;
            cancel_all(e, a, -1, TH_SIM_CANCEL_DEAD_MAN, now);
        }
    }
    compact(e);
}

/* ---------- queries ---------- */

const th_sim_order *th_sim_order_find(const th_sim_engine *e, uint64_t id)
{
    int32_t i = ids_find(e, id);
    return i < 0 ? NULL : &e->orders[i];
}

const th_sim_order *th_sim_order_find_cl(const th_sim_engine *e, int32_t a, const char *cl)
{
    if (!cl || !*cl) return NULL;
    for (int32_t i = 0; i < e->ins.n; i++) {
        const sim_market *m = &e->mk[i];
        for (int32_t k = 0; k < m->nopen; k++) {
            const th_sim_order *o = &e->orders[m->open[k]];
            if (o->account == a && strcmp(o->cl_ord_id, cl) == 0) return o;
        }
    }
    return NULL;
}

int32_t th_sim_order_count(const th_sim_engine *e) { return e->norders; }
const th_sim_order *th_sim_order_at(const th_sim_engine *e, int32_t i) { return i >= 0 && i < e->norders ? &e->orders[i] : NULL; }

static int cmp_i32(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return x < y ? -1 : x > y;
}

int32_t th_sim_open_orders(const th_sim_engine *e, int32_t a, int32_t ins, const th_sim_order **out, int32_t cap)
{
    /* from the instruments' open lists (not a scan of every order ever placed), sorted by index
     * into the orders array, which is placement order: the oldest `cap` of them */
    int32_t n = 0, total = 0;
    for (int32_t i = 0; i < e->ins.n; i++) total += e->mk[i].nopen;
    int32_t *idx = total ? malloc(sizeof *idx * (size_t)total) : NULL;
    if (total && !idx) return 0;
    for (int32_t i = 0; i < e->ins.n; i++) {
        if (ins >= 0 && i != ins) continue;
        const sim_market *m = &e->mk[i];
        for (int32_t k = 0; k < m->nopen; k++)
            if (e->orders[m->open[k]].account == a) idx[n++] = m->open[k];
    }
    if (n > 1) qsort(idx, (size_t)n, sizeof *idx, cmp_i32);
    for (int32_t k = 0; out && k < n && k < cap; k++) out[k] = &e->orders[idx[k]];
    free(idx);
    return n;
}

int32_t th_sim_trade_count(const th_sim_engine *e) { return e->ntrades; }
const th_sim_trade *th_sim_trade_at(const th_sim_engine *e, int32_t i) { return i >= 0 && i < e->ntrades ? &e->trades[i] : NULL; }

const char *th_sim_reject_name(th_sim_reject r)
{
    static const char *const names[TH_SIM_REJ_COUNT] = {
        "ok", "unknown_symbol", "insufficient_funds", "post_only_would_cross", "below_min_size", "below_min_cost",
        "bad_tick", "bad_lot", "unknown_order", "rate_limited", "bad_request", "duplicate_cl_ord_id", "no_liquidity"};
    return (unsigned)r < TH_SIM_REJ_COUNT ? names[r] : "unknown";
}

const char *th_sim_cancel_reason_name(th_sim_cancel_reason r)
{
    static const char *const names[] = {"user", "ioc_expired", "cancel_all", "dead_man_switch"};
    return (unsigned)r < 4 ? names[r] : "unknown";
}

void th_sim_format_kraken_id(char prefix, uint64_t id, char out[20])
{
    static const char alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    char l[16];
    /* the last 13 base-32 digits spell all 64 bits of the id (distinct ids, distinct texts); the
     * first 3 are a hash of it, so the text does not start with a run of A's */
    uint64_t v = id, h = mix64(id ^ 0x6a09e667f3bcc909ull);
    for (int i = 15; i >= 3; i--, v >>= 5) l[i] = alpha[v & 31];
    for (int i = 2; i >= 0; i--, h >>= 5) l[i] = alpha[h & 31];
    out[0] = prefix;
    memcpy(out + 1, l, 5);
    out[6] = '-';
    memcpy(out + 7, l + 5, 5);
    out[12] = '-';
    memcpy(out + 13, l + 10, 6);
    out[19] = 0;
}
