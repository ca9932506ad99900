/* status_view.c — the session's live status view on the terminal (see status_view.h). */
#include "status_view.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../core/clock.h"
#include "../core/decimal.h"
#include "timeline.h"

static void px(char *buf, size_t cap, int64_t v, int32_t dec)
{
    if (!v) snprintf(buf, cap, "-");
    else if (th_dec_format(v, dec, buf, cap) < 0) snprintf(buf, cap, "?");
}

/* How far the recording is: percent of its bytes (a plain file), else -1. */
static double progress(const th_status_view *v)
{
    const th_recording *r = &v->mf->in.rec;
    if (!v->mf->in.rec_open) return 100;
    if (v->rec_size <= 0 || r->fd < 0) return -1;
    off_t at = lseek(r->fd, 0, SEEK_CUR);
    if (at < 0) return -1;
    double done = (double)at - (double)(r->end - r->pos);
    return 100.0 * done / (double)v->rec_size;
}

static void draw(th_status_view *v, bool last)
{
    th_trading *t = v->tr;
    char out[16384];
    size_t o = 0;
#define OUT(...) (o += (size_t)snprintf(out + o, o < sizeof out ? sizeof out - o : 0, __VA_ARGS__))
    char now[48];
    double pct = progress(v);
    OUT("%s  recording %s", last ? "final" : "live ", th_clock_iso(th_clock_ns(), now, sizeof now));
    if (pct >= 0) OUT(" %5.1f%%", pct > 100 ? 100 : pct);
    OUT("  records %llu", (unsigned long long)v->mf->in.records);
    OUT("  orders %llu  fills %llu  PnL %.4f %s\n", (unsigned long long)t->flow.st.placed, (unsigned long long)t->flow.st.fills,
        t->flow.pf.total_pnl, t->currency[0] ? t->currency : "");
    OUT("%-11s %-9s %13s %13s %13s %13s %14s %16s\n", "pair", "book", "best bid", "best ask", "our bid", "our ask", "position", "PnL");
    for (int32_t k = 0; k < v->n; k++) {
        int32_t i = v->ins[k];
        const th_instrument *x = &t->flow.ins->v[i];
        int64_t bid = 0, ask = 0, ob, oa;
        int32_t health = TH_BOOK_EMPTY;
        th_trading_top(t, i, &bid, &ask, &health);
        th_timeline_our_quotes(t, i, &ob, &oa);
        const th_position *p = &t->flow.pf.v[i];
        char b1[32], b2[32], b3[32], b4[32], b5[32];
        px(b1, sizeof b1, bid, x->price_dec);
        px(b2, sizeof b2, ask, x->price_dec);
        px(b3, sizeof b3, ob, x->price_dec);
        px(b4, sizeof b4, oa, x->price_dec);
        if (th_dec_format(p->qty, x->qty_dec, b5, sizeof b5) < 0) snprintf(b5, sizeof b5, "?");
        char *dot = strchr(b5, '.'); /* trailing zeros say nothing on a status line */
        if (dot) {
            char *e = b5 + strlen(b5) - 1;
            while (e > dot && *e == '0') *e-- = 0;
            if (e == dot) *e = 0;
        }
        OUT("%-11s %-9s %13s %13s %13s %13s %14s %11.4f %-4s\n", x->symbol, th_book_health_name(health), b1, b2, b3, b4, b5,
            th_money_to_double(th_position_pnl(p), p->scale), x->quote);
    }
#undef OUT
    if (o >= sizeof out) o = sizeof out - 1;
    if (v->tty) {
        /* move up over the last frame and clear each line as it is rewritten */
        if (v->lines_drawn) printf("\033[%dA", v->lines_drawn);
        int lines = 0;
        for (char *s = out, *nl; (nl = strchr(s, '\n')); s = nl + 1, lines++) printf("\033[2K%.*s\n", (int)(nl - s), s);
        v->lines_drawn = lines;
    } else {
        fwrite(out, 1, o, stdout);
    }
    fflush(stdout);
    v->frames++;
}

static void on_timer(uv_timer_t *h) { draw(h->data, false); }

int th_status_view_open(th_status_view *v, uv_loop_t *loop, th_trading *tr, th_session_feed *mf, th_lua *lua)
{
    memset(v, 0, sizeof *v);
    char mode[16] = "off";
    th_lua_cfg_string(lua, "status.mode", mode, sizeof mode);
    if (strcmp(mode, "off") == 0) return 0;
    if (strcmp(mode, "auto") == 0) v->tty = isatty(STDOUT_FILENO);
    else if (strcmp(mode, "tty") == 0) v->tty = true;
    else if (strcmp(mode, "lines") != 0) { fprintf(stderr, "tradehost: status.mode: one of auto, tty, lines, off\n"); return -1; }
    if (!tr->active || !mf->active) return 0; /* nothing to show: no order side or no market data */
    int npairs = th_lua_cfg_pair_count(lua);
    v->ins = calloc((size_t)(npairs > 0 ? npairs : 1), sizeof *v->ins);
    if (!v->ins) { fprintf(stderr, "tradehost: status view: out of memory\n"); return -1; }
    for (int k = 0; k < npairs; k++) {
        char sym[64];
        bool enabled = true;
        if (!th_lua_cfg_pair_symbol(lua, k, sym, sizeof sym, &enabled) || !enabled) continue;
        int32_t i = th_trading_find_symbol(tr, sym);
        if (i >= 0) v->ins[v->n++] = i;
    }
    struct stat sb;
    if (mf->in.rec_open && mf->in.rec.fd >= 0 && fstat(mf->in.rec.fd, &sb) == 0 && S_ISREG(sb.st_mode)) v->rec_size = sb.st_size;
    v->tr = tr;
    v->mf = mf;
    double every = th_lua_cfg_number(lua, "status.every_ms", 250);
    if (!v->tty && every < 2000) every = 2000; /* plain lines: a table every 2 s is plenty for a log */
    uv_timer_init(loop, &v->timer);
    v->timer.data = v;
    uv_timer_start(&v->timer, on_timer, 0, (uint64_t)every);
    v->on = true;
    return 0;
}

void th_status_view_close(th_status_view *v)
{
    if (!v->on) return;
    v->on = false;
    draw(v, true);
    uv_timer_stop(&v->timer);
    uv_close((uv_handle_t *)&v->timer, NULL);
    free(v->ins);
    v->ins = NULL;
}
