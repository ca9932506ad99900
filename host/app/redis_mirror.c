/* redis_mirror.c — the journal projected into Redis, one pipelined write per loop turn (see
 * redis_mirror.h for the keys and why a projection of the journal). */
#include "redis_mirror.h"
#include "redis_cfg.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../core/clock.h"
#include "../core/decimal.h"
#include "../core/json_out.h"
#include "../core/log.h"
#include "../core/position.h"
#include "tradehost.h"

/* ---- keys and values ---- */

/* "XMR/USD" -> "xmr-usd" */
static void key_symbol(const char *sym, char *out, size_t cap)
{
    size_t k = 0;
    for (; *sym && k + 1 < cap; sym++) out[k++] = *sym == '/' || *sym == ' ' ? '-' : (char)tolower((unsigned char)*sym);
    out[k] = 0;
}

static void pair_key(const th_redis_mirror *m, const char *symbol, const char *what, char *out, size_t cap)
{
    char s[48];
    key_symbol(symbol, s, sizeof s);
    snprintf(out, cap, "%s:%s:%s:%s:%s", m->strategy, m->venue, s, m->session, what);
}

static void on_reply(void *ctx, bool ok, const char *error)
{
    th_redis_mirror *m = ctx;
    if (ok) return;
    m->errors++;
    th_metric_inc(m->m_errors);
    if (error) snprintf(m->last_error, sizeof m->last_error, "%s", error);
}

/* One command, counted: argv of NUL-terminated strings. */
static void cmd(th_redis_mirror *m, int argc, const char **argv)
{
    if (th_redis_cmd(&m->r, argc, argv, NULL, on_reply, m) != 0) return;
    m->writes++;
    th_metric_inc(m->m_writes);
}

/* A document written by fill(f, arg) to a memstream, then as the value of HSET key field. */
static void hset_doc(th_redis_mirror *m, const char *key, const char *field, void (*fill)(FILE *, const void *, const void *),
                     const void *a, const void *b)
{
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    if (!f) return;
    fill(f, a, b);
    fclose(f);
    const char *argv[4] = {"HSET", key, field, buf};
    cmd(m, 4, argv);
    free(buf);
}

static const char *dec(char *buf, size_t cap, int64_t v, int32_t scale)
{
    if (th_dec_format(v, scale, buf, cap) < 0) snprintf(buf, cap, "?");
    return buf;
}

static const char *money(char *buf, size_t cap, th_money v, int32_t scale)
{
    if (th_money_format_short(v, scale, buf, cap) < 0) snprintf(buf, cap, "?");
    return buf;
}

/* An order as the journal rebuilds it: exact decimals in human units, and the integer units
 * `tradehost journal --json` prints (so the two compare key by key). */
static void order_doc(FILE *f, const void *a, const void *b)
{
    const th_flow *fl = a;
    const th_order *o = b;
    const th_instrument *ins = &fl->ins->v[o->instrument];
    char p[48], q[48], d[48];
    fputs("{\"id\":", f); th_json_put_str(f, o->cl_id);
    fputs(",\"venue_id\":", f); th_json_put_str(f, o->ex_id);
    fputs(",\"symbol\":", f); th_json_put_str(f, ins->symbol);
    fprintf(f, ",\"side\":\"%s\",\"state\":\"%s\",\"reason\":\"%s\"", o->side == TH_BID ? "buy" : "sell", th_ord_state_name(o->state),
            th_done_reason_name(o->done_reason));
    fprintf(f, ",\"price\":\"%s\",\"size\":\"%s\",\"filled\":\"%s\"", dec(p, sizeof p, o->price, ins->price_dec),
            dec(q, sizeof q, o->qty, ins->qty_dec), dec(d, sizeof d, o->filled, ins->qty_dec));
    fprintf(f, ",\"price_units\":%lld,\"qty_units\":%lld,\"filled_units\":%lld,\"adopted\":%s,\"tag\":", (long long)o->price,
            (long long)o->qty, (long long)o->filled, (o->flags & TH_ORD_ADOPTED) ? "true" : "false");
    th_json_put_str(f, o->tag);
    fputc('}', f);
}

typedef struct fill_ctx {
    const th_instrument *ins;
    const th_order *o;
} fill_ctx;

