/* profile: one pass over the window's rows through the ts index; durations are
 * gathered per program and kind for the percentiles (nearest rank, found by
 * selection), the slowest few kept by id, and the chart's points bucketed on the way. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/err.h"
#include "monitor/export.h"
#include "monitor/profile.h"
#include "monitor/sample.h"
#include "store/store.h"

#define MAXGROUPS 256
#define NSLOW 5
#define NPOINTS 60                 /* the chart's time buckets */
#define MAXLINES 8                 /* programs drawn */

int
profile_age(const char *s, long long *ms)
{
	static const struct { char c; long long ms; } units[] = {
		{ 's', 1000 }, { 'm', 60000 }, { 'h', 3600000 }, { 'd', 86400000 },
		{ 'w', 604800000 },
	};
	char *end;
	long long n;
	size_t i;

	errno = 0;
	n = strtoll(s, &end, 10);
	if (end == s || n < 0 || errno || n > 100LL * 365 * 86400)
		return -1;
	if (!*end) {
		*ms = n * 1000;
		return 0;
	}
	for (i = 0; i < sizeof units / sizeof units[0]; i++)
		if (end[0] == units[i].c && !end[1] && n <= 100LL * 365 * 86400000 / units[i].ms) {
			*ms = n * units[i].ms;
			return 0;
		}
	return -1;
}

int
profile_watch(long long until_ms, volatile sig_atomic_t *stop, struct profile_sys *sys)
{
	static struct sample a, b;
	struct sample *prev = NULL, *cur = &a;
	const unsigned m = METRIC_CPU | METRIC_MEMORY | METRIC_CLAW;
	double cpu_sum = 0, claw_sum = 0;
	unsigned long long rss;
	long long left;
	size_t i;

	memset(sys, 0, sizeof *sys);
	for (;;) {
		if (sample_take(cur, m))
			return err_code();
		if (!sys->avail_min_kb || cur->mem.avail_kb < sys->avail_min_kb)
			sys->avail_min_kb = cur->mem.avail_kb;
		sys->total_kb = cur->mem.total_kb;
		for (rss = 0, i = 0; i < cur->nprocs; i++)
			rss += procfs_rss_kb(&cur->procs[i]);
		if (rss > sys->claw_rss_max_kb)
			sys->claw_rss_max_kb = rss;
		if (prev) {
			double busy = sample_cpu_busy(&prev->cpu, &cur->cpu);
			double dt = (double)(cur->mono_ms - prev->mono_ms) / 1000.0, claw = 0;
			for (i = 0; i < cur->nprocs; i++) {
				size_t j;
				for (j = 0; j < prev->nprocs; j++)
					if (prev->procs[j].pid == cur->procs[i].pid)
						claw += sample_proc_cpu(cur->procs[i].utime
						    + cur->procs[i].stime - prev->procs[j].utime
						    - prev->procs[j].stime, dt);
			}
			sys->samples++;
			cpu_sum += busy;
			claw_sum += claw;
			if (busy > sys->cpu_max)
				sys->cpu_max = busy;
			sys->cpu_avg = cpu_sum / sys->samples;
			sys->claw_cpu_avg = claw_sum / sys->samples;
		}
		left = until_ms - clock_wall_ms();
		if (*stop || left <= 0)
			return 0;
		{
			struct timespec ts = { left >= 1000 ? 1 : 0,
			    left >= 1000 ? 0 : (long)left * 1000000L };
			while (!*stop && nanosleep(&ts, &ts) < 0 && errno == EINTR)
				;
		}
		prev = cur;
		cur = cur == &a ? &b : &a;
	}
}

struct group {
	char program[64], kind[64];
	long long count, errors, tin, tout, tcached;
	long long cpu_ms, rss_kb, used;   /* from the rows' rusage; used: rows that had it */
	int *ms;
	size_t nms, cap;
};

struct slow {
	long long id, ms;
};

struct line {
	char program[64];
	double sum[NPOINTS];
	long long n[NPOINTS];
};

