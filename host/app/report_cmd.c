/* report_cmd.c — `tradehost report JOURNAL_OR_DIR [--out DIR]`: a session's report after the
 * fact, from its journal and the timeline beside it (report.h). The same function writes it at
 * the end of every session, so the two are the same report. `tradehost report --session ID`
 * reads the session's statistics from the PostgreSQL history instead (report_pg.h). */
#include "report_cmd.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "../core/log.h"
#include "report.h"
#include "report_pg.h"

int th_report_cmd(int argc, char **argv)
{
    const char *path = NULL, *out = NULL, *session = NULL, *pg_env = "TH_PG";
    bool json = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--session") == 0 || strcmp(argv[i], "--pg-env") == 0) {
            if (i + 1 >= argc || !argv[i + 1][0]) { fprintf(stderr, "tradehost report: %s needs a value\n", argv[i]); return 2; }
            if (argv[i][2] == 's') session = argv[++i];
            else pg_env = argv[++i];
        } else if (strcmp(argv[i], "--json") == 0) {
            json = true;
        } else if (strcmp(argv[i], "--out") == 0) {
            if (i + 1 >= argc) { fprintf(stderr, "tradehost report: --out needs a directory\n"); return 2; }
            out = argv[++i];
        } else if (argv[i][0] == '-') {
            fprintf(stderr, "tradehost report: unknown option %s\n", argv[i]);
            return 2;
        } else if (!path) path = argv[i];
        else { fprintf(stderr, "tradehost report: unexpected argument %s\n", argv[i]); return 2; }
    }
    if (session && path) { fprintf(stderr, "tradehost report: give a journal or --session, not both\n"); return 2; }
    if (session) return th_report_pg(session, pg_env, json);
    if (json) { fprintf(stderr, "tradehost report: --json goes with --session (a journal's report is written as JSON and HTML)\n"); return 2; }
    if (!path) { fprintf(stderr, "usage: tradehost report JOURNAL_OR_DIR [--out DIR] | --session ID [--json] [--pg-env VAR]\n"); return 2; }
    th_log_set_level(TH_LOG_ERROR);
    char html[1400], err[1024] = "";
    if (th_report_make(path, out, html, sizeof html, err, sizeof err) != 0) {
        fprintf(stderr, "tradehost report: %s\n", err);
        return 1;
    }
    size_t n = strlen(html);
    printf("%.*sjson\n%s\n", (int)(n - 4), html, html);
    return 0;
}
