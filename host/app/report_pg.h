/* report_pg.h — `tradehost report --session ID`: a session's performance statistics read from the
 * PostgreSQL history (docs/ops.md "PostgreSQL history"), per pair and in total.
 *
 * Why its own file: it is a CLI reader of the history's tables, run without a session (blocking
 * libpq is fine here: no loop trades), and shares only the table names with the writer. A session
 * name may span several journals (restarts): the statistics cover all of them, each pair's
 * position and realised PnL taken from the newest journal's last snapshot. */
#ifndef TH_REPORT_PG_H
#define TH_REPORT_PG_H

#include <stdbool.h>

/* The statistics of session on stdout (a table, or one JSON object); conninfo_env names the
 * variable holding the connection string. 0, 1 (no such session, database unreachable), 2 (not
 * configured: the variable is unset). */
int th_report_pg(const char *session, const char *conninfo_env, bool json);

/* The queries, $1 the session name (the API's GET /performance/stats reads the same figures,
 * app/pg_stats.c): its journals (journal, strategy, venue, mode, started, ended, records); per
 * pair (symbol, quote, fills, volume, fees, bought, sold, orders, orders_filled, fill_ratio,
 * position, realised, drawdown); the portfolio (currency, total, realised, unrealised, fees,
 * max_drawdown, snapshots). */
extern const char TH_PG_SESSIONS_SQL[], TH_PG_PAIRS_SQL[], TH_PG_PNL_SQL[];

#endif
