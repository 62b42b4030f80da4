/* pool: a fixed set of worker threads fed through a bounded queue.  A reader puts
 * jobs, blocking while the queue is full; the workers take them in order of arrival
 * and finish them in any order.  Each worker has its own state (a store handle...). */
#ifndef CLAW_POOL_H
#define CLAW_POOL_H
#include <stddef.h>

struct pool;

struct pool_ops {
	void *(*start)(void *arg);            /* a worker's state, made in its thread (NULL: arg) */
	int (*work)(void *state, void *job);  /* one job (owned): 0 or an exit code */
	void (*stop)(void *state);            /* in the worker's thread, after its last job */
	void *arg;
};

#define POOL_MAXWORKERS 64

/* Start n workers (1 to POOL_MAXWORKERS) over a queue of depth jobs (at least 1).
 * Fewer workers than asked for start when threads run short; none is NULL with
 * err set (EX_TEMPFAIL), as is an out-of-memory (EX_SOFTWARE). */
struct pool *pool_start(int n, size_t depth, const struct pool_ops *ops);
/* Queue a job, waiting while the queue is full. */
void pool_put(struct pool *p, void *job);
/* No more jobs: wait until every queued job is done and every worker stopped,
 * free the pool, and return the first non-zero code a job returned, or 0. */
int pool_finish(struct pool *p);
#endif
