/* sample: the formulas of REFERENCE.md §9 — busy = user+nice+system+irq+softirq+steal
 * over busy+idle+iowait; a process's %CPU = Δ(utime+stime)/HZ over the wall time; a
 * rate = Δbytes/Δt; a cgroup's %CPU = Δusage_usec over Δwall_usec · CPUs allowed. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/clock.h"
#include "base/err.h"
#include "monitor/sample.h"

static const struct { const char *name; unsigned bit; } metric_names[] = {
	{ "cpu", METRIC_CPU }, { "memory", METRIC_MEMORY }, { "network", METRIC_NETWORK },
	{ "disk", METRIC_DISK }, { "claw", METRIC_CLAW },
};
#define NMETRICS (sizeof metric_names / sizeof metric_names[0])

int
sample_metrics(const char *list)
{
	const char *p = list, *e;
	unsigned bits = 0;
	size_t i, n;

	while (*p) {
		e = strchr(p, ',');
		n = e ? (size_t)(e - p) : strlen(p);
		for (i = 0; i < NMETRICS; i++) {
			const char *name = metric_names[i].name;
			if (strlen(name) == n && !strncmp(name, p, n))
				break;
		}
		if (i == NMETRICS)
			return err_set(EX_USAGE, "--metrics: '%.*s' is not one of "
			    "cpu, memory, network, disk, claw", (int)n, p), -1;
		bits |= metric_names[i].bit;
		p += n + (e != NULL);
	}
	return bits ? (int)bits : (err_set(EX_USAGE, "--metrics: name at least one"), -1);
}

static int
bad(const char *file)
{
	return err_set(EX_DATAERR, "%s/%s: not what the kernel writes", procfs_root(), file);
}

int
sample_take(struct sample *s, unsigned metrics)
{
	struct buf b = BUF_INIT;
	int rc = 0;

	memset(s, 0, sizeof *s);
	s->mono_ms = clock_mono_ms();
	s->wall_ms = clock_wall_ms();
	if ((rc = procfs_read("uptime", &b)))
		goto out;
	if (procfs_uptime_parse(b.p, b.len, &s->uptime) && (rc = bad("uptime")))
		goto out;
	if (metrics & METRIC_CPU) {
		if ((rc = procfs_read("stat", &b)))
			goto out;
		if (procfs_stat_parse(b.p, b.len, &s->cpu, &s->ncpu) && (rc = bad("stat")))
			goto out;
		if (procfs_read("loadavg", &b) == 0)
			procfs_loadavg_parse(b.p, b.len, s->load);
	}
	if (metrics & METRIC_MEMORY) {
		if ((rc = procfs_read("meminfo", &b)))
			goto out;
		if (procfs_meminfo_parse(b.p, b.len, &s->mem) && (rc = bad("meminfo")))
			goto out;
	}
	if (metrics & METRIC_NETWORK) {
		if ((rc = procfs_read("net/dev", &b)))
			goto out;
		if (procfs_netdev_parse(b.p, b.len, s->net, PROCFS_MAXDEV, &s->nnet)
		    && (rc = bad("net/dev")))
			goto out;
	}
	if (metrics & METRIC_DISK) {
		if ((rc = procfs_read("diskstats", &b)))
			goto out;
		if (procfs_diskstats_parse(b.p, b.len, s->disk, PROCFS_MAXDEV, &s->ndisk)
		    && (rc = bad("diskstats")))
			goto out;
	}
	if (metrics & METRIC_CLAW)
		s->nprocs = procfs_claw_procs(s->procs, PROCFS_MAXPROC);
	s->incg = procfs_cgroup(&s->cg);
out:
	buf_free(&b);
	return rc;
}

static unsigned long long
busy_of(const struct cpu_ticks *c)
{
	return c->user + c->nice + c->system + c->irq + c->softirq + c->steal;
}

static unsigned long long
d(unsigned long long a, unsigned long long b)      /* a counter's rise; a reset is 0 */
{
	return b > a ? b - a : 0;
}

