/* clock: milliseconds, for deadlines (monotonic) and for what is stored (wall clock). */
#ifndef CLAW_CLOCK_H
#define CLAW_CLOCK_H

long long clock_mono_ms(void);   /* for deadlines and durations: never jumps */
long long clock_wall_ms(void);   /* Unix time in ms: for timestamps in the store */
#endif
