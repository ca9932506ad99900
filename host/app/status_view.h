/* status_view.h — a live status view of a session on the terminal: per pair the book's health,
 * best bid and ask, our best quotes, position and PnL; the recording's progress; fills and total
 * PnL. On a terminal it redraws in place (ANSI cursor moves, a few times a second of wall time);
 * otherwise (a pipe, a file, CI) it prints the same table as plain lines, less often. Config:
 * `status = { mode = "auto" | "tty" | "lines" | "off", every_ms = 250 }` (default off; the demo
 * turns it on). It reads only what the session already keeps (books, the flow's live sets and
 * positions) on a wall-clock timer of the loop, so it costs the hot path nothing.
 *
 * Why apart from session.c: it is presentation, with its own timer and terminal rules; the session
 * opens it and closes it (the close draws the last frame). */
#ifndef TH_STATUS_VIEW_H
#define TH_STATUS_VIEW_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "session_feed.h"
#include "trading.h"

typedef struct th_status_view {
    bool on, tty;
    uv_timer_t timer;
    th_trading *tr;
    th_session_feed *mf;
    int32_t *ins;            /* the configured pairs the order side knows */
    int32_t n;
    int lines_drawn;         /* tty: lines of the last frame (the next one moves up over them) */
    int64_t rec_size;        /* the recording's size in bytes (a plain file; 0: unknown) */
    uint64_t frames;
} th_status_view;

/* From the config's `status`; nothing when off. 0, or -1 with the reason on stderr. */
int th_status_view_open(th_status_view *v, uv_loop_t *loop, th_trading *tr, th_session_feed *mf, th_lua *lua);
/* The last frame, then the timer closes (inside the loop, before it ends). */
void th_status_view_close(th_status_view *v);

#endif
