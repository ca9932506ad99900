/* kraken_balances.c — Kraken spot balances into the store (see kraken_balances.h). */
#include "kraken_balances.h"

#include <string.h>

#include "../core/log.h"
#include "../venues/kraken_names.h"

static void refused(const th_balances *b, const char *what, const char *err)
{
    if (b->refused <= 20) th_logf(TH_LOG_WARN, "kraken balances: a figure we cannot read (kept the previous one)", "what=%s error=\"%s\"", what, err);
}

/* Totals of every asset not in `seen` go to 0: a full answer that leaves an asset out holds none of it. */
static void zero_unseen(th_balances *b, const bool *seen, int32_t n0, int64_t now_ns)
{
    const char *err;
    th_money zero = 0;
    for (int32_t i = 0; i < n0; i++)
        if (!seen[i] && (b->v[i].total != 0 || b->v[i].held != 0)) th_balances_set(b, b->v[i].asset, b->v[i].scale, &zero, &zero, now_ns, &err);
}

static int32_t index_of(const th_balances *b, const char *asset)
{
    const th_balance *x = th_balances_find(b, asset);
    return x ? (int32_t)(x - b->v) : -1;
}

int th_kraken_balances_rest(th_balances *b, const th_json *j, int result, bool totals, int64_t now_ns)
{
    if (result < 0 || j->tok[result].type != TH_JSON_OBJECT) return -1;
    int32_t n0 = b->n;
    bool seen[TH_BAL_ASSETS];
    memset(seen, 0, sizeof seen);
    int k = result + 1, count = 0;
    for (int i = 0; i < j->tok[result].size; i++, k = th_json_skip(j, k + 1)) {
        int v = k + 1;
        char asset[16];
        th_kraken_asset_v2(th_json_ptr(j, k), th_json_len(j, k), asset, sizeof asset);
        if (j->tok[v].type != TH_JSON_OBJECT) continue;
        int bt = th_json_get(j, v, "balance"), ht = th_json_get(j, v, "hold_trade");
        const char *err;
        int rc = th_balances_set_text(b, asset, totals && bt >= 0 ? th_json_ptr(j, bt) : NULL, bt >= 0 ? th_json_len(j, bt) : 0,
                                      ht >= 0 ? th_json_ptr(j, ht) : "0", ht >= 0 ? th_json_len(j, ht) : 1, now_ns, &err);
        if (rc != 0) { refused(b, "BalanceEx", err); continue; }
        int32_t x = index_of(b, asset);
        if (x >= 0 && x < n0) seen[x] = true;
        count++;
    }
    if (totals) {
        zero_unseen(b, seen, n0, now_ns);
        th_balances_mark_known(b, "kraken", now_ns);
    }
    return count;
}

/* The spot wallet's balance of a snapshot entry (Kraken's `balance` adds every wallet, earn too). */
static int spot_balance(const th_json *j, int e)
{
    int w = th_json_get(j, e, "wallets");
    if (w >= 0 && j->tok[w].type == TH_JSON_ARRAY) {
        int x = w + 1;
        for (int i = 0; i < j->tok[w].size; i++, x = th_json_skip(j, x)) {
            int t = th_json_get(j, x, "type");
            if (t >= 0 && th_json_eq(j, t, "spot")) return th_json_get(j, x, "balance");
        }
    }
    return th_json_get(j, e, "balance");
}

int th_kraken_balances_ws(th_balances *b, const th_json *j, int64_t now_ns)
{
    int type = th_json_get(j, 0, "type"), data = th_json_get(j, 0, "data");
    if (type < 0 || data < 0 || j->tok[data].type != TH_JSON_ARRAY) return -1;
    bool snap = th_json_eq(j, type, "snapshot");
    if (!snap && !th_json_eq(j, type, "update")) return -1;
    int32_t n0 = b->n;
    bool seen[TH_BAL_ASSETS];
    memset(seen, 0, sizeof seen);
    int e = data + 1;
    for (int i = 0; i < j->tok[data].size; i++, e = th_json_skip(j, e)) {
        if (j->tok[e].type != TH_JSON_OBJECT) continue;
        int at = th_json_get(j, e, "asset");
        if (at < 0) continue;
        if (!snap) {
            /* an entry of another wallet (earn, futures) is not what spot orders spend */
            int wt = th_json_get(j, e, "wallet_type");
            if (wt >= 0 && !th_json_eq(j, wt, "spot")) continue;
        }
        int bt = snap ? spot_balance(j, e) : th_json_get(j, e, "balance");
        if (bt < 0) continue;
        char asset[16];
        th_kraken_asset_v2(th_json_ptr(j, at), th_json_len(j, at), asset, sizeof asset);
        const char *err;
        if (th_balances_set_text(b, asset, th_json_ptr(j, bt), th_json_len(j, bt), NULL, 0, now_ns, &err) != 0) {
            refused(b, snap ? "balances snapshot" : "balances update", err);
            continue;
        }
        int32_t x = index_of(b, asset);
        if (x >= 0 && x < n0) seen[x] = true;
    }
    if (snap) {
        zero_unseen(b, seen, n0, now_ns);
        th_balances_mark_known(b, "kraken", now_ns);
    }
    return snap ? 1 : 0;
}
