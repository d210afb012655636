/*
 * clock.h — the monotonic clock, for timeouts and intervals
 *
 * Never the wall clock: it jumps. Wall-clock time is only for display and
 * recovery targets.
 */
#ifndef WALSHIP_COMMON_CLOCK_H
#define WALSHIP_COMMON_CLOCK_H

/* Milliseconds on the monotonic clock (from an arbitrary start). */
long ws_clock_ms(void);

#endif
