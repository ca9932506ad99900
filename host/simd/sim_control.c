/* sim_control.c — the control endpoints on the public port, JSON over HTTP (loopback only):
 *   GET  /_sim/state   accounts (from the venue) and the top 10 of every book
 *   POST /_sim/reset   the venue's accounts back to their start
 *   POST /_sim/fault   inject a fault (sim_fault.c)
 *   POST /_sim/resume  start a replay held by --paused (tests subscribe first, then resume)
 * They are the test harness's view of the venue: what a client's answers must agree with. */
#include <string.h>

#include "../core/decimal.h"
#include "simd.h"

static void book_levels(simd *s, sim_buf *o, int32_t sym, int side)
{
    const th_book *b = &s->feed.sym[sym]->book;
    sim_buf_putc(o, '[');
    int64_t px, q;
    for (int32_t i = 0; i < 10 && th_book_level(b, side, i, &px, &q) == 0; i++) {
        sim_buf_putc(o, '[');
        sim_buf_dec(o, px, b->price_dec, b->wire_price_dec, true);
        sim_buf_putc(o, ',');
        sim_buf_dec(o, q, b->qty_dec, b->wire_qty_dec, true);
        sim_buf_puts(o, "],");
    }
    sim_buf_unput(o, ',');
    sim_buf_putc(o, ']');
}

static void state(simd *s, sim_http_resp *r)
{
    sim_buf *o = &r->body;
    sim_buf_puts(o, "{\"venue\":");
    sim_buf_str(o, s->venue->name);
    sim_buf_printf(o, ",\"data_ended\":%s,\"records\":%llu,\"market_time\":", s->data_ended ? "true" : "false",
                   (unsigned long long)s->in.records);
    sim_buf_time(o, s->market_ns);
    sim_buf_puts(o, ",\"accounts\":[");
    if (s->venue->state_accounts) s->venue->state_accounts(s, o);
    sim_buf_unput(o, ',');
    sim_buf_puts(o, "],\"books\":{");
    th_feed *f = &s->feed;
    for (int32_t i = 0; i < f->sym_cap; i++) {
        if (!f->sym[i] || f->sym[i]->book.health != TH_BOOK_OK) continue;
        sim_buf_str(o, f->instruments.v[i].symbol);
        sim_buf_puts(o, ":{\"bids\":");
        book_levels(s, o, i, TH_BID);
        sim_buf_puts(o, ",\"asks\":");
        book_levels(s, o, i, TH_ASK);
        sim_buf_printf(o, ",\"checksum\":%u},", th_book_kraken_crc32(&f->sym[i]->book));
    }
    sim_buf_unput(o, ',');
    sim_buf_puts(o, "}}");
}

void simd_control(simd *s, const sim_http_req *req, sim_http_resp *r)
{
    bool get = strcmp(req->method, "GET") == 0, post = strcmp(req->method, "POST") == 0;
    if (get && strcmp(req->path, "/_sim/state") == 0) { state(s, r); return; }
    if (post && strcmp(req->path, "/_sim/reset") == 0) {
        if (s->venue->reset) s->venue->reset(s);
        sim_buf_puts(&r->body, "{\"ok\":true}");
        return;
    }
    if (post && strcmp(req->path, "/_sim/resume") == 0) {
        sim_buf_printf(&r->body, "{\"resumed\":%s}", simd_resume(s) ? "true" : "false");
        return;
    }
    r->status = 404;
    sim_buf_puts(&r->body, "{\"error\":\"no such control endpoint\",\"endpoints\":[\"GET /_sim/state\",\"POST /_sim/reset\","
                           "\"POST /_sim/fault\",\"POST /_sim/resume\"]}");
}
