/* shutdown.c — the exits that work when the loop is stuck: SIGTERM/SIGINT (the graceful stop, and
 * the forced exit when it cannot happen) and the stuck-strategy watchdog thread (see shutdown.h
 * for the rules and why the handlers are not libuv's). */
#include "shutdown.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "../core/clock.h"
#include "../core/log.h"
#include "../lua/lua_host.h"

static uv_async_t g_wake;
static volatile sig_atomic_t g_wake_open; /* g_wake may be sent to */
static volatile sig_atomic_t g_signals;   /* SIGTERM/SIGINT received so far */
static volatile sig_atomic_t g_first;     /* the first of them */
static volatile sig_atomic_t g_done;      /* the graceful stop completed: the watchdog is off */
static struct itimerval g_timeout;
static th_shutdown_fn g_fn;
static void *g_ctx;

/* ---- a log line built with no allocation, no locale, no stdio: signal-handler safe ---- */

typedef struct line {
    char b[512];
    size_t n;
} line;

static void put(line *l, const char *s)
{
    while (*s && l->n < sizeof l->b - 1) l->b[l->n++] = *s++;
}

static void put_uint(line *l, uint64_t v, int width)
{
    char d[24];
    int k = 0;
    do { d[k++] = (char)('0' + v % 10); v /= 10; } while (v && k < (int)sizeof d);
    while (k < width && k < (int)sizeof d) d[k++] = '0';
    while (k && l->n < sizeof l->b - 1) l->b[l->n++] = d[--k];
}

/* The log's own timestamp format (ts=2026-01-31T12:00:00.000000Z), without gmtime: days to civil
 * date by Howard Hinnant's algorithm. */
static void put_ts(line *l)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t secs = ts.tv_sec, days = secs / 86400, rem = secs % 86400;
    int64_t z = days + 719468, era = z / 146097, doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365, doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153, d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9;
    int64_t y = yoe + era * 400 + (m <= 2);
    put(l, "ts=");
    put_uint(l, (uint64_t)y, 4); put(l, "-");
    put_uint(l, (uint64_t)m, 2); put(l, "-");
    put_uint(l, (uint64_t)d, 2); put(l, "T");
    put_uint(l, (uint64_t)(rem / 3600), 2); put(l, ":");
    put_uint(l, (uint64_t)(rem % 3600 / 60), 2); put(l, ":");
    put_uint(l, (uint64_t)(rem % 60), 2); put(l, ".");
    put_uint(l, (uint64_t)(ts.tv_nsec / 1000), 6); put(l, "Z");
}

static const char *signal_name(int sig) { return sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : "?"; }

static void forced_exit(int sig, const char *why)
{
    line l = {.n = 0};
    put_ts(&l);
    put(&l, " level=error msg=\"forced exit: the graceful stop did not complete\" signal=");
    put(&l, signal_name(sig));
    put(&l, " why=");
    put(&l, why);
    const char *strategy = th_lua_now.strategy, *cb = th_lua_now.callback;
    int64_t since = th_lua_now.since_ticks;
    if (strategy && cb) {
        int64_t ms = th_ticks_to_ns(th_ticks() - since) / 1000000;
        put(&l, " strategy=");
        put(&l, strategy);
        put(&l, " callback=");
        put(&l, cb);
        put(&l, " running_ms=");
        put_uint(&l, ms > 0 ? (uint64_t)ms : 0, 1);
    } else {
        put(&l, " strategy=none callback=none");
    }
    put(&l, " orders=\"not cancelled here: the next start recovers the journal and reconciles\" exit=");
    put_uint(&l, TH_EXIT_FORCED, 1);
    l.b[l.n++] = '\n';
    th_log_write_line(l.b, l.n);
    _exit(TH_EXIT_FORCED);
}

static void on_stop_signal(int sig)
{
    int saved = errno;
    if (g_signals++ > 0) forced_exit(sig, "second_signal");
    g_first = sig;
    if (!g_done) setitimer(ITIMER_REAL, &g_timeout, NULL);
    if (g_wake_open) uv_async_send(&g_wake);
    errno = saved;
}

static void on_watchdog(int sig)
{
    (void)sig; /* a SIGALRM from outside, with no stop under way, changes nothing */
    if (g_signals > 0 && !g_done) forced_exit(g_first, "stop_timeout_s");
}

static void on_wake(uv_async_t *h)
{
    (void)h;
    if (g_fn) g_fn(g_ctx, g_first);
}

int th_shutdown_open(uv_loop_t *loop, double stop_timeout_s, th_shutdown_fn fn, void *ctx)
{
    g_fn = fn;
    g_ctx = ctx;
    g_signals = 0;
    g_done = 0;
    memset(&g_timeout, 0, sizeof g_timeout);
    double whole = floor(stop_timeout_s);
    g_timeout.it_value.tv_sec = (time_t)whole;
    g_timeout.it_value.tv_usec = (suseconds_t)((stop_timeout_s - whole) * 1e6);
    if (g_timeout.it_value.tv_sec == 0 && g_timeout.it_value.tv_usec == 0) g_timeout.it_value.tv_usec = 1;
    if (uv_async_init(loop, &g_wake, on_wake) != 0) return -1;
    g_wake_open = 1;

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    /* One handler at a time: the signal count and the timer are never raced by a nested one. */
    sigaddset(&sa.sa_mask, SIGTERM);
    sigaddset(&sa.sa_mask, SIGINT);
    sigaddset(&sa.sa_mask, SIGALRM);
    sa.sa_flags = SA_RESTART;
    sa.sa_handler = on_stop_signal;
    if (sigaction(SIGTERM, &sa, NULL) != 0 || sigaction(SIGINT, &sa, NULL) != 0) return -1;
    sa.sa_handler = on_watchdog;
    if (sigaction(SIGALRM, &sa, NULL) != 0) return -1;
    return 0;
}

