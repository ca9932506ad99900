/* instrument.c — instrument registry and the per-venue loaders (see instrument.h). */
#include "instrument.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "decimal.h"
#include "json.h"

static const char *const VENUE_NAMES[TH_VENUE_COUNT] = {"kraken", "kraken-futures", "binance", "binance-usdm", "sim"};

const char *th_venue_name(th_venue_id v) { return (v >= 0 && v < TH_VENUE_COUNT) ? VENUE_NAMES[v] : "?"; }

int th_venue_parse(const char *name, th_venue_id *out)
{
    for (int i = 0; i < TH_VENUE_COUNT; i++)
        if (strcmp(name, VENUE_NAMES[i]) == 0) { *out = (th_venue_id)i; return 0; }
    return -1;
}

void th_instruments_init(th_instruments *r, th_venue_id venue)
{
    memset(r, 0, sizeof *r);
    r->venue = venue;
}

void th_instruments_free(th_instruments *r)
{
    free(r->v);
    free(r->slots);
    memset(r, 0, sizeof *r);
}

static uint32_t hash_sym(const char *s, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) { h ^= (uint8_t)toupper((unsigned char)s[i]); h *= 16777619u; }
    return h;
}

static int rehash(th_instruments *r, int32_t nslots)
{
    int32_t *slots = calloc((size_t)nslots, sizeof *slots);
    if (!slots) return -1;
    for (int32_t i = 0; i < r->n; i++) {
        uint32_t h = hash_sym(r->v[i].symbol, strlen(r->v[i].symbol)) & (uint32_t)(nslots - 1);
        while (slots[h]) h = (h + 1) & (uint32_t)(nslots - 1);
        slots[h] = i + 1;
    }
    free(r->slots);
    r->slots = slots;
    r->nslots = nslots;
    return 0;
}

int32_t th_instruments_find(const th_instruments *r, const char *sym, size_t len)
{
    if (!r->nslots) return -1;
    uint32_t mask = (uint32_t)(r->nslots - 1);
    for (uint32_t h = hash_sym(sym, len) & mask;; h = (h + 1) & mask) {
        int32_t idx = r->slots[h];
        if (!idx) return -1;
        const char *s = r->v[idx - 1].symbol;
        /* the venue's own spelling first (every frame), any case second */
        if ((strncmp(s, sym, len) == 0 || strncasecmp(s, sym, len) == 0) && s[len] == 0) return idx - 1;
    }
}

int32_t th_instruments_put(th_instruments *r, const th_instrument *ins)
{
    r->gen++;
    int32_t idx = th_instruments_find(r, ins->symbol, strlen(ins->symbol));
    if (idx >= 0) { r->v[idx] = *ins; return idx; }
    if (r->n == r->cap) {
        int32_t cap = r->cap ? r->cap * 2 : 64;
        th_instrument *v = realloc(r->v, sizeof *v * (size_t)cap);
        if (!v) return -1;
        r->v = v;
        r->cap = cap;
    }
    r->v[r->n++] = *ins;
    if (r->n * 2 > r->nslots) {
        /* grow: rehash places every entry, the new one included */
        if (rehash(r, r->nslots ? r->nslots * 2 : 128) != 0) { r->n--; return -1; }
    } else {
        uint32_t mask = (uint32_t)(r->nslots - 1);
        uint32_t h = hash_sym(ins->symbol, strlen(ins->symbol)) & mask;
        while (r->slots[h]) h = (h + 1) & mask;
        r->slots[h] = r->n;
    }
    return r->n - 1;
}

/* ---- helpers over tokens ---- */

static int tok_scale_places(const th_json *j, int t) { return t < 0 ? -1 : th_dec_places(th_json_ptr(j, t), th_json_len(j, t)); }

static int tok_dec(const th_json *j, int t, int scale, int64_t *out)
{
    if (t < 0) return -1;
    return th_dec_parse(th_json_ptr(j, t), th_json_len(j, t), scale, out);
}

static int tok_int(const th_json *j, int t, int dflt)
{
    int64_t v;
    return (t >= 0 && th_json_i64(j, t, &v) == 0) ? (int)v : dflt;
}

static void tok_str(const th_json *j, int t, char *buf, size_t cap)
{
    if (t < 0) { buf[0] = 0; return; }
    th_json_copy(j, t, buf, cap);
}

