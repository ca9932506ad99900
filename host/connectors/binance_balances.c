/* binance_balances.c — Binance spot balances into the store (see binance_balances.h). */
#include "binance_balances.h"

#include <stdbool.h>
#include <string.h>

#include "../core/log.h"

/* total = free + locked, exactly, at the finer of the two texts' decimals (Binance writes 8). */
static int put(th_balances *b, const th_json *j, int asset_t, int free_t, int locked_t, int64_t ts_ns)
{
    char asset[16];
    if (asset_t < 0 || free_t < 0 || locked_t < 0 || th_json_copy(j, asset_t, asset, sizeof asset) == 0) return -1;
    const th_balance *cur = th_balances_find(b, asset);
    int32_t scale = cur ? cur->scale : 0;
    th_money f, l;
    const char *err;
    if (th_balance_parse(th_json_ptr(j, free_t), th_json_len(j, free_t), &f, &scale, &err) < 0 ||
        th_balance_parse(th_json_ptr(j, locked_t), th_json_len(j, locked_t), &l, &scale, &err) < 0 ||
        th_balance_parse(th_json_ptr(j, free_t), th_json_len(j, free_t), &f, &scale, &err) < 0) {
        b->refused++;
        if (b->refused <= 20) th_logf(TH_LOG_WARN, "binance balances: a figure we cannot read (kept the previous one)", "asset=%s error=\"%s\"", asset, err);
        return -1;
    }
    th_money total = f + l;
    if (th_balances_set(b, asset, scale, &total, &l, ts_ns, &err) != 0) return -1;
    return 0;
}

int th_binance_balances_account(th_balances *b, const th_json *j, int result)
{
    int arr = result >= 0 ? th_json_get(j, result, "balances") : -1;
    if (arr < 0 || j->tok[arr].type != TH_JSON_ARRAY) return -1;
    int64_t ms = 0;
    th_json_i64(j, th_json_get(j, result, "updateTime"), &ms);
    int64_t ts = ms * 1000000;
    int32_t n0 = b->n;
    bool seen[TH_BAL_ASSETS];
    memset(seen, 0, sizeof seen);
    int e = arr + 1, count = 0;
    for (int i = 0; i < j->tok[arr].size; i++, e = th_json_skip(j, e)) {
        if (j->tok[e].type != TH_JSON_OBJECT) continue;
        int at = th_json_get(j, e, "asset");
        char asset[16] = "";
        if (at >= 0) th_json_copy(j, at, asset, sizeof asset);
        const th_balance *x = th_balances_find(b, asset);
        if (x && x - b->v < n0) seen[x - b->v] = true;
        if (x && x->ts_ns > ts) continue; /* a push newer than this answer already gave it */
        if (put(b, j, at, th_json_get(j, e, "free"), th_json_get(j, e, "locked"), ts) == 0) count++;
    }
    th_money zero = 0;
    const char *err;
    for (int32_t i = 0; i < n0; i++)
        if (!seen[i] && b->v[i].ts_ns <= ts && (b->v[i].total || b->v[i].held)) th_balances_set(b, b->v[i].asset, b->v[i].scale, &zero, &zero, ts, &err);
    th_balances_mark_known(b, "binance", ts);
    return count;
}

int th_binance_balances_position(th_balances *b, const th_json *j, int ev)
{
    int arr = th_json_get(j, ev, "B");
    if (arr < 0 || j->tok[arr].type != TH_JSON_ARRAY) return -1;
    int64_t ms = 0;
    if (th_json_i64(j, th_json_get(j, ev, "u"), &ms) != 0) th_json_i64(j, th_json_get(j, ev, "E"), &ms);
    int e = arr + 1, count = 0;
    for (int i = 0; i < j->tok[arr].size; i++, e = th_json_skip(j, e))
        if (j->tok[e].type == TH_JSON_OBJECT && put(b, j, th_json_get(j, e, "a"), th_json_get(j, e, "f"), th_json_get(j, e, "l"), ms * 1000000) == 0)
            count++;
    return count;
}
