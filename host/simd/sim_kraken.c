/* sim_kraken.c — the Kraken spot venue of the sim: its sim_venue hooks, its state, and the
 * endpoints line. The protocol itself is in sim_kraken_{rest,ws,book,names}.c (see sim_kraken.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim_crypto.h"
#include "sim_kraken.h"

static int kr_init(simd *s, const char **err)
{
    kr_state *k = calloc(1, sizeof *k);
    if (!k) { *err = "out of memory"; return -1; }
    s->vstate = k;
    sim_buf_init(&k->out);
    if (th_json_init(&k->json, 4096) != 0) { *err = "out of memory"; return -1; }
    if (kr_names_build(s, err) != 0) return -1;
    k->sym = calloc((size_t)k->npairs + 1, sizeof *k->sym);
    if (!k->sym) { *err = "out of memory"; return -1; }
    return 0;
}

static void kr_free(simd *s)
{
    kr_state *k = kr_of(s);
    if (!k) return;
    if (k->sym)
        for (int32_t i = 0; i < k->npairs; i++)
            for (int d = 0; d < KR_NDEPTHS; d++)
                for (int side = 0; side < 2; side++) {
                    free(k->sym[i].pub[d].px[side]);
                    free(k->sym[i].pub[d].qty[side]);
                }
    free(k->sym);
    kr_book_free(k);
    kr_auth_free(k);
    kr_exec_free(k);
    kr_names_free(k);
    th_json_free(&k->json);
    sim_buf_free(&k->out);
    free(k);
    s->vstate = NULL;
}

static void kr_endpoints(simd *s, sim_buf *o)
{
    const char *h = strcmp(s->host, "::1") == 0 ? "[::1]" : s->host;
    int p = s->srv.port[SIM_PORT_PUBLIC], q = s->srv.port[SIM_PORT_PRIVATE];
    sim_buf_printf(o, "{\"venue\":\"kraken\",\"rest\":\"http://%s:%d\",\"ws_public\":\"ws://%s:%d/v2\","
                      "\"ws_private\":\"ws://%s:%d/v2\",\"control\":\"http://%s:%d/_sim\"", h, p, h, p, h, q, h, p);
    sim_buf_putc(o, '}');
}

static void kr_ws_open(simd *s, sim_ws *ws)
{
    if (ws->port == SIM_PORT_PRIVATE) kr_ws_private_open(s, ws);
    else kr_ws_public_open(s, ws);
}
static void kr_ws_message(simd *s, sim_ws *ws, const char *t, size_t n)
{
    if (ws->port == SIM_PORT_PRIVATE) kr_ws_private_message(s, ws, t, n);
    else kr_ws_public_message(s, ws, t, n);
}
static void kr_ws_close(simd *s, sim_ws *ws)
{
    if (ws->port == SIM_PORT_PRIVATE) kr_ws_private_close(s, ws);
    else kr_ws_public_close(s, ws);
}

/* Engine names are the v2 ones; an accounts file may use Kraken's REST ids (ZUSD, XXBT). */
static int kr_asset_name(simd *s, const char *name, char *out, size_t cap)
{
    int32_t i = kr_asset_find(kr_of(s), name, strlen(name));
    if (i < 0) return -1;
    snprintf(out, cap, "%s", kr_of(s)->assets[i].v2);
    return 0;
}

static const char *kr_secret_check(const char *secret)
{
    unsigned char raw[256];
    return simd_b64_decode(secret, strlen(secret), raw, sizeof raw) > 0 ? NULL
                                                                         : "\"secret\": Kraken secrets are base64 (the API's private key)";
}

static void kr_reset(simd *s)
{
    /* the engine's order ids start again: held events and subscriptions' sequences stay valid */
    kr_state *k = kr_of(s);
    (void)k;
}

static void kr_trade(simd *s, int32_t sym, const th_trade_ev *t) { kr_ws_trade(s, sym, t); }

static void kr_tick(simd *s) { kr_ws_heartbeats(s); }

const sim_venue SIM_VENUE_KRAKEN = {
    .name = "kraken",
    .feed_venue = TH_VENUE_KRAKEN,
    .init = kr_init,
    .free = kr_free,
    .endpoints = kr_endpoints,
    .http = kr_rest,
    .ws_open = kr_ws_open,
    .ws_message = kr_ws_message,
    .ws_close = kr_ws_close,
    .book_changed = kr_book_changed,
    .trade = kr_trade,
    .tick = kr_tick,
    .reset = kr_reset,
    .rate_model = TH_SIM_RATE_KRAKEN,
    .order_event = kr_order_event,
    .asset_name = kr_asset_name,
    .secret_check = kr_secret_check,
    .id_text = kr_id_text,
    .rate_limit_body = "{\"error\":[\"EOrder:Rate limit exceeded\"]}",
    .public_rate_limit_body = "{\"error\":[\"EGeneral:Too many requests\"]}",
    .unavailable_body = "{\"error\":[\"EService:Unavailable\"]}",
};
