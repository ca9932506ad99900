/* pg_rows.c — journal records into the history's rows as SQL text (see pg_rows.h). */
#include "pg_rows.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "../core/decimal.h"
#include "../core/position.h"

/* ---- values as SQL literals ---- */

/* A string literal: standard_conforming_strings is on (set at connect), so only ' is doubled. */
void th_pg_sql_str(FILE *f, const char *s)
{
    /* runs of text between quotes in one write each (a character at a time was a third of the
     * loop's time per record: each stdio call takes the stream's lock) */
    fputc_unlocked('\'', f);
    for (;;) {
        const char *e = strchr(s, '\'');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        fwrite_unlocked(s, 1, n, f);
        if (!e) break;
        fputs_unlocked("''", f);
        s = e + 1;
    }
    fputc_unlocked('\'', f);
}

static void qdec(FILE *f, int64_t v, int32_t scale)
{
    char b[48];
    if (th_dec_format(v, scale, b, sizeof b) < 0) snprintf(b, sizeof b, "0");
    fputs(b, f);
}

static void qmoney(FILE *f, th_money v, int32_t scale)
{
    char b[64];
    if (th_money_format_short(v, scale, b, sizeof b) < 0) snprintf(b, sizeof b, "0");
    fputs(b, f);
}

/* A double as SQL: finite, else 0 (NaN has no place in the history). */
static void qnum(FILE *f, double v)
{
    if (v != v || v > 1e300 || v < -1e300) v = 0;
    fprintf(f, "%.17g", v);
}

/* The next row of a table's VALUES list. */
static FILE *row(FILE **fp, char **buf, size_t *n, uint64_t *count)
{
    if (!*fp) {
        *fp = open_memstream(buf, n);
        if (!*fp) return NULL;
    }
    fputs((*count)++ ? ",\n(" : "(", *fp);
    return *fp;
}

static void q(FILE *f, const char *s) { th_pg_sql_str(f, s); }

void th_pg_rows_reset(th_pg_rows *b)
{
    FILE **fs[] = {&b->f_ev, &b->f_fill, &b->f_pos, &b->f_risk};
    char **bs[] = {&b->b_ev, &b->b_fill, &b->b_pos, &b->b_risk};
    for (int i = 0; i < 4; i++) {
        if (*fs[i]) fclose(*fs[i]);
        *fs[i] = NULL;
        free(*bs[i]);
        *bs[i] = NULL;
    }
    b->n_ev = b->n_fill = b->n_pos = b->n_risk = 0;
    b->r_ev = b->r_fill = b->r_pos = b->r_risk = 0;
}

uint64_t th_pg_rows_count(const th_pg_rows *b) { return b->r_ev + b->r_fill + b->r_pos + b->r_risk; }

/* ---- a record into rows ---- */

static void order_cl(const th_order *o, char *out, size_t cap)
{
    if (o->cl_id[0]) snprintf(out, cap, "%s", o->cl_id);
    else snprintf(out, cap, "ex:%s", o->ex_id); /* adopted without a client id */
}

static void position_row(th_pg_rows *h, const th_flow *sh, int64_t seq, const th_jrec *r, int32_t i)
{
    if (i < 0 || i >= sh->pf.n || i >= sh->ins->n) return;
    const th_position *p = &sh->pf.v[i];
    const th_instrument *ins = &sh->ins->v[i];
    int32_t scale = ins->price_dec + ins->qty_dec;
    FILE *f = row(&h->f_pos, &h->b_pos, &h->n_pos, &h->r_pos);
    if (!f) return;
    q(f, h->jkey); fprintf(f, ",%lld,", (long long)seq); q(f, ins->symbol); fputc(',', f); q(f, h->session);
    fputc(',', f); qdec(f, p->qty, ins->qty_dec); fprintf(f, ",%lld,", (long long)p->qty);
    qdec(f, th_position_avg_entry(p), ins->price_dec);
    fputc(',', f); qmoney(f, p->realised, scale); fputc(',', f); qmoney(f, p->fees, scale);
    fputc(',', f); qmoney(f, p->realised, 0); fputc(',', f); qmoney(f, p->fees, 0);
    fprintf(f, ",%lld,", (long long)p->fills); qdec(f, p->bought, ins->qty_dec); fputc(',', f); qdec(f, p->sold, ins->qty_dec);
    fputc(',', f); q(f, ins->quote); fprintf(f, ",%lld)", (long long)r->ts_ns);
}

