/* balances.h — the account's balances at the venue, per asset: the one store of them.
 *
 * Each asset holds its total and what open orders hold (held), as th_money (money.h) at the
 * asset's own decimals (`scale`): available = total - held. No doubles in the store; a double is
 * made only at the FFI edge (th_balance_get). The scale is the finest the venue has written for
 * the asset (Kraken: the asset's decimals, 10 for BTC, 4 for USD; Binance: 8): it grows when a
 * finer value arrives (the stored figures are multiplied up, exactly) and never shrinks, so no
 * figure the venue wrote is ever rounded. Values with more than TH_BAL_MAX_SCALE decimals are
 * rounded half away from zero to it and counted (`rounded`).
 *
 * Who writes: the connectors (kraken_balances.c, binance_balances.c: the venue's REST answer at
 * start and at each reconciliation, then its push channel) and the paper venue's engine (paper and
 * backtest: the paper account). `known` is false until a source has given the whole account once:
 * until then every figure is unknown, never zero. */
#ifndef TH_BALANCES_H
#define TH_BALANCES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "instrument.h"
#include "money.h"

#define TH_BAL_MAX_SCALE 24   /* 10^24 units of 1e12 (a meme supply) still fit th_money's 10^38 */
#define TH_BAL_ASSETS 1024

typedef struct th_balance {
    char asset[16];           /* as the instruments name it (BTC, USD, USDT) */
    int32_t scale;            /* decimals of total and held */
    int32_t reserved;
    th_money total, held;
    int64_t ts_ns;            /* when it last changed (wall, the source's clock) */
} th_balance;

typedef struct th_balances {
    th_balance *v;
    int32_t n, cap;
    bool known;               /* the whole account has been read once */
    char source[16];          /* "kraken", "binance", "paper"; "" while unknown */
    int64_t updated_ns;       /* the last change (wall) */
    uint64_t updates, snapshots, rounded, refused;
} th_balances;

void th_balances_init(th_balances *b);
void th_balances_free(th_balances *b);

/* Parse a venue's decimal text ([-]digits[.digits][e[+-]digits], quoted contents or a JSON number)
 * into money: *scale_io in = the least scale wanted, out = the text's own decimals if finer (at
 * most TH_BAL_MAX_SCALE). Returns 0, 1 when digits past TH_BAL_MAX_SCALE were rounded, or -1 with
 * *err (not a number, or too large). */
int th_balance_parse(const char *s, size_t n, th_money *out, int32_t *scale_io, const char **err);

/* Set an asset's total and/or held (NULL: leave it) from the venue's text; the asset is added if
 * new. Returns 0, or -1 with *err naming what was wrong (the store is unchanged). */
int th_balances_set_text(th_balances *b, const char *asset, const char *total, size_t total_n, const char *held, size_t held_n,
                         int64_t ts_ns, const char **err);
/* The same from money already at `scale` (the paper engine's figures). */
int th_balances_set(th_balances *b, const char *asset, int32_t scale, const th_money *total, const th_money *held, int64_t ts_ns,
                    const char **err);
/* A whole account has been read: the store is known, from `source`. */
void th_balances_mark_known(th_balances *b, const char *source, int64_t ts_ns);
/* Forget every figure (a source that cannot vouch for them any more): unknown again. */
void th_balances_forget(th_balances *b);

/* The asset's entry, or NULL when the venue has not named it (its balance is then 0 if known). */
const th_balance *th_balances_find(const th_balances *b, const char *asset);
static inline th_money th_balance_available(const th_balance *x) { return x->total - x->held; }
/* The balance gate (order_flow.c, after the risk gates, for places): TH_RISK_INSUFFICIENT_BALANCE
 * when the balances are known and the order costs more than is available: a buy's price x qty
 * (the fee apart) against the quote asset, a sell's qty against the base asset (an asset the
 * venue does not name holds 0). TH_RISK_OK when balances are unknown (b NULL, or not read yet),
 * or the instrument names no base/quote: the venue decides, as before. Exact: no doubles. */
int32_t th_balances_gate(const th_balances *b, const th_instrument *in, int32_t side, int64_t price, int64_t qty);
/* Money at `from` decimals to `to` (to >= from exactly; to < from truncates toward zero). */
th_money th_balance_rescale(th_money m, int32_t from, int32_t to);

#endif
