/* record_cmd.c — `tradehost record`: a venue's public market data captured live to a recording that
 * replay, run and backtest read through the one ingestion path (feed/rec_writer.h says the lines).
 *
 * The venue's own public connector runs as in a session (Kraken spot, Binance spot with its depth
 * snapshots, Kraken Futures), with a feed behind it, so everything a session would do to keep the
 * books right happens here too (resubscribe a broken Kraken book, fetch a Binance snapshot after a
 * gap or a reconnect) and what is written is exactly what the live feed was given: every frame the
 * websocket received (raw, heartbeats and answers too: the reader counts them as ignored), every
 * connection opened (its URL: Binance's names its streams) and frame sent, and every REST body the
 * connector gave the feed, with its URL. A replay of the file therefore builds the same books the
 * recorder had. It ends after --duration or at SIGINT/SIGTERM, the last line complete. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "../connectors/binance_public.h"
#include "../connectors/kraken_futures_public.h"
#include "../connectors/kraken_public.h"
#include "../core/clock.h"
#include "../core/log.h"
#include "../feed/feed.h"
#include "../feed/instrument_file.h"
#include "../feed/rec_writer.h"
#include "../feed/venue_feed.h"
#include "../net/lws_loop.h"
#include "../net/url.h"
#include "paths.h"

#define MAX_SYMBOLS 64
#define FLUSH_MS 100

typedef struct recorder {
    uv_loop_t loop;
    uv_timer_t flush, stop_timer;
    uv_signal_t sig_int, sig_term;
    th_feed feed;
    th_rec_writer w;
    th_venue_id venue;
    th_kraken_public kp;
    th_binance_public bp;
    th_kraken_futures_public kfp;
    th_ws_client *ws; /* the connector's websocket */
    bool stopping;
    const char *stop_why;
    int64_t start_ns;
} recorder;

static int usage_error(const char *msg)
{
    fprintf(stderr, "tradehost record: %s (see tradehost record --help)\n", msg);
    return 2;
}

static void on_ws_tap(void *ctx, th_ws_tap_kind kind, const char *text, size_t len)
{
    recorder *r = ctx;
    int64_t now = th_clock_ns();
    if (kind == TH_WS_TAP_FRAME) { th_rec_writer_frame(&r->w, now, text, len); return; }
    const th_url *u = &r->ws->url;
    char url[700];
    int un = snprintf(url, sizeof url, "%s://%s:%d%s", u->scheme, u->host, u->port, u->path);
    if (un < 0 || (size_t)un >= sizeof url) un = (int)strlen(url);
    if (kind == TH_WS_TAP_OPEN) th_rec_writer_tagged(&r->w, TH_REC_LINE_OPEN, text, len, now, NULL, 0);
    else th_rec_writer_tagged(&r->w, TH_REC_LINE_SENT, url, (size_t)un, now, text, len);
}

static void on_rest_tap(void *ctx, const char *url, size_t url_len, const char *body, size_t len)
{
    recorder *r = ctx;
    th_rec_writer_tagged(&r->w, TH_REC_LINE_REST, url ? url : "", url ? url_len : 0, th_clock_ns(), body, len);
}

static void on_health(void *ctx, th_feed *f, int32_t sym, int32_t old_h, int32_t new_h, const char *reason)
{
    (void)ctx;
    th_logf(new_h == TH_BOOK_OK ? TH_LOG_INFO : TH_LOG_WARN, "record: book health", "symbol=%s from=%s to=%s reason=\"%s\"",
            f->instruments.v[sym].symbol, th_book_health_name(old_h), th_book_health_name(new_h), reason);
}

static void close_handle(uv_handle_t *h)
{
    if (h->loop && !uv_is_closing(h)) uv_close(h, NULL);
}

static void stop(recorder *r, const char *why)
{
    if (r->stopping) return;
    r->stopping = true;
    r->stop_why = why;
    th_logf(TH_LOG_INFO, "record: stopping", "why=\"%s\"", why);
    if (r->venue == TH_VENUE_BINANCE) th_binance_public_close(&r->bp);
    else if (r->venue == TH_VENUE_KRAKEN_FUTURES) th_kraken_futures_public_close(&r->kfp);
    else th_kraken_public_close(&r->kp);
    th_lws_client_close();
    close_handle((uv_handle_t *)&r->flush);
    close_handle((uv_handle_t *)&r->stop_timer);
    close_handle((uv_handle_t *)&r->sig_int);
    close_handle((uv_handle_t *)&r->sig_term);
}

static void on_flush(uv_timer_t *t)
{
    recorder *r = t->data;
    if (th_rec_writer_flush(&r->w) != 0) {
        th_logf(TH_LOG_ERROR, "record: cannot write the recording", "error=\"%s\"", r->w.error);
        stop(r, "write failed");
    }
}

