/* sim_server.h — the sim's sockets: libwebsockets on the process's libuv loop, two loopback
 * listeners (public: REST, control and the public websocket; private: the private websocket), so
 * public and private URLs differ as they do on the exchanges.
 *
 * This file knows HTTP and websocket framing and nothing of any venue: a request is handed to the
 * ops as a parsed sim_http_req and answered from a sim_http_resp; a websocket message (reassembled
 * from its fragments, bounded) is handed over whole. Outgoing frames are refcounted (a book update
 * is built once and queued to every subscriber). Hardening against local clients, as in the API:
 * bounded headers, bodies and messages, idle timeouts, and a client that does not read is cut
 * once SIM_WS_MAX_QUEUE bytes wait for it (never an unbounded queue). */
#ifndef TH_SIM_SERVER_H
#define TH_SIM_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "sim_buf.h"

#define SIM_WS_MAX_QUEUE (16u << 20)  /* bytes queued to one websocket before it is cut */
#define SIM_WS_MAX_MESSAGE (256u << 10) /* one incoming websocket message */
#define SIM_HTTP_MAX_BODY (64u << 10)
#define SIM_HTTP_HEADER_MAX 8192

typedef enum sim_port { SIM_PORT_PUBLIC = 0, SIM_PORT_PRIVATE = 1 } sim_port;

/* What a frame is, for the fault injector (sim_fault.c): which faults apply to it. */
enum {
    SIMF_OTHER = 0,
    SIMF_BOOK_UPDATE,
    SIMF_BOOK_SNAPSHOT,
    SIMF_MARKET,        /* trade, ticker, instrument */
    SIMF_ANSWER,        /* the answer to a request (pong included) */
    SIMF_EVENT,         /* an execution event */
    SIMF_HEARTBEAT,
    SIMF_STATUS,
};

/* An outgoing frame: SIM_BUF_HEAD bytes of headroom (lws writes its header there), then text. */
typedef struct sim_frame {
    int refs;
    int16_t cls;              /* SIMF_* */
    int32_t sym;              /* instrument index of market data; -1 */
    size_t len;
    unsigned char buf[];
} sim_frame;

/* What to do with a frame about to be queued (the fault injector decides; SIM_OUT_SEND normally). */
typedef enum sim_out_action {
    SIM_OUT_SEND = 0,
    SIM_OUT_DROP,
    SIM_OUT_DUPLICATE,
    SIM_OUT_HOLD,             /* reorder: sent after the next frame to the connection */
    SIM_OUT_DELAY,            /* queued after delay_ms */
    SIM_OUT_MALFORM,          /* the first half of its text, which is not JSON */
    SIM_OUT_BAD_CHECKSUM,     /* its "checksum" off by one */
} sim_out_action;

sim_frame *sim_frame_new(const char *text, size_t n);
static inline sim_frame *sim_frame_of(const sim_buf *b) { return sim_frame_new(sim_buf_text(b), b->n); }
void sim_frame_unref(sim_frame *f);

struct sim_server;
typedef struct sim_ws {
    struct lws *wsi;
    struct sim_server *srv;
    sim_port port;
    uint64_t id;              /* connection_id in the status frame */
    struct sim_ws *prev, *next;
    sim_frame **q;            /* ring of queued frames */
    size_t qhead, qlen, qcap, qbytes;
    char *rx;                 /* a message being reassembled */
    size_t rx_n, rx_cap;
    bool rx_too_big, closing, dead;
    int64_t last_sent_ns;     /* monotonic: heartbeats go to connections idle for a second */
    int64_t opened_ns;        /* monotonic */
    uint64_t frames_sent;
    sim_frame *held;          /* a frame held back to go after the next one (reorder fault) */
    bool ping_due;            /* a ping control frame waits to be written (sim_ws_ping) */
    int64_t ping_sent_ns, pong_ns; /* monotonic: the last ping written, the last pong received */
    void *user;               /* the venue protocol's per-connection state */
    char target[1024];        /* the upgrade request's path, then '?' and its arguments if any
                               * (Binance: /stream?streams=a/b, /ws/<stream>) */
} sim_ws;

