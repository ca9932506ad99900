/* session_lead.c — a session's lead market (venue.lead, see session_feed.h): another venue's
 * recording (Kraken Futures beside Kraken spot) in a feed of its own, registered for th.book,
 * merged by receive time into the traded recordings by session_feed.c (read_next), shifted so
 * recordings of different days meet (align, shift_s); or, in a live session, that venue itself
 * (Kraken Futures' public websocket, connectors/kraken_futures_public.c). Strategies read it,
 * never trade it: its changed books go to on_lead, its health changes to the log. */
#include <lua.h>
#include <stdio.h>
#include <string.h>

#include "../core/clock.h"
#include "../core/json_out.h"
#include "../core/log.h"
#include "../net/url.h"
#include "../feed/market.h"
#include "../feed/venue_feed.h"
#include "paths.h"
#include "session_feed.h"

/* The lead's health changes are logged, and the book's next on_lead tells the strategy, which
 * reads the health from th.book (the lead is read, never traded: no on_book_health for it). */
static void on_lead_health(void *ctx, th_feed *f, int32_t sym, int32_t old_h, int32_t new_h, const char *reason)
{
    (void)ctx;
    (void)old_h;
    th_logf(new_h == TH_BOOK_OK ? TH_LOG_DEBUG : TH_LOG_WARN, "lead book health", "symbol=%s health=%s reason=\"%s\"",
            f->instruments.v[sym].symbol, th_book_health_name(new_h), reason);
    th_feed_symbol *fs = th_feed_symbol_at(f, sym);
    if (fs) fs->dirty = true;
}

/* venue.lead: its feed, instruments, recording and snapshots, and its shift. Called once the traded
 * recordings' first record is known (m->next_ts): align = "start" shifts the lead so its first
 * record meets that one, shift_s moves it further. Recordings of different days (the bundled
 * Kraken spot and Futures ones) are aligned, never simultaneous: the log line says by how much. */
int th_session_lead_open(th_session_feed *m, const char **err)
{
    static char why[1400];
    char rec[1024], ipath[1024], spath[1024], feed_name[64], align[16], w[1200];
    if (!th_lua_cfg_string(m->lua, "venue.lead.recording", rec, sizeof rec)) return 0;
    th_lua_cfg_string(m->lua, "venue.lead.instruments", ipath, sizeof ipath);
    th_lua_cfg_string(m->lua, "venue.lead.feed", feed_name, sizeof feed_name);
    th_venue_id v;
    if (th_venue_parse(feed_name, &v) != 0 || v == TH_VENUE_SIM) { snprintf(why, sizeof why, "venue.lead.feed: unknown feed %s", feed_name); *err = why; return -1; }
    if (th_path_check_readable(rec, w, sizeof w) != 0) { snprintf(why, sizeof why, "venue.lead.recording: %s", w); *err = why; return -1; }
    if (th_path_check_readable(ipath, w, sizeof w) != 0) { snprintf(why, sizeof why, "venue.lead.instruments: %s", w); *err = why; return -1; }
    if (th_feed_init(&m->lead, v, th_venue_feed_ops_for(v)->depth) != 0) { *err = "out of memory"; return -1; }
    m->have_lead = true; /* from here on, close frees it */
    m->lead.sink.ctx = m;
    m->lead.sink.on_health = on_lead_health;
    if (th_instruments_load_file(&m->lead.instruments, ipath, err) <= 0) {
        snprintf(why, sizeof why, "venue.lead.instruments: %s", *err);
        *err = why;
        return -1;
    }
    if (th_ingest_open(&m->lead_in, &m->lead, rec, "lead", err) != 0) return -1;
    if (th_lua_cfg_string(m->lua, "venue.lead.snapshots", spath, sizeof spath)) {
        if (th_path_check_readable(spath, w, sizeof w) != 0) { snprintf(why, sizeof why, "venue.lead.snapshots: %s", w); *err = why; return -1; }
        if (th_ingest_add_snapshots(&m->lead_in, spath, err) != 0) { snprintf(why, sizeof why, "venue.lead.snapshots: %s", *err); *err = why; return -1; }
    }
    int64_t lead_first;
    if (!th_ingest_peek(&m->lead_in, &lead_first)) { snprintf(why, sizeof why, "venue.lead.recording %s: no records", rec); *err = why; return -1; }
    th_lua_cfg_string(m->lua, "venue.lead.align", align, sizeof align);
    int64_t shift = (int64_t)(th_lua_cfg_number(m->lua, "venue.lead.shift_s", 0) * 1e9);
    if (strcmp(align, "start") == 0 && m->have_next) shift += m->next_ts - lead_first;
    m->lead_in.shift_ns = shift;
    if (th_market_add(&m->lead) < 0) { *err = "too many market data feeds"; return -1; }
    int64_t apart = m->have_next ? m->next_ts - (lead_first + shift) : 0;
    if (apart < 0) apart = -apart;
    th_logf(apart > 3600000000000LL ? TH_LOG_WARN : TH_LOG_INFO,
            apart > 3600000000000LL ? "lead recording is hours away from the traded one: it is read before or after all of it (venue.lead.align = \"start\" aligns it)"
                                    : "lead market from recording",
            "feed=%s file=%s instruments=%d shift_s=%.6f apart_s=%.3f", feed_name, rec, m->lead.instruments.n, (double)shift / 1e9,
            (double)apart / 1e9);
    return 0;
}

