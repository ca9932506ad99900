/* market.c — feed registry and the read-only book views exported to Lua (tradehost.h). Views
 * convert integer units to doubles at the boundary; they never allocate. */
#include "market.h"

#include <stdio.h>
#include <string.h>

#include "../core/decimal.h"
#include "../core/ffi_guard.h"

static th_feed *g_feeds[TH_MARKET_MAX_FEEDS];

int th_market_add(th_feed *f)
{
    for (int i = 0; i < TH_MARKET_MAX_FEEDS; i++)
        if (!g_feeds[i]) { g_feeds[i] = f; return i; }
    return -1;
}

void th_market_remove(th_feed *f)
{
    for (int i = 0; i < TH_MARKET_MAX_FEEDS; i++)
        if (g_feeds[i] == f) g_feeds[i] = NULL;
}

static th_feed_symbol *symbol_of(int32_t id)
{
    int slot = id >> 24, idx = id & 0xFFFFFF;
    if (id < 0 || slot >= TH_MARKET_MAX_FEEDS || !g_feeds[slot]) return NULL;
    th_feed *f = g_feeds[slot];
    if (idx >= f->sym_cap) return NULL;
    return f->sym[idx];
}

const th_book *th_market_book(int32_t id)
{
    th_feed_symbol *s = symbol_of(id);
    return s ? &s->book : NULL;
}

int th_book_find(const char *symbol, int32_t *id_out, const char **err)
{
    TH_FFI_ERR(err);
    if (!symbol) { *err = "symbol is nil"; return -1; }
    TH_FFI_NOT_NULL(id_out);
    for (int i = 0; i < TH_MARKET_MAX_FEEDS; i++) {
        th_feed *f = g_feeds[i];
        if (!f) continue;
        int32_t idx = th_instruments_find(&f->instruments, symbol, strlen(symbol));
        if (idx >= 0) {
            if (!th_feed_symbol_at(f, idx)) { *err = "out of memory"; return -1; }
            *id_out = (i << 24) | idx;
            return 0;
        }
    }
    *err = "no market data for this symbol";
    return -1;
}

#define BOOK_OR_FAIL(b, id)                                      \
    TH_FFI_ERR(err);                                             \
    const th_book *b = th_market_book(id);                       \
    if (!b) { *err = "unknown book id"; return -1; }

int th_book_top_get(int32_t id, th_book_top *out, const char **err)
{
    BOOK_OR_FAIL(b, id);
    TH_FFI_NOT_NULL(out);
    memset(out, 0, sizeof *out);
    int64_t px, qty;
    double scale_p = (double)th_dec_pow10(b->price_dec), scale_q = (double)th_dec_pow10(b->qty_dec);
    if (th_book_level(b, TH_BID, 0, &px, &qty) == 0) { out->bid = (double)px / scale_p; out->bid_qty = (double)qty / scale_q; }
    if (th_book_level(b, TH_ASK, 0, &px, &qty) == 0) { out->ask = (double)px / scale_p; out->ask_qty = (double)qty / scale_q; }
    if (out->bid > 0 && out->ask > 0) { out->mid = (out->bid + out->ask) / 2; out->spread = out->ask - out->bid; }
    out->last_update_ns = b->last_update_ns;
    out->health = b->health;
    out->bid_levels = th_book_count(b, TH_BID);
    out->ask_levels = th_book_count(b, TH_ASK);
    return 0;
}

int th_book_levels_get(int32_t id, int32_t side, int32_t n, th_level *out, int32_t *n_out, const char **err)
{
    BOOK_OR_FAIL(b, id);
    TH_FFI_SIDE(side);
    TH_FFI_CHECK(n >= 0, "n must be >= 0");
    TH_FFI_NOT_NULL(n_out);
    TH_FFI_CHECK(out != NULL || n == 0, "out is NULL");
    double scale_p = (double)th_dec_pow10(b->price_dec), scale_q = (double)th_dec_pow10(b->qty_dec);
    int32_t k = 0;
    int64_t px, qty;
    for (; k < n && th_book_level(b, side, k, &px, &qty) == 0; k++) {
        out[k].price = (double)px / scale_p;
        out[k].qty = (double)qty / scale_q;
    }
    *n_out = k;
    return 0;
}

