/* Unit tests for lib/base/pool.c: every job runs once, each worker has its own state,
 * the queue bound holds, and the first failing job's code comes back. */
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "base/err.h"
#include "base/pool.h"
#include "tap.h"

#define NJOBS 200

struct shared {
	pthread_mutex_t lock;
	int started, stopped, done[NJOBS], queued, most_waiting;
	int fail_at, fail_code;         /* job fail_at returns fail_code (0: none fails) */
};

struct state {
	struct shared *sh;
	int jobs;
};

static void *
start(void *arg)
{
	struct state *s = calloc(1, sizeof *s);
	struct shared *sh = arg;

	s->sh = sh;
	pthread_mutex_lock(&sh->lock);
	sh->started++;
	pthread_mutex_unlock(&sh->lock);
	return s;
}

static int
work(void *state, void *job)
{
	struct state *s = state;
	int i = *(int *)job, rc = 0;

	free(job);
	if (i % 7 == 0)
		usleep(200);
	pthread_mutex_lock(&s->sh->lock);
	s->sh->done[i]++;
	s->sh->queued--;
	if (s->sh->fail_at && i >= s->sh->fail_at)
		rc = s->sh->fail_code + (i > s->sh->fail_at);   /* a later failure: another code */
	pthread_mutex_unlock(&s->sh->lock);
	s->jobs++;
	return rc;
}

static void
stop(void *state)
{
	struct state *s = state;

	pthread_mutex_lock(&s->sh->lock);
	s->sh->stopped++;
	pthread_mutex_unlock(&s->sh->lock);
	free(s);
}

/* Run NJOBS jobs on n workers over a queue of depth; the pool's code. */
static int
run(struct shared *sh, int n, size_t depth)
{
	struct pool_ops ops = { .start = start, .work = work, .stop = stop, .arg = sh };
	struct pool *p = pool_start(n, depth, &ops);
	int i;

	if (!p)
		return -1;
	for (i = 0; i < NJOBS; i++) {
		int *job = malloc(sizeof *job);
		*job = i;
		pthread_mutex_lock(&sh->lock);
		/* Jobs put, not yet taken or done, never exceed depth + n (one in each hand). */
		if (++sh->queued > sh->most_waiting)
			sh->most_waiting = sh->queued;
		pthread_mutex_unlock(&sh->lock);
		pool_put(p, job);
	}
	return pool_finish(p);
}

static int
all_once(const struct shared *sh)
{
	int i;

	for (i = 0; i < NJOBS; i++)
		if (sh->done[i] != 1)
			return 0;
	return 1;
}

int
main(void)
{
	static struct shared sh, one;
	int rc;

	pthread_mutex_init(&sh.lock, NULL);
	rc = run(&sh, 4, 3);
	is_int(rc, 0, "no job failed: 0");
	ok(all_once(&sh), "every job ran exactly once");
	is_int(sh.started, 4, "four workers started, each with its state");
	is_int(sh.stopped, 4, "and each stopped after its last job");
	ok(sh.most_waiting <= 3 + 4 + 1, "the queue bound holds (%d in flight at most)",
	    sh.most_waiting);

	pthread_mutex_init(&one.lock, NULL);
	one.fail_at = NJOBS / 2;
	one.fail_code = EX_TEMPFAIL;
	rc = run(&one, 1, 1);
	is_int(rc, EX_TEMPFAIL, "one worker, a queue of one: the first failure's code comes back");
	ok(all_once(&one), "the jobs after a failure run too");

	memset(&one.done, 0, sizeof one.done);
	one.fail_at = NJOBS - 1;
	rc = run(&one, POOL_MAXWORKERS + 5, 0);
	is_int(rc, EX_TEMPFAIL,
	    "too many workers asked for, a depth of 0: bounded, and it still runs");
	ok(all_once(&one), "every job ran exactly once");
	return done_testing();
}
