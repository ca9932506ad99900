/* report_cmd.c — `tradehost report JOURNAL_OR_DIR [--out DIR]`: a session's report after the
 * fact, from its journal and the timeline beside it (report.h). The same function writes it at
 * the end of every session, so the two are the same report. */
#include "report_cmd.h"

#include <stdio.h>
#include <string.h>

#include "../core/log.h"
#include "report.h"

int th_report_cmd(int argc, char **argv)
{
    const char *path = NULL, *out = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--out") == 0) {
            if (i + 1 >= argc) { fprintf(stderr, "tradehost report: --out needs a directory\n"); return 2; }
            out = argv[++i];
        } else if (argv[i][0] == '-') {
            fprintf(stderr, "tradehost report: unknown option %s\n", argv[i]);
            return 2;
        } else if (!path) path = argv[i];
        else { fprintf(stderr, "tradehost report: unexpected argument %s\n", argv[i]); return 2; }
    }
    if (!path) { fprintf(stderr, "usage: tradehost report JOURNAL_OR_DIR [--out DIR]\n"); return 2; }
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