static void on_stop_timer(uv_timer_t *t) { stop(t->data, "--duration reached"); }
static void on_signal(uv_signal_t *h, int signum) { stop(h->data, signum == SIGINT ? "SIGINT" : "SIGTERM"); }

static int split_symbols(char *list, const char **out, int cap)
{
    int n = 0;
    for (char *save = NULL, *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        while (*t == ' ') t++;
        if (!*t) continue;
        if (n == cap) return -1;
        out[n++] = t;
    }
    return n;
}

static int open_connector(recorder *r, const char *endpoint, const char *rest, const char **syms, int n, char *why, size_t cap)
{
    int rc;
    if (r->venue == TH_VENUE_BINANCE) {
        rc = th_binance_public_open(&r->bp, &r->loop, endpoint, rest, &r->feed, syms, n, why, cap);
        r->ws = &r->bp.ws;
    } else if (r->venue == TH_VENUE_KRAKEN_FUTURES) {
        static char upper[MAX_SYMBOLS][32]; /* the products as WS v1 spells them (PI_XBTUSD) */
        for (int i = 0; i < n; i++) {
            snprintf(upper[i], sizeof upper[i], "%s", syms[i]);
            for (char *c = upper[i]; *c; c++)
                if (*c >= 'a' && *c <= 'z') *c = (char)(*c - 32);
            syms[i] = upper[i];
        }
        rc = th_kraken_futures_public_open(&r->kfp, &r->loop, endpoint, &r->feed, syms, n, why, cap);
        r->ws = &r->kfp.ws;
    } else {
        rc = th_kraken_public_open(&r->kp, &r->loop, endpoint, &r->feed, syms, n, why, cap);
        r->ws = &r->kp.ws;
    }
    if (rc == 0) th_ws_set_tap(r->ws, on_ws_tap, r);
    return rc;
}

static void free_connector(recorder *r)
{
    if (r->venue == TH_VENUE_BINANCE) th_binance_public_free(&r->bp);
    else if (r->venue == TH_VENUE_KRAKEN_FUTURES) th_kraken_futures_public_free(&r->kfp);
    else th_kraken_public_free(&r->kp);
}

/* One JSON line on stdout: what was written, and each book's health at the end. */
static void summary(recorder *r, const char *out, const char **syms, int n)
{
    printf("{\"venue\":\"%s\",\"file\":\"%s\",\"seconds\":%.3f,\"lines\":%llu,\"frames\":%llu,\"opens\":%llu,\"sent\":%llu,"
           "\"rest\":%llu,\"bytes\":%lld,\"stopped\":\"%s\",\"books\":{",
           th_venue_name(r->venue), out, (double)(th_clock_ns() - r->start_ns) / 1e9, (unsigned long long)r->w.lines,
           (unsigned long long)r->w.frames, (unsigned long long)r->w.opens, (unsigned long long)r->w.sent,
           (unsigned long long)r->w.rest, (long long)r->w.written, r->stop_why ? r->stop_why : "");
    for (int i = 0; i < n; i++) {
        int32_t idx = th_instruments_find(&r->feed.instruments, syms[i], strlen(syms[i]));
        const th_feed_symbol *fs = idx >= 0 && idx < r->feed.sym_cap ? r->feed.sym[idx] : NULL;
        printf("%s\"%s\":\"%s\"", i ? "," : "", syms[i], th_book_health_name(fs ? fs->book.health : TH_BOOK_EMPTY));
    }
    printf("}}\n");
    fflush(stdout);
}