static void fill_doc(FILE *f, const void *a, const void *b)
{
    const fill_ctx *c = a;
    const th_jrec *r = b;
    char p[48], q[48], fee[64];
    int32_t pd = r->price_dec ? r->price_dec : c->ins->price_dec, qd = r->qty_dec ? r->qty_dec : c->ins->qty_dec;
    fputs("{\"id\":", f); th_json_put_str(f, r->cl_id);
    fputs(",\"trade_id\":", f); th_json_put_str(f, r->trade_id);
    fputs(",\"symbol\":", f); th_json_put_str(f, c->ins->symbol);
    fprintf(f, ",\"side\":\"%s\",\"price\":\"%s\",\"size\":\"%s\",\"fee\":\"%s\",\"ts\":%lld}", c->o->side == TH_BID ? "buy" : "sell",
            dec(p, sizeof p, r->price, pd), dec(q, sizeof q, r->qty, qd), money(fee, sizeof fee, r->fee, pd + qd),
            (long long)r->ts_ns);
}

/* ---- the projection: records into the shadow, touched things marked ---- */

static void mark_order(th_redis_mirror *m, int32_t idx)
{
    if (idx < 0) return;
    if (idx >= m->nstamp) {
        int32_t n = idx + 1024;
        uint32_t *v = realloc(m->stamp, sizeof *v * (size_t)n);
        if (!v) return;
        memset(v + m->nstamp, 0, sizeof *v * (size_t)(n - m->nstamp));
        m->stamp = v;
        m->nstamp = n;
    }
    if (m->stamp[idx] == m->turn_no) return;
    if (m->ntouched == m->touched_cap) {
        int32_t n = m->touched_cap ? m->touched_cap * 2 : 256;
        int32_t *v = realloc(m->touched, sizeof *v * (size_t)n);
        if (!v) return;
        m->touched = v;
        m->touched_cap = n;
    }
    m->stamp[idx] = m->turn_no;
    m->touched[m->ntouched++] = idx;
}

static void mark_pair(th_redis_mirror *m, int32_t ins)
{
    if (ins < 0) return;
    if (ins >= m->npair_touched) {
        int32_t n = ins + 64;
        bool *v = realloc(m->pair_touched, sizeof *v * (size_t)n);
        if (!v) return;
        memset(v + m->npair_touched, 0, sizeof *v * (size_t)(n - m->npair_touched));
        m->pair_touched = v;
        m->npair_touched = n;
    }
    m->pair_touched[ins] = true;
}

static int on_record(void *ctx, const th_jrec *r)
{
    th_redis_mirror *m = ctx;
    th_flow *sh = &m->shadow;
    th_flow_apply(sh, r); /* the recovery path; an error there is the host's too (it refused to start) */
    m->records++;
    th_metric_inc(m->m_records);
    int32_t idx = r->cl_id[0] ? th_tracker_find_cl(&sh->trk, r->cl_id) : r->ex_id[0] ? th_tracker_find_ex(&sh->trk, r->ex_id) : -1;
    if (idx >= 0) {
        mark_order(m, idx);
        if (r->type == TH_J_FILL) {
            const th_order *o = &sh->trk.v[idx];
            fill_ctx c = {&sh->ins->v[o->instrument], o};
            char key[256], field[100];
            pair_key(m, c.ins->symbol, "fills", key, sizeof key);
            snprintf(field, sizeof field, "%s|%s", r->cl_id, r->trade_id);
            hset_doc(m, key, field, fill_doc, &c, r);
            mark_pair(m, o->instrument);
        }
    }
    if (r->type == TH_J_POSITION && r->symbol[0]) mark_pair(m, th_instruments_find(sh->ins, r->symbol, strlen(r->symbol)));
    if (r->type == TH_J_KILL || r->type == TH_J_REARM || r->type == TH_J_SESSION) m->risk_touched = true;
    return 0;
}

