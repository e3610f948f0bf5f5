/*
 * How many cores this process may use, for sizing its request threads
 * (http.threads = 0): the CPUs its affinity allows (a container's cpuset)
 * and, below that, what a CPU quota allows (a container's --cpus, a
 * systemd CPUQuota=: cgroup v2 cpu.max, or v1's cfs_quota_us over
 * cfs_period_us), on this cgroup or any above it, wherever its hierarchy
 * is mounted (/proc/self/mountinfo). Layer: core.
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
 * A mountinfo path field up to the next space, its octal escapes
 * ("\040" for a space: proc(5)) decoded into out; the text after it, or
 * NULL when it does not fit.
 */
static const char *
mount_field(const char *p, char *out, size_t size)
{
	size_t n = 0;
	while (*p != '\0' && *p != ' ') {
		char c = *p++;
		if (c == '\\' && p[0] >= '0' && p[0] <= '3' && p[1] >= '0' &&
		    p[1] <= '7' && p[2] >= '0' && p[2] <= '7') {
			c = (char)((p[0] - '0') * 64 + (p[1] - '0') * 8 +
				(p[2] - '0'));
			p += 3;
		}
		if (n + 1 >= size)
			return NULL;
		out[n++] = c;
	}
	out[n] = '\0';
	return p;
}

/* The text after the n-th space of p (the start of field n + 1). */
static const char *
after_spaces(const char *p, int n)
{
	for (; p != NULL && n > 0; n--) {
		p = strchr(p, ' ');
		if (p != NULL)
			p++;
	}
	return p;
}

int
cores_cgroup_mount(const char *line, char *root, size_t root_size,
	char *point, size_t point_size)
{
	const char *p = after_spaces(line, 3);
	if (p == NULL || (p = mount_field(p, root, root_size)) == NULL ||
	    *p != ' ' || (p = mount_field(p + 1, point, point_size)) == NULL)
		return 0;
	/* The optional tags end at a lone "-"; then type, source, options. */
	const char *dash = strstr(p, " - ");
	if (dash == NULL)
		return 0;
	const char *type = dash + 3;
	if (strncmp(type, "cgroup2 ", 8) == 0)
		return 2;
	if (strncmp(type, "cgroup ", 7) != 0)
		return 0;
	const char *super = after_spaces(type, 2);
	if (super == NULL)
		return 0;
	char opts[512];
	size_t n = strcspn(super, " \n");
	if (n >= sizeof(opts))
		return 0;
	memcpy(opts, super, n);
	opts[n] = '\0';
	return has_cpu(opts) ? 1 : 0;
}

/* Where this process sees a hierarchy: its mount point and root in it. */
struct hierarchy {
	bool found;
	char root[PATH_MAX], point[PATH_MAX];
};

/*
 * The cgroup2 hierarchy and the v1 one with the cpu controller, wherever
 * they are mounted (/sys/fs/cgroup, /sys/fs/cgroup/unified on a hybrid
 * host, /sys/fs/cgroup/cpu,cpuacct on Debian's v1): the first of each.
 */
static void
hierarchies(struct hierarchy *v2, struct hierarchy *v1)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	if (f == NULL)
		return;
	char line[2 * PATH_MAX + 512];
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strchr(line, '\n') == NULL && !feof(f)) {
			/* Longer than any mount of ours: skip the rest of it. */
			int c;
			while ((c = fgetc(f)) != EOF && c != '\n')
				;
			continue;
		}
		char root[PATH_MAX], point[PATH_MAX];
		int v = cores_cgroup_mount(line, root, sizeof(root), point,
			sizeof(point));
		struct hierarchy *h = v == 2 ? v2 : v == 1 ? v1 : NULL;
		if (h == NULL || h->found)
			continue;
		h->found = true;
		memcpy(h->root, root, sizeof(root));
		memcpy(h->point, point, sizeof(point));
	}
	fclose(f);
}

/*
 * The quota on a cgroup (its path in /proc/self/cgroup) and each above
 * it that the mount shows: a container's mount may begin below the
 * hierarchy's top, and a cgroup outside the mount's root cannot be read.
 */
static unsigned
quota_in(const struct hierarchy *h, char *path, bool v2)
{
	if (!h->found)
		return 0;
	size_t r = strlen(h->root);
	if (strcmp(h->root, "/") != 0) {
		/* A cgroup outside what the mount shows: none of it is ours. */
		if (strncmp(path, h->root, r) != 0 ||
		    (path[r] != '/' && path[r] != '\0'))
			return 0;
		path += r;
	}
	const char *point = strcmp(h->point, "/") == 0 ? "" : h->point;
	return quota_up(point, path, v2);
}

/*
 * The CPU quota of this process's cgroup (/proc/self/cgroup: "0::PATH" on
 * v2, "N:cpu,cpuacct:PATH" or similar on v1), 0 for none.
 */
static unsigned
cgroup_quota(void)
{
	struct hierarchy v2 = { 0 }, v1 = { 0 };
	hierarchies(&v2, &v1);
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
			n = quota_in(&v2, path, true);
		else if (has_cpu(controllers))
			n = quota_in(&v1, path, false);
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
