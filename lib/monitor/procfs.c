/* procfs: each file is walked a line at a time through a bounded copy, so the parsers
 * never read past n and a line the kernel would not write is skipped or refused. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/err.h"
#include "base/file.h"
#include "monitor/procfs.h"

#define PROCFS_MAXFILE (1u << 20)

/* The next line of p[0..n) from *off into line (cut at len-1): 1, or 0 at the end. */
static int
next_line(const char *p, size_t n, size_t *off, char *line, size_t len)
{
	const char *s, *nl;
	size_t k;

	if (*off >= n)
		return 0;
	s = p + *off;
	nl = memchr(s, '\n', n - *off);
	k = nl ? (size_t)(nl - s) : n - *off;
	*off += k + (nl != NULL);
	if (k >= len)
		k = len - 1;
	memcpy(line, s, k);
	line[k] = '\0';
	if (memchr(line, '\0', k))     /* a NUL inside: not text the kernel writes */
		line[0] = '\0';
	return 1;
}

int
procfs_stat_parse(const char *p, size_t n, struct cpu_ticks *c, int *ncpu)
{
	char line[512];
	size_t off = 0;
	int found = 0;

	memset(c, 0, sizeof *c);
	*ncpu = 0;
	while (next_line(p, n, &off, line, sizeof line)) {
		if (strncmp(line, "cpu ", 4) == 0) {
			if (sscanf(line + 4, "%llu %llu %llu %llu %llu %llu %llu %llu", &c->user,
			    &c->nice, &c->system, &c->idle, &c->iowait, &c->irq, &c->softirq,
			    &c->steal) < 4)
				return -1;
			found = 1;
		} else if (strncmp(line, "cpu", 3) == 0 && isdigit((unsigned char)line[3]))
			++*ncpu;
	}
	if (found && !*ncpu)
		*ncpu = 1;
	return found ? 0 : -1;
}

int
procfs_meminfo_parse(const char *p, size_t n, struct meminfo *m)
{
	static const struct { const char *key; size_t at; } keys[] = {
		{ "MemTotal:", offsetof(struct meminfo, total_kb) },
		{ "MemFree:", offsetof(struct meminfo, free_kb) },
		{ "MemAvailable:", offsetof(struct meminfo, avail_kb) },
		{ "Buffers:", offsetof(struct meminfo, buffers_kb) },
		{ "Cached:", offsetof(struct meminfo, cached_kb) },
		{ "SwapTotal:", offsetof(struct meminfo, swap_total_kb) },
		{ "SwapFree:", offsetof(struct meminfo, swap_free_kb) },
	};
	char line[256], key[64];
	unsigned long long v;
	size_t off = 0, i;
	int seen = 0;

	memset(m, 0, sizeof *m);
	while (next_line(p, n, &off, line, sizeof line)) {
		if (sscanf(line, "%63s %llu", key, &v) != 2)
			continue;
		for (i = 0; i < sizeof keys / sizeof keys[0]; i++)
			if (strcmp(key, keys[i].key) == 0) {
				*(unsigned long long *)((char *)m + keys[i].at) = v;
				seen |= 1 << i;
			}
	}
	return (seen & 1) && m->total_kb ? 0 : -1;     /* MemTotal at least */
}

int
procfs_netdev_parse(const char *p, size_t n, struct devcount *v, size_t max, size_t *count)
{
	char line[512], *colon, *name;
	unsigned long long f[9];
	size_t off = 0;
	int lineno = 0;

	*count = 0;
	while (next_line(p, n, &off, line, sizeof line)) {
		if (++lineno <= 2)                       /* the two header lines */
			continue;
		if (!(colon = strrchr(line, ':')))
			continue;
		*colon = '\0';
		for (name = line; *name == ' '; name++)
			;
		if (!*name || strlen(name) >= sizeof v->name
		    || sscanf(colon + 1, "%llu %llu %llu %llu %llu %llu %llu %llu %llu", &f[0],
		    &f[1], &f[2], &f[3], &f[4], &f[5], &f[6], &f[7], &f[8]) != 9)
			continue;
		if (*count == max)
			break;
		snprintf(v[*count].name, sizeof v->name, "%s", name);
		v[*count].rx = f[0];
		v[*count].tx = f[8];
		++*count;
	}
	return lineno >= 2 ? 0 : -1;
}

