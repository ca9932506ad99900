/* sim_binance_ws.c — Binance spot market streams on the public port.
 *
 * Connections: /stream?streams=a/b (and any /stream path) get every event wrapped as
 * {"stream":"<name>","data":{...}}; /ws/<stream> and /ws get bare events (Binance's two forms).
 * Live SUBSCRIBE / UNSUBSCRIBE / LIST_SUBSCRIPTIONS are answered {"result":...,"id":N}; errors
 * {"error":{"code","msg"},"id":N} (code 2 invalid request, 3 invalid JSON). Streams per symbol:
 *   <sym>@depth@100ms (and <sym>@depth)  one diff per recorded frame that changed the book: every
 *       level that changed, quantity "0" for a level gone, U = previous u + 1, u = U + changes - 1;
 *   <sym>@trade       every recorded trade, with our own trade ids;
 *   <sym>@bookTicker  the best bid/ask whenever they change, u = the depth chain's id.
 * The image the diffs are computed against is kept for every symbol whether or not anyone
 * subscribes, so /api/v3/depth and the chain always agree. The WebSocket API (ws_api, private
 * port) is sim_binance_wsapi.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/book.h"
#include "../core/log.h"
#include "sim_binance.h"

static int64_t ms_of(int64_t ns) { return ns / 1000000; }

/* The decimals numbers are written with: the book's wire decimals once it exists. */
static void decs(simd *s, int32_t sym, int *pd, int *pw, int *qd, int *qw)
{
    const th_instrument *in = &s->feed.instruments.v[sym];
    th_feed_symbol *fs = sym < s->feed.sym_cap ? s->feed.sym[sym] : NULL;
    *pd = in->price_dec; *qd = in->qty_dec;
    *pw = fs ? fs->book.wire_price_dec : 8;
    *qw = fs ? fs->book.wire_qty_dec : 8;
}

static void pair_text(sim_buf *o, int64_t px, int64_t q, int pd, int pw, int qd, int qw)
{
    sim_buf_puts(o, "[");
    sim_buf_dec(o, px, pd, pw, true);
    sim_buf_putc(o, ',');
    sim_buf_dec(o, q, qd, qw, true);
    sim_buf_puts(o, "],");
}

void bn_image_levels(simd *s, sim_buf *o, int32_t sym, int side, int32_t limit)
{
    const sim_image *im = &bn_of(s)->sym[sym].img;
    int pd, pw, qd, qw;
    decs(s, sym, &pd, &pw, &qd, &qw);
    sim_buf_putc(o, '[');
    for (int32_t i = 0; i < im->n[side] && i < limit; i++) pair_text(o, im->px[side][i], im->qty[side][i], pd, pw, qd, qw);
    sim_buf_unput(o, ',');
    sim_buf_putc(o, ']');
}

/* Queue the event in b->raw to every connection subscribed to `flag` of sym, bare or wrapped. */
static void fanout(simd *s, int32_t sym, int flag, const char *stream, int cls)
{
    bn_state *b = bn_of(s);
    sim_frame *bare = NULL, *wrapped = NULL;
    for (sim_ws *ws = s->srv.conns[SIM_PORT_PUBLIC]; ws; ws = ws->next) {
        bn_conn *c = ws->user;
        if (!c || !(c->subs[sym] & flag)) continue;
        sim_frame **f = c->combined ? &wrapped : &bare;
        if (!*f) {
            if (c->combined) {
                sim_buf_reset(&b->wrapped);
                sim_buf_printf(&b->wrapped, "{\"stream\":\"%s@%s\",\"data\":", b->sym[sym].lower, stream);
                sim_buf_put(&b->wrapped, sim_buf_text(&b->raw), b->raw.n);
                sim_buf_putc(&b->wrapped, '}');
                *f = b->wrapped.oom ? NULL : sim_frame_of(&b->wrapped);
            } else {
                *f = b->raw.oom ? NULL : sim_frame_of(&b->raw);
            }
            if (!*f) { sim_ws_close(ws, "out of memory"); continue; }
            (*f)->cls = (int16_t)cls;
            (*f)->sym = sym;
        }
        sim_ws_send(ws, *f);
    }
    if (bare) sim_frame_unref(bare);
    if (wrapped) sim_frame_unref(wrapped);
}

/* One changed level of a diff, as ["price","qty"] (sim_image_diff's callback). */
typedef struct diff_ctx {
    simd *s;
    sim_buf *o;
    int pd, pw, qd, qw;
} diff_ctx;

static void diff_level(void *ctx, int side, int64_t price, int64_t qty)
{
    (void)side;
    diff_ctx *d = ctx;
    pair_text(d->o, price, qty, d->pd, d->pw, d->qd, d->qw);
}

