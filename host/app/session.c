/* session.c — the host session: start-up in the order that keeps money safe, the loop turn, ticks,
 * signals, the strategy's faults and os.exit, and the graceful stop (see session.h).
 *
 * Ordering that matters for money: on SIGTERM/SIGINT the strategies' on_stop runs first (they may
 * want to log or persist), then every open order is cancelled and the journal flushed (the safety
 * core registers those steps), then handles close and the loop drains. SIGHUP reloads strategies
 * between two loop callbacks, never inside one, so a strategy never sees half-swapped code.
 * What the session is made of lives beside it: session_feed.c (market data and its pacing),
 * trading.c (the order side), api.c and repl.c (the control surfaces, which see the session
 * through session_view.h), shutdown.c (the signals that must work when the loop is stuck). */
#include "session.h"

#include <lua.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "../core/clock.h"
#include "../core/hostinfo.h"
#include "../core/log.h"
#include "../core/metrics.h"
#include "../lua/lua_budget.h"
#include "../lua/lua_host.h"
#include "../net/lws_loop.h"
#include "backtest_summary.h"
#include "paths.h"
#include "session_impl.h"
#include "session_turn.h"
#include "shutdown.h"
#include "trading_events.h"

static void close_handle(uv_handle_t *h)
{
    if (h->loop && !uv_is_closing(h)) uv_close(h, NULL);
}

/* ---- the graceful stop ---- */

static void finish_stop(session *s)
{
    th_status_view_close(&s->status);
    uv_timer_stop(&s->drain_timer);
    close_handle((uv_handle_t *)&s->drain_timer);
    close_handle((uv_handle_t *)&s->turn_check);
    close_handle((uv_handle_t *)&s->stop_timer);
    th_shutdown_close();
    close_handle((uv_handle_t *)&s->sig_hup);
    close_handle((uv_handle_t *)&s->sig_usr1);
    th_repl_close(&s->repl);
    th_repl_close(&s->repl_ro);
    close_handle((uv_handle_t *)&s->exit_timer);
    th_session_control_close(s);
    th_api_close(&s->api);
    th_trading_close_venue(&s->tr);
    th_lws_client_close(); /* every outgoing websocket: after the drain, so cancels were confirmed */
}

/* Graceful stop: wait for the venue to confirm every cancel before closing. The tick's order work
 * goes on meanwhile (the strategy's does not): cancels the venue refused for the rate are re-sent
 * as soon as the back-off allows, and unanswered ones are queried at their timeout. A stop that
 * gives up with orders live names each one and ends with TH_EXIT_ORDERS_LIVE: the venue's dead
 * man's switch (if armed) pulls them, a restart reconciles them, an operator must know. */
static void on_drain(uv_timer_t *t)
{
    session *s = t->data;
    /* a backtest's clock is the recording's, which has ended: the cancels' latency passes on it */
    int64_t due = th_trading_next_due(&s->tr);
    if (th_clock_is_virtual() && s->mf.full_pace && due != INT64_MAX && due > th_clock_ns()) th_clock_advance_to(due);
    th_trading_tick(&s->tr);
    th_trading_turn(&s->tr);
    th_flow_events_clear(&s->tr.flow);
    int32_t live = s->tr.active ? s->tr.flow.trk.nlive : 0;
    if (live == 0 || th_mono_ns() > s->drain_deadline) {
        if (live) {
            th_trading_log_live(&s->tr, "stopped with this order still live at the venue");
            th_logf(TH_LOG_ERROR, "stopped with orders still live at the venue", "live_orders=%d waited_ms=%lld exit=%d", live,
                    (long long)((th_mono_ns() - s->drain_started) / 1000000), TH_EXIT_ORDERS_LIVE);
            s->left_live = live;
        } else {
            th_logf(TH_LOG_INFO, "every order is cancelled", "waited_ms=%lld", (long long)((th_mono_ns() - s->drain_started) / 1000000));
        }
        finish_stop(s);
    }
}

/* How long the drain may wait: session.drain_timeout_s if set, else 5 s plus the time the venue's
 * rate counter needs to let every cancel out if it is full now (twice over, for the back-off's
 * steps; trading.h), at most 120 s. */
static int64_t drain_timeout_ns(session *s)
{
    double set = th_lua_cfg_number(&s->lua, "session.drain_timeout_s", 0);
    if (set > 0) return (int64_t)(set * 1e9);
    int64_t ns = 5000000000LL + th_trading_drain_estimate_ns(&s->tr);
    return ns < 120000000000LL ? ns : 120000000000LL;
}

