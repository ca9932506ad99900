/* session.c — the host session loop (see session.h).
 *
 * Ordering that matters for money: on SIGTERM/SIGINT the strategies' on_stop runs first (they may
 * want to log or persist), then every open order is cancelled and the journal flushed (the safety
 * core registers those steps), then handles close and the loop drains. SIGHUP reloads strategies
 * between two loop callbacks, never inside one, so a strategy never sees half-swapped code. */
#include "session.h"

#include <lua.h>
#include <stdio.h>
#include <string.h>
#include <uv.h>

#include "../core/clock.h"
#include "../core/hostinfo.h"
#include "../core/log.h"
#include "../core/metrics.h"
#include "../lua/lua_host.h"

typedef struct session {
    uv_loop_t loop;
    uv_signal_t sig_term, sig_int, sig_hup;
    uv_timer_t tick_timer, stop_timer;
    th_lua lua;
    th_strategy strat;
    bool strategy_loaded;
    bool stopping;
    uint64_t ticks;
    int32_t m_ticks;
} session;

static void close_handle(uv_handle_t *h)
{
    if (h->loop && !uv_is_closing(h)) uv_close(h, NULL);
}

static void session_stop(session *s, const char *why)
{
    if (s->stopping) return;
    s->stopping = true;
    th_logf(TH_LOG_INFO, "stopping", "reason=%s ticks=%llu", why, (unsigned long long)s->ticks);
    if (s->strategy_loaded) th_strategy_call(&s->lua, &s->strat, "on_stop", 0);
    uv_timer_stop(&s->tick_timer);
    close_handle((uv_handle_t *)&s->tick_timer);
    close_handle((uv_handle_t *)&s->stop_timer);
    close_handle((uv_handle_t *)&s->sig_term);
    close_handle((uv_handle_t *)&s->sig_int);
    close_handle((uv_handle_t *)&s->sig_hup);
}

static void on_tick(uv_timer_t *t)
{
    session *s = t->data;
    s->ticks++;
    th_metric_inc(s->m_ticks);
    lua_pushnumber(s->lua.L, (lua_Number)th_clock_ns());
    th_strategy_call(&s->lua, &s->strat, "on_tick", 1);
}

static void on_stop_timer(uv_timer_t *t) { session_stop(t->data, "duration"); }

static void on_signal(uv_signal_t *h, int signum)
{
    session *s = h->data;
    if (signum == SIGHUP) {
        th_logf(TH_LOG_INFO, "SIGHUP: reloading strategy", "strategy=%s", s->strat.name);
        th_strategy_reload(&s->lua, &s->strat);
        return;
    }
    session_stop(s, signum == SIGTERM ? "SIGTERM" : "SIGINT");
}

static int start_signal(session *s, uv_signal_t *h, int signum)
{
    uv_signal_init(&s->loop, h);
    h->data = s;
    return uv_signal_start(h, on_signal, signum);
}

int th_session_run(const th_session_opts *o)
{
    static session S; /* one session per process; static keeps handles off the stack */
    session *s = &S;
    memset(s, 0, sizeof *s);
    const char *err = NULL;
    int code = 0;

    th_hostinfo_set_mode(o->mode);
    if (o->virtual_clock) th_clock_use_virtual(0);
    const char *e2;
    th_metric_register("session_ticks", TH_METRIC_COUNTER, &s->m_ticks, &e2);

    if (th_lua_open(&s->lua, o->home, &err) != 0) {
        fprintf(stderr, "tradehost: cannot start the Lua runtime: %s\n", err);
        th_lua_close(&s->lua);
        return 2;
    }
    if (th_lua_load_config(&s->lua, o->config_path, &err) != 0) {
        fprintf(stderr, "tradehost: invalid config: %s\n", err);
        th_lua_close(&s->lua);
        return 2;
    }
    char buf[1024];
    int level;
    if (o->log_level) snprintf(buf, sizeof buf, "%s", o->log_level);
    else th_lua_cfg_string(&s->lua, "log.level", buf, sizeof buf);
    if (th_log_level_parse(buf, &level) == 0) th_log_set_level(level);
    if (th_lua_cfg_string(&s->lua, "log.file", buf, sizeof buf) && th_log_open_file(buf, &err) != 0) {
        fprintf(stderr, "tradehost: log.file %s: %s\n", buf, err);
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

    uv_loop_init(&s->loop);
    start_signal(s, &s->sig_term, SIGTERM);
    start_signal(s, &s->sig_int, SIGINT);
    start_signal(s, &s->sig_hup, SIGHUP);
    uv_timer_init(&s->loop, &s->tick_timer);
    uv_timer_init(&s->loop, &s->stop_timer);
    s->tick_timer.data = s->stop_timer.data = s;

    double tick_ms = th_lua_cfg_number(&s->lua, "strategy.tick_ms", 1000);
    double duration = o->duration_s > 0 ? o->duration_s : th_lua_cfg_number(&s->lua, "session.duration_s", 0);
    th_logf(TH_LOG_INFO, "session starting", "mode=%s strategy=%s pairs=%d tick_ms=%.0f pid=%d", o->mode,
            s->strat.name, th_lua_cfg_pair_count(&s->lua), tick_ms, (int)uv_os_getpid());

    th_strategy_call(&s->lua, &s->strat, "on_start", 0);
    uv_timer_start(&s->tick_timer, on_tick, (uint64_t)tick_ms, (uint64_t)tick_ms);
    if (duration > 0) uv_timer_start(&s->stop_timer, on_stop_timer, (uint64_t)(duration * 1000), 0);

    uv_run(&s->loop, UV_RUN_DEFAULT);

    th_logf(TH_LOG_INFO, "session stopped", "ticks=%llu strategy_errors=%llu reloads=%llu reload_failures=%llu",
            (unsigned long long)s->ticks, (unsigned long long)s->strat.errors,
            (unsigned long long)s->strat.reloads, (unsigned long long)s->strat.reload_failures);
    if (uv_loop_close(&s->loop) != 0) {
        th_logf(TH_LOG_ERROR, "loop closed with live handles", NULL);
        code = 1;
    }
    th_strategy_release(&s->lua, &s->strat);
    th_lua_close(&s->lua);
    th_log_close();
    return code;
}