/* A partition of a disk already listed: sda1 after sda, nvme0n1p2 after nvme0n1. */
static int
partition_of(const char *name, const struct devcount *v, size_t k)
{
	size_t i, l;

	for (i = 0; i < k; i++) {
		l = strlen(v[i].name);
		if (strncmp(name, v[i].name, l) == 0 && name[l]
		    && (isdigit((unsigned char)name[l]) || name[l] == 'p'))
			return 1;
	}
	return 0;
}

int
procfs_diskstats_parse(const char *p, size_t n, struct devcount *v, size_t max, size_t *count)
{
	char line[512], name[64];
	unsigned long long rd, rdm, rds, rdms, wr, wrm, wrs;
	unsigned maj, min;
	size_t off = 0;
	int any = 0;

	*count = 0;
	while (next_line(p, n, &off, line, sizeof line)) {
		if (sscanf(line, "%u %u %63s %llu %llu %llu %llu %llu %llu %llu", &maj, &min, name,
		    &rd, &rdm, &rds, &rdms, &wr, &wrm, &wrs) != 10)
			continue;
		any = 1;
		if (!strncmp(name, "loop", 4) || !strncmp(name, "ram", 3)
		    || strlen(name) >= sizeof v->name || partition_of(name, v, *count))
			continue;
		if (*count == max)
			break;
		snprintf(v[*count].name, sizeof v->name, "%s", name);
		v[*count].rx = rds;
		v[*count].tx = wrs;
		++*count;
	}
	return any || n == 0 ? 0 : -1;
}

int
procfs_pidstat_parse(const char *p, size_t n, struct pidstat *s)
{
	char line[1024], *open, *close, *f, *save = NULL;
	unsigned long long x;
	int field;

	memset(s, 0, sizeof *s);
	n = n > sizeof line - 1 ? sizeof line - 1 : n;
	memcpy(line, p, n);
	line[n] = '\0';
	if (memchr(line, '\0', n) || !(open = strchr(line, '(')) || !(close = strrchr(line, ')'))
	    || close < open)
		return -1;
	s->pid = strtol(line, NULL, 10);
	*close = '\0';
	snprintf(s->comm, sizeof s->comm, "%s", open + 1);
	/* Field 3 (state) is the first after ')'. */
	for (field = 3, f = strtok_r(close + 1, " \n", &save); f;
	    f = strtok_r(NULL, " \n", &save), field++) {
		if (field == 3) {
			s->state = *f;
			continue;
		}
		x = strtoull(f, NULL, 10);
		switch (field) {
		case 14: s->utime = x; break;
		case 15: s->stime = x; break;
		case 22: s->starttime = x; break;
		case 24: s->rss_pages = x; return s->pid > 0 ? 0 : -1;
		}
	}
	return -1;
}

int
procfs_uptime_parse(const char *p, size_t n, double *uptime)
{
	char line[128];
	size_t off = 0;

	return next_line(p, n, &off, line, sizeof line) && sscanf(line, "%lf", uptime) == 1
	    && *uptime >= 0 ? 0 : -1;
}

int
procfs_loadavg_parse(const char *p, size_t n, double load[3])
{
	char line[128];
	size_t off = 0;

	return next_line(p, n, &off, line, sizeof line)
	    && sscanf(line, "%lf %lf %lf", &load[0], &load[1], &load[2]) == 3 ? 0 : -1;
}

int
procfs_cgroup_line(const char *p, size_t n, char *dst, size_t len)
{
	char line[512];
	size_t off = 0;

	while (next_line(p, n, &off, line, sizeof line))
		if (strncmp(line, "0::", 3) == 0 && line[3] == '/' && !strstr(line, "/..")) {
			snprintf(dst, len, "%s", line + 3);
			return 0;
		}
	return -1;
}

long long
procfs_keyed(const char *p, size_t n, const char *key)
{
	char line[256], k[64];
	long long v;
	size_t off = 0;

	while (next_line(p, n, &off, line, sizeof line))
		if (sscanf(line, "%63s %lld", k, &v) == 2 && strcmp(k, key) == 0)
			return v;
	return -1;
}

const char *
procfs_root(void)
{
	const char *r = getenv("CLAW_PROC_ROOT");
	return r && *r ? r : "/proc";
}

static const char *
cgroup_root(void)
{
	const char *r = getenv("CLAW_CGROUP_ROOT");
	return r && *r ? r : "/sys/fs/cgroup";
}