void th_session_stop(session *s, const char *why)
{
    if (s->stopping) return;
    s->stopping = true;
    th_logf(TH_LOG_INFO, "stopping", "reason=%s ticks=%llu", why, (unsigned long long)s->ticks);
    if (s->started) th_strategy_call(&s->lua, &s->strat, "on_stop", 0);
    th_strategy_timers_stop(&s->timers);
    uv_timer_stop(&s->tick_timer);
    close_handle((uv_handle_t *)&s->tick_timer);
    th_session_feed_stop(&s->mf);
    int32_t live = th_trading_stop(&s->tr);
    if (live > 0 && s->drain_timer.loop) {
        int64_t wait = drain_timeout_ns(s);
        th_logf(TH_LOG_INFO, "cancelling every open order before exit", "live_orders=%d drain_timeout_ms=%lld", live,
                (long long)(wait / 1000000));
        s->drain_started = th_mono_ns();
        s->drain_deadline = s->drain_started + wait;
        /* the forced-exit watchdog guards a stuck loop, not this wait: it stays past the drain */
        th_shutdown_extend((double)wait / 1e9 + 5);
        uv_timer_start(&s->drain_timer, on_drain, 0, 20);
        return;
    }
    finish_stop(s);
}

static void timers_clock_sync(void *ctx) { th_session_feed_clock_sync(&((session *)ctx)->mf); }

static void on_stop_timer(uv_timer_t *t) { th_session_stop(t->data, "duration"); }

/* ---- faults, os.exit, signals ---- */

/* A callback raised (lua_host.c has logged it and stopped the callbacks). Nobody manages the
 * strategy's orders now, so by default they are cancelled (strategy.on_fault = "cancel"); "keep"
 * leaves them resting for an operator who would rather fix and reload. "Its orders": every live
 * order, or with several instances those on the faulted one's pairs (instance_orders.c). */
static void strategy_faulted(void *ctx, th_strategy *st)
{
    session *s = ctx;
    if (!s->tr.active) return;
    int32_t live = s->tr.flow.trk.nlive;
    if (s->fault_keep) {
        th_logf(TH_LOG_WARN, "strategy faulted: its orders are kept (strategy.on_fault = keep)", "strategy=%s callback=%s live_orders=%d",
                st->name, st->fault_callback, live);
        return;
    }
    live = th_instance_cancel_orders(&s->tr, st);
    st->fault_orders_cancelled = live;
    th_logf(TH_LOG_ERROR, "strategy faulted: cancelling its orders", "strategy=%s callback=%s live_orders=%d", st->name,
            st->fault_callback, live);
}

static void on_exit_timer(uv_timer_t *t) { th_session_stop(t->data, "os.exit from Lua"); }

/* os.exit from a strategy or the REPL (lua_budget.c routes it here): the same graceful stop as
 * SIGTERM, started once the Lua that asked has returned, and the process exits with its status. */
static void on_lua_exit(void *ctx, int status)
{
    session *s = ctx;
    th_logf(TH_LOG_WARN, "os.exit called from Lua: stopping gracefully", "status=%d", status);
    if (s->exit_status < 0) s->exit_status = status;
    if (s->exit_timer.loop && !uv_is_closing((uv_handle_t *)&s->exit_timer)) uv_timer_start(&s->exit_timer, on_exit_timer, 0, 0);
}

static void on_signal(uv_signal_t *h, int signum)
{
    session *s = h->data;
    if (signum == SIGUSR1) {
        th_logf(TH_LOG_WARN, "SIGUSR1: kill switch", NULL);
        if (s->tr.active) th_flow_kill(&s->tr.flow, TH_RISK_HALTED, "SIGUSR1", th_clock_ns());
        return;
    }
    if (signum == SIGHUP) {
        th_logf(TH_LOG_INFO, "SIGHUP: reloading strategy", "strategy=%s", s->strat.name);
        char msg[2048];
        th_session_reload_told(s, "SIGHUP", msg, sizeof msg); /* logged there */
    }
}

