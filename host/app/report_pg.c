/* report_pg.c — performance statistics of a session from the PostgreSQL history (see report_pg.h). */
#include "report_pg.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/json_out.h"

/* Per pair: fills, volume and fees (fills), orders and the fill ratio (orders), position and
 * realised PnL (the newest snapshot), the drawdown of realised minus fees along its snapshots. */
const char TH_PG_PAIRS_SQL[] =
    "WITH j AS (SELECT journal, started_at FROM sessions WHERE session_id = $1),\n"
    "f AS (SELECT symbol, min(quote) AS quote, count(*) AS n, sum(price * qty) AS volume, sum(fee) AS fees,\n"
    "  sum(CASE WHEN side = 'buy' THEN qty ELSE 0 END) AS bought, sum(CASE WHEN side = 'sell' THEN qty ELSE 0 END) AS sold\n"
    "  FROM fills WHERE journal IN (SELECT journal FROM j) GROUP BY symbol),\n"
    "o AS (SELECT symbol, count(*) AS orders, count(*) FILTER (WHERE filled_units > 0) AS filled_orders\n"
    "  FROM orders WHERE journal IN (SELECT journal FROM j) GROUP BY symbol),\n"
    "s AS (SELECT ps.symbol, ps.qty, ps.realised, ps.fees, ps.realised - ps.fees AS net,\n"
    "  row_number() OVER (PARTITION BY ps.symbol ORDER BY j.started_at DESC, ps.seq DESC) AS newest,\n"
    "  max(ps.realised - ps.fees) OVER (PARTITION BY ps.symbol ORDER BY j.started_at, ps.seq) AS peak\n"
    "  FROM position_snapshots ps JOIN j USING (journal)),\n"
    "p AS (SELECT symbol, max(qty) FILTER (WHERE newest = 1) AS qty, max(realised) FILTER (WHERE newest = 1) AS realised,\n"
    "  max(peak - net) AS drawdown FROM s GROUP BY symbol)\n"
    "SELECT o.symbol, coalesce(f.quote, ''), coalesce(f.n, 0), coalesce(f.volume, 0), coalesce(f.fees, 0), coalesce(f.bought, 0),\n"
    "  coalesce(f.sold, 0), o.orders, o.filled_orders, round(o.filled_orders::numeric / greatest(o.orders, 1), 4),\n"
    "  coalesce(p.qty, 0), coalesce(p.realised, 0), coalesce(p.drawdown, 0)\n"
    "FROM o LEFT JOIN f USING (symbol) LEFT JOIN p USING (symbol) ORDER BY o.symbol";

/* The portfolio: the newest PnL snapshot, and the largest fall of its total from a peak. */
const char TH_PG_PNL_SQL[] =
    "WITH x AS (SELECT p.currency, p.total, p.realised, p.unrealised, p.fees, row_number() OVER (ORDER BY s.started_at DESC, p.ts_ns DESC) AS newest,\n"
    "  max(p.total) OVER (ORDER BY s.started_at, p.ts_ns) - p.total AS fall\n"
    "  FROM pnl_snapshots p JOIN sessions s USING (journal) WHERE s.session_id = $1)\n"
    "SELECT max(currency) FILTER (WHERE newest = 1), max(total) FILTER (WHERE newest = 1), max(realised) FILTER (WHERE newest = 1),\n"
    "  max(unrealised) FILTER (WHERE newest = 1), max(fees) FILTER (WHERE newest = 1), max(fall), count(*) FROM x";

const char TH_PG_SESSIONS_SQL[] =
    "SELECT journal, strategy, venue, mode, to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),\n"
    "  coalesce(to_char(ended_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), ''), records\n"
    "FROM sessions WHERE session_id = $1 ORDER BY started_at";

static PGresult *run(PGconn *c, const char *sql, const char *session)
{
    const char *params[1] = {session};
    PGresult *r = PQexecParams(c, sql, 1, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        fprintf(stderr, "tradehost report: the query failed: %s", PQresultErrorMessage(r));
        PQclear(r);
        return NULL;
    }
    return r;
}

/* A numeric column: exact text from PostgreSQL, a valid JSON number. */
static const char *v(const PGresult *r, int row, int col)
{
    return PQgetisnull(r, row, col) ? "0" : PQgetvalue(r, row, col);
}