static int
read_under(const char *root, const char *rel, struct buf *out)
{
	char path[PATH_MAX];

	buf_reset(out);
	if (snprintf(path, sizeof path, "%s/%s", root, rel) >= (int)sizeof path)
		return err_set(EX_NOINPUT, "%s/%s: path too long", root, rel);
	return file_read(path, PROCFS_MAXFILE, out);
}

int procfs_read(const char *rel, struct buf *out) { return read_under(procfs_root(), rel, out); }

int
procfs_cgroup_read(const char *rel, struct buf *out)
{
	return read_under(cgroup_root(), rel, out);
}

/* A one-number file (memory.current), or "max" as -2; -1 when absent. */
static long long
cg_number(const char *dir, const char *file, struct buf *b)
{
	char rel[512];

	snprintf(rel, sizeof rel, "%s/%s", dir, file);
	if (procfs_cgroup_read(rel, b) || !b->len)
		return -1;
	if (strncmp(b->p, "max", 3) == 0)
		return -2;
	return strtoll(b->p, NULL, 10);
}

int
procfs_cgroup(struct cgroup *cg)
{
	struct buf b = BUF_INIT;
	char rel[512];
	long long quota, period;
	int ok = 0;

	memset(cg, 0, sizeof *cg);
	if (procfs_read("self/cgroup", &b) || procfs_cgroup_line(b.p, b.len, cg->path,
	    sizeof cg->path))
		goto out;
	snprintf(rel, sizeof rel, "%s/cpu.stat", cg->path);
	if (procfs_cgroup_read(rel, &b))      /* v1 or hybrid: no v2 files here */
		goto out;
	cg->usage_usec = procfs_keyed(b.p, b.len, "usage_usec");
	cg->user_usec = procfs_keyed(b.p, b.len, "user_usec");
	cg->system_usec = procfs_keyed(b.p, b.len, "system_usec");
	cg->nr_throttled = procfs_keyed(b.p, b.len, "nr_throttled");
	cg->throttled_usec = procfs_keyed(b.p, b.len, "throttled_usec");
	if (cg->usage_usec < 0)
		goto out;
	cg->mem_current = cg_number(cg->path, "memory.current", &b);
	cg->mem_max = cg_number(cg->path, "memory.max", &b);
	cg->mem_peak = cg_number(cg->path, "memory.peak", &b);
	cg->pids_current = cg_number(cg->path, "pids.current", &b);
	cg->pids_max = cg_number(cg->path, "pids.max", &b);
	snprintf(rel, sizeof rel, "%s/memory.events", cg->path);
	cg->oom_kill = procfs_cgroup_read(rel, &b) ? -1 : procfs_keyed(b.p, b.len, "oom_kill");
	snprintf(rel, sizeof rel, "%s/cpu.max", cg->path);
	if (procfs_cgroup_read(rel, &b) == 0 && strncmp(b.p, "max", 3)
	    && sscanf(b.p, "%lld %lld", &quota, &period) == 2 && quota > 0 && period > 0)
		cg->cpus = (double)quota / (double)period;
	ok = 1;
out:
	buf_free(&b);
	return ok;
}

int
procfs_pid(long pid, struct pidstat *s)
{
	struct buf b = BUF_INIT;
	char rel[64];
	int rc;

	snprintf(rel, sizeof rel, "%ld/stat", pid);
	rc = procfs_read(rel, &b) ? -1 : procfs_pidstat_parse(b.p, b.len, s);
	buf_free(&b);
	return rc;
}

size_t
procfs_claw_procs(struct pidstat *v, size_t max)
{
	DIR *d = opendir(procfs_root());
	struct dirent *e;
	long self = (long)getpid(), pid;
	size_t k = 0;
	char *end;

	if (!d)
		return 0;
	while (k < max && (e = readdir(d))) {
		pid = strtol(e->d_name, &end, 10);
		if (*end || pid <= 0 || pid == self)
			continue;
		/* A process that ends between readdir and read is simply not counted. */
		if (procfs_pid(pid, &v[k]) == 0 && strncmp(v[k].comm, "claw", 4) == 0)
			k++;
	}
	closedir(d);
	return k;
}

long
procfs_hz(void)
{
	long hz = sysconf(_SC_CLK_TCK);
	return hz > 0 ? hz : 100;
}

long
procfs_pagesize(void)
{
	long p = sysconf(_SC_PAGESIZE);
	return p > 0 ? p : 4096;
}

unsigned long long
procfs_rss_kb(const struct pidstat *s)
{
	return s->rss_pages * (unsigned long long)procfs_pagesize() / 1024;
}
