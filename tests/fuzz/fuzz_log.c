/*
 * Fuzz target for the structured log's line writer (core/log.c), which
 * takes a client's words (an IMAP LOGIN name, an SMTP address, a header)
 * into a line of key=value fields. Whatever the words, the line must read
 * back as exactly the fields the call wrote: the same keys, in order, one
 * line, and each value, unescaped, the words themselves (control bytes
 * shown as '_'). A forged field (`x" result=ok`) or a forged line fails.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FIELDS 7

static FILE *sink;
static int real_stderr = -1;

/*
 * Reads `key=value` fields, a value bare (to the next space) or quoted
 * (with \" and \\ inside): the reading every log tool makes (docs/logs.md).
 * 0 with the keys and values; -1 when the line is not made of fields.
 */
static int
read_fields(char *line, char *keys[], char *values[], size_t max,
	size_t *count_r)
{
	size_t n = 0;
	char *p = line;
	while (*p != '\0') {
		if (n == max)
			return -1;
		char *eq = strchr(p, '=');
		if (eq == NULL || eq == p || memchr(p, ' ', (size_t)(eq - p)))
			return -1;
		*eq = '\0';
		keys[n] = p;
		char *v = eq + 1, *out = v;
		values[n] = v;
		if (*v == '"') {
			char *in = v + 1;
			for (;;) {
				if (*in == '\0')
					return -1;
				if (*in == '\\' && (in[1] == '"' || in[1] == '\\')) {
					*out++ = in[1];
					in += 2;
					continue;
				}
				if (*in == '"')
					break;
				*out++ = *in++;
			}
			*out = '\0';
			p = in + 1;
		} else {
			p = v;
			while (*p != '\0' && *p != ' ')
				p++;
			if (*p != '\0')
				*p++ = '\0';
			n++;
			continue;
		}
		n++;
		if (*p == ' ')
			p++;
		else if (*p != '\0')
			return -1;
	}
	*count_r = n;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 600)
		return 0;	/* whole lines only: the writer cuts past 2 KiB */
	if (sink == NULL) {
		sink = tmpfile();
		real_stderr = dup(STDERR_FILENO);
		if (sink == NULL || real_stderr < 0)
			abort();
	}
	char words[601];
	memcpy(words, data, size);
	words[size] = '\0';
	size_t len = strlen(words);	/* a C string ends at its NUL */
	/*
	 * The line goes to a file for the call alone: the fuzzer's own
	 * reports (a crash found) must still reach the real stderr.
	 */
	fflush(stderr);
	if (ftruncate(fileno(sink), 0) < 0 ||
	    lseek(fileno(sink), 0, SEEK_SET) < 0 ||
	    dup2(fileno(sink), STDERR_FILENO) < 0)
		abort();
	log_info("fuzz.event", "user=\"%s\" name=%s n=%d tail=%s", words,
		words, 7, "end");
	fflush(stderr);
	if (dup2(real_stderr, STDERR_FILENO) < 0)
		abort();
	char line[4096];
	ssize_t got = pread(fileno(sink), line, sizeof(line) - 1, 0);
	if (got <= 0)
		abort();
	line[got] = '\0';
	/* One line, ended by its newline. */
	if (line[got - 1] != '\n' || strchr(line, '\n') != line + got - 1)
		abort();
	line[got - 1] = '\0';
	char *keys[FIELDS], *values[FIELDS];
	size_t n;
	if (read_fields(line, keys, values, FIELDS, &n) < 0 || n != FIELDS)
		abort();
	static const char *const expect[FIELDS] = { "ts", "level", "event",
		"user", "name", "n", "tail" };
	for (size_t i = 0; i < FIELDS; i++) {
		if (strcmp(keys[i], expect[i]) != 0)
			abort();
	}
	/* The words as written: control bytes are shown as '_'. */
	char shown[601];
	for (size_t i = 0; i <= len; i++)
		shown[i] = i < len && ((unsigned char)words[i] < 0x20 ||
			words[i] == 0x7f) ? '_' : words[i];
	if (strcmp(values[3], shown) != 0 || strcmp(values[4], shown) != 0 ||
	    strcmp(values[5], "7") != 0 || strcmp(values[6], "end") != 0)
		abort();
	return 0;
}