static void write_position(th_redis_mirror *m, int32_t i)
{
    const th_flow *sh = &m->shadow;
    if (i >= sh->pf.n || i >= sh->ins->n) return;
    const th_position *p = &sh->pf.v[i];
    const th_instrument *ins = &sh->ins->v[i];
    int32_t scale = ins->price_dec + ins->qty_dec;
    char key[256], qty[48], avg[48], real[64], fees[64], fills[24], bought[48], sold[48], qu[24], ru[64], fu[64];
    pair_key(m, ins->symbol, "positions", key, sizeof key);
    snprintf(fills, sizeof fills, "%lld", (long long)p->fills);
    snprintf(qu, sizeof qu, "%lld", (long long)p->qty);
    const char *argv[] = {"HSET", key, "symbol", ins->symbol, "qty", dec(qty, sizeof qty, p->qty, ins->qty_dec), "qty_units", qu,
                          "avg_entry", dec(avg, sizeof avg, th_position_avg_entry(p), ins->price_dec), "realised",
                          money(real, sizeof real, p->realised, scale), "fees", money(fees, sizeof fees, p->fees, scale),
                          "fills", fills, "bought", dec(bought, sizeof bought, p->bought, ins->qty_dec), "sold",
                          dec(sold, sizeof sold, p->sold, ins->qty_dec), "quote", ins->quote,
                          /* the integers `tradehost journal --json` prints, to compare key by key */
                          "realised_units", money(ru, sizeof ru, p->realised, 0), "fees_units", money(fu, sizeof fu, p->fees, 0)};
    cmd(m, (int)(sizeof argv / sizeof *argv), argv);
}

static void num(char *buf, size_t cap, double v) { snprintf(buf, cap, "%.10g", v); }

/* The live portfolio (marks move without journal records): written once a second and with fills. */
static void write_portfolio(th_redis_mirror *m)
{
    th_pnl_view p;
    const char *err;
    if (th_pnl_get(&p, &err) != 0) return;
    char key[256], a[32], b[32], c[32], d[32], e[32], g[32], h[32], i[32], ts[24];
    snprintf(key, sizeof key, "%sportfolio", m->sess_prefix);
    num(a, sizeof a, p.total); num(b, sizeof b, p.realised); num(c, sizeof c, p.unrealised); num(d, sizeof d, p.fees);
    num(e, sizeof e, p.day); num(g, sizeof g, p.drawdown); num(h, sizeof h, p.exposure); num(i, sizeof i, p.open_notional);
    snprintf(ts, sizeof ts, "%lld", (long long)th_clock_ns());
    const char *argv[] = {"HSET", key, "currency", p.currency, "total", a, "realised", b, "unrealised", c, "fees", d, "day", e,
                          "drawdown", g, "exposure", h, "open_notional", i, "updated_ns", ts};
    cmd(m, (int)(sizeof argv / sizeof *argv), argv);
}

static void write_risk(th_redis_mirror *m)
{
    const th_risk_limits *l = &m->cfg.risk;
    const th_risk *live = &m->tr->flow.risk;
    char key[256], v[9][32];
    snprintf(key, sizeof key, "%srisk_params", m->sess_prefix);
    num(v[0], 32, l->budget); num(v[1], 32, l->max_total_exposure_pct); num(v[2], 32, l->max_position_pct);
    num(v[3], 32, l->max_pair_pct); num(v[4], 32, l->daily_loss_cap); num(v[5], 32, l->max_drawdown);
    num(v[6], 32, l->min_notional); num(v[7], 32, l->max_notional); snprintf(v[8], 32, "%d", l->breaker_errors);
    const char *argv[] = {"HSET", key, "budget", v[0], "max_exposure_pct", v[1], "max_position_pct", v[2], "max_pair_pct", v[3],
                          "daily_loss_cap", v[4], "max_drawdown", v[5], "min_order_notional", v[6], "max_order_notional", v[7],
                          "breaker_errors", v[8], "halted", live->halted ? "true" : "false", "halt_reason", live->halt_reason};
    cmd(m, (int)(sizeof argv / sizeof *argv), argv);
}

static void write_config(th_redis_mirror *m)
{
    char key[256], pairs[4096] = "[", pid[16], n[16];
    snprintf(key, sizeof key, "%sconfig", m->sess_prefix);
    size_t k = 1;
    const th_instruments *ins = m->tr->flow.ins;
    int32_t np = 0;
    for (int32_t i = 0; m->mf && m->mf->wanted && i < m->mf->nwanted && i < ins->n && k + 40 < sizeof pairs; i++)
        if (m->mf->wanted[i]) k += (size_t)snprintf(pairs + k, sizeof pairs - k, "%s\"%s\"", np++ ? "," : "", ins->v[i].symbol);
    snprintf(pairs + k, sizeof pairs - k, "]");
    snprintf(pid, sizeof pid, "%d", (int)uv_os_getpid());
    snprintf(n, sizeof n, "%d", np);
    const char *argv[] = {"HSET", key, "session", m->session, "strategy", m->strategy, "venue", m->venue, "mode", m->mode,
                          "pairs", pairs, "npairs", n, "journal", m->journal, "pid", pid};
    cmd(m, (int)(sizeof argv / sizeof *argv), argv);
}