double
sample_cpu_busy(const struct cpu_ticks *a, const struct cpu_ticks *b)
{
	unsigned long long busy = d(busy_of(a), busy_of(b));
	unsigned long long idle = d(a->idle + a->iowait, b->idle + b->iowait);

	return busy + idle ? 100.0 * (double)busy / (double)(busy + idle) : 0;
}

double
sample_proc_cpu(unsigned long long ticks, double seconds)
{
	return seconds > 0 ? 100.0 * (double)ticks / (double)procfs_hz() / seconds : 0;
}

/* Everything one output line needs, computed once for both forms. */
struct figures {
	double busy, user, system, iowait, steal, idle;
	double dt;                  /* seconds the figures cover */
	double rx, tx, rd, wr;      /* bytes/s summed: interfaces but lo, whole disks */
	double claw_cpu;
	unsigned long long claw_rss_kb;
	double cg_cpu;              /* -1: not known (first line, or no cgroup) */
};

static double
pct(unsigned long long part, unsigned long long total)
{
	return total ? 100.0 * (double)part / (double)total : 0;
}

static const struct devcount *
dev_find(const struct devcount *v, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(v[i].name, name))
			return &v[i];
	return NULL;
}

static const struct pidstat *
proc_find(const struct sample *s, const struct pidstat *p)
{
	size_t i;

	for (i = 0; s && i < s->nprocs; i++)
		if (s->procs[i].pid == p->pid && s->procs[i].starttime == p->starttime)
			return &s->procs[i];
	return NULL;
}

/* A process's %CPU: over the interval when prev saw it, else since it started. */
static double
proc_cpu(const struct sample *prev, const struct sample *cur, const struct pidstat *p,
    double dt)
{
	const struct pidstat *q = proc_find(prev, p);
	double age = cur->uptime - (double)p->starttime / (double)procfs_hz();

	if (q && dt > 0)
		return sample_proc_cpu(d(q->utime + q->stime, p->utime + p->stime), dt);
	return sample_proc_cpu(p->utime + p->stime, age);
}

static void
rate(const struct devcount *prev, size_t np, const struct devcount *c, double dt,
    unsigned long long unit, double *rx, double *tx)
{
	const struct devcount *o = prev ? dev_find(prev, np, c->name) : NULL;

	*rx = dt > 0 ? (double)(o ? d(o->rx, c->rx) : c->rx) * (double)unit / dt : 0;
	*tx = dt > 0 ? (double)(o ? d(o->tx, c->tx) : c->tx) * (double)unit / dt : 0;
}

static void
figures(const struct sample *prev, const struct sample *cur, struct figures *f)
{
	static const struct cpu_ticks zero;
	const struct cpu_ticks *a = prev ? &prev->cpu : &zero, *b = &cur->cpu;
	unsigned long long total;
	double rx, tx;
	size_t i;

	memset(f, 0, sizeof *f);
	f->dt = prev ? (double)(cur->mono_ms - prev->mono_ms) / 1000.0 : cur->uptime;
	total = d(busy_of(a) + a->idle + a->iowait, busy_of(b) + b->idle + b->iowait);
	f->busy = sample_cpu_busy(a, b);
	f->user = pct(d(a->user + a->nice, b->user + b->nice), total);
	f->system = pct(d(a->system + a->irq + a->softirq, b->system + b->irq + b->softirq),
	    total);
	f->iowait = pct(d(a->iowait, b->iowait), total);
	f->steal = pct(d(a->steal, b->steal), total);
	f->idle = pct(d(a->idle, b->idle), total);
	for (i = 0; i < cur->nnet; i++) {
		if (!strcmp(cur->net[i].name, "lo"))
			continue;
		rate(prev ? prev->net : NULL, prev ? prev->nnet : 0, &cur->net[i], f->dt, 1, &rx,
		    &tx);
		f->rx += rx;
		f->tx += tx;
	}
	for (i = 0; i < cur->ndisk; i++) {
		rate(prev ? prev->disk : NULL, prev ? prev->ndisk : 0, &cur->disk[i], f->dt, 512,
		    &rx, &tx);
		f->rd += rx;
		f->wr += tx;
	}
	for (i = 0; i < cur->nprocs; i++) {
		f->claw_cpu += proc_cpu(prev, cur, &cur->procs[i], f->dt);
		f->claw_rss_kb += procfs_rss_kb(&cur->procs[i]);
	}
	f->cg_cpu = -1;
	if (prev && prev->incg && cur->incg && f->dt > 0) {
		double cpus = cur->cg.cpus > 0 && cur->cg.cpus < cur->ncpu ? cur->cg.cpus
		    : (cur->ncpu ? cur->ncpu : 1);
		f->cg_cpu = 100.0 * (double)d((unsigned long long)prev->cg.usage_usec,
		    (unsigned long long)cur->cg.usage_usec) / (f->dt * 1e6 * cpus);
	}
}

