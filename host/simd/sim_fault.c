/* sim_fault.c — the fault injector (see sim_fault.h). Faults are kept in a short list and checked
 * where frames are queued (the server's ws_out hook), where REST requests arrive, and where the
 * venue takes a websocket request. Every hit is counted and logged once per fault. */
#include "sim_fault.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/clock.h"
#include "../core/json.h"
#include "../core/log.h"
#include "simd.h"

typedef enum fkind {
    F_DISCONNECT, F_LATENCY, F_DROP, F_DUPLICATE, F_REORDER, F_NO_ANSWER, F_RATE_LIMIT, F_GAP, F_BAD_CHECKSUM,
    F_MALFORMED, F_HTTP_5XX, F_HTTP_TIMEOUT, F_COUNT
} fkind;
static const char *const KIND[F_COUNT] = {"disconnect", "latency", "drop", "duplicate", "reorder", "no_answer", "rate_limit",
                                          "gap", "bad_checksum", "malformed", "http_5xx", "http_timeout"};

enum { SC_ALL = -1, SC_PUBLIC = -2, SC_PRIVATE = -3 }; /* >= 0: a symbol */

typedef struct simd_fault {
    fkind kind;
    int32_t scope;
    int64_t left;        /* hits left; -1: no count (duration only) */
    int64_t until_mono;  /* 0: no duration */
    int64_t latency_ms;
    int executed;        /* no_answer: 1 executed, 0 not, -1 alternate */
    uint64_t hits;
    uint64_t id;
} simd_fault;

typedef struct simd_faults {
    simd_fault v[32];
    int n;
    uint64_t next_id;
} simd_faults;

static simd_faults *faults(simd *s)
{
    if (!s->faults) s->faults = calloc(1, sizeof(simd_faults));
    return s->faults;
}

static bool live(simd_fault *f, int64_t now)
{
    if (f->left == 0) return false;
    if (f->until_mono && now >= f->until_mono) return false;
    return true;
}

/* Drop faults that are over. */
static void prune(simd_faults *fs)
{
    int64_t now = th_mono_ns();
    int k = 0;
    for (int i = 0; i < fs->n; i++)
        if (live(&fs->v[i], now)) fs->v[k++] = fs->v[i];
    fs->n = k;
}

static bool scope_port(const simd_fault *f, int port)
{
    return f->scope == SC_ALL || (f->scope == SC_PUBLIC && port == SIM_PORT_PUBLIC) || (f->scope == SC_PRIVATE && port == SIM_PORT_PRIVATE);
}

static void hit(simd_fault *f)
{
    if (f->left > 0) f->left--;
    if (f->hits++ == 0) th_logf(TH_LOG_INFO, "sim: fault hit", "id=%llu kind=%s", (unsigned long long)f->id, KIND[f->kind]);
}

/* The first live fault of one of the kinds that matches. */
static simd_fault *match(simd *s, unsigned kinds, int port, int cls, int32_t sym)
{
    simd_faults *fs = s->faults;
    if (!fs || !fs->n) return NULL;
    int64_t now = th_mono_ns();
    for (int i = 0; i < fs->n; i++) {
        simd_fault *f = &fs->v[i];
        if (!(kinds & (1u << f->kind)) || !live(f, now)) continue;
        if (f->scope >= 0 ? (sym == f->scope) : scope_port(f, port)) return f;
        (void)cls;
    }
    return NULL;
}

static bool data_frame(int cls) { return cls == SIMF_BOOK_UPDATE || cls == SIMF_BOOK_SNAPSHOT || cls == SIMF_MARKET || cls == SIMF_EVENT; }

sim_out_action simd_fault_ws_out(void *ctx, const sim_ws *ws, const sim_frame *fr, int64_t *delay_ms)
{
    simd *s = ctx;
    if (s->hide_answers && fr->cls == SIMF_ANSWER) return SIM_OUT_DROP; /* a no_answer request taking effect */
    if (!s->faults || !((simd_faults *)s->faults)->n) return SIM_OUT_SEND;
    simd_fault *f;
    if (fr->cls == SIMF_BOOK_UPDATE && (f = match(s, 1u << F_GAP | 1u << F_BAD_CHECKSUM, ws->port, fr->cls, fr->sym))) {
        hit(f);
        return f->kind == F_GAP ? SIM_OUT_DROP : SIM_OUT_BAD_CHECKSUM;
    }
    if (data_frame(fr->cls) && (f = match(s, 1u << F_DROP | 1u << F_DUPLICATE | 1u << F_REORDER | 1u << F_MALFORMED, ws->port, fr->cls, fr->sym))) {
        hit(f);
        switch (f->kind) {
        case F_DROP: return SIM_OUT_DROP;
        case F_DUPLICATE: return SIM_OUT_DUPLICATE;
        case F_REORDER: return SIM_OUT_HOLD;
        default: return SIM_OUT_MALFORM;
        }
    }
    if ((f = match(s, 1u << F_LATENCY, ws->port, fr->cls, fr->sym))) {
        if (f->scope >= 0 && !data_frame(fr->cls)) return SIM_OUT_SEND;
        hit(f);
        *delay_ms = f->latency_ms;
        return SIM_OUT_DELAY;
    }
    return SIM_OUT_SEND;
}

