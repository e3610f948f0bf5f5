/*
 * Unit tests for the core layer: arenas, spans and string builders, the error
 * type, the clock, the config table and parser, atomic files and logging.
 * Rules are checked with tables of cases; every fixed core bug has a test.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <pthread.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "core/arena.h"
#include "core/cidr.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/cores.h"
#include "core/error.h"
#include "core/file.h"
#include "core/https.h"
#include "core/json_text.h"
#include "core/periodic.h"
#include "core/log.h"
#include "core/str.h"
#include "core/xmalloc.h"

#define N_ELEMENTS(a) (sizeof(a) / sizeof(*(a)))

/* Substring checks print both strings, so a failure says what was there. */
static void
assert_contains_at(const char *hay, const char *needle, const char *file,
	int line)
{
	if (hay == NULL || strstr(hay, needle) == NULL) {
		print_error("'%s' does not contain '%s'\n",
			hay != NULL ? hay : "(null)", needle);
		_fail(file, line);
	}
}
#define assert_contains(hay, needle) \
	assert_contains_at((hay), (needle), __FILE__, __LINE__)

static bool
all_bytes_are(const void *p, size_t n, unsigned char value)
{
	const unsigned char *b = p;
	for (size_t i = 0; i < n; i++) {
		if (b[i] != value)
			return false;
	}
	return true;
}

/* Runs fn in a child process and asserts that it aborts. */
static void
assert_aborts(void (*fn)(void))
{
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int fd = open("/dev/null", O_WRONLY);
		if (fd >= 0)
			dup2(fd, STDERR_FILENO);
		fn();
		_exit(0);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGABRT);
}

/* ---- arena ---- */

static void
test_arena_alignment_and_separation(void **state)
{
	static const size_t sizes[] = { 1, 2, 3, 7, 8, 15, 16, 17, 33, 100,
					1000, 5000, 4097 };
	struct arena *a = arena_new(1 << 20);
	unsigned char *p[N_ELEMENTS(sizes)];
	for (size_t i = 0; i < N_ELEMENTS(sizes); i++) {
		p[i] = arena_alloc(a, sizes[i]);
		assert_non_null(p[i]);
		assert_int_equal((uintptr_t)p[i] % _Alignof(max_align_t), 0);
		memset(p[i], (int)i + 1, sizes[i]);
	}
	/* No allocation overlaps another: each still holds its own byte. */
	for (size_t i = 0; i < N_ELEMENTS(sizes); i++)
		assert_true(all_bytes_are(p[i], sizes[i],
			(unsigned char)(i + 1)));
	arena_free(&a);
	assert_null(a);
}

static void
test_arena_zeroes_memory(void **state)
{
	struct arena *a = arena_new(1 << 20);
	unsigned char *p = arena_alloc(a, 256);
	assert_non_null(p);
	assert_true(all_bytes_are(p, 256, 0));
	memset(p, 0xAA, 256);
	arena_reset(a);
	/* The first block is kept, so the same memory comes back: zeroed. */
	unsigned char *q = arena_alloc(a, 256);
	assert_ptr_equal(p, q);
	assert_true(all_bytes_are(q, 256, 0));
	arena_free(&a);
}

static void
test_arena_cap(void **state)
{
	struct arena *a = arena_new(100);
	assert_non_null(arena_alloc(a, 64));
	assert_int_equal(arena_used(a), 64);
	/* 40 rounds up to 48, and 64 + 48 passes the cap of 100. */
	assert_null(arena_alloc(a, 40));
	assert_int_equal(arena_used(a), 64);
	assert_non_null(arena_alloc(a, 32));
	assert_int_equal(arena_used(a), 96);
	assert_null(arena_alloc(a, 1));
	assert_null(arena_strdup(a, "x"));
	assert_null(arena_printf(a, "%d", 1));
	/* A reset gives the whole cap back. */
	arena_reset(a);
	assert_int_equal(arena_used(a), 0);
	assert_non_null(arena_alloc(a, 96));
	assert_null(arena_alloc(a, 16));
	arena_free(&a);
}

static void
test_arena_huge_requests_fail(void **state)
{
	struct arena *a = arena_new(1 << 20);
	assert_null(arena_alloc(a, SIZE_MAX));
	assert_null(arena_alloc(a, SIZE_MAX - 3));
	assert_null(arena_alloc(a, (1 << 20) + 1));
	assert_int_equal(arena_used(a), 0);
	arena_free(&a);

	/*
	 * Even with no cap to speak of, a size whose block header would
	 * overflow the allocation must fail, not corrupt the heap.
	 */
	a = arena_new(SIZE_MAX);
	assert_null(arena_alloc(a, SIZE_MAX - 20));
	assert_null(arena_alloc(a, SIZE_MAX - 3));
	assert_non_null(arena_alloc(a, 10));
	arena_free(&a);
}

static void
test_arena_large_allocations(void **state)
{
	struct arena *a = arena_new(1 << 22);
	char *small = arena_alloc(a, 10);
	unsigned char *big = arena_alloc(a, 100000);
	assert_non_null(small);
	assert_non_null(big);
	assert_int_equal((uintptr_t)big % _Alignof(max_align_t), 0);
	assert_true(all_bytes_are(big, 100000, 0));
	memset(big, 0x55, 100000);
	/* The big block is private: small ones keep filling the first. */
	char *small2 = arena_alloc(a, 10);
	assert_ptr_equal(small2, small + 16);
	assert_int_equal(arena_used(a), 16 + 100000 + 16);
	assert_true(all_bytes_are(big, 100000, 0x55));

	/* Many allocations across several blocks keep their contents. */
	unsigned char *many[1000];
	for (size_t i = 0; i < N_ELEMENTS(many); i++) {
		many[i] = arena_alloc(a, 100);
		assert_non_null(many[i]);
		assert_true(all_bytes_are(many[i], 100, 0));
		memset(many[i], (int)(i % 251), 100);
	}
	for (size_t i = 0; i < N_ELEMENTS(many); i++)
		assert_true(all_bytes_are(many[i], 100,
			(unsigned char)(i % 251)));

	/*
	 * The first block is kept by a reset even though the big block was
	 * linked behind it.
	 */
	arena_reset(a);
	assert_int_equal(arena_used(a), 0);
	assert_ptr_equal(arena_alloc(a, 10), small);
	big = arena_alloc(a, 200000);
	assert_non_null(big);
	assert_true(all_bytes_are(big, 200000, 0));
	arena_free(&a);
}

static void
test_arena_strings(void **state)
{
	struct arena *a = arena_new(1 << 20);
	const char *src = "hello";
	char *d = arena_strdup(a, src);
	assert_string_equal(d, "hello");
	assert_ptr_not_equal(d, src);
	assert_string_equal(arena_strndup(a, "hello world", 5), "hello");
	assert_string_equal(arena_strndup(a, "", 0), "");
	assert_string_equal(arena_printf(a, "%s-%d-%c", "x", 42, 'z'),
		"x-42-z");
	char *wide = arena_printf(a, "%*d", 10000, 7);
	assert_non_null(wide);
	assert_int_equal(strlen(wide), 10000);
	assert_int_equal(wide[9999], '7');
	arena_free(&a);

	a = arena_new(32);
	assert_null(arena_strdup(a,
		"a string much longer than thirty-two bytes"));
	assert_null(arena_printf(a, "%040d", 1));
	/* A failure spends nothing: a small string still fits. */
	assert_int_equal(arena_used(a), 0);
	assert_string_equal(arena_strdup(a, "fits"), "fits");
	arena_free(&a);
}

static void
test_arena_wiping(void **state)
{
	static const char secret[] = "correct horse battery staple";
	struct arena *a = arena_new_wiping(4096);
	char *p = arena_alloc(a, sizeof(secret));
	assert_non_null(p);
	memcpy(p, secret, sizeof(secret));
	arena_reset(a);
	/* The kept block is still ours to read: the secret must be gone. */
	assert_true(all_bytes_are(p, sizeof(secret), 0));
	char *q = arena_strdup(a, "after");
	assert_string_equal(q, "after");
	arena_free(&a);
	assert_null(a);
}

static void
test_arena_array_push(void **state)
{
	struct arena *a = arena_new(1 << 20);
	int64_t *items = NULL;
	size_t count = 0;
	size_t capacity = 0;
	for (int64_t i = 0; i < 1000; i++) {
		int64_t *slot = arena_array_push(a, (void **)&items, &count,
			&capacity, sizeof(*items));
		assert_non_null(slot);
		assert_true(*slot == 0);
		*slot = i * 3;
	}
	assert_int_equal(count, 1000);
	assert_true(capacity >= 1000);
	/* Growing moved the array; every element came along. */
	for (int64_t i = 0; i < 1000; i++)
		assert_true(items[i] == i * 3);
	arena_free(&a);

	/* Past the cap a push fails and leaves the array as it was. */
	a = arena_new(1024);
	items = NULL;
	count = 0;
	capacity = 0;
	int64_t *slot;
	while ((slot = arena_array_push(a, (void **)&items, &count, &capacity,
		sizeof(*items))) != NULL)
		*slot = (int64_t)count;
	assert_true(count > 0 && count < 1024 / sizeof(*items));
	size_t full = count;
	assert_null(arena_array_push(a, (void **)&items, &count, &capacity,
		sizeof(*items)));
	assert_int_equal(count, full);
	for (size_t i = 0; i < count; i++)
		assert_true(items[i] == (int64_t)i + 1);
	arena_free(&a);
}

static void
test_arena_null_safe(void **state)
{
	struct arena *a = NULL;
	arena_free(&a);
	arena_free(NULL);
	arena_reset(NULL);
	assert_null(a);
}

/*
 * xmalloc_written: every whole page of a large block is present before
 * anything is written to it (mincore), whatever its size and alignment,
 * where the kernel can make it so; without the call a fresh malloc of
 * more than the C library's threshold is mapped but not present.
 */
static void
test_xmalloc_written_pages_present(void **state)
{
	(void)state;
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	void *probe = mmap(NULL, page, PROT_READ | PROT_WRITE,
		MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(probe != MAP_FAILED);
	int supported = madvise(probe, page, 23 /* MADV_POPULATE_WRITE */);
	munmap(probe, page);
	if (supported != 0)
		skip();	/* a kernel before 5.14 */
	/* Just past the 16 pages left alone, odd sizes, and 4 MiB. */
	const size_t sizes[] = { 18 * page + 1, (1 << 20) + 7, 3 * (1 << 20)
		- 5, 4 << 20 };
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		size_t size = sizes[k];
		unsigned char *p = xmalloc_written(size);
		uintptr_t start = ((uintptr_t)p + page - 1) &
			~(uintptr_t)(page - 1);
		uintptr_t end = ((uintptr_t)p + size) & ~(uintptr_t)(page - 1);
		size_t pages = (end - start) / page;
		unsigned char *present = xmalloc(pages);
		assert_int_equal(mincore((void *)start, end - start, present),
			0);
		size_t resident = 0;
		for (size_t i = 0; i < pages; i++)
			resident += present[i] & 1;
		if (resident != pages)
			fail_msg("%zu bytes: %zu of %zu pages present", size,
				resident, pages);
		memset(p, 0xa5, size);	/* and it is ordinary memory */
		free(present);
		free(p);
	}
}