static void
json_ll(struct buf *out, const char *name, long long v, int comma)
{
	if (v == -2 || v == -1)            /* "max" or not given */
		buf_printf(out, "%s\"%s\":null", comma ? "," : "", name);
	else
		buf_printf(out, "%s\"%s\":%lld", comma ? "," : "", name, v);
}

static void
json_cgroup(const struct sample *cur, const struct figures *f, struct buf *out)
{
	const struct cgroup *c = &cur->cg;

	buf_adds(out, ",\"cgroup\":{\"path\":");
	buf_add_json_str(out, c->path, strlen(c->path));
	if (f->cg_cpu >= 0)
		buf_printf(out, ",\"cpu\":%.1f", f->cg_cpu);
	else
		buf_adds(out, ",\"cpu\":null");
	if (c->cpus > 0)
		buf_printf(out, ",\"cpus\":%.2f", c->cpus);
	json_ll(out, "usage_usec", c->usage_usec, 1);
	json_ll(out, "throttled_usec", c->throttled_usec, 1);
	json_ll(out, "nr_throttled", c->nr_throttled, 1);
	json_ll(out, "memory_current", c->mem_current, 1);
	json_ll(out, "memory_max", c->mem_max, 1);
	json_ll(out, "memory_peak", c->mem_peak, 1);
	json_ll(out, "pids_current", c->pids_current, 1);
	json_ll(out, "pids_max", c->pids_max, 1);
	json_ll(out, "oom_kill", c->oom_kill, 1);
	buf_addc(out, '}');
}

void
sample_json(const struct sample *prev, const struct sample *cur, unsigned metrics,
    struct buf *out)
{
	struct figures f;
	double rx, tx;
	size_t i;

	figures(prev, cur, &f);
	buf_printf(out, "{\"type\":\"sample\",\"ts\":%lld,\"seconds\":%.3f,\"since_boot\":%s",
	    cur->wall_ms, f.dt, prev ? "false" : "true");
	if (metrics & METRIC_CPU)
		buf_printf(out, ",\"cpu\":{\"busy\":%.1f,\"user\":%.1f,\"system\":%.1f,"
		    "\"iowait\":%.1f,\"steal\":%.1f,\"idle\":%.1f,\"ncpu\":%d,"
		    "\"load\":[%.2f,%.2f,%.2f]}", f.busy, f.user, f.system, f.iowait, f.steal,
		    f.idle, cur->ncpu, cur->load[0], cur->load[1], cur->load[2]);
	if (metrics & METRIC_MEMORY) {
		const struct meminfo *m = &cur->mem;
		buf_printf(out, ",\"memory\":{\"total_kb\":%llu,\"available_kb\":%llu,"
		    "\"free_kb\":%llu,\"used_pct\":%.1f,\"swap_used_kb\":%llu}", m->total_kb,
		    m->avail_kb, m->free_kb, pct(m->total_kb - (m->avail_kb < m->total_kb ?
		    m->avail_kb : m->total_kb), m->total_kb), d(m->swap_free_kb, m->swap_total_kb));
	}
	if (metrics & METRIC_NETWORK) {
		buf_adds(out, ",\"network\":[");
		for (i = 0; i < cur->nnet; i++) {
			rate(prev ? prev->net : NULL, prev ? prev->nnet : 0, &cur->net[i], f.dt, 1,
			    &rx, &tx);
			buf_adds(out, i ? ",{\"iface\":" : "{\"iface\":");
			buf_add_json_str(out, cur->net[i].name, strlen(cur->net[i].name));
			buf_printf(out, ",\"rx_bytes_s\":%.0f,\"tx_bytes_s\":%.0f}", rx, tx);
		}
		buf_addc(out, ']');
	}
	if (metrics & METRIC_DISK) {
		buf_adds(out, ",\"disk\":[");
		for (i = 0; i < cur->ndisk; i++) {
			rate(prev ? prev->disk : NULL, prev ? prev->ndisk : 0, &cur->disk[i], f.dt,
			    512, &rx, &tx);
			buf_adds(out, i ? ",{\"device\":" : "{\"device\":");
			buf_add_json_str(out, cur->disk[i].name, strlen(cur->disk[i].name));
			buf_printf(out, ",\"read_bytes_s\":%.0f,\"write_bytes_s\":%.0f}", rx, tx);
		}
		buf_addc(out, ']');
	}
	if (metrics & METRIC_CLAW) {
		buf_adds(out, ",\"claw\":[");
		for (i = 0; i < cur->nprocs; i++) {
			const struct pidstat *p = &cur->procs[i];
			buf_printf(out, "%s{\"pid\":%ld,\"comm\":", i ? "," : "", p->pid);
			buf_add_json_str(out, p->comm, strlen(p->comm));
			buf_printf(out, ",\"cpu\":%.1f,\"rss_kb\":%llu}",
			    proc_cpu(prev, cur, p, f.dt), procfs_rss_kb(p));
		}
		buf_addc(out, ']');
	}
	if (cur->incg)
		json_cgroup(cur, &f, out);
	buf_adds(out, "}\n");
}

