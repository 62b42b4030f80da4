/* Unit tests for lib/monitor/procfs.c and sample.c: the parsers on what the kernel
 * writes (and on what it does not), and the formulas of REFERENCE.md §9 between two
 * readings: sar's busy %, pidstat's %CPU, rates. */
#include <stdio.h>
#include <string.h>

#include "monitor/procfs.h"
#include "monitor/sample.h"
#include "tap.h"

#define S(x) x, sizeof x - 1

int
main(void)
{
	struct cpu_ticks a, b;
	struct pidstat p;
	struct devcount v[4];
	struct meminfo m;
	char path[64];
	size_t n;
	int ncpu;

	is_int(procfs_stat_parse(S("cpu  100 0 50 800 50 0 0 0 0 0\ncpu0 1 2 3 4\n"), &a, &ncpu),
	    0, "stat parses");
	is_int(ncpu, 1, "one cpuN line: one CPU");
	is_int(procfs_stat_parse(S("cpu  160 0 80 1040 60 5 5 0 0 0\n"), &b, &ncpu), 0,
	    "stat without cpuN lines");
	/* Δbusy = (160+80+5+5) - (100+50) = 100; Δidle_all = 1100 - 850 = 250. */
	ok(sample_cpu_busy(&a, &b) > 28.57 && sample_cpu_busy(&a, &b) < 28.58,
	    "busy %% = 100·Δbusy/Δtotal (100/350)");
	ok(sample_cpu_busy(&b, &a) == 0, "counters that went back count as no time");
	is_int(procfs_stat_parse(S("intr 1 2 3\n"), &a, &ncpu), -1, "no cpu line: refused");
	is_int(procfs_stat_parse(S("cpu  x y\n"), &a, &ncpu), -1, "a cpu line without numbers");

	is_int(procfs_pidstat_parse(S("77 (a) b) (c) R 1 77 77 0 -1 0 0 0 0 0 250 50 0 0 20 0 3 0 "
	    "1234 999 12 0\n"), &p), 0, "stat with ')' in comm");
	is_str(p.comm, "a) b) (c", "comm is everything between the first '(' and the last ')'");
	ok(p.state == 'R' && p.utime == 250 && p.stime == 50 && p.starttime == 1234
	    && p.rss_pages == 12, "fields after the last ')': state, utime, stime, start, rss");
	ok(sample_proc_cpu(300, 3.0) > 99.9 && sample_proc_cpu(300, 3.0) < 100.1,
	    "%%CPU = 100·ticks/HZ/seconds: 300 ticks in 3 s is 100 %%");
	is_int(procfs_pidstat_parse(S("77 (cut short) R 1 2"), &p), -1, "a cut stat: refused");
	is_int(procfs_pidstat_parse(S("no parentheses"), &p), -1, "no comm: refused");

	is_int(procfs_meminfo_parse(S("MemTotal: 100 kB\nMemAvailable:  40 kB\n"), &m), 0,
	    "meminfo");
	ok(m.total_kb == 100 && m.avail_kb == 40, "MemTotal and MemAvailable");
	is_int(procfs_meminfo_parse(S("Cached: 5 kB\n"), &m), -1, "no MemTotal: refused");

	is_int(procfs_netdev_parse(S("h1\nh2\n  lo: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n"
	    "eth0:5 0 0 0 0 0 0 0 7 0 0 0 0 0 0 0\n"), v, 4, &n), 0, "net/dev");
	ok(n == 2 && v[0].rx == 1 && v[0].tx == 9 && !strcmp(v[1].name, "eth0") && v[1].rx == 5
	    && v[1].tx == 7, "rx is field 1, tx field 9; 'eth0:5' without a space");
	is_int(procfs_diskstats_parse(S(" 8 0 sda 1 0 10 0 2 0 20 0 0 0 0\n"
	    " 8 1 sda1 1 0 9 0 2 0 19 0 0 0 0\n 7 0 loop0 1 0 8 0 0 0 0 0 0 0 0\n"
	    " 259 0 nvme0n1 1 0 30 0 1 0 40 0 0 0 0\n 259 1 nvme0n1p1 1 0 3 0 1 0 4 0 0 0 0\n"),
	    v, 4, &n), 0, "diskstats");
	ok(n == 2 && !strcmp(v[0].name, "sda") && v[0].rx == 10 && v[0].tx == 20
	    && !strcmp(v[1].name, "nvme0n1"), "whole disks only: no partitions, no loop");

	is_int(procfs_cgroup_line(S("12:cpu:/x\n0::/user.slice/a\n"), path, sizeof path), 0,
	    "cgroup: the 0:: line");
	is_str(path, "/user.slice/a", "its path");
	is_int(procfs_cgroup_line(S("0::/../etc\n"), path, sizeof path), -1,
	    "a path that climbs out: refused");
	ok(procfs_keyed(S("usage_usec 12\nuser_usec 3\n"), "user_usec") == 3, "keyed value");
	ok(procfs_keyed(S("usage_usec 12\n"), "oom_kill") == -1, "absent key: -1");

	is_int(sample_metrics("cpu,disk"), METRIC_CPU | METRIC_DISK, "--metrics list");
	is_int(sample_metrics("cpu,,x"), -1, "an unknown metric");
	return done_testing();
}
