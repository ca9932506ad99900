/* sim_fault.h — faults injected through POST /_sim/fault, so a client's error handling can be
 * tested against the venue's own protocol:
 *
 *   {"kind": K, "scope": "public"|"private"|"all"|"<symbol>", "count": N, "duration_ms": T,
 *    "latency_ms": L, "executed": true|false}
 *
 * Each fault lasts for `count` hits or `duration_ms`, whichever ends first (neither: one hit).
 * Kinds, and what they hit:
 *   disconnect    websockets of the scope are closed now (count: at most that many)
 *   latency       every frame and REST answer of the scope waits latency_ms (default 500)
 *   drop, duplicate, reorder, malformed
 *                 websocket data frames of the scope (book, trade, ticker, execution events):
 *                 not sent, sent twice, sent after the next frame, cut to half its text
 *   gap           book updates of the scope not sent (the client's book silently diverges; on
 *                 Kraken the next checksum shows it)
 *   bad_checksum  book updates of the scope sent with a wrong checksum
 *   no_answer     requests (private REST calls, private websocket requests) never answered; with
 *                 "executed" true the request takes effect, false it does not; by default they
 *                 alternate, starting with one that takes effect (both cases a client must handle)
 *   rate_limit    requests refused with the venue's rate-limit error
 *   http_5xx      REST answers 503 with the venue's unavailable error
 *   http_timeout  REST requests never answered (and not executed)
 * A symbol scope hits that symbol's market data only. */
#ifndef TH_SIM_FAULT_H
#define TH_SIM_FAULT_H

#include <stdbool.h>
#include <stdint.h>

#include "sim_server.h"

struct simd;

typedef enum simd_req_fault {
    SIMD_REQ_PASS = 0,
    SIMD_REQ_RATE_LIMIT,
    SIMD_REQ_NO_ANSWER_EXECUTED,
    SIMD_REQ_NO_ANSWER_DROPPED,
} simd_req_fault;

/* POST /_sim/fault: adds the fault (or applies a disconnect), answers in resp. */
void simd_fault_post(struct simd *s, const sim_http_req *req, sim_http_resp *resp);
/* The server's ws_out hook. */
sim_out_action simd_fault_ws_out(void *ctx, const sim_ws *ws, const sim_frame *f, int64_t *delay_ms);
/* A REST request: true when a fault answered it (resp set, or never answered); *execute_then_hide
 * asks the caller to handle it and then not answer. Latency sets resp->delay_ms. */
bool simd_fault_http(struct simd *s, const sim_http_req *req, sim_http_resp *resp, bool *execute_then_hide);
void simd_fault_http_latency(struct simd *s, const sim_http_req *req, sim_http_resp *resp);
/* A websocket request on a port: what to do with it. */
simd_req_fault simd_fault_request(struct simd *s, int port);
/* Active faults as a JSON array (GET /_sim/state). */
void simd_fault_state(struct simd *s, sim_buf *o);
void simd_fault_free(struct simd *s);

#endif
