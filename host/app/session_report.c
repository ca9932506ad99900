/* session_report.c — the session's timeline and end-of-session report (see session_report.h). */
#include "session_report.h"

#include <stdio.h>
#include <string.h>

#include "../core/log.h"
#include "report.h"

void th_session_report_open(th_session_report *sr, th_trading *tr, th_lua *lua)
{
    memset(sr, 0, sizeof *sr);
    if (!tr->active || !tr->jn.open || !th_lua_cfg_bool(lua, "report.enabled", true)) return;
    snprintf(sr->journal, sizeof sr->journal, "%s", tr->jn.path);
    char stem[600];
    size_t n = strlen(tr->jn.path);
    snprintf(stem, sizeof stem, "%.*s", (int)(n > 4 && strcmp(tr->jn.path + n - 4, ".thj") == 0 ? n - 4 : n), tr->jn.path);
    const char *err = NULL;
    if (th_timeline_open(&sr->tl, stem, tr, lua, th_lua_cfg_number(lua, "report.sample_ms", 1000),
                         (uint64_t)th_lua_cfg_number(lua, "report.max_samples", 20000), &err) != 0)
        th_logf(TH_LOG_WARN, "no timeline for the report", "error=%s", err);
}

void th_session_report_write(th_session_report *sr)
{
    if (!sr->journal[0]) return;
    char html[1400], err[1024] = "";
    if (th_report_make(sr->journal, NULL, html, sizeof html, err, sizeof err) != 0) {
        th_logf(TH_LOG_ERROR, "report not written", "error=%s", err);
        return;
    }
    th_logf(TH_LOG_INFO, "report written", "html=%s", html);
    printf("report: %s\n", html);
    fflush(stdout);
}
