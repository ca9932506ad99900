/* sim_kraken_book.c — the WS v2 `book` channel served from the market's books.
 *
 * Each depth a symbol is subscribed at (10, 25, 100, 500, 1000) keeps the top levels its
 * subscribers were last sent. After every market frame that changed the book, the new top levels
 * are merged against them and the differences go out as one update, built once and queued to every
 * subscriber of that depth: a changed or new level with its quantity, a level gone from inside the
 * depth with quantity 0. A level pushed below the depth by better ones is not deleted: Kraken's
 * clients truncate to their depth after each update (docs.kraken.com, v2 book), as Kraken's own
 * feed expects. The checksum is the exchange's CRC32 of the top 10 (th_book_kraken_crc32), and
 * numbers are written with the decimals the venue's wire used (its checksum covers them). */
#include <stdlib.h>
#include <string.h>

#include "../core/book.h"
#include "../core/log.h"
#include "sim_kraken.h"

const int32_t KR_DEPTHS[KR_NDEPTHS] = {10, 25, 100, 500, 1000};

int kr_depth_slot(int64_t depth)
{
    for (int i = 0; i < KR_NDEPTHS; i++)
        if (KR_DEPTHS[i] == depth) return i;
    return -1;
}

static bool pub_alloc(kr_published *p, int32_t depth)
{
    for (int side = 0; side < 2; side++) {
        if (p->px[side]) continue;
        p->px[side] = malloc(sizeof(int64_t) * (size_t)depth);
        p->qty[side] = malloc(sizeof(int64_t) * (size_t)depth);
        if (!p->px[side] || !p->qty[side]) return false;
    }
    return true;
}

static void pub_take(kr_published *p, const th_book *b, int32_t depth)
{
    for (int side = 0; side < 2; side++) {
        int32_t n = 0;
        int64_t px, q;
        while (n < depth && th_book_level(b, side, n, &px, &q) == 0) {
            p->px[side][n] = px;
            p->qty[side][n] = q;
            n++;
        }
        p->n[side] = n;
    }
}

static void level(sim_buf *o, const th_book *b, int64_t px, int64_t q)
{
    sim_buf_puts(o, "{\"price\":");
    sim_buf_dec(o, px, b->price_dec, b->wire_price_dec, false);
    sim_buf_puts(o, ",\"qty\":");
    sim_buf_dec(o, q, b->qty_dec, b->wire_qty_dec, false);
    sim_buf_puts(o, "},");
}

static void frame_head(simd *s, sim_buf *o, int32_t sym, bool snapshot)
{
    sim_buf_puts(o, snapshot ? "{\"channel\":\"book\",\"type\":\"snapshot\",\"data\":[{\"symbol\":"
                             : "{\"channel\":\"book\",\"type\":\"update\",\"data\":[{\"symbol\":");
    sim_buf_str(o, s->feed.instruments.v[sym].symbol);
}

static void frame_tail(simd *s, sim_buf *o, th_book *b)
{
    sim_buf_printf(o, ",\"checksum\":%u,\"timestamp\":", th_book_kraken_crc32(b));
    sim_buf_time(o, s->market_ns);
    sim_buf_puts(o, "}]}");
}

static void snapshot(simd *s, sim_buf *o, int32_t sym, int32_t depth)
{
    th_book *b = &s->feed.sym[sym]->book;
    frame_head(s, o, sym, true);
    static const char *const key[2] = {",\"bids\":[", ",\"asks\":["};
    for (int side = 0; side < 2; side++) {
        sim_buf_puts(o, key[side]);
        int64_t px, q;
        for (int32_t n = 0; n < depth && th_book_level(b, side, n, &px, &q) == 0; n++) level(o, b, px, q);
        sim_buf_unput(o, ',');
        sim_buf_putc(o, ']');
    }
    frame_tail(s, o, b);
}

static bool book_ready(simd *s, int32_t sym)
{
    th_feed_symbol *fs = sym < s->feed.sym_cap ? s->feed.sym[sym] : NULL;
    return fs && fs->book.health == TH_BOOK_OK;
}

void kr_book_subscribe(simd *s, sim_ws *ws, int32_t sym, int slot)
{
    kr_state *k = kr_of(s);
    kr_conn *c = ws->user;
    if (c->book[sym]) kr_book_unsubscribe(s, ws, sym);
    kr_published *p = &k->sym[sym].pub[slot];
    if (!pub_alloc(p, KR_DEPTHS[slot])) { sim_ws_close(ws, "out of memory"); return; }
    c->book[sym] = (uint8_t)(slot + 1);
    c->any = true;
    if (p->subs++ == 0 && book_ready(s, sym)) pub_take(p, &s->feed.sym[sym]->book, KR_DEPTHS[slot]);
    if (!book_ready(s, sym)) {
        /* no book yet (its snapshot has not been replayed): the snapshot goes out when it is */
        c->flags[sym] |= KR_SUB_AWAIT_SNAPSHOT;
        return;
    }
    sim_buf_reset(&k->out);
    snapshot(s, &k->out, sym, KR_DEPTHS[slot]);
    sim_ws_send_tagged(ws, &k->out, SIMF_BOOK_SNAPSHOT, sym);
}

void kr_book_unsubscribe(simd *s, sim_ws *ws, int32_t sym)
{
    kr_conn *c = ws->user;
    if (!c->book[sym]) return;
    kr_published *p = &kr_of(s)->sym[sym].pub[c->book[sym] - 1];
    p->subs--;
    c->book[sym] = 0;
    c->flags[sym] &= (uint8_t)~KR_SUB_AWAIT_SNAPSHOT;
}

