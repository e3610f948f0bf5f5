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

#endif