struct acc {
	struct group g[MAXGROUPS];
	size_t ng;
	struct slow slow[NSLOW];
	size_t nslow;
	struct line lines[MAXLINES];
	size_t nlines;
	long long events;
	int oom;
};

static struct group *
group_of(struct acc *a, const char *p, const char *k)
{
	size_t i;

	for (i = 0; i < a->ng; i++)
		if (!strcmp(a->g[i].kind, k) && !strcmp(a->g[i].program, p))
			return &a->g[i];
	if (a->ng == MAXGROUPS)
		return NULL;
	memset(&a->g[a->ng], 0, sizeof a->g[0]);
	snprintf(a->g[a->ng].program, sizeof a->g[0].program, "%s", p);
	snprintf(a->g[a->ng].kind, sizeof a->g[0].kind, "%s", k);
	return &a->g[a->ng++];
}

static void
keep_slow(struct acc *a, long long id, long long ms)
{
	size_t i, at;

	if (a->nslow == NSLOW && ms <= a->slow[NSLOW - 1].ms)
		return;
	at = a->nslow < NSLOW ? a->nslow++ : NSLOW - 1;
	for (i = at; i > 0 && a->slow[i - 1].ms < ms; i--)
		a->slow[i] = a->slow[i - 1];
	a->slow[i].id = id;
	a->slow[i].ms = ms;
}

static void
plot(struct acc *a, const char *p, long long ts, long long ms, const struct profile_opts *o)
{
	size_t i;
	long long span = o->to - o->from;
	int k;

	for (i = 0; i < a->nlines && strcmp(a->lines[i].program, p); i++)
		;
	if (i == a->nlines) {
		if (a->nlines == MAXLINES)
			return;
		memset(&a->lines[i], 0, sizeof a->lines[0]);
		snprintf(a->lines[i].program, sizeof a->lines[0].program, "%s", p);
		a->nlines++;
	}
	k = span > 0 ? (int)((ts - o->from) * NPOINTS / span) : 0;
	k = k < 0 ? 0 : k >= NPOINTS ? NPOINTS - 1 : k;
	a->lines[i].sum[k] += (double)ms;
	a->lines[i].n[k]++;
}

/* Whether the window holds much of the table, guessed from how much of the time the
 * table spans it covers: two probes of the ts index, where counting the window's
 * rows would read its whole part of the index (1M rows: 70 ms). */
static int
mostly(sqlite3 *db, const struct profile_opts *o)
{
	sqlite3_stmt *st;
	long long lo = 0, hi = -1, from, to;

	if (store_prepare(db, &st, "SELECT (SELECT min(ts) FROM events),"
	    " (SELECT max(ts) FROM events)"))
		return 0;
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
		lo = sqlite3_column_int64(st, 0);
		hi = sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	from = o->from > lo ? o->from : lo;
	to = o->to < hi ? o->to : hi;
	return hi >= lo && (to - from + 1) * 8 > hi - lo + 1;
}

