/* replay.c — `tradehost replay`: recorded frames through the real feed parsers and books.
 *
 * The frames come through the one ingestion path (feed/ingest.c), as in a session: REST snapshots
 * given with --snapshots are merged into the stream by their recorded receive time, which is how
 * the venue's own sequence of events looked to the recorder (a Binance snapshot taken while the
 * diff stream was being buffered); snapshots carried inline in the recording are used where they
 * stand. What this file owns is the command line and the report. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../core/clock.h"
#include "../core/decimal.h"
#include "../core/log.h"
#include "../feed/feed.h"
#include "../feed/ingest.h"
#include "../feed/venue_feed.h"

static void on_health(void *ctx, th_feed *f, int32_t sym, int32_t old_h, int32_t new_h, const char *reason)
{
    (void)ctx;
    if (new_h == TH_BOOK_OK && old_h != TH_BOOK_EMPTY) {
        th_logf(TH_LOG_INFO, "book recovered", "symbol=%s reason=\"%s\"", f->instruments.v[sym].symbol, reason);
    } else if (new_h != TH_BOOK_OK) {
        th_logf(TH_LOG_WARN, "book health", "symbol=%s from=%s to=%s reason=\"%s\"", f->instruments.v[sym].symbol,
                th_book_health_name(old_h), th_book_health_name(new_h), reason);
    }
}

static void json_str(FILE *o, const char *s)
{
    fputc('"', o);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') fputc('\\', o);
        if ((unsigned char)*s >= 0x20) fputc(*s, o);
    }
    fputc('"', o);
}

static void print_levels(FILE *o, const th_book *b, int side, int n)
{
    fputc('[', o);
    for (int i = 0; i < n; i++) {
        int64_t px, qty;
        if (th_book_level(b, side, i, &px, &qty) != 0) break;
        char p[32], q[32];
        th_dec_format(px, b->price_dec, p, sizeof p);
        th_dec_format(qty, b->qty_dec, q, sizeof q);
        fprintf(o, "%s[\"%s\",\"%s\"]", i ? "," : "", p, q);
    }
    fputc(']', o);
}

static void print_json(FILE *o, const th_feed *f, uint64_t records)
{
    fprintf(o, "{\"venue\":\"%s\",\"records\":%llu,\"frames\":%llu,\"errors\":%llu,\"ignored\":%llu,\"symbols\":{",
            th_venue_name(f->venue), (unsigned long long)records, (unsigned long long)f->frames,
            (unsigned long long)f->errors, (unsigned long long)f->ignored);
    int first = 1;
    for (int32_t i = 0; i < f->sym_cap; i++) {
        const th_feed_symbol *s = f->sym[i];
        if (!s || s->frames == 0) continue;
        fprintf(o, "%s", first ? "" : ",");
        first = 0;
        json_str(o, f->instruments.v[i].symbol);
        fprintf(o, ":{\"frames\":%llu,\"checksum_ok\":%llu,\"checksum_failed\":%llu,\"gaps\":%llu,\"resyncs\":%llu,"
                   "\"parse_errors\":%llu,\"trades\":%llu,\"health\":\"%s\",\"bids\":",
                (unsigned long long)s->frames, (unsigned long long)s->checksum_ok,
                (unsigned long long)s->checksum_failed, (unsigned long long)s->gaps, (unsigned long long)s->resyncs,
                (unsigned long long)s->parse_errors, (unsigned long long)s->trades, th_book_health_name(s->book.health));
        print_levels(o, &s->book, TH_BID, 5);
        fprintf(o, ",\"asks\":");
        print_levels(o, &s->book, TH_ASK, 5);
        fputc('}', o);
    }
    fprintf(o, "},\"reasons\":{\"errors\":{");
    /* why frames were counted as errors or ignored: a user can always tell why a book is empty */
    for (int pass = 0; pass < 2; pass++) {
        if (pass) fprintf(o, "},\"ignored\":{");
        int n = 0;
        for (int i = 0; i < f->nreasons; i++) {
            if (f->reasons[i].ignored != (pass == 1)) continue;
            fprintf(o, "%s", n++ ? "," : "");
            json_str(o, f->reasons[i].text);
            fprintf(o, ":%llu", (unsigned long long)f->reasons[i].count);
        }
    }
    fprintf(o, "}}}\n");
}

static void print_table(FILE *o, const th_feed *f, uint64_t records, double secs)
{
    fprintf(o, "venue %s: %llu records, %llu frames, %llu errors in %.3f s\n", th_venue_name(f->venue),
            (unsigned long long)records, (unsigned long long)f->frames, (unsigned long long)f->errors, secs);
    fprintf(o, "%-20s %8s %8s %8s %5s %7s %-10s %s\n", "symbol", "frames", "cksum_ok", "cksum_bad", "gaps", "resyncs",
            "health", "best bid / ask");
    for (int32_t i = 0; i < f->sym_cap; i++) {
        const th_feed_symbol *s = f->sym[i];
        if (!s || s->frames == 0) continue;
        char bp[32] = "-", ap[32] = "-";
        int64_t px, q;
        if (th_book_level(&s->book, TH_BID, 0, &px, &q) == 0) th_dec_format(px, s->book.price_dec, bp, sizeof bp);
        if (th_book_level(&s->book, TH_ASK, 0, &px, &q) == 0) th_dec_format(px, s->book.price_dec, ap, sizeof ap);
        fprintf(o, "%-20s %8llu %8llu %8llu %5llu %7llu %-10s %s / %s\n", f->instruments.v[i].symbol,
                (unsigned long long)s->frames, (unsigned long long)s->checksum_ok, (unsigned long long)s->checksum_failed,
                (unsigned long long)s->gaps, (unsigned long long)s->resyncs, th_book_health_name(s->book.health), bp, ap);
    }
    for (int i = 0; i < f->nreasons; i++)
        fprintf(o, "%s %llu: %s\n", f->reasons[i].ignored ? "ignored" : "errors ", (unsigned long long)f->reasons[i].count,
                f->reasons[i].text);
}

