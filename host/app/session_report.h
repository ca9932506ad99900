/* session_report.h — a session's report: the timeline it samples while it runs (timeline.h) and
 * the report written when it ends (report.h), beside its journal, with the path printed.
 *
 * Why apart from session.c: the session only calls four hooks (open with the order side, each
 * turn, before the order side closes, after it closed); what is sampled and written lives here
 * and in the report's own files. */
#ifndef TH_SESSION_REPORT_H
#define TH_SESSION_REPORT_H

#include "timeline.h"
#include "trading.h"

typedef struct th_session_report {
    th_timeline tl;
    char journal[600];       /* the journal the report is built from ("": no report) */
} th_session_report;

/* After the order side opened: the timeline beside its journal (report.enabled, default on). A
 * timeline that cannot be written is logged and the session goes on (the report then marks at
 * fills). */
void th_session_report_open(th_session_report *sr, th_trading *tr, th_lua *lua);
static inline void th_session_report_turn(th_session_report *sr, th_trading *tr) { th_timeline_turn(&sr->tl, tr); }
/* Before the order side closes: the last sample and the refusals. */
static inline void th_session_report_end(th_session_report *sr, th_trading *tr) { th_timeline_close(&sr->tl, tr); }
/* After the journal is closed: report.json and report.html, the HTML page's path on stdout. */
void th_session_report_write(th_session_report *sr);

#endif