static void event_row(th_pg_rows *h, const th_flow *sh, int64_t seq, const th_jrec *r, const th_order *o)
{
    const th_instrument *ins = &sh->ins->v[o->instrument];
    char cl[64];
    order_cl(o, cl, sizeof cl);
    FILE *f = row(&h->f_ev, &h->b_ev, &h->n_ev, &h->r_ev);
    if (!f) return;
    q(f, h->jkey); fprintf(f, ",%lld,", (long long)seq); q(f, h->session); fputc(',', f);
    q(f, th_jtype_name(r->type)); fputc(',', f); q(f, cl); fputc(',', f); q(f, o->ex_id); fputc(',', f); q(f, ins->symbol);
    fprintf(f, ",'%s','%s','%s',", o->side == TH_BID ? "buy" : "sell", th_ord_state_name(o->state), th_done_reason_name(o->done_reason));
    qdec(f, o->price, ins->price_dec); fputc(',', f); qdec(f, o->qty, ins->qty_dec); fputc(',', f); qdec(f, o->filled, ins->qty_dec);
    fprintf(f, ",%lld,%lld,%lld,%s,", (long long)o->price, (long long)o->qty, (long long)o->filled,
            (o->flags & TH_ORD_ADOPTED) ? "true" : "false");
    q(f, o->tag); fputc(',', f); q(f, r->type == TH_J_FILL ? r->trade_id : r->text); fprintf(f, ",%lld)", (long long)r->ts_ns);
}

static void fill_row(th_pg_rows *h, const th_flow *sh, int64_t seq, const th_jrec *r, const th_order *o)
{
    const th_instrument *ins = &sh->ins->v[o->instrument];
    int32_t pd = r->price_dec ? r->price_dec : ins->price_dec, qd = r->qty_dec ? r->qty_dec : ins->qty_dec;
    char cl[64];
    order_cl(o, cl, sizeof cl);
    FILE *f = row(&h->f_fill, &h->b_fill, &h->n_fill, &h->r_fill);
    if (!f) return;
    q(f, h->jkey); fputc(',', f); q(f, cl); fputc(',', f); q(f, r->trade_id); fprintf(f, ",%lld,", (long long)seq);
    q(f, h->session); fputc(',', f); q(f, ins->symbol); fprintf(f, ",'%s',", o->side == TH_BID ? "buy" : "sell");
    qdec(f, r->price, pd); fputc(',', f); qdec(f, r->qty, qd); fputc(',', f); qmoney(f, r->fee, pd + qd);
    fprintf(f, ",%lld,%lld,", (long long)r->price, (long long)r->qty); qmoney(f, r->fee, 0);
    fputc(',', f); q(f, ins->quote); fprintf(f, ",%lld)", (long long)r->ts_ns);
}

static void risk_row(th_pg_rows *h, int64_t seq, const th_jrec *r)
{
    FILE *f = row(&h->f_risk, &h->b_risk, &h->n_risk, &h->r_risk);
    if (!f) return;
    q(f, h->jkey); fprintf(f, ",%lld,", (long long)seq); q(f, h->session); fputc(',', f);
    q(f, r->type == TH_J_KILL ? "kill" : "rearm"); fprintf(f, ",%d,", r->code); q(f, r->text); fprintf(f, ",%lld)", (long long)r->ts_ns);
}

