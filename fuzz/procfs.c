/* fuzz/procfs: the /proc and cgroup parsers on any bytes: never a read past the
 * input, and what they accept is sane (an accepted /proc/PID/stat has a pid, a
 * cgroup line is a path; counts stay within their arrays). */
#include <stdint.h>
#include <string.h>

#include "monitor/procfs.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	struct cpu_ticks c;
	struct meminfo m;
	struct devcount v[4];
	struct pidstat s;
	char path[64];
	double up, load[3];
	size_t n;
	int ncpu;

	if (procfs_stat_parse(p, size, &c, &ncpu) == 0 && ncpu < 1)
		__builtin_trap();
	procfs_meminfo_parse(p, size, &m);
	if (procfs_netdev_parse(p, size, v, 4, &n) == 0 && n > 4)
		__builtin_trap();
	if (procfs_diskstats_parse(p, size, v, 4, &n) == 0 && n > 4)
		__builtin_trap();
	if (procfs_pidstat_parse(p, size, &s) == 0 && (s.pid <= 0 || !memchr(s.comm, 0, 32)))
		__builtin_trap();
	procfs_uptime_parse(p, size, &up);
	procfs_loadavg_parse(p, size, load);
	if (procfs_cgroup_line(p, size, path, sizeof path) == 0 && path[0] != '/')
		__builtin_trap();
	procfs_keyed(p, size, "usage_usec");
	return 0;
}