/* ---- span and str ---- */

/* Joins every piece span_split yields as "[a][b]" for comparison. */
static void
split_all(const char *text, char sep, char *out, size_t size)
{
	struct span rest = span_from_cstr(text);
	struct span head;
	out[0] = '\0';
	size_t used = 0;
	while (span_split(&rest, sep, &head)) {
		int n = snprintf(out + used, size - used, "[%.*s]",
			(int)head.len, head.p);
		assert_true(n > 0 && (size_t)n < size - used);
		used += (size_t)n;
	}
	assert_int_equal(rest.len, 0);
}

static void
test_span_split(void **state)
{
	static const struct {
		const char *in;
		char sep;
		const char *pieces;
	} cases[] = {
		{ "a,b,,c", ',', "[a][b][][c]" },
		{ "abc", ',', "[abc]" },
		{ "", ',', "" },
		{ "a,", ',', "[a]" },
		{ ",a", ',', "[][a]" },
		{ ",,", ',', "[][]" },
		{ "key=value=x", '=', "[key][value][x]" },
		{ "line1\nline2\n", '\n', "[line1][line2]" },
	};
	char out[128];
	for (size_t i = 0; i < N_ELEMENTS(cases); i++) {
		split_all(cases[i].in, cases[i].sep, out, sizeof(out));
		assert_string_equal(out, cases[i].pieces);
	}

	/* A span stops at its length, not at a NUL. */
	struct span s = span_make("a:b:c", 3);
	struct span head;
	assert_true(span_split(&s, ':', &head));
	assert_true(span_eq(head, "a"));
	assert_true(span_split(&s, ':', &head));
	assert_true(span_eq(head, "b"));
	assert_false(span_split(&s, ':', &head));
}

static void
test_span_trim(void **state)
{
	static const struct {
		const char *in;
		const char *out;
	} cases[] = {
		{ "  x  ", "x" },
		{ "\t\r\nx y\r\n", "x y" },
		{ "", "" },
		{ " \t\r\n ", "" },
		{ "x", "x" },
		{ "a  b", "a  b" },
	};
	for (size_t i = 0; i < N_ELEMENTS(cases); i++) {
		struct span t = span_trim(span_from_cstr(cases[i].in));
		assert_true(span_eq(t, cases[i].out));
	}
}

static void
test_span_compare(void **state)
{
	static const struct {
		const char *a;
		const char *b;
		bool eq_nocase;
	} cases[] = {
		{ "hello", "hello", true },
		{ "HeLLo", "hello", true },
		{ "MAIL FROM", "mail from", true },
		{ "hello", "hell", false },
		{ "hell", "hello", false },
		{ "", "", true },
		{ "a", "b", false },
		/* ASCII only: Latin-1 and UTF-8 bytes are not folded. */
		{ "\xc4", "\xe4", false },
		{ "\xc3\x84", "\xc3\xa4", false },
		/* '@' and '`' sit next to the letters; no off-by-one. */
		{ "@", "`", false },
		{ "[", "{", false },
	};
	for (size_t i = 0; i < N_ELEMENTS(cases); i++) {
		struct span a = span_from_cstr(cases[i].a);
		if (span_eq_nocase(a, cases[i].b) != cases[i].eq_nocase)
			fail_msg("span_eq_nocase('%s', '%s')", cases[i].a,
				cases[i].b);
	}
	struct span s = span_make("hello", 4);
	assert_true(span_eq(s, "hell"));
	assert_false(span_eq(s, "hello"));
	assert_false(span_eq(s, "HELL"));
	assert_true(span_starts_with(s, "he"));
	assert_true(span_starts_with(s, ""));
	assert_true(span_starts_with(s, "hell"));
	assert_false(span_starts_with(s, "hello"));
	/* The empty span of a NULL string compares without touching it. */
	struct span null_span = span_from_cstr(NULL);
	assert_int_equal(null_span.len, 0);
	assert_true(span_eq(null_span, ""));
	assert_false(span_eq(null_span, "x"));
	assert_true(span_eq_nocase(null_span, ""));
	assert_true(span_starts_with(null_span, ""));
	assert_false(span_starts_with(null_span, "x"));
}

static void
test_span_to_u64(void **state)
{
	static const struct {
		const char *in;
		bool ok;
		uint64_t value;
	} cases[] = {
		{ "0", true, 0 },
		{ "007", true, 7 },
		{ "42", true, 42 },
		{ "18446744073709551615", true, UINT64_MAX },
		{ "18446744073709551616", false, 0 },
		{ "18446744073709551620", false, 0 },
		{ "99999999999999999999", false, 0 },
		{ "184467440737095516150", false, 0 },
		{ "", false, 0 },
		{ "-1", false, 0 },
		{ "+1", false, 0 },
		{ " 1", false, 0 },
		{ "1 ", false, 0 },
		{ "12a", false, 0 },
		{ "0x10", false, 0 },
		{ "1.5", false, 0 },
	};
	for (size_t i = 0; i < N_ELEMENTS(cases); i++) {
		uint64_t v = 12345;
		bool ok = span_to_u64(span_from_cstr(cases[i].in), &v);
		if (ok != cases[i].ok)
			fail_msg("span_to_u64('%s') returned %d", cases[i].in,
				ok);
		/* A failure leaves the output alone. */
		assert_true(v == (ok ? cases[i].value : 12345));
	}
	uint64_t v;
	assert_true(span_to_u64(span_make("123456", 3), &v));
	assert_int_equal(v, 123);
}

static void
test_span_dup(void **state)
{
	struct arena *a = arena_new(1024);
	char *d = span_dup(span_make("abcdef", 3), a);
	assert_string_equal(d, "abc");
	arena_free(&a);
	a = arena_new(8);
	assert_null(span_dup(span_from_cstr("more than eight bytes"), a));
	arena_free(&a);
}

static void
test_span_dup_lower(void **state)
{
	(void)state;
	static const struct {
		const char *in;
		size_t len;
		const char *want;
	} cases[] = {
		{ "Text/PLAIN; x", 10, "text/plain" },
		{ "rsa-SHA256", 10, "rsa-sha256" },
		{ "Mail.Example.ORG", 16, "mail.example.org" },
		{ "", 0, "" },
		/* ASCII only: bytes past 127 stay as they are. */
		{ "\xc3\x89T\xc3\xa9", 5, "\xc3\x89t\xc3\xa9" },
	};
	struct arena *a = arena_new(1024);
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct span in = span_make(cases[i].in, cases[i].len);
		char *d = span_dup_lower(in, a);
		assert_non_null(d);
		assert_string_equal(d, cases[i].want);
		/* A copy: the text read is left as it was. */
		assert_ptr_not_equal(d, cases[i].in);
	}
	arena_free(&a);
	a = arena_new(8);
	assert_null(span_dup_lower(span_from_cstr("MORE THAN EIGHT BYTES"),
		a));
	arena_free(&a);
}

static void
test_str_growth(void **state)
{
	struct arena *a = arena_new(1 << 20);
	struct str s;
	str_init(&s, a, 100000);
	assert_string_equal(str_cstr(&s), "");
	assert_int_equal(s.len, 0);
	for (int i = 0; i < 5000; i++)
		assert_int_equal(str_append_char(&s, (char)('a' + i % 26)), 0);
	assert_int_equal(s.len, 5000);
	assert_true(s.cap > 5000);
	assert_int_equal(strlen(str_cstr(&s)), 5000);
	for (int i = 0; i < 5000; i++)
		assert_int_equal(s.p[i], 'a' + i % 26);

	struct str f;
	str_init(&f, a, 100000);
	assert_int_equal(str_appendf(&f, "%s=%d", "count", 3), 0);
	assert_int_equal(str_append_cstr(&f, "; "), 0);
	assert_int_equal(str_appendf(&f, "%05d", 42), 0);
	assert_string_equal(str_cstr(&f), "count=3; 00042");
	assert_int_equal(str_appendf(&f, "%*s", 3000, "end"), 0);
	assert_int_equal(f.len, 14 + 3000);
	assert_string_equal(str_cstr(&f) + f.len - 3, "end");

	/* Binary-safe: a NUL inside is data. */
	struct str b;
	str_init(&b, a, 100);
	assert_int_equal(str_append(&b, "a\0b", 3), 0);
	assert_int_equal(b.len, 3);
	assert_memory_equal(b.p, "a\0b", 4);
	arena_free(&a);
}

static void
test_str_max(void **state)
{
	struct arena *a = arena_new(1 << 20);
	struct str s;
	str_init(&s, a, 8);
	assert_int_equal(str_append_cstr(&s, "1234"), 0);
	assert_int_equal(str_appendf(&s, "%d", 5678), 0);
	assert_string_equal(str_cstr(&s), "12345678");
	/* Full: every kind of append fails and changes nothing. */
	assert_int_equal(str_append_char(&s, '9'), -1);
	assert_int_equal(str_append_cstr(&s, "9"), -1);
	assert_int_equal(str_appendf(&s, "%d", 9), -1);
	assert_int_equal(s.len, 8);
	assert_string_equal(str_cstr(&s), "12345678");
	/* Appending nothing is fine even when full. */
	assert_int_equal(str_append(&s, "", 0), 0);
	assert_int_equal(str_appendf(&s, "%s", ""), 0);

	struct str t;
	str_init(&t, a, 8);
	assert_int_equal(str_append_cstr(&t, "123456789"), -1);
	assert_int_equal(t.len, 0);
	assert_string_equal(str_cstr(&t), "");
	assert_int_equal(str_appendf(&t, "%s", "123456789"), -1);
	assert_int_equal(str_append(&t, "x", SIZE_MAX), -1);
	arena_free(&a);

	/* The arena's cap stops a builder whose own max is larger. */
	a = arena_new(64);
	str_init(&s, a, 1000);
	char block[100];
	memset(block, 'x', sizeof(block));
	assert_int_equal(str_append(&s, block, sizeof(block)), -1);
	assert_int_equal(s.len, 0);
	assert_int_equal(str_append(&s, block, 10), 0);
	arena_free(&a);
}

static void
test_str_copy(void **state)
{
	static const struct {
		const char *src;
		size_t size;
		int rc;
		const char *out;
	} cases[] = {
		{ "abc", 4, 0, "abc" },
		{ "abcd", 4, -1, "abc" },
		{ "abcdefgh", 4, -1, "abc" },
		{ "", 4, 0, "" },
		{ "a", 1, -1, "" },
		{ "", 1, 0, "" },
	};
	for (size_t i = 0; i < N_ELEMENTS(cases); i++) {
		char buf[8];
		memset(buf, '#', sizeof(buf));
		assert_int_equal(str_copy(buf, cases[i].size, cases[i].src),
			cases[i].rc);
		assert_string_equal(buf, cases[i].out);
		/* Nothing is written past size. */
		assert_int_equal(buf[cases[i].size], '#');
	}
	char untouched[2] = { '#', '#' };
	assert_int_equal(str_copy(untouched, 0, "x"), -1);
	assert_int_equal(untouched[0], '#');
}