/* A live session's lead: venue.lead without a recording, the venue's own websocket into the lead
 * feed. Kraken Futures is the one live lead connector; another feed is refused naming it. */
int th_session_lead_open_live(th_session_feed *m, const char **err)
{
    static char why[1300];
    char feed_name[64], ipath[1024], w[1200], url[512];
    if (!th_lua_cfg_string(m->lua, "venue.lead.feed", feed_name, sizeof feed_name)) return 0;
    if (th_lua_cfg_string(m->lua, "venue.lead.recording", w, sizeof w)) return 0; /* a recording: only beside a recording (session_feed.c warns) */
    if (strcmp(feed_name, "kraken-futures") != 0) {
        snprintf(why, sizeof why, "venue.lead.feed: %s has no live connector (a live lead is kraken-futures; venue.lead.recording reads a recording beside a recording)", feed_name);
        *err = why;
        return -1;
    }
    if (!th_lua_cfg_string(m->lua, "venue.lead.instruments", ipath, sizeof ipath)) { *err = "venue.lead.instruments is required for a live lead"; return -1; }
    if (th_path_check_readable(ipath, w, sizeof w) != 0) { snprintf(why, sizeof why, "venue.lead.instruments: %s", w); *err = why; return -1; }
    if (!th_lua_cfg_string(m->lua, "venue.lead.symbols.1", w, sizeof w)) { *err = "venue.lead.symbols: a live lead needs its products (e.g. { \"PI_ETHUSD\" })"; return -1; }
    th_url u;
    if (th_lua_cfg_string(m->lua, "venue.lead.endpoints.ws_public", url, sizeof url) && th_url_parse(url, &u, w, sizeof w) != 0) {
        snprintf(why, sizeof why, "venue.lead.endpoints.ws_public: %s", w);
        *err = why;
        return -1;
    }
    if (th_feed_init(&m->lead, TH_VENUE_KRAKEN_FUTURES, th_venue_feed_ops_for(TH_VENUE_KRAKEN_FUTURES)->depth) != 0) { *err = "out of memory"; return -1; }
    m->have_lead = m->lead_live = true; /* from here on, close frees it */
    m->lead.sink.ctx = m;
    m->lead.sink.on_health = on_lead_health;
    if (th_instruments_load_file(&m->lead.instruments, ipath, err) <= 0) {
        snprintf(why, sizeof why, "venue.lead.instruments: %s", *err);
        *err = why;
        return -1;
    }
    if (th_market_add(&m->lead) < 0) { *err = "too many market data feeds"; return -1; }
    th_logf(TH_LOG_INFO, "lead market live", "feed=%s instruments=%d", feed_name, m->lead.instruments.n);
    return 0;
}

/* The products (venue.lead.symbols, upper case as the feeds spell them), connected. */
void th_session_lead_start_live(th_session_feed *m)
{
    if (!m->lead_live) return;
    char url[512], why[1024], names[64][32];
    bool have_url = th_lua_cfg_string(m->lua, "venue.lead.endpoints.ws_public", url, sizeof url);
    const char *syms[64];
    int n = 0;
    for (; n < 64; n++) {
        char key[40];
        snprintf(key, sizeof key, "venue.lead.symbols.%d", n + 1);
        if (!th_lua_cfg_string(m->lua, key, names[n], sizeof names[n])) break;
        for (char *c = names[n]; *c; c++)
            if (*c >= 'a' && *c <= 'z') *c = (char)(*c - 32);
        syms[n] = names[n];
    }
    if (th_kraken_futures_public_open(&m->kfp, m->loop, have_url ? url : NULL, &m->lead, syms, n, why, sizeof why) != 0)
        th_logf(TH_LOG_ERROR, "live lead market data: cannot start", "why=\"%s\"", why);
}

void th_session_lead_stop_live(th_session_feed *m)
{
    if (m->lead_live) th_kraken_futures_public_close(&m->kfp);
}