static int
gather(sqlite3 *db, const struct profile_opts *o, struct acc *a)
{
	sqlite3_stmt *st;
	int step, rc;

	/* A window that holds much of the table is read in the table's order: through the
	 * ts index every row is a page read of its own (20 s instead of 1 s for 1M rows). */
	if ((rc = store_prepare(db, &st, mostly(db, o) ?
	    "SELECT id, ts, program, kind, ms, ok, " EXPORT_TOKENS_IN ", " EXPORT_TOKENS_OUT
	    ", " EXPORT_TOKENS_CACHED ", cpu_ms, rss_kb FROM events NOT INDEXED"
	    " WHERE ts >= ? AND ts < ?" :
	    "SELECT id, ts, program, kind, ms, ok, " EXPORT_TOKENS_IN ", " EXPORT_TOKENS_OUT
	    ", " EXPORT_TOKENS_CACHED ", cpu_ms, rss_kb FROM events WHERE ts >= ? AND ts < ?")))
		return rc;
	sqlite3_bind_int64(st, 1, o->from);
	sqlite3_bind_int64(st, 2, o->to + 1);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		const char *p = (const char *)sqlite3_column_text(st, 2);
		const char *k = (const char *)sqlite3_column_text(st, 3);
		struct group *g = group_of(a, p, k);
		a->events++;
		if (!g)
			continue;
		g->count++;
		g->errors += sqlite3_column_int(st, 5) == 0;
		g->tin += sqlite3_column_int64(st, 6);
		g->tout += sqlite3_column_int64(st, 7);
		g->tcached += sqlite3_column_int64(st, 8);
		if (sqlite3_column_type(st, 9) != SQLITE_NULL) {
			long long rss = sqlite3_column_int64(st, 10);
			g->cpu_ms += sqlite3_column_int64(st, 9);
			g->rss_kb = rss > g->rss_kb ? rss : g->rss_kb;
			g->used++;
		}
		if (sqlite3_column_type(st, 4) == SQLITE_NULL)
			continue;
		long long ms = sqlite3_column_int64(st, 4);
		if (g->nms == g->cap) {
			size_t cap = g->cap ? g->cap * 2 : 64;
			int *v = realloc(g->ms, cap * sizeof *v);
			if (!v) {
				a->oom = 1;
				continue;
			}
			g->ms = v;
			g->cap = cap;
		}
		g->ms[g->nms++] = ms > INT32_MAX ? INT32_MAX : (int)ms;
		keep_slow(a, sqlite3_column_int64(st, 0), ms);
		plot(a, p, sqlite3_column_int64(st, 1), ms, o);
	}
	rc = store_step_done(db, step, "events");
	sqlite3_finalize(st);
	return rc ? rc : a->oom ? err_set(EX_SOFTWARE, "profile: out of memory") : 0;
}

/* The nearest rank of p per cent among n values, 0-based. */
static size_t
rank(size_t n, double p)
{
	size_t r = (size_t)ceil(p / 100.0 * (double)n);
	return r ? r - 1 : 0;
}

/* Put v[k] where sorting v[0..n) would, the values before it no greater and those
 * after no smaller (Wirth's selection, after Hoare): O(n), where sorting 1M rows
 * was a tenth of profile's time. */
static void
select_nth(int *v, size_t n, size_t k)
{
	long l = 0, r = (long)n - 1, i, j, kk = (long)k;
	int x, t;

	while (l < r) {
		x = v[kk];
		i = l;
		j = r;
		do {
			while (v[i] < x)
				i++;
			while (x < v[j])
				j--;
			if (i <= j) {
				t = v[i], v[i] = v[j], v[j] = t;
				i++;
				j--;
			}
		} while (i <= j);
		if (j < kk)
			l = i;
		if (kk < i)
			r = j;
	}
}

/* p99, then p95 and p50 among the values below it: each in place. */
static void
percentiles(struct group *g)
{
	size_t k99, k95;

	if (!g->nms)
		return;
	k99 = rank(g->nms, 99);
	select_nth(g->ms, g->nms, k99);
	k95 = rank(g->nms, 95);
	if (k95 < k99)
		select_nth(g->ms, k99, k95);
	if (rank(g->nms, 50) < k95)
		select_nth(g->ms, k95, rank(g->nms, 50));
}

static long long
pctl(const struct group *g, double p)
{
	return g->nms ? g->ms[rank(g->nms, p)] : -1;
}

static void
when(struct buf *b, long long ms, const char *fmt)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	char s[40];

	localtime_r(&t, &tm);
	strftime(s, sizeof s, fmt, &tm);
	buf_adds(b, s);
}

static void
ms_cell(struct buf *b, long long v, int json, const char *name)
{
	if (json)
		buf_printf(b, v < 0 ? ",\"%s\":null" : ",\"%s\":%lld", name, v);
	else if (v < 0)
		buf_printf(b, " %8s", "-");
	else
		buf_printf(b, " %8lld", v);
}

