/* pool: worker threads over a bounded ring of jobs, one lock and two conditions
 * (more: a job or the end arrived; room: a slot came free). */
#include <pthread.h>
#include <stdlib.h>

#include "base/err.h"
#include "base/pool.h"

struct pool {
	pthread_mutex_t lock;
	pthread_cond_t more, room;
	struct pool_ops ops;
	void **ring;
	size_t depth, head, n;
	int done, rc, nthreads;
	pthread_t threads[POOL_MAXWORKERS];
};

/* The next job, or NULL once the queue is empty and no more will come. */
static void *
take(struct pool *p)
{
	void *job = NULL;

	pthread_mutex_lock(&p->lock);
	while (p->n == 0 && !p->done)
		pthread_cond_wait(&p->more, &p->lock);
	if (p->n > 0) {
		job = p->ring[p->head];
		p->head = (p->head + 1) % p->depth;
		p->n--;
		pthread_cond_signal(&p->room);
	}
	pthread_mutex_unlock(&p->lock);
	return job;
}

static void *
worker(void *arg)
{
	struct pool *p = arg;
	void *state = p->ops.start ? p->ops.start(p->ops.arg) : p->ops.arg, *job;

	while ((job = take(p))) {
		int rc = p->ops.work(state, job);
		pthread_mutex_lock(&p->lock);
		if (rc && !p->rc)
			p->rc = rc;
		pthread_mutex_unlock(&p->lock);
	}
	if (p->ops.stop)
		p->ops.stop(state);
	return NULL;
}

struct pool *
pool_start(int n, size_t depth, const struct pool_ops *ops)
{
	struct pool *p = calloc(1, sizeof *p);

	if (n < 1 || n > POOL_MAXWORKERS)
		n = n < 1 ? 1 : POOL_MAXWORKERS;
	if (depth < 1)
		depth = 1;
	if (!p || !(p->ring = calloc(depth, sizeof *p->ring))) {
		free(p);
		err_set(EX_SOFTWARE, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->more, NULL);
	pthread_cond_init(&p->room, NULL);
	p->ops = *ops;
	p->depth = depth;
	while (p->nthreads < n && pthread_create(&p->threads[p->nthreads], NULL, worker, p) == 0)
		p->nthreads++;
	if (p->nthreads == 0) {
		pool_finish(p);
		err_set(EX_TEMPFAIL, "cannot start a worker thread");
		return NULL;
	}
	return p;
}

void
pool_put(struct pool *p, void *job)
{
	pthread_mutex_lock(&p->lock);
	while (p->n == p->depth)
		pthread_cond_wait(&p->room, &p->lock);
	p->ring[(p->head + p->n) % p->depth] = job;
	p->n++;
	pthread_cond_signal(&p->more);
	pthread_mutex_unlock(&p->lock);
}

int
pool_finish(struct pool *p)
{
	int i, rc;

	pthread_mutex_lock(&p->lock);
	p->done = 1;
	pthread_cond_broadcast(&p->more);
	pthread_mutex_unlock(&p->lock);
	for (i = 0; i < p->nthreads; i++)
		pthread_join(p->threads[i], NULL);
	rc = p->rc;
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->more);
	pthread_cond_destroy(&p->room);
	free(p->ring);
	free(p);
	return rc;
}
