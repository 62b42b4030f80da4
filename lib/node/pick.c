/* pick: strategies as a table; round-robin takes its turn from the store in one
 * statement, so runs from any number of processes share out exactly evenly. */
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "base/clock.h"
#include "base/err.h"
#include "node/pick.h"
#include "store/store.h"

typedef int order_fn(sqlite3 *db, const struct peers *ps, int *v, int n);

static const struct peers *cmp_ps;   /* qsort has no context argument */

static int
by_load(const void *a, const void *b)
{
	const struct peer *x = &cmp_ps->v[*(const int *)a], *y = &cmp_ps->v[*(const int *)b];
	int jx = x->jobs < 0 ? 0 : x->jobs, jy = y->jobs < 0 ? 0 : y->jobs;
	double lx = x->load < 0 ? 0 : x->load, ly = y->load < 0 ? 0 : y->load;

	if (jx != jy)
		return jx < jy ? -1 : 1;
	if (lx != ly)
		return lx < ly ? -1 : 1;
	return strcmp(x->name, y->name);
}

static int
by_return(const void *a, const void *b)
{
	const struct peer *x = &cmp_ps->v[*(const int *)a], *y = &cmp_ps->v[*(const int *)b];

	return x->down_until < y->down_until ? -1 : x->down_until > y->down_until;
}

static int
round_robin(sqlite3 *db, const struct peers *ps, int *v, int n)
{
	long long turn;
	int i, *tmp, rc;

	if (n < 2)
		return 0;
	if ((rc = store_begin_write(db)))
		return rc;
	rc = store_exec(db, "INSERT INTO cluster_rr(id, next) VALUES (1, 1)"
	    " ON CONFLICT(id) DO UPDATE SET next = next + 1");
	turn = rc ? -1 : store_int(db, "SELECT next - 1 FROM cluster_rr WHERE id = 1",
	    "cluster_rr");
	if ((rc = store_end(db, turn < 0 ? err_code() : rc)))
		return rc;
	if (!(tmp = malloc((size_t)n * sizeof *tmp)))
		return err_set(EX_SOFTWARE, "out of memory");
	for (i = 0; i < n; i++)
		tmp[i] = v[(i + turn) % n];
	memcpy(v, tmp, (size_t)n * sizeof *v);
	free(tmp);
	return 0;
}

static int
least_loaded(sqlite3 *db, const struct peers *ps, int *v, int n)
{
	cmp_ps = ps;
	qsort(v, (size_t)n, sizeof *v, by_load);
	return 0;
}

static int
shuffle(sqlite3 *db, const struct peers *ps, int *v, int n)
{
	int i;

	for (i = n - 1; i > 0; i--) {
		int j = (int)randombytes_uniform((uint32_t)i + 1), t = v[i];
		v[i] = v[j];
		v[j] = t;
	}
	return 0;
}

static unsigned long
weight_of(const struct peer *p)
{
	return p->weight > 0 ? (unsigned long)p->weight : 0;
}

/* Weighted random without replacement: each next peer drawn in proportion to
 * its weight among those left. */
static int
weighted(sqlite3 *db, const struct peers *ps, int *v, int n)
{
	int i, j;

	for (i = 0; i < n - 1; i++) {
		unsigned long total = 0, r;
		for (j = i; j < n; j++)
			total += weight_of(&ps->v[v[j]]);
		if (total == 0)
			return shuffle(db, ps, v + i, n - i);
		r = randombytes_uniform((uint32_t)total);
		for (j = i; j < n; j++) {
			unsigned long w = weight_of(&ps->v[v[j]]);
			if (r < w)
				break;
			r -= w;
		}
		if (j < n) {
			int t = v[i];
			v[i] = v[j];
			v[j] = t;
		}
	}
	return 0;
}

static const struct strategy {
	const char *name;
	order_fn *fn;
} strategies[] = {
	{ "round-robin", round_robin },
	{ "least-loaded", least_loaded },
	{ "random", shuffle },
	{ "weighted", weighted },
};
#define NSTRATEGIES (sizeof strategies / sizeof strategies[0])

static const struct strategy *
find(const char *name)
{
	size_t i;

	for (i = 0; i < NSTRATEGIES; i++)
		if (strcmp(strategies[i].name, name) == 0)
			return &strategies[i];
	return NULL;
}

int
pick_check(const char *name)
{
	return find(name) ? 0 : err_set(EX_USAGE, "%s: unknown strategy "
	    "(round-robin, least-loaded, random or weighted)", name);
}

int
pick_order(sqlite3 *db, const char *strategy, const struct peers *ps, int *order, int *n)
{
	const struct strategy *s = find(strategy);
	long long now = clock_wall_ms();
	int i, up = 0, down = 0, rc;

	*n = 0;
	if (!s)
		return pick_check(strategy);
	for (i = 0; i < ps->n; i++)
		if (ps->v[i].has_key && ps->v[i].host[0] && ps->v[i].down_until <= now)
			order[up++] = i;
	if ((rc = s->fn(db, ps, order, up)))
		return rc;
	for (i = 0; i < ps->n; i++)
		if (ps->v[i].has_key && ps->v[i].host[0] && ps->v[i].down_until > now)
			order[up + down++] = i;
	cmp_ps = ps;
	qsort(order + up, (size_t)down, sizeof *order, by_return);
	*n = up + down;
	return 0;
}
