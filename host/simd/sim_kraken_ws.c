/* sim_kraken_ws.c — Kraken WS v2, public side: the status frame on connect, subscribe and
 * unsubscribe (book, trade, ticker, instrument), ping/pong, heartbeats, and the trade and ticker
 * frames made from the market (docs.kraken.com, spot-websocket-v2). Requests are answered in
 * Kraken's shape: {"method","result"|"error","success","time_in","time_out","req_id"}; errors are
 * one string, as Kraken sends them. A request that is not JSON or not an object is answered with
 * an error and the connection stays open. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/clock.h"
#include "../core/decimal.h"
#include "../core/json.h"
#include "../core/log.h"
#include "sim_kraken.h"

void kr_ws_answer_tail(sim_buf *b, int64_t time_in, const char *req_id, size_t req_id_len)
{
    if (req_id && req_id_len) {
        sim_buf_puts(b, ",\"req_id\":");
        sim_buf_put(b, req_id, req_id_len);
    }
    sim_buf_puts(b, ",\"time_in\":");
    sim_buf_time(b, time_in);
    sim_buf_puts(b, ",\"time_out\":");
    sim_buf_time(b, simd_wall_ns());
    sim_buf_putc(b, '}');
}

void kr_ws_status(simd *s, sim_ws *ws)
{
    sim_buf *o = &kr_of(s)->out;
    sim_buf_reset(o);
    sim_buf_printf(o, "{\"channel\":\"status\",\"type\":\"update\",\"data\":[{\"version\":\"2.0.10\",\"system\":\"online\","
                      "\"api_version\":\"v2\",\"connection_id\":%llu}]}", (unsigned long long)(ws->id + 1000000000000ULL));
    sim_ws_send_tagged(ws, o, SIMF_STATUS, -1);
}

typedef struct req_ctx {
    simd *s;
    sim_ws *ws;
    th_json *j;
    int64_t time_in;
    const char *method;
    const char *req_id;
    size_t req_id_len;
} req_ctx;

static void send_error(req_ctx *r, const char *err, const char *symbol)
{
    sim_buf *o = &kr_of(r->s)->out;
    sim_buf_reset(o);
    sim_buf_puts(o, "{\"error\":");
    sim_buf_str(o, err);
    sim_buf_puts(o, ",\"method\":");
    sim_buf_str(o, r->method ? r->method : "");
    if (symbol) { sim_buf_puts(o, ",\"symbol\":"); sim_buf_str(o, symbol); }
    sim_buf_puts(o, ",\"success\":false");
    kr_ws_answer_tail(o, r->time_in, r->req_id, r->req_id_len);
    sim_ws_send_tagged(r->ws, o, SIMF_ANSWER, -1);
}

static void send_ack(req_ctx *r, const char *channel, const char *symbol, int depth, bool snapshot, const char *trigger)
{
    sim_buf *o = &kr_of(r->s)->out;
    sim_buf_reset(o);
    sim_buf_puts(o, "{\"method\":");
    sim_buf_str(o, r->method);
    sim_buf_puts(o, ",\"result\":{\"channel\":");
    sim_buf_str(o, channel);
    if (depth) sim_buf_printf(o, ",\"depth\":%d", depth);
    if (trigger) { sim_buf_puts(o, ",\"event_trigger\":"); sim_buf_str(o, trigger); }
    if (strcmp(r->method, "subscribe") == 0) sim_buf_printf(o, ",\"snapshot\":%s", snapshot ? "true" : "false");
    if (symbol) { sim_buf_puts(o, ",\"symbol\":"); sim_buf_str(o, symbol); }
    sim_buf_puts(o, "},\"success\":true");
    kr_ws_answer_tail(o, r->time_in, r->req_id, r->req_id_len);
    sim_ws_send_tagged(r->ws, o, SIMF_ANSWER, -1);
}

static bool json_bool(const th_json *j, int t, bool dflt)
{
    if (t < 0) return dflt;
    if (th_json_eq(j, t, "true")) return true;
    if (th_json_eq(j, t, "false")) return false;
    return dflt;
}

static void num(sim_buf *o, int64_t v, int scale, int wire) { sim_buf_dec(o, v, scale, wire, false); }

static void ticker_frame(simd *s, sim_buf *o, int32_t sym, bool snapshot)
{
    kr_state *k = kr_of(s);
    kr_symbol *ks = &k->sym[sym];
    const th_instrument *in = &s->feed.instruments.v[sym];
    th_feed_symbol *fs = sym < s->feed.sym_cap ? s->feed.sym[sym] : NULL;
    int pw = fs ? fs->book.wire_price_dec : in->price_dec, qw = fs ? fs->book.wire_qty_dec : in->qty_dec;
    sim_buf_puts(o, snapshot ? "{\"channel\":\"ticker\",\"type\":\"snapshot\",\"data\":[{\"symbol\":"
                             : "{\"channel\":\"ticker\",\"type\":\"update\",\"data\":[{\"symbol\":");
    sim_buf_str(o, in->symbol);
    sim_buf_puts(o, ",\"bid\":"); num(o, ks->bid, in->price_dec, pw);
    sim_buf_puts(o, ",\"bid_qty\":"); num(o, ks->bid_qty, in->qty_dec, qw);
    sim_buf_puts(o, ",\"ask\":"); num(o, ks->ask, in->price_dec, pw);
    sim_buf_puts(o, ",\"ask_qty\":"); num(o, ks->ask_qty, in->qty_dec, qw);
    sim_buf_puts(o, ",\"last\":"); num(o, ks->last, in->price_dec, pw);
    double pd = th_dec_to_double(1, in->price_dec);
    double vol = ks->volume, vwap = ks->volume > 0 ? ks->notional / ks->volume : 0;
    double change = ks->traded ? (double)(ks->last - ks->first) * pd : 0;
    double change_pct = ks->traded && ks->first ? 100.0 * (double)(ks->last - ks->first) / (double)ks->first : 0;
    sim_buf_printf(o, ",\"volume\":%.8f,\"vwap\":%.*f,\"low\":", vol, in->price_dec, vwap);
    num(o, ks->low, in->price_dec, pw);
    sim_buf_puts(o, ",\"high\":"); num(o, ks->high, in->price_dec, pw);
    sim_buf_printf(o, ",\"change\":%.*f,\"change_pct\":%.2f}]}", in->price_dec, change, change_pct);
}

static void instrument_frame(simd *s, sim_buf *o)
{
    kr_state *k = kr_of(s);
    sim_buf_puts(o, "{\"channel\":\"instrument\",\"type\":\"snapshot\",\"data\":{\"assets\":[");
    for (int32_t i = 0; i < k->nassets; i++) {
        sim_buf_puts(o, "{\"id\":");
        sim_buf_str(o, k->assets[i].v2);
        sim_buf_printf(o, ",\"status\":\"enabled\",\"precision\":%d,\"precision_display\":%d,\"borrowable\":false,"
                          "\"collateral_value\":0,\"margin_rate\":0},", k->assets[i].fiat ? 4 : 10, k->assets[i].fiat ? 2 : 5);
    }
    sim_buf_unput(o, ',');
    sim_buf_puts(o, "],\"pairs\":[");
    const th_instruments *ins = &s->feed.instruments;
    for (int32_t i = 0; i < ins->n; i++) {
        const th_instrument *in = &ins->v[i];
        sim_buf_puts(o, "{\"symbol\":");
        sim_buf_str(o, in->symbol);
        sim_buf_puts(o, ",\"base\":");
        sim_buf_str(o, in->base);
        sim_buf_puts(o, ",\"quote\":");
        sim_buf_str(o, in->quote);
        sim_buf_printf(o, ",\"status\":\"%s\",\"qty_precision\":%d,\"qty_increment\":", in->online ? "online" : "cancel_only", in->qty_dec);
        num(o, in->lot, in->qty_dec, in->qty_dec);
        sim_buf_printf(o, ",\"price_precision\":%d,\"price_increment\":", in->price_dec);
        num(o, in->tick, in->price_dec, in->price_dec);
        sim_buf_puts(o, ",\"qty_min\":");
        num(o, in->min_qty, in->qty_dec, in->qty_dec);
        sim_buf_puts(o, ",\"cost_min\":");
        num(o, in->min_cost, in->price_dec + in->qty_dec, in->price_dec + in->qty_dec);
        sim_buf_puts(o, ",\"marginable\":false,\"has_index\":false,\"cost_precision\":");
        sim_buf_printf(o, "%d,\"tick_size\":", in->price_dec);
        num(o, in->tick, in->price_dec, in->price_dec);
        sim_buf_puts(o, "},");
    }
    sim_buf_unput(o, ',');
    sim_buf_puts(o, "]}}");
}

static void trade_json(simd *s, sim_buf *o, int32_t sym, const th_trade_ev *t, uint64_t id)
{
    const th_instrument *in = &s->feed.instruments.v[sym];
    th_feed_symbol *fs = sym < s->feed.sym_cap ? s->feed.sym[sym] : NULL;
    int pw = fs ? fs->book.wire_price_dec : in->price_dec, qw = fs ? fs->book.wire_qty_dec : in->qty_dec;
    sim_buf_puts(o, "{\"symbol\":");
    sim_buf_str(o, in->symbol);
    sim_buf_printf(o, ",\"side\":\"%s\",\"price\":", t->side == TH_BID ? "buy" : "sell");
    num(o, t->price, in->price_dec, pw);
    sim_buf_puts(o, ",\"qty\":");
    num(o, t->qty, in->qty_dec, qw);
    sim_buf_printf(o, ",\"ord_type\":\"limit\",\"trade_id\":%llu,\"timestamp\":", (unsigned long long)id);
    sim_buf_time(o, t->ts_ns ? t->ts_ns : s->market_ns);
    sim_buf_putc(o, '}');
}

static void subscribe_symbols(req_ctx *r, int params, const char *channel, bool sub)
{
    simd *s = r->s;
    th_json *j = r->j;
    kr_conn *c = r->ws->user;
    int syms = th_json_get(j, params, "symbol");
    if (syms < 0 || j->tok[syms].type != TH_JSON_ARRAY || j->tok[syms].size == 0) {
        send_error(r, "Missing or empty field 'symbol'", NULL);
        return;
    }
    int slot = 0;
    int64_t depth = 10;
    bool book = strcmp(channel, "book") == 0, trade = strcmp(channel, "trade") == 0;
    if (book) {
        int d = th_json_get(j, params, "depth");
        if (d >= 0 && (th_json_i64(j, d, &depth) != 0 || (slot = kr_depth_slot(depth)) < 0)) {
            send_error(r, "Invalid depth: expected 10, 25, 100, 500 or 1000", NULL);
            return;
        }
    }
    bool snap = json_bool(j, th_json_get(j, params, "snapshot"), !trade);
    const char *trigger = NULL;
    if (strcmp(channel, "ticker") == 0) {
        int et = th_json_get(j, params, "event_trigger");
        trigger = "trades";
        if (et >= 0 && th_json_eq(j, et, "bbo")) trigger = "bbo";
        else if (et >= 0 && !th_json_eq(j, et, "trades")) { send_error(r, "Invalid event_trigger: bbo or trades", NULL); return; }
    }
    int t = syms + 1;
    for (int k = 0; k < j->tok[syms].size; k++, t = th_json_skip(j, t)) {
        char name[64];
        th_json_copy(j, t, name, sizeof name);
        int32_t idx = j->tok[t].type == TH_JSON_STRING ? th_instruments_find(&s->feed.instruments, th_json_ptr(j, t), th_json_len(j, t)) : -1;
        if (idx < 0) {
            char msg[128];
            snprintf(msg, sizeof msg, "Currency pair not supported %s", name);
            send_error(r, msg, name);
            continue;
        }
        const char *symbol = s->feed.instruments.v[idx].symbol;
        if (!sub) {
            if (book) kr_book_unsubscribe(s, r->ws, idx);
            else if (trade) c->flags[idx] &= (uint8_t)~KR_SUB_TRADE;
            else c->flags[idx] &= (uint8_t)~(KR_SUB_TICKER | KR_SUB_TICKER_TRADES);
            send_ack(r, channel, symbol, book ? (int)depth : 0, false, trigger);
            continue;
        }
        send_ack(r, channel, symbol, book ? (int)depth : 0, snap, trigger);
        c->any = true;
        sim_buf *o = &kr_of(s)->out;
        if (book) {
            kr_book_subscribe(s, r->ws, idx, slot);
        } else if (trade) {
            c->flags[idx] |= KR_SUB_TRADE;
            if (snap) {
                sim_buf_reset(o);
                /* the sim keeps no trade history: the snapshot is empty */
                sim_buf_puts(o, "{\"channel\":\"trade\",\"type\":\"snapshot\",\"data\":[]}");
                sim_ws_send_tagged(r->ws, o, SIMF_MARKET, idx);
            }
        } else {
            c->flags[idx] &= (uint8_t)~(KR_SUB_TICKER | KR_SUB_TICKER_TRADES);
            c->flags[idx] |= strcmp(trigger, "bbo") == 0 ? KR_SUB_TICKER : KR_SUB_TICKER_TRADES;
            if (snap) {
                sim_buf_reset(o);
                ticker_frame(s, o, idx, true);
                sim_ws_send_tagged(r->ws, o, SIMF_MARKET, idx);
            }
        }
    }
}

