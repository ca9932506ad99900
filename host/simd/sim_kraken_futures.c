/* sim_kraken_futures.c — the Kraken Futures venue of the sim: public market data only (the lead
 * market for spot strategies), in Kraken Futures' own WebSocket v1 and REST shapes.
 *
 * WS v1 (ws_public, path /ws/v1): {"event":"info","version":1} on connect; {"event":"subscribe"|
 * "unsubscribe","feed":F,"product_ids":[...]} for book, trade, ticker, ticker_lite (and heartbeat,
 * no products), answered {"event":"subscribed"|"unsubscribed","feed","product_ids":[P]} once per
 * product with the product id upper-case, as the exchange does; errors {"event":"error","message"}
 * ("Json Error", "Invalid feed", "Invalid product id"). A book subscription gets a `book_snapshot`
 * (every level of the book, with its seq) and then one `book` delta per changed level, each with
 * the product's next seq (strictly +1), qty 0 for a level gone; the deltas are the differences
 * between what the stream has described (sim_image) and the book after each recorded frame. The
 * seq of a product starts at the recording's snapshot seq and counts the sim's own deltas.
 * `trade` gets an empty trade_snapshot (no history is kept) and then every recorded trade with the
 * sim's own uid and seq; `ticker` and `ticker_lite` go out when the best bid/ask changes or a trade
 * prints; `heartbeat` every 5 s. Private feeds (challenge) are refused with an alert.
 *
 * REST: GET /derivatives/api/v3/instruments serves the recorded instruments document (--instruments)
 * itself, with the current serverTime and the product ids upper-case; /derivatives/api/v3/orderbook
 * ?symbol= the stream's image. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/clock.h"
#include "../core/json.h"
#include "../core/log.h"
#include "sim_image.h"
#include "sim_kraken.h" /* kr_form_get */
#include "simd.h"

#define KF_HEARTBEAT_NS 5000000000LL

enum { KF_BOOK = 1, KF_TRADE = 2, KF_TICKER = 4, KF_LITE = 8 };
static const struct { const char *name; int flag; } FEEDS[] = {
    {"book", KF_BOOK}, {"trade", KF_TRADE}, {"ticker", KF_TICKER}, {"ticker_lite", KF_LITE}};

typedef struct kf_symbol {
    char upper[32];            /* the product id as WS v1 spells it: PI_XBTUSD */
    sim_image img;
    bool seeded;               /* the first book seen: its seq starts ours */
    int64_t seq;
    int subs[4];               /* subscribers per feed (FEEDS order) */
    uint64_t trade_seq;
    int64_t last, first, volume; /* trades over the replay: last and first price, volume (qty units) */
    int64_t bid, ask;          /* what the last ticker said */
} kf_symbol;

typedef struct kf_conn {
    uint8_t *subs;             /* per product: KF_* flags */
    bool heartbeat;
    int64_t hb_ns;
} kf_conn;

typedef struct kf_state {
    kf_symbol *sym;
    int32_t nsym;
    sim_buf out;
    th_json json;
    char *doc;                 /* the recorded REST instruments document */
    size_t doc_n;
    int32_t cur;               /* the product whose deltas are being sent */
} kf_state;

static kf_state *kf_of(simd *s) { return s->vstate; }
static int64_t ms_of(int64_t ns) { return ns / 1000000; }

/* ---- numbers: bare JSON numbers with the recording's decimals, at least one (Kraken Futures
 * writes its doubles 439.3, 20108.0) ---- */

static void px_text(simd *s, sim_buf *o, int32_t sym, int64_t v)
{
    const th_instrument *in = &s->feed.instruments.v[sym];
    th_feed_symbol *fs = sym < s->feed.sym_cap ? s->feed.sym[sym] : NULL;
    int wire = fs ? fs->book.wire_price_dec : in->price_dec;
    sim_buf_dec(o, v, in->price_dec, wire < 1 ? 1 : wire, false);
}

static void qty_text(simd *s, sim_buf *o, int32_t sym, int64_t v)
{
    const th_instrument *in = &s->feed.instruments.v[sym];
    th_feed_symbol *fs = sym < s->feed.sym_cap ? s->feed.sym[sym] : NULL;
    int wire = fs ? fs->book.wire_qty_dec : in->qty_dec;
    sim_buf_dec(o, v, in->qty_dec, wire < 1 ? 1 : wire, false);
}