/* The session's own settings a reload may change (read at start too, in session_load). */
static void reload_applied(void *ctx)
{
    session *s = ctx;
    char on_fault[16] = "cancel";
    th_lua_cfg_string(&s->lua, "strategy.on_fault", on_fault, sizeof on_fault);
    s->fault_keep = strcmp(on_fault, "keep") == 0;
    if (!s->tick_ms) return; /* at start: session_start sets the tick */
    double tick_ms = th_lua_cfg_number(&s->lua, "strategy.tick_ms", s->tick_ms);
    if (tick_ms == s->tick_ms) return;
    th_logf(TH_LOG_INFO, "tick period changed by a reload", "tick_ms=%.0f was=%.0f", tick_ms, s->tick_ms);
    s->tick_ms = tick_ms;
    s->mf.tick_ms = tick_ms;
    if (uv_is_active((uv_handle_t *)&s->tick_timer)) uv_timer_start(&s->tick_timer, th_session_on_tick, (uint64_t)tick_ms, (uint64_t)tick_ms);
}

/* The first SIGTERM/SIGINT, run on the loop (shutdown.c). */
static void on_stop_signal(void *ctx, int signum) { th_session_stop(ctx, signum == SIGINT ? "SIGINT" : "SIGTERM"); }

static int start_signal(session *s, uv_signal_t *h, int signum)
{
    uv_signal_init(&s->loop, h);
    h->data = s;
    return uv_signal_start(h, on_signal, signum);
}

/* ---- start-up, in order ---- */

/* One rule for where orders fill: a backtest, `--paper`, `venue.paper = true` and the `sim` venue
 * all fill against the in-process paper venue, whatever venue the market data comes from; only
 * `run` on a real venue without paper sends orders to that venue. */
static const char *session_mode(session *s, const th_session_opts *o)
{
    if (strcmp(o->mode, "run") != 0) return o->mode;
    char venue[32] = "";
    th_lua_cfg_string(&s->lua, "venue.name", venue, sizeof venue);
    return th_lua_cfg_bool(&s->lua, "venue.paper", false) || strcmp(venue, "sim") == 0 ? "paper" : "run";
}

/* The Lua runtime, the config, the log and the strategy, before any loop handle exists. 0, or the
 * exit code with what was opened closed again and the reason on stderr. */
static int session_load(session *s, const th_session_opts *o, const char **mode)
{
    const char *err = NULL;
    if (th_lua_open(&s->lua, o->home, &err) != 0) {
        fprintf(stderr, "tradehost: cannot start the Lua runtime: %s\n", err);
        th_lua_close(&s->lua);
        return 2;
    }
    char why[1200] = "", config_dir[1024];
    if (th_path_check_readable(o->config_path, why, sizeof why) != 0 ||
        th_path_config_dir(o->config_path, config_dir, sizeof config_dir, why, sizeof why) != 0) {
        fprintf(stderr, "tradehost: config %s: %s\n", o->config_path, why);
        th_lua_close(&s->lua);
        return 2;
    }
    if (o->nsets) th_lua_config_overrides(&s->lua, o->sets, o->nsets);
    if (th_lua_load_config(&s->lua, o->config_path, config_dir, &err) != 0) {
        fprintf(stderr, "tradehost: invalid config: %s\n", err);
        th_lua_close(&s->lua);
        return 2;
    }
    *mode = session_mode(s, o);
    th_hostinfo_set_mode(*mode);
    char buf[1024];
    int level;
    if (o->log_level) snprintf(buf, sizeof buf, "%s", o->log_level);
    else th_lua_cfg_string(&s->lua, "log.level", buf, sizeof buf);
    if (th_log_level_parse(buf, &level) == 0) th_log_set_level(level);
    if (th_lua_cfg_string(&s->lua, "log.file", buf, sizeof buf) &&
        (th_path_mkparent(buf, why, sizeof why) != 0 || th_log_open_file(buf, &err) != 0)) {
        fprintf(stderr, "tradehost: log.file %s: %s\n", buf, why[0] ? why : err);
        th_lua_close(&s->lua);
        return 2;
    }
    if (th_strategy_load(&s->lua, &s->strat, &err) != 0) {
        fprintf(stderr, "tradehost: cannot load strategy: %s\n", err);
        th_strategy_release(&s->lua, &s->strat);
        th_lua_close(&s->lua);
        th_log_close();
        return 2;
    }
    s->strategy_loaded = true;
    reload_applied(s);
    s->strat.on_fault = strategy_faulted; /* every instance's (lua_host.c: the head's hook) */
    s->strat.on_fault_ctx = s;
    th_reload_target *r = &s->reload;
    *r = (th_reload_target){.lua = &s->lua, .strat = &s->strat, .tr = &s->tr, .mf = &s->mf, .log_level_fixed = o->log_level != NULL,
                            .stopping = &s->stopping, .applied = reload_applied, .ctx = s};
    th_reload_attach(r, o->config_path, config_dir);
    return 0;
}

