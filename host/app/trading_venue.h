/* trading_venue.h — the order side's live venue connector, from the config: which connector
 * (`venue.name`), where (`venue.endpoints`, default the venue's own TLS URLs), with which
 * credentials (the environment variables `venue.credentials` names; never logged), and the
 * venue's own rate model for the order flow (Kraken: the per-pair counter of `venue.tier`, the
 * same table the sim enforces, host/sim/kraken_rate_counter.c).
 *
 * Apart from trading.c because it is the one place that knows which venues have a connector: a
 * second venue is its connector file (host/connectors/) and one branch here. */
#ifndef TH_TRADING_VENUE_H
#define TH_TRADING_VENUE_H

#include <stdbool.h>
#include <uv.h>

#include "../connectors/binance_spot.h"
#include "../connectors/kraken_spot.h"
#include "../core/order_flow.h"
#include "../lua/lua_host.h"

typedef struct th_trading_venue {
    bool open;
    bool binance;           /* which of the two is open */
    th_kraken_spot ks;
    th_binance_spot bs;
    th_flow *flow;          /* for the reconnect hook */
    th_balances *bal;       /* the order side's balance store, handed to the connector */
} th_trading_venue;

/* Whether the venue named in the config has an order connector. */
bool th_trading_venue_supported(const char *venue);
/* The venue's rate model into the flow's config (before th_flow_init). */
void th_trading_venue_rates(th_lua *lua, const char *venue, th_flow_cfg *c);
/* Open the connector (its connections start on the loop). 0 with *out set, or -1 with *err. */
int th_trading_venue_open(th_trading_venue *v, th_lua *lua, uv_loop_t *loop, const char *venue, const th_instruments *ins,
                          th_venue *out, const char **err);
/* The flow exists: its events go to the connector's answers, and a reconnect reconciles. */
void th_trading_venue_wire(th_trading_venue *v, th_flow *f);
/* Close the connections (the session's stop, after the drain), then free after the loop. */
void th_trading_venue_close(th_trading_venue *v);
void th_trading_venue_free(th_trading_venue *v);

#endif