static void sleep_ns(int64_t ns)
{
    if (ns <= 0) return;
    struct timespec ts = {.tv_sec = ns / 1000000000LL, .tv_nsec = ns % 1000000000LL};
    nanosleep(&ts, NULL);
}

int th_cmd_replay(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"venue", required_argument, NULL, 'v'},  {"instruments", required_argument, NULL, 'i'},
        {"snapshots", required_argument, NULL, 's'}, {"json", no_argument, NULL, 'j'},
        {"pace", required_argument, NULL, 'p'},   {"depth", required_argument, NULL, 'd'},
        {"symbol", required_argument, NULL, 'y'}, {NULL, 0, NULL, 0},
    };
    const char *venue_name = NULL, *instruments = NULL, *symbol_hint = NULL;
    const char *snapshot_files[16];
    int nsnap = 0, json = 0, recorded_pace = 0, depth = -1;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'v': venue_name = optarg; break;
        case 'i': instruments = optarg; break;
        case 's':
            if (nsnap == 16) { fprintf(stderr, "tradehost replay: at most 16 --snapshots files\n"); return 2; }
            snapshot_files[nsnap++] = optarg;
            break;
        case 'j': json = 1; break;
        case 'p':
            if (strcmp(optarg, "recorded") == 0) recorded_pace = 1;
            else if (strcmp(optarg, "full") != 0) { fprintf(stderr, "tradehost replay: --pace must be full or recorded\n"); return 2; }
            break;
        case 'd': depth = atoi(optarg); break;
        case 'y': symbol_hint = optarg; break;
        default: fprintf(stderr, "see `tradehost replay --help`\n"); return 2;
        }
    }
    if (optind != argc - 1) { fprintf(stderr, "tradehost replay: expected one recording FILE (see --help)\n"); return 2; }
    const char *path = argv[optind];
    th_venue_id venue;
    if (!venue_name || th_venue_parse(venue_name, &venue) != 0 || venue == TH_VENUE_SIM) {
        fprintf(stderr, "tradehost replay: --venue must be kraken, kraken-futures, binance or binance-usdm\n");
        return 2;
    }
    if (depth < 0) depth = th_venue_feed_ops_for(venue)->depth;

    th_feed feed;
    if (th_feed_init(&feed, venue, depth) != 0) { fprintf(stderr, "tradehost replay: out of memory\n"); return 1; }
    feed.sink.on_health = on_health;
    const char *err;
    int code = 0;
    th_ingest in;
    memset(&in, 0, sizeof in);
    if (instruments) {
        int n = th_instruments_load_file(&feed.instruments, instruments, &err);
        if (n <= 0) {
            fprintf(stderr, "tradehost replay: --instruments %s: %s\n", instruments, err);
            th_feed_free(&feed);
            return 2;
        }
    } else if (venue != TH_VENUE_KRAKEN) {
        fprintf(stderr, "tradehost replay: --instruments is required for %s (tick and lot sizes come from it)\n", venue_name);
        th_feed_free(&feed);
        return 2;
    }
    if (th_ingest_open(&in, &feed, path, "replay", &err) != 0) {
        fprintf(stderr, "tradehost replay: %s: %s\n", path, err);
        code = 2;
        goto out;
    }
    feed.symbol_hint = symbol_hint;
    for (int i = 0; i < nsnap; i++)
        if (th_ingest_add_snapshots(&in, snapshot_files[i], &err) != 0) {
            fprintf(stderr, "tradehost replay: --snapshots %s\n", err);
            code = 2;
            goto out;
        }

    th_clock_use_virtual(0);
    int64_t t0 = th_mono_ns(), first_ts = -1, ts;
    int rd = 1;
    while (th_ingest_peek(&in, &ts)) {
        th_clock_advance_to(ts);
        if (recorded_pace) {
            if (first_ts < 0) first_ts = ts;
            sleep_ns(th_ingest_due(ts, first_ts, t0, 1.0) - th_mono_ns());
        }
        if ((rd = th_ingest_step(&in)) <= 0) break;
    }
    if (in.read_error) rd = -1;
    uint64_t records = in.records;
    if (rd < 0) { fprintf(stderr, "tradehost replay: %s: read error at line %llu\n", path, (unsigned long long)in.rec.line_no); code = 1; }
    if (in.rec.bad_lines) th_logf(TH_LOG_WARN, "replay: lines in no known format were skipped", "count=%llu", (unsigned long long)in.rec.bad_lines);
    /* An empty file, binary garbage or the wrong file is not a successful replay of nothing. */
    if (rd >= 0 && records == 0) {
        fprintf(stderr, "tradehost replay: %s: no frames found (%llu lines read, %llu in no known recording format)\n", path,
                (unsigned long long)in.rec.line_no, (unsigned long long)in.rec.bad_lines);
        code = 1;
    }
    double secs = (double)(th_mono_ns() - t0) / 1e9;
    if (json) print_json(stdout, &feed, records);
    else print_table(stdout, &feed, records, secs);
out:
    th_ingest_close(&in);
    th_feed_free(&feed);
    return code;
}
