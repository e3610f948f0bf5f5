/*
 * How many cores this process may use (cores.c). Layer: core.
 */
#ifndef CORE_CORES_H
#define CORE_CORES_H

#include <stdbool.h>

/*
 * The cores this process may run on, at least 1: its CPU affinity (a
 * container's cpuset), and no more than a CPU quota on its cgroup, or on
 * any cgroup above it, allows (cgroup v2 cpu.max; v1 cpu.cfs_quota_us),
 * rounded up. For sizing a server's request threads.
 */
unsigned cores_usable(void);

/*
 * The cores a quota allows, rounded up, from a cgroup v2 cpu.max line
 * ("QUOTA PERIOD" in microseconds; "max PERIOD" for none) or v1's two
 * numbers written so (QUOTA -1 for none): 0 for no quota or a line not
 * understood.
 */
unsigned cores_quota(const char *cpu_max);

/*
 * A line of /proc/self/mountinfo (proc(5)): 2 for a cgroup2 mount, 1 for
 * a cgroup v1 mount with the cpu controller, 0 for any other (or a line
 * not understood or too long); for 1 and 2, the mount's root within its
 * hierarchy and its mount point, decoded, in root and point.
 */
int cores_cgroup_mount(const char *line, char *root, size_t root_size,
	char *point, size_t point_size);

#endif