/* Market data, the stop signals, SIGHUP/SIGUSR1, the timers and the turn check. */
static int open_loop_handles(session *s, const th_session_opts *o)
{
    const char *err = NULL;
    s->mf.lua = &s->lua;
    s->mf.strat = &s->strat;
    s->mf.tr = &s->tr;
    s->mf.ctx = s;
    th_session_feed_hooks(s);
    s->mf.from_ns = o->from_ns, s->mf.to_ns = o->to_ns, s->mf.from_rel = o->from_rel, s->mf.to_rel = o->to_rel;
    s->mf.data = o->data, s->mf.ndata = o->ndata, s->mf.data_given = o->data_given;
    if (th_session_feed_open(&s->mf, &s->loop, o->virtual_clock, &err) != 0) {
        fprintf(stderr, "tradehost: market data: %s\n", err);
        return -1;
    }
    double stop_timeout_s = th_lua_cfg_number(&s->lua, "session.stop_timeout_s", 10);
    if (th_shutdown_open(&s->loop, stop_timeout_s, on_stop_signal, s) != 0) {
        fprintf(stderr, "tradehost: cannot install the SIGTERM/SIGINT handlers\n");
        return -1;
    }
    start_signal(s, &s->sig_hup, SIGHUP);
    start_signal(s, &s->sig_usr1, SIGUSR1);
    uv_timer_init(&s->loop, &s->tick_timer);
    uv_timer_init(&s->loop, &s->stop_timer);
    uv_timer_init(&s->loop, &s->drain_timer);
    uv_timer_init(&s->loop, &s->exit_timer);
    uv_check_init(&s->loop, &s->turn_check);
    s->tick_timer.data = s->stop_timer.data = s->drain_timer.data = s->turn_check.data = s->exit_timer.data = s;
    s->exit_status = -1;
    th_budget_on_exit(on_lua_exit, s);
    return 0;
}

/* The control surfaces bind before the order side opens: everything that can fail at start-up
 * fails before the journal directory is touched (a failed start recovers nothing, reconciles
 * nothing and writes no journal). They serve nothing until the loop runs. The API sees the
 * session through its view (session_view.h), the REPL through Lua. */
static int open_control(session *s)
{
    const char *err = NULL;
    char buf[1024], why[1200] = "";
    if (th_lua_cfg_string(&s->lua, "repl.socket", buf, sizeof buf) &&
        (th_path_mkparent(buf, why, sizeof why) != 0 || th_repl_open(&s->repl, &s->loop, buf, &s->lua, &s->strat, false, &err) != 0)) {
        fprintf(stderr, "tradehost: repl.socket %s: %s\n", buf, why[0] ? why : err);
        return -1;
    }
    why[0] = 0;
    if (th_lua_cfg_string(&s->lua, "repl.readonly_socket", buf, sizeof buf) &&
        (th_path_mkparent(buf, why, sizeof why) != 0 || th_repl_open(&s->repl_ro, &s->loop, buf, &s->lua, &s->strat, true, &err) != 0)) {
        fprintf(stderr, "tradehost: repl.readonly_socket %s: %s\n", buf, why[0] ? why : err);
        return -1;
    }
    char when[8] = "now";
    th_lua_cfg_string(&s->lua, "session.start", when, sizeof when);
    bool api = th_lua_cfg_string(&s->lua, "api.listen", buf, sizeof buf);
    if (strcmp(when, "api") == 0 && !api) {
        fprintf(stderr, "tradehost: session.start = \"api\" waits for POST /sessions/start: it needs api.listen\n");
        return -1;
    }
    if (api) {
        char token_env[128];
        bool have_env = th_lua_cfg_string(&s->lua, "api.token_env", token_env, sizeof token_env);
        char token_file[1024];
        bool have_file = th_lua_cfg_string(&s->lua, "api.token_file", token_file, sizeof token_file);
        th_session_view view = th_session_control_view(s);
        if (th_api_open(&s->api, &s->loop, buf, have_env ? token_env : NULL, have_file ? token_file : NULL, &view, &err) != 0) {
            fprintf(stderr, "tradehost: %s\n", err);
            return -1;
        }
        th_api_events_limit(&s->api, (size_t)th_lua_cfg_number(&s->lua, "api.events_buffer_kb", 256) * 1024);
        th_session_events_sink(&s->ev, th_api_publish, &s->api);
    }
    return 0;
}