/* ---- fan-out ---- */

static void fanout(simd *s, int32_t sym, int flag, int cls)
{
    kf_state *k = kf_of(s);
    sim_frame *f = NULL;
    for (sim_ws *ws = s->srv.conns[SIM_PORT_PUBLIC]; ws; ws = ws->next) {
        kf_conn *c = ws->user;
        if (!c || !(c->subs[sym] & flag)) continue;
        if (!f) {
            if (k->out.oom || !(f = sim_frame_of(&k->out))) return;
            f->cls = (int16_t)cls;
            f->sym = sym;
        }
        sim_ws_send(ws, f);
    }
    if (f) sim_frame_unref(f);
}

static void snapshot_frame(simd *s, sim_buf *o, int32_t sym)
{
    kf_symbol *y = &kf_of(s)->sym[sym];
    sim_buf_reset(o);
    sim_buf_puts(o, "{\"feed\":\"book_snapshot\",\"product_id\":");
    sim_buf_str(o, y->upper);
    sim_buf_printf(o, ",\"timestamp\":%lld,\"seq\":%lld,\"tickSize\":null", (long long)ms_of(s->market_ns), (long long)y->seq);
    for (int side = 0; side < 2; side++) {
        sim_buf_puts(o, side == TH_BID ? ",\"bids\":[" : ",\"asks\":[");
        for (int32_t i = 0; i < y->img.n[side]; i++) {
            sim_buf_puts(o, "{\"price\":");
            px_text(s, o, sym, y->img.px[side][i]);
            sim_buf_puts(o, ",\"qty\":");
            qty_text(s, o, sym, y->img.qty[side][i]);
            sim_buf_puts(o, "},");
        }
        sim_buf_unput(o, ',');
        sim_buf_putc(o, ']');
    }
    sim_buf_putc(o, '}');
}

static void ticker_frames(simd *s, int32_t sym, bool force, sim_ws *only)
{
    kf_state *k = kf_of(s);
    kf_symbol *y = &k->sym[sym];
    const sim_image *im = &y->img;
    int64_t bid = im->n[TH_BID] ? im->px[TH_BID][0] : 0, ask = im->n[TH_ASK] ? im->px[TH_ASK][0] : 0;
    if (!force && bid == y->bid && ask == y->ask) return;
    y->bid = bid;
    y->ask = ask;
    const th_instrument *in = &s->feed.instruments.v[sym];
    for (int lite = 0; lite < 2; lite++) {
        if (!only && !y->subs[lite ? 3 : 2]) continue;
        if (only && !(((kf_conn *)only->user)->subs[sym] & (lite ? KF_LITE : KF_TICKER))) continue;
        sim_buf *o = &k->out;
        sim_buf_reset(o);
        sim_buf_printf(o, "{\"feed\":\"%s\",\"product_id\":", lite ? "ticker_lite" : "ticker");
        sim_buf_str(o, y->upper);
        sim_buf_puts(o, ",\"bid\":");
        px_text(s, o, sym, bid);
        sim_buf_puts(o, ",\"ask\":");
        px_text(s, o, sym, ask);
        if (!lite) {
            sim_buf_puts(o, ",\"bid_size\":");
            qty_text(s, o, sym, im->n[TH_BID] ? im->qty[TH_BID][0] : 0);
            sim_buf_puts(o, ",\"ask_size\":");
            qty_text(s, o, sym, im->n[TH_ASK] ? im->qty[TH_ASK][0] : 0);
            sim_buf_puts(o, ",\"last\":");
            px_text(s, o, sym, y->last);
        }
        /* change in percent over the replay (the sim keeps no 24-hour history) */
        double change = y->first ? 100.0 * (double)(y->last - y->first) / (double)y->first : 0.0;
        sim_buf_printf(o, ",\"change\":%.6f,\"volume\":", change);
        qty_text(s, o, sym, y->volume);
        sim_buf_printf(o, ",\"suspended\":%s,\"time\":%lld}", in->online ? "false" : "true", (long long)ms_of(s->market_ns));
        if (only) sim_ws_send_tagged(only, o, SIMF_MARKET, sym);
        else fanout(s, sym, lite ? KF_LITE : KF_TICKER, SIMF_MARKET);
    }
}