/* ---- the turn ---- */

static int shadow_open(th_redis_mirror *m)
{
    const char *err = NULL;
    if (m->shadow_open) th_flow_free(&m->shadow);
    m->shadow_open = false;
    if (th_flow_init(&m->shadow, &m->cfg, m->tr->flow.ins, (th_venue){0}, NULL, 0, &err) != 0) {
        th_logf(TH_LOG_ERROR, "redis: cannot build the shadow state", "error=\"%s\"", err);
        return -1;
    }
    for (int32_t i = 0; i < m->tr->flow.nrates; i++) th_flow_set_rate(&m->shadow, m->tr->flow.rates[i].currency, m->tr->flow.rates[i].rate);
    m->shadow_open = true;
    return 0;
}

static void mirror_turn(th_redis_mirror *m, int max)
{
    if (!m->up || !m->shadow_open || m->r.pending > TH_MIRROR_PENDING_MAX) return;
    int64_t t0 = th_mono_ns();
    m->turn_no++;
    m->ntouched = 0;
    if (th_flow_grow(&m->shadow, 0) != 0) return; /* instruments added while running */
    int n = th_journal_tail_read(&m->tail, max, on_record, m);
    if (n < 0) {
        th_logf(TH_LOG_ERROR, "redis: cannot read the journal", "journal=%s", m->journal);
        return;
    }
    for (int32_t i = 0; i < m->ntouched; i++) {
        const th_order *o = &m->shadow.trk.v[m->touched[i]];
        char key[256];
        pair_key(m, m->shadow.ins->v[o->instrument].symbol, "orders", key, sizeof key);
        hset_doc(m, key, o->cl_id, order_doc, &m->shadow, o);
    }
    bool any_pair = false;
    for (int32_t i = 0; i < m->npair_touched; i++) {
        if (!m->pair_touched[i]) continue;
        m->pair_touched[i] = false;
        write_position(m, i);
        any_pair = true;
    }
    if (any_pair) write_portfolio(m);
    if (m->risk_touched) { write_risk(m); m->risk_touched = false; }
    if (n == 0 && !m->caught_up) {
        m->caught_up = true;
        th_logf(TH_LOG_INFO, "redis: caught up from the journal", "records=%llu ms=%.1f", (unsigned long long)m->tail.records,
                (double)(th_mono_ns() - m->catchup_start_ns) / 1e6);
    }
    if (n > 0) th_hist_record(&m->turn_ns, (uint64_t)(th_mono_ns() - t0));
}

static void on_turn(uv_check_t *h) { mirror_turn(h->data, TH_MIRROR_TURN_RECORDS); }