static void handle_subscribe(req_ctx *r, int params, bool sub)
{
    th_json *j = r->j;
    int ch = params >= 0 ? th_json_get(j, params, "channel") : -1;
    if (ch < 0 || j->tok[ch].type != TH_JSON_STRING) { send_error(r, "Missing field 'channel'", NULL); return; }
    char channel[32];
    th_json_copy(j, ch, channel, sizeof channel);
    kr_conn *c = r->ws->user;
    if (strcmp(channel, "book") == 0 || strcmp(channel, "trade") == 0 || strcmp(channel, "ticker") == 0) {
        subscribe_symbols(r, params, channel, sub);
    } else if (strcmp(channel, "instrument") == 0) {
        send_ack(r, channel, NULL, 0, sub, NULL);
        c->instrument = sub;
        if (sub) {
            c->any = true;
            sim_buf *o = &kr_of(r->s)->out;
            sim_buf_reset(o);
            instrument_frame(r->s, o);
            sim_ws_send_tagged(r->ws, o, SIMF_MARKET, -1);
        }
    } else if (strcmp(channel, "heartbeat") == 0 || strcmp(channel, "status") == 0) {
        send_ack(r, channel, NULL, 0, false, NULL);
        if (sub) c->any = true;
    } else {
        char msg[96];
        snprintf(msg, sizeof msg, "Channel %s is not served by this venue", channel);
        send_error(r, msg, NULL);
    }
}