/* A private REST call: Kraken's /0/private/..., or any call carrying an API key (Binance's signed
 * endpoints have no path of their own) */
static int req_port(const sim_http_req *req)
{
    return strstr(req->path, "/private/") || req->api_key[0] ? SIM_PORT_PRIVATE : SIM_PORT_PUBLIC;
}

bool simd_fault_http(simd *s, const sim_http_req *req, sim_http_resp *r, bool *execute_then_hide)
{
    *execute_then_hide = false;
    if (!s->faults || !((simd_faults *)s->faults)->n) return false;
    int port = req_port(req); /* REST scopes: public and private calls by their path */
    simd_fault *f = match(s, 1u << F_HTTP_5XX | 1u << F_HTTP_TIMEOUT | 1u << F_RATE_LIMIT | 1u << F_NO_ANSWER, port, SIMF_OTHER, -1);
    if (!f || f->scope >= 0) return false;
    if ((f->kind == F_NO_ANSWER) && port != SIM_PORT_PRIVATE) return false;
    hit(f);
    switch (f->kind) {
    case F_HTTP_5XX:
        r->status = 503;
        sim_buf_puts(&r->body, s->venue->unavailable_body);
        return true;
    case F_HTTP_TIMEOUT: r->never = true; return true;
    case F_RATE_LIMIT:
        if (s->venue->rate_limited) { s->venue->rate_limited(s, req, r, port == SIM_PORT_PRIVATE); return true; }
        sim_buf_puts(&r->body, port == SIM_PORT_PRIVATE ? s->venue->rate_limit_body : s->venue->public_rate_limit_body);
        return true;
    default: {
        bool exec = f->executed == 1 || (f->executed < 0 && f->hits % 2 == 1);
        if (exec) { *execute_then_hide = true; return false; }
        r->never = true;
        return true;
    }
    }
}

void simd_fault_http_latency(simd *s, const sim_http_req *req, sim_http_resp *r)
{
    simd_fault *f = match(s, 1u << F_LATENCY, req_port(req), SIMF_OTHER, -1);
    if (!f || f->scope >= 0) return;
    hit(f);
    r->delay_ms = f->latency_ms;
}

simd_req_fault simd_fault_request(simd *s, int port)
{
    simd_fault *f = match(s, 1u << F_RATE_LIMIT | 1u << F_NO_ANSWER, port, SIMF_OTHER, -1);
    if (!f || f->scope >= 0) return SIMD_REQ_PASS;
    hit(f);
    if (f->kind == F_RATE_LIMIT) return SIMD_REQ_RATE_LIMIT;
    bool exec = f->executed == 1 || (f->executed < 0 && f->hits % 2 == 1);
    return exec ? SIMD_REQ_NO_ANSWER_EXECUTED : SIMD_REQ_NO_ANSWER_DROPPED;
}

static void bad(sim_http_resp *r, const char *msg)
{
    r->status = 400;
    sim_buf_reset(&r->body);
    sim_buf_puts(&r->body, "{\"error\":");
    sim_buf_str(&r->body, msg);
    sim_buf_puts(&r->body, ",\"kinds\":[");
    for (int i = 0; i < F_COUNT; i++) {
        sim_buf_str(&r->body, KIND[i]);
        sim_buf_putc(&r->body, i + 1 < F_COUNT ? ',' : ']');
    }
    sim_buf_puts(&r->body, ",\"scopes\":[\"public\",\"private\",\"all\",\"<symbol>\"]}");
}

static bool num_field(th_json *j, const char *key, int64_t *out, bool *present)
{
    int t = th_json_get(j, 0, key);
    *present = t >= 0;
    return t < 0 || (th_json_i64(j, t, out) == 0 && *out >= 0);
}