void
sample_header(unsigned metrics, int cgroup, struct buf *out)
{
	buf_adds(out, "    time");
	if (metrics & METRIC_CPU)
		buf_adds(out, " busy%  usr%  sys%  iow%");
	if (metrics & METRIC_MEMORY)
		buf_adds(out, "  avail_MB  used%");
	if (metrics & METRIC_NETWORK)
		buf_adds(out, "  rx_kB/s  tx_kB/s");
	if (metrics & METRIC_DISK)
		buf_adds(out, "  rd_kB/s  wr_kB/s");
	if (metrics & METRIC_CLAW)
		buf_adds(out, " claw  cpu%  rss_MB");
	if (cgroup)
		buf_adds(out, " cg_cpu%  cg_MB");
	buf_addc(out, '\n');
}

void
sample_row(const struct sample *prev, const struct sample *cur, unsigned metrics,
    struct buf *out)
{
	struct figures f;
	struct tm tm;
	time_t t = (time_t)(cur->wall_ms / 1000);
	const struct meminfo *m = &cur->mem;

	figures(prev, cur, &f);
	localtime_r(&t, &tm);
	buf_printf(out, "%02d:%02d:%02d", tm.tm_hour, tm.tm_min, tm.tm_sec);
	if (metrics & METRIC_CPU)
		buf_printf(out, " %5.1f %5.1f %5.1f %5.1f", f.busy, f.user, f.system, f.iowait);
	if (metrics & METRIC_MEMORY)
		buf_printf(out, "  %8.1f %6.1f", (double)m->avail_kb / 1024.0,
		    pct(m->total_kb - (m->avail_kb < m->total_kb ? m->avail_kb : m->total_kb),
		    m->total_kb));
	if (metrics & METRIC_NETWORK)
		buf_printf(out, "  %7.1f  %7.1f", f.rx / 1024.0, f.tx / 1024.0);
	if (metrics & METRIC_DISK)
		buf_printf(out, "  %7.1f  %7.1f", f.rd / 1024.0, f.wr / 1024.0);
	if (metrics & METRIC_CLAW)
		buf_printf(out, " %4zu %5.1f %7.1f", cur->nprocs, f.claw_cpu,
		    (double)f.claw_rss_kb / 1024.0);
	if (cur->incg) {
		if (f.cg_cpu >= 0)
			buf_printf(out, " %7.1f", f.cg_cpu);
		else
			buf_adds(out, "       -");
		buf_printf(out, " %6.1f", cur->cg.mem_current >= 0 ?
		    (double)cur->cg.mem_current / 1048576.0 : 0.0);
	}
	buf_addc(out, '\n');
}