void th_shutdown_close(void)
{
    if (!g_wake_open) return;
    g_wake_open = 0; /* before the close: a signal from now on only arms the watchdog */
    uv_close((uv_handle_t *)&g_wake, NULL);
}

void th_shutdown_extend(double seconds)
{
    if (g_signals == 0 || g_done || seconds <= 0) return; /* no watchdog runs (a stop not asked by signal) */
    struct itimerval cur;
    if (getitimer(ITIMER_REAL, &cur) != 0) return;
    double left = (double)cur.it_value.tv_sec + (double)cur.it_value.tv_usec / 1e6;
    if (left >= seconds) return;
    struct itimerval t;
    memset(&t, 0, sizeof t);
    double whole = floor(seconds);
    t.it_value.tv_sec = (time_t)whole;
    t.it_value.tv_usec = (suseconds_t)((seconds - whole) * 1e6);
    setitimer(ITIMER_REAL, &t, NULL);
}

void th_shutdown_disarm(void)
{
    g_done = 1;
    struct itimerval off;
    memset(&off, 0, sizeof off);
    setitimer(ITIMER_REAL, &off, NULL);
}

/* ---- the stuck-strategy watchdog ---- */

static pthread_t g_wd;
static bool g_wd_running;
static pthread_mutex_t g_wd_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_wd_cv;
static bool g_wd_stop;
static int64_t g_stuck_ns, g_wd_period_ns;

static int64_t mono_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000LL + t.tv_nsec;
}

/* A consistent copy of th_lua_now (the loop thread writes it as a seqlock); false if it changed
 * under us (the callback ended: nothing is stuck). */
static bool running_snapshot(th_lua_running *out)
{
    uint32_t s1 = __atomic_load_n(&th_lua_now.seq, __ATOMIC_ACQUIRE);
    if (s1 & 1) return false;
    out->strategy = th_lua_now.strategy;
    out->callback = th_lua_now.callback;
    out->since_ticks = th_lua_now.since_ticks;
    memcpy(out->pair, th_lua_now.pair, sizeof out->pair);
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    out->pair[sizeof out->pair - 1] = 0;
    return __atomic_load_n(&th_lua_now.seq, __ATOMIC_RELAXED) == s1;
}

static void stuck_exit(const th_lua_running *r, int64_t ran_ns)
{
    line l = {.n = 0};
    put_ts(&l);
    put(&l, " level=error msg=\"strategy stuck: a callback ran past strategy.stuck_s, ending the process\" strategy=");
    put(&l, r->strategy);
    put(&l, " callback=");
    put(&l, r->callback ? r->callback : "?");
    put(&l, " pair=");
    put(&l, r->pair[0] ? r->pair : "none");
    put(&l, " running_ms=");
    put_uint(&l, (uint64_t)(ran_ns / 1000000), 1);
    put(&l, " stuck_ms=");
    put_uint(&l, (uint64_t)(g_stuck_ns / 1000000), 1);
    put(&l, " orders=\"not cancelled here: the venue's dead man's switch pulls them; the next start recovers the journal and reconciles\" exit=");
    put_uint(&l, TH_EXIT_STRATEGY_STUCK, 1);
    l.b[l.n++] = '\n';
    th_log_write_line(l.b, l.n);
    _exit(TH_EXIT_STRATEGY_STUCK);
}

static void *watchdog_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&g_wd_mu);
    while (!g_wd_stop) {
        int64_t until = mono_ns() + g_wd_period_ns;
        struct timespec ts = {.tv_sec = (time_t)(until / 1000000000LL), .tv_nsec = (long)(until % 1000000000LL)};
        pthread_cond_timedwait(&g_wd_cv, &g_wd_mu, &ts);
        if (g_wd_stop) break;
        th_lua_running r;
        if (!running_snapshot(&r) || !r.strategy) continue;
        int64_t ran = th_ticks_to_ns(th_ticks() - r.since_ticks);
        if (ran >= g_stuck_ns) stuck_exit(&r, ran);
    }
    pthread_mutex_unlock(&g_wd_mu);
    return NULL;
}

int th_stuck_watchdog_start(double stuck_s)
{
    if (stuck_s <= 0 || g_wd_running) return 0;
    g_stuck_ns = (int64_t)(stuck_s * 1e9);
    g_wd_period_ns = g_stuck_ns / 10;
    if (g_wd_period_ns > 100000000LL) g_wd_period_ns = 100000000LL;
    if (g_wd_period_ns < 1000000LL) g_wd_period_ns = 1000000LL;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&g_wd_cv, &ca);
    pthread_condattr_destroy(&ca);
    g_wd_stop = false;
    /* The thread takes no signal: SIGTERM/SIGINT/SIGALRM/SIGHUP stay the loop thread's. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    int rc = pthread_create(&g_wd, NULL, watchdog_main, NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) { pthread_cond_destroy(&g_wd_cv); return -1; }
    g_wd_running = true;
    return 0;
}

void th_stuck_watchdog_stop(void)
{
    if (!g_wd_running) return;
    pthread_mutex_lock(&g_wd_mu);
    g_wd_stop = true;
    pthread_cond_signal(&g_wd_cv);
    pthread_mutex_unlock(&g_wd_mu);
    pthread_join(g_wd, NULL);
    pthread_cond_destroy(&g_wd_cv);
    g_wd_running = false;
}
