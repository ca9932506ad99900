/* shutdown.h — how SIGTERM and SIGINT end the host, even when the loop is stuck.
 *
 * libuv's signal watchers run on the loop, so a strategy callback that never returns (an on_start
 * `while true do end`) would leave them unread for ever. These two signals get a real sigaction
 * handler instead:
 *   - the first one asks the loop for the graceful stop (uv_async_send is async-signal-safe) and
 *     arms a watchdog of session.stop_timeout_s (setitimer, SIGALRM);
 *   - a second SIGTERM or SIGINT, or the watchdog firing before th_shutdown_disarm, logs which
 *     strategy callback was running and for how long, then _exits with TH_EXIT_FORCED at once:
 *     no on_stop, no cancel-all (the loop that would send them is the one stuck). The journal
 *     stays consistent without a close (it is built to survive kill -9); the next start recovers
 *     and reconciles with the venue.
 * The handlers use only async-signal-safe calls (write, clock_gettime, setitimer, _exit). */
#ifndef TH_SHUTDOWN_H
#define TH_SHUTDOWN_H

#include <uv.h>

/* The exit status of a forced exit (like timeout(1): the stop did not finish in time). */
#define TH_EXIT_FORCED 124
/* The exit status when the stuck-strategy watchdog ends the process (docs/ops.md "Exit status"). */
#define TH_EXIT_STRATEGY_STUCK 5

typedef void (*th_shutdown_fn)(void *ctx, int signum);

/* Installs the handlers; fn(ctx, signum) then runs on the loop for the first signal. */
int th_shutdown_open(uv_loop_t *loop, double stop_timeout_s, th_shutdown_fn fn, void *ctx);
/* Inside the loop, when it is closing: closes the wake-up handle (signals are still handled). */
void th_shutdown_close(void);
/* The graceful stop's own wait (the cancel drain) needs this long from now: the watchdog is moved
 * out to it if it would fire sooner (never brought forward). */
void th_shutdown_extend(double seconds);
/* The graceful stop has completed: the watchdog stands down. */
void th_shutdown_disarm(void);

/* The stuck-strategy watchdog (strategy.stuck_s): a thread that wakes every stuck_s/10 (at most
 * 100 ms), reads which strategy callback runs and since when (th_lua_now, a seqlock), and when
 * one has run for stuck_s or more logs it (strategy, callback, pair, how long) and _exits with
 * TH_EXIT_STRATEGY_STUCK. A compiled Lua loop cannot be interrupted inside LuaJIT, and a host
 * stuck in one sends nothing more, answers nothing, cancels nothing: ending it is what lets the
 * venue's dead man's switch pull its orders and a restart recover (the journal needs no close).
 * stuck_s <= 0: no watchdog. 0, or -1 if the thread cannot be started. */
int th_stuck_watchdog_start(double stuck_s);
/* Stops and joins the thread (before the Lua state goes away). */
void th_stuck_watchdog_stop(void);

#endif
