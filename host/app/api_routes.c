/* api_routes.c — the API's endpoints (api.h lists them): which method and token each needs, the
 * JSON body each takes, and the answer. Everything they read or change comes through the view
 * (session_view.h).
 *
 * Errors have one shape, {"error": "..."}, and these statuses: 400 a malformed or wrong body
 * (the message names the byte or the field), 401 a missing or wrong token, 403 changes not
 * enabled (no token configured), 404 no such endpoint, 405 the wrong method, 409 the session's
 * state does not allow it (start while running, a second stop, a settlement while one runs),
 * 411/413 a body without a length or over 4 KiB (api.c), 422 a reload the strategy refused,
 * 426 /events without a websocket upgrade, 503 no order side (or PostgreSQL down or not answering
 * in time, for statistics read from it: 404 there is a session it does not hold). */
#include <uv.h> /* before libwebsockets.h */

#include "api.h"
#include "api_impl.h"

#include <libwebsockets.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "../core/json.h"
#include "../core/json_check.h"
#include "../core/json_out.h"
#include "../core/log.h"

/* JSON string body: the reason texts are ours, but escape anyway (a reason may come from a user). */
static void json_str(char *out, size_t cap, const char *s)
{
    size_t k = 0;
    for (; *s && k + 7 < cap; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') { out[k++] = '\\'; out[k++] = (char)c; }
        else if (c < 0x20) k += (size_t)snprintf(out + k, cap - k, "\\u%04x", c);
        else out[k++] = (char)c;
    }
    out[k] = 0;
}

/* ---- request bodies ---- */

typedef struct body_field {
    const char *name;
    char type;      /* 'n' a finite number >= 0, 'b' a boolean, 's' a string */
    bool present;
    double num;
    bool flag;
    char str[160];
} body_field;