/* Kraken spot v2 `instrument` channel: data.pairs[] with *_precision, *_increment, qty_min, cost_min. */
static int load_kraken(th_instruments *r, th_json *j, const char **err)
{
    int data = th_json_get(j, 0, "data");
    int pairs = th_json_get(j, data, "pairs");
    if (pairs < 0 || j->tok[pairs].type != TH_JSON_ARRAY) { *err = "kraken instruments: no data.pairs array"; return -1; }
    int count = 0, i = pairs + 1;
    for (int k = 0; k < j->tok[pairs].size; k++, i = th_json_skip(j, i)) {
        th_instrument ins = {.contract_size = 1};
        tok_str(j, th_json_get(j, i, "symbol"), ins.symbol, sizeof ins.symbol);
        tok_str(j, th_json_get(j, i, "base"), ins.base, sizeof ins.base);
        tok_str(j, th_json_get(j, i, "quote"), ins.quote, sizeof ins.quote);
        ins.price_dec = tok_int(j, th_json_get(j, i, "price_precision"), -1);
        ins.qty_dec = tok_int(j, th_json_get(j, i, "qty_precision"), -1);
        if (!ins.symbol[0] || ins.price_dec < 0 || ins.qty_dec < 0 || ins.price_dec > 12 || ins.qty_dec > 12) {
            *err = "kraken instruments: a pair lacks symbol or precisions";
            return -1;
        }
        if (tok_dec(j, th_json_get(j, i, "price_increment"), ins.price_dec, &ins.tick) != 0 || ins.tick <= 0) ins.tick = 1;
        if (tok_dec(j, th_json_get(j, i, "qty_increment"), ins.qty_dec, &ins.lot) != 0 || ins.lot <= 0) ins.lot = 1;
        if (tok_dec(j, th_json_get(j, i, "qty_min"), ins.qty_dec, &ins.min_qty) != 0) ins.min_qty = 0;
        if (tok_dec(j, th_json_get(j, i, "cost_min"), ins.price_dec + ins.qty_dec, &ins.min_cost) != 0) ins.min_cost = 0;
        ins.online = th_json_eq(j, th_json_get(j, i, "status"), "online");
        if (th_instruments_put(r, &ins) < 0) { *err = "out of memory"; return -1; }
        count++;
    }
    return count;
}

/* Kraken Futures REST instruments: instruments[] with tickSize, contractSize, tradeable. */
static int load_kraken_futures(th_instruments *r, th_json *j, const char **err)
{
    int arr = th_json_get(j, 0, "instruments");
    if (arr < 0 || j->tok[arr].type != TH_JSON_ARRAY) { *err = "kraken-futures instruments: no instruments array"; return -1; }
    int count = 0, i = arr + 1;
    for (int k = 0; k < j->tok[arr].size; k++, i = th_json_skip(j, i)) {
        th_instrument ins = {.contract_size = 1, .lot = 1};
        tok_str(j, th_json_get(j, i, "symbol"), ins.symbol, sizeof ins.symbol);
        int tick = th_json_get(j, i, "tickSize");
        if (!ins.symbol[0] || tick < 0) continue; /* indices and spot references carry no tick */
        ins.price_dec = tok_scale_places(j, tick);
        if (ins.price_dec < 0 || tok_dec(j, tick, ins.price_dec, &ins.tick) != 0) { *err = "kraken-futures instruments: bad tickSize"; return -1; }
        int prec = th_json_get(j, i, "contractValueTradePrecision");
        ins.qty_dec = prec >= 0 ? tok_int(j, prec, 0) : 0;
        if (ins.qty_dec < 0) ins.qty_dec = 0;
        ins.min_qty = ins.lot = ins.qty_dec > 0 ? 1 : 1;
        int cs = th_json_get(j, i, "contractSize");
        if (cs >= 0) {
            char buf[32];
            th_json_copy(j, cs, buf, sizeof buf);
            ins.contract_size = strtod(buf, NULL);
        }
        ins.online = th_json_eq(j, th_json_get(j, i, "tradeable"), "true");
        if (th_instruments_put(r, &ins) < 0) { *err = "out of memory"; return -1; }
        count++;
    }
    return count;
}

