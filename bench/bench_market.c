/* bench_market.c — market data hot paths, printed as figures (not a test; see bench/run.sh).
 *
 *  1. book apply: level updates/s on a synthetic stream clustered at the top of a depth-1000 book,
 *     beside a bare sorted-array book measured in the same run (the practical ceiling);
 *  2. parse+apply: the real Kraken v2 recording (JSON tokenise, exact decimals, apply, truncate,
 *     CRC32 check) looped: update frames/s, and p50/p99 ns per update frame;
 *  3. 500 symbols interleaved (the 5 recorded pairs x 100 renamed copies) at depth 1000:
 *     frames/s and the process's peak RSS.
 * Each figure is the median of several runs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "../host/core/book.h"
#include "../host/core/clock.h"
#include "../host/core/log.h"
#include "../host/feed/feed.h"
#include "../host/feed/recording.h"

static int cmp_d(const void *a, const void *b) { double x = *(const double *)a, y = *(const double *)b; return x < y ? -1 : x > y; }
static double median(double *v, int n) { qsort(v, (size_t)n, sizeof *v, cmp_d); return v[n / 2]; }

/* ---- 1. synthetic book apply ---- */

typedef struct upd { int32_t side; int64_t px, qty; } upd;

static upd *make_stream(size_t n)
{
    upd *u = malloc(sizeof *u * n);
    uint64_t x = 0x12345678ABCDEFull;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13; x ^= x >> 7; x ^= x << 17;
        int side = (int)(x & 1);
        /* clustered at the top: ~60% within 8 ticks, ~90% within 64, tail to 1000 */
        uint64_t r = (x >> 8) % 100;
        int64_t off = r < 60 ? (int64_t)((x >> 20) % 8) : r < 90 ? (int64_t)((x >> 20) % 64) : (int64_t)((x >> 20) % 1000);
        u[i].side = side;
        u[i].px = side == TH_BID ? 1000000 - off : 1000001 + off;
        u[i].qty = ((x >> 40) % 3 == 0) ? 0 : (int64_t)((x >> 42) % 10000 + 1);
    }
    return u;
}

/* The baseline: one sorted array per side, binary search, memmove. */
typedef struct bare { int64_t px[2][4096], qty[2][4096]; int n[2]; } bare;
static void bare_set(bare *b, int side, int64_t px, int64_t qty)
{
    int64_t key = side == TH_BID ? px : -px; /* ascending keys, best LAST (top edits move little) */
    int lo = 0, hi = b->n[side];
    int64_t *k = b->px[side], *q = b->qty[side];
    while (lo < hi) { int m = (lo + hi) / 2; if (k[m] < key) lo = m + 1; else hi = m; }
    if (lo < b->n[side] && k[lo] == key) {
        if (qty) q[lo] = qty;
        else { memmove(k + lo, k + lo + 1, sizeof *k * (size_t)(b->n[side] - lo - 1)); memmove(q + lo, q + lo + 1, sizeof *q * (size_t)(b->n[side] - lo - 1)); b->n[side]--; }
    } else if (qty) {
        memmove(k + lo + 1, k + lo, sizeof *k * (size_t)(b->n[side] - lo)); memmove(q + lo + 1, q + lo, sizeof *q * (size_t)(b->n[side] - lo));
        k[lo] = key; q[lo] = qty; b->n[side]++;
        if (b->n[side] > 1000) { /* truncate: drop the worst (index 0) */
            memmove(k, k + 1, sizeof *k * 1000); memmove(q, q + 1, sizeof *q * 1000); b->n[side] = 1000;
        }
    }
}

static void bench_book(int runs)
{
    const size_t N = 20000000;
    upd *u = make_stream(N);
    double ours[9], base[9];
    static bare bb;
    for (int r = 0; r < runs; r++) {
        th_book b;
        th_book_init(&b, 1000, 2, 4);
        int64_t t0 = th_mono_ns();
        for (size_t i = 0; i < N; i++) {
            th_book_set(&b, u[i].side, u[i].px, u[i].qty);
            if (b.side[u[i].side].end - b.side[u[i].side].start > 1000) th_book_truncate(&b);
        }
        int64_t t1 = th_mono_ns();
        ours[r] = (double)N / ((double)(t1 - t0) / 1e9);
        th_book_free(&b);
        memset(&bb, 0, sizeof bb);
        t0 = th_mono_ns();
        for (size_t i = 0; i < N; i++) bare_set(&bb, u[i].side, u[i].px, u[i].qty);
        t1 = th_mono_ns();
        base[r] = (double)N / ((double)(t1 - t0) / 1e9);
    }
    double m = median(ours, runs), mb = median(base, runs);
    printf("book apply (depth 1000, top-clustered)   %8.1f M level updates/s   (bare sorted array: %.1f M/s, ratio %.2f)\n",
           m / 1e6, mb / 1e6, m / mb);
    free(u);
}