void simd_fault_post(simd *s, const sim_http_req *req, sim_http_resp *r)
{
    simd_faults *fs = faults(s);
    if (!fs) { r->status = 500; sim_buf_puts(&r->body, "{\"error\":\"out of memory\"}"); return; }
    th_json j;
    if (th_json_init(&j, 64) != 0) { r->status = 500; sim_buf_puts(&r->body, "{\"error\":\"out of memory\"}"); return; }
    simd_fault f = {.scope = SC_ALL, .left = -1, .latency_ms = 500, .executed = -1};
    char kind[32] = "", scope[64] = "all";
    int64_t count = 0, dur = 0, lat = 500;
    bool has_count, has_dur, has_lat;
    if (!req->body || th_json_parse(&j, req->body, req->body_n) < 0 || j.tok[0].type != TH_JSON_OBJECT) { bad(r, "expected a JSON object"); goto out; }
    int k = th_json_get(&j, 0, "kind"), sc = th_json_get(&j, 0, "scope"), ex = th_json_get(&j, 0, "executed");
    if (k >= 0) th_json_copy(&j, k, kind, sizeof kind);
    if (sc >= 0) th_json_copy(&j, sc, scope, sizeof scope);
    f.kind = F_COUNT;
    for (int i = 0; i < F_COUNT; i++)
        if (strcmp(kind, KIND[i]) == 0) f.kind = (fkind)i;
    if (f.kind == F_COUNT) { bad(r, "unknown or missing \"kind\""); goto out; }
    if (strcmp(scope, "public") == 0) f.scope = SC_PUBLIC;
    else if (strcmp(scope, "private") == 0) f.scope = SC_PRIVATE;
    else if (strcmp(scope, "all") == 0) f.scope = SC_ALL;
    else if ((f.scope = th_instruments_find(&s->feed.instruments, scope, strlen(scope))) < 0) { bad(r, "\"scope\": public, private, all or a symbol of the instruments"); goto out; }
    if (!num_field(&j, "count", &count, &has_count) || !num_field(&j, "duration_ms", &dur, &has_dur) ||
        !num_field(&j, "latency_ms", &lat, &has_lat)) {
        bad(r, "\"count\", \"duration_ms\", \"latency_ms\": non-negative integers");
        goto out;
    }
    if (ex >= 0) f.executed = th_json_eq(&j, ex, "true") ? 1 : 0;
    f.left = has_count ? count : has_dur ? -1 : 1;
    f.until_mono = has_dur ? th_mono_ns() + dur * 1000000LL : 0;
    f.latency_ms = lat;
    f.id = ++fs->next_id;
    if (f.kind == F_DISCONNECT) {
        int port = f.scope == SC_PUBLIC ? SIM_PORT_PUBLIC : f.scope == SC_PRIVATE ? SIM_PORT_PRIVATE : -1;
        int n = sim_server_disconnect(&s->srv, port, has_count ? (int)count : -1, "fault: disconnect");
        th_logf(TH_LOG_INFO, "sim: fault applied", "kind=disconnect scope=%s closed=%d", scope, n);
        sim_buf_printf(&r->body, "{\"ok\":true,\"id\":%llu,\"kind\":\"disconnect\",\"closed\":%d}", (unsigned long long)f.id, n);
        goto out;
    }
    prune(fs);
    if (fs->n == (int)(sizeof fs->v / sizeof *fs->v)) { bad(r, "too many active faults (32)"); goto out; }
    fs->v[fs->n++] = f;
    th_logf(TH_LOG_INFO, "sim: fault added", "id=%llu kind=%s scope=%s count=%lld duration_ms=%lld", (unsigned long long)f.id,
            KIND[f.kind], scope, (long long)f.left, (long long)(has_dur ? dur : 0));
    sim_buf_printf(&r->body, "{\"ok\":true,\"id\":%llu,\"kind\":\"%s\"}", (unsigned long long)f.id, KIND[f.kind]);
out:
    th_json_free(&j);
}

void simd_fault_state(simd *s, sim_buf *o)
{
    simd_faults *fs = s->faults;
    sim_buf_putc(o, '[');
    if (fs) {
        int64_t now = th_mono_ns();
        for (int i = 0; i < fs->n; i++) {
            simd_fault *f = &fs->v[i];
            sim_buf_printf(o, "{\"id\":%llu,\"kind\":\"%s\",\"live\":%s,\"hits\":%llu,\"left\":%lld},", (unsigned long long)f->id,
                           KIND[f->kind], live(f, now) ? "true" : "false", (unsigned long long)f->hits, (long long)f->left);
        }
        sim_buf_unput(o, ',');
    }
    sim_buf_putc(o, ']');
}

void simd_fault_free(simd *s)
{
    free(s->faults);
    s->faults = NULL;
}
