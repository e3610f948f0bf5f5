/*
 * LD_PRELOAD shim for SECURITY.md 29 (SQLite's malloc-failure method): while
 * the file named by CAREMAIL_FAILMALLOC_ARM exists and holds a number N,
 * every Nth call to malloc or realloc returns NULL. Calls made
 * by code that aborts on a failed allocation by design are let through, so
 * what is tested is that every failure a library reports becomes a clean
 * temporary refusal: our own xmalloc (STYLE.md §4), GLib (under GMime) and
 * GMP (under GnuTLS). docs/design.md, "Libraries that abort", says why.
 * Test code only; never linked into caremail. Built with _GNU_SOURCE (the
 * project's flags) for RTLD_NEXT and dl_iterate_phdr.
 */
#include <dlfcn.h>
#include <link.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

int failmalloc_callers(struct dl_phdr_info *info, size_t size, void *data);

#define RANGES_MAX 8

static struct {
	uintptr_t start, end;
} exempt[RANGES_MAX];
static size_t exempt_count;
static const char *arm_path;
static atomic_ulong every;
static atomic_ulong calls;
static atomic_ulong armed_as;	/* inode and mtime of the file read */
static void *(*real_malloc)(size_t);
static void *(*real_realloc)(void *, size_t);

/* Records the loaded ranges of the objects whose failures abort. */
int
failmalloc_callers(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)size;
	(void)data;
	const char *name = info->dlpi_name;
	bool main_program = name == NULL || name[0] == '\0';
	if (!main_program && strstr(name, "libglib-2.0") == NULL &&
	    strstr(name, "libgmp") == NULL)
		return 0;
	for (int i = 0; i < info->dlpi_phnum && exempt_count < RANGES_MAX;
	     i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_LOAD || (ph->p_flags & PF_X) == 0)
			continue;
		exempt[exempt_count].start = info->dlpi_addr + ph->p_vaddr;
		exempt[exempt_count].end = exempt[exempt_count].start +
			ph->p_memsz;
		exempt_count++;
	}
	return 0;
}

/* Libraries' constructors may allocate before ours runs: resolve lazily. */
static void
resolve(void)
{
	if (real_malloc == NULL)
		real_malloc = (void *(*)(size_t))dlsym(RTLD_NEXT, "malloc");
	if (real_realloc == NULL)
		real_realloc = (void *(*)(void *, size_t))dlsym(RTLD_NEXT,
			"realloc");
}

__attribute__((constructor)) static void
failmalloc_init(void)
{
	resolve();
	arm_path = getenv("CAREMAIL_FAILMALLOC_ARM");
	dl_iterate_phdr(failmalloc_callers, NULL);
}

/* N from the arm file, read again when the file changes; 0 when absent. */
static unsigned long
armed_every(void)
{
	struct stat st;
	if (arm_path == NULL || stat(arm_path, &st) != 0)
		return 0;
	unsigned long id = (unsigned long)st.st_ino * 1000003u ^
		(unsigned long)st.st_mtim.tv_nsec ^ (unsigned long)st.st_mtime;
	if (atomic_exchange(&armed_as, id) != id) {
		char buf[32] = "";
		int fd = open(arm_path, O_RDONLY);
		if (fd >= 0) {
			ssize_t n = read(fd, buf, sizeof(buf) - 1);
			buf[n > 0 ? n : 0] = '\0';
			close(fd);
		}
		atomic_store(&every, strtoul(buf, NULL, 10));
		atomic_store(&calls, 0);
	}
	return atomic_load(&every);
}

static bool
should_fail(uintptr_t caller)
{
	for (size_t i = 0; i < exempt_count; i++) {
		if (caller >= exempt[i].start && caller < exempt[i].end)
			return false;
	}
	unsigned long n = armed_every();
	return n != 0 && atomic_fetch_add(&calls, 1) % n == n - 1;
}

void *
malloc(size_t n)
{
	resolve();
	if (should_fail((uintptr_t)__builtin_return_address(0)))
		return NULL;
	return real_malloc(n);
}

void *
realloc(void *p, size_t n)
{
	resolve();
	if (n != 0 && should_fail((uintptr_t)__builtin_return_address(0)))
		return NULL;
	return real_realloc(p, n);
}