int th_book_vwap_get(int32_t id, int32_t side, double qty, double *vwap, double *filled, const char **err)
{
    BOOK_OR_FAIL(b, id);
    TH_FFI_SIDE(side);
    TH_FFI_NOT_NULL(vwap);
    TH_FFI_NOT_NULL(filled);
    if (th_book_vwap(b, side, qty, vwap, filled) != 0) { *err = "no liquidity or bad size"; return -1; }
    return 0;
}

int th_book_depth_get(int32_t id, int32_t side, double bps, double *qty, const char **err)
{
    BOOK_OR_FAIL(b, id);
    TH_FFI_SIDE(side);
    TH_FFI_NOT_NULL(qty);
    TH_FFI_CHECK(bps >= 0 && bps <= 1e6, "bps must be a number from 0 to 1e6"); /* NaN fails too */
    if (th_book_depth_within(b, side, bps, qty) != 0) { *err = "empty side or negative distance"; return -1; }
    return 0;
}

int th_book_microprice_get(int32_t id, double *out, const char **err)
{
    BOOK_OR_FAIL(b, id);
    TH_FFI_NOT_NULL(out);
    if (th_book_microprice(b, out) != 0) { *err = "one side is empty"; return -1; }
    return 0;
}

int th_book_imbalance_get(int32_t id, int32_t levels, double *out, const char **err)
{
    BOOK_OR_FAIL(b, id);
    TH_FFI_NOT_NULL(out);
    TH_FFI_CHECK(levels > 0, "levels must be > 0");
    if (th_book_imbalance(b, levels, out) != 0) { *err = "book is empty"; return -1; }
    return 0;
}

int th_book_health_get(int32_t id, int32_t *health, const char **reason, const char **err)
{
    BOOK_OR_FAIL(b, id);
    TH_FFI_NOT_NULL(health);
    TH_FFI_NOT_NULL(reason);
    *health = b->health;
    *reason = b->reason ? b->reason : "";
    return 0;
}

/* The venue's sequence number of the last frame applied (Kraken Futures seq, Binance u; 0 for a
 * venue without one): a strategy can see its lead book advance and a resync's new snapshot. */
int th_book_seq_get(int32_t id, int64_t *seq, const char **err)
{
    BOOK_OR_FAIL(b, id);
    TH_FFI_NOT_NULL(seq);
    *seq = b->seq;
    return 0;
}

/* Exact text with the trailing zeros of the fraction dropped ("0.05000000" -> "0.05"). */
static void dec_text(int64_t v, int scale, char *buf, size_t cap)
{
    char tmp[64];
    int n = th_dec_format(v, scale, tmp, sizeof tmp);
    if (scale > 0) {
        while (n > 0 && tmp[n - 1] == '0') n--;
        if (n > 0 && tmp[n - 1] == '.') n--;
        tmp[n] = 0;
    }
    snprintf(buf, cap, "%s", tmp);
}

/* Read at each call, never cached: an instrument update mid-session (th_instruments_put replaces
 * by symbol) is what the next call sees. */
int th_instrument_get(const char *symbol, th_instrument_view *out, const char **err)
{
    TH_FFI_ERR(err);
    if (!symbol) { *err = "symbol is nil"; return -1; }
    TH_FFI_NOT_NULL(out);
    for (int i = 0; i < TH_MARKET_MAX_FEEDS; i++) {
        th_feed *f = g_feeds[i];
        if (!f) continue;
        int32_t idx = th_instruments_find(&f->instruments, symbol, strlen(symbol));
        if (idx < 0) continue;
        const th_instrument *ins = &f->instruments.v[idx];
        memset(out, 0, sizeof *out);
        snprintf(out->symbol, sizeof out->symbol, "%s", ins->symbol);
        snprintf(out->base, sizeof out->base, "%s", ins->base);
        snprintf(out->quote, sizeof out->quote, "%s", ins->quote);
        snprintf(out->status, sizeof out->status, "%s", ins->online ? "online" : "offline");
        dec_text(ins->tick, ins->price_dec, out->tick, sizeof out->tick);
        dec_text(ins->lot, ins->qty_dec, out->lot, sizeof out->lot);
        dec_text(ins->min_qty, ins->qty_dec, out->min_size, sizeof out->min_size);
        dec_text(ins->min_cost, ins->price_dec + ins->qty_dec, out->min_cost, sizeof out->min_cost);
        out->price_decimals = ins->price_dec;
        out->qty_decimals = ins->qty_dec;
        out->contract_size = ins->contract_size;
        return 0;
    }
    *err = "unknown symbol: not in the instrument data";
    return -1;
}