/* Write one side's differences between the image and the book into o; the image becomes the book.
 * Returns the number of changes, -1 out of memory. */
static int side_diff(simd *s, int32_t sym, int side, sim_buf *o)
{
    diff_ctx d = {.s = s, .o = o};
    decs(s, sym, &d.pd, &d.pw, &d.qd, &d.qw);
    return sim_image_diff(&bn_of(s)->sym[sym].img, &s->feed.sym[sym]->book, side, diff_level, &d);
}

static void book_ticker(simd *s, int32_t sym)
{
    bn_state *b = bn_of(s);
    bn_symbol *y = &b->sym[sym];
    const sim_image *im = &y->img;
    int64_t bid = im->n[TH_BID] ? im->px[TH_BID][0] : 0, bq = im->n[TH_BID] ? im->qty[TH_BID][0] : 0;
    int64_t ask = im->n[TH_ASK] ? im->px[TH_ASK][0] : 0, aq = im->n[TH_ASK] ? im->qty[TH_ASK][0] : 0;
    if (bid == y->bid && bq == y->bid_qty && ask == y->ask && aq == y->ask_qty) return;
    y->bid = bid; y->bid_qty = bq; y->ask = ask; y->ask_qty = aq;
    if (!y->ticker_subs) return;
    int pd, pw, qd, qw;
    decs(s, sym, &pd, &pw, &qd, &qw);
    sim_buf *o = &b->raw;
    sim_buf_reset(o);
    sim_buf_printf(o, "{\"u\":%llu,\"s\":", (unsigned long long)y->last_id);
    sim_buf_str(o, s->feed.instruments.v[sym].symbol);
    sim_buf_puts(o, ",\"b\":"); sim_buf_dec(o, bid, pd, pw, true);
    sim_buf_puts(o, ",\"B\":"); sim_buf_dec(o, bq, qd, qw, true);
    sim_buf_puts(o, ",\"a\":"); sim_buf_dec(o, ask, pd, pw, true);
    sim_buf_puts(o, ",\"A\":"); sim_buf_dec(o, aq, qd, qw, true);
    sim_buf_putc(o, '}');
    fanout(s, sym, BN_SUB_TICKER, "bookTicker", SIMF_MARKET);
}

void bn_book_changed(simd *s, int32_t sym)
{
    bn_state *b = bn_of(s);
    if (sym >= b->nsym || !s->feed.sym[sym]) return;
    bn_symbol *y = &b->sym[sym];
    sim_buf *o = &b->raw;
    sim_buf_reset(o);
    sim_buf_printf(o, "{\"e\":\"depthUpdate\",\"E\":%lld,\"s\":", (long long)ms_of(s->market_ns));
    sim_buf_str(o, s->feed.instruments.v[sym].symbol);
    size_t ids_at = o->n;
    sim_buf_puts(o, ",\"b\":[");
    int nb = side_diff(s, sym, TH_BID, o);
    sim_buf_unput(o, ',');
    sim_buf_puts(o, "],\"a\":[");
    int na = side_diff(s, sym, TH_ASK, o);
    sim_buf_unput(o, ',');
    sim_buf_puts(o, "]}");
    if (nb < 0 || na < 0 || o->oom) {
        /* the image is no longer what was published: a client must resync, as after a gap */
        th_logf(TH_LOG_ERROR, "sim: binance depth image: out of memory", "symbol=%s", s->feed.instruments.v[sym].symbol);
        return;
    }
    if (nb + na == 0) return;
    uint64_t U = y->last_id + 1, u = y->last_id + (uint64_t)(nb + na);
    y->last_id = u;
    if (y->depth_subs) {
        /* the ids go between the symbol and the levels, where Binance has them */
        char ids[64];
        int k = snprintf(ids, sizeof ids, ",\"U\":%llu,\"u\":%llu", (unsigned long long)U, (unsigned long long)u);
        sim_buf tail;
        sim_buf_init(&tail);
        sim_buf_put(&tail, sim_buf_text(o) + ids_at, o->n - ids_at);
        o->n = ids_at;
        sim_buf_put(o, ids, (size_t)k);
        sim_buf_put(o, sim_buf_text(&tail), tail.n);
        sim_buf_free(&tail);
        if (!o->oom) fanout(s, sym, BN_SUB_DEPTH, "depth@100ms", SIMF_BOOK_UPDATE);
    }
    book_ticker(s, sym);
}