/* one `book` delta per changed level, each the product's next seq */
static void delta(void *ctx, int side, int64_t price, int64_t qty)
{
    simd *s = ctx;
    kf_state *k = kf_of(s);
    kf_symbol *y = &k->sym[k->cur];
    y->seq++;
    if (!y->subs[0]) return;
    sim_buf *o = &k->out;
    sim_buf_reset(o);
    sim_buf_puts(o, "{\"feed\":\"book\",\"product_id\":");
    sim_buf_str(o, y->upper);
    sim_buf_printf(o, ",\"side\":\"%s\",\"seq\":%lld,\"price\":", side == TH_BID ? "buy" : "sell", (long long)y->seq);
    px_text(s, o, k->cur, price);
    sim_buf_puts(o, ",\"qty\":");
    qty_text(s, o, k->cur, qty);
    sim_buf_printf(o, ",\"timestamp\":%lld}", (long long)ms_of(s->market_ns));
    fanout(s, k->cur, KF_BOOK, SIMF_BOOK_UPDATE);
}

static void nothing(void *ctx, int side, int64_t price, int64_t qty) { (void)ctx; (void)side; (void)price; (void)qty; }

static void kf_book_changed(simd *s, int32_t sym)
{
    kf_state *k = kf_of(s);
    if (sym >= k->nsym || !s->feed.sym[sym]) return;
    kf_symbol *y = &k->sym[sym];
    const th_book *bk = &s->feed.sym[sym]->book;
    int rc = 0;
    if (!y->seeded) {
        /* the product's first book: its seq is the recording's, and subscribers waiting for it
         * get the snapshot */
        y->seeded = true;
        y->seq = bk->seq;
        rc = sim_image_diff(&y->img, bk, TH_BID, nothing, s) < 0 || sim_image_diff(&y->img, bk, TH_ASK, nothing, s) < 0;
        if (!rc && y->subs[0]) {
            snapshot_frame(s, &k->out, sym);
            fanout(s, sym, KF_BOOK, SIMF_BOOK_SNAPSHOT);
        }
    } else {
        k->cur = sym;
        rc = sim_image_diff(&y->img, bk, TH_BID, delta, s) < 0 || sim_image_diff(&y->img, bk, TH_ASK, delta, s) < 0;
    }
    if (rc) {
        th_logf(TH_LOG_ERROR, "sim: kraken-futures book image: out of memory", "product=%s", y->upper);
        return;
    }
    ticker_frames(s, sym, false, NULL);
}

static void kf_trade(simd *s, int32_t sym, const th_trade_ev *t)
{
    kf_state *k = kf_of(s);
    if (sym >= k->nsym) return;
    kf_symbol *y = &k->sym[sym];
    uint64_t n = ++y->trade_seq;
    y->last = t->price;
    if (!y->first) y->first = t->price;
    y->volume += t->qty;
    if (y->subs[1]) {
        sim_buf *o = &k->out;
        sim_buf_reset(o);
        sim_buf_puts(o, "{\"feed\":\"trade\",\"product_id\":");
        sim_buf_str(o, y->upper);
        /* uid: a UUID-shaped id of the sim's own (product, trade number) */
        sim_buf_printf(o, ",\"uid\":\"%08x-0000-4000-8000-%012llx\",\"side\":\"%s\",\"type\":\"fill\",\"seq\":%llu,\"time\":%lld,\"qty\":",
                       (unsigned)sym, (unsigned long long)n, t->side == TH_ASK ? "sell" : "buy", (unsigned long long)n,
                       (long long)ms_of(t->ts_ns ? t->ts_ns : s->market_ns));
        qty_text(s, o, sym, t->qty);
        sim_buf_puts(o, ",\"price\":");
        px_text(s, o, sym, t->price);
        sim_buf_putc(o, '}');
        fanout(s, sym, KF_TRADE, SIMF_MARKET);
    }
    ticker_frames(s, sym, true, NULL);
}

/* ---- requests ---- */

static void event_error(simd *s, sim_ws *ws, const char *event, const char *msg)
{
    sim_buf *o = &kf_of(s)->out;
    sim_buf_reset(o);
    sim_buf_printf(o, "{\"event\":\"%s\",\"message\":", event);
    sim_buf_str(o, msg);
    sim_buf_putc(o, '}');
    sim_ws_send_tagged(ws, o, SIMF_ANSWER, -1);
}

