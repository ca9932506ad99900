/* kv_store.c — th.store's data and its journal records (see kv_store.h). */
#include "kv_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* STORE record fields: text = key, strategy, blob = the chunk, seq = chunk index, qty = the
 * value's total length, code = these flags. */
enum { KV_LAST = 1, KV_DELETE = 2 };

void th_kv_init(th_kvstore *s) { memset(s, 0, sizeof *s); }

void th_kv_free(th_kvstore *s)
{
    for (int32_t i = 0; i < s->n; i++) free(s->v[i].val);
    free(s->v);
    free(s->asm_buf);
    memset(s, 0, sizeof *s);
}

int32_t th_kv_find(const th_kvstore *s, const char *strategy, const char *key)
{
    for (int32_t i = 0; i < s->n; i++)
        if (strcmp(s->v[i].key, key) == 0 && strcmp(s->v[i].strategy, strategy) == 0) return i;
    return -1;
}

int th_kv_check(const th_kvstore *s, const char *strategy, const char *key, int32_t len, const char **err)
{
    size_t kn = strlen(key);
    if (!kn) { *err = "the key is empty"; return -1; }
    if (kn > TH_KV_KEY_MAX) { *err = "the key is longer than 127 bytes"; return -1; }
    if (strlen(strategy) >= sizeof s->v[0].strategy) { *err = "the strategy name is longer than 63 bytes"; return -1; }
    if (len < 0) { *err = "the value length is negative"; return -1; }
    if (len > TH_KV_VALUE_MAX) { *err = "the value is larger than 16 KiB serialized (th.store's limit per key)"; return -1; }
    int64_t total = (int64_t)kn + len, keys = 1;
    for (int32_t i = 0; i < s->n; i++) {
        if (strcmp(s->v[i].strategy, strategy) != 0) continue;
        if (strcmp(s->v[i].key, key) == 0) continue; /* replaced */
        total += (int64_t)strlen(s->v[i].key) + s->v[i].len;
        keys++;
    }
    if (keys > TH_KV_KEYS_MAX) { *err = "the strategy has 1024 keys (th.store's limit): delete some first"; return -1; }
    if (total > TH_KV_STRATEGY_MAX) {
        *err = "the strategy's store would exceed 256 KiB (th.store's limit per strategy): delete or shrink values first";
        return -1;
    }
    return 0;
}

/* Set without the bounds: replay takes what was written under the bounds of its day. */
static int kv_set(th_kvstore *s, const char *strategy, const char *key, const char *val, int32_t len, const char **err)
{
    char *copy = malloc(len > 0 ? (size_t)len : 1);
    if (!copy) { *err = "out of memory"; return -1; }
    if (len > 0) memcpy(copy, val, (size_t)len);
    int32_t i = th_kv_find(s, strategy, key);
    if (i < 0) {
        if (s->n == s->cap) {
            int32_t cap = s->cap ? s->cap * 2 : 16;
            th_kv_entry *v = realloc(s->v, sizeof *v * (size_t)cap);
            if (!v) { free(copy); *err = "out of memory"; return -1; }
            s->v = v;
            s->cap = cap;
        }
        i = s->n++;
        memset(&s->v[i], 0, sizeof s->v[i]);
        snprintf(s->v[i].strategy, sizeof s->v[i].strategy, "%s", strategy);
        snprintf(s->v[i].key, sizeof s->v[i].key, "%s", key);
    }
    free(s->v[i].val);
    s->v[i].val = copy;
    s->v[i].len = len;
    return 0;
}

int th_kv_put(th_kvstore *s, const char *strategy, const char *key, const char *val, int32_t len, const char **err)
{
    if (th_kv_check(s, strategy, key, len, err) != 0) return -1;
    return kv_set(s, strategy, key, val, len, err);
}

void th_kv_delete(th_kvstore *s, const char *strategy, const char *key)
{
    int32_t i = th_kv_find(s, strategy, key);
    if (i < 0) return;
    free(s->v[i].val);
    memmove(&s->v[i], &s->v[i + 1], sizeof s->v[0] * (size_t)(s->n - i - 1)); /* keeps the order written */
    s->n--;
}

const th_kv_entry *th_kv_key_at(const th_kvstore *s, const char *strategy, int32_t index)
{
    for (int32_t i = 0, k = 0; i < s->n; i++)
        if (strcmp(s->v[i].strategy, strategy) == 0 && k++ == index) return &s->v[i];
    return NULL;
}

int th_kv_journal(const char *strategy, const char *key, const char *val, int32_t len, bool del,
                  int (*put_rec)(void *ctx, th_jrec *r), void *ctx)
{
    int32_t off = 0, idx = 0;
    do {
        int32_t n = del ? 0 : (len - off > TH_KV_CHUNK ? TH_KV_CHUNK : len - off);
        th_jrec r;
        memset(&r, 0, sizeof r);
        r.type = TH_J_STORE;
        snprintf(r.text, sizeof r.text, "%s", key);
        snprintf(r.strategy, sizeof r.strategy, "%s", strategy);
        r.seq = idx++;
        r.qty = del ? 0 : len;
        r.blob = val ? (const uint8_t *)val + off : NULL;
        r.blob_len = n;
        off += n;
        r.code = (del ? KV_DELETE : 0) | (off >= len || del ? KV_LAST : 0);
        if (put_rec(ctx, &r) != 0) return -1;
    } while (!del && off < len);
    return 0;
}

int th_kv_apply(th_kvstore *s, const th_jrec *r, const char **err)
{
    if (r->code & KV_DELETE) {
        s->asm_active = false;
        th_kv_delete(s, r->strategy, r->text);
        return 0;
    }
    if (r->seq == 0) { /* a new value starts (a torn one before it, if any, is dropped) */
        if (r->qty < 0 || r->qty > TH_KV_VALUE_MAX) { *err = "journal: a th.store value of an impossible length"; return -1; }
        char *b = realloc(s->asm_buf, r->qty > 0 ? (size_t)r->qty : 1);
        if (!b) { *err = "out of memory"; return -1; }
        s->asm_buf = b;
        s->asm_active = true;
        s->asm_total = (int32_t)r->qty;
        s->asm_len = 0;
        s->asm_next = 0;
        snprintf(s->asm_strategy, sizeof s->asm_strategy, "%s", r->strategy);
        snprintf(s->asm_key, sizeof s->asm_key, "%s", r->text);
    }
    if (!s->asm_active || r->seq != s->asm_next || strcmp(r->text, s->asm_key) != 0 ||
        strcmp(r->strategy, s->asm_strategy) != 0 || s->asm_len + r->blob_len > s->asm_total) {
        *err = "journal: th.store chunks out of order (a record is missing in the middle)";
        return -1;
    }
    if (r->blob_len > 0) memcpy(s->asm_buf + s->asm_len, r->blob, (size_t)r->blob_len);
    s->asm_len += r->blob_len;
    s->asm_next++;
    if (!(r->code & KV_LAST)) return 0;
    s->asm_active = false;
    if (s->asm_len != s->asm_total) { *err = "journal: a th.store value shorter than its recorded length"; return -1; }
    /* bounds were checked when it was written; a journal is not refused for a limit lowered since */
    return kv_set(s, r->strategy, r->text, s->asm_buf, s->asm_len, err);
}

void th_kv_replay_end(th_kvstore *s) { s->asm_active = false; }