/* /health: the lead venue (its websocket's state, or its recording) as one more "venues" entry. */
int th_session_lead_health_venue(const th_session_feed *m, FILE *f)
{
    if (!m->have_lead) return 0;
    const char *st = "replaying";
    bool ok = true;
    if (m->lead_live) {
        const th_ws_client *ws = &m->kfp.ws;
        st = ws->connected ? "connected" : ws->connecting ? "connecting" : "disconnected";
        ok = ws->connected;
    }
    fputs(",{\"name\":", f);
    th_json_put_str(f, th_venue_name(m->lead.venue));
    fputs(",\"role\":\"lead\",\"source\":", f);
    th_json_put_str(f, m->lead_live ? "websocket" : "recording");
    fputs(",\"state\":", f);
    th_json_put_str(f, st);
    if (m->lead_live)
        fprintf(f, ",\"connects\":%llu,\"resubscribes\":%llu,\"frame_errors\":%llu", (unsigned long long)m->kfp.ws.connects,
                (unsigned long long)m->kfp.resubscribes, (unsigned long long)m->kfp.frame_errors);
    fprintf(f, ",\"ok\":%s}", ok ? "true" : "false");
    return !ok;
}

static int lead_book_json(const th_session_feed *m, FILE *f, int32_t i, const char *name, int *n, int64_t now)
{
    const th_feed_symbol *fs = i >= 0 && i < m->lead.sym_cap ? m->lead.sym[i] : NULL;
    int32_t health = fs ? fs->book.health : TH_BOOK_EMPTY;
    bool ok = health == TH_BOOK_OK;
    fprintf(f, "%s{\"symbol\":", (*n)++ ? "," : "");
    th_json_put_str(f, name);
    fputs(",\"lead\":true,\"health\":", f);
    th_json_put_str(f, th_book_health_name(health));
    fputs(",\"reason\":", f);
    th_json_put_str(f, fs && fs->book.reason ? fs->book.reason : (fs ? "" : "no data yet"));
    fputs(",\"age_s\":", f);
    th_json_put_num(f, fs && fs->book.last_update_ns ? (double)(now - fs->book.last_update_ns) / 1e9 : -1);
    fprintf(f, ",\"seq\":%lld,\"ok\":%s}", fs ? (long long)fs->book.seq : 0LL, ok ? "true" : "false");
    return !ok;
}

/* /health: the lead's books in "books" (marked "lead":true), after the pairs' (*n of them so far):
 * a live lead's configured products, a recorded lead's books as they appear. */
int th_session_lead_health_books(const th_session_feed *m, FILE *f, int *n)
{
    if (!m->have_lead) return 0;
    int bad = 0;
    int64_t now = th_clock_ns();
    if (m->lead_live) {
        for (int32_t k = 0; k < m->kfp.nproducts; k++)
            bad += lead_book_json(m, f, th_instruments_find(&m->lead.instruments, m->kfp.products[k], strlen(m->kfp.products[k])),
                                  m->kfp.products[k], n, now);
        return bad;
    }
    for (int32_t i = 0; i < m->lead.sym_cap; i++)
        if (m->lead.sym[i]) bad += lead_book_json(m, f, i, m->lead.instruments.v[i].symbol, n, now);
    return bad;
}

void th_session_lead_dispatch(th_session_feed *m)
{
    lua_State *L = m->lua->L;
    for (int32_t i = 0; i < m->lead.sym_cap; i++) {
        th_feed_symbol *fs = m->lead.sym[i];
        if (!fs || !fs->dirty) continue;
        fs->dirty = false;
        m->lead_events++;
        lua_pushstring(L, m->lead.instruments.v[i].symbol);
        th_strategy_call(m->lua, m->strat, "on_lead", 1);
    }
}

void th_session_lead_finished(th_session_feed *m)
{
    th_logf(TH_LOG_INFO, "lead recording finished", "feed=%s records=%llu frames=%llu lead_book_events=%llu errors=%llu",
            th_venue_name(m->lead.venue), (unsigned long long)m->lead_in.records, (unsigned long long)m->lead.frames,
            (unsigned long long)m->lead_events, (unsigned long long)m->lead.errors);
    th_ingest_log_reasons(&m->lead_in);
}

void th_session_lead_close(th_session_feed *m)
{
    if (!m->have_lead) return;
    if (m->lead_live) th_kraken_futures_public_free(&m->kfp);
    m->lead_live = false;
    th_market_remove(&m->lead);
    th_ingest_close(&m->lead_in);
    th_feed_free(&m->lead);
    m->have_lead = false;
}
