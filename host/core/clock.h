/* clock.h — the host's notion of "now", real or virtual.
 *
 * Live and paper sessions read CLOCK_REALTIME (wall time, what venues timestamp with). Backtests and
 * replays switch to a virtual clock that only moves when the driver sets it from recorded receive
 * timestamps, so the same strategy and risk code runs deterministically. Virtual time never goes
 * backwards: a recording with a late frame cannot make durations negative. */
#ifndef TH_CLOCK_H
#define TH_CLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "tradehost.h"

void th_clock_use_virtual(int64_t start_ns);
void th_clock_use_real(void);
bool th_clock_is_virtual(void);
/* Advance virtual time; earlier values are ignored. No effect on the real clock. */
void th_clock_advance_to(int64_t ns);
int64_t th_clock_ns(void);
/* Monotonic time for measuring durations (latency histograms); unaffected by virtual time. */
int64_t th_mono_ns(void);
/* CPU time the process has used (all threads): what a backtest's speed per core is measured with,
 * since wall time on a shared machine also counts the time other processes had the core. A system
 * call (microseconds): not for hot paths. */
int64_t th_cpu_ns(void);
/* ns since the epoch as ISO 8601 UTC with milliseconds ("2021-04-17T12:00:00.123Z"): how reports
 * and `tradehost journal` print host times. Returns buf. */
const char *th_clock_iso(int64_t ns, char *buf, size_t cap);

#endif