static void
groups(const struct acc *a, const struct profile_opts *o, struct buf *out)
{
	size_t i;

	if (!o->json)
		buf_printf(out, "%-14s %-10s %8s %7s %8s %8s %8s %10s %10s %10s\n", "program",
		    "kind", "count", "errors", "p50_ms", "p95_ms", "p99_ms", "tokens_in",
		    "tokens_out", "cached");
	for (i = 0; i < a->ng; i++) {
		const struct group *g = &a->g[i];
		if (o->json) {
			buf_adds(out, "{\"type\":\"group\",\"program\":");
			buf_add_json_str(out, g->program, strlen(g->program));
			buf_adds(out, ",\"kind\":");
			buf_add_json_str(out, g->kind, strlen(g->kind));
			buf_printf(out, ",\"count\":%lld,\"errors\":%lld", g->count, g->errors);
		} else
			buf_printf(out, "%-14s %-10s %8lld %7lld", g->program, g->kind, g->count,
			    g->errors);
		ms_cell(out, pctl(g, 50), o->json, "p50_ms");
		ms_cell(out, pctl(g, 95), o->json, "p95_ms");
		ms_cell(out, pctl(g, 99), o->json, "p99_ms");
		if (o->json && g->used)
			buf_printf(out, ",\"cpu_ms\":%lld,\"rss_max_kb\":%lld", g->cpu_ms,
			    g->rss_kb);
		if (o->json)
			buf_printf(out, ",\"tokens_in\":%lld,\"tokens_out\":%lld,"
			    "\"tokens_cached\":%lld}\n", g->tin, g->tout, g->tcached);
		else
			buf_printf(out, " %10lld %10lld %10lld\n", g->tin, g->tout, g->tcached);
	}
}

static int
slowest(sqlite3 *db, const struct acc *a, const struct profile_opts *o, struct buf *out)
{
	sqlite3_stmt *st;
	size_t i;
	int rc;

	if (!a->nslow)
		return 0;
	if ((rc = store_prepare(db, &st, "SELECT ts, program, kind, ms, ok, detail FROM events"
	    " WHERE id = ?")))
		return rc;
	if (!o->json)
		buf_adds(out, "slowest\n");
	for (i = 0; i < a->nslow; i++) {
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, a->slow[i].id);
		if (sqlite3_step(st) != SQLITE_ROW)
			continue;
		const char *p = (const char *)sqlite3_column_text(st, 1);
		const char *k = (const char *)sqlite3_column_text(st, 2);
		const char *d = (const char *)sqlite3_column_text(st, 5);
		long long ts = sqlite3_column_int64(st, 0);
		if (o->json) {
			buf_printf(out, "{\"type\":\"slow\",\"ts\":%lld,\"program\":", ts);
			buf_add_json_str(out, p, strlen(p));
			buf_adds(out, ",\"kind\":");
			buf_add_json_str(out, k, strlen(k));
			buf_printf(out, ",\"ms\":%lld,\"ok\":%s,\"detail\":%s}\n",
			    sqlite3_column_int64(st, 3),
			    sqlite3_column_int(st, 4) ? "true" : "false", d ? d : "null");
		} else {
			buf_adds(out, "  ");
			when(out, ts, "%Y-%m-%d %H:%M:%S");
			buf_printf(out, "  %s %s %lld ms%s %s\n", p, k, sqlite3_column_int64(st, 3),
			    sqlite3_column_int(st, 4) ? "" : " (failed)", d ? d : "");
		}
	}
	sqlite3_finalize(st);
	return 0;
}

/* Per program, what its rows recorded: CPU ms summed, peak RSS; and the CPU as a
 * share of one core over the window. */