void bn_trade(simd *s, int32_t sym, const th_trade_ev *t)
{
    bn_state *b = bn_of(s);
    if (sym >= b->nsym) return;
    bn_symbol *y = &b->sym[sym];
    uint64_t id = ++y->trade_id;
    if (!y->trade_subs) return;
    int pd, pw, qd, qw;
    decs(s, sym, &pd, &pw, &qd, &qw);
    sim_buf *o = &b->raw;
    sim_buf_reset(o);
    sim_buf_printf(o, "{\"e\":\"trade\",\"E\":%lld,\"s\":", (long long)ms_of(s->market_ns));
    sim_buf_str(o, s->feed.instruments.v[sym].symbol);
    sim_buf_printf(o, ",\"t\":%llu,\"p\":", (unsigned long long)id);
    sim_buf_dec(o, t->price, pd, pw, true);
    sim_buf_puts(o, ",\"q\":");
    sim_buf_dec(o, t->qty, qd, qw, true);
    /* m: the buyer was the maker, i.e. the seller took */
    sim_buf_printf(o, ",\"T\":%lld,\"m\":%s,\"M\":true}", (long long)ms_of(t->ts_ns ? t->ts_ns : s->market_ns),
                   t->side == TH_ASK ? "true" : "false");
    fanout(s, sym, BN_SUB_TRADE, "trade", SIMF_MARKET);
}

/* "<sym>@depth@100ms" -> symbol index and flag; -1 when not a stream served. */
static int32_t parse_stream(simd *s, const char *name, size_t n, int *flag)
{
    const char *at = memchr(name, '@', n);
    if (!at || at == name) return -1;
    size_t sl = (size_t)(at - name), rl = n - sl - 1;
    const char *rest = at + 1;
    if ((rl == 11 && memcmp(rest, "depth@100ms", 11) == 0) || (rl == 5 && memcmp(rest, "depth", 5) == 0)) *flag = BN_SUB_DEPTH;
    else if (rl == 5 && memcmp(rest, "trade", 5) == 0) *flag = BN_SUB_TRADE;
    else if (rl == 10 && memcmp(rest, "bookTicker", 10) == 0) *flag = BN_SUB_TICKER;
    else return -1;
    int32_t i = th_instruments_find(&s->feed.instruments, name, sl);
    return i < bn_of(s)->nsym ? i : -1;
}

static void set_sub(simd *s, bn_conn *c, int32_t sym, int flag, bool on)
{
    bn_symbol *y = &bn_of(s)->sym[sym];
    bool had = c->subs[sym] & flag;
    if (had == on) return;
    int delta = on ? 1 : -1;
    if (flag == BN_SUB_DEPTH) y->depth_subs += delta;
    else if (flag == BN_SUB_TRADE) y->trade_subs += delta;
    else y->ticker_subs += delta;
    if (on) c->subs[sym] |= (uint8_t)flag;
    else c->subs[sym] &= (uint8_t)~flag;
}

static void answer_head(sim_buf *o) { sim_buf_reset(o); }

static void send_answer(simd *s, sim_ws *ws, const char *result, const th_json *j, int id)
{
    sim_buf *o = &bn_of(s)->out;
    answer_head(o);
    sim_buf_printf(o, "{\"result\":%s,\"id\":", result);
    if (id >= 0) sim_buf_put(o, th_json_ptr(j, id) - (j->tok[id].type == TH_JSON_STRING), th_json_len(j, id) + 2 * (j->tok[id].type == TH_JSON_STRING));
    else sim_buf_puts(o, "null");
    sim_buf_putc(o, '}');
    sim_ws_send_tagged(ws, o, SIMF_ANSWER, -1);
}

static void send_error(simd *s, sim_ws *ws, int code, const char *msg, const th_json *j, int id)
{
    sim_buf *o = &bn_of(s)->out;
    answer_head(o);
    sim_buf_printf(o, "{\"error\":{\"code\":%d,\"msg\":", code);
    sim_buf_str(o, msg);
    sim_buf_puts(o, "},\"id\":");
    if (j && id >= 0) sim_buf_put(o, th_json_ptr(j, id) - (j->tok[id].type == TH_JSON_STRING), th_json_len(j, id) + 2 * (j->tok[id].type == TH_JSON_STRING));
    else sim_buf_puts(o, "null");
    sim_buf_putc(o, '}');
    sim_ws_send_tagged(ws, o, SIMF_ANSWER, -1);
}

static void list_subscriptions(simd *s, sim_ws *ws, bn_conn *c, const th_json *j, int id)
{
    bn_state *b = bn_of(s);
    sim_buf list;
    sim_buf_init(&list);
    sim_buf_putc(&list, '[');
    static const struct { int flag; const char *name; } K[] = {{BN_SUB_DEPTH, "depth@100ms"}, {BN_SUB_TRADE, "trade"}, {BN_SUB_TICKER, "bookTicker"}};
    for (int32_t i = 0; i < b->nsym; i++)
        for (int k = 0; k < 3; k++)
            if (c->subs[i] & K[k].flag) sim_buf_printf(&list, "\"%s@%s\",", b->sym[i].lower, K[k].name);
    sim_buf_unput(&list, ',');
    sim_buf_putc(&list, ']');
    send_answer(s, ws, sim_buf_text(&list), j, id);
    sim_buf_free(&list);
}

