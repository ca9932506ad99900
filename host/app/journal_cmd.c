/* journal_cmd.c — `tradehost journal FILE|DIR [--json]`: rebuild and print the state a journal
 * holds (orders, positions, the kill switch), the way a start-up would recover it.
 *
 * Why its own file: it is a CLI command, run without a session: it reads the journal through the
 * same recovery code a host uses (th_flow_recover), so what it prints is what a restart would
 * carry, but it shares nothing else with the running order side. */
#include "journal_cmd.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "../core/clock.h"
#include "../core/journal_dir.h"
#include "../core/log.h"
#include "../core/order_flow.h"

typedef struct journal_symbols {
    th_instruments reg;
    int32_t version;               /* the journal's format version (its session record) */
    int64_t first_ns, last_ns;     /* the records' times: the span the journal covers */
} journal_symbols;

/* Symbols and their decimals as the journal records them (version 2 on: records naming a symbol
 * carry its decimals), so that the report needs no instrument file. */
static int collect_symbols(void *ctx, const th_jrec *r)
{
    journal_symbols *js = ctx;
    if (r->type == TH_J_SESSION) js->version = r->code;
    if (r->ts_ns && (!js->first_ns || r->ts_ns < js->first_ns)) js->first_ns = r->ts_ns;
    if (r->ts_ns > js->last_ns) js->last_ns = r->ts_ns;
    if (!r->symbol[0]) return 0;
    int32_t i = th_instruments_find(&js->reg, r->symbol, strlen(r->symbol));
    if (i < 0) {
        th_instrument x;
        memset(&x, 0, sizeof x);
        snprintf(x.symbol, sizeof x.symbol, "%s", r->symbol);
        x.online = true;
        /* the quote currency, for money in the text report: Kraken names pairs BASE/QUOTE */
        const char *slash = strchr(r->symbol, '/');
        if (slash) snprintf(x.quote, sizeof x.quote, "%s", slash + 1);
        i = th_instruments_put(&js->reg, &x);
        if (i < 0) return -1;
    }
    if (r->price_dec || r->qty_dec) {
        js->reg.v[i].price_dec = r->price_dec;
        js->reg.v[i].qty_dec = r->qty_dec;
    }
    return 0;
}

/* Exact decimal text of an instrument or money value at a scale, trailing zeros dropped. */
static const char *dec_text(char *buf, size_t cap, th_money v, int32_t scale)
{
    if (th_money_format_short(v, scale, buf, cap) < 0) snprintf(buf, cap, "?");
    return buf;
}

static void json_str(const char *s)
{
    putchar('"');
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') printf("\\%c", *s);
        else if ((unsigned char)*s < 0x20) printf("\\u%04x", *s);
        else putchar(*s);
    }
    putchar('"');
}

/* The journal a FILE|DIR argument names (a directory: its newest); 0, or 1 with the reason said. */
static int journal_file(const char *path, char *file, size_t cap)
{
    struct stat sb;
    if (stat(path, &sb) != 0) {
        size_t n = strlen(path);
        if (errno == ENOENT)
            fprintf(stderr, "tradehost journal: %s: no such %s (a host writes its journals to storage.journal_dir, by default"
                            " var/journal/<strategy> beside its config)\n",
                    path, n > 4 && strcmp(path + n - 4, ".thj") == 0 ? "file" : "directory");
        else fprintf(stderr, "tradehost journal: %s: %s\n", path, strerror(errno));
        return 1;
    }
    if (S_ISDIR(sb.st_mode)) {
        if (th_jdir_newest(path, file, cap) != 0) { fprintf(stderr, "tradehost journal: %s: no .thj file\n", path); return 1; }
    } else snprintf(file, cap, "%s", path);
    return 0;
}

