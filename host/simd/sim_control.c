/* sim_control.c — the control endpoints on the public port, JSON over HTTP (loopback only):
 *   GET  /_sim/state   accounts (from the venue) and the top 10 of every book
 *   POST /_sim/reset   the venue's accounts back to their start
 *   POST /_sim/fault   inject a fault (sim_fault.c)
 *   POST /_sim/resume  start a replay held by --paused (tests subscribe first, then resume)
 *   POST /_sim/pause   hold the replay where it is (a test freezes the market so nothing fills)
 * They are the test harness's view of the venue: what a client's answers must agree with. */
#include <stdio.h>
#include <string.h>

#include "../core/log.h"
#include "../core/money.h"

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

static const char *side_name(th_sim_side sd) { return sd == TH_SIM_BUY ? "buy" : "sell"; }

static void money(sim_buf *o, th_money m, int scale)
{
    char t[64];
    if (th_money_format_short(m, scale, t, sizeof t) < 0) snprintf(t, sizeof t, "0");
    sim_buf_str(o, t);
}

static void order_json(simd *s, sim_buf *o, const th_sim_order *ord)
{
    const th_instrument *in = &s->feed.instruments.v[ord->ins];
    char id[32];
    s->venue->id_text('O', ord->id, id);
    sim_buf_puts(o, "{\"id\":");
    sim_buf_str(o, id);
    sim_buf_puts(o, ",\"symbol\":");
    sim_buf_str(o, in->symbol);
    sim_buf_printf(o, ",\"side\":\"%s\",\"type\":\"%s\",\"price\":", side_name(ord->side), ord->type == TH_SIM_LIMIT ? "limit" : "market");
    sim_buf_dec(o, ord->price, in->price_dec, in->price_dec, true);
    sim_buf_puts(o, ",\"qty\":");
    sim_buf_dec(o, ord->qty, in->qty_dec, in->qty_dec, true);
    sim_buf_puts(o, ",\"filled\":");
    sim_buf_dec(o, ord->filled, in->qty_dec, in->qty_dec, true);
    sim_buf_puts(o, ",\"cl_ord_id\":");
    sim_buf_str(o, ord->cl_ord_id);
    sim_buf_printf(o, ",\"userref\":%lld,\"post_only\":%s,\"ahead\":", (long long)ord->userref, ord->post_only ? "true" : "false");
    sim_buf_dec(o, ord->ahead, in->qty_dec, in->qty_dec, true);
    sim_buf_puts(o, "},");
}

static void trade_json(simd *s, sim_buf *o, const th_sim_trade *t)
{
    const th_instrument *in = &s->feed.instruments.v[t->ins];
    char id[32], oid[32];
    s->venue->id_text('T', t->id, id);
    s->venue->id_text('O', t->order_id, oid);
    sim_buf_puts(o, "{\"id\":");
    sim_buf_str(o, id);
    sim_buf_puts(o, ",\"order_id\":");
    sim_buf_str(o, oid);
    sim_buf_puts(o, ",\"symbol\":");
    sim_buf_str(o, in->symbol);
    sim_buf_printf(o, ",\"side\":\"%s\",\"maker\":%s,\"price\":", side_name(t->side), t->maker ? "true" : "false");
    sim_buf_dec(o, t->price, in->price_dec, in->price_dec, true);
    sim_buf_puts(o, ",\"qty\":");
    sim_buf_dec(o, t->qty, in->qty_dec, in->qty_dec, true);
    sim_buf_puts(o, ",\"cost\":");
    money(o, t->cost, in->price_dec + in->qty_dec);
    sim_buf_puts(o, ",\"fee\":");
    money(o, t->fee, TH_SIM_SCALE);
    sim_buf_puts(o, ",\"fee_asset\":");
    sim_buf_str(o, th_sim_asset_name(s->engine, t->fee_asset));
    sim_buf_puts(o, "},");
}

