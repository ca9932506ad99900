/* book.h — an L2 order book in fixed-point integers, and its health.
 *
 * Each side is a sorted array of (key, qty) with the BEST level at the high end: bids keyed by
 * price, asks by -price, so both sides are "ascending, best last" and share one code path. Almost
 * all traffic touches the top of the book, so inserts and deletes there move only a few elements;
 * the array keeps free room at both ends and shifts whichever part is shorter, and truncating to
 * the subscribed depth drops the worst level by moving the start index (O(1)). Searches gallop
 * down from the top before a binary search. No allocation after init unless a side outgrows its
 * capacity (only unbounded-depth books, e.g. Binance local books, can).
 *
 * Health: a book is only trusted when OK. A failed checksum, a sequence gap, or a parse error
 * moves it to RESYNCING (with the reason) until a fresh snapshot; no update for the stale interval
 * makes it STALE until the next update. Quoting pauses on anything but OK. */
#ifndef TH_BOOK_H
#define TH_BOOK_H

#include <stdbool.h>
#include <stdint.h>

#include "tradehost.h"

typedef struct th_book_side {
    int64_t *key;
    int64_t *qty;
    int32_t start, end, cap;
} th_book_side;

/* One side's part of the Kraken checksum string (ranks 0-9, best first): the texts back to back and
 * where each rank's starts. Room for 11 ranks: an insert above the 10th holds one more until the
 * last is dropped. */
typedef struct th_crc_side {
    char txt[11 * 76 + 24]; /* a rank: two numbers of at most 19 digits and 18 zeros each */
    uint16_t off[12];       /* off[i]: start of rank i's text; off[n]: end */
    int32_t n;              /* ranks in the text: min(10, the side's levels) */
} th_crc_side;

/* A range of keys (see th_book_side) of one side whose levels may have changed. */
typedef struct th_book_chg {
    int32_t side;
    int64_t lo, hi;
} th_book_chg;

#define TH_BOOK_CHG_RING 64

typedef struct th_book {
    th_book_side side[2];   /* TH_BID, TH_ASK */
    int32_t depth;          /* levels kept per side; 0 = unbounded */
    int32_t price_dec, qty_dec;
    /* Decimals of the venue's wire text (>= price_dec/qty_dec): Kraken's checksum is over the text
     * as sent, trailing zeros included, which can carry more decimals than the precision. */
    int32_t wire_price_dec, wire_qty_dec;
    int32_t health;
    const char *reason;     /* why the book is not OK (static string) */
    int64_t last_update_ns;
    int64_t seq;            /* venue sequence: Kraken Futures seq, Binance u */
    /* The top-10 checksum's text, kept as the book changes. Once a book's checksum has been asked
     * for (crc_track), every th_book_set that changes one of the top 10 levels of a side edits that
     * side's text in place: the changed rank's text is formatted (a level's price and qty digits)
     * and the ranks below move along by a memmove; a delete formats the level that moves up into
     * the 10th rank. So a checksum costs the CRC alone (formatting the 20 levels each time cost
     * more than the CRC). The CRC runs over the asks' text, then continues over the bids': when
     * only the bids changed it starts from the asks' CRC, kept from the last time; when neither
     * changed the last value is returned. The texts are rebuilt whole when the wire decimals
     * change (the multipliers below). */
    bool crc_track;                 /* the texts follow the book */
    bool crc_changed[2];            /* per side: its text changed since the last checksum */
    uint32_t crc_cache;             /* the last checksum */
    uint32_t crc_ask;               /* CRC state after the asks' text */
    th_crc_side crc_text[2];        /* per side */
    int32_t crc_text_zeros[2];      /* the price/qty zeros (wire decimals past ours) the texts were made with */
    uint64_t updates;
    /* Where the levels changed, for a follower that keeps a copy of the book (the sim engine's
     * book sync): every th_book_set that changes a level logs its key, a truncation logs the keys
     * it dropped as one range, in a ring of the last TH_BOOK_CHG_RING. A follower that remembers
     * chg_seq can tell which keys changed since, or that it cannot (the ring wrapped, or the book
     * was cleared at chg_clear_seq: then it compares the whole book). */
    uint64_t chg_seq, chg_clear_seq;
    th_book_chg chg[TH_BOOK_CHG_RING];
} th_book;