typedef struct sim_http_req {
    sim_port port;
    const char *method;       /* "GET", "POST", "DELETE", "PUT" */
    char path[256];
    char query[SIM_HTTP_HEADER_MAX]; /* the arguments joined with '&', each %-encoded again where it
                               * holds '%', '&', '+', a space or a byte outside printable ASCII, so
                               * that kr_form_get gives back exactly the value the client sent */
    size_t query_need;        /* bytes the query needed; > sizeof query: query_too_long */
    bool query_too_long;      /* refused by the venue as too long, never read cut short */
    bool uri_refused;         /* a URI libwebsockets would drop (a byte decoding to NUL or a control
                               * byte, a bad %-escape): the venue answers 400 (sim_front.c); the
                               * query is as sent, still %-encoded, and no header or body is read */
    char *body;               /* NUL-terminated; NULL when none */
    size_t body_n;
    char api_key[160];        /* API-Key header (Kraken), X-MBX-APIKEY (Binance) */
    char api_sign[200];       /* API-Sign header (Kraken) */
    char content_type[96];
} sim_http_req;

typedef struct sim_http_resp {
    int status;
    const char *ctype;        /* default application/json */
    sim_buf body;
    int64_t delay_ms;         /* answer after this long (a latency fault) */
    bool never;               /* never answer (a no-answer or timeout fault); the client gives up */
    struct {                  /* more headers, e.g. "x-mbx-used-weight-1m:", "retry-after:" (Binance) */
        const char *name;     /* NULL: none */
        char value[32];
    } hdr[2];
} sim_http_resp;

typedef struct sim_server_ops {
    void *ctx;
    void (*http)(void *ctx, const sim_http_req *req, sim_http_resp *resp);
    void (*ws_open)(void *ctx, sim_ws *ws);
    void (*ws_message)(void *ctx, sim_ws *ws, const char *text, size_t n);
    void (*ws_close)(void *ctx, sim_ws *ws);
    /* optional: the fault injector's say on a frame about to be queued (*delay_ms for DELAY) */
    sim_out_action (*ws_out)(void *ctx, const sim_ws *ws, const sim_frame *f, int64_t *delay_ms);
} sim_server_ops;

typedef struct sim_server {
    struct lws_context *ctx;
    struct lws_vhost *vh[2];
    int port[2];
    uv_loop_t *loop;
    sim_server_ops ops;
    sim_ws *conns[2];         /* open websockets per port */
    struct sim_delayed *delayed; /* frames waiting out a latency fault, by due time */
    size_t ndelayed, delayed_cap;
    uv_timer_t delay_timer;
    bool delay_timer_on;
    uint64_t next_id;
    bool open;
    struct sim_front_listener *front[2]; /* the listening sockets (sim_front.c) */
    struct sim_front_conn *front_conns;  /* connections whose first request line is not in yet */
    int front_n, front_cap;
    uint64_t http_requests, ws_frames_out, ws_cut_slow, ws_messages_in;
} sim_server;

/* host: "127.0.0.1" or "::1"; ports 0 for free ones (the bound ones land in srv->port). */
int sim_server_open(sim_server *s, uv_loop_t *loop, const char *host, int port_public, int port_private,
                    const sim_server_ops *ops, const char **err);
/* Inside the loop: starts closing every connection (the loop then drains). */
void sim_server_close(sim_server *s);
/* After uv_run has returned. */
void sim_server_free(sim_server *s);

/* Queue a frame (takes a reference of its own). A connection past SIM_WS_MAX_QUEUE is cut. */
void sim_ws_send(sim_ws *ws, sim_frame *f);
void sim_ws_send_buf(sim_ws *ws, const sim_buf *b);
/* The same, tagged with what the frame is (SIMF_*, and the symbol of market data). */
void sim_ws_send_tagged(sim_ws *ws, const sim_buf *b, int cls, int32_t sym);
/* Send a websocket ping control frame (before the frames queued); the client's pong lands in
 * ws->pong_ns. */
void sim_ws_ping(sim_ws *ws);
/* Close every websocket of a port (both: port < 0), at most max (< 0: all); returns how many. */
int sim_server_disconnect(sim_server *s, int port, int max, const char *why);
/* Close a websocket (after the frames already written; queued ones are dropped). */
void sim_ws_close(sim_ws *ws, const char *why);

#endif