static void set_sub(simd *s, kf_conn *c, int32_t sym, int fi, bool on)
{
    int flag = FEEDS[fi].flag;
    bool had = c->subs[sym] & flag;
    if (had == on) return;
    kf_of(s)->sym[sym].subs[fi] += on ? 1 : -1;
    if (on) c->subs[sym] |= (uint8_t)flag;
    else c->subs[sym] &= (uint8_t)~flag;
}

static void ack(simd *s, sim_ws *ws, bool sub, const char *feed, const char *product)
{
    sim_buf *o = &kf_of(s)->out;
    sim_buf_reset(o);
    sim_buf_printf(o, "{\"event\":\"%s\",\"feed\":\"%s\"", sub ? "subscribed" : "unsubscribed", feed);
    if (product) {
        sim_buf_puts(o, ",\"product_ids\":[");
        sim_buf_str(o, product);
        sim_buf_putc(o, ']');
    }
    sim_buf_putc(o, '}');
    sim_ws_send_tagged(ws, o, SIMF_ANSWER, -1);
}

static void kf_ws_message(simd *s, sim_ws *ws, const char *text, size_t n)
{
    kf_state *k = kf_of(s);
    kf_conn *c = ws->user;
    th_json *j = &k->json;
    if (ws->port == SIM_PORT_PRIVATE || !c) { event_error(s, ws, "alert", "Private feeds are not served by this sim"); return; }
    if (th_json_parse(j, text, n) < 0 || j->tok[0].type != TH_JSON_OBJECT) { event_error(s, ws, "error", "Json Error"); return; }
    int ev = th_json_get(j, 0, "event"), fd = th_json_get(j, 0, "feed"), pids = th_json_get(j, 0, "product_ids");
    bool sub = ev >= 0 && th_json_eq(j, ev, "subscribe"), unsub = ev >= 0 && th_json_eq(j, ev, "unsubscribe");
    if (ev >= 0 && th_json_eq(j, ev, "challenge")) { event_error(s, ws, "alert", "Private feeds are not served by this sim"); return; }
    if (!sub && !unsub) { event_error(s, ws, "error", "Json Error"); return; }
    if (fd >= 0 && th_json_eq(j, fd, "heartbeat")) {
        c->heartbeat = sub;
        c->hb_ns = th_mono_ns();
        ack(s, ws, sub, "heartbeat", NULL);
        return;
    }
    int fi = -1;
    for (int i = 0; fd >= 0 && i < 4; i++)
        if (th_json_eq(j, fd, FEEDS[i].name)) fi = i;
    if (fi < 0) { event_error(s, ws, "error", "Invalid feed"); return; }
    if (pids < 0 || j->tok[pids].type != TH_JSON_ARRAY || j->tok[pids].size == 0) { event_error(s, ws, "error", "Invalid product id"); return; }
    /* all or nothing: every product is checked before any takes effect */
    for (int pass = 0; pass < 2; pass++) {
        int e = pids + 1;
        for (int q = 0; q < j->tok[pids].size; q++, e = th_json_skip(j, e)) {
            int32_t sym = j->tok[e].type == TH_JSON_STRING ? th_instruments_find(&s->feed.instruments, th_json_ptr(j, e), th_json_len(j, e)) : -1;
            if (sym < 0 || sym >= k->nsym) { event_error(s, ws, "error", "Invalid product id"); return; }
            if (pass == 0) continue;
            kf_symbol *y = &k->sym[sym];
            set_sub(s, c, sym, fi, sub);
            ack(s, ws, sub, FEEDS[fi].name, y->upper);
            if (!sub) continue;
            if (fi == 0 && y->seeded) {
                snapshot_frame(s, &k->out, sym);
                sim_ws_send_tagged(ws, &k->out, SIMF_BOOK_SNAPSHOT, sym);
            } else if (fi == 1) {
                sim_buf_reset(&k->out);
                sim_buf_puts(&k->out, "{\"feed\":\"trade_snapshot\",\"product_id\":");
                sim_buf_str(&k->out, y->upper);
                sim_buf_puts(&k->out, ",\"trades\":[]}");
                sim_ws_send_tagged(ws, &k->out, SIMF_MARKET, sym);
            } else if (fi >= 2 && y->seeded) {
                ticker_frames(s, sym, true, ws);
            }
        }
    }
}