/* Every account: open orders, trades, balances (total, and what open orders hold), counts. */
static void accounts_json(simd *s, sim_buf *o)
{
    th_sim_engine *e = s->engine;
    if (!e) return;
    for (int32_t a = 0; a < th_sim_account_count(e); a++) {
        const th_sim_account_stats *st = th_sim_account_stats_get(e, a);
        sim_buf_puts(o, "{\"key\":");
        sim_buf_str(o, th_sim_account_key(e, a));
        sim_buf_puts(o, ",\"open_orders\":[");
        const th_sim_order *open[256];
        int32_t n = th_sim_open_orders(e, a, -1, open, 256);
        for (int32_t i = 0; i < n && i < 256; i++) order_json(s, o, open[i]);
        sim_buf_unput(o, ',');
        sim_buf_puts(o, "],\"trades\":[");
        for (int32_t i = 0; i < th_sim_trade_count(e); i++) {
            const th_sim_trade *t = th_sim_trade_at(e, i);
            if (t->account == a) trade_json(s, o, t);
        }
        sim_buf_unput(o, ',');
        sim_buf_puts(o, "],\"balances\":{");
        for (int32_t k = 0; k < th_sim_asset_count(e); k++) {
            th_money total, held;
            const char *name = th_sim_asset_name(e, k);
            if (th_sim_balance_get(e, a, name, &total, &held) != 0) continue;
            sim_buf_str(o, name);
            sim_buf_putc(o, ':');
            money(o, total, TH_SIM_SCALE);
            sim_buf_putc(o, ',');
        }
        sim_buf_unput(o, ',');
        sim_buf_puts(o, "},\"held\":{");
        for (int32_t k = 0; k < th_sim_asset_count(e); k++) {
            th_money total, held;
            const char *name = th_sim_asset_name(e, k);
            if (th_sim_balance_get(e, a, name, &total, &held) != 0 || held == 0) continue;
            sim_buf_str(o, name);
            sim_buf_putc(o, ':');
            money(o, held, TH_SIM_SCALE);
            sim_buf_putc(o, ',');
        }
        sim_buf_unput(o, ',');
        sim_buf_printf(o, "},\"orders_placed\":%llu,\"orders_cancelled\":%llu,\"orders_rejected\":%llu,\"fills\":%llu,"
                          "\"dead_man_armed\":%s},",
                       (unsigned long long)st->placed, (unsigned long long)st->cancelled, (unsigned long long)st->rejected,
                       (unsigned long long)st->fills, st->dead_man_ns ? "true" : "false");
    }
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
    accounts_json(s, o);
    sim_buf_unput(o, ',');
    sim_buf_printf(o, "],\"rest_refused\":%llu,\"faults\":", (unsigned long long)s->rest_refused);
    simd_fault_state(s, o);
    sim_buf_puts(o, ",\"books\":{");
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
        const char *err;
        if (simd_engine_reset(s, &err) != 0) {
            r->status = 500;
            sim_buf_puts(&r->body, "{\"error\":");
            sim_buf_str(&r->body, err);
            sim_buf_putc(&r->body, '}');
            return;
        }
        th_logf(TH_LOG_INFO, "sim: reset: accounts back to their start", NULL);
        sim_buf_puts(&r->body, "{\"ok\":true}");
        return;
    }
    if (post && strcmp(req->path, "/_sim/fault") == 0) { simd_fault_post(s, req, r); return; }
    if (post && strcmp(req->path, "/_sim/resume") == 0) {
        sim_buf_printf(&r->body, "{\"resumed\":%s}", simd_resume(s) ? "true" : "false");
        return;
    }
    if (post && strcmp(req->path, "/_sim/pause") == 0) {
        sim_buf_printf(&r->body, "{\"paused\":%s}", simd_pause(s) ? "true" : "false");
        return;
    }
    r->status = 404;
    sim_buf_puts(&r->body, "{\"error\":\"no such control endpoint\",\"endpoints\":[\"GET /_sim/state\",\"POST /_sim/reset\","
                           "\"POST /_sim/fault\",\"POST /_sim/resume\",\"POST /_sim/pause\"]}");
}