int th_cmd_record(int argc, char **argv)
{
    static const struct option opts[] = {{"venue", required_argument, 0, 'v'},     {"symbols", required_argument, 0, 's'},
                                         {"out", required_argument, 0, 'o'},       {"duration", required_argument, 0, 'd'},
                                         {"instruments", required_argument, 0, 'i'}, {"endpoint", required_argument, 0, 'e'},
                                         {"rest", required_argument, 0, 'r'},      {"log-level", required_argument, 0, 'l'},
                                         {0, 0, 0, 0}};
    const char *venue_name = NULL, *out = NULL, *ipath = NULL, *endpoint = NULL, *rest = NULL;
    char symlist[4096] = "";
    double duration = 0;
    optind = 1;
    for (int c; (c = getopt_long(argc, argv, "", opts, NULL)) != -1;) {
        switch (c) {
        case 'v': venue_name = optarg; break;
        case 's': snprintf(symlist, sizeof symlist, "%s", optarg); break;
        case 'o': out = optarg; break;
        case 'i': ipath = optarg; break;
        case 'e': endpoint = optarg; break;
        case 'r': rest = optarg; break;
        case 'd': {
            char *end;
            duration = strtod(optarg, &end);
            if (*end || !(duration > 0)) return usage_error("--duration: a number of seconds > 0");
            break;
        }
        case 'l': {
            int lvl;
            if (th_log_level_parse(optarg, &lvl) != 0) return usage_error("--log-level: debug|info|warn|error");
            th_log_set_level(lvl);
            break;
        }
        default: return usage_error("unknown option");
        }
    }
    if (optind < argc) return usage_error("unexpected argument");
    static recorder rec;
    recorder *r = &rec;
    memset(r, 0, sizeof *r);
    if (!venue_name || th_venue_parse(venue_name, &r->venue) != 0 ||
        (r->venue != TH_VENUE_KRAKEN && r->venue != TH_VENUE_BINANCE && r->venue != TH_VENUE_KRAKEN_FUTURES))
        return usage_error("--venue: kraken | binance | kraken-futures (the venues with a public connector)");
    const char *syms[MAX_SYMBOLS];
    int n = split_symbols(symlist, syms, MAX_SYMBOLS);
    if (n <= 0) return usage_error(n < 0 ? "--symbols: at most 64" : "--symbols: one or more, comma-separated (e.g. XMR/USD,SC/EUR)");
    if (!out) return usage_error("--out FILE is required");
    if (!ipath) return usage_error("--instruments FILE is required (the venue's instrument data: scales of prices and sizes)");
    char why[1200];
    th_url u;
    if (endpoint && th_url_parse(endpoint, &u, why, sizeof why) != 0) { fprintf(stderr, "tradehost record: --endpoint: %s\n", why); return 2; }
    if (rest && th_url_parse(rest, &u, why, sizeof why) != 0) { fprintf(stderr, "tradehost record: --rest: %s\n", why); return 2; }
    if (th_path_check_readable(ipath, why, sizeof why) != 0) { fprintf(stderr, "tradehost record: --instruments: %s\n", why); return 2; }
    const char *err = NULL;
    if (th_feed_init(&r->feed, r->venue, th_venue_feed_ops_for(r->venue)->depth) != 0) { fprintf(stderr, "tradehost record: out of memory\n"); return 1; }
    if (th_instruments_load_file(&r->feed.instruments, ipath, &err) <= 0) {
        fprintf(stderr, "tradehost record: --instruments %s: %s\n", ipath, err ? err : "no instruments");
        th_feed_free(&r->feed);
        return 2;
    }
    for (int i = 0; i < n; i++)
        if (th_instruments_find(&r->feed.instruments, syms[i], strlen(syms[i])) < 0) {
            fprintf(stderr, "tradehost record: --symbols: %s is not in %s\n", syms[i], ipath);
            th_feed_free(&r->feed);
            return 2;
        }
    if (th_rec_writer_open(&r->w, out, &err) != 0) {
        fprintf(stderr, "tradehost record: --out: %s\n", err);
        th_feed_free(&r->feed);
        return 2;
    }
    r->feed.sink.ctx = r;
    r->feed.sink.on_health = on_health;
    r->feed.rest_tap = on_rest_tap;
    r->feed.rest_tap_ctx = r;
    uv_loop_init(&r->loop);
    uv_timer_init(&r->loop, &r->flush);
    uv_timer_init(&r->loop, &r->stop_timer);
    uv_signal_init(&r->loop, &r->sig_int);
    uv_signal_init(&r->loop, &r->sig_term);
    r->flush.data = r->stop_timer.data = r->sig_int.data = r->sig_term.data = r;
    uv_signal_start(&r->sig_int, on_signal, SIGINT);
    uv_signal_start(&r->sig_term, on_signal, SIGTERM);
    int code = 0;
    if (open_connector(r, endpoint, rest, syms, n, why, sizeof why) != 0) {
        fprintf(stderr, "tradehost record: cannot connect: %s\n", why);
        code = 1;
        stop(r, "cannot connect");
    } else {
        /* the duration counts from here: making the client context can take a while (valgrind),
         * and the loop's clock was read at its init */
        uv_update_time(&r->loop);
        r->start_ns = th_clock_ns();
        uv_timer_start(&r->flush, on_flush, FLUSH_MS, FLUSH_MS);
        if (duration > 0) uv_timer_start(&r->stop_timer, on_stop_timer, (uint64_t)(duration * 1000), 0);
        th_logf(TH_LOG_INFO, "record: recording", "venue=%s symbols=%d out=%s duration_s=%g", th_venue_name(r->venue), n, out, duration);
    }
    uv_run(&r->loop, UV_RUN_DEFAULT);
    th_lws_client_free();
    uv_run(&r->loop, UV_RUN_NOWAIT);
    if (uv_loop_close(&r->loop) != 0) th_logf(TH_LOG_WARN, "record: handles still open at exit", NULL);
    if (th_rec_writer_close(&r->w) != 0) {
        fprintf(stderr, "tradehost record: %s (the file ends at its last complete line)\n", r->w.error);
        code = 1;
    }
    summary(r, out, syms, n);
    free_connector(r);
    th_feed_free(&r->feed);
    return code;
}