/* A 400 answer; returns 1 (so `bad = refuse(...)`). */
static int refuse(api_req *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int refuse(api_req *r, const char *fmt, ...)
{
    char buf[600];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    api_answer(r, 400, "application/json", buf, n < 0 ? 0 : (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
    return 1;
}

/* Reads r's body into the fields (an empty body is no fields). 0, or -1 with the 400 answer set. */
static int read_body(api_req *r, body_field *fs, int nf)
{
    if (r->in_n == 0) return 0;
    char msg[200], esc[260];
    if (th_json_check(r->in, r->in_n, msg, sizeof msg) != 0) {
        json_str(esc, sizeof esc, msg);
        refuse(r, "{\"error\":\"%s\"}", esc);
        return -1;
    }
    th_json j;
    if (th_json_init(&j, 64) != 0) { api_answer_json(r, 500, "{\"error\":\"out of memory\"}"); return -1; }
    int rc = th_json_parse(&j, r->in, r->in_n), bad = 0;
    char expect[160] = "";
    for (int k = 0, m = 0; k < nf; k++) m += snprintf(expect + m, sizeof expect - (size_t)m, "%s%s", k ? ", " : "", fs[k].name);
    if (rc < 0) bad = refuse(r, "{\"error\":\"the body has too many values (this endpoint takes: %s)\"}",
                                      nf ? expect : "no fields");
    else if (j.tok[0].type != TH_JSON_OBJECT) bad = refuse(r, "{\"error\":\"the body must be a JSON object\"}");
    for (int i = 1, k = 0; !bad && k < j.tok[0].size; k++) {
        char key[64];
        th_json_copy(&j, i, key, sizeof key);
        int v = i + 1;
        body_field *f = NULL;
        for (int q = 0; q < nf; q++)
            if (th_json_eq(&j, i, fs[q].name)) f = &fs[q];
        json_str(esc, sizeof esc, key);
        if (!f) {
            bad = refuse(r, "{\"error\":\"unknown field \\\"%s\\\" (this endpoint takes: %s)\"}", esc,
                                  nf ? expect : "no fields");
            break;
        }
        const char *p = th_json_ptr(&j, v);
        int t = j.tok[v].type;
        if (f->type == 'n') {
            char num[64];
            th_json_copy(&j, v, num, sizeof num);
            f->num = t == TH_JSON_PRIMITIVE && (p[0] == '-' || (p[0] >= '0' && p[0] <= '9')) ? strtod(num, NULL) : NAN;
            if (!isfinite(f->num) || f->num < 0)
                bad = refuse(r, "{\"error\":\"field \\\"%s\\\": expected a number >= 0\"}", esc);
        } else if (f->type == 'b') {
            if (t != TH_JSON_PRIMITIVE || (p[0] != 't' && p[0] != 'f'))
                bad = refuse(r, "{\"error\":\"field \\\"%s\\\": expected true or false\"}", esc);
            f->flag = p[0] == 't';
        } else {
            if (t != TH_JSON_STRING || th_json_len(&j, v) >= sizeof f->str)
                bad = refuse(r, "{\"error\":\"field \\\"%s\\\": expected a string of at most %zu bytes\"}", esc,
                                      sizeof f->str - 1);
            else th_json_copy(&j, v, f->str, sizeof f->str);
        }
        f->present = true;
        i = th_json_skip(&j, v);
    }
    th_json_free(&j);
    return bad ? -1 : 0;
}

/* ---- answers ---- */

static int risk_json(api_req *r)
{
    th_view_risk v;
    if (g_api->view.risk(g_api->view.ctx, &v) != 0) return api_answer_json(r, 503, "{\"error\":\"no order flow in this session\"}");
    char refusals[2048] = "", reason[300];
    size_t k = 0;
    for (int32_t i = 0; i < v.nrefusals; i++) {
        k += (size_t)snprintf(refusals + k, sizeof refusals - k, "%s\"%s\":%.0f", k ? "," : "", v.refusals[i].reason,
                              v.refusals[i].count);
        if (k >= sizeof refusals) break;
    }
    json_str(reason, sizeof reason, v.halt_reason);
    return api_answer_json(r, 200,
                           "{\"halted\":%s,\"halt_code\":\"%s\",\"halt_reason\":\"%s\",\"breaker_open\":%s,"
                           "\"consecutive_errors\":%d,\"refusals\":{%s}}",
                           v.halted ? "true" : "false", v.halt_code, reason, v.breaker_open ? "true" : "false",
                           v.consecutive_errors, refusals);
}

/* Healthy means the process runs *and* its strategy does: a faulted strategy (a callback raised,
 * callbacks stopped) makes "ok" false (503) and is listed with its callback and error. Venues,
 * books and stores that are not well make "degraded" true with a count of warnings, not a 503:
 * a stale book or a store that is down is the session's business to ride out, not a dead host. */
static int health_json(api_req *r)
{
    th_view_health h;
    g_api->view.health(g_api->view.ctx, &h);
    char *buf = NULL;
    size_t bn = 0;
    FILE *f = open_memstream(&buf, &bn);
    if (!f) return api_answer_json(r, 500, "{\"error\":\"out of memory\"}");
    th_view_fault ft;
    int n = 0;
    for (; g_api->view.fault(g_api->view.ctx, n, &ft) == 0; n++) {
        fprintf(f, "%s{\"strategy\":", n ? "," : "");
        th_json_put_str(f, ft.strategy);
        fputs(",\"callback\":", f);
        th_json_put_str(f, ft.callback);
        fputs(",\"error\":", f);
        th_json_put_str(f, ft.error);
        fprintf(f, ",\"orders_cancelled\":%d}", ft.orders_cancelled);
    }
    fclose(f);
    char *out = NULL;
    size_t on = 0;
    FILE *g = open_memstream(&out, &on);
    if (!g) { free(buf); return api_answer_json(r, 500, "{\"error\":\"out of memory\"}"); }
    fprintf(g, "{\"ok\":%s,\"version\":\"%s\",\"mode\":\"%s\",\"pid\":%d,\"faults\":[%s],\"order_flow\":%s,\"halted\":%s",
            n ? "false" : "true", h.version, h.mode, h.pid, buf ? buf : "", h.order_flow ? "true" : "false",
            h.halted ? "true" : "false");
    free(buf);
    if (g_api->view.links) {
        char *lb = NULL;
        size_t ln = 0;
        FILE *l = open_memstream(&lb, &ln);
        int bad = l ? g_api->view.links(g_api->view.ctx, l) : 0;
        if (l) fclose(l);
        fprintf(g, ",\"degraded\":%s,\"warnings\":%d,%s", bad ? "true" : "false", bad, lb ? lb : "");
        free(lb);
    }
    fputc('}', g);
    return api_answer_stream(r, n ? 503 : 200, &out, &on, g);
}

/* A view entry that writes a JSON document, as a 200 answer. */
static int doc_json(api_req *r, void (*fn)(void *ctx, FILE *f))
{
    if (!fn) return api_answer_json(r, 503, "{\"error\":\"not available in this session\"}");
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    if (!f) return api_answer_json(r, 500, "{\"error\":\"out of memory\"}");
    fn(g_api->view.ctx, f);
    return api_answer_stream(r, 200, &buf, &n, f);
}

static int metrics_text(api_req *r)
{
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    if (!f) return api_answer_json(r, 500, "{\"error\":\"out of memory\"}");
    g_api->view.metrics(g_api->view.ctx, f);
    fclose(f);
    int rc = api_answer(r, 200, "text/plain; version=0.0.4", buf, n);
    free(buf);
    return rc;
}

static int conflict(api_req *r, const char *err)
{
    char esc[400];
    json_str(esc, sizeof esc, err ? err : "conflict");
    return api_answer_json(r, 409, "{\"error\":\"%s\"}", esc);
}

static int post_kill(struct lws *wsi, api_req *r)
{
    body_field fs[] = {{.name = "reason", .type = 's'}};
    if (read_body(r, fs, 1) != 0) return 0;
    char arg[160], why[200];
    const char *given = fs[0].present ? fs[0].str : lws_get_urlarg_by_name(wsi, "reason=", arg, sizeof arg);
    snprintf(why, sizeof why, "api: %s", given && *given ? given : "kill switch");
    if (g_api->view.kill(g_api->view.ctx, why) != 0) return api_answer_json(r, 503, "{\"error\":\"no order flow in this session\"}");
    return risk_json(r);
}

static int post_rearm(struct lws *wsi, api_req *r)
{
    (void)wsi;
    if (read_body(r, NULL, 0) != 0) return 0;
    const char *err;
    if (g_api->view.rearm(g_api->view.ctx, &err) != 0) return conflict(r, err);
    th_logf(TH_LOG_WARN, "api: kill switch re-armed", NULL);
    return risk_json(r);
}

static int post_start(struct lws *wsi, api_req *r)
{
    (void)wsi;
    body_field fs[] = {{.name = "duration_s", .type = 'n'}};
    if (read_body(r, fs, 1) != 0) return 0;
    const char *err;
    if (!g_api->view.start) return api_answer_json(r, 503, "{\"error\":\"not available in this session\"}");
    if (g_api->view.start(g_api->view.ctx, fs[0].present ? fs[0].num : 0, &err) != 0) return conflict(r, err);
    return doc_json(r, g_api->view.status);
}

static int post_stop(struct lws *wsi, api_req *r)
{
    (void)wsi;
    if (read_body(r, NULL, 0) != 0) return 0;
    const char *err;
    if (!g_api->view.stop) return api_answer_json(r, 503, "{\"error\":\"not available in this session\"}");
    if (g_api->view.stop(g_api->view.ctx, true, &err) != 0) return conflict(r, err);
    r->after = API_AFTER_STOP; /* once this answer is out */
    th_logf(TH_LOG_WARN, "api: POST /sessions/stop: graceful stop", NULL);
    return api_answer_json(r, 202, "{\"state\":\"stopping\",\"detail\":\"on_stop, every order cancelled (up to 5 s for "
                                   "the venue to confirm), the journal closed, then the process exits\"}");
}

/* POST /reload {"shadow": true [, "max_diffs": n]}, {"promote": true}, {"discard": true}: the shadow
 * reload's steps (th_session_shadow), as the REPL's reload{shadow = true}, promote(), discard(). */
static int shadow_step(api_req *r, const char *op, int max_diffs)
{
    if (!g_api->view.shadow) return api_answer_json(r, 503, "{\"error\":\"not available in this session\"}");
    char msg[2048] = "", esc[2600];
    int rc = g_api->view.shadow(g_api->view.ctx, op, max_diffs, msg, sizeof msg);
    json_str(esc, sizeof esc, msg);
    if (rc == 0) return api_answer_json(r, 200, "{\"ok\":true,\"shadow\":\"%s\",\"detail\":\"%s\"}", op, esc);
    return api_answer_json(r, 422, "{\"ok\":false,\"shadow\":\"%s\",\"error\":\"%s\"}", op, esc);
}

static int post_reload(struct lws *wsi, api_req *r)
{
    (void)wsi;
    body_field fs[] = {{.name = "shadow", .type = 'b'}, {.name = "max_diffs", .type = 'n'},
                       {.name = "promote", .type = 'b'}, {.name = "discard", .type = 'b'}};
    if (read_body(r, fs, 4) != 0) return 0;
    bool shadow = fs[0].present && fs[0].flag, promote = fs[2].present && fs[2].flag, discard = fs[3].present && fs[3].flag;
    if (shadow + promote + discard > 1) return (void)refuse(r, "{\"error\":\"one of shadow, promote and discard at a time\"}"), 0;
    if (fs[1].present && (!shadow || fs[1].num < 1 || fs[1].num > 10000 || fs[1].num != (double)(int)fs[1].num))
        return (void)refuse(r, "{\"error\":\"max_diffs: a whole number from 1 to 10000, with \\\"shadow\\\": true\"}"), 0;
    if (shadow) return shadow_step(r, "start", fs[1].present ? (int)fs[1].num : 0);
    if (promote) return shadow_step(r, "promote", 0);
    if (discard) return shadow_step(r, "discard", 0);
    if (!g_api->view.reload) return api_answer_json(r, 503, "{\"error\":\"not available in this session\"}");
    char msg[2048] = "", esc[2600];
    int rc = g_api->view.reload(g_api->view.ctx, msg, sizeof msg);
    json_str(esc, sizeof esc, msg);
    if (rc == 0) return api_answer_json(r, 200, "{\"ok\":true,\"changed\":\"%s\"}", esc);
    return api_answer_json(r, 422, "{\"ok\":false,\"error\":\"%s\",\"detail\":\"nothing changed: the old config and code keep running\"}", esc);
}

static int post_settle(struct lws *wsi, api_req *r)
{
    (void)wsi;
    body_field fs[] = {{.name = "cancel_leftovers", .type = 'b'}};
    if (read_body(r, fs, 1) != 0) return 0;
    if (!g_api->view.settle) return api_answer_json(r, 503, "{\"error\":\"not available in this session\"}");
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    if (!f) return api_answer_json(r, 500, "{\"error\":\"out of memory\"}");
    const char *err;
    bool busy;
    if (g_api->view.settle(g_api->view.ctx, fs[0].present && fs[0].flag, f, &busy, &err) != 0) {
        fclose(f);
        free(buf);
        return busy ? conflict(r, err) : api_answer_json(r, 503, "{\"error\":\"%s\"}", err);
    }
    return api_answer_stream(r, 202, &buf, &n, f);
}

/* ---- the route table ---- */

typedef struct route_ent {
    const char *path;
    bool post;
    int (*fn)(struct lws *wsi, api_req *r);
} route_ent;

static int get_health(struct lws *w, api_req *r) { (void)w; return health_json(r); }
static int get_metrics(struct lws *w, api_req *r) { (void)w; return metrics_text(r); }
static int get_risk(struct lws *w, api_req *r) { (void)w; return risk_json(r); }
static int get_status(struct lws *w, api_req *r) { (void)w; return doc_json(r, g_api->view.status); }
/* The late answer of a deferred /performance/stats (the view calls it once, or never after the
 * client hung up: api.c cancels it at the close). */
static void perf_reply(void *token, int status, const char *json, size_t n)
{
    api_req *r = token;
    if (!r->deferred) return;
    api_undefer(r);
    if (api_answer(r, status, "application/json", json, n) != 0) return;
    lws_callback_on_writable(r->wsi);
}

/* From the PostgreSQL history when the session has one (deferred: the loop never waits for it),
 * ?session=ID a past session there; ?source=process the figures of this process. */
static int get_perf(struct lws *w, api_req *r)
{
    char src[32] = "", sess[80] = "";
    const char *a = lws_get_urlarg_by_name(w, "source=", src, sizeof src);
    const char *b = lws_get_urlarg_by_name(w, "session=", sess, sizeof sess);
    bool process = a && strcmp(a, "process") == 0;
    if (a && !process && strcmp(a, "postgres") != 0) return (void)refuse(r, "{\"error\":\"source: postgres or process\"}"), 0;
    if (!process && g_api->view.performance_pg) {
        api_defer(r, w);
        if (g_api->view.performance_pg(g_api->view.ctx, b, perf_reply, r) == 0) return 0; /* answered now or later */
        api_undefer(r);
    }
    if (b || (a && !process))
        return api_answer_json(r, 503, "{\"error\":\"past sessions and source=postgres are read from the PostgreSQL "
                                       "history: storage.postgres is not configured\"}");
    return doc_json(r, g_api->view.performance);
}
static int get_balances(struct lws *w, api_req *r) { (void)w; return doc_json(r, g_api->view.balances); }
static int get_events(struct lws *w, api_req *r)
{
    (void)w;
    return api_answer_json(r, 426, "{\"error\":\"/events is a websocket: connect with Upgrade: websocket\"}");
}

static const route_ent ROUTES[] = {
    {"/health", false, get_health},         {"/metrics", false, get_metrics},
    {"/risk", false, get_risk},             {"/sessions/status", false, get_status},
    {"/performance/stats", false, get_perf}, {"/events", false, get_events},
    {"/balances", false, get_balances},
    {"/risk/kill", true, post_kill},        {"/risk/rearm", true, post_rearm},
    {"/sessions/start", true, post_start},  {"/sessions/stop", true, post_stop},
    {"/reload", true, post_reload},         {"/settlement/trigger", true, post_settle},
};

int api_route(struct lws *wsi, api_req *r)
{
    const route_ent *e = NULL;
    for (size_t i = 0; i < sizeof ROUTES / sizeof *ROUTES; i++)
        if (strcmp(r->uri, ROUTES[i].path) == 0) e = &ROUTES[i];
    if (!e) {
        char list[600];
        size_t k = 0;
        for (size_t i = 0; i < sizeof ROUTES / sizeof *ROUTES; i++)
            k += (size_t)snprintf(list + k, sizeof list - k, "%s\"%s %s\"", i ? "," : "", ROUTES[i].post ? "POST" : "GET",
                                  ROUTES[i].path);
        return api_answer_json(r, 404, "{\"error\":\"no such endpoint\",\"endpoints\":[%s]}", list);
    }
    if (e->post != r->post) return api_answer_json(r, 405, "{\"error\":\"%s takes %s only\"}", e->path, e->post ? "POST" : "GET");
    if (e->post && !r->authed) {
        if (!g_api->token[0])
            return api_answer_json(r, 403, "{\"error\":\"changes through the API need api.token_env or api.token_file in the config\"}");
        if (!api_token_ok(wsi)) {
            api_refused_log(r->uri);
            return api_answer_json(r, 401, "{\"error\":\"missing or wrong bearer token\"}");
        }
        r->authed = true;
    }
    if (r->awaiting_body) return 0; /* answered once the body is complete */
    return e->fn(wsi, r);
}
