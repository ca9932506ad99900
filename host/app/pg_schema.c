/* pg_schema.c — the migrations of the PostgreSQL history, in order (see pg_schema.h). Keys are the
 * journal's (its file stem and each record's ordinal in it), so a row written twice after an outage
 * is the same row: ON CONFLICT DO NOTHING. */
#include "pg_schema.h"

/* Version 1: the history of sessions, orders, fills, positions, PnL, risk and settlement. */
#define TH_PG_V1 \
    "CREATE TABLE sessions (\n" \
    "  journal      text PRIMARY KEY,          -- the journal file's stem: one row per host session\n" \
    "  session_id   text NOT NULL,             -- session.name (the Redis keys' <session>)\n" \
    "  strategy     text NOT NULL, venue text NOT NULL, mode text NOT NULL,\n" \
    "  pairs        text NOT NULL, journal_path text NOT NULL, host_pid integer NOT NULL,\n" \
    "  started_at   timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now(),\n" \
    "  ended_at     timestamptz,\n" \
    "  records      bigint NOT NULL DEFAULT 0  -- journal records written here (the back-fill resumes after)\n" \
    ");\n" \
    "CREATE INDEX sessions_session_id ON sessions (session_id);\n" \
    "CREATE TABLE order_events (\n" \
    "  journal text NOT NULL, seq bigint NOT NULL, session_id text NOT NULL,\n" \
    "  event text NOT NULL, cl_id text NOT NULL, venue_id text NOT NULL, symbol text NOT NULL, side text NOT NULL,\n" \
    "  state text NOT NULL, reason text NOT NULL, price numeric NOT NULL, qty numeric NOT NULL, filled numeric NOT NULL,\n" \
    "  price_units bigint NOT NULL, qty_units bigint NOT NULL, filled_units bigint NOT NULL,\n" \
    "  adopted boolean NOT NULL, tag text NOT NULL, detail text NOT NULL, ts_ns bigint NOT NULL,\n" \
    "  PRIMARY KEY (journal, seq)\n" \
    ");\n" \
    "CREATE INDEX order_events_order ON order_events (journal, cl_id);\n" \
    "CREATE TABLE orders (\n" \
    "  journal text NOT NULL, cl_id text NOT NULL, session_id text NOT NULL, venue_id text NOT NULL,\n" \
    "  symbol text NOT NULL, side text NOT NULL, state text NOT NULL, reason text NOT NULL,\n" \
    "  price numeric NOT NULL, qty numeric NOT NULL, filled numeric NOT NULL,\n" \
    "  price_units bigint NOT NULL, qty_units bigint NOT NULL, filled_units bigint NOT NULL,\n" \
    "  adopted boolean NOT NULL, tag text NOT NULL,\n" \
    "  seq bigint NOT NULL,                    -- the journal record of its latest state\n" \
    "  updated_ns bigint NOT NULL,\n" \
    "  PRIMARY KEY (journal, cl_id)\n" \
    ");\n" \
    "CREATE INDEX orders_session ON orders (session_id, symbol);\n" \
    "CREATE TABLE fills (\n" \
    "  journal text NOT NULL, cl_id text NOT NULL, trade_id text NOT NULL, seq bigint NOT NULL, session_id text NOT NULL,\n" \
    "  symbol text NOT NULL, side text NOT NULL, price numeric NOT NULL, qty numeric NOT NULL, fee numeric NOT NULL,\n" \
    "  price_units bigint NOT NULL, qty_units bigint NOT NULL, fee_units numeric NOT NULL, quote text NOT NULL,\n" \
    "  ts_ns bigint NOT NULL,\n" \
    "  PRIMARY KEY (journal, cl_id, trade_id)\n" \
    ");\n" \
    "CREATE INDEX fills_session ON fills (session_id, symbol);\n" \
    "CREATE TABLE position_snapshots (\n" \
    "  journal text NOT NULL, seq bigint NOT NULL, symbol text NOT NULL, session_id text NOT NULL,\n" \
    "  qty numeric NOT NULL, qty_units bigint NOT NULL, avg_entry numeric NOT NULL,\n" \
    "  realised numeric NOT NULL, fees numeric NOT NULL, realised_units numeric NOT NULL, fees_units numeric NOT NULL,\n" \
    "  fills bigint NOT NULL, bought numeric NOT NULL, sold numeric NOT NULL, quote text NOT NULL, ts_ns bigint NOT NULL,\n" \
    "  PRIMARY KEY (journal, seq, symbol)\n" \
    ");\n" \
    "CREATE TABLE pnl_snapshots (\n" \
    "  journal text NOT NULL, ts_ns bigint NOT NULL, session_id text NOT NULL, currency text NOT NULL,\n" \
    "  total double precision NOT NULL, realised double precision NOT NULL, unrealised double precision NOT NULL,\n" \
    "  fees double precision NOT NULL, day double precision NOT NULL, drawdown double precision NOT NULL,\n" \
    "  exposure double precision NOT NULL, open_notional double precision NOT NULL,\n" \
    "  PRIMARY KEY (journal, ts_ns)\n" \
    ");\n" \
    "CREATE TABLE risk_events (\n" \
    "  journal text NOT NULL, seq bigint NOT NULL, session_id text NOT NULL,\n" \
    "  event text NOT NULL, code integer NOT NULL, reason text NOT NULL, ts_ns bigint NOT NULL,\n" \
    "  PRIMARY KEY (journal, seq)\n" \
    ");\n" \
    "CREATE TABLE settlement_records (\n" \
    "  journal text NOT NULL, symbol text NOT NULL, session_id text NOT NULL, seq bigint NOT NULL,\n" \
    "  qty numeric NOT NULL, qty_units bigint NOT NULL, avg_entry numeric NOT NULL, realised numeric NOT NULL,\n" \
    "  fees numeric NOT NULL, fills bigint NOT NULL, bought numeric NOT NULL, sold numeric NOT NULL, quote text NOT NULL,\n" \
    "  open_orders integer NOT NULL, settled_ns bigint NOT NULL,\n" \
    "  PRIMARY KEY (journal, symbol)\n" \
    ");\n"

/* One migration: run once, recorded in schema_migrations, under the advisory lock. */
#define TH_PG_MIGRATION(v, name, body) \
    "DO $mig$ BEGIN\n" \
    "IF NOT EXISTS (SELECT 1 FROM schema_migrations WHERE version = " #v ") THEN\n" body \
    "INSERT INTO schema_migrations (version, name) VALUES (" #v ", '" name "');\n" \
    "END IF; END $mig$;\n"

static const char MIGRATE[] =
    "SELECT pg_advisory_xact_lock(7017017);\n"
    "CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL,\n"
    "  applied_at timestamptz NOT NULL DEFAULT now());\n"
    TH_PG_MIGRATION(1, "history: sessions, orders, order events, fills, positions, pnl, risk, settlement", TH_PG_V1)
    "SELECT max(version) FROM schema_migrations;\n";

const char *th_pg_schema_migrate_sql(void) { return MIGRATE; }
