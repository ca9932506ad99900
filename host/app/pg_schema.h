/* pg_schema.h — the PostgreSQL history's schema: versioned migrations, applied at start (docs/ops.md
 * "PostgreSQL history").
 *
 * Why in the binary and as one query: the host that writes the rows owns their tables, so a new
 * host brings its migrations along and an old database is brought forward when it connects. All
 * migrations go in one simple query, which PostgreSQL runs as one transaction: it takes an advisory
 * lock first (several hosts starting on one database apply each migration once: the second waits,
 * then finds it recorded), runs each migration whose version schema_migrations lacks, records it,
 * and ends with the newest version, so a failure leaves the schema as it was. Migrations are only
 * ever added, never edited: a database may already hold any prefix of them. */
#ifndef TH_PG_SCHEMA_H
#define TH_PG_SCHEMA_H

/* The newest schema version this host knows. */
#define TH_PG_SCHEMA_VERSION 1

/* The query applying every migration (static text); its last statement returns max(version). */
const char *th_pg_schema_migrate_sql(void);

#endif