static void on_market(uv_timer_t *t)
{
    th_redis_mirror *m = t->data;
    if (!m->up) return;
    write_portfolio(m);
    if (!m->mf || !m->mf->active) return;
    const th_instruments *ins = &m->mf->feed.instruments;
    for (int32_t i = 0; m->mf->wanted && i < ins->n && i < m->mf->nwanted; i++) {
        if (!m->mf->wanted[i]) continue;
        int32_t id, health;
        const char *err, *reason;
        th_book_top top;
        if (th_book_find(ins->v[i].symbol, &id, &err) != 0 || th_book_health_get(id, &health, &reason, &err) != 0 || health != TH_BOOK_OK ||
            th_book_top_get(id, &top, &err) != 0)
            continue;
        char sym[48], key[128], ttl[16], *buf = NULL;
        size_t n = 0;
        key_symbol(ins->v[i].symbol, sym, sizeof sym);
        FILE *f = open_memstream(&buf, &n);
        if (!f) return;
        fputs("{\"symbol\":", f); th_json_put_str(f, ins->v[i].symbol);
        fputs(",\"bid\":", f); th_json_put_num(f, top.bid);
        fputs(",\"ask\":", f); th_json_put_num(f, top.ask);
        fprintf(f, ",\"ts\":%lld}", (long long)th_clock_ns());
        fclose(f);
        snprintf(key, sizeof key, "market:%s:%s:ticker", m->venue, sym);
        snprintf(ttl, sizeof ttl, "%d", m->futures ? 300 : 60);
        const char *a1[] = {"SET", key, buf, "EX", ttl};
        cmd(m, 5, a1);
        free(buf);
        th_level lv[2][10];
        int32_t nl[2] = {0, 0};
        th_book_levels_get(id, 0, 10, lv[0], &nl[0], &err);
        th_book_levels_get(id, 1, 10, lv[1], &nl[1], &err);
        buf = NULL;
        f = open_memstream(&buf, &n);
        if (!f) return;
        fputs("{\"symbol\":", f); th_json_put_str(f, ins->v[i].symbol);
        for (int s = 0; s < 2; s++) {
            fputs(s ? ",\"asks\":[" : ",\"bids\":[", f);
            for (int32_t k = 0; k < nl[s]; k++) {
                fputs(k ? ",[" : "[", f); th_json_put_num(f, lv[s][k].price); fputc(',', f); th_json_put_num(f, lv[s][k].qty); fputc(']', f);
            }
            fputc(']', f);
        }
        fprintf(f, ",\"ts\":%lld}", (long long)th_clock_ns());
        fclose(f);
        snprintf(key, sizeof key, "market:%s:%s:book", m->venue, sym);
        const char *a2[] = {"SET", key, buf, "EX", "30"};
        cmd(m, 5, a2);
        free(buf);
    }
}

static void on_state(void *ctx, bool connected, const char *why)
{
    th_redis_mirror *m = ctx;
    th_metric_set(m->m_connected, connected ? 1 : 0);
    if (!connected) {
        if (m->up) th_logf(TH_LOG_WARN, "redis: down: journal only until it returns (then caught up from the journal)",
                           "why=\"%s\"", why);
        m->up = false;
        m->caught_up = false;
        return;
    }
    /* (Re)connected: rebuild from the journal's first record; every write is idempotent. */
    m->catchups++;
    th_metric_inc(m->m_catchups);
    m->catchup_start_ns = th_mono_ns();
    th_journal_tail_rewind(&m->tail);
    if (shadow_open(m) != 0) return;
    m->up = true;
    m->caught_up = false;
    th_logf(TH_LOG_INFO, "redis: mirroring: catching up from the journal", "journal=%s catchups=%llu", m->journal,
            (unsigned long long)m->catchups);
    write_config(m);
    write_risk(m);
    write_portfolio(m);
}

int th_redis_mirror_health(th_redis_mirror *m, FILE *f)
{
    if (!m->active) return 0;
    struct stat st;
    long long lag = m->tail.fd >= 0 && fstat(m->tail.fd, &st) == 0 ? (long long)st.st_size - (long long)m->tail.off : -1;
    const char *state = !m->up ? (m->r.connects ? "down" : "connecting") : m->caught_up ? "ok" : "catching_up";
    fputs(",{\"name\":\"redis\",\"state\":", f);
    th_json_put_str(f, state);
    fprintf(f, ",\"ok\":%s,\"address\":\"%s:%d\",\"journal_bytes_behind\":%lld,\"writes\":%llu,\"errors\":%llu,\"catchups\":%llu",
            m->up ? "true" : "false", m->r.host, m->r.port, lag, (unsigned long long)m->writes, (unsigned long long)m->errors,
            (unsigned long long)m->catchups);
    fputs(",\"detail\":", f);
    th_json_put_str(f, m->up ? "" : m->r.last_error[0] ? m->r.last_error : "not connected yet");
    fputc('}', f);
    return m->up ? 0 : 1;
}