static void json_out(const char *session, const PGresult *ss, const PGresult *pr, const PGresult *pn)
{
    printf("{\"session\":");
    th_json_put_str(stdout, session);
    printf(",\"source\":\"postgres\",\"journals\":[");
    for (int i = 0; i < PQntuples(ss); i++) {
        printf("%s{\"journal\":", i ? "," : "");
        th_json_put_str(stdout, PQgetvalue(ss, i, 0));
        const char *k[] = {"strategy", "venue", "mode", "started", "ended"};
        for (int c = 0; c < 5; c++) {
            printf(",\"%s\":", k[c]);
            th_json_put_str(stdout, PQgetvalue(ss, i, c + 1));
        }
        printf(",\"records\":%s}", v(ss, i, 6));
    }
    printf("],\"pairs\":[");
    for (int i = 0; i < PQntuples(pr); i++) {
        printf("%s{\"symbol\":", i ? "," : "");
        th_json_put_str(stdout, PQgetvalue(pr, i, 0));
        printf(",\"quote\":");
        th_json_put_str(stdout, PQgetvalue(pr, i, 1));
        printf(",\"fills\":%s,\"volume\":%s,\"fees\":%s,\"bought\":%s,\"sold\":%s,\"orders\":%s,\"orders_filled\":%s,"
               "\"fill_ratio\":%s,\"position\":%s,\"realised\":%s,\"drawdown\":%s}",
               v(pr, i, 2), v(pr, i, 3), v(pr, i, 4), v(pr, i, 5), v(pr, i, 6), v(pr, i, 7), v(pr, i, 8), v(pr, i, 9), v(pr, i, 10),
               v(pr, i, 11), v(pr, i, 12));
    }
    printf("],\"portfolio\":{\"currency\":");
    th_json_put_str(stdout, PQgetisnull(pn, 0, 0) ? "" : PQgetvalue(pn, 0, 0));
    printf(",\"total\":%s,\"realised\":%s,\"unrealised\":%s,\"fees\":%s,\"max_drawdown\":%s,\"snapshots\":%s}}\n", v(pn, 0, 1),
           v(pn, 0, 2), v(pn, 0, 3), v(pn, 0, 4), v(pn, 0, 5), v(pn, 0, 6));
}

static void text_out(const char *session, const PGresult *ss, const PGresult *pr, const PGresult *pn)
{
    printf("session %s (from PostgreSQL): %d journal%s\n", session, PQntuples(ss), PQntuples(ss) == 1 ? "" : "s");
    for (int i = 0; i < PQntuples(ss); i++)
        printf("  %s  %s %s %s  %s .. %s  %s records\n", PQgetvalue(ss, i, 0), PQgetvalue(ss, i, 1), PQgetvalue(ss, i, 2),
               PQgetvalue(ss, i, 3), PQgetvalue(ss, i, 4), *PQgetvalue(ss, i, 5) ? PQgetvalue(ss, i, 5) : "(running or not stopped)",
               PQgetvalue(ss, i, 6));
    printf("%-12s %6s %7s %6s %16s %14s %16s %16s %14s\n", "pair", "fills", "orders", "ratio", "volume", "fees", "realised", "position",
           "drawdown");
    for (int i = 0; i < PQntuples(pr); i++)
        printf("%-12s %6s %7s %6s %16s %14s %16s %16s %14s %s\n", PQgetvalue(pr, i, 0), v(pr, i, 2), v(pr, i, 7), v(pr, i, 9),
               v(pr, i, 3), v(pr, i, 4), v(pr, i, 11), v(pr, i, 10), v(pr, i, 12), PQgetvalue(pr, i, 1));
    if (!PQgetisnull(pn, 0, 0))
        printf("portfolio: total %s %s (realised %s, unrealised %s, fees %s), max drawdown %s, %s snapshots\n", v(pn, 0, 1),
               PQgetvalue(pn, 0, 0), v(pn, 0, 2), v(pn, 0, 3), v(pn, 0, 4), v(pn, 0, 5), v(pn, 0, 6));
}

int th_report_pg(const char *session, const char *conninfo_env, bool json)
{
    const char *conninfo = getenv(conninfo_env);
    if (!conninfo || !*conninfo) {
        fprintf(stderr, "tradehost report: --session reads the PostgreSQL history, and $%s (the connection string) is not set; "
                        "without PostgreSQL, report from the journal: tradehost report JOURNAL_OR_DIR\n", conninfo_env);
        return 2;
    }
    PGconn *c = PQconnectdb(conninfo);
    if (PQstatus(c) != CONNECTION_OK) {
        /* libpq's message names host and cause, never the password */
        fprintf(stderr, "tradehost report: cannot connect to PostgreSQL ($%s): %s", conninfo_env, PQerrorMessage(c));
        PQfinish(c);
        return 1;
    }
    int rc = 1;
    PGresult *ss = run(c, TH_PG_SESSIONS_SQL, session), *pr = NULL, *pn = NULL;
    if (ss && PQntuples(ss) == 0) fprintf(stderr, "tradehost report: no session %s in the PostgreSQL history\n", session);
    else if (ss && (pr = run(c, TH_PG_PAIRS_SQL, session)) != NULL && (pn = run(c, TH_PG_PNL_SQL, session)) != NULL) {
        if (json) json_out(session, ss, pr, pn);
        else text_out(session, ss, pr, pn);
        rc = 0;
    }
    PQclear(ss);
    PQclear(pr);
    PQclear(pn);
    PQfinish(c);
    return rc;
}
