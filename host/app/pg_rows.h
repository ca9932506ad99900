/* pg_rows.h — the rows of the PostgreSQL history, as SQL text: a batch of journal records turned
 * into multi-row INSERTs (one memstream per table), the orders upsert derived from the batch's order
 * events, the PnL snapshots and the stop's settlement records (docs/ops.md "PostgreSQL history").
 *
 * Why apart from pg_history.c: this is the projection (what a record becomes), plain text over the
 * shadow order flow, with no connection or loop; pg_history.c owns when batches go and what
 * happens when PostgreSQL goes away. Values are SQL literals: strings with ' doubled
 * (standard_conforming_strings is on: set at connect), decimals exact from integer units. */
#ifndef TH_PG_ROWS_H
#define TH_PG_ROWS_H

#include <stdint.h>
#include <stdio.h>

#include "../core/journal.h"
#include "../core/order_flow.h"
#include "tradehost.h"

typedef struct th_pg_rows {
    const char *jkey, *session;  /* the journal's stem, the session's name (the owner's strings) */
    FILE *f_ev, *f_fill, *f_pos, *f_risk;
    char *b_ev, *b_fill, *b_pos, *b_risk;
    size_t n_ev, n_fill, n_pos, n_risk;
    uint64_t r_ev, r_fill, r_pos, r_risk;
} th_pg_rows;

/* A PnL snapshot waiting to be written. */
typedef struct th_pg_pnl {
    int64_t ts_ns;
    th_pnl_view v;
} th_pg_pnl;

/* Drop the batch being built. */
void th_pg_rows_reset(th_pg_rows *b);
/* The rows of one record, already applied to the shadow sh; seq is its ordinal in the journal. */
void th_pg_rows_record(th_pg_rows *b, const th_flow *sh, const th_jrec *r, int64_t seq);
uint64_t th_pg_rows_count(const th_pg_rows *b);
/* The batch's statements into f (and the batch reset): the INSERTs, then orders upserted from the
 * order events of records (from, to]. */
void th_pg_rows_sql(th_pg_rows *b, FILE *f, int64_t from, int64_t to);
/* INSERT of n PnL snapshots (a ring of cap entries from head). */
void th_pg_rows_pnl_sql(const th_pg_rows *b, FILE *f, const th_pg_pnl *ring, int32_t cap, int32_t head, int32_t n);
/* The settlement records (per pair traded: the final position, open orders) and the session's
 * end; seq is the last record read, now_ns the settlement's time. */
void th_pg_rows_settlement_sql(const th_pg_rows *b, FILE *f, const th_flow *sh, int64_t seq, int64_t now_ns);
/* A string as an SQL literal. */
void th_pg_sql_str(FILE *f, const char *s);

#endif
