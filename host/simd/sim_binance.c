/* sim_binance.c — the Binance spot venue of the sim: its sim_venue hooks, its state and the
 * endpoints line. The protocol is in sim_binance_{rest,private,ws}.c (see sim_binance.h). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim_binance.h"

static int bn_init(simd *s, const char **err)
{
    bn_state *b = calloc(1, sizeof *b);
    if (!b) { *err = "out of memory"; return -1; }
    s->vstate = b;
    sim_buf_init(&b->out);
    sim_buf_init(&b->raw);
    sim_buf_init(&b->wrapped);
    if (th_json_init(&b->json, 4096) != 0) { *err = "out of memory"; return -1; }
    const th_instruments *ins = &s->feed.instruments;
    b->nsym = ins->n;
    b->sym = calloc((size_t)ins->n + 1, sizeof *b->sym);
    if (!b->sym) { *err = "out of memory"; return -1; }
    for (int32_t i = 0; i < ins->n; i++) {
        char *l = b->sym[i].lower;
        snprintf(l, sizeof b->sym[i].lower, "%s", ins->v[i].symbol);
        for (; *l; l++) *l = (char)tolower((unsigned char)*l);
    }
    return 0;
}

static void bn_free(simd *s)
{
    bn_state *b = bn_of(s);
    if (!b) return;
    if (b->sym)
        for (int32_t i = 0; i < b->nsym; i++) sim_image_free(&b->sym[i].img);
    free(b->sym);
    th_json_free(&b->json);
    sim_buf_free(&b->out);
    sim_buf_free(&b->raw);
    sim_buf_free(&b->wrapped);
    bn_api_free(b);
    free(b);
    s->vstate = NULL;
}

/* The public port serves the market streams, the private one the WebSocket API. */
static void bn_ws_open_any(simd *s, sim_ws *ws)
{
    if (ws->port == SIM_PORT_PRIVATE) bn_api_open(s, ws);
    else bn_ws_open(s, ws);
}
static void bn_ws_message_any(simd *s, sim_ws *ws, const char *text, size_t n)
{
    if (ws->port == SIM_PORT_PRIVATE) bn_api_message(s, ws, text, n);
    else bn_ws_message(s, ws, text, n);
}
static void bn_ws_close_any(simd *s, sim_ws *ws)
{
    if (ws->port == SIM_PORT_PRIVATE) bn_api_close(s, ws);
    else bn_ws_close(s, ws);
}

/* rest: REST base (ccxt: urls.api.public = rest + "/api/v3"); ws_streams: the combined stream
 * endpoint (/stream?streams=a/b; /ws/<stream> and /ws serve bare events); ws_api: the WebSocket API
 * path on the private port (sim_binance_wsapi.c). */
static void bn_endpoints(simd *s, sim_buf *o)
{
    const char *h = strcmp(s->host, "::1") == 0 ? "[::1]" : s->host;
    int p = s->srv.port[SIM_PORT_PUBLIC], q = s->srv.port[SIM_PORT_PRIVATE];
    sim_buf_printf(o, "{\"venue\":\"binance\",\"rest\":\"http://%s:%d\",\"ws_streams\":\"ws://%s:%d/stream\","
                      "\"ws_api\":\"ws://%s:%d/ws-api/v3\",\"control\":\"http://%s:%d/_sim\"}", h, p, h, p, h, q, h, p);
}

/* GET /_sim/state spells the engine's own ids (decimal); Binance's orderId is the placement
 * sequence (sim_binance_private.c). */
static void bn_id_text(char prefix, uint64_t id, char out[32])
{
    (void)prefix;
    snprintf(out, 32, "%llu", (unsigned long long)id);
}

const sim_venue SIM_VENUE_BINANCE = {
    .name = "binance",
    .feed_venue = TH_VENUE_BINANCE,
    .init = bn_init,
    .free = bn_free,
    .endpoints = bn_endpoints,
    .http = bn_rest,
    .ws_open = bn_ws_open_any,
    .ws_message = bn_ws_message_any,
    .ws_close = bn_ws_close_any,
    .book_changed = bn_book_changed,
    .trade = bn_trade,
    .id_text = bn_id_text,
    .rate_model = TH_SIM_RATE_NONE,
    .order_event = bn_order_event,
    .tick = bn_ws_pings,
    .rate_limited = bn_rate_limited,
    .rate_limit_body = "{\"code\":-1015,\"msg\":\"Too many new orders.\"}",
    .public_rate_limit_body = "{\"code\":-1003,\"msg\":\"Too many requests.\"}",
    .unavailable_body = "{\"code\":-1001,\"msg\":\"Internal error; unable to process your request. Please try again.\"}",
};
