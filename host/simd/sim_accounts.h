/* sim_accounts.h — the sim's trading accounts: read from --accounts FILE, or one generated account
 * (key and secret from --seed, printed in the endpoints line) when there is none.
 *
 *   {"accounts":[{"key":"...","secret":"...","balances":{"USD":"100000","XMR":"50"},
 *                 "fees":{"maker_bps":16,"taker_bps":26},"tier":"starter",
 *                 "fee_asset":{"asset":"BNB","prices":{"USDT":"600","BTC":"0.0065"}}}]}
 *
 * fee_asset (optional): the account pays its fees in that asset (Binance's BNB, no discount) on
 * pairs quoted in one of `prices` (quote per unit of the asset), while its free balance covers them.
 *
 * Secrets are as the venue takes them (Kraken: base64 of the HMAC key; checked here). Balances are
 * decimal strings or numbers by asset name; the venue maps its own names (Kraken's ZUSD, XXBT) to
 * the engine's (USD, BTC). Without a file, the account holds 1,000,000 of every asset. */
#ifndef TH_SIM_ACCOUNTS_H
#define TH_SIM_ACCOUNTS_H

#include <stdbool.h>
#include <stdint.h>

typedef struct simd_balance {
    char asset[16];
    char amount[64];
} simd_balance;

typedef struct simd_account_cfg {
    char key[128];
    char secret[256];
    int32_t maker_ppm, taker_ppm;
    int32_t tier;
    simd_balance *bal;
    int32_t nbal;
    char fee_asset[16];       /* "": fees in the quote */
    simd_balance fee_px[8];   /* asset = a quote, amount = the fee asset's price in it */
    int32_t nfee_px;
} simd_account_cfg;

typedef struct simd_accounts {
    simd_account_cfg *v;
    int32_t n;
    bool generated;   /* no file: one account made from the seed */
} simd_accounts;

struct simd;
/* Load `path` (NULL: generate one account). *err names the account and field at fault. */
int simd_accounts_load(struct simd *s, simd_accounts *a, const char *path, const char **err);
void simd_accounts_free(simd_accounts *a);
/* Add every account, with its balances, to the engine (again after a reset). */
int simd_accounts_apply(struct simd *s, const char **err);

#endif