static void
recorded(const struct acc *a, const struct profile_opts *o, struct buf *out)
{
	double span = o->to > o->from ? (double)(o->to - o->from) : 1;
	size_t i, j;
	int n = 0;

	for (i = 0; i < a->ng; i++) {
		long long cpu = 0, rss = 0, used = 0;
		for (j = 0; j < i && strcmp(a->g[j].program, a->g[i].program); j++)
			;
		if (j < i)
			continue;                  /* that program's line was written */
		for (j = i; j < a->ng; j++)
			if (!strcmp(a->g[j].program, a->g[i].program) && a->g[j].used) {
				cpu += a->g[j].cpu_ms;
				rss = a->g[j].rss_kb > rss ? a->g[j].rss_kb : rss;
				used += a->g[j].used;
			}
		if (!used)
			continue;
		if (o->json) {
			buf_adds(out, n ? ",{\"program\":" : "{\"program\":");
			buf_add_json_str(out, a->g[i].program, strlen(a->g[i].program));
			buf_printf(out, ",\"cpu_ms\":%lld,\"cpu_pct\":%.3f,\"rss_max_kb\":%lld}",
			    cpu, 100.0 * (double)cpu / span, rss);
		} else
			buf_printf(out, "%s%-14s %8lld ms CPU (%.3f %% of a core), peak RSS"
			    " %.1f MB\n", n ? "          " : "recorded  ", a->g[i].program, cpu,
			    100.0 * (double)cpu / span, (double)rss / 1024);
		n++;
	}
}

static void
summary(const struct acc *a, const struct profile_opts *o, struct buf *out)
{
	const struct profile_sys *s = o->sys;

	if (o->json) {
		buf_printf(out, "{\"type\":\"profile\",\"from\":%lld,\"to\":%lld,\"events\":%lld,"
		    "\"recorded\":[", o->from, o->to, a->events);
		recorded(a, o, out);
		buf_adds(out, "],\"system\":");
		if (s && s->samples)
			buf_printf(out, "{\"samples\":%d,\"cpu_avg\":%.1f,\"cpu_max\":%.1f,"
			    "\"mem_available_min_kb\":%llu,\"mem_total_kb\":%llu,"
			    "\"claw_cpu_avg\":%.2f,\"claw_rss_max_kb\":%llu}}\n", s->samples,
			    s->cpu_avg, s->cpu_max, s->avail_min_kb, s->total_kb, s->claw_cpu_avg,
			    s->claw_rss_max_kb);
		else
			buf_adds(out, "null}\n");
		return;
	}
	recorded(a, o, out);
	if (s && s->samples)
		buf_printf(out, "cpu       avg %.1f %%, max %.1f %% (%d samples); memory available"
		    " min %.0f MB of %.0f MB; claw processes avg %.1f %% CPU, max RSS %.1f MB\n",
		    s->cpu_avg, s->cpu_max, s->samples, (double)s->avail_min_kb / 1024,
		    (double)s->total_kb / 1024, s->claw_cpu_avg, (double)s->claw_rss_max_kb / 1024);
	else
		buf_adds(out, "cpu       the machine not sampled: --duration=S watches it too\n");
}

static void
xml_text(FILE *f, const char *s)
{
	for (; *s; s++)
		if (*s == '<')
			fputs("&lt;", f);
		else if (*s == '&')
			fputs("&amp;", f);
		else if (*s == '>')
			fputs("&gt;", f);
		else
			fputc(*s, f);
}