/* First pass: the symbols and decimals the journal names; 0, or 1 with where it is damaged. */
static int read_symbols(const char *file, journal_symbols *js, th_journal_scan *scan)
{
    const char *err = NULL;
    if (th_journal_read(file, collect_symbols, js, scan, &err) == 0) return 0;
    if (scan->corrupt)
        fprintf(stderr, "tradehost journal: %s: %s (damaged record at byte %llu after %llu good records, valid records again from byte %llu)\n",
                file, err, (unsigned long long)scan->bad_offset, (unsigned long long)scan->records, (unsigned long long)scan->next_good);
    else fprintf(stderr, "tradehost journal: %s: %s (at byte %llu)\n", file, err, (unsigned long long)scan->bad_offset);
    return 1;
}

/* Integers in instrument units (exact, for tools); decimals per symbol to convert them. */
static void print_json(const char *file, const journal_symbols *js, const th_journal_scan *scan, const th_flow *f)
{
    const th_instruments *reg = &js->reg;
    char a[64], b[64], d[64];
    printf("{\"file\": ");
    json_str(file);
    printf(", \"version\": %d, \"records\": %llu, \"torn_tail\": %s, \"halted\": %s, \"halt_reason\": ", js->version,
           (unsigned long long)scan->records, scan->torn_tail ? "true" : "false", f->risk.halted ? "true" : "false");
    json_str(f->risk.halt_reason);
    printf(", \"orders\": {");
    for (int32_t i = 0, k = 0; i < f->trk.n; i++) {
        const th_order *o = &f->trk.v[i];
        if (o->state == TH_ORD_RETIRED) continue;
        printf("%s\n  ", k++ ? "," : "");
        json_str(o->cl_id);
        printf(": {\"symbol\": ");
        json_str(reg->v[o->instrument].symbol);
        printf(", \"side\": \"%s\", \"state\": \"%s\", \"reason\": \"%s\", \"price\": %lld, \"qty\": %lld, \"filled\": %lld, "
               "\"adopted\": %s, \"created_ns\": %lld}",
               o->side == TH_BID ? "buy" : "sell", th_ord_state_name(o->state), th_done_reason_name(o->done_reason),
               (long long)o->price, (long long)o->qty, (long long)o->filled, (o->flags & TH_ORD_ADOPTED) ? "true" : "false",
               (long long)o->created_ns);
    }
    printf("},\n \"positions\": {");
    int k = 0;
    for (int32_t i = 0; i < reg->n; i++) {
        const th_position *p = &f->pf.v[i];
        printf("%s\n  ", k++ ? "," : "");
        json_str(reg->v[i].symbol);
        printf(": {\"qty\": %lld, \"cost\": %s, \"realised\": %s, \"fees\": %s, \"fills\": %lld, \"price_dec\": %d, \"qty_dec\": %d}",
               (long long)p->qty, dec_text(a, sizeof a, p->cost, 0), dec_text(b, sizeof b, p->realised, 0),
               dec_text(d, sizeof d, p->fees, 0), (long long)p->fills, reg->v[i].price_dec, reg->v[i].qty_dec);
    }
    /* fees charged in another asset than the quote (BNB), in that asset: never converted */
    printf("},\n \"fees_other\": {");
    for (int32_t i = 0; i < f->nfees_other; i++) {
        printf("%s\n  ", i ? "," : "");
        json_str(f->fees_other[i].asset);
        printf(": {\"amount\": \"%s\", \"fills\": %lld}", dec_text(a, sizeof a, f->fees_other[i].amount, TH_FEE_OTHER_DEC),
               (long long)f->fees_other[i].fills);
    }
    printf("}}\n");
}

/* Human units: prices and sizes as decimals of the instrument, times ISO 8601 UTC, money with its
 * currency (the pair's quote currency; "quote units" where the symbol does not name it). */