/* The order side gets the paths it needs here, absolute (th.config resolved them). */
static int open_orders(session *s, const th_session_opts *o, const char *mode)
{
    const char *err = NULL;
    char journal_dir[512], instruments[512];
    th_trading_opts to = {
        .mode = mode,
        .resume = o->resume,
        .journal_dir = th_lua_cfg_string(&s->lua, "storage.journal_dir", journal_dir, sizeof journal_dir) ? journal_dir : NULL,
        .instruments_path = th_lua_cfg_string(&s->lua, "venue.instruments", instruments, sizeof instruments) ? instruments : NULL,
        .feed = s->mf.active ? &s->mf.feed : NULL,
        .loop = &s->loop,
        .seed = o->seed,
        .keep_journal = o->report_dir != NULL, /* a backtest's report is built from its journal */
    };
    if (th_trading_open(&s->tr, &s->lua, &to, &err) != 0) {
        fprintf(stderr, "tradehost: orders: %s\n", err);
        return -1;
    }
    th_trading_use_loop(&s->tr, &s->loop);
    uv_check_start(&s->turn_check, th_session_on_turn);
    th_session_report_open(&s->report, &s->tr, &s->lua);
    return 0;
}

/* Says what starts and when: at once, or (session.start = "api") on POST /sessions/start. */
static void session_start(session *s, const th_session_opts *o, const char *mode)
{
    double tick_ms = th_lua_cfg_number(&s->lua, "strategy.tick_ms", 1000);
    s->tick_ms = tick_ms;
    s->mode = mode;
    s->duration_s = o->duration_s > 0 ? o->duration_s : th_lua_cfg_number(&s->lua, "session.duration_s", 0);
    char venue[32] = "", feed[32] = "";
    th_lua_cfg_string(&s->lua, "venue.name", venue, sizeof venue);
    if (!th_lua_cfg_string(&s->lua, "venue.feed", feed, sizeof feed)) snprintf(feed, sizeof feed, "%s", venue);
    th_logf(TH_LOG_INFO, "session starting", "mode=%s venue=%s feed=%s fills=%s strategy=%s pairs=%d tick_ms=%.0f pid=%d", mode,
            venue, s->mf.active ? feed : "none", strcmp(mode, "run") == 0 ? "venue" : "paper", s->strat.name,
            th_lua_cfg_pair_count(&s->lua), tick_ms, (int)uv_os_getpid());
    th_session_control_open(s);
    char when[8] = "now";
    th_lua_cfg_string(&s->lua, "session.start", when, sizeof when);
    if (strcmp(when, "api") == 0) {
        s->held = true;
        th_logf(TH_LOG_INFO, "session held: waiting for POST /sessions/start (session.start = \"api\")", "session=%s",
                s->id);
        return;
    }
    th_session_begin(s);
}

/* on_start, then the tick timer (or ticks on recorded time), market data, and the duration. */
void th_session_begin(session *s)
{
    double tick_ms = s->tick_ms, duration = s->duration_s;
    s->held = false;
    struct timespec wall;
    clock_gettime(CLOCK_REALTIME, &wall);
    s->started_ns = (int64_t)wall.tv_sec * 1000000000LL + wall.tv_nsec; /* wall time, not the recording's */
    s->started_mono = th_mono_ns();
    th_strategy_timers_open(&s->timers, &s->loop, &s->lua, &s->strat, s->mf.active && !s->mf.full_pace ? s->mf.speed : 1,
                            s->mf.active && s->mf.full_pace, timers_clock_sync, s);
    s->started = true;
    if (th_stuck_watchdog_start(th_lua_cfg_number(&s->lua, "strategy.stuck_s", 10)) != 0)
        th_logf(TH_LOG_ERROR, "the stuck-strategy watchdog could not start: a stuck callback will need SIGTERM twice", NULL);
    th_strategy_call(&s->lua, &s->strat, "on_start", 0);
    /* On a virtual clock, ticks follow recorded time (session_feed.c); otherwise a real timer. */
    if (!(s->mf.active && s->mf.full_pace)) uv_timer_start(&s->tick_timer, th_session_on_tick, (uint64_t)tick_ms, (uint64_t)tick_ms);
    th_session_feed_start(&s->mf, tick_ms);
    if (duration > 0) uv_timer_start(&s->stop_timer, on_stop_timer, (uint64_t)(duration * 1000), 0);
}