/* Binance exchangeInfo (spot and USD-M): symbols[] with PRICE_FILTER, LOT_SIZE, (MIN_)NOTIONAL. */
static int load_binance(th_instruments *r, th_json *j, const char **err)
{
    int arr = th_json_get(j, 0, "symbols");
    if (arr < 0 || j->tok[arr].type != TH_JSON_ARRAY) { *err = "binance exchangeInfo: no symbols array"; return -1; }
    int count = 0, i = arr + 1;
    for (int k = 0; k < j->tok[arr].size; k++, i = th_json_skip(j, i)) {
        th_instrument ins = {.contract_size = 1};
        tok_str(j, th_json_get(j, i, "symbol"), ins.symbol, sizeof ins.symbol);
        tok_str(j, th_json_get(j, i, "baseAsset"), ins.base, sizeof ins.base);
        tok_str(j, th_json_get(j, i, "quoteAsset"), ins.quote, sizeof ins.quote);
        ins.online = th_json_eq(j, th_json_get(j, i, "status"), "TRADING");
        int filters = th_json_get(j, i, "filters");
        int tick_t = -1, step_t = -1, minqty_t = -1, notional_t = -1;
        if (filters >= 0) {
            int f = filters + 1;
            for (int q = 0; q < j->tok[filters].size; q++, f = th_json_skip(j, f)) {
                int type = th_json_get(j, f, "filterType");
                if (th_json_eq(j, type, "PRICE_FILTER")) tick_t = th_json_get(j, f, "tickSize");
                else if (th_json_eq(j, type, "LOT_SIZE")) { step_t = th_json_get(j, f, "stepSize"); minqty_t = th_json_get(j, f, "minQty"); }
                else if (th_json_eq(j, type, "MIN_NOTIONAL")) {
                    notional_t = th_json_get(j, f, "minNotional");
                    if (notional_t < 0) notional_t = th_json_get(j, f, "notional");
                }
            }
        }
        /* Binance books can hold levels off today's tick (orders resting from before a tick change),
         * so its books use the wire's full scale: the tickSize text's decimals, trailing zeros
         * included ("0.00010000" -> 8, tick 10000 units); orders are still checked against tick. */
        ins.price_dec = tick_t < 0 ? -1 : th_dec_text_decimals(th_json_ptr(j, tick_t), th_json_len(j, tick_t));
        ins.qty_dec = step_t < 0 ? -1 : th_dec_text_decimals(th_json_ptr(j, step_t), th_json_len(j, step_t));
        if (tok_scale_places(j, tick_t) < 0 || tok_scale_places(j, step_t) < 0) ins.price_dec = -1;
        if (!ins.symbol[0] || ins.price_dec < 0 || ins.qty_dec < 0) { *err = "binance exchangeInfo: a symbol lacks PRICE_FILTER or LOT_SIZE"; return -1; }
        if (tok_dec(j, tick_t, ins.price_dec, &ins.tick) != 0 || ins.tick <= 0) ins.tick = 1;
        if (tok_dec(j, step_t, ins.qty_dec, &ins.lot) != 0 || ins.lot <= 0) ins.lot = 1;
        if (tok_dec(j, minqty_t, ins.qty_dec, &ins.min_qty) != 0) ins.min_qty = 0;
        int cost_dec = ins.price_dec + ins.qty_dec > 18 ? 18 : ins.price_dec + ins.qty_dec;
        if (tok_dec(j, notional_t, cost_dec, &ins.min_cost) != 0) ins.min_cost = 0;
        if (th_instruments_put(r, &ins) < 0) { *err = "out of memory"; return -1; }
        count++;
    }
    return count;
}

int th_instruments_load_json(th_instruments *r, const char *json, size_t len, const char **err)
{
    th_json j;
    /* one token per ~4 bytes is more than any JSON can need */
    int cap = (int)(len / 2 + 16);
    if (th_json_init(&j, cap) != 0) { *err = "out of memory"; return -1; }
    int rc = th_json_parse(&j, json, len);
    if (rc < 0) { *err = th_json_strerror(rc); th_json_free(&j); return -1; }
    switch (r->venue) {
    case TH_VENUE_KRAKEN: case TH_VENUE_SIM: rc = load_kraken(r, &j, err); break;
    case TH_VENUE_KRAKEN_FUTURES: rc = load_kraken_futures(r, &j, err); break;
    case TH_VENUE_BINANCE: case TH_VENUE_BINANCE_USDM: rc = load_binance(r, &j, err); break;
    default: *err = "unknown venue"; rc = -1;
    }
    th_json_free(&j);
    return rc;
}