/* The mean latency per time bucket, one line per program, as an SVG file. */
static int
svg(const struct acc *a, const struct profile_opts *o)
{
	static const char *const colors[MAXLINES] = { "#1f77b4", "#d62728", "#2ca02c",
	    "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf" };
	const double W = 800, H = 420, L = 70, R = 170, T = 40, B = 50;
	double top = 1, x, y;
	size_t i;
	int k, first;
	FILE *f;
	int fd = open(o->svg, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);

	if (fd < 0 || !(f = fdopen(fd, "w"))) {
		if (fd >= 0)
			close(fd);
		return err_set(EX_CANTCREAT, "%s:", o->svg);
	}
	for (i = 0; i < a->nlines; i++)
		for (k = 0; k < NPOINTS; k++)
			if (a->lines[i].n[k] && a->lines[i].sum[k] / a->lines[i].n[k] > top)
				top = a->lines[i].sum[k] / a->lines[i].n[k];
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/"
	    "2000/svg\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" "
	    "font-family=\"sans-serif\" font-size=\"12\">\n", W, H, W, H);
	fprintf(f, "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n");
	fprintf(f, "<text x=\"%.0f\" y=\"24\" font-size=\"16\">claw profile: mean latency (ms) "
	    "per program</text>\n", L);
	fprintf(f, "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" stroke=\"black\"/>\n",
	    L, H - B, W - R, H - B);
	fprintf(f, "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" stroke=\"black\"/>\n",
	    L, T, L, H - B);
	for (k = 0; k <= 4; k++) {
		y = H - B - (H - B - T) * k / 4;
		fprintf(f, "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"end\">%.0f</text>\n", L - 6,
		    y + 4, top * k / 4);
		fprintf(f, "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" stroke=\"#ddd\"/>"
		    "\n", L, y, W - R, y);
	}
	{
		struct buf t = BUF_INIT;
		when(&t, o->from, "%Y-%m-%d %H:%M");
		buf_adds(&t, "  to  ");
		when(&t, o->to, "%Y-%m-%d %H:%M");
		fprintf(f, "<text x=\"%.0f\" y=\"%.0f\">%s</text>\n", L, H - B + 24,
		    t.p ? t.p : "");
		buf_free(&t);
	}
	for (i = 0; i < a->nlines; i++) {
		fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"",
		    colors[i]);
		for (first = 1, k = 0; k < NPOINTS; k++) {
			if (!a->lines[i].n[k])
				continue;
			x = L + (W - R - L) * (k + 0.5) / NPOINTS;
			y = H - B - (H - B - T) * (a->lines[i].sum[k] / a->lines[i].n[k]) / top;
			fprintf(f, "%s%.1f,%.1f", first ? "" : " ", x, y);
			first = 0;
		}
		fprintf(f, "\"/>\n<rect x=\"%.0f\" y=\"%.0f\" width=\"12\" height=\"12\" "
		    "fill=\"%s\"/>\n<text x=\"%.0f\" y=\"%.0f\">", W - R + 12, T + 20.0 * i,
		    colors[i], W - R + 30, T + 20.0 * i + 11);
		xml_text(f, a->lines[i].program);
		fputs("</text>\n", f);
	}
	fputs("</svg>\n", f);
	if (fclose(f) != 0)
		return err_set(EX_IOERR, "%s:", o->svg);
	return 0;
}

int
profile_report(sqlite3 *db, const struct profile_opts *o, struct buf *out)
{
	struct acc *a = calloc(1, sizeof *a);
	size_t i;
	int rc;

	if (!a)
		return err_set(EX_SOFTWARE, "profile: out of memory");
	/* Read-only work over many pages: mapped, they cost no read(2) each. */
	sqlite3_exec(db, "PRAGMA mmap_size=268435456", NULL, NULL, NULL);
	if ((rc = gather(db, o, a)))
		goto out;
	for (i = 0; i < a->ng; i++)
		percentiles(&a->g[i]);
	if (!o->json) {
		buf_adds(out, "window    ");
		when(out, o->from, "%Y-%m-%d %H:%M:%S");
		buf_adds(out, " to ");
		when(out, o->to, "%Y-%m-%d %H:%M:%S");
		buf_printf(out, ", %lld events\n", a->events);
	}
	if (a->ng)
		groups(a, o, out);
	if ((rc = slowest(db, a, o, out)))
		goto out;
	summary(a, o, out);
	if (o->svg && (rc = svg(a, o)))
		goto out;
	if (out->oom)
		rc = err_set(EX_SOFTWARE, "profile: out of memory");
	else if (!a->events && !(o->sys && o->sys->samples))
		rc = EX_NORESULT;            /* a watched window has the machine's figures */
out:
	for (i = 0; i < a->ng; i++)
		free(a->g[i].ms);
	free(a);
	return rc;
}
