/* bench_dispatch.c — the cost of dispatching on_book into Lua, measured inside the real host.
 *
 * This is the tradehost binary (every host object, the same command table) linked with
 * -Wl,--wrap=th_strategy_call_symbol (on_book, with its symbol) and --wrap=th_strategy_call (every
 * other callback: ends a batch's run): each on_book the session dispatches goes through
 * __wrap_th_strategy_call_symbol below, which times it around the real call (the callback
 * lookup, the argument, the protected call, the budget clock reads, and the strategy's body: what
 * bench/dispatch_quote.lua does, reading the top of the book and setting two quotes through the
 * risk gates and the quote executor). Nothing in host/ changes for it. Two figures per event:
 *   call      th_strategy_call("on_book") from entry to return;
 *   interval  from one on_book's entry to the next one's in the same batch (same virtual time):
 *             the call plus the dispatch loop's own work between two pairs (the dirty-pair scan,
 *             pushing the symbol), i.e. what each further event costs the loop turn.
 * At exit it prints p50/p90/p99/p99.9/max of both, and what one clock read costs (included in each
 * sample once). bench/dispatch_bench.sh builds the recordings and runs it at 1 and 500 pairs. */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../host/app/cli.h"
#include "../host/core/clock.h"
#include "../host/lua/lua_host.h"

int __real_th_strategy_call(th_lua *lh, th_strategy *s, const char *cb, int nargs);
int __real_th_strategy_call_symbol(th_lua *lh, th_strategy *s, const char *cb, int32_t slot, const char *symbol);

#define MAX_SAMPLES (8u << 20)
static uint32_t *call_ns, *gap_ns;
static size_t n_call, n_gap;
static int64_t last_entry, last_virtual = -1;

/* BENCH_CLOCK=cpu: the thread's CPU time instead of wall time, so that time the scheduler gave to
 * other processes (a loaded shared VM) is left out; what remains is the work (and its cache misses). */
static clockid_t clock_id = CLOCK_MONOTONIC;

static inline int64_t mono(void)
{
    struct timespec ts;
    clock_gettime(clock_id, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int __wrap_th_strategy_call(th_lua *lh, th_strategy *s, const char *cb, int nargs)
{
    last_virtual = -1; /* anything else between two on_book calls ends the batch's run */
    return __real_th_strategy_call(lh, s, cb, nargs);
}

int __wrap_th_strategy_call_symbol(th_lua *lh, th_strategy *s, const char *cb, int32_t slot, const char *symbol)
{
    if (strcmp(cb, "on_book") != 0) {
        last_virtual = -1;
        return __real_th_strategy_call_symbol(lh, s, cb, slot, symbol);
    }
    int64_t virt = th_clock_ns();
    int64_t t0 = mono();
    int r = __real_th_strategy_call_symbol(lh, s, cb, slot, symbol);
    int64_t t1 = mono();
    if (call_ns && n_call < MAX_SAMPLES) call_ns[n_call++] = (uint32_t)(t1 - t0);
    if (gap_ns && virt == last_virtual && n_gap < MAX_SAMPLES) gap_ns[n_gap++] = (uint32_t)(t0 - last_entry);
    last_entry = t0;
    last_virtual = virt;
    return r;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static double q(const uint32_t *v, size_t n, double p)
{
    if (!n) return 0;
    size_t i = (size_t)(p * (double)(n - 1) + 0.5);
    return v[i] / 1e3;
}

static void report(const char *what, uint32_t *v, size_t n, size_t skip)
{
    /* the first events run while LuaJIT compiles the traces: left out of the figures, said so */
    if (n <= skip) { printf("RESULT dispatch_%s n=0\n", what); return; }
    v += skip;
    n -= skip;
    qsort(v, n, sizeof *v, cmp_u32);
    printf("RESULT dispatch_%s n=%zu p50_us=%.3f p90_us=%.3f p99_us=%.3f p999_us=%.3f max_us=%.3f\n", what, n,
           q(v, n, 0.5), q(v, n, 0.9), q(v, n, 0.99), q(v, n, 0.999), v[n - 1] / 1e3);
}

static void at_exit(void)
{
    int64_t t0 = mono();
    for (int i = 0; i < 1000; i++) (void)mono();
    double clock_ns = (double)(mono() - t0) / 1001.0;
    size_t warm = getenv("BENCH_WARMUP") ? (size_t)atol(getenv("BENCH_WARMUP")) : 2000;
    const char *dump = getenv("BENCH_DUMP"); /* the raw call samples, in order, one per line (for a look) */
    if (dump) {
        FILE *f = fopen(dump, "w");
        if (f) {
            for (size_t i = 0; i < n_call; i++) fprintf(f, "%u\n", call_ns[i]);
            fclose(f);
        }
    }
    fflush(stdout);
    printf("RESULT clock_read_ns %.1f clock=%s (one read is inside each sample)\n", clock_ns,
           clock_id == CLOCK_MONOTONIC ? "wall" : "thread_cpu");
    report("call", call_ns, n_call, warm);
    report("interval", gap_ns, n_gap, warm);
    fflush(stdout);
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    const char *ck = getenv("BENCH_CLOCK");
    if (ck && strcmp(ck, "cpu") == 0) clock_id = CLOCK_THREAD_CPUTIME_ID;
    call_ns = malloc(MAX_SAMPLES * sizeof *call_ns);
    gap_ns = malloc(MAX_SAMPLES * sizeof *gap_ns);
    if (!call_ns || !gap_ns) return 1;
    atexit(at_exit);
    if (argc < 2) { fprintf(stderr, "usage: bench_dispatch backtest CONFIG [options]\n"); return 2; }
    for (const th_cli_cmd *c = TH_COMMANDS; c->name; c++)
        if (strcmp(argv[1], c->name) == 0) return c->fn(argc - 1, argv + 1);
    fprintf(stderr, "bench_dispatch: unknown command %s\n", argv[1]);
    return 2;
}
