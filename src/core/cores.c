/*
 * How many cores this process may use, for sizing its request threads
 * (http.threads = 0): the CPUs its affinity allows (a container's cpuset)
 * and, below that, what a CPU quota allows (a container's --cpus, a
 * systemd CPUQuota=: cgroup v2 cpu.max, or v1's cfs_quota_us over
 * cfs_period_us), on this cgroup or any above it. Layer: core.
 *
 * Why the quota: a node given two cores' time on a 64-core host would
 * otherwise start 64 request threads, which take turns on the two cores'
 * time and answer the slowest requests later (bench B5: one thread a
 * core gave the lowest p99).
 */
#include "core/cores.h"

#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

unsigned
cores_quota(const char *cpu_max)
{
	if (cpu_max == NULL)
		return 0;
	/* "max" is no number, and v1's -1 no quota: both are none. */
	char *end;
	long long quota = strtoll(cpu_max, &end, 10);
	if (end == cpu_max || *end != ' ' || quota <= 0)
		return 0;
	const char *p = end;
	long long period = strtoll(p, &end, 10);
	if (end == p || period <= 0 || (*end != '\0' && *end != '\n'))
		return 0;
	/* Rounded up, without overflowing at the edge of long long. */
	long long n = quota / period + (quota % period != 0);
	return n > INT_MAX ? INT_MAX : (unsigned)n;
}

/* The first line of a file, or "" (nothing there or unreadable). */
static void
first_line(const char *path, char *buf, size_t size)
{
	buf[0] = '\0';
	FILE *f = fopen(path, "re");
	if (f == NULL)
		return;
	if (fgets(buf, (int)size, f) == NULL)
		buf[0] = '\0';
	fclose(f);
}

/* The quota on the cgroup at mount/path and each above it: the least. */
static unsigned
quota_up(const char *mount, char *path, bool v2)
{
	unsigned least = 0;
	for (;;) {
		char file[PATH_MAX + 64], line[128];
		if (v2) {
			snprintf(file, sizeof(file), "%s%s/cpu.max", mount, path);
			first_line(file, line, sizeof(line));
		} else {
			char q[64], p[64];
			snprintf(file, sizeof(file), "%s%s/cpu.cfs_quota_us",
				mount, path);
			first_line(file, q, sizeof(q));
			snprintf(file, sizeof(file), "%s%s/cpu.cfs_period_us",
				mount, path);
			first_line(file, p, sizeof(p));
			q[strcspn(q, "\n")] = '\0';
			snprintf(line, sizeof(line), "%s %s", q, p);
		}
		unsigned n = cores_quota(line);
		if (n > 0 && (least == 0 || n < least))
			least = n;
		char *slash = strrchr(path, '/');
		if (slash == NULL || path[0] == '\0')
			return least;
		*slash = '\0';
	}
}

/* Whether a v1 hierarchy's controller list ("cpu,cpuacct") has cpu. */
static bool
has_cpu(const char *controllers)
{
	size_t n;
	for (const char *p = controllers; *p != '\0'; p += n + (p[n] == ',')) {
		n = strcspn(p, ",");
		if (n == 3 && strncmp(p, "cpu", 3) == 0)
			return true;
	}
	return false;
}

/*
 * The CPU quota of this process's cgroup (/proc/self/cgroup: "0::PATH" on
 * v2, "N:cpu,cpuacct:PATH" or similar on v1), 0 for none.
 */
static unsigned
cgroup_quota(void)
{
	FILE *f = fopen("/proc/self/cgroup", "re");
	if (f == NULL)
		return 0;
	char line[PATH_MAX + 64];
	unsigned least = 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		size_t len = strcspn(line, "\n");
		if (line[len] != '\n' && !feof(f)) {
			/* Longer than any path: skip the rest of it. */
			int c;
			while ((c = fgetc(f)) != EOF && c != '\n')
				;
			continue;
		}
		line[len] = '\0';
		char *a = strchr(line, ':');
		char *b = a != NULL ? strchr(a + 1, ':') : NULL;
		if (b == NULL)
			continue;
		*a = *b = '\0';
		const char *controllers = a + 1;
		char *path = b + 1;
		if (strcmp(path, "/") == 0)
			path[0] = '\0';
		unsigned n = 0;
		if (controllers[0] == '\0')
			n = quota_up("/sys/fs/cgroup", path, true);
		else if (has_cpu(controllers))
			n = quota_up("/sys/fs/cgroup/cpu", path, false);
		if (n > 0 && (least == 0 || n < least))
			least = n;
	}
	fclose(f);
	return least;
}

unsigned
cores_usable(void)
{
	unsigned n = 0;
	cpu_set_t set;
	CPU_ZERO(&set);
	if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0)
		n = (unsigned)CPU_COUNT(&set);
	if (n == 0) {
		long online = sysconf(_SC_NPROCESSORS_ONLN);
		n = online > 0 ? (unsigned)online : 1;
	}
	unsigned quota = cgroup_quota();
	return quota > 0 && quota < n ? quota : n;
}