static void kf_ws_open(simd *s, sim_ws *ws)
{
    if (ws->port == SIM_PORT_PRIVATE) return;
    kf_conn *c = calloc(1, sizeof *c);
    if (c) c->subs = calloc((size_t)kf_of(s)->nsym + 1, 1);
    if (!c || !c->subs) {
        free(c);
        sim_ws_close(ws, "out of memory");
        return;
    }
    ws->user = c;
    sim_buf *o = &kf_of(s)->out;
    sim_buf_reset(o);
    sim_buf_puts(o, "{\"event\":\"info\",\"version\":1}");
    sim_ws_send_tagged(ws, o, SIMF_STATUS, -1);
}

static void kf_ws_close(simd *s, sim_ws *ws)
{
    kf_conn *c = ws->user;
    if (!c) return;
    for (int32_t i = 0; i < kf_of(s)->nsym; i++)
        for (int fi = 0; fi < 4; fi++) set_sub(s, c, i, fi, false);
    free(c->subs);
    free(c);
    ws->user = NULL;
}

static void kf_tick(simd *s)
{
    int64_t now = th_mono_ns();
    static const char HB[] = "{\"feed\":\"heartbeat\",\"time\":";
    for (sim_ws *ws = s->srv.conns[SIM_PORT_PUBLIC]; ws; ws = ws->next) {
        kf_conn *c = ws->user;
        if (!c || !c->heartbeat || now - c->hb_ns < KF_HEARTBEAT_NS) continue;
        c->hb_ns = now;
        sim_buf *o = &kf_of(s)->out;
        sim_buf_reset(o);
        sim_buf_printf(o, "%s%lld}", HB, (long long)ms_of(simd_wall_ns()));
        sim_ws_send_tagged(ws, o, SIMF_HEARTBEAT, -1);
    }
}

/* ---- REST ---- */

static void server_time(sim_buf *o)
{
    sim_buf_puts(o, "\"serverTime\":");
    sim_buf_time(o, simd_wall_ns());
}

static void rest_error(sim_http_resp *r, int status, const char *err)
{
    r->status = status;
    sim_buf_reset(&r->body);
    sim_buf_puts(&r->body, "{\"result\":\"error\",");
    server_time(&r->body);
    sim_buf_puts(&r->body, ",\"error\":");
    sim_buf_str(&r->body, err);
    sim_buf_putc(&r->body, '}');
}

static void kf_rest(simd *s, const sim_http_req *req, sim_http_resp *r)
{
    kf_state *k = kf_of(s);
    if (strcmp(req->method, "GET") != 0) { rest_error(r, 405, "Method not allowed: the sim serves GET instruments and orderbook"); return; }
    if (strcmp(req->path, "/derivatives/api/v3/instruments") == 0) {
        /* the recorded document, its serverTime now */
        const char *st = strstr(k->doc, "\"serverTime\":\"");
        const char *end = st ? strchr(st + 14, '"') : NULL;
        if (!st || !end) { sim_buf_put(&r->body, k->doc, k->doc_n); return; }
        sim_buf_put(&r->body, k->doc, (size_t)(st - k->doc));
        server_time(&r->body);
        sim_buf_puts(&r->body, end + 1);
        return;
    }
    if (strcmp(req->path, "/derivatives/api/v3/orderbook") == 0) {
        char sym[64];
        int32_t i = kr_form_get(req->query, "symbol", sym, sizeof sym) ? th_instruments_find(&s->feed.instruments, sym, strlen(sym)) : -1;
        if (i < 0 || i >= k->nsym) { rest_error(r, 400, "invalidArgument: symbol"); return; }
        const sim_image *im = &k->sym[i].img;
        sim_buf *o = &r->body;
        sim_buf_puts(o, "{\"result\":\"success\",");
        server_time(o);
        sim_buf_puts(o, ",\"orderBook\":{");
        for (int side = 0; side < 2; side++) {
            sim_buf_puts(o, side == TH_BID ? "\"bids\":[" : ",\"asks\":[");
            for (int32_t n = 0; n < im->n[side]; n++) {
                sim_buf_putc(o, '[');
                px_text(s, o, i, im->px[side][n]);
                sim_buf_putc(o, ',');
                qty_text(s, o, i, im->qty[side][n]);
                sim_buf_puts(o, "],");
            }
            sim_buf_unput(o, ',');
            sim_buf_putc(o, ']');
        }
        sim_buf_puts(o, "}}");
        return;
    }
    char msg[320];
    snprintf(msg, sizeof msg, "%s %s is not served by this sim (served: GET /derivatives/api/v3/instruments, orderbook)", req->method, req->path);
    rest_error(r, 404, msg);
}

