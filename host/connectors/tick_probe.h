/* tick_probe.h — tick-to-order latency over loopback or the network, measured without a clock of
 * the venue's we cannot read: from the wall time we received the market frame a strategy reacted
 * to, to the venue's own receive time of the resulting order (Kraken's `time_in` in the order's
 * answer, wall clock, microseconds). Both clocks are the machine's when the venue is the local
 * sim, so the figure is the host's whole path (parse, book, dispatch, Lua, gates, journal, send)
 * plus one loopback hop; the venue -> host hop of the book frame is not in it.
 *
 * The public connector marks the first frame after each dispatch; the session marks the dispatch
 * (the batch the strategy saw) and the end of that loop turn; the order connector tags each order
 * request sent in between with the batch's mark and samples when its answer comes. With
 * storage.fsync = "turn" the journal's commit runs on the thread pool and the orders leave in a
 * later turn, unsampled; bench/tick_to_order.sh runs with fsync = "never" (sync commit, same
 * turn). */
#ifndef TH_TICK_PROBE_H
#define TH_TICK_PROBE_H

#include <stdint.h>

/* The wall clock (CLOCK_REALTIME), the venue's kind of time. */
int64_t th_tick_probe_now(void);
/* A market frame arrived at wall time now (only the first since the last dispatch counts). */
void th_tick_probe_frame(int64_t wall_ns);
/* The strategy is about to see the frames received so far. */
void th_tick_probe_dispatch(void);
/* The mark of the batch orders sent now react to (0: none: not in the turn of a dispatch). */
int64_t th_tick_probe_trigger(void);
/* The loop turn of the dispatch is over: orders sent later (ticks, timeouts, commits off the loop)
 * react to no book frame we can name. */
void th_tick_probe_turn_end(void);
/* An order sent after trigger reached the venue at venue_in_ns (wall). */
void th_tick_probe_sample(int64_t trigger_ns, int64_t venue_in_ns);
/* Log the figures (samples, p50, p99, max) under `who`. */
void th_tick_probe_report(const char *who);

#endif