static void
test_str_ascii(void **state)
{
	char s[] = "HeLLo-123 \xc4Z@[`{";
	str_lower_inplace(s);
	assert_string_equal(s, "hello-123 \xc4z@[`{");
	assert_true(str_is_ascii_digit('0'));
	assert_true(str_is_ascii_digit('9'));
	assert_false(str_is_ascii_digit('/'));
	assert_false(str_is_ascii_digit(':'));
	assert_true(str_is_ascii_alpha('a'));
	assert_true(str_is_ascii_alpha('Z'));
	assert_false(str_is_ascii_alpha('@'));
	assert_false(str_is_ascii_alpha('['));
	assert_false(str_is_ascii_alpha('`'));
	assert_false(str_is_ascii_alpha('{'));
	assert_false(str_is_ascii_alpha((char)0xc4));
	assert_int_equal(str_ascii_lower('Q'), 'q');
	assert_int_equal(str_ascii_lower('q'), 'q');
	assert_int_equal(str_ascii_lower('@'), '@');
	/* Hex digits of both cases, and the neighbours of each range. */
	const char *hex = "0123456789abcdefABCDEF";
	for (int i = 0; hex[i] != '\0'; i++)
		assert_int_equal(str_hex_value(hex[i]), i < 16 ? i : i - 6);
	for (const char *p = "/:@G`g \xff"; *p != '\0'; p++)
		assert_int_equal(str_hex_value(*p), -1);
}

/* A quoted-string (RFC 5322 §3.2.4): quotes and backslashes escaped. */
static void
test_str_quoted(void **state)
{
	struct arena *a = arena_new(4096);
	struct str s;
	str_init(&s, a, 64);
	assert_int_equal(str_append_quoted(&s, "Smith, \"Jo\" \\ Co"), 0);
	assert_string_equal(str_cstr(&s), "\"Smith, \\\"Jo\\\" \\\\ Co\"");
	str_init(&s, a, 64);
	assert_int_equal(str_append_quoted(&s, ""), 0);
	assert_string_equal(str_cstr(&s), "\"\"");
	/* Past the string's limit it fails, as every append does. */
	str_init(&s, a, 4);
	assert_int_equal(str_append_quoted(&s, "abcdef"), -1);
	arena_free(&a);
}

/* ---- error ---- */

static void
test_error_set(void **state)
{
	struct error err;
	memset(&err, 0, sizeof(err));
	assert_int_equal(error_set(&err, ERROR_NOT_FOUND, "no user %s (%d)",
		"alice", 7), -1);
	assert_int_equal(err.code, ERROR_NOT_FOUND);
	assert_string_equal(err.msg, "no user alice (7)");
	assert_string_equal(err.field, "");

	assert_int_equal(error_set_field(&err, ERROR_INVALID, "store.path",
		"bad %s", "path"), -1);
	assert_int_equal(err.code, ERROR_INVALID);
	assert_string_equal(err.field, "store.path");
	assert_string_equal(err.msg, "bad path");

	/* A later error without a field does not keep the old one. */
	error_set(&err, ERROR_LIMIT, "too big");
	assert_string_equal(err.field, "");
	assert_int_equal(err.code, ERROR_LIMIT);

	error_clear(&err);
	assert_int_equal(err.code, ERROR_NONE);
	assert_string_equal(err.msg, "");
	assert_string_equal(err.field, "");

	struct error inner;
	error_set_field(&inner, ERROR_EXISTS, "address", "taken");
	assert_int_equal(error_forward(&err, &inner), -1);
	assert_int_equal(err.code, ERROR_EXISTS);
	assert_string_equal(err.field, "address");
	assert_string_equal(err.msg, "taken");
	assert_int_equal(error_forward(NULL, &inner), -1);
	assert_int_equal(error_forward(&err, &err), -1);
	assert_string_equal(err.msg, "taken");
}

