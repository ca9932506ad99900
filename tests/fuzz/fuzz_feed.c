/* fuzz_feed.c — libFuzzer target for every feed parser (selected by FUZZ_VENUE at build time).
 *
 * Each input is treated as one frame after a real snapshot has been applied, so the fuzzer
 * explores updates against a live book. Memory errors are caught by the sanitizers; for Kraken
 * the input also goes through a second feed with the fast path disabled, and both must end with
 * identical books, counters and health (a differential check of the two parsers).
 * Every input that breaks a book costs a reset (the snapshot applied again), and most fuzzed
 * inputs break it, so the Kraken and Binance seeds are the recorded snapshots (~1,000 levels a
 * side) cut to their top SEED_DEPTH levels (Kraken's checksum covers the top 10, so it stays
 * valid; Kraken's feeds subscribe at that depth): resets cost ~40x less and the fuzzer runs
 * that many more inputs. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../host/core/log.h"
#include "../../host/feed/feed.h"
#include "../../host/feed/recording.h"

#ifndef FUZZ_VENUE
#define FUZZ_VENUE TH_VENUE_KRAKEN
#endif

#define SEED_DEPTH 25

static th_feed A, B;
static char *snapshot;
static size_t snapshot_len;

static void load(th_feed *f, int fast)
{
    const char *err;
    th_feed_init(f, FUZZ_VENUE, FUZZ_VENUE == TH_VENUE_KRAKEN ? SEED_DEPTH : 0);
    f->no_fast_path = !fast;
    const char *ins = FUZZ_VENUE == TH_VENUE_KRAKEN ? TH_TEST_DATA "/kraken/instrument-5pairs.v2.json"
                    : FUZZ_VENUE == TH_VENUE_KRAKEN_FUTURES ? TH_TEST_DATA "/kraken-futures/instruments-2021-07-22.rec"
                    : TH_TEST_DATA "/binance/spot-exchangeInfo-2021-10-12.rec";
    if (th_instruments_load_file(&f->instruments, ins, &err) <= 0) { fprintf(stderr, "%s: %s\n", ins, err); abort(); }
}

static int32_t snap_idx = -1;

/* Cut the array after `"<key>":[` in a snapshot body to its first n levels (a {...} each for
 * Kraken, a [...] each for Binance), in place; returns the new length. The levels' text is kept
 * byte for byte (Kraken's checksum is computed from it). */
static size_t cut_levels(char *s, size_t len, const char *key, int n)
{
    char *a = strstr(s, key);
    if (!a) return len;
    char *p = a + strlen(key), *end = s + len, *cut = NULL;
    int depth = 0, levels = 0;
    for (; p < end; p++) {
        if (*p == '[' || *p == '{') depth++;
        else if (*p == ']' || *p == '}') {
            if (depth-- == 0) break; /* the array's own close */
            if (depth == 0 && ++levels == n) cut = p + 1;
        }
    }
    if (!cut || p >= end) return len;
    memmove(cut, p, (size_t)(end - p) + 1);
    return len - (size_t)(p - cut);
}

/* Both feeds see identical inputs, so they need a fresh snapshot only when the fuzzed book broke. */
static int needs_reset(th_feed *f)
{
    if (snap_idx < 0 || snap_idx >= f->sym_cap || !f->sym[snap_idx]) return 1;
    th_feed_symbol *s = f->sym[snap_idx];
    return FUZZ_VENUE == TH_VENUE_BINANCE ? s->snapshot_id == 0 : s->book.health != TH_BOOK_OK;
}

static void reset(th_feed *f)
{
    if (!snapshot) return;
    if (FUZZ_VENUE == TH_VENUE_BINANCE) th_feed_rest(f, "symbol=NKNUSDT", 14, snapshot, snapshot_len, NULL);
    else th_feed_frame(f, snapshot, snapshot_len, 0);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc; (void)argv;
    th_log_set_level(TH_LOG_ERROR + 1);
    load(&A, 1);
    load(&B, 0);
    const char *rec_path = FUZZ_VENUE == TH_VENUE_KRAKEN ? TH_TEST_DATA "/kraken/book-5pairs-2021-04-17.v2.txt"
                         : FUZZ_VENUE == TH_VENUE_KRAKEN_FUTURES ? TH_TEST_DATA "/kraken-futures/futures-ws-v1-2021-07-22.rec"
                         : TH_TEST_DATA "/binance/spot-depth-snapshots-2021-10-12.rec";
    th_recording rec;
    const char *err;
    th_record r;
    if (th_recording_open(&rec, rec_path, &err) != 0) abort();
    while (th_recording_next(&rec, &r) > 0) {
        if (!r.data) continue;
        if (FUZZ_VENUE == TH_VENUE_KRAKEN_FUTURES && !strstr(r.data, "\"book_snapshot\"")) continue;
        snapshot = strndup(r.data, r.len);
        snapshot_len = r.len;
        if (FUZZ_VENUE != TH_VENUE_KRAKEN_FUTURES) {
            snapshot_len = cut_levels(snapshot, snapshot_len, "\"bids\":[", SEED_DEPTH);
            snapshot_len = cut_levels(snapshot, snapshot_len, "\"asks\":[", SEED_DEPTH);
        }
        break;
    }
    th_recording_close(&rec);
    /* A seed that does not apply cleanly would make every input a reset and the run meaningless. */
    reset(&A);
    reset(&B);
    for (int32_t i = 0; i < A.sym_cap; i++) if (A.sym[i]) { snap_idx = i; break; }
    if (needs_reset(&A) || needs_reset(&B)) { fprintf(stderr, "fuzz: the seed snapshot does not give a healthy book\n"); abort(); }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (needs_reset(&A) || needs_reset(&B)) {
        reset(&A);
        reset(&B);
    }
    char *frame = malloc(size + 1);
    memcpy(frame, data, size);
    frame[size] = 0;
    th_feed_frame(&A, frame, size, 1);
    if (FUZZ_VENUE == TH_VENUE_KRAKEN) {
        th_feed_frame(&B, frame, size, 1);
        for (int32_t i = 0; i < A.sym_cap && i < B.sym_cap; i++) {
            th_feed_symbol *x = A.sym[i], *y = B.sym[i];
            if (!x || !y) continue;
            if (x->book.health != y->book.health || x->checksum_ok != y->checksum_ok) abort();
            for (int side = 0; side < 2; side++) {
                if (th_book_count(&x->book, side) != th_book_count(&y->book, side)) abort();
                for (int32_t k = 0; k < th_book_count(&x->book, side); k++) {
                    int64_t p1, q1, p2, q2;
                    th_book_level(&x->book, side, k, &p1, &q1);
                    th_book_level(&y->book, side, k, &p2, &q2);
                    if (p1 != p2 || q1 != q2) abort();
                }
            }
        }
    }
    free(frame);
    return 0;
}