/* ---- 2 and 3. parse + apply on the real recording ---- */

typedef struct frames { char **v; size_t *len; int *is_snap; size_t n, cap; } frames;

static void frames_add(frames *f, const char *s, size_t n, int snap)
{
    if (f->n == f->cap) {
        f->cap = f->cap ? f->cap * 2 : 4096;
        f->v = realloc(f->v, sizeof *f->v * f->cap);
        f->len = realloc(f->len, sizeof *f->len * f->cap);
        f->is_snap = realloc(f->is_snap, sizeof *f->is_snap * f->cap);
    }
    f->v[f->n] = malloc(n + 1);
    memcpy(f->v[f->n], s, n);
    f->v[f->n][n] = 0;
    f->len[f->n] = n;
    f->is_snap[f->n] = snap;
    f->n++;
}

static void load_frames(const char *path, frames *out)
{
    th_recording rec;
    const char *err;
    if (th_recording_open(&rec, path, &err) != 0) { fprintf(stderr, "%s: %s\n", path, err); exit(1); }
    th_record r;
    while (th_recording_next(&rec, &r) > 0)
        if (r.kind == TH_REC_FRAME) frames_add(out, r.data, r.len, strstr(r.data, "\"type\":\"snapshot\"") != NULL);
    th_recording_close(&rec);
}

static size_t frames_bytes(const frames *f)
{
    size_t n = 0;
    for (size_t i = 0; i < f->n; i++) n += f->len[i] + 1;
    return n;
}

static int cmp_i64(const void *a, const void *b) { int64_t x = *(const int64_t *)a, y = *(const int64_t *)b; return x < y ? -1 : x > y; }