static void
test_error_null_and_truncation(void **state)
{
	assert_int_equal(error_set(NULL, ERROR_INTERNAL, "x %s", "y"), -1);
	assert_int_equal(error_set_field(NULL, ERROR_INVALID, "f", "x"), -1);
	error_clear(NULL);

	char longer[1000];
	memset(longer, 'm', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = '\0';
	struct error err;
	error_set_field(&err, ERROR_INVALID, longer, "%s", longer);
	assert_int_equal(strlen(err.field), sizeof(err.field) - 1);
	assert_int_equal(strlen(err.msg), sizeof(err.msg) - 1);
	assert_int_equal(err.code, ERROR_INVALID);
}

static void
test_error_code_names(void **state)
{
	static const struct {
		enum error_code code;
		const char *name;
	} cases[] = {
		{ ERROR_NONE, "none" },
		{ ERROR_NOT_FOUND, "not_found" },
		{ ERROR_EXISTS, "exists" },
		{ ERROR_DENIED, "denied" },
		{ ERROR_LIMIT, "limit" },
		{ ERROR_INVALID, "invalid" },
		{ ERROR_TEMPORARY, "temporary" },
		{ ERROR_INTERNAL, "internal" },
		{ (enum error_code)99, "internal" },
	};
	for (size_t i = 0; i < N_ELEMENTS(cases); i++)
		assert_string_equal(error_code_name(cases[i].code),
			cases[i].name);
}

/* ---- clock ---- */

static const struct {
	int64_t t;
	const char *iso;
} clock_vectors[] = {
	{ 0, "1970-01-01T00:00:00Z" },
	{ 1795348800, "2026-11-22T12:00:00Z" },
	{ 1795305600, "2026-11-22T00:00:00Z" },
	{ 951782400, "2000-02-29T00:00:00Z" },
	{ 1709251199, "2024-02-29T23:59:59Z" },
	{ -1, "1969-12-31T23:59:59Z" },
	{ -2203891200, "1900-03-01T00:00:00Z" },
	{ 253402300799, "9999-12-31T23:59:59Z" },
};

static void
test_clock_format(void **state)
{
	char buf[32];
	for (size_t i = 0; i < N_ELEMENTS(clock_vectors); i++) {
		clock_format_iso(clock_vectors[i].t, buf, sizeof(buf));
		assert_string_equal(buf, clock_vectors[i].iso);
	}
	/* Exactly the documented minimum size. */
	char small[21];
	clock_format_iso(1795348800, small, sizeof(small));
	assert_string_equal(small, "2026-11-22T12:00:00Z");
}

static void
test_clock_parse_vectors(void **state)
{
	for (size_t i = 0; i < N_ELEMENTS(clock_vectors); i++) {
		int64_t t = 0;
		assert_true(clock_parse(span_from_cstr(clock_vectors[i].iso),
			&t));
		assert_true(t == clock_vectors[i].t);
	}
	int64_t t;
	assert_true(clock_parse(span_from_cstr("2026-11-22"), &t));
	assert_true(t == 1795305600);
	assert_true(clock_parse(span_from_cstr("1795348800"), &t));
	assert_true(t == 1795348800);
	assert_true(clock_parse(span_from_cstr("0"), &t));
	assert_true(t == 0);
	assert_true(clock_parse(span_from_cstr("2024-02-29"), &t));
	assert_true(clock_parse(span_from_cstr("2000-02-29"), &t));
	assert_true(clock_parse(span_from_cstr("9223372036854775807"), &t));
	assert_true(t == INT64_MAX);
	/* The span's length counts, not a NUL after it. */
	assert_true(clock_parse(span_make("2026-11-22T12:00:00Zjunk", 20),
		&t));
	assert_true(t == 1795348800);
}

static void
test_clock_round_trip(void **state)
{
	char buf[32];
	/* A prime step visits every second-of-minute and time of day. */
	for (int64_t t = -2208988800; t < 4102444800; t += 7919 * 1009) {
		clock_format_iso(t, buf, sizeof(buf));
		int64_t back;
		if (!clock_parse(span_from_cstr(buf), &back) || back != t)
			fail_msg("%lld formats as %s, which parses back wrong",
				(long long)t, buf);
	}
}

static void
test_clock_parse_rejects(void **state)
{
	static const char *const bad[] = {
		"",
		"-5",
		"12a",
		"99999999999999999999",
		"9223372036854775808",
		"2026-13-01",
		"2026-00-10",
		"2026-11-00",
		"2026-11-32",
		"2026-02-29",
		"2026-02-30",
		"1900-02-29",
		"2026-04-31",
		"2026-06-31",
		"2026-09-31",
		"2026-11-31",
		"2026-11-22T24:00:00Z",
		"2026-11-22T12:60:00Z",
		"2026-11-22T12:00:61Z",
		"2026-11-22 12:00:00Z",
		"2026-11-22T12:00:00",
		"2026-11-22T12:00:00z",
		"2026-11-22T12:00:00+01:00",
		"2026-11-22T12:00Z",
		"2026-1-22",
		"2026/11/22",
		"26-11-22",
		"2026-11-2x",
		"+026-11-22",
		" 2026-11-22",
	};
	for (size_t i = 0; i < N_ELEMENTS(bad); i++) {
		int64_t t = 777;
		if (clock_parse(span_from_cstr(bad[i]), &t))
			fail_msg("clock_parse accepted '%s' as %lld", bad[i],
				(long long)t);
		assert_true(t == 777);
	}
}

static void
test_clock_now_override(void **state)
{
	assert_int_equal(setenv("CAREMAIL_NOW", "1795348800", 1), 0);
	assert_true(clock_now() == 1795348800);
	assert_int_equal(setenv("CAREMAIL_NOW", "0", 1), 0);
	assert_true(clock_now() == 0);

	/* Anything else, even out of range, falls back to the real clock. */
	static const char *const ignored[] = { "soon", "", "-5",
					       "18446744073709551615" };
	for (size_t i = 0; i < N_ELEMENTS(ignored); i++) {
		assert_int_equal(setenv("CAREMAIL_NOW", ignored[i], 1), 0);
		int64_t now = clock_now();
		int64_t real = (int64_t)time(NULL);
		assert_true(now >= real - 5 && now <= real + 5);
	}
	assert_int_equal(unsetenv("CAREMAIL_NOW"), 0);
	int64_t real = (int64_t)time(NULL);
	int64_t now = clock_now();
	assert_true(now >= real - 5 && now <= real + 5);

	int64_t m1 = clock_monotonic_ms();
	int64_t m2 = clock_monotonic_ms();
	assert_true(m1 > 0 && m2 >= m1);
}

/* ---- config ---- */

static int
parse_text(struct config *c, const char *text, struct error *err)
{
	return config_parse(c, text, strlen(text), "test.conf", err);
}

/* Parses text into a fresh config, expecting failure with msg in it. */
static void
assert_parse_fails(const char *text, const char *msg)
{
	struct config *c = config_new();
	struct error err;
	error_clear(&err);
	if (parse_text(c, text, &err) != -1)
		fail_msg("config accepted: %s", text);
	assert_int_equal(err.code, ERROR_INVALID);
	assert_contains(err.msg, msg);
	config_free(&c);
}

static char *
config_to_text(const struct config *c)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	assert_non_null(f);
	config_write(c, f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(strlen(text), len);
	return text;
}

/*
 * Every setting `config write` lists is found by name again (the lookup is
 * a binary search over the names sorted once), with its default; a name
 * between two real ones, or past either end, is not.
 */
static void
test_config_every_name_found(void **state)
{
	(void)state;
	struct config *c = config_new();
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	assert_non_null(out);
	config_write(c, out);
	fclose(out);
	char section[64] = "";
	size_t found = 0;
	struct error err;
	char *save = NULL;
	for (char *line = strtok_r(text, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		char key[128], value[1024] = "";
		if (line[0] == '#')
			continue;
		if (sscanf(line, "[%63[^]]]", section) == 1)
			continue;
		if (sscanf(line, "%127s = %1023[^\n]", key, value) < 1)
			continue;
		char name[200];
		snprintf(name, sizeof(name), "%s.%s", section, key);
		if (config_set_value(c, name, value, &err) < 0)
			fail_msg("%s = \"%s\": %s", name, value, err.msg);
		found++;
	}
	free(text);
	assert_true(found > 150);
	static const char *const absent[] = { "aaa.first", "http.thread",
		"http.threadz", "zzz.last", "", "http" };
	for (size_t i = 0; i < N_ELEMENTS(absent); i++)
		assert_int_equal(config_set_value(c, absent[i], "1", &err), -1);
	config_free(&c);
}

static void
test_config_defaults(void **state)
{
	struct config *c = config_new();
	assert_string_equal(config_get_str(c, "mail.domains"), "");
	assert_string_equal(config_get_str(c, "store.backend"), "sqlite");
	assert_string_equal(config_get_str(c, "store.path"), "caremail.db");
	assert_int_equal(config_get_int(c, "store.busy_timeout_ms"), 5000);
	assert_string_equal(config_get_str(c, "tls.cert"), "tls/cert.pem");
	assert_string_equal(config_get_str(c, "tls.key"), "tls/key.pem");
	assert_string_equal(config_get_str(c, "http.listen"),
		"127.0.0.1:8080");
	assert_true(config_get_bool(c, "http.tls"));
	assert_int_equal(config_get_int(c, "http.max_connections"), 256);
	assert_int_equal(config_get_int(c, "http.timeout_s"), 30);
	assert_string_equal(config_get_str(c, "log.level"), "info");
	assert_int_equal(config_get_int(c, "dir.default_quota_mb"), 4096);
	assert_int_equal(config_get_int(c, "dir.list_max_owners"), 25);
	assert_int_equal(config_get_int(c, "dir.people_search_limit"), 100);

	char item[64];
	static const char *const site_types[] = { "pharmacy", "gp_practice",
		"nhs_trust_site", "care_home", "other" };
	for (size_t i = 0; i < N_ELEMENTS(site_types); i++) {
		assert_true(config_list_item(c, "dir.site_types", i, item,
			sizeof(item)));
		assert_string_equal(item, site_types[i]);
	}
	assert_false(config_list_item(c, "dir.site_types", 5, item,
		sizeof(item)));
	assert_false(config_list_item(c, "mail.domains", 0, item,
		sizeof(item)));
	config_free(&c);
	assert_null(c);
	config_free(&c);
	config_free(NULL);
}

static void
test_config_parse_file(void **state)
{
	const char *text =
		"# a comment\n"
		"\n"
		"   # an indented comment\n"
		"[store]\n"
		"path = \"my store.db\"\n"
		"busy_timeout_ms=0\r\n"
		"  [http]  \n"
		"\tlisten = [::1]:8443\n"
		"tls = OFF\n"
		"max_connections = 100000\n"
		"[log]\n"
		"level = debug\n"
		"[mail]\n"
		"domains = a.example, b.example\n"
		"[tls]\n"
		"cert = \"\"\n"
		"key = a=b\n"
		"# trailing comment with no newline";
	struct config *c = config_new();
	struct error err;
	assert_int_equal(parse_text(c, text, &err), 0);
	assert_string_equal(config_get_str(c, "store.path"), "my store.db");
	assert_int_equal(config_get_int(c, "store.busy_timeout_ms"), 0);
	assert_string_equal(config_get_str(c, "http.listen"), "[::1]:8443");
	assert_false(config_get_bool(c, "http.tls"));
	assert_int_equal(config_get_int(c, "http.max_connections"), 100000);
	assert_string_equal(config_get_str(c, "log.level"), "debug");
	assert_string_equal(config_get_str(c, "tls.cert"), "");
	assert_string_equal(config_get_str(c, "tls.key"), "a=b");
	char item[32];
	assert_true(config_list_item(c, "mail.domains", 1, item,
		sizeof(item)));
	assert_string_equal(item, "b.example");
	/* Settings the file does not name keep their defaults. */
	assert_int_equal(config_get_int(c, "http.timeout_s"), 30);

	/* A second file applies on top of the first. */
	assert_int_equal(parse_text(c, "[http]\ntimeout_s = 9\n", &err), 0);
	assert_int_equal(config_get_int(c, "http.timeout_s"), 9);
	assert_string_equal(config_get_str(c, "log.level"), "debug");

	/* An empty file is a valid config that changes nothing. */
	assert_int_equal(config_parse(c, "", 0, "empty", &err), 0);
	assert_int_equal(config_parse(c, NULL, 0, "empty", &err), 0);
	assert_int_equal(config_get_int(c, "http.timeout_s"), 9);
	config_free(&c);
}

static void
test_config_bool_forms(void **state)
{
	static const struct {
		const char *v;
		bool value;
	} cases[] = {
		{ "on", true }, { "ON", true }, { "true", true },
		{ "Yes", true }, { "1", true }, { "off", false },
		{ "False", false }, { "no", false }, { "0", false },
	};
	struct config *c = config_new();
	for (size_t i = 0; i < N_ELEMENTS(cases); i++) {
		assert_int_equal(config_set_value(c, "http.tls", cases[i].v,
			NULL), 0);
		assert_true(config_get_bool(c, "http.tls") == cases[i].value);
	}
	config_free(&c);
}

static void
test_config_errors_name_line(void **state)
{
	struct config *c = config_new();
	struct error err;
	assert_int_equal(parse_text(c, "# header\n[nosuch]\nkey = 1\n", &err),
		-1);
	assert_int_equal(err.code, ERROR_INVALID);
	assert_contains(err.msg, "test.conf line 3");
	assert_contains(err.msg, "nosuch.key");
	assert_string_equal(err.field, "nosuch.key");

	assert_int_equal(parse_text(c, "[store]\n\n# c\nbogus = 1\n", &err),
		-1);
	assert_contains(err.msg, "test.conf line 4");
	assert_contains(err.msg, "there is no setting named 'store.bogus'");
	config_free(&c);

	assert_parse_fails("timeout_s = 5\n", "line 1: a setting must follow");
	assert_parse_fails("[http\n", "line 1: a section header is [name]");
	assert_parse_fails("[]\n", "a section header");
	assert_parse_fails("[http] # comment\n", "a section header");
	assert_parse_fails("[http]\njust words\n",
		"line 2: expected key = value");
	assert_parse_fails("[http]\n= 5\n", "line 2: the setting name");
	assert_parse_fails("[http]\ntime out_s = 5\n", "'http.time out_s'");
	assert_parse_fails("[http]\nTIMEOUT_S = 5\n", "'http.TIMEOUT_S'");
}

static void
test_config_invalid_values(void **state)
{
	static const struct {
		const char *text;
		const char *msg;
	} cases[] = {
		{ "[http]\ntimeout_s = 12x\n",
		  "http.timeout_s must be a whole number from 1 to 3600, "
		  "not '12x'" },
		{ "[http]\ntimeout_s = 3601\n", "not '3601'" },
		{ "[http]\ntimeout_s = 0\n", "not '0'" },
		{ "[http]\ntimeout_s = -1\n", "not '-1'" },
		{ "[http]\ntimeout_s =\n", "not ''" },
		{ "[http]\ntimeout_s = 99999999999999999999\n",
		  "whole number" },
		{ "[http]\ntimeout_s = 1.5\n", "whole number" },
		{ "[store]\nbusy_timeout_ms = 600001\n", "from 0 to 600000" },
		{ "[http]\ntls = maybe\n",
		  "http.tls must be on or off, not 'maybe'" },
		{ "[http]\ntls =\n", "must be on or off" },
		{ "[http]\nlisten = 8080\n",
		  "http.listen must be ADDRESS:PORT or off, not '8080'" },
		{ "[http]\nlisten = :8080\n", "ADDRESS:PORT" },
		{ "[http]\nlisten = host:0\n", "ADDRESS:PORT" },
		{ "[http]\nlisten = host:65536\n", "ADDRESS:PORT" },
		{ "[http]\nlisten = host:http\n", "ADDRESS:PORT" },
		{ "[http]\nlisten = host:\n", "ADDRESS:PORT" },
		{ "[http]\nlisten = ho st:80\n", "ADDRESS:PORT" },
		{ "[http]\nlisten = ::1:80\n", "ADDRESS:PORT" },
		{ "[http]\nlisten = []:80\n", "ADDRESS:PORT" },
		{ "[http]\nlisten = [::1:80\n", "ADDRESS:PORT" },
		{ "[http]\nlisten = OFF\n", "ADDRESS:PORT" },
		{ "[log]\nlevel = verbose\n",
		  "log.level must be one of error,warn,info,debug, "
		  "not 'verbose'" },
		{ "[log]\nlevel = inf\n", "must be one of" },
		{ "[log]\nlevel = info,warn\n", "must be one of" },
		{ "[store]\nbackend = postgres\n", "must be one of sqlite" },
		{ "[store]\nbackend =\n", "must be one of sqlite" },
	};
	for (size_t i = 0; i < N_ELEMENTS(cases); i++)
		assert_parse_fails(cases[i].text, cases[i].msg);

	/* The error names the setting in its field, for the front ends. */
	struct config *c = config_new();
	struct error err;
	assert_int_equal(parse_text(c, "[http]\nmax_connections = 0\n", &err),
		-1);
	assert_string_equal(err.field, "http.max_connections");
	assert_contains(err.msg, "test.conf line 2: ");

	static const char *const good_listen[] = { "off", "localhost:443",
		"127.0.0.1:1", "mail-1.example.org:65535", "[::1]:8443",
		"0.0.0.0:25" };
	for (size_t i = 0; i < N_ELEMENTS(good_listen); i++) {
		if (config_set_value(c, "http.listen", good_listen[i], &err) <
		    0)
			fail_msg("listen '%s' rejected: %s", good_listen[i],
				err.msg);
		assert_string_equal(config_get_str(c, "http.listen"),
			good_listen[i]);
	}
	/* Both ends of an integer range are inside it. */
	assert_int_equal(config_set_value(c, "store.busy_timeout_ms", "0",
		&err), 0);
	assert_int_equal(config_set_value(c, "store.busy_timeout_ms",
		"600000", &err), 0);
	assert_int_equal(config_get_int(c, "store.busy_timeout_ms"), 600000);
	assert_int_equal(config_set_value(c, "store.busy_timeout_ms", "-0",
		&err), 0);
	assert_int_equal(config_get_int(c, "store.busy_timeout_ms"), 0);
	config_free(&c);
}

static void
test_config_all_or_nothing(void **state)
{
	struct config *c = config_new();
	struct error err;
	assert_int_equal(parse_text(c,
		"[http]\ntimeout_s = 99\nmax_connections = 0\n", &err), -1);
	assert_contains(err.msg, "line 3");
	/* Line 2 was good, but the file failed: nothing of it applies. */
	assert_int_equal(config_get_int(c, "http.timeout_s"), 30);
	assert_int_equal(config_get_int(c, "http.max_connections"), 256);

	assert_int_equal(parse_text(c, "[log]\nlevel = warn\n", &err), 0);
	assert_int_equal(parse_text(c,
		"[log]\nlevel = debug\n[store]\npath = x.db\n[nope]\n"
		"a = b\n", &err), -1);
	assert_string_equal(config_get_str(c, "log.level"), "warn");
	assert_string_equal(config_get_str(c, "store.path"), "caremail.db");
	config_free(&c);
}

static void
test_config_set(void **state)
{
	struct config *c = config_new();
	struct error err;
	assert_int_equal(config_set(c, "http.timeout_s=45", &err), 0);
	assert_int_equal(config_get_int(c, "http.timeout_s"), 45);
	/* Only the first '=' separates; the value is taken as given. */
	assert_int_equal(config_set(c, "store.path=a=b", &err), 0);
	assert_string_equal(config_get_str(c, "store.path"), "a=b");
	assert_int_equal(config_set(c, "mail.domains=", &err), 0);
	assert_string_equal(config_get_str(c, "mail.domains"), "");

	assert_int_equal(config_set(c, "http.timeout_s", &err), -1);
	assert_int_equal(err.code, ERROR_INVALID);
	assert_contains(err.msg, "--set takes section.key=value");
	assert_int_equal(config_set(c, "=5", &err), -1);
	assert_contains(err.msg, "--set takes");
	assert_int_equal(config_set(c, "nosuch.key=1", &err), -1);
	assert_contains(err.msg, "no setting named 'nosuch.key'");
	assert_int_equal(config_set(c, "http.timeout_s=0", &err), -1);
	assert_string_equal(err.field, "http.timeout_s");
	assert_int_equal(config_get_int(c, "http.timeout_s"), 45);

	char name[200];
	memset(name, 'n', sizeof(name));
	memcpy(name + 100, "=1", 3);
	assert_int_equal(config_set(c, name, &err), -1);
	assert_contains(err.msg, "--set takes");

	/* A newline would let --set forge extra lines in a written file. */
	assert_int_equal(config_set(c,
		"store.path=x.db\n[http]\ntls = off", &err), -1);
	assert_contains(err.msg, "single line");
	assert_string_equal(config_get_str(c, "store.path"), "a=b");
	assert_int_equal(config_set_value(c, "nosuch", "1", &err), -1);
	config_free(&c);
}

static void
test_config_list_item(void **state)
{
	struct config *c = config_new();
	assert_int_equal(config_set(c,
		"mail.domains= a.example ,, b.example ,", NULL), 0);
	char item[16];
	assert_true(config_list_item(c, "mail.domains", 0, item,
		sizeof(item)));
	assert_string_equal(item, "a.example");
	/* Empty items between commas are skipped, not counted. */
	assert_true(config_list_item(c, "mail.domains", 1, item,
		sizeof(item)));
	assert_string_equal(item, "b.example");
	assert_false(config_list_item(c, "mail.domains", 2, item,
		sizeof(item)));
	/* "a.example" needs 10 bytes with its NUL. */
	assert_false(config_list_item(c, "mail.domains", 0, item, 9));
	assert_true(config_list_item(c, "mail.domains", 0, item, 10));
	assert_string_equal(item, "a.example");
	assert_false(config_list_item(c, "mail.domains", 0, item, 0));
	/* config_list_get tells an item too long from the end of the list. */
	struct error err;
	assert_int_equal(config_list_get(c, "mail.domains", 1, item, 9, &err),
		-1);
	assert_non_null(strstr(err.msg, "mail.domains: item 2 is longer "
		"than 8 bytes"));
	assert_int_equal(config_list_get(c, "mail.domains", 1, item, 10,
		&err), 1);
	assert_string_equal(item, "b.example");
	assert_int_equal(config_list_get(c, "mail.domains", 2, item, 10,
		&err), 0);
	/* A domain longer than a name can be is refused as it is set. */
	char set[300];
	snprintf(set, sizeof(set), "mail.domains=a.example, %0254d", 0);
	assert_int_equal(config_set(c, set, &err), -1);
	assert_non_null(strstr(err.msg, "item 2 is longer than 253 bytes"));
	snprintf(set, sizeof(set), "mail.domains=a.example, %0253d", 0);
	assert_int_equal(config_set(c, set, &err), 0);
	config_free(&c);
}

static void
get_int_of_string(void)
{
	struct config *c = config_new();
	config_get_int(c, "store.path");
}

static void
get_bool_of_int(void)
{
	struct config *c = config_new();
	config_get_bool(c, "http.timeout_s");
}

static void
get_str_of_bool(void)
{
	struct config *c = config_new();
	config_get_str(c, "http.tls");
}

static void
get_unknown(void)
{
	struct config *c = config_new();
	config_get_int(c, "no.such");
}

static void
test_config_wrong_getter_aborts(void **state)
{
	assert_aborts(get_int_of_string);
	assert_aborts(get_bool_of_int);
	assert_aborts(get_str_of_bool);
	assert_aborts(get_unknown);
}

static void
test_config_write_defaults(void **state)
{
	struct config *c = config_new();
	char *text = config_to_text(c);
	assert_contains(text, "[mail]\n");
	assert_contains(text, "[dir]\n");
	assert_contains(text, "\ntimeout_s = 30\n");
	assert_contains(text,
		"# Seconds an idle HTTP connection is kept open while a "
		"request is handled or its reply is read.\n");
	/* Only a setting that differs from its default says what that was. */
	assert_null(strstr(text, "# default:"));

	/*
	 * Every setting is written, so parsing the defaults over a changed
	 * config puts every default back.
	 */
	struct config *changed = config_new();
	struct error err;
	assert_int_equal(parse_text(changed,
		"[http]\ntimeout_s = 5\ntls = off\n[store]\npath = x\n", &err),
		0);
	assert_int_equal(config_parse(changed, text, strlen(text), "defaults",
		&err), 0);
	assert_int_equal(config_get_int(changed, "http.timeout_s"), 30);
	assert_true(config_get_bool(changed, "http.tls"));
	assert_string_equal(config_get_str(changed, "store.path"),
		"caremail.db");
	free(text);

	assert_int_equal(config_set(c, "http.timeout_s=45", &err), 0);
	text = config_to_text(c);
	assert_contains(text, "# default: 30\ntimeout_s = 45\n");
	free(text);
	config_free(&changed);
	config_free(&c);
}

static void
test_config_write_round_trip(void **state)
{
	char spaced[4100];
	spaced[0] = ' ';
	memset(spaced + 1, 'p', 3998);
	spaced[3999] = ' ';
	spaced[4000] = '\0';
	static const struct {
		const char *name;
		const char *value;
	} values[] = {
		{ "mail.domains", "a.example, b.example" },
		{ "store.path", "  spaced out.db  " },
		{ "store.busy_timeout_ms", "0" },
		{ "tls.cert", "\"quoted\"" },
		{ "tls.key", "# not a comment = really" },
		{ "http.listen", "[::1]:8443" },
		{ "http.tls", "off" },
		{ "http.timeout_s", "3600" },
		{ "log.level", "debug" },
		{ "dir.site_types", "" },
		{ "dir.default_quota_mb", "10485760" },
	};
	struct config *c = config_new();
	struct error err;
	for (size_t i = 0; i < N_ELEMENTS(values); i++) {
		if (config_set_value(c, values[i].name, values[i].value, &err) <
		    0)
			fail_msg("%s: %s", values[i].name, err.msg);
	}
	for (int pass = 0; pass < 2; pass++) {
		char *text = config_to_text(c);
		struct config *back = config_new();
		if (config_parse(back, text, strlen(text), "written", &err) < 0)
			fail_msg("written config does not parse: %s", err.msg);
		assert_string_equal(config_get_str(back, "mail.domains"),
			config_get_str(c, "mail.domains"));
		assert_string_equal(config_get_str(back, "store.path"),
			config_get_str(c, "store.path"));
		assert_string_equal(config_get_str(back, "tls.cert"),
			config_get_str(c, "tls.cert"));
		assert_string_equal(config_get_str(back, "tls.key"),
			config_get_str(c, "tls.key"));
		assert_string_equal(config_get_str(back, "http.listen"),
			"[::1]:8443");
		assert_false(config_get_bool(back, "http.tls"));
		assert_int_equal(config_get_int(back, "http.timeout_s"), 3600);
		assert_int_equal(config_get_int(back,
			"store.busy_timeout_ms"), 0);
		assert_int_equal(config_get_int(back, "dir.default_quota_mb"),
			10485760);
		assert_string_equal(config_get_str(back, "log.level"), "debug");
		assert_string_equal(config_get_str(back, "dir.site_types"), "");
		/* Writing what was read gives the same file, byte for byte. */
		char *again = config_to_text(back);
		assert_string_equal(again, text);
		free(again);
		free(text);
		config_free(&back);
		/* The second pass adds a long value that must be quoted. */
		assert_int_equal(config_set_value(c, "store.path", spaced,
			&err), 0);
	}
	config_free(&c);
}

static void
test_config_limits(void **state)
{
	struct config *c = config_new();
	struct error err;

	/* A NUL makes the text binary: refused, and nothing applies. */
	const char with_nul[] = "[http]\ntimeout_s = 5\0\n";
	assert_int_equal(config_parse(c, with_nul, sizeof(with_nul) - 1,
		"test.conf", &err), -1);
	assert_int_equal(err.code, ERROR_INVALID);
	assert_contains(err.msg, "NUL byte");
	assert_int_equal(config_get_int(c, "http.timeout_s"), 30);

	/* A line of CONFIG_MAX_LINE - 1 bytes is fine; one byte more is not. */
	const size_t max = CONFIG_MAX_LINE;
	char *text = xmalloc(2 * 1024 * 1024);
	memcpy(text, "[store]\n#", 9);
	memset(text + 9, 'c', max - 2);
	text[8 + max - 1] = '\0';
	assert_int_equal(parse_text(c, text, &err), 0);
	memcpy(text + 8 + max - 1, "c\n", 3);
	assert_int_equal(parse_text(c, text, &err), -1);
	char want[64];
	snprintf(want, sizeof(want), "test.conf line 2 is longer than %zu "
		"bytes", max);
	assert_contains(err.msg, want);

	/* The last line counts even without a newline. */
	memcpy(text, "[store]\npath = ", 15);
	memset(text + 15, 'v', max + 1000);
	text[15 + max + 1000] = '\0';
	assert_int_equal(parse_text(c, text, &err), -1);
	assert_contains(err.msg, "line 2 is longer");

	/*
	 * A value that fits a line but not `key = "value"` is refused, so
	 * config_write never writes a line too long to read back.
	 */
	text[15 + max - 26] = '\0';
	assert_int_equal(parse_text(c, text, &err), -1);
	assert_contains(err.msg, "line 2: the value of store.path is longer");
	memset(text, 'v', max - 1);
	text[max - 1] = '\0';
	assert_int_equal(config_set_value(c, "store.path", text, &err), -1);
	assert_string_equal(config_get_str(c, "store.path"), "caremail.db");

	/* A file of exactly 1 MiB parses; one byte more is ERROR_LIMIT. */
	size_t mib = 1024 * 1024;
	for (size_t i = 0; i < mib; i += 64) {
		memset(text + i, '#', 63);
		text[i + 63] = '\n';
	}
	assert_int_equal(config_parse(c, text, mib, "big", &err), 0);
	text[mib] = '\n';
	assert_int_equal(config_parse(c, text, mib + 1, "big", &err), -1);
	assert_int_equal(err.code, ERROR_LIMIT);
	assert_contains(err.msg, "big is larger than 1048576 bytes");
	free(text);
	config_free(&c);
}

/* ---- file ---- */

static int
make_temp_dir(void **state)
{
	const char *base = getenv("TMPDIR");
	char *dir = xmalloc(4096);
	snprintf(dir, 4096, "%s/caremail-test-XXXXXX",
		base != NULL && base[0] != '\0' ? base : "/tmp");
	if (mkdtemp(dir) == NULL) {
		free(dir);
		return -1;
	}
	*state = dir;
	return 0;
}

static int
remove_entry(const char *path, const struct stat *st, int flag,
	struct FTW *ftw)
{
	return remove(path);
}

static int
remove_temp_dir(void **state)
{
	char *dir = *state;
	int rc = nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(dir);
	return rc;
}

static void
path_in(char *buf, size_t size, void **state, const char *name)
{
	int n = snprintf(buf, size, "%s/%s", (const char *)*state, name);
	assert_true(n > 0 && (size_t)n < size);
}

/* Entries in a directory but "." and ".."; the tests make no dot files. */
static size_t
count_entries(const char *path)
{
	DIR *dir = opendir(path);
	assert_non_null(dir);
	size_t n = 0;
	struct dirent *e;
	while ((e = readdir(dir)) != NULL)
		n += e->d_name[0] != '.';
	closedir(dir);
	return n;
}

static void
test_file_round_trip(void **state)
{
	char path[4096];
	path_in(path, sizeof(path), state, "data.bin");
	const char data[] = "line one\n\0binary\xff tail";
	struct error err;
	assert_int_equal(file_write_atomic(path, data, sizeof(data), 0600,
		&err), 0);
	assert_true(file_exists(path));
	size_t len = 0;
	char *back = file_read_all(path, 1024, &len, &err);
	assert_non_null(back);
	assert_int_equal(len, sizeof(data));
	assert_memory_equal(back, data, sizeof(data));
	assert_int_equal(back[len], '\0');
	free(back);

	/* Replacing leaves the new content and no temporary file behind. */
	assert_int_equal(file_write_atomic(path, "new", 3, 0600, &err), 0);
	back = file_read_all(path, 1024, NULL, &err);
	assert_string_equal(back, "new");
	free(back);
	assert_int_equal(count_entries(*state), 1);

	/* An empty file reads as an empty string, not as an error. */
	assert_int_equal(file_write_atomic(path, "", 0, 0600, &err), 0);
	back = file_read_all(path, 1024, &len, &err);
	assert_non_null(back);
	assert_int_equal(len, 0);
	assert_string_equal(back, "");
	free(back);
}

static void
test_file_mode(void **state)
{
	char path[4096];
	path_in(path, sizeof(path), state, "key.pem");
	struct error err;
	mode_t old = umask(077);
	assert_int_equal(file_write_atomic(path, "k", 1, 0600, &err), 0);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	/* The mode asked for is the mode given, whatever the umask. */
	assert_int_equal(file_write_atomic(path, "k", 1, 0644, &err), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	umask(old);
}

static void
test_file_read_errors(void **state)
{
	char path[4096];
	path_in(path, sizeof(path), state, "missing");
	struct error err;
	size_t len = 99;
	assert_null(file_read_all(path, 1024, &len, &err));
	assert_int_equal(err.code, ERROR_NOT_FOUND);
	assert_contains(err.msg, "missing");
	assert_int_equal(len, 99);
	assert_false(file_exists(path));

	path_in(path, sizeof(path), state, "ten");
	assert_int_equal(file_write_atomic(path, "0123456789", 10, 0600,
		&err), 0);
	char *back = file_read_all(path, 10, &len, &err);
	assert_non_null(back);
	assert_int_equal(len, 10);
	free(back);
	assert_null(file_read_all(path, 9, &len, &err));
	assert_int_equal(err.code, ERROR_LIMIT);
	assert_contains(err.msg, "too large");
	assert_null(file_read_all(path, 0, &len, &err));
	assert_int_equal(err.code, ERROR_LIMIT);
}

static void
test_file_write_errors(void **state)
{
	char path[4096];
	path_in(path, sizeof(path), state, "no/such/dir/file");
	struct error err;
	assert_int_equal(file_write_atomic(path, "x", 1, 0600, &err), -1);
	assert_int_equal(err.code, ERROR_INTERNAL);
	assert_false(file_exists(path));

	char longer[5000];
	memset(longer, 'a', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = '\0';
	assert_int_equal(file_write_atomic(longer, "x", 1, 0600, &err), -1);
	assert_int_equal(err.code, ERROR_INVALID);
	assert_int_equal(file_make_dirs(longer, 0700, &err), -1);
	assert_int_equal(err.code, ERROR_INVALID);
}

static void
test_file_make_dirs(void **state)
{
	char path[4096];
	struct error err;
	path_in(path, sizeof(path), state, "a/b/c/d");
	assert_int_equal(file_make_dirs(path, 0700, &err), 0);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	/* Existing directories are fine, with or without a trailing '/'. */
	assert_int_equal(file_make_dirs(path, 0700, &err), 0);
	path_in(path, sizeof(path), state, "a/b/");
	assert_int_equal(file_make_dirs(path, 0700, &err), 0);

	/* A file where a directory should be is an error, at any depth. */
	path_in(path, sizeof(path), state, "a/file");
	assert_int_equal(file_write_atomic(path, "x", 1, 0600, &err), 0);
	assert_int_equal(file_make_dirs(path, 0700, &err), -1);
	assert_int_equal(err.code, ERROR_INVALID);
	assert_contains(err.msg, "not a directory");
	path_in(path, sizeof(path), state, "a/file/sub");
	assert_int_equal(file_make_dirs(path, 0700, &err), -1);
	assert_int_equal(err.code, ERROR_INVALID);
}

static void
test_config_load_file(void **state)
{
	char path[4096];
	struct error err;
	struct config *c = config_new();
	path_in(path, sizeof(path), state, "caremail.conf");
	assert_int_equal(config_load_file(c, path, &err), -1);
	assert_int_equal(err.code, ERROR_NOT_FOUND);

	const char *text = "[http]\ntimeout_s = 12\n[log]\nlevel = error\n";
	assert_int_equal(file_write_atomic(path, text, strlen(text), 0600,
		&err), 0);
	assert_int_equal(config_load_file(c, path, &err), 0);
	assert_int_equal(config_get_int(c, "http.timeout_s"), 12);
	assert_string_equal(config_get_str(c, "log.level"), "error");

	/* The error names the file it came from. */
	text = "[http]\ntimeout_s = 0\n";
	assert_int_equal(file_write_atomic(path, text, strlen(text), 0600,
		&err), 0);
	assert_int_equal(config_load_file(c, path, &err), -1);
	assert_contains(err.msg, path);
	assert_contains(err.msg, "line 2");
	assert_int_equal(config_get_int(c, "http.timeout_s"), 12);
	config_free(&c);
}

/* ---- log ---- */

/* Runs fn with stderr sent to a file and returns what it wrote. */
static char *
capture_stderr(void **state, void (*fn)(void))
{
	char path[4096];
	path_in(path, sizeof(path), state, "stderr.txt");
	fflush(stderr);
	int saved = dup(STDERR_FILENO);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(saved >= 0 && fd >= 0);
	dup2(fd, STDERR_FILENO);
	close(fd);
	fn();
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	struct error err;
	char *text = file_read_all(path, 1 << 20, NULL, &err);
	assert_non_null(text);
	return text;
}

static void
log_forged_line(void)
{
	log_info("test.event", "name=\"%s\" n=%d", "a\nlevel=error\r\x7f", 5);
}

/* A client's words posing as fields, quoted and bare (issue 14, logs). */
static void
log_forged_fields(void)
{
	log_info("test.quoted", "user=\"%s\" result=refused",
		"evil\" result=ok x=\"");
	log_info("test.bare", "user=%s result=refused", "evil result=ok");
	log_info("test.plain", "user=%s n=%zu id=%lld f=%.*s p=%d%%",
		"ann@x", (size_t)7, (long long)-3, 3, "abcdef", 50);
	log_info("test.slash", "path=\"%s\" tail=%s", "a\\", "b\\");
}

static void
log_filtered(void)
{
	log_set_level(LOG_LEVEL_WARN);
	log_info("test.hidden", "x=1");
	log_debug("test.hidden", "x=2");
	log_warn("test.shown", "x=3");
	log_error("test.shown", "x=4");
	log_set_level(LOG_LEVEL_INFO);
}

static void
log_too_long(void)
{
	char value[5000];
	memset(value, 'v', sizeof(value) - 1);
	value[sizeof(value) - 1] = '\0';
	log_error("test.long", "value=%s", value);
}

static void
test_log(void **state)
{
	assert_int_equal(setenv("CAREMAIL_NOW", "1795348800", 1), 0);
	char *text = capture_stderr(state, log_forged_line);
	/* A client's newline cannot start a second line. */
	assert_string_equal(text, "ts=2026-11-22T12:00:00Z level=info "
		"event=test.event name=\"a_level=error__\" n=5\n");
	free(text);

	/* Nor can its quotes, spaces or '=' make fields of their own. */
	text = capture_stderr(state, log_forged_fields);
	assert_contains(text, "event=test.quoted "
		"user=\"evil\\\" result=ok x=\\\"\" result=refused\n");
	assert_contains(text, "event=test.bare "
		"user=\"evil result=ok\" result=refused\n");
	assert_contains(text, "event=test.plain "
		"user=ann@x n=7 id=-3 f=abc p=50%\n");
	assert_contains(text, "event=test.slash "
		"path=\"a\\\\\" tail=\"b\\\\\"\n");
	free(text);

	text = capture_stderr(state, log_filtered);
	assert_null(strstr(text, "test.hidden"));
	assert_contains(text, "level=warn event=test.shown x=3\n");
	assert_contains(text, "level=error event=test.shown x=4\n");
	free(text);

	/* An overlong event is cut, but still ends its line. */
	text = capture_stderr(state, log_too_long);
	size_t len = strlen(text);
	assert_true(len > 1000 && len < 2048);
	assert_int_equal(text[len - 1], '\n');
	assert_ptr_equal(strchr(text, '\n'), text + len - 1);
	free(text);
	unsetenv("CAREMAIL_NOW");

	enum log_level level;
	assert_true(log_level_parse("debug", &level));
	assert_int_equal(level, LOG_LEVEL_DEBUG);
	assert_true(log_level_parse("error", &level));
	assert_int_equal(level, LOG_LEVEL_ERROR);
	assert_false(log_level_parse("DEBUG", &level));
	assert_false(log_level_parse("", &level));
	assert_int_equal(level, LOG_LEVEL_ERROR);
}

/*
 * The HTTPS client refuses what it cannot send safely before connecting,
 * and a server that is not there is a temporary failure within the
 * timeout. (A real TLS exchange, verification included, is in
 * tests/integration/test_api_self.py.)
 */
static void
test_https_refusals(void **state)
{
	static const struct {
		const char *url, *bearer;
		enum error_code code;
	} cases[] = {
		{ "http://127.0.0.1/x", NULL, ERROR_INVALID },
		{ "ftp://127.0.0.1/x", NULL, ERROR_INVALID },
		{ "https://", NULL, ERROR_INVALID },
		{ "https://127.0.0.1/a b", NULL, ERROR_INVALID },
		{ "https://127.0.0.1:99999999/x", NULL, ERROR_INVALID },
		{ "https://127.0.0.1:1/x", "s3cr3t\r\nX-Evil: 1", ERROR_INVALID },
		/* Port 1 on loopback: nothing listens, refused at once. */
		{ "https://127.0.0.1:1/x", "s3cr3t", ERROR_TEMPORARY },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct https_post p = {
			.url = cases[i].url, .bearer = cases[i].bearer,
			.body = "{}", .timeout_ms = 2000,
		};
		struct error err = { 0 };
		time_t start = time(NULL);
		assert_int_equal(https_post_json(&p, &err), -1);
		if (err.code != cases[i].code)
			fail_msg("%s: %s (%s)", cases[i].url,
				error_code_name(err.code), err.msg);
		assert_true(time(NULL) - start <= 3);
		assert_null(strstr(err.msg, "s3cr3t"));
	}
}

/* Blocks: parsing, membership across IPv4 and IPv6, and overlap. */
static void
test_cidr(void **state)
{
	(void)state;
	static const char *const bad[] = { "", "/24", "192.0.2.0/33",
		"192.0.2.0/", "192.0.2.0/x", "2001:db8::/129", "host.example",
		"192.0.2", NULL };
	struct cidr a, b;
	for (size_t i = 0; bad[i] != NULL; i++)
		assert_false(cidr_parse(bad[i], &a));
	assert_false(cidr_parse(NULL, &a));
	static const struct {
		const char *block, *ip;
		bool in;
	} member[] = {
		{ "192.0.2.0/24", "192.0.2.255", true },
		{ "192.0.2.0/24", "192.0.3.0", false },
		{ "192.0.2.7", "192.0.2.7", true },
		{ "192.0.2.7", "192.0.2.6", false },
		{ "192.0.2.0/24", "::ffff:192.0.2.9", true },
		{ "0.0.0.0/0", "203.0.113.1", true },
		{ "0.0.0.0/0", "2001:db8::1", false },
		{ "2001:db8::/120", "2001:db8::ff", true },
		{ "2001:db8::/120", "2001:db8::100", false },
		{ "192.0.2.0/24", "not an address", false },
	};
	for (size_t i = 0; i < sizeof(member) / sizeof(member[0]); i++) {
		assert_true(cidr_parse(member[i].block, &a));
		assert_int_equal(cidr_contains(&a, member[i].ip), member[i].in);
	}
	static const struct {
		const char *x, *y;
		bool overlap;
	} pairs[] = {
		{ "192.0.2.0/28", "192.0.2.8", true },
		{ "192.0.2.0/28", "192.0.2.16", false },
		{ "192.0.2.0/24", "192.0.2.128/25", true },
		{ "192.0.2.0/25", "192.0.2.128/25", false },
		{ "192.0.2.1", "192.0.2.1", true },
		{ "192.0.2.0/24", "2001:db8::/120", false },
	};
	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		assert_true(cidr_parse(pairs[i].x, &a));
		assert_true(cidr_parse(pairs[i].y, &b));
		assert_int_equal(cidr_overlap(&a, &b), pairs[i].overlap);
		assert_int_equal(cidr_overlap(&b, &a), pairs[i].overlap);
	}
	assert_true(cidr_list_contains("10.0.0.1, 192.0.2.0/24", "192.0.2.4"));
	assert_false(cidr_list_contains("junk, 10.0.0.0/8", "192.0.2.4"));
	assert_false(cidr_list_contains(NULL, "192.0.2.4"));
	/* An address alone: IPv4 is IPv4 whether written so or mapped. */
	unsigned char ip[16];
	bool v4;
	assert_true(cidr_ip_parse("192.0.2.1", ip, &v4));
	assert_true(v4);
	assert_true(cidr_ip_parse("::ffff:192.0.2.1", ip, &v4));
	assert_true(v4);
	assert_int_equal(ip[15], 1);
	assert_true(cidr_ip_parse("2001:db8::1", ip, &v4));
	assert_false(v4);
	assert_false(cidr_ip_parse("192.0.2.1/24", ip, &v4));
	assert_true(cidr_prefix_equal(ip, ip, 128));
}

/* ---- periodic ---- */

struct runs {
	pthread_mutex_t lock;
	pthread_cond_t ran;
	int n;
};

static void
count_run(void *arg)
{
	struct runs *r = arg;
	pthread_mutex_lock(&r->lock);
	r->n++;
	pthread_cond_signal(&r->ran);
	pthread_mutex_unlock(&r->lock);
}

static void
wait_for_runs(struct runs *r, int n)
{
	pthread_mutex_lock(&r->lock);
	while (r->n < n)
		pthread_cond_wait(&r->ran, &r->lock);
	pthread_mutex_unlock(&r->lock);
}

/*
 * The job runs at once; a stop wakes the thread from an hour's wait (the
 * test would hang otherwise) and runs nothing more; interval 0 runs once;
 * a stop before the thread starts still waits for the first run.
 */
static void
test_periodic(void **state)
{
	(void)state;
	for (int interval = 0; interval <= 3600; interval += 3600) {
		struct runs r = { .lock = PTHREAD_MUTEX_INITIALIZER,
			.ran = PTHREAD_COND_INITIALIZER };
		struct periodic *p = periodic_start(interval, count_run, &r);
		assert_non_null(p);
		wait_for_runs(&r, 1);
		periodic_stop(&p);
		assert_null(p);
		assert_int_equal(r.n, 1);
		periodic_stop(&p);	/* twice is harmless */
	}
	/* A stop at once still lets the first run happen, and only it. */
	struct runs r = { .lock = PTHREAD_MUTEX_INITIALIZER,
		.ran = PTHREAD_COND_INITIALIZER };
	struct periodic *p = periodic_start(3600, count_run, &r);
	periodic_stop(&p);
	assert_int_equal(r.n, 1);
	periodic_stop(NULL);
}

/* str_truncate goes back to a mark and keeps the text terminated. */
static void
test_str_truncate(void **state)
{
	(void)state;
	struct arena *a = arena_new(4096);
	struct str s;
	str_init(&s, a, 100);
	str_truncate(&s, 0);	/* nothing yet: no text to cut */
	assert_string_equal(str_cstr(&s), "");
	assert_int_equal(str_append_cstr(&s, "abc"), 0);
	size_t mark = s.len;
	assert_int_equal(str_append_cstr(&s, "def"), 0);
	str_truncate(&s, mark);
	assert_string_equal(str_cstr(&s), "abc");
	str_truncate(&s, 10);	/* past the end: nothing to drop */
	assert_string_equal(str_cstr(&s), "abc");
	assert_int_equal(str_append_cstr(&s, "!"), 0);
	assert_string_equal(str_cstr(&s), "abc!");
	arena_free(&a);
}

/*
 * json_text_string writes what jansson writes for the same string, and
 * refuses (out as it was) what jansson refuses: checked against jansson
 * itself for every byte and for random texts, most of them UTF-8.
 */
static int
json_text_agrees(const char *text)
{
	struct arena *a = arena_new(1 << 20);
	struct str s;
	str_init(&s, a, 1 << 19);
	assert_int_equal(str_append_cstr(&s, "["), 0);
	int rc = json_text_string(&s, text);
	json_t *j = json_string(text);
	if (j == NULL) {
		assert_int_equal(rc, 1);
		assert_string_equal(str_cstr(&s), "[");
	} else {
		char *want = json_dumps(j, JSON_ENCODE_ANY | JSON_COMPACT);
		assert_int_equal(rc, 0);
		assert_string_equal(str_cstr(&s) + 1, want);
		free(want);
	}
	json_decref(j);
	arena_free(&a);
	return rc;
}

static void
test_json_text_matches_jansson(void **state)
{
	(void)state;
	static const char *const fixed[] = {
		"", "plain", "say \"hi\"", "back\\slash", "a/b", "tab\there",
		"line\nbreak\r\n", "\b\f", "\x01\x1f\x7f", "O'Brien",
		"Zo\xc3\xab", "\xe2\x82\xac 5", "\xf0\x9f\x98\x80",
		"\xe2\x80\xa8", "\xef\xbf\xbf",
		/* not UTF-8: a lone continuation, a cut sequence, overlong,
		 * a surrogate, past U+10FFFF, a byte no UTF-8 has */
		"\x80", "ab\xc3", "\xc0\xaf", "\xed\xa0\x80",
		"\xf4\x90\x80\x80", "x\xffy",
	};
	int refused = 0;
	for (size_t i = 0; i < N_ELEMENTS(fixed); i++)
		refused += json_text_agrees(fixed[i]);
	assert_int_equal(refused, 6);
	char one[2] = { 0, 0 };
	for (int c = 1; c < 256; c++) {
		one[0] = (char)c;
		json_text_agrees(one);
	}
	/* Random texts: ASCII, every escape, and pieces of UTF-8 that are
	 * sometimes cut or spliced, so both answers are common. */
	static const char *const pieces[] = {
		"a", "Z", " ", "\"", "\\", "\n", "\x02", "\x1f", "\xc3\xa9",
		"\xe2\x82\xac", "\xf0\x9f\x98\x80", "\xc3", "\xa9", "\xe2\x82",
		"\xf8",
	};
	unsigned seed = 12345;
	int kinds[2] = { 0, 0 };
	for (int n = 0; n < 20000; n++) {
		char text[64] = "";
		size_t len = 0;
		int parts = (int)(rand_r(&seed) % 12);
		for (int k = 0; k < parts; k++) {
			const char *p = pieces[rand_r(&seed) %
				N_ELEMENTS(pieces)];
			if (len + strlen(p) >= sizeof(text))
				break;
			memcpy(text + len, p, strlen(p));
			len += strlen(p);
		}
		text[len] = '\0';
		kinds[json_text_agrees(text)]++;
	}
	assert_true(kinds[0] > 1000 && kinds[1] > 1000);
}

/* A full str: -1, as every str append gives. */
static void
test_json_text_full(void **state)
{
	(void)state;
	struct arena *a = arena_new(4096);
	struct str s;
	str_init(&s, a, 8);
	assert_int_equal(json_text_string(&s, "abcdef"), 0);
	assert_int_equal(json_text_string(&s, "x"), -1);
	arena_free(&a);
}


/*
 * A CPU quota caps the request threads (http.threads = 0): cgroup v2's
 * cpu.max, or v1's two numbers, rounded up; none, or nonsense, is 0.
 */
static void
test_cores_quota(void **state)
{
	(void)state;
	assert_int_equal(cores_quota("max 100000\n"), 0);
	assert_int_equal(cores_quota("200000 100000\n"), 2);
	assert_int_equal(cores_quota("150000 100000"), 2);
	assert_int_equal(cores_quota("50000 100000"), 1);
	assert_int_equal(cores_quota("-1 100000"), 0);	/* v1: none */
	assert_int_equal(cores_quota("0 100000"), 0);
	assert_int_equal(cores_quota("100000"), 0);
	assert_int_equal(cores_quota("100000 0"), 0);
	assert_int_equal(cores_quota("1x 100000"), 0);
	assert_int_equal(cores_quota("100000 100000 7"), 0);
	assert_int_equal(cores_quota(""), 0);
	assert_int_equal(cores_quota(NULL), 0);
	assert_int_equal(cores_quota("9223372036854775807 1"), INT_MAX);
	/* Any quota and period: the quota over the period, rounded up. */
	srandom(7);
	for (int i = 0; i < 10000; i++) {
		long long q = 1 + random() % 4000000000LL, p = 1 + random() %
			1000000;
		char line[64];
		snprintf(line, sizeof(line), "%lld %lld\n", q, p);
		long long want = (q + p - 1) / p;
		assert_int_equal(cores_quota(line),
			want > INT_MAX ? INT_MAX : want);
		snprintf(line, sizeof(line), "max %lld\n", p);
		assert_int_equal(cores_quota(line), 0);
	}
	unsigned n = cores_usable();
	assert_true(n >= 1);
	assert_true(n <= (unsigned)sysconf(_SC_NPROCESSORS_CONF));
}

/*
 * Where the cgroup hierarchies are mounted, from /proc/self/mountinfo's
 * lines (proc(5)): cgroup2 anywhere, v1 only with the cpu controller,
 * optional tags before the "-", escaped spaces, a root below the top.
 */
static void
test_cores_cgroup_mount(void **state)
{
	(void)state;
	char root[64], point[64];
	static const struct {
		const char *line;
		int want;
		const char *root, *point;
	} cases[] = {
		{ "40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 "
		  "cgroup2 rw\n", 2, "/", "/sys/fs/cgroup/unified" },
		{ "29 23 0:26 / /sys/fs/cgroup rw,nosuid shared:4 - cgroup2 "
		  "cgroup2 rw,nsdelegate,memory_recursiveprot\n", 2, "/",
		  "/sys/fs/cgroup" },
		{ "31 30 0:28 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup "
		  "rw,cpu\n", 1, "/", "/sys/fs/cgroup/cpu" },
		{ "33 25 0:29 /docker/abc /sys/fs/cgroup/cpu,cpuacct ro,nosuid "
		  "master:12 shared:9 - cgroup cgroup rw,cpu,cpuacct\n", 1,
		  "/docker/abc", "/sys/fs/cgroup/cpu,cpuacct" },
		{ "50 30 0:40 / /mnt/my\\040cgroups rw - cgroup cgroup "
		  "rw,cpuacct,cpu", 1, "/", "/mnt/my cgroups" },
		{ "32 30 0:29 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup "
		  "cgroup rw,cpuacct\n", 0, NULL, NULL },
		{ "39 30 0:36 / /sys/fs/cgroup/systemd rw - cgroup cgroup "
		  "rw,name=systemd\n", 0, NULL, NULL },
		{ "26 1 254:0 / / rw,relatime - ext4 /dev/vda rw\n", 0, NULL,
		  NULL },
		{ "26 1 254:0 / /x rw,relatime - cgroup2", 0, NULL, NULL },
		{ "31 30 0:28 / /sys/fs/cgroup/cpu rw,relatime cgroup cgroup "
		  "rw,cpu\n", 0, NULL, NULL },
		{ "31 30 0:28 /", 0, NULL, NULL },
		{ "", 0, NULL, NULL },
		/* A mount point longer than the buffer given: not understood. */
		{ "41 30 0:38 / /a/very/long/mount/point/that/does/not/fit/in/"
		  "sixty/four/bytes/not/at/all rw - cgroup2 cgroup2 rw\n", 0,
		  NULL, NULL },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int v = cores_cgroup_mount(cases[i].line, root, sizeof(root),
			point, sizeof(point));
		assert_int_equal(v, cases[i].want);
		if (v != 0) {
			assert_string_equal(root, cases[i].root);
			assert_string_equal(point, cases[i].point);
		}
	}
}

/* Writes text to path; false if it cannot. */
static bool
put_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "we");
	if (f == NULL)
		return false;
	bool ok = fputs(text, f) >= 0;
	return fclose(f) == 0 && ok;
}

/*
 * The quota read from the kernel: a child process in a cgroup with no
 * quota of its own, under one allowed half a core, may use one core.
 * Needs root and a cgroup hierarchy with the cpu controller (v1 here,
 * v2 where it is delegated); skipped otherwise.
 */
static void
test_cores_under_a_quota(void **state)
{
	(void)state;
	char top[128], inner[160], file[192], pid[32];
	bool v2 = access("/sys/fs/cgroup/cpu.max", F_OK) == 0 ||
		access("/sys/fs/cgroup/cgroup.subtree_control", F_OK) == 0;
	snprintf(top, sizeof(top), "%s/caremail-test-%d",
		v2 ? "/sys/fs/cgroup" : "/sys/fs/cgroup/cpu", (int)getpid());
	snprintf(inner, sizeof(inner), "%s/inner", top);
	if (geteuid() != 0 || mkdir(top, 0755) < 0)
		skip();
	bool ready = mkdir(inner, 0755) == 0;
	if (v2) {
		snprintf(file, sizeof(file), "%s/cpu.max", top);
		ready = ready && put_file(file, "50000 100000");
	} else {
		snprintf(file, sizeof(file), "%s/cpu.cfs_period_us", top);
		ready = ready && put_file(file, "100000");
		snprintf(file, sizeof(file), "%s/cpu.cfs_quota_us", top);
		ready = ready && put_file(file, "50000");
	}
	int fds[2];
	unsigned got = 0;
	if (ready && pipe(fds) == 0) {
		pid_t child = fork();
		if (child == 0) {
			snprintf(file, sizeof(file), "%s/cgroup.procs", inner);
			snprintf(pid, sizeof(pid), "%d", (int)getpid());
			/* UINT_MAX: it could not join (skipped, not failed). */
			unsigned n = put_file(file, pid) ? cores_usable() :
				UINT_MAX;
			_exit(write(fds[1], &n, sizeof(n)) == sizeof(n) ? 0 : 1);
		}
		close(fds[1]);
		if (read(fds[0], &got, sizeof(got)) != sizeof(got))
			got = 0;
		close(fds[0]);
		waitpid(child, NULL, 0);
	}
	rmdir(inner);
	rmdir(top);
	if (!ready || got == UINT_MAX)
		skip();
	assert_int_equal(got, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cores_quota),
		cmocka_unit_test(test_cores_cgroup_mount),
		cmocka_unit_test(test_cores_under_a_quota),
		cmocka_unit_test(test_https_refusals),
		cmocka_unit_test(test_arena_alignment_and_separation),
		cmocka_unit_test(test_arena_zeroes_memory),
		cmocka_unit_test(test_arena_cap),
		cmocka_unit_test(test_arena_huge_requests_fail),
		cmocka_unit_test(test_arena_large_allocations),
		cmocka_unit_test(test_arena_strings),
		cmocka_unit_test(test_arena_wiping),
		cmocka_unit_test(test_arena_array_push),
		cmocka_unit_test(test_arena_null_safe),
		cmocka_unit_test(test_xmalloc_written_pages_present),
		cmocka_unit_test(test_span_split),
		cmocka_unit_test(test_span_trim),
		cmocka_unit_test(test_span_compare),
		cmocka_unit_test(test_span_to_u64),
		cmocka_unit_test(test_span_dup),
		cmocka_unit_test(test_span_dup_lower),
		cmocka_unit_test(test_str_growth),
		cmocka_unit_test(test_str_truncate),
		cmocka_unit_test(test_json_text_matches_jansson),
		cmocka_unit_test(test_json_text_full),
		cmocka_unit_test(test_str_max),
		cmocka_unit_test(test_str_copy),
		cmocka_unit_test(test_str_ascii),
		cmocka_unit_test(test_str_quoted),
		cmocka_unit_test(test_error_set),
		cmocka_unit_test(test_error_null_and_truncation),
		cmocka_unit_test(test_error_code_names),
		cmocka_unit_test(test_clock_format),
		cmocka_unit_test(test_clock_parse_vectors),
		cmocka_unit_test(test_clock_round_trip),
		cmocka_unit_test(test_clock_parse_rejects),
		cmocka_unit_test(test_clock_now_override),
		cmocka_unit_test(test_config_defaults),
		cmocka_unit_test(test_config_every_name_found),
		cmocka_unit_test(test_config_parse_file),
		cmocka_unit_test(test_config_bool_forms),
		cmocka_unit_test(test_config_errors_name_line),
		cmocka_unit_test(test_config_invalid_values),
		cmocka_unit_test(test_config_all_or_nothing),
		cmocka_unit_test(test_config_set),
		cmocka_unit_test(test_config_list_item),
		cmocka_unit_test(test_config_wrong_getter_aborts),
		cmocka_unit_test(test_config_write_defaults),
		cmocka_unit_test(test_config_write_round_trip),
		cmocka_unit_test(test_config_limits),
		cmocka_unit_test_setup_teardown(test_file_round_trip,
			make_temp_dir, remove_temp_dir),
		cmocka_unit_test_setup_teardown(test_file_mode,
			make_temp_dir, remove_temp_dir),
		cmocka_unit_test_setup_teardown(test_file_read_errors,
			make_temp_dir, remove_temp_dir),
		cmocka_unit_test_setup_teardown(test_file_write_errors,
			make_temp_dir, remove_temp_dir),
		cmocka_unit_test_setup_teardown(test_file_make_dirs,
			make_temp_dir, remove_temp_dir),
		cmocka_unit_test_setup_teardown(test_config_load_file,
			make_temp_dir, remove_temp_dir),
		cmocka_unit_test(test_cidr),
		cmocka_unit_test(test_periodic),
		cmocka_unit_test_setup_teardown(test_log,
			make_temp_dir, remove_temp_dir),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