void kr_ws_public_message(simd *s, sim_ws *ws, const char *text, size_t n)
{
    kr_state *k = kr_of(s);
    req_ctx r = {.s = s, .ws = ws, .j = &k->json, .time_in = simd_wall_ns()};
    th_json *j = &k->json;
    if (th_json_parse(j, text, n) < 0 || j->tok[0].type != TH_JSON_OBJECT) {
        send_error(&r, "EGeneral:Invalid arguments:malformed request (expected a JSON object)", NULL);
        return;
    }
    int m = th_json_get(j, 0, "method");
    int rid = th_json_get(j, 0, "req_id");
    if (rid >= 0 && j->tok[rid].type == TH_JSON_PRIMITIVE) { r.req_id = th_json_ptr(j, rid); r.req_id_len = th_json_len(j, rid); }
    char method[40] = "";
    if (m >= 0 && j->tok[m].type == TH_JSON_STRING) th_json_copy(j, m, method, sizeof method);
    r.method = method;
    if (strcmp(method, "ping") == 0) {
        sim_buf *o = &k->out;
        sim_buf_reset(o);
        sim_buf_puts(o, "{\"method\":\"pong\"");
        kr_ws_answer_tail(o, r.time_in, r.req_id, r.req_id_len);
        sim_ws_send_tagged(ws, o, SIMF_ANSWER, -1);
        return;
    }
    if (strcmp(method, "subscribe") == 0 || strcmp(method, "unsubscribe") == 0) {
        handle_subscribe(&r, th_json_get(j, 0, "params"), method[0] == 's');
        return;
    }
    if (!method[0]) { send_error(&r, "EGeneral:Invalid arguments:missing field 'method'", NULL); return; }
    send_error(&r, ws->port == SIM_PORT_PUBLIC ? "EGeneral:Invalid arguments:method not served on the public endpoint"
                                               : "EGeneral:Invalid arguments:unknown method", NULL);
}