static void bench_parse(const char *dir, int runs, int with_500)
{
    char path[1024];
    frames fr = {0};
    snprintf(path, sizeof path, "%s/kraken/book-5pairs-2021-04-17.v2.txt", dir);
    load_frames(path, &fr);
    th_feed f;
    th_feed_init(&f, TH_VENUE_KRAKEN, 1000);
    snprintf(path, sizeof path, "%s/kraken/instrument-5pairs.v2.json", dir);
    const char *err;
    if (th_instruments_load_file(&f.instruments, path, &err) <= 0) { fprintf(stderr, "%s\n", err); exit(1); }
    size_t nupd = 0, bytes = 0;
    for (size_t i = 0; i < fr.n; i++) if (!fr.is_snap[i]) { nupd++; bytes += fr.len[i]; }
    const int LOOPS = 200;
    double rate[9];
    int64_t *lat = malloc(sizeof *lat * nupd * 20);
    size_t nlat = 0;
    for (int r = 0; r < runs; r++) {
        int64_t upd_ns = 0;
        for (int loop = 0; loop < LOOPS; loop++) {
            /* snapshots reset every book each pass, so every pass re-verifies all checksums */
            int64_t t0 = 0;
            for (size_t i = 0; i < fr.n; i++) {
                if (fr.is_snap[i]) {
                    if (t0) { upd_ns += th_mono_ns() - t0; t0 = 0; }
                    th_feed_frame(&f, fr.v[i], fr.len[i], 0);
                    continue;
                }
                if (!t0) t0 = th_mono_ns();
                th_feed_frame(&f, fr.v[i], fr.len[i], 0);
            }
            if (t0) upd_ns += th_mono_ns() - t0;
        }
        rate[r] = (double)nupd * LOOPS / ((double)upd_ns / 1e9);
        if (r == 0) { /* latency pass: time each update frame */
            for (int loop = 0; loop < 20; loop++)
                for (size_t i = 0; i < fr.n; i++) {
                    if (fr.is_snap[i]) { th_feed_frame(&f, fr.v[i], fr.len[i], 0); continue; }
                    int64_t t0 = th_mono_ns();
                    th_feed_frame(&f, fr.v[i], fr.len[i], 0);
                    lat[nlat++] = th_mono_ns() - t0;
                }
        }
    }
    uint64_t ok = 0, bad = 0;
    for (int32_t i = 0; i < f.sym_cap; i++) if (f.sym[i]) { ok += f.sym[i]->checksum_ok; bad += f.sym[i]->checksum_failed; }
    qsort(lat, nlat, sizeof *lat, cmp_i64);
    double m = median(rate, runs);
    if (!with_500)
    printf("parse+apply Kraken v2 (%zu update frames, avg %zu B)  %8.2f M frames/s   p50 %lld ns  p99 %lld ns  (checksums ok %llu, failed %llu)\n",
           nupd, bytes / nupd, m / 1e6, (long long)lat[nlat / 2], (long long)lat[nlat * 99 / 100],
           (unsigned long long)ok, (unsigned long long)bad);
    if (!with_500) printf("RESULT kraken_frames_per_s %.0f\n", m);
    free(lat);
    th_feed_free(&f);

    if (!with_500) return;
    /* 3. 500 symbols: 100 renamed copies of each recorded pair, frames interleaved */
    const int COPIES = 100;
    th_feed g;
    th_feed_init(&g, TH_VENUE_KRAKEN, 1000);
    th_instruments base;
    th_instruments_init(&base, TH_VENUE_KRAKEN);
    th_instruments_load_file(&base, path, &err);
    for (int32_t i = 0; i < base.n; i++)
        for (int c = 0; c < COPIES; c++) {
            th_instrument ins = base.v[i];
            snprintf(ins.symbol, sizeof ins.symbol, "%s%03d", base.v[i].symbol, c);
            th_instruments_put(&g.instruments, &ins);
        }
    frames many = {0};
    for (size_t i = 0; i < fr.n; i++) {
        const char *sym = strstr(fr.v[i], "\"symbol\":\"") + 10;
        const char *end = strchr(sym, '"');
        for (int c = 0; c < COPIES; c++) {
            char buf[1 << 16], *big = NULL, *o;
            size_t need = fr.len[i] + 8;
            o = need < sizeof buf ? buf : (big = malloc(need));
            size_t pre = (size_t)(end - fr.v[i]);
            memcpy(o, fr.v[i], pre);
            int k = sprintf(o + pre, "%03d", c);
            memcpy(o + pre + k, end, fr.len[i] - pre);
            frames_add(&many, o, fr.len[i] + (size_t)k, fr.is_snap[i]);
            free(big);
        }
    }
    double rate500[9];
    for (int r = 0; r < runs; r++) {
        int64_t t0 = th_mono_ns();
        for (int loop = 0; loop < 3; loop++)
            for (size_t i = 0; i < many.n; i++) th_feed_frame(&g, many.v[i], many.len[i], 0);
        rate500[r] = (double)many.n * 3 / ((double)(th_mono_ns() - t0) / 1e9);
    }
    int books = 0;
    ok = bad = 0;
    for (int32_t i = 0; i < g.sym_cap; i++) if (g.sym[i]) { books++; ok += g.sym[i]->checksum_ok; bad += g.sym[i]->checksum_failed; }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    size_t book_bytes = 0;
    for (int32_t i = 0; i < g.sym_cap; i++)
        if (g.sym[i]) book_bytes += sizeof *g.sym[i] + 2 * 2 * sizeof(int64_t) * (size_t)g.sym[i]->book.side[0].cap;
    printf("500 symbols interleaved, depth 1000      %8.2f M frames/s (snapshots included)  books %d  checksums ok %llu failed %llu\n"
           "                                         books hold %.1f MB; peak RSS of this process %.1f MB (incl. %.1f MB of frame copies)\n",
           median(rate500, runs) / 1e6, books, (unsigned long long)ok, (unsigned long long)bad, (double)book_bytes / 1048576.0,
           (double)ru.ru_maxrss / 1024.0, (double)frames_bytes(&many) / 1048576.0);
    th_instruments_free(&base);
    th_feed_free(&g);
    for (size_t i = 0; i < many.n; i++) free(many.v[i]);
    for (size_t i = 0; i < fr.n; i++) free(fr.v[i]);
    free(many.v); free(many.len); free(many.is_snap); free(fr.v); free(fr.len); free(fr.is_snap);
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "tests/data";
    int runs = argc > 2 ? atoi(argv[2]) : 5;
    if (runs < 1 || runs > 9) runs = 5;
    th_log_set_level(TH_LOG_ERROR);
    printf("tradehost market data benchmark (median of %d runs)\n", runs);
    const char *only = argc > 3 ? argv[3] : "";
    if (!*only || strcmp(only, "book") == 0) bench_book(runs);
    if (!*only || strcmp(only, "parse") == 0) bench_parse(dir, runs, 0);
    if (!*only || strcmp(only, "500") == 0) bench_parse(dir, runs, 1);
    return 0;
}
