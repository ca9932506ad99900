/* session_turn.h — the session's loop turn, its ticks and the market data's full-pace hooks
 * (session_turn.c). */
#ifndef TH_SESSION_TURN_H
#define TH_SESSION_TURN_H

#include <uv.h>

#include "session_impl.h"

/* The end of every loop turn (the session's uv_check): live frames, then orders and answers. */
void th_session_on_turn(uv_check_t *h);
/* The tick timer (recorded pace, live). */
void th_session_on_tick(uv_timer_t *t);
/* The market data's hooks at full pace: ticks, turns, the paper venue's next due, the end. */
void th_session_feed_hooks(session *s);

#endif
