/* sim_main.c — `tradehost sim`: options, the market replay on the loop, signals, and the one
 * endpoints line on stdout (see simd.h). Logs go to stderr; stdout carries only that line, so a
 * script can read the URLs with one `read`. */
#include "simd.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../core/clock.h"
#include "../core/log.h"
#include "../feed/instrument_file.h"
#include "../feed/venue_feed.h"

#define SIM_STEPS_PER_TURN 256   /* records applied per loop turn at full pace: clients stay served */
#define SIM_TICK_MS 100

const sim_venue *simd_venue_find(const char *name)
{
    if (strcmp(name, "kraken") == 0) return &SIM_VENUE_KRAKEN;
    if (strcmp(name, "binance") == 0) return &SIM_VENUE_BINANCE;
    if (strcmp(name, "kraken-futures") == 0) return &SIM_VENUE_KRAKEN_FUTURES;
    return NULL;
}

int64_t simd_wall_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int64_t simd_now_ns(const simd *s)
{
    if (s->data_ended) return s->end_ts + (th_mono_ns() - s->end_mono);
    if (s->first_ts <= 0) {
        /* not started (--paused): the time of the first record, held */
        int64_t ts;
        return th_ingest_peek(&s->in, &ts) ? ts : simd_wall_ns();
    }
    if (!s->opt.pace_full) {
        int64_t now = s->opt.paused ? s->pause_mono : th_mono_ns(); /* held by POST /_sim/pause */
        int64_t t = s->first_ts + (int64_t)((double)(now - s->start_mono) * s->opt.speed);
        return t > s->market_ns ? t : s->market_ns;
    }
    return s->market_ns;
}

static void on_trade(void *ctx, th_feed *f, int32_t sym, const th_trade_ev *t)
{
    (void)f;
    simd *s = ctx;
    simd_engine_trade(s, sym, t);
    if (s->venue->trade) s->venue->trade(s, sym, t);
}

static void on_health(void *ctx, th_feed *f, int32_t sym, int32_t old_h, int32_t new_h, const char *reason)
{
    (void)ctx;
    if (new_h != TH_BOOK_OK)
        th_logf(TH_LOG_WARN, "sim: market book health", "symbol=%s from=%s to=%s reason=\"%s\"", f->instruments.v[sym].symbol,
                th_book_health_name(old_h), th_book_health_name(new_h), reason);
}

/* Apply one record; tell the venue which books it changed. */
static int step(simd *s)
{
    int64_t ts;
    if (th_ingest_peek(&s->in, &ts)) s->market_ns = ts;
    int rc = th_ingest_step(&s->in);
    if (rc <= 0) return rc;
    s->steps++;
    th_feed *f = &s->feed;
    for (int32_t i = 0; i < f->sym_cap; i++) {
        th_feed_symbol *fs = f->sym[i];
        if (!fs || !fs->dirty) continue;
        fs->dirty = false;
        if (fs->book.health != TH_BOOK_OK) continue;
        if (s->venue->book_changed) s->venue->book_changed(s, i);
        simd_engine_book(s, i);
    }
    return 1;
}

static void data_end(simd *s, int rc)
{
    s->end_ts = simd_now_ns(s);
    s->end_mono = th_mono_ns();
    s->data_ended = true;
    uv_timer_stop(&s->pace_timer);
    th_ingest_log_reasons(&s->in);
    th_logf(rc < 0 ? TH_LOG_ERROR : TH_LOG_INFO, "sim: market data ended; the market holds its last state",
            "records=%llu frames=%llu errors=%llu read_error=%s", (unsigned long long)s->in.records,
            (unsigned long long)s->feed.frames, (unsigned long long)s->feed.errors, rc < 0 ? "yes" : "no");
}

static void pace(uv_timer_t *t)
{
    simd *s = t->data;
    if (s->stopping || s->data_ended) return;
    int64_t ts;
    for (int k = 0; k < SIM_STEPS_PER_TURN; k++) {
        if (!th_ingest_peek(&s->in, &ts)) { data_end(s, s->in.read_error ? -1 : 0); return; }
        if (s->first_ts <= 0) { s->first_ts = ts; s->start_mono = th_mono_ns(); }
        if (!s->opt.pace_full) {
            int64_t due = th_ingest_due(ts, s->first_ts, s->start_mono, s->opt.speed);
            int64_t wait = due - th_mono_ns();
            if (wait > 0) {
                uv_timer_start(&s->pace_timer, pace, (uint64_t)((wait + 999999) / 1000000), 0);
                return;
            }
        }
        int rc = step(s);
        if (rc <= 0) { data_end(s, rc); return; }
    }
    uv_timer_start(&s->pace_timer, pace, 0, 0);
}

