/* sim_book_sync.h — bring the matching engine's copy of a recorded book up to a feed's book.
 *
 * The engine keeps its own copy of each recorded book (it remembers consumed liquidity and queue
 * positions per level). The feed's parsers apply frames to the feed's books, so after each record
 * the two books are compared level by level, best first, and the engine gets every level that
 * differs, as the venue would have shown it: a new or changed quantity, or 0 for a level gone.
 * That needs no hook inside the parsers; a snapshot, a truncation and an update all come out as
 * the levels they changed. The changes are collected first and applied after (applying them
 * moves the ranks being compared).
 *
 * Comparing whole sides (1,000 levels each on Kraken) after every record was most of a market
 * maker's backtest. So the comparison is limited to where either book can differ: each th_book
 * logs the key ranges of its changed levels (book.h, chg), and a follower remembers, per
 * instrument, where both logs stood at its last sync. The levels outside the ranges logged since
 * are unchanged in both books, and both were equal there after that sync, so comparing inside
 * the ranges (best first, as the whole walk) finds exactly the levels the whole walk finds, in
 * the same order. The engine's own log counts too (its truncation can drop a level the feed
 * keeps, when changes are applied best first). The whole sides are compared when that cannot be
 * shown: the first sync of an instrument, a book cleared (a snapshot) or a ring that wrapped
 * since, another feed book, or a sync whose changes the engine did not take.
 *
 * One mechanism for every user of the engine: `tradehost sim` (host/simd/sim_market.c) and the
 * paper venue of paper sessions and backtests (host/venues/paper_venue.c). */
#ifndef TH_SIM_BOOK_SYNC_H
#define TH_SIM_BOOK_SYNC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim_engine.h"

typedef struct th_sim_level_change {
    int32_t side;
    int64_t price, qty;
} th_sim_level_change;

/* Per instrument: where the two books' change logs stood when they were last known equal. */
typedef struct th_sim_book_follow {
    const th_book *recorded;
    uint64_t rec_seq, eng_seq;
    bool valid;
} th_sim_book_follow;

/* Scratch space, reused across calls, and the per-instrument follow state (zero-initialise; free
 * with th_sim_book_sync_free). */
typedef struct th_sim_book_sync {
    th_sim_level_change *chg;
    size_t n, cap;
    th_sim_book_follow *fw;
    int32_t nfw;
    uint64_t full, ranged; /* syncs that compared whole sides, and by ranges (tests, benches) */
} th_sim_book_sync;

/* Feed the engine every level where `recorded` differs from its copy of instrument ins, at ts_ns
 * (fills of our resting orders the changes cause are emitted from inside). Returns the number of
 * levels changed, or -1 when out of memory (nothing applied). */
int th_sim_book_sync_apply(th_sim_engine *e, th_sim_book_sync *s, int32_t ins, const th_book *recorded, int64_t ts_ns);
void th_sim_book_sync_free(th_sim_book_sync *s);

#endif