/* How the session ended, as the exit status (docs/ops.md, "Exit status"). */
static int ran_status(session *s)
{
    th_logf(TH_LOG_INFO, "session stopped", "ticks=%llu strategy_errors=%llu reloads=%llu reload_failures=%llu",
            (unsigned long long)s->ticks, (unsigned long long)s->strat.errors,
            (unsigned long long)s->strat.reloads, (unsigned long long)s->strat.reload_failures);
    if (s->left_live) {
        /* graver than a faulted strategy: money rests at the venue that nobody manages */
        th_logf(TH_LOG_ERROR, "session ended with orders still live at the venue", "live_orders=%d exit=%d", s->left_live, TH_EXIT_ORDERS_LIVE);
        return TH_EXIT_ORDERS_LIVE;
    }
    const th_strategy *f = th_instance_faulted(&s->strat);
    if (!f) return TH_EXIT_OK;
    th_logf(TH_LOG_ERROR, "session ended with a faulted strategy", "strategy=%s callback=%s exit=%d", f->name,
            f->fault_callback, TH_EXIT_STRATEGY_FAULTED);
    return TH_EXIT_STRATEGY_FAULTED;
}

/* After the loop: close everything in dependency order; the journal's failure and a loop that
 * would not close override the status. */
static int teardown(session *s, int code)
{
    if (code != 0) th_session_stop(s, "start-up failed");
    uv_run(&s->loop, UV_RUN_DEFAULT); /* let close callbacks run */
    th_api_free(&s->api);             /* lws: the second destroy, after the loop has drained */
    th_redis_mirror_free(&s->rm);     /* its shadow state points at the order side's instruments */
    th_redis_lease_free(&s->rl);
    th_pg_history_free(&s->ph);       /* the same */
    th_lws_client_free();
    if (s->backtest) th_backtest_summary(&s->tr, &s->mf, s->report_dir, s->seed);
    th_session_report_end(&s->report, &s->tr);
    th_trading_close(&s->tr);
    th_session_report_write(&s->report);
    if (th_trading_journal_failed(&s->tr) && (code == TH_EXIT_OK || code == TH_EXIT_STRATEGY_FAULTED)) {
        /* trading stopped because the journal could not be written: the graver of the two endings */
        code = TH_EXIT_JOURNAL_FAILED;
        th_logf(TH_LOG_ERROR, "the session ended on a journal failure", "exit=%d", code);
    }
    if (uv_loop_close(&s->loop) != 0) {
        th_logf(TH_LOG_ERROR, "loop closed with live handles", NULL);
        code = 1;
    }
    th_session_feed_close(&s->mf);
    th_session_events_free(&s->ev);
    th_budget_on_exit(NULL, NULL);
    th_reload_attach(NULL, NULL, NULL);
    if (code == 0 && s->exit_status >= 0) code = s->exit_status;
    th_stuck_watchdog_stop(); /* before the strategy and the Lua state go */
    th_strategy_release(&s->lua, &s->strat);
    th_lua_close(&s->lua);
    th_shutdown_disarm(); /* stopped: a late watchdog must not turn this exit into a forced one */
    th_log_close();
    return code;
}

int th_session_run(const th_session_opts *o)
{
    static session S; /* one session per process; static keeps handles off the stack */
    session *s = memset(&S, 0, sizeof S);
    s->backtest = o->virtual_clock, s->report_dir = o->report_dir, s->seed = o->seed;

    if (o->virtual_clock) th_clock_use_virtual(0);
    const char *e2;
    th_metric_register("session_ticks", TH_METRIC_COUNTER, &s->m_ticks, &e2);
    th_session_feed_metrics(&s->mf);

    const char *mode = NULL;
    int code = session_load(s, o, &mode);
    if (code != 0) return code;
    uv_loop_init(&s->loop);
    if (open_loop_handles(s, o) != 0) return teardown(s, 2);
    if (o->resume && strcmp(mode, "paper") != 0) {
        fprintf(stderr, "tradehost: --resume continues a paper account; a %s session %s\n", mode,
                strcmp(mode, "backtest") == 0 ? "never inherits a previous run" : "always recovers from its journal");
        return teardown(s, 2);
    }
    th_session_events_init(&s->ev, "");
    if (open_control(s) != 0 || th_session_feed_fetch_instruments(&s->mf, &s->stopping) != 0 || open_orders(s, o, mode) != 0 ||
        th_session_stores_open(s, mode) != 0 || th_status_view_open(&s->status, &s->loop, &s->tr, &s->mf, &s->lua) != 0)
        return teardown(s, 2);
    session_start(s, o, mode);
    uv_run(&s->loop, UV_RUN_DEFAULT);
    return teardown(s, ran_status(s));
}