bool simd_resume(simd *s)
{
    if (!s->opt.paused || s->stopping) return false;
    s->opt.paused = false;
    /* the recorded pace counts from start_mono: the time held does not count (no burst to catch up) */
    if (s->first_ts > 0) s->start_mono += th_mono_ns() - s->pause_mono;
    th_logf(TH_LOG_INFO, "sim: replay resumed", NULL);
    uv_timer_start(&s->pace_timer, pace, 0, 0);
    return true;
}

bool simd_pause(simd *s)
{
    if (s->opt.paused || s->stopping || s->data_ended) return false;
    s->opt.paused = true;
    s->pause_mono = th_mono_ns();
    uv_timer_stop(&s->pace_timer);
    th_logf(TH_LOG_INFO, "sim: replay paused; the market holds still until POST /_sim/resume", NULL);
    return true;
}

static void tick(uv_timer_t *t)
{
    simd *s = t->data;
    if (s->stopping) return;
    if (s->engine) th_sim_tick(s->engine, simd_now_ns(s)); /* the dead-man switches */
    if (s->venue->tick) s->venue->tick(s);
}

static void on_signal(uv_signal_t *h, int signum)
{
    simd *s = h->data;
    if (s->stopping) return;
    s->stopping = true;
    th_logf(TH_LOG_INFO, "sim: stopping", "signal=%d", signum);
    uv_timer_stop(&s->pace_timer);
    uv_timer_stop(&s->tick_timer);
    uv_close((uv_handle_t *)&s->pace_timer, NULL);
    uv_close((uv_handle_t *)&s->tick_timer, NULL);
    uv_close((uv_handle_t *)&s->sig_term, NULL);
    uv_close((uv_handle_t *)&s->sig_int, NULL);
    sim_server_close(&s->srv);
}

/* server ops -> venue / control */
static void srv_http(void *ctx, const sim_http_req *req, sim_http_resp *resp)
{
    simd *s = ctx;
    if (strncmp(req->path, "/_sim", 5) == 0 && (req->path[5] == 0 || req->path[5] == '/')) {
        if (req->port != SIM_PORT_PUBLIC) { resp->status = 404; sim_buf_puts(&resp->body, "{\"error\":\"control is on the public port\"}"); return; }
        simd_control(s, req, resp);
        return;
    }
    if (req->uri_refused || req->query_too_long) { s->venue->http(s, req, resp); return; } /* refused: no fault applies */
    bool hide;
    if (simd_fault_http(s, req, resp, &hide)) return;
    s->venue->http(s, req, resp);
    if (hide) {
        resp->never = true; /* no_answer: it took effect, the client hears nothing */
        return;
    }
    simd_fault_http_latency(s, req, resp);
}
static void srv_ws_open(void *ctx, sim_ws *ws) { simd *s = ctx; s->venue->ws_open(s, ws); }
static void srv_ws_message(void *ctx, sim_ws *ws, const char *t, size_t n) { simd *s = ctx; s->venue->ws_message(s, ws, t, n); }
static void srv_ws_close(void *ctx, sim_ws *ws) { simd *s = ctx; s->venue->ws_close(s, ws); }

static int parse_listen(const char *listen, char *host, size_t cap, int *port, const char **err)
{
    char h[64];
    if (sscanf(listen, "[%63[^]]]:%d", h, port) != 2 && sscanf(listen, "%63[^:]:%d", h, port) != 2) {
        *err = "--listen: expected HOST:PORT (e.g. 127.0.0.1:0)";
        return -1;
    }
    if (strcmp(h, "localhost") == 0) snprintf(h, sizeof h, "127.0.0.1");
    if (strcmp(h, "127.0.0.1") != 0 && strcmp(h, "::1") != 0) { *err = "--listen: loopback addresses only (127.0.0.1 or ::1)"; return -1; }
    if (*port < 0 || *port > 65534) { *err = "--listen: port out of range"; return -1; }
    snprintf(host, cap, "%s", h);
    return 0;
}

static int usage_error(const char *msg)
{
    fprintf(stderr, "tradehost sim: %s (see `tradehost sim --help`)\n", msg);
    return 2;
}

