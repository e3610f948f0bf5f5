/*
 * dlp scan: the NHS numbers in a message file as the DLP policy sees them
 * (mail/mail_dlp.h), for an operator checking a message and for tests.
 * Layer: front end. SECURITY: only masked numbers are printed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli_internal.h"
#include "core/arena.h"
#include "core/config.h"
#include "core/error.h"
#include "core/spool.h"
#include "mail/mail_dlp.h"

/* Exit statuses beyond CLI_EXIT_OK, FAILURE and USAGE (docs/cli.md). */
#define DLP_EXIT_FOUND 3
#define DLP_EXIT_UNSCANNABLE 4

/* In memory up to this; the rest of a large message in a temporary file. */
#define DLP_SPOOL_MEM (1024 * 1024)

/* Reads fd to its end into sp; a message larger than the cap is refused. */
static int
read_all(int fd, const char *name, struct spool *sp, struct span *msg_r,
	struct error *err)
{
	char buf[16384];
	for (;;) {
		ssize_t got = read(fd, buf, sizeof(buf));
		if (got == 0)
			break;
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return error_set(err, ERROR_INVALID, "cannot read %s: %s",
				name, strerror(errno));
		/* Past the cap the spool keeps refusing: read on to the end. */
		if (spool_append(sp, buf, (size_t)got, err) < 0 &&
			err->code != ERROR_LIMIT)
			return -1;
	}
	if (spool_view(sp, msg_r, err) == 0)
		return 0;
	if (err->code == ERROR_LIMIT)
		error_set(err, ERROR_LIMIT, "%s is larger than "
			"smtp.max_message_size_mb: no message that large is "
			"accepted", name);
	return -1;
}

static json_t *
result_json(const struct mail_dlp_result *r)
{
	json_t *samples = json_array();
	for (size_t i = 0; i < r->sample_count; i++)
		json_array_append_new(samples, json_pack("{s:s, s:s, s:s}",
			"tier", mail_nhsnum_tier_name(r->samples[i].tier),
			"number", r->samples[i].masked,
			"where", r->samples[i].where));
	json_t *skipped = json_array();
	for (size_t i = 0; i < r->skipped_count; i++)
		json_array_append_new(skipped, json_pack("{s:s, s:s}",
			"where", r->skipped[i].where,
			"type", r->skipped[i].type));
	return json_pack("{s:s, s:{s:I, s:I, s:I}, s:o, s:I, s:o, s:b, s:o}",
		"tier", mail_nhsnum_tier_name(r->tier),
		"counts",
		"high", (json_int_t)r->counts[MAIL_NHSNUM_TIER_HIGH],
		"medium", (json_int_t)r->counts[MAIL_NHSNUM_TIER_MEDIUM],
		"low", (json_int_t)r->counts[MAIL_NHSNUM_TIER_LOW],
		"samples", samples,
		"texts_scanned", (json_int_t)r->texts,
		"skipped", skipped,
		"unscannable", r->unscannable,
		"reason", r->reason != NULL ? json_string(r->reason) :
					     json_null());
}

int
cli_dlp_scan(struct cli_args *args, struct error *err)
{
	const char *path = args->pos[0];
	struct cli_settings set;
	if (cli_settings_open(args, &set, err) < 0)
		return -1;
	size_t max = (size_t)config_get_int(set.config,
		"smtp.max_message_size_mb") * 1024 * 1024;
	cli_settings_close(&set);
	bool stdin_ = strcmp(path, "-") == 0;
	int fd = stdin_ ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return error_set(err, ERROR_INVALID, "cannot open %s: %s", path,
			strerror(errno));
	const char *tmp = getenv("TMPDIR");
	struct spool *sp = spool_new(tmp != NULL && tmp[0] != '\0' ? tmp :
		"/tmp", DLP_SPOOL_MEM, max);
	struct span msg;
	int rc = read_all(fd, stdin_ ? "the message on stdin" : path, sp, &msg,
		err);
	if (!stdin_)
		close(fd);
	if (rc < 0) {
		spool_free(&sp);
		return -1;
	}
	struct arena *a = arena_new(CLI_ARENA_CAP);
	struct mail_dlp_result r;
	mail_dlp_scan(msg.p, msg.len, a, &r);
	cli_print(args, result_json(&r), NULL);
	int status = r.unscannable ? DLP_EXIT_UNSCANNABLE :
		r.tier != MAIL_NHSNUM_TIER_NONE ? DLP_EXIT_FOUND : CLI_EXIT_OK;
	arena_free(&a);
	spool_free(&sp);
	return status;
}