void bn_ws_message(simd *s, sim_ws *ws, const char *text, size_t n)
{
    bn_state *b = bn_of(s);
    bn_conn *c = ws->user;
    th_json *j = &b->json;
    if (!c) return;
    if (th_json_parse(j, text, n) < 0 || j->tok[0].type != TH_JSON_OBJECT) {
        send_error(s, ws, 3, "Invalid JSON: expected an object {\"method\",\"params\",\"id\"}", NULL, -1);
        return;
    }
    int id = th_json_get(j, 0, "id");
    if (id >= 0 && j->tok[id].type != TH_JSON_PRIMITIVE && j->tok[id].type != TH_JSON_STRING) id = -1;
    int m = th_json_get(j, 0, "method");
    char method[32] = "";
    if (m >= 0 && j->tok[m].type == TH_JSON_STRING) th_json_copy(j, m, method, sizeof method);
    if (strcmp(method, "LIST_SUBSCRIPTIONS") == 0) { list_subscriptions(s, ws, c, j, id); return; }
    bool sub = strcmp(method, "SUBSCRIBE") == 0;
    if (!sub && strcmp(method, "UNSUBSCRIBE") != 0) {
        send_error(s, ws, 2, "Invalid request: method must be SUBSCRIBE, UNSUBSCRIBE or LIST_SUBSCRIPTIONS", j, id);
        return;
    }
    int p = th_json_get(j, 0, "params");
    if (p < 0 || j->tok[p].type != TH_JSON_ARRAY) { send_error(s, ws, 2, "Invalid request: 'params' must be an array of stream names", j, id); return; }
    /* all or nothing: every name is checked before any takes effect */
    for (int pass = 0; pass < 2; pass++) {
        int e = p + 1;
        for (int k = 0; k < j->tok[p].size; k++, e = th_json_skip(j, e)) {
            int flag;
            int32_t sym = j->tok[e].type == TH_JSON_STRING ? parse_stream(s, th_json_ptr(j, e), th_json_len(j, e), &flag) : -1;
            if (sym < 0) {
                char msg[200];
                snprintf(msg, sizeof msg, "Invalid request: stream name '%.*s' is not served (<symbol>@depth@100ms, @depth, @trade or @bookTicker of a listed symbol)",
                         (int)(th_json_len(j, e) > 60 ? 60 : th_json_len(j, e)), th_json_ptr(j, e));
                send_error(s, ws, 2, msg, j, id);
                return;
            }
            if (pass == 1) set_sub(s, c, sym, flag, sub);
        }
    }
    send_answer(s, ws, "null", j, id);
}

void bn_ws_open(simd *s, sim_ws *ws)
{
    bn_state *b = bn_of(s);
    bn_conn *c = calloc(1, sizeof *c);
    if (c) c->subs = calloc((size_t)b->nsym + 1, 1);
    if (!c || !c->subs) {
        if (c) free(c);
        sim_ws_close(ws, "out of memory");
        return;
    }
    ws->user = c;
    const char *t = ws->target;
    c->combined = strncmp(t, "/stream", 7) == 0;
    /* the streams the URL names: /stream?streams=a/b/c or /ws/<stream> */
    const char *list = NULL;
    char sep = '/';
    if (c->combined) {
        const char *q = strstr(t, "streams=");
        if (q && (q[-1] == '?' || q[-1] == '&')) list = q + 8;
    } else if (strncmp(t, "/ws/", 4) == 0) {
        list = t + 4;
    }
    while (list && *list && *list != '&') {
        size_t len = strcspn(list, "/&");
        int flag;
        int32_t sym = parse_stream(s, list, len, &flag);
        if (sym >= 0) set_sub(s, c, sym, flag, true);
        else th_logf(TH_LOG_WARN, "sim: binance: a stream in the URL is not served", "stream=%.*s", (int)len, list);
        list += len;
        if (*list == sep) list++;
    }
}

void bn_ws_close(simd *s, sim_ws *ws)
{
    bn_conn *c = ws->user;
    if (!c) return;
    bn_state *b = bn_of(s);
    for (int32_t i = 0; i < b->nsym; i++)
        for (int f = 1; f <= BN_SUB_TICKER; f <<= 1) set_sub(s, c, i, f, false);
    free(c->subs);
    free(c);
    ws->user = NULL;
}