int th_cmd_sim(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"venue", required_argument, NULL, 'v'}, {"data", required_argument, NULL, 'd'},
        {"instruments", required_argument, NULL, 'i'}, {"listen", required_argument, NULL, 'l'},
        {"pace", required_argument, NULL, 'p'}, {"speed", required_argument, NULL, 's'},
        {"accounts", required_argument, NULL, 'a'}, {"seed", required_argument, NULL, 'S'},
        {"log-level", required_argument, NULL, 'L'}, {"paused", no_argument, NULL, 'P'},
        {"snapshots", required_argument, NULL, 'n'},
        {"no-rate-limit", no_argument, NULL, 'R'}, {"ws-ping-ms", required_argument, NULL, 'W'},
        {"orders-per-10s", required_argument, NULL, 'O'}, {"rest-counter", no_argument, NULL, 'C'}, {NULL, 0, NULL, 0},
    };
    simd_opts o = {.listen = "127.0.0.1:0", .speed = 1.0, .seed = 1, .ws_ping_ms = 20000};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        char *end;
        switch (c) {
        case 'v': o.venue = optarg; break;
        case 'd': o.data = optarg; break;
        case 'i': o.instruments = optarg; break;
        case 'l': o.listen = optarg; break;
        case 'a': o.accounts = optarg; break;
        case 'n': o.snapshots = optarg; break;
        case 'P': o.paused = true; break;
        case 'R': o.no_rate_limit = true; break;
        case 'C': o.rest_counter = true; break;
        case 'p':
            if (strcmp(optarg, "full") == 0) o.pace_full = true;
            else if (strcmp(optarg, "recorded") != 0) return usage_error("--pace must be recorded or full");
            break;
        case 's':
            o.speed = strtod(optarg, &end);
            if (*end || !(o.speed > 0) || o.speed > 1e6) return usage_error("--speed: a number > 0 (1 = as recorded)");
            break;
        case 'O': {
            long v = strtol(optarg, &end, 10);
            if (*end || !*optarg || v < 0 || v > 1000000) return usage_error("--orders-per-10s: orders per account per 10 s, 0 (no limit) to 1000000");
            o.orders_10s = (int32_t)v;
            break;
        }
        case 'W':
            o.ws_ping_ms = strtoll(optarg, &end, 10);
            if (*end || o.ws_ping_ms < 100 || o.ws_ping_ms > 3600000) return usage_error("--ws-ping-ms: milliseconds between server pings, 100 to 3600000");
            break;
        case 'S':
            o.seed = strtoull(optarg, &end, 10);
            if (*end || !*optarg) return usage_error("--seed: an unsigned integer");
            break;
        case 'L': {
            int lvl;
            if (th_log_level_parse(optarg, &lvl) != 0) return usage_error("--log-level: debug|info|warn|error");
            th_log_set_level(lvl);
            break;
        }
        default: return usage_error("unknown option");
        }
    }
    if (optind != argc) return usage_error("unexpected argument");
    if (!o.venue) return usage_error("--venue is required (kraken, kraken-futures or binance)");
    if (!o.data) return usage_error("--data RECORDING is required");
    if (!o.instruments) return usage_error("--instruments FILE is required (the venue's instrument data)");
    const sim_venue *v = simd_venue_find(o.venue);
    if (!v) {
        fprintf(stderr, "tradehost sim: --venue %s: this build serves kraken, kraken-futures and binance\n", o.venue);
        return 2;
    }
    const char *err;
    static simd sim; /* one per process; static keeps it off the stack */
    simd *s = &sim;
    memset(s, 0, sizeof *s);
    s->opt = o;
    s->venue = v;
    int port;
    if (parse_listen(o.listen, s->host, sizeof s->host, &port, &err) != 0) return usage_error(err);

    int code = 0;
    if (th_feed_init(&s->feed, v->feed_venue, th_venue_feed_ops_for(v->feed_venue)->depth) != 0) {
        fprintf(stderr, "tradehost sim: out of memory\n");
        return 1;
    }
    s->feed.sink.ctx = s;
    s->feed.sink.on_trade = on_trade;
    s->feed.sink.on_health = on_health;
    int n = th_instruments_load_file(&s->feed.instruments, o.instruments, &err);
    if (n <= 0) {
        fprintf(stderr, "tradehost sim: --instruments %s: %s\n", o.instruments, err);
        th_feed_free(&s->feed);
        return 2;
    }
    if (th_ingest_open(&s->in, &s->feed, o.data, "sim", &err) != 0) {
        fprintf(stderr, "tradehost sim: --data %s: %s\n", o.data, err);
        th_feed_free(&s->feed);
        return 2;
    }
    if (o.snapshots && th_ingest_add_snapshots(&s->in, o.snapshots, &err) != 0) {
        fprintf(stderr, "tradehost sim: --snapshots %s: %s\n", o.snapshots, err);
        th_ingest_close(&s->in);
        th_feed_free(&s->feed);
        return 2;
    }
    if (v->market_only && o.accounts) {
        fprintf(stderr, "tradehost sim: --venue %s serves market data only: it takes no --accounts\n", v->name);
        th_ingest_close(&s->in);
        th_feed_free(&s->feed);
        return 2;
    }
    if (v->init(s, &err) != 0 ||
        (!v->market_only && (simd_accounts_load(s, &s->accounts, o.accounts, &err) != 0 || simd_engine_open(s, &err) != 0))) {
        fprintf(stderr, "tradehost sim: %s\n", err);
        simd_engine_close(s);
        simd_accounts_free(&s->accounts);
        v->free(s);
        th_ingest_close(&s->in);
        th_feed_free(&s->feed);
        return 2;
    }

    uv_loop_t loop;
    uv_loop_init(&loop);
    s->loop = &loop;
    sim_server_ops ops = {.ctx = s, .http = srv_http, .ws_open = srv_ws_open, .ws_message = srv_ws_message, .ws_close = srv_ws_close,
                          .ws_out = simd_fault_ws_out};
    /* the private listener takes the next free port: port 0 asks for two free ones */
    if (sim_server_open(&s->srv, &loop, s->host, port, port ? port + 1 : 0, &ops, &err) != 0) {
        fprintf(stderr, "tradehost sim: --listen %s: %s\n", o.listen, err);
        uv_run(&loop, UV_RUN_DEFAULT);
        sim_server_free(&s->srv);
        uv_loop_close(&loop);
        code = 2;
        goto out;
    }
    uv_timer_init(&loop, &s->pace_timer);
    uv_timer_init(&loop, &s->tick_timer);
    uv_signal_init(&loop, &s->sig_term);
    uv_signal_init(&loop, &s->sig_int);
    s->pace_timer.data = s->tick_timer.data = s->sig_term.data = s->sig_int.data = s;
    uv_signal_start(&s->sig_term, on_signal, SIGTERM);
    uv_signal_start(&s->sig_int, on_signal, SIGINT);
    uv_timer_start(&s->tick_timer, tick, SIM_TICK_MS, SIM_TICK_MS);
    if (!o.paused) uv_timer_start(&s->pace_timer, pace, 0, 0);

    sim_buf line;
    sim_buf_init(&line);
    v->endpoints(s, &line);
    if (s->accounts.generated) {
        /* no --accounts: the one account's credentials go with the URLs */
        sim_buf_unput(&line, '}');
        sim_buf_puts(&line, ",\"key\":");
        sim_buf_str(&line, s->accounts.v[0].key);
        sim_buf_puts(&line, ",\"secret\":");
        sim_buf_str(&line, s->accounts.v[0].secret);
        sim_buf_putc(&line, '}');
    }
    sim_buf_putc(&line, '\n');
    fwrite(sim_buf_text(&line), 1, line.n, stdout);
    fflush(stdout);
    sim_buf_free(&line);
    th_logf(TH_LOG_INFO, "sim: serving", "venue=%s public_port=%d private_port=%d instruments=%d accounts=%d data=%s pace=%s%s speed=%g seed=%llu",
            v->name, s->srv.port[0], s->srv.port[1], n, s->accounts.n, o.data, o.pace_full ? "full" : "recorded", o.paused ? " (paused until POST /_sim/resume)" : "", o.speed,
            (unsigned long long)o.seed);

    uv_run(&loop, UV_RUN_DEFAULT);
    sim_server_free(&s->srv);
    uv_run(&loop, UV_RUN_NOWAIT);
    if (uv_loop_close(&loop) != 0) th_logf(TH_LOG_WARN, "sim: handles still open at exit", NULL);
    th_logf(TH_LOG_INFO, "sim: stopped", "records=%llu http_requests=%llu ws_frames_out=%llu ws_cut_slow=%llu",
            (unsigned long long)s->in.records, (unsigned long long)s->srv.http_requests,
            (unsigned long long)s->srv.ws_frames_out, (unsigned long long)s->srv.ws_cut_slow);
out:
    simd_fault_free(s);
    simd_engine_close(s);
    simd_accounts_free(&s->accounts);
    v->free(s);
    th_ingest_close(&s->in);
    th_feed_free(&s->feed);
    return code;
}
