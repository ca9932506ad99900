/* store_ffi.c — the th.store part of the FFI (tradehost.h): th_store_set / get / delete /
 * key_at over the order side's store (core/kv_store.h), which the flow journals with the turn's
 * other records and recovers with them. Why the order side holds it: the store must reach the
 * journal through the same commit as the orders and come back through the same recovery, and the
 * order side owns both. Values are opaque bytes here (th/store.lua serializes them). */
#include <string.h>

#include "../core/ffi_guard.h"
#include "shadow_guard.h"
#include "tradehost.h"
#include "trading.h"

int th_store_set(const char *strategy, const char *key, const char *value, int32_t len, const char **err)
{
    TH_FFI_ERR(err);
    TH_FFI_NOT_NULL(strategy);
    TH_FFI_NOT_NULL(key);
    TH_FFI_CHECK(len >= 0, "len must be >= 0");
    TH_FFI_CHECK(value != NULL || len == 0, "value is NULL");
    NOT_FROM_SHADOW(err);
    th_trading *t = th_trading_current();
    if (!t) { *err = TH_TRADING_NO_FLOW; return -1; }
    return th_flow_store_put(&t->flow, strategy, key, value ? value : "", len, err);
}

int th_store_get(const char *strategy, const char *key, const char **value, int32_t *len, const char **err)
{
    TH_FFI_ERR(err);
    TH_FFI_NOT_NULL(strategy);
    TH_FFI_NOT_NULL(key);
    TH_FFI_NOT_NULL(value);
    TH_FFI_NOT_NULL(len);
    th_trading *t = th_trading_current();
    if (!t) { *err = TH_TRADING_NO_FLOW; return -1; }
    int32_t i = th_kv_find(&t->flow.store, strategy, key);
    *value = i >= 0 ? t->flow.store.v[i].val : NULL;
    *len = i >= 0 ? t->flow.store.v[i].len : -1;
    return 0;
}

int th_store_delete(const char *strategy, const char *key, const char **err)
{
    TH_FFI_ERR(err);
    NOT_FROM_SHADOW(err);
    TH_FFI_NOT_NULL(strategy);
    TH_FFI_NOT_NULL(key);
    th_trading *t = th_trading_current();
    if (!t) { *err = TH_TRADING_NO_FLOW; return -1; }
    return th_flow_store_delete(&t->flow, strategy, key, err);
}

int th_store_key_at(const char *strategy, int32_t index, const char **key, const char **err)
{
    TH_FFI_ERR(err);
    TH_FFI_NOT_NULL(strategy);
    TH_FFI_NOT_NULL(key);
    TH_FFI_CHECK(index >= 0, "index must be >= 0");
    th_trading *t = th_trading_current();
    if (!t) { *err = TH_TRADING_NO_FLOW; return -1; }
    const th_kv_entry *e = th_kv_key_at(&t->flow.store, strategy, index);
    if (!e) { *err = "no key at this index"; return -1; }
    *key = e->key;
    return 0;
}
