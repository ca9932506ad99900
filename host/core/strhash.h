/* strhash.h — the string hash and open-addressing insert behind the id maps (order tracker client
 * and exchange ids, trade keys; the test venue's order ids). Slots hold index + 1 (0 is empty), the
 * table size is a power of two, and the caller keeps it at most half full so probes stay short.
 * (Instrument symbols hash case-insensitively by length in instrument.c: a different key.) */
#ifndef TH_STRHASH_H
#define TH_STRHASH_H

#include <stdint.h>

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

#endif