/* True when the ring still holds every change logged after seq `since` (seqs since .. chg_seq - 1,
 * read with th_book_change_at); false when the follower must compare the whole book. */
static inline bool th_book_changes_since(const th_book *b, uint64_t since)
{
    return since >= b->chg_clear_seq && since <= b->chg_seq && b->chg_seq - since <= TH_BOOK_CHG_RING;
}
static inline const th_book_chg *th_book_change_at(const th_book *b, uint64_t seq) { return &b->chg[seq % TH_BOOK_CHG_RING]; }

int th_book_init(th_book *b, int32_t depth, int32_t price_dec, int32_t qty_dec);
void th_book_free(th_book *b);
void th_book_clear(th_book *b);

/* Set a level: qty 0 deletes (deleting an absent level is a no-op that returns 0). Returns 1 if
 * the book changed, 0 if not, -1 on allocation failure. price and qty are in book units. */
int th_book_set(th_book *b, int side, int64_t price, int64_t qty);
/* th_book_set for a snapshot's levels, which arrive best first, each a new worst level: such a
 * level is written below the side's worst without the search and the moves (a snapshot's levels
 * were about half of the levels a recording sets). Anything else (a level not worse than the
 * worst, a delete, a level the checksum text must show, no room below) goes to th_book_set, so
 * the result is th_book_set's in every case. */
static inline int th_book_set_worse(th_book *b, int side, int64_t price, int64_t qty)
{
    th_book_side *s = &b->side[side];
    int64_t key = side == TH_BID ? price : -price;
    int32_t count = s->end - s->start;
    if (qty <= 0 || s->start == 0 || count == 0 || key >= s->key[s->start] || (b->crc_track && count < 10))
        return th_book_set(b, side, price, qty);
    s->start--;
    s->key[s->start] = key;
    s->qty[s->start] = qty;
    th_book_chg *c = &b->chg[b->chg_seq++ % TH_BOOK_CHG_RING];
    c->side = side;
    c->lo = c->hi = key;
    return 1;
}

/* Drop levels beyond depth on both sides (the venue forgets them too). */
void th_book_truncate(th_book *b);

static inline int32_t th_book_count(const th_book *b, int side) { return b->side[side].end - b->side[side].start; }
/* n-th level from the top (0 = best). Returns 0, or -1 if there is no such level. */
static inline int th_book_level(const th_book *b, int side, int32_t n, int64_t *price, int64_t *qty)
{
    const th_book_side *s = &b->side[side];
    int32_t i = s->end - 1 - n;
    if (n < 0 || i < s->start) return -1;
    *price = side == TH_BID ? s->key[i] : -s->key[i];
    *qty = s->qty[i];
    return 0;
}

/* Kraken v2 checksum: CRC32 over the top 10 asks then top 10 bids, each level's price and qty
 * digits at the instrument's precision with the point and leading zeros removed. */
uint32_t th_book_kraken_crc32(th_book *b);

/* Returns true if the health changed (the caller emits the transition event). */
bool th_book_set_health(th_book *b, int32_t health, const char *reason);
const char *th_book_health_name(int32_t health);

/* Queries in human units (doubles are only the presentation; the walk is in integers). */
int th_book_vwap(const th_book *b, int side, double qty, double *vwap, double *filled);
int th_book_depth_within(const th_book *b, int side, double bps, double *qty);
int th_book_microprice(const th_book *b, double *out);
int th_book_imbalance(const th_book *b, int32_t levels, double *out);

#endif
