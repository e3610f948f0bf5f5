/*
 * dlp scan: the NHS numbers in a message file as the DLP policy sees them
 * (mail/mail_dlp.h), for an operator checking a message and for tests.
 * Layer: front end. SECURITY: only masked numbers are printed.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli_internal.h"
#include "core/arena.h"
#include "core/error.h"
#include "core/spool.h"
#include "mail/mail_dlp.h"

/* Exit statuses beyond CLI_EXIT_OK, FAILURE and USAGE (docs/cli.md). */
#define DLP_EXIT_FOUND 3
#define DLP_EXIT_UNSCANNABLE 4

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
	bool stdin_ = strcmp(path, "-") == 0;
	int fd = stdin_ ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		cli_settings_close(&set);
		return error_set(err, ERROR_INVALID, "cannot open %s: %s", path,
			strerror(errno));
	}
	struct span msg;
	struct spool *sp = cli_read_spooled(set.config, fd,
		stdin_ ? CLI_STDIN_NAME : path, &msg, err);
	if (!stdin_)
		close(fd);
	cli_settings_close(&set);
	if (sp == NULL)
		return -1;
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
