/* sample: one reading of the machine and of claw's own processes for claw monitor,
 * and the figures between two readings (or since boot), as NDJSON or a table row. */
#ifndef CLAW_SAMPLE_H
#define CLAW_SAMPLE_H
#include "base/buf.h"
#include "monitor/procfs.h"

enum {
	METRIC_CPU = 1, METRIC_MEMORY = 2, METRIC_NETWORK = 4, METRIC_DISK = 8, METRIC_CLAW = 16,
};
#define METRIC_DEFAULT (METRIC_CPU | METRIC_MEMORY | METRIC_NETWORK)

struct sample {
	long long mono_ms, wall_ms;
	double uptime;
	struct cpu_ticks cpu;
	int ncpu;
	struct meminfo mem;
	double load[3];
	struct devcount net[PROCFS_MAXDEV], disk[PROCFS_MAXDEV];
	size_t nnet, ndisk;
	struct pidstat procs[PROCFS_MAXPROC];
	size_t nprocs;
	int incg;                   /* in a readable cgroup v2: cg holds its figures */
	struct cgroup cg;
};

/* "cpu,memory,network": the METRIC_ bits, or -1 with err naming the bad word. */
int sample_metrics(const char *list);
/* Read what metrics need: 0, or an exit code with err naming the /proc file. */
int sample_take(struct sample *s, unsigned metrics);
/* The figures from prev to cur (prev NULL: averages since boot, as vmstat's first
 * line) as one NDJSON line {"type":"sample", ...}. */
void sample_json(const struct sample *prev, const struct sample *cur, unsigned metrics,
    struct buf *out);
/* The same as a table row, and the header its columns have. */
void sample_header(unsigned metrics, int cgroup, struct buf *out);
void sample_row(const struct sample *prev, const struct sample *cur, unsigned metrics,
    struct buf *out);

/* Percentages as sar and pidstat compute them: system busy % between two tick
 * counts, and a process's %CPU from its ticks over a wall time. */
double sample_cpu_busy(const struct cpu_ticks *a, const struct cpu_ticks *b);
double sample_proc_cpu(unsigned long long ticks, double seconds);
#endif
