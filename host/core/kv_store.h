/* kv_store.h — th.store's data: each strategy's persistent key-value pairs, and how they go
 * through the journal.
 *
 * Values are opaque bytes here (th/store.lua serializes Lua values); keys are text. The store is
 * bounded (a key, a value, a strategy's total) so that a strategy writing in a loop gets a clear
 * error instead of growing every journal. A value is journalled as one or more STORE records
 * (chunks that fit the journal's record size); reading back applies a value only when its last
 * chunk is read, so a crash in the middle of a write (a torn tail) leaves the previous value, never
 * part of the new one. Lookups scan: a strategy keeps tens of keys, not thousands. */
#ifndef TH_KV_STORE_H
#define TH_KV_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "journal.h"

#define TH_KV_KEY_MAX 127                     /* bytes of a key */
#define TH_KV_VALUE_MAX (16 * 1024)           /* bytes of one serialized value */
#define TH_KV_STRATEGY_MAX (256 * 1024)       /* bytes of keys + values per strategy */
#define TH_KV_KEYS_MAX 1024                   /* keys per strategy */
#define TH_KV_CHUNK 700                       /* value bytes per journal record */

typedef struct th_kv_entry {
    char strategy[64];
    char key[TH_KV_KEY_MAX + 1];
    char *val;
    int32_t len;
} th_kv_entry;

typedef struct th_kvstore {
    th_kv_entry *v;
    int32_t n, cap;
    /* a value being read back from the journal, chunk by chunk */
    bool asm_active;
    char asm_strategy[64], asm_key[TH_KV_KEY_MAX + 1];
    char *asm_buf;
    int32_t asm_len, asm_total, asm_next;
} th_kvstore;

void th_kv_init(th_kvstore *s);
void th_kv_free(th_kvstore *s);
int32_t th_kv_find(const th_kvstore *s, const char *strategy, const char *key);
/* Would a put fit the bounds? 0, or -1 with a static message in *err naming the bound. */
int th_kv_check(const th_kvstore *s, const char *strategy, const char *key, int32_t len, const char **err);
int th_kv_put(th_kvstore *s, const char *strategy, const char *key, const char *val, int32_t len, const char **err);
void th_kv_delete(th_kvstore *s, const char *strategy, const char *key);
/* The index-th key of a strategy (in the order first written), or NULL. */
const th_kv_entry *th_kv_key_at(const th_kvstore *s, const char *strategy, int32_t index);

/* The STORE records of one put (len >= 0) or delete (del), handed to put_rec one by one. */
int th_kv_journal(const char *strategy, const char *key, const char *val, int32_t len, bool del,
                  int (*put_rec)(void *ctx, th_jrec *r), void *ctx);
/* Replay: apply one STORE record. A value changes only with its last chunk; chunks out of order
 * (a record lost in the middle) are refused as damage. 0, or -1 with *err. */
int th_kv_apply(th_kvstore *s, const th_jrec *r, const char **err);
/* End of replay: a value whose last chunk never came (a torn tail) is dropped. */
void th_kv_replay_end(th_kvstore *s);

#endif