/* better(a, b): a is nearer the top than b on this side */
static inline bool better(int side, int64_t a, int64_t b) { return side == TH_BID ? a > b : a < b; }

/* Append the differences of one side; returns how many levels were written. */
static int side_diff(sim_buf *o, const th_book *b, const kr_published *p, int side, int32_t depth)
{
    int written = 0;
    int32_t i = 0, j = 0, on = p->n[side];
    int64_t npx = 0, nq = 0;
    bool have_new = th_book_level(b, side, 0, &npx, &nq) == 0;
    int32_t nn = 0; /* levels of the new top taken so far */
    while (i < on || (have_new && j < depth)) {
        bool new_ok = have_new && j < depth;
        if (new_ok && i < on && p->px[side][i] == npx) {
            if (p->qty[side][i] != nq) { level(o, b, npx, nq); written++; }
            i++;
        } else if (new_ok && (i >= on || better(side, npx, p->px[side][i]))) {
            level(o, b, npx, nq);
            written++;
        } else {
            /* an old level not in the new top: gone from inside the depth (delete it), or pushed
             * below a full new top (the client's truncation drops it) */
            bool pushed = !new_ok && nn == depth;
            if (!pushed) { level(o, b, p->px[side][i], 0); written++; }
            i++;
            continue;
        }
        j++;
        nn++;
        have_new = th_book_level(b, side, j, &npx, &nq) == 0;
    }
    return written;
}

void kr_book_changed(simd *s, int32_t sym)
{
    kr_state *k = kr_of(s);
    kr_symbol *ks = &k->sym[sym];
    th_book *b = &s->feed.sym[sym]->book;
    sim_server *srv = &s->srv;
    /* connections waiting for this symbol's first snapshot */
    for (sim_ws *ws = srv->conns[SIM_PORT_PUBLIC]; ws; ws = ws->next) {
        kr_conn *c = ws->user;
        if (!c || !(c->flags[sym] & KR_SUB_AWAIT_SNAPSHOT)) continue;
        c->flags[sym] &= (uint8_t)~KR_SUB_AWAIT_SNAPSHOT;
        int slot = c->book[sym] - 1;
        sim_buf_reset(&k->out);
        snapshot(s, &k->out, sym, KR_DEPTHS[slot]);
        sim_ws_send_tagged(ws, &k->out, SIMF_BOOK_SNAPSHOT, sym);
        /* it has the current book: the update below (from what the others have) is not for it */
        c->flags[sym] |= KR_SUB_SNAPSHOT_SENT;
    }
    for (int slot = 0; slot < KR_NDEPTHS; slot++) {
        kr_published *p = &ks->pub[slot];
        if (p->subs <= 0) continue;
        int32_t depth = KR_DEPTHS[slot];
        sim_buf_reset(&k->out);
        frame_head(s, &k->out, sym, false);
        sim_buf_puts(&k->out, ",\"bids\":[");
        int nb = side_diff(&k->out, b, p, TH_BID, depth);
        sim_buf_unput(&k->out, ',');
        sim_buf_puts(&k->out, "],\"asks\":[");
        int na = side_diff(&k->out, b, p, TH_ASK, depth);
        sim_buf_unput(&k->out, ',');
        sim_buf_putc(&k->out, ']');
        pub_take(p, b, depth);
        if (nb + na == 0) continue;
        frame_tail(s, &k->out, b);
        if (k->out.oom) continue;
        sim_frame *f = sim_frame_of(&k->out);
        if (!f) continue;
        f->cls = SIMF_BOOK_UPDATE;
        f->sym = sym;
        for (sim_ws *ws = srv->conns[SIM_PORT_PUBLIC]; ws; ws = ws->next) {
            kr_conn *c = ws->user;
            if (!c || c->book[sym] != slot + 1) continue;
            if (c->flags[sym] & KR_SUB_SNAPSHOT_SENT) continue;
            sim_ws_send(ws, f);
        }
        sim_frame_unref(f);
    }
    for (sim_ws *ws = srv->conns[SIM_PORT_PUBLIC]; ws; ws = ws->next) {
        kr_conn *c = ws->user;
        if (c) c->flags[sym] &= (uint8_t)~KR_SUB_SNAPSHOT_SENT;
    }
    kr_ws_ticker_bbo(s, sym);
}

void kr_book_levels_rest(simd *s, sim_buf *o, int32_t sym, int side, int32_t n, bool with_ts)
{
    sim_buf_putc(o, '[');
    th_feed_symbol *fs = sym < s->feed.sym_cap ? s->feed.sym[sym] : NULL;
    if (fs) {
        const th_book *b = &fs->book;
        int64_t px, q;
        for (int32_t i = 0; i < n && th_book_level(b, side, i, &px, &q) == 0; i++) {
            sim_buf_putc(o, '[');
            sim_buf_dec(o, px, b->price_dec, b->wire_price_dec, true);
            sim_buf_putc(o, ',');
            sim_buf_dec(o, q, b->qty_dec, b->wire_qty_dec, true);
            if (with_ts) sim_buf_printf(o, ",%lld", (long long)(b->last_update_ns / 1000000000LL));
            sim_buf_puts(o, "],");
        }
        sim_buf_unput(o, ',');
    }
    sim_buf_putc(o, ']');
}

void kr_book_free(kr_state *k)
{
    (void)k;
}
