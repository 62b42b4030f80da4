/* signal: what the store recorded since the last cycle that evolution could answer —
 * failed, timed-out and slow skill runs (with a failure's error text and a chat's
 * arguments), skills a model named that do not exist, errors the user saw, the user's
 * wishes — and the strategy draw they allow. */
#ifndef CLAW_SIGNAL_H
#define CLAW_SIGNAL_H
#include <stdint.h>
#include <sqlite3.h>

#include "base/buf.h"

#define SIGNAL_MAX 64             /* distinct signals kept; the rest counted */

struct signal {
	char kind[16];            /* failed, timeout, slow, missing_skill, error, wish */
	char skill[65];           /* "" when it names none */
	char *detail;             /* the wish's text, an exit code, ... */
	char *error;              /* failed, timeout: the last run's error message, or NULL */
	char *args;               /* ... and its arguments, when a chat turn called it */
	long count;
	long long ms;             /* the slowest run, for slow */
	long long last;           /* the last event's id (or wish's) */
	long long last_ts;        /* ... and its time (ms) */
};

#define SIGNAL_TEXTMAX 300        /* bytes of an error message or arguments kept */

struct signals {
	struct signal v[SIGNAL_MAX];
	size_t n;
	long long upto_event, upto_suggest;   /* what this assessment covered */
};

/* The signals after the last recorded cycle: 0 or an exit code.  slow_ms: a run that
 * took at least this long is slow. */
int signals_assess(sqlite3 *db, long long slow_ms, struct signals *s);
void signals_free(struct signals *s);
/* The signals as JSON lines {"type":"signal",...} or text lines into out. */
void signals_show(const struct signals *s, int json, struct buf *out);
/* The kinds present, one per line (for gene_choose); malloc'd. */
char *signals_kinds(const struct signals *s);
/* 1 when a signal of a kind the strategy answers is present. */
int signals_allow(const struct signals *s, const char *strategy);

/* A reproducible stream of draws: seeded, then each next in [0, 1). */
struct draw { uint64_t s; };
void draw_seed(struct draw *d, uint64_t seed);
double draw_next(struct draw *d);
/* The strategy: innovate when u < innovation, else repair when the signals call for
 * it, else optimize, else innovate.  forced (or NULL) is taken when signals allow it. */
const char *strategy_draw(const struct signals *s, double innovation, double u);
#endif