static void print_text(const char *file, const journal_symbols *js, const th_journal_scan *scan, const th_flow *f)
{
    const th_instruments *reg = &js->reg;
    char a[64], b[64], d[64], e[64], t0[48], t1[48];
    printf("%s: %llu records%s, %s to %s; %d orders, %d live; halted: %s\n", file, (unsigned long long)scan->records,
           scan->torn_tail ? " (torn last record ignored)" : "", th_clock_iso(js->first_ns, t0, sizeof t0),
           th_clock_iso(js->last_ns, t1, sizeof t1), f->trk.n, f->trk.nlive, f->risk.halted ? f->risk.halt_reason : "no");
    if (js->version < 2)
        printf("  (journal format version %d records no decimals: figures are in instrument units)\n", js->version);
    int32_t shown = 0;
    for (int32_t i = 0; i < f->trk.n; i++) {
        const th_order *o = &f->trk.v[i];
        if (o->state == TH_ORD_RETIRED) continue;
        const th_instrument *ins = &reg->v[o->instrument];
        if (!shown++) printf("orders:\n");
        printf("  %-16s %-10s %-4s %s @ %s  filled %s  %s%s%s%s  created %s\n", o->cl_id, ins->symbol, o->side == TH_BID ? "buy" : "sell",
               dec_text(a, sizeof a, o->qty, ins->qty_dec), dec_text(b, sizeof b, o->price, ins->price_dec),
               dec_text(d, sizeof d, o->filled, ins->qty_dec), th_ord_state_name(o->state), o->done_reason ? " (" : "",
               o->done_reason ? th_done_reason_name(o->done_reason) : "", o->done_reason ? ")" : "", th_clock_iso(o->created_ns, t0, sizeof t0));
    }
    printf("positions:\n");
    for (int32_t i = 0; i < reg->n; i++) {
        const th_position *p = &f->pf.v[i];
        const th_instrument *ins = &reg->v[i];
        int32_t scale = ins->price_dec + ins->qty_dec;
        const char *ccy = ins->quote[0] ? ins->quote : "quote units";
        printf("  %-12s position %s  avg entry %s %s  realised %s %s  fees %s %s  fills %lld", ins->symbol,
               dec_text(a, sizeof a, p->qty, ins->qty_dec), dec_text(b, sizeof b, th_position_avg_entry(p), ins->price_dec), ccy,
               dec_text(d, sizeof d, p->realised, scale), ccy, dec_text(e, sizeof e, p->fees, scale), ccy, (long long)p->fills);
        if (p->last_fill_ns) printf("  last fill %s", th_clock_iso(p->last_fill_ns, t0, sizeof t0));
        printf("\n");
    }
    for (int32_t i = 0; i < f->nfees_other; i++)
        printf("fees in %s (charged in it, not converted): %s over %lld fills\n", f->fees_other[i].asset,
               dec_text(a, sizeof a, f->fees_other[i].amount, TH_FEE_OTHER_DEC), (long long)f->fees_other[i].fills);
}

int th_journal_cmd(int argc, char **argv)
{
    const char *path = NULL;
    bool json = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0) json = true;
        else if (!path) path = argv[i];
        else { fprintf(stderr, "tradehost journal: unexpected argument %s\n", argv[i]); return 2; }
    }
    if (!path) { fprintf(stderr, "usage: tradehost journal FILE|DIR [--json]\n"); return 2; }
    char file[600];
    if (journal_file(path, file, sizeof file) != 0) return 1;
    th_log_set_level(TH_LOG_ERROR);
    /* Positions and orders are in instrument units; the journal names each symbol's decimals. */
    journal_symbols js = {.version = 0};
    th_instruments_init(&js.reg, TH_VENUE_SIM);
    th_journal_scan scan;
    if (read_symbols(file, &js, &scan) != 0) {
        th_instruments_free(&js.reg);
        return 1;
    }
    /* Second pass: the state, rebuilt by the recovery a start-up runs. */
    th_flow_cfg c;
    th_flow_defaults(&c);
    th_flow f;
    const char *err = NULL;
    int rc = 0;
    if (th_flow_init(&f, &c, &js.reg, (th_venue){0}, NULL, 0, &err) != 0 || th_flow_recover(&f, file, &scan, &err) != 0) {
        fprintf(stderr, "tradehost journal: %s: %s\n", file, err);
        rc = 1;
    } else if (json) print_json(file, &js, &scan, &f);
    else print_text(file, &js, &scan, &f);
    th_flow_free(&f);
    th_instruments_free(&js.reg);
    return rc;
}
