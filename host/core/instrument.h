/* instrument.h — what an instrument is on its venue: precisions, increments, minimums, status.
 *
 * Loaded from each venue's own instrument data (Kraken v2 `instrument` channel, Kraken Futures
 * REST instruments, Binance exchangeInfo), never typed in by hand. Prices are stored in units of
 * 10^-price_dec and quantities in 10^-qty_dec (decimal.h); `tick` and `lot` are the increments in
 * those units (Kraken Futures' 0.5 tick is price_dec 1, tick 5). Lookups by symbol go through an
 * open-addressing hash so a feed resolves a symbol per frame without scanning. */
#ifndef TH_INSTRUMENT_H
#define TH_INSTRUMENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum th_venue_id {
    TH_VENUE_KRAKEN = 0,
    TH_VENUE_KRAKEN_FUTURES = 1,
    TH_VENUE_BINANCE = 2,
    TH_VENUE_BINANCE_USDM = 3,
    TH_VENUE_SIM = 4,
    TH_VENUE_COUNT
} th_venue_id;

typedef struct th_instrument {
    char symbol[32];        /* as the venue's market data names it (Kraken "XMR/USD", Binance "NKNUSDT") */
    char base[16], quote[16];
    int32_t price_dec, qty_dec;
    int64_t tick, lot;      /* increments in price / qty units */
    int64_t min_qty;        /* qty units */
    int64_t min_cost;       /* notional units: 10^-(price_dec + qty_dec) */
    double contract_size;   /* futures; 1 for spot */
    bool online;
} th_instrument;

typedef struct th_instruments {
    th_venue_id venue;
    th_instrument *v;
    int32_t n, cap;
    int32_t *slots;         /* hash slots: index + 1, 0 empty */
    int32_t nslots;
    uint32_t gen;           /* bumped by every th_instruments_put: a cache of finds compares it */
} th_instruments;

void th_instruments_init(th_instruments *r, th_venue_id venue);
void th_instruments_free(th_instruments *r);
/* Adds or replaces by symbol; returns the index or -1 (out of memory). */
int32_t th_instruments_put(th_instruments *r, const th_instrument *ins);
/* Index by symbol (case-insensitive: Kraken Futures lower-cases in REST, upper-cases in WS). */
int32_t th_instruments_find(const th_instruments *r, const char *sym, size_t len);

/* Load the venue's own instrument JSON (a document, or a recording line holding one). Returns the
 * number loaded, or -1 with a static message in *err. */
int th_instruments_load_json(th_instruments *r, const char *json, size_t len, const char **err);

const char *th_venue_name(th_venue_id v);
int th_venue_parse(const char *name, th_venue_id *out);

#endif