void th_pg_rows_record(th_pg_rows *h, const th_flow *sh, const th_jrec *r, int64_t seq)
{
    int32_t idx = r->cl_id[0] ? th_tracker_find_cl(&sh->trk, r->cl_id) : r->ex_id[0] ? th_tracker_find_ex(&sh->trk, r->ex_id) : -1;
    if (idx >= 0) {
        const th_order *o = &sh->trk.v[idx];
        event_row(h, sh, seq, r, o);
        if (r->type == TH_J_FILL) {
            fill_row(h, sh, seq, r, o);
            position_row(h, sh, seq, r, o->instrument);
        }
    }
    if (r->type == TH_J_POSITION && r->symbol[0]) position_row(h, sh, seq, r, th_instruments_find(sh->ins, r->symbol, strlen(r->symbol)));
    if (r->type == TH_J_KILL || r->type == TH_J_REARM) risk_row(h, seq, r);
}

/* ---- the batch's statements ---- */

/* orders: upserted from the batch's order events, the latest per order; a later state replaces an
 * earlier one only (seq), so a batch written again changes nothing */
#define ORDER_COLS "journal, cl_id, session_id, venue_id, symbol, side, state, reason, price, qty, filled, price_units, qty_units, filled_units, adopted, tag"

static void put_insert(FILE *f, const char *table, const char *cols, FILE **rf, char **buf, size_t *n, uint64_t count)
{
    if (!count || !*rf) return;
    fclose(*rf);
    *rf = NULL;
    fprintf(f, "INSERT INTO %s (%s) VALUES\n", table, cols);
    fwrite(*buf, 1, *n, f);
    fputs("\nON CONFLICT DO NOTHING;\n", f);
}

void th_pg_rows_sql(th_pg_rows *h, FILE *f, int64_t from, int64_t to)
{
    bool events = h->r_ev > 0;
    put_insert(f, "order_events", "journal, seq, session_id, event, cl_id, venue_id, symbol, side, state, reason, price, qty, filled, "
               "price_units, qty_units, filled_units, adopted, tag, detail, ts_ns", &h->f_ev, &h->b_ev, &h->n_ev, h->r_ev);
    if (events) {
        fprintf(f, "INSERT INTO orders (" ORDER_COLS ", seq, updated_ns)\nSELECT DISTINCT ON (cl_id) " ORDER_COLS ", seq, ts_ns "
                "FROM order_events WHERE journal = ");
        q(f, h->jkey);
        fprintf(f, " AND seq > %lld AND seq <= %lld ORDER BY cl_id, seq DESC\nON CONFLICT (journal, cl_id) DO UPDATE SET "
                "venue_id = EXCLUDED.venue_id, state = EXCLUDED.state, reason = EXCLUDED.reason, price = EXCLUDED.price, "
                "qty = EXCLUDED.qty, filled = EXCLUDED.filled, price_units = EXCLUDED.price_units, qty_units = EXCLUDED.qty_units, "
                "filled_units = EXCLUDED.filled_units, adopted = EXCLUDED.adopted, tag = EXCLUDED.tag, seq = EXCLUDED.seq, "
                "updated_ns = EXCLUDED.updated_ns WHERE orders.seq < EXCLUDED.seq;\n", (long long)from, (long long)to);
    }
    put_insert(f, "fills", "journal, cl_id, trade_id, seq, session_id, symbol, side, price, qty, fee, price_units, qty_units, "
               "fee_units, quote, ts_ns", &h->f_fill, &h->b_fill, &h->n_fill, h->r_fill);
    put_insert(f, "position_snapshots", "journal, seq, symbol, session_id, qty, qty_units, avg_entry, realised, fees, "
               "realised_units, fees_units, fills, bought, sold, quote, ts_ns", &h->f_pos, &h->b_pos, &h->n_pos, h->r_pos);
    put_insert(f, "risk_events", "journal, seq, session_id, event, code, reason, ts_ns", &h->f_risk, &h->b_risk, &h->n_risk, h->r_risk);
    th_pg_rows_reset(h);
}

