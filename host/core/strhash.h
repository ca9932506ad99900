/* strhash.h — the string hash and open-addressing insert behind the id maps (order tracker client
 * and exchange ids, trade keys; the test venue's order ids). Slots hold index + 1 (0 is empty), the
 * table size is a power of two, and the caller keeps it at most half full so probes stay short.
 * Deletion shifts entries back (no tombstones), so a table with churn never fills with dead slots.
 * (Instrument symbols hash case-insensitively by length in instrument.c: a different key.) */
#ifndef TH_STRHASH_H
#define TH_STRHASH_H

#include <stdint.h>
#include <string.h>

/* FNV-1a over a NUL-terminated string. */
static inline uint32_t th_strhash(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++) { h ^= (uint8_t)*s; h *= 16777619u; }
    return h;
}

static inline void th_slot_put(int32_t *slots, int32_t nslots, const char *key, int32_t idx)
{
    uint32_t mask = (uint32_t)nslots - 1, h = th_strhash(key) & mask;
    while (slots[h]) h = (h + 1) & mask;
    slots[h] = idx + 1;
}

/* The index whose key (by key_of) equals key, or -1. */
static inline int32_t th_slot_find(const int32_t *slots, int32_t nslots, const char *key,
                                   const char *(*key_of)(const void *ctx, int32_t idx), const void *ctx)
{
    if (!nslots) return -1;
    uint32_t mask = (uint32_t)nslots - 1;
    for (uint32_t h = th_strhash(key) & mask;; h = (h + 1) & mask) {
        int32_t i = slots[h];
        if (!i) return -1;
        if (strcmp(key_of(ctx, i - 1), key) == 0) return i - 1;
    }
}

/* Removes the slot holding idx (found from its key), then moves later entries of the same probe run
 * back into the hole where their home slot allows, so that no lookup stops early at a hole (linear
 * probing deletion without tombstones). key_of gives an index's key. */
static inline void th_slot_del(int32_t *slots, int32_t nslots, const char *key, int32_t idx,
                               const char *(*key_of)(const void *ctx, int32_t idx), const void *ctx)
{
    uint32_t mask = (uint32_t)nslots - 1, h = th_strhash(key) & mask;
    while (slots[h] != idx + 1) {
        if (!slots[h]) return;
        h = (h + 1) & mask;
    }
    uint32_t hole = h;
    for (uint32_t j = (hole + 1) & mask; slots[j]; j = (j + 1) & mask) {
        uint32_t home = th_strhash(key_of(ctx, slots[j] - 1)) & mask;
        /* the entry may move back unless its home lies cyclically in (hole, j] */
        if (((j - home) & mask) >= ((j - hole) & mask)) {
            slots[hole] = slots[j];
            hole = j;
        }
    }
    slots[hole] = 0;
}

#endif