void kr_ws_public_open(simd *s, sim_ws *ws)
{
    kr_state *k = kr_of(s);
    kr_conn *c = calloc(1, sizeof *c);
    if (c) {
        c->book = calloc((size_t)k->npairs + 1, 1);
        c->flags = calloc((size_t)k->npairs + 1, 1);
    }
    if (!c || !c->book || !c->flags) {
        if (c) { free(c->book); free(c->flags); free(c); }
        sim_ws_close(ws, "out of memory");
        return;
    }
    ws->user = c;
    kr_ws_status(s, ws);
}

void kr_ws_public_close(simd *s, sim_ws *ws)
{
    kr_conn *c = ws->user;
    if (!c) return;
    for (int32_t i = 0; i < kr_of(s)->npairs; i++) kr_book_unsubscribe(s, ws, i);
    free(c->book);
    free(c->flags);
    free(c);
    ws->user = NULL;
}

void kr_ws_heartbeats(simd *s)
{
    static sim_frame *hb;
    if (!hb && (hb = sim_frame_new("{\"channel\":\"heartbeat\"}", 23))) hb->cls = SIMF_HEARTBEAT;
    int64_t now = th_mono_ns();
    for (int port = 0; port < 2; port++)
        for (sim_ws *ws = s->srv.conns[port]; ws; ws = ws->next) {
            bool subscribed = port == SIM_PORT_PUBLIC ? ws->user && ((kr_conn *)ws->user)->any : kr_ws_private_subscribed(ws);
            if (!subscribed || ws->qlen || now - ws->last_sent_ns < 1000000000LL) continue;
            ws->last_sent_ns = now; /* sent when written; this keeps one a second */
            sim_ws_send(ws, hb);
        }
}

