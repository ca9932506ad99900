/* simd.h — `tradehost sim`: a local venue on loopback that replays a recording as its market and
 * speaks an exchange's own wire protocols, so that any client (ccxt included) can trade against it.
 *
 * The process: one libuv loop; the market is a th_feed fed by the one ingestion path
 * (feed/ingest.c) at recorded pace or full speed; libwebsockets serves two loopback listeners
 * (sim_server.c). What is venue-specific (wire shapes, names, auth) sits behind sim_venue, one
 * implementation per venue protocol (sim_kraken_*.c, sim_kraken_futures.c, sim_binance_*.c); the
 * control endpoints /_sim/... are shared (sim_control.c). When the data ends the market holds its last state and the sim serves on until
 * SIGTERM/SIGINT. The matching engine is host/sim/ (venue-neutral plain C over the core); this
 * directory is the process around it: the loop, the sockets and the venues' wire protocols. */
#ifndef TH_SIMD_H
#define TH_SIMD_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "../feed/feed.h"
#include "../feed/ingest.h"
#include "../sim/sim_book_sync.h"
#include "../sim/sim_engine.h"
#include "sim_accounts.h"
#include "sim_fault.h"
#include "sim_server.h"

struct simd;

/* One venue protocol. Every hook runs on the loop. */
typedef struct sim_venue {
    const char *name;           /* as --venue names it */
    th_venue_id feed_venue;     /* the feed parsers the recording goes through */
    bool market_only;           /* market data only: no accounts, no engine (Kraken Futures) */
    int (*init)(struct simd *s, const char **err);
    void (*free)(struct simd *s);
    /* the endpoints line (one JSON object, no newline) */
    void (*endpoints)(struct simd *s, sim_buf *out);
    void (*http)(struct simd *s, const sim_http_req *req, sim_http_resp *resp);
    void (*ws_open)(struct simd *s, sim_ws *ws);
    void (*ws_message)(struct simd *s, sim_ws *ws, const char *text, size_t n);
    void (*ws_close)(struct simd *s, sim_ws *ws);
    /* the market moved: a book (after the frame that changed it), a trade print */
    void (*book_changed)(struct simd *s, int32_t sym);
    void (*trade)(struct simd *s, int32_t sym, const th_trade_ev *t);
    /* about every 100 ms: heartbeats, timers of the protocol */
    void (*tick)(struct simd *s);
    /* how the venue spells an engine order or trade id (Kraken: OABCDE-FGHIJ-KLMNOP) */
    void (*id_text)(char prefix, uint64_t id, char out[32]);
    /* the engine was re-created (POST /_sim/reset): forget orders, tokens, subscriptions' state */
    void (*reset)(struct simd *s);
    /* orders and accounts */
    th_sim_rate_model rate_model;
    /* an engine event (order accepted, filled, cancelled, amended, refused) */
    void (*order_event)(struct simd *s, const th_sim_event *ev);
    /* the engine's asset name for a name in an accounts file (Kraken: ZUSD -> USD); 0 or -1 */
    int (*asset_name)(struct simd *s, const char *name, char *out, size_t cap);
    /* is a secret in the venue's form (Kraken: base64)? NULL: any */
    const char *(*secret_check)(const char *secret);
    /* the venue's answer to a REST request hit by the rate_limit fault (NULL: status 200 with
     * rate_limit_body or public_rate_limit_body, as Kraken answers) */
    void (*rate_limited)(struct simd *s, const sim_http_req *req, sim_http_resp *resp, bool private_call);
    /* the venue's REST bodies for the rate_limit and http_5xx faults */
    const char *rate_limit_body, *public_rate_limit_body, *unavailable_body;
} sim_venue;

typedef struct simd_opts {
    const char *venue, *data, *instruments, *accounts, *listen;
    const char *snapshots;      /* --snapshots: REST depth snapshots beside the recording (Binance) */
    bool pace_full;
    bool paused;                /* --paused or POST /_sim/pause: the replay waits for POST /_sim/resume */
    bool no_rate_limit;         /* --no-rate-limit: the venue's trading rate counter off (benchmarks) */
    int32_t orders_10s;         /* --orders-per-10s: Binance's ORDERS limit per account (0: none, the default) */
    bool rest_counter;          /* --rest-counter: Kraken's REST API counter per account (its tier), EAPI:Rate limit exceeded */
    int64_t ws_ping_ms;         /* --ws-ping-ms: server pings (Binance: 20000 as the exchange) */
    double speed;
    uint64_t seed;
} simd_opts;

typedef struct simd {
    simd_opts opt;
    uint64_t rest_refused;      /* private REST calls refused for the REST counter (/_sim/state) */
    const sim_venue *venue;
    void *vstate;               /* the venue protocol's state */
    uv_loop_t *loop;
    th_feed feed;
    th_ingest in;
    bool data_ended, stopping;
    int64_t first_ts, start_mono;
    int64_t pause_mono;         /* when POST /_sim/pause held a replay that had started (its clock stops) */
    int64_t market_ns;          /* receive time of the last record applied */
    uint64_t steps;
    uv_timer_t pace_timer, tick_timer;
    uv_signal_t sig_term, sig_int;
    sim_server srv;
    char host[64];
    int64_t end_ts, end_mono;   /* the clock when the data ended (then it runs in real time) */
    /* orders */
    th_sim_engine *engine;
    /* POST /_sim/reset re-creates the engine; ids must still never repeat (as on the exchange: a
     * client holding an id from before the reset must not find another order under it) */
    uint32_t resets;            /* the engine's seed moves by 2^40 per reset (Kraken's ids) */
    uint64_t orders_before, trades_before; /* the earlier engines' orders and trades (Binance numbers them) */
    simd_accounts accounts;
    th_sim_book_sync sync;         /* scratch: the differences between the feed's and engine's books */
    void *faults;               /* sim_fault.c */
    bool hide_answers;          /* a no_answer request is taking effect: its answers are dropped */
} simd;

/* The sim's clock, the time of every order and fill: the recording's time while it plays (at
 * --pace full it moves with the records), held while paused, real time after the data ended. */
int64_t simd_now_ns(const simd *s);
/* Wall clock, for answers that carry the server's time (Time, time_in/time_out). */
int64_t simd_wall_ns(void);

/* The venues this build serves. */
const sim_venue *simd_venue_find(const char *name);
extern const sim_venue SIM_VENUE_KRAKEN;
extern const sim_venue SIM_VENUE_BINANCE;
extern const sim_venue SIM_VENUE_KRAKEN_FUTURES;

/* Start the replay held by --paused or POST /_sim/pause (POST /_sim/resume); false if it was not held. */
bool simd_resume(simd *s);
/* Hold the replay where it is (POST /_sim/pause): the books and the clock stand still, so resting
 * orders can no longer fill from the market, while every order request is still answered; false if
 * it was already held, stopping, or the data had ended. */
bool simd_pause(simd *s);

/* The engine (sim_market.c): created with the accounts, fed from the market. */
int simd_engine_open(simd *s, const char **err);
void simd_engine_close(simd *s);
/* Re-create it: every account back to its start, the market as it is now. */
int simd_engine_reset(simd *s, const char **err);
/* A book of the feed changed: hand the engine each level that differs from its own. */
void simd_engine_book(simd *s, int32_t sym);
void simd_engine_trade(simd *s, int32_t sym, const th_trade_ev *t);

/* /_sim/... (sim_control.c) */
void simd_control(simd *s, const sim_http_req *req, sim_http_resp *resp);

int th_cmd_sim(int argc, char **argv);

#endif
