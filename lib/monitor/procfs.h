/* procfs: what the kernel says in /proc and in cgroup v2 files, parsed from text (so
 * tests and the fuzzer can feed fixtures) and read beneath CLAW_PROC_ROOT and
 * CLAW_CGROUP_ROOT (default /proc and /sys/fs/cgroup).  REFERENCE.md §9 has the formats. */
#ifndef CLAW_PROCFS_H
#define CLAW_PROCFS_H
#include <stddef.h>

#include "base/buf.h"

#define PROCFS_MAXDEV 32          /* interfaces and disks kept per sample */
#define PROCFS_MAXPROC 64         /* claw processes kept per sample */

/* The "cpu" line of /proc/stat in USER_HZ ticks (guest is inside user already). */
struct cpu_ticks {
	unsigned long long user, nice, system, idle, iowait, irq, softirq, steal;
};
struct meminfo {
	unsigned long long total_kb, free_kb, avail_kb, buffers_kb, cached_kb;
	unsigned long long swap_total_kb, swap_free_kb;
};
struct devcount {                 /* an interface's bytes, or a disk's sectors */
	char name[32];
	unsigned long long rx, tx;    /* disks: sectors read, written (512 bytes each) */
};
struct pidstat {
	long pid;
	char comm[32];
	char state;
	unsigned long long utime, stime, starttime;   /* ticks; starttime since boot */
	unsigned long long rss_pages;
};
/* A cgroup v2 directory's figures; a field the kernel did not give is -1. */
struct cgroup {
	char path[256];               /* "/claw.slice/x", from the 0:: line */
	long long usage_usec, user_usec, system_usec, nr_throttled, throttled_usec;
	long long mem_current, mem_max, mem_peak, pids_current, pids_max, oom_kill;
	double cpus;                  /* cpu.max as CPUs (quota/period), 0 when "max" */
};

/* Parsers: 0, or -1 when the text is not what the kernel writes. */
int procfs_stat_parse(const char *p, size_t n, struct cpu_ticks *c, int *ncpu);
int procfs_meminfo_parse(const char *p, size_t n, struct meminfo *m);
/* /proc/net/dev: rx and tx bytes of each interface, at most max of them. */
int procfs_netdev_parse(const char *p, size_t n, struct devcount *v, size_t max, size_t *count);
/* /proc/diskstats: whole disks only (no partitions, loop or ram devices). */
int procfs_diskstats_parse(const char *p, size_t n, struct devcount *v, size_t max,
    size_t *count);
/* /proc/PID/stat: comm may hold spaces and parentheses; fields follow the last ')'. */
int procfs_pidstat_parse(const char *p, size_t n, struct pidstat *s);
int procfs_uptime_parse(const char *p, size_t n, double *uptime);
int procfs_loadavg_parse(const char *p, size_t n, double load[3]);
/* /proc/self/cgroup: the v2 path of its "0::" line into dst; -1 when there is none. */
int procfs_cgroup_line(const char *p, size_t n, char *dst, size_t len);
/* One "key value" line of a flat-keyed file (cpu.stat, memory.events): the value or -1. */
long long procfs_keyed(const char *p, size_t n, const char *key);

/* ROOT/rel into out (emptied first): 0, or EX_NOINPUT / EX_IOERR with err naming the
 * file.  procfs_read is beneath the proc root, procfs_cgroup_read the cgroup root. */
int procfs_read(const char *rel, struct buf *out);
int procfs_cgroup_read(const char *rel, struct buf *out);
const char *procfs_root(void);
/* The cgroup of this process, its figures in cg: 1 when it is in a v2 cgroup whose
 * files can be read, else 0 (a v1 or hybrid layout: no figures). */
int procfs_cgroup(struct cgroup *cg);
/* Every process whose comm begins "claw" (but this one), at most max: how many. */
size_t procfs_claw_procs(struct pidstat *v, size_t max);
/* One process's stat: 0, or -1 when it is gone. */
int procfs_pid(long pid, struct pidstat *s);
unsigned long long procfs_rss_kb(const struct pidstat *s);   /* resident memory in kB */
long procfs_hz(void);            /* USER_HZ */
long procfs_pagesize(void);
#endif