void kr_ws_trade(simd *s, int32_t sym, const th_trade_ev *t)
{
    kr_state *k = kr_of(s);
    kr_symbol *ks = &k->sym[sym];
    if (!ks->traded) { ks->first = ks->low = ks->high = t->price; ks->traded = true; }
    if (t->price < ks->low) ks->low = t->price;
    if (t->price > ks->high) ks->high = t->price;
    ks->last = t->price;
    const th_instrument *in = &s->feed.instruments.v[sym];
    double q = th_dec_to_double(t->qty, in->qty_dec);
    ks->volume += q;
    ks->notional += q * th_dec_to_double(t->price, in->price_dec);
    uint64_t id = ++ks->trade_id;
    sim_frame *tf = NULL, *kf = NULL;
    for (sim_ws *ws = s->srv.conns[SIM_PORT_PUBLIC]; ws; ws = ws->next) {
        kr_conn *c = ws->user;
        if (!c) continue;
        if (c->flags[sym] & KR_SUB_TRADE) {
            if (!tf) {
                sim_buf_reset(&k->out);
                sim_buf_puts(&k->out, "{\"channel\":\"trade\",\"type\":\"update\",\"data\":[");
                trade_json(s, &k->out, sym, t, id);
                sim_buf_puts(&k->out, "]}");
                if ((tf = sim_frame_of(&k->out))) { tf->cls = SIMF_MARKET; tf->sym = sym; }
            }
            sim_ws_send(ws, tf);
        }
        if (c->flags[sym] & KR_SUB_TICKER_TRADES) {
            if (!kf) {
                sim_buf_reset(&k->out);
                ticker_frame(s, &k->out, sym, false);
                if ((kf = sim_frame_of(&k->out))) { kf->cls = SIMF_MARKET; kf->sym = sym; }
            }
            sim_ws_send(ws, kf);
        }
    }
    sim_frame_unref(tf);
    sim_frame_unref(kf);
}

void kr_ws_ticker_bbo(simd *s, int32_t sym)
{
    kr_state *k = kr_of(s);
    kr_symbol *ks = &k->sym[sym];
    const th_book *b = &s->feed.sym[sym]->book;
    int64_t bp = 0, bq = 0, ap = 0, aq = 0;
    th_book_level(b, TH_BID, 0, &bp, &bq);
    th_book_level(b, TH_ASK, 0, &ap, &aq);
    if (bp == ks->bid && bq == ks->bid_qty && ap == ks->ask && aq == ks->ask_qty) return;
    ks->bid = bp; ks->bid_qty = bq; ks->ask = ap; ks->ask_qty = aq;
    sim_frame *f = NULL;
    for (sim_ws *ws = s->srv.conns[SIM_PORT_PUBLIC]; ws; ws = ws->next) {
        kr_conn *c = ws->user;
        if (!c || !(c->flags[sym] & KR_SUB_TICKER)) continue;
        if (!f) {
            sim_buf_reset(&k->out);
            ticker_frame(s, &k->out, sym, false);
            if ((f = sim_frame_of(&k->out))) { f->cls = SIMF_MARKET; f->sym = sym; }
        }
        sim_ws_send(ws, f);
    }
    sim_frame_unref(f);
}
