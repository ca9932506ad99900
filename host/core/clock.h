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
/* Ticks for timing strategy callbacks (their budget, the callback histogram, the stuck
 * watchdog): a read costs a fraction of th_mono_ns's on x86-64 with an invariant TSC (the
 * time-stamp counter: about 14 ns here, where clock_gettime through kvm-clock costs about 32), so
 * a call timed at both ends costs little next to the call. th_ticks_init measures the counter's
 * rate against CLOCK_MONOTONIC (2 ms asleep; the error is below 1e-4); idempotent, call it before
 * any other thread runs. Without an invariant TSC, or before th_ticks_init, ticks are
 * CLOCK_MONOTONIC ns. th_ticks and th_ticks_to_ns are async-signal-safe. */
void th_ticks_init(void);
int64_t th_ticks(void);
int64_t th_ticks_to_ns(int64_t ticks);

/* CPU time the process has used (all threads): what a backtest's speed per core is measured with,
 * since wall time on a shared machine also counts the time other processes had the core. A system
 * call (microseconds): not for hot paths. */
int64_t th_cpu_ns(void);
/* ns since the epoch as ISO 8601 UTC with milliseconds ("2021-04-17T12:00:00.123Z"): how reports
 * and `tradehost journal` print host times. Returns buf. */
const char *th_clock_iso(int64_t ns, char *buf, size_t cap);

#endif