int th_redis_mirror_open(th_redis_mirror *m, uv_loop_t *loop, th_lua *lua, th_trading *tr, th_session_feed *mf,
                         const char *session_id, const char *mode, const char **err)
{
    static char msg[300];
    memset(m, 0, sizeof *m);
    m->tail.fd = -1;
    th_redis_cfg rc;
    int have = th_redis_cfg_read(lua, &rc, err);
    if (have <= 0) return have;
    if (!tr->active || !tr->jn.open) {
        *err = "storage.redis mirrors the journal: this session keeps none (a backtest)";
        return -1;
    }
    m->tr = tr;
    m->mf = mf;
    m->cfg = tr->flow.cfg;
    snprintf(m->journal, sizeof m->journal, "%s", tr->jn.path);
    snprintf(m->session, sizeof m->session, "%s", session_id);
    snprintf(m->mode, sizeof m->mode, "%s", mode);
    char name[64] = "", feed[32] = "";
    th_lua_cfg_string(lua, "strategy.name", name, sizeof name);
    if (!th_lua_cfg_string(lua, "venue.feed", feed, sizeof feed)) th_lua_cfg_string(lua, "venue.name", feed, sizeof feed);
    snprintf(m->strategy, sizeof m->strategy, "%s", th_lua_cfg_pair_count(lua) > 1 ? "multi" : name);
    snprintf(m->venue, sizeof m->venue, "%s", feed);
    m->futures = strstr(feed, "futures") != NULL || strstr(feed, "usdm") != NULL;
    snprintf(m->sess_prefix, sizeof m->sess_prefix, "%s:%s:%s:", m->strategy, m->venue, m->session);
    const char *e2;
    if (th_journal_tail_open(&m->tail, m->journal, &e2) != 0) {
        snprintf(msg, sizeof msg, "storage.redis: cannot read the journal %s: %s", m->journal, e2);
        *err = msg;
        return -1;
    }
    th_metric_register("redis_writes_total", TH_METRIC_COUNTER, &m->m_writes, &e2);
    th_metric_register("redis_journal_records_total", TH_METRIC_COUNTER, &m->m_records, &e2);
    th_metric_register("redis_errors_total", TH_METRIC_COUNTER, &m->m_errors, &e2);
    th_metric_register("redis_connected", TH_METRIC_GAUGE, &m->m_connected, &e2);
    th_metric_register("redis_catchups_total", TH_METRIC_COUNTER, &m->m_catchups, &e2);
    if (th_redis_open(&m->r, loop, rc.host, rc.port, rc.password, rc.timeout_ms, on_state, m, err) != 0) {
        th_journal_tail_close(&m->tail);
        return -1;
    }
    uv_check_init(loop, &m->turn);
    m->turn.data = m;
    uv_check_start(&m->turn, on_turn);
    uv_timer_init(loop, &m->market);
    m->market.data = m;
    uv_timer_start(&m->market, on_market, 1000, 1000);
    m->active = true;
    th_logf(TH_LOG_INFO, "redis: mirror on", "address=%s:%d keys=%s<symbol>:%s:{orders,fills,positions} session_keys=%s{config,portfolio,risk_params}",
            rc.host, rc.port, m->strategy, m->session, m->sess_prefix);
    return 0;
}

static void closed_cb(uv_handle_t *h) { (void)h; }

void th_redis_mirror_close(th_redis_mirror *m)
{
    if (!m->active) return;
    if (m->up) mirror_turn(m, 1 << 30); /* what the journal holds by now */
    if (m->up && m->turn_ns.count)
        th_logf(TH_LOG_INFO, "redis: mirror time on the loop", "turns=%llu p50_us=%.1f p99_us=%.1f max_us=%.1f writes=%llu records=%llu",
                (unsigned long long)m->turn_ns.count, (double)th_hist_quantile(&m->turn_ns, 0.5) / 1e3,
                (double)th_hist_quantile(&m->turn_ns, 0.99) / 1e3, (double)m->turn_ns.max / 1e3, (unsigned long long)m->writes,
                (unsigned long long)m->records);
    m->up = false;
    th_redis_close(&m->r);
    uv_close((uv_handle_t *)&m->turn, closed_cb);
    uv_close((uv_handle_t *)&m->market, closed_cb);
    m->active = false;
}

void th_redis_mirror_free(th_redis_mirror *m)
{
    th_journal_tail_close(&m->tail);
    if (m->shadow_open) th_flow_free(&m->shadow);
    m->shadow_open = false;
    free(m->stamp);
    free(m->touched);
    free(m->pair_touched);
    m->stamp = NULL;
    m->touched = NULL;
    m->pair_touched = NULL;
}
