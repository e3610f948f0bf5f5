/*
 * Fuzz target for a line of /proc/self/mountinfo as cores.c reads it
 * (cores_cgroup_mount, core/cores.c): the kernel writes it, but a mount
 * point's path is anyone's who may mount. Beyond not crashing: what is
 * taken fits the buffers given, is NUL-ended, and is a cgroup mount of
 * the kind said; without escapes, both paths are text of the line.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/cores.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 1024)
		return 0;
	char line[1025];
	memcpy(line, data, size);
	line[size] = '\0';
	char root[33], point[33];
	memset(root, 'x', sizeof(root));
	memset(point, 'x', sizeof(point));
	int v = cores_cgroup_mount(line, root, sizeof(root) - 1, point,
		sizeof(point) - 1);
	if (v < 0 || v > 2)
		abort();
	/* The last byte of each buffer was never given: never written. */
	if (root[sizeof(root) - 1] != 'x' || point[sizeof(point) - 1] != 'x')
		abort();
	if (v == 0)
		return 0;
	if (memchr(root, '\0', sizeof(root) - 1) == NULL ||
	    memchr(point, '\0', sizeof(point) - 1) == NULL)
		abort();
	if (strstr(line, v == 2 ? " - cgroup2 " : " - cgroup ") == NULL)
		abort();
	if (strchr(line, '\\') == NULL &&
	    (strstr(line, root) == NULL || strstr(line, point) == NULL))
		abort();
	return 0;
}