/* ---- the venue ---- */

/* The recorded REST document: the file itself, or its recording line's JSON ("<url> -> <ts>: {...}"). */
static int load_doc(simd *s, kf_state *k, const char **err)
{
    FILE *f = fopen(s->opt.instruments, "rb");
    if (!f) { *err = "--instruments: cannot read the file"; return -1; }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, f)) > 0) {
        char *brace = strchr(line, '{');
        if (!brace || !strstr(brace, "\"instruments\"")) continue;
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = 0;
        k->doc_n = strlen(brace);
        k->doc = strndup(brace, k->doc_n);
        break;
    }
    free(line);
    fclose(f);
    if (!k->doc) { *err = "--instruments: no Kraken Futures instruments document in the file"; return -1; }
    /* product ids upper-case, as the WS v1 feeds spell them and as the REST API writes them today
     * (the 2021 recording has them lower-case; a client keying markets by the REST id, ccxt,
     * must find the feeds' product_id) */
    for (char *p = strstr(k->doc, "\"symbol\":\""); p; p = strstr(p, "\"symbol\":\""))
        for (p += 10; *p && *p != '"'; p++) *p = (char)toupper((unsigned char)*p);
    return 0;
}

static int kf_init(simd *s, const char **err)
{
    kf_state *k = calloc(1, sizeof *k);
    if (!k) { *err = "out of memory"; return -1; }
    s->vstate = k;
    sim_buf_init(&k->out);
    if (th_json_init(&k->json, 4096) != 0) { *err = "out of memory"; return -1; }
    const th_instruments *ins = &s->feed.instruments;
    k->nsym = ins->n;
    k->sym = calloc((size_t)ins->n + 1, sizeof *k->sym);
    if (!k->sym) { *err = "out of memory"; return -1; }
    for (int32_t i = 0; i < ins->n; i++) {
        char *u = k->sym[i].upper;
        snprintf(u, sizeof k->sym[i].upper, "%s", ins->v[i].symbol);
        for (; *u; u++) *u = (char)toupper((unsigned char)*u);
    }
    return load_doc(s, k, err);
}

static void kf_free(simd *s)
{
    kf_state *k = kf_of(s);
    if (!k) return;
    if (k->sym)
        for (int32_t i = 0; i < k->nsym; i++) sim_image_free(&k->sym[i].img);
    free(k->sym);
    free(k->doc);
    th_json_free(&k->json);
    sim_buf_free(&k->out);
    free(k);
    s->vstate = NULL;
}

/* rest: REST base (ccxt: urls.api.public = rest + "/derivatives/api/"); ws_public: WS v1 */
static void kf_endpoints(simd *s, sim_buf *o)
{
    const char *h = strcmp(s->host, "::1") == 0 ? "[::1]" : s->host;
    int p = s->srv.port[SIM_PORT_PUBLIC];
    sim_buf_printf(o, "{\"venue\":\"kraken-futures\",\"rest\":\"http://%s:%d\",\"ws_public\":\"ws://%s:%d/ws/v1\","
                      "\"control\":\"http://%s:%d/_sim\"}", h, p, h, p, h, p);
}

static void kf_id_text(char prefix, uint64_t id, char out[32])
{
    (void)prefix;
    snprintf(out, 32, "%llu", (unsigned long long)id);
}

const sim_venue SIM_VENUE_KRAKEN_FUTURES = {
    .name = "kraken-futures",
    .feed_venue = TH_VENUE_KRAKEN_FUTURES,
    .market_only = true,
    .init = kf_init,
    .free = kf_free,
    .endpoints = kf_endpoints,
    .http = kf_rest,
    .ws_open = kf_ws_open,
    .ws_message = kf_ws_message,
    .ws_close = kf_ws_close,
    .book_changed = kf_book_changed,
    .trade = kf_trade,
    .tick = kf_tick,
    .id_text = kf_id_text,
    .rate_model = TH_SIM_RATE_NONE,
    .rate_limit_body = "{\"result\":\"error\",\"error\":\"apiLimitExceeded\"}",
    .public_rate_limit_body = "{\"result\":\"error\",\"error\":\"apiLimitExceeded\"}",
    .unavailable_body = "{\"result\":\"error\",\"error\":\"Unavailable\"}",
};
