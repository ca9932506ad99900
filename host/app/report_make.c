/* report_make.c — a report's files: report.json and report.html written into a directory, and
 * th_report_make, the one call that turns a journal (or a journal directory: its newest journal)
 * into them, for `tradehost report` and a session's end. The figures are report.c's. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "../core/journal_dir.h"
#include "report.h"

int th_report_write(const th_report *r, const char *out_dir, char *err, size_t cap)
{
    if (mkdir(out_dir, 0755) != 0 && errno != EEXIST) {
        snprintf(err, cap, "%s: cannot create: %s", out_dir, strerror(errno));
        return -1;
    }
    char path[1200];
    snprintf(path, sizeof path, "%s/report.json", out_dir);
    if (th_report_write_json(r, path, err, cap) != 0) return -1;
    snprintf(path, sizeof path, "%s/report.html", out_dir);
    return th_report_write_html(r, path, err, cap);
}

int th_report_make(const char *journal_or_dir, const char *out_dir, char *html, size_t html_cap, char *err, size_t cap)
{
    struct stat sb;
    char file[700], dir[720];
    if (stat(journal_or_dir, &sb) != 0) {
        snprintf(err, cap, "%s: %s", journal_or_dir, strerror(errno));
        return -1;
    }
    if (S_ISDIR(sb.st_mode)) {
        if (th_jdir_newest(journal_or_dir, file, sizeof file) != 0) {
            snprintf(err, cap, "%s: no journal (.thj) in this directory", journal_or_dir);
            return -1;
        }
    } else snprintf(file, sizeof file, "%s", journal_or_dir);
    if (!out_dir) {
        size_t n = strlen(file);
        snprintf(dir, sizeof dir, "%.*s.report", (int)(n > 4 && strcmp(file + n - 4, ".thj") == 0 ? n - 4 : n), file);
        out_dir = dir;
    }
    th_report r;
    err[0] = 0;
    if (th_report_build(&r, file, NULL, err, cap) != 0) {
        th_report_free(&r);
        return -1;
    }
    int rc = th_report_write(&r, out_dir, err, cap);
    if (rc == 0 && html) snprintf(html, html_cap, "%s/report.html", out_dir);
    th_report_free(&r);
    return rc;
}
