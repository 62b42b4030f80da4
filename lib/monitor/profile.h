/* profile: what happened in a window of time, from the events every program
 * records — per program and kind: count, errors, p50/p95/p99 ms, tokens, the
 * slowest calls, the CPU and peak RSS its processes recorded — with the machine's
 * CPU and memory while it was watched. */
#ifndef CLAW_PROFILE_H
#define CLAW_PROFILE_H
#include <signal.h>
#include <sqlite3.h>

#include "base/buf.h"

/* "90", "90s", "5m", "1h", "2d", "1w" in ms: 0, or -1 when it is none of these. */
int profile_age(const char *s, long long *ms);

/* CPU and memory sampled from /proc while profile waits out a --duration. */
struct profile_sys {
	int samples;
	double cpu_avg, cpu_max;              /* system busy % */
	unsigned long long avail_min_kb, total_kb;
	double claw_cpu_avg;                  /* claw processes' %CPU, summed */
	unsigned long long claw_rss_max_kb;
};
/* Sample each second until the wall clock reaches until_ms or *stop is set: 0, or
 * an exit code with err naming the /proc file that could not be read. */
int profile_watch(long long until_ms, volatile sig_atomic_t *stop, struct profile_sys *sys);

struct profile_opts {
	long long from, to;           /* the window, wall-clock ms */
	int json;
	const char *svg;              /* write the latency chart here, or NULL */
	const struct profile_sys *sys;   /* NULL when nothing was sampled */
};
/* The report into out (text, or NDJSON: one "group" line per program and kind,
 * "slow" lines, then a "profile" summary line): 0, EX_NORESULT when the window
 * holds no event, or an exit code with err set. */
int profile_report(sqlite3 *db, const struct profile_opts *o, struct buf *out);
#endif