void th_pg_rows_pnl_sql(const th_pg_rows *h, FILE *f, const th_pg_pnl *ring, int32_t cap, int32_t head, int32_t n)
{
    if (n <= 0) return;
    fputs("INSERT INTO pnl_snapshots (journal, ts_ns, session_id, currency, total, realised, unrealised, fees, day, drawdown, "
          "exposure, open_notional) VALUES\n", f);
    for (int32_t i = 0; i < n; i++) {
        const th_pg_pnl *s = &ring[(head + i) % cap];
        fputs(i ? ",\n(" : "(", f);
        q(f, h->jkey); fprintf(f, ",%lld,", (long long)s->ts_ns); q(f, h->session); fputc(',', f); q(f, s->v.currency);
        const double v[] = {s->v.total, s->v.realised, s->v.unrealised, s->v.fees, s->v.day, s->v.drawdown, s->v.exposure,
                            s->v.open_notional};
        for (size_t k = 0; k < sizeof v / sizeof *v; k++) { fputc(',', f); qnum(f, v[k]); }
        fputc(')', f);
    }
    fputs("\nON CONFLICT DO NOTHING;\n", f);
}

void th_pg_rows_settlement_sql(const th_pg_rows *h, FILE *f, const th_flow *sh, int64_t seq, int64_t now_ns)
{
    int32_t nrow = 0;
    for (int32_t i = 0; i < sh->pf.n && i < sh->ins->n; i++) {
        const th_position *p = &sh->pf.v[i];
        if (!p->fills && !p->qty) continue;
        const th_instrument *ins = &sh->ins->v[i];
        int32_t scale = ins->price_dec + ins->qty_dec, open = 0;
        for (int32_t k = 0; k < sh->trk.n; k++) open += th_order_live(&sh->trk.v[k]) && sh->trk.v[k].instrument == i;
        fputs(nrow++ ? ",\n(" : "INSERT INTO settlement_records (journal, symbol, session_id, seq, qty, qty_units, avg_entry, realised, "
                                "fees, fills, bought, sold, quote, open_orders, settled_ns) VALUES\n(", f);
        q(f, h->jkey); fputc(',', f); q(f, ins->symbol); fputc(',', f); q(f, h->session); fprintf(f, ",%lld,", (long long)seq);
        qdec(f, p->qty, ins->qty_dec); fprintf(f, ",%lld,", (long long)p->qty); qdec(f, th_position_avg_entry(p), ins->price_dec);
        fputc(',', f); qmoney(f, p->realised, scale); fputc(',', f); qmoney(f, p->fees, scale);
        fprintf(f, ",%lld,", (long long)p->fills); qdec(f, p->bought, ins->qty_dec); fputc(',', f); qdec(f, p->sold, ins->qty_dec);
        fputc(',', f); q(f, ins->quote); fprintf(f, ",%d,%lld)", open, (long long)now_ns);
    }
    if (nrow)
        fputs("\nON CONFLICT (journal, symbol) DO UPDATE SET seq = EXCLUDED.seq, qty = EXCLUDED.qty, qty_units = EXCLUDED.qty_units, "
              "avg_entry = EXCLUDED.avg_entry, realised = EXCLUDED.realised, fees = EXCLUDED.fees, fills = EXCLUDED.fills, "
              "bought = EXCLUDED.bought, sold = EXCLUDED.sold, open_orders = EXCLUDED.open_orders, settled_ns = EXCLUDED.settled_ns "
              "WHERE settlement_records.seq <= EXCLUDED.seq;\n", f);
    fputs("UPDATE sessions SET ended_at = now(), updated_at = now() WHERE journal = ", f);
    q(f, h->jkey);
    fputs(";\n", f);
}
