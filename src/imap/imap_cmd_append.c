/*
 * APPEND (RFC 3501 §6.3.11) with APPENDUID (RFC 4315 §3). Layer: front
 * end. The message arrives as a literal, sized up before the "+" by the
 * session (SECURITY.md item 31) and, past IMAP_LITERAL_MAX, read into a
 * spool rather than memory; it is stored like a delivery, durably,
 * through the group-commit writer, before the OK.
 */
#include <string.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/spool.h"
#include "imap/imap_internal.h"

/* Keywords as the store keeps them: space-separated. */
static const char *
join_keywords(const struct imap_flags *f, struct arena *a)
{
	struct str out;
	str_init(&out, a, 64 * 1024);
	if (str_append_cstr(&out, "") < 0)
		return NULL;
	for (size_t i = 0; i < f->keyword_count; i++) {
		if ((i > 0 && str_append_char(&out, ' ') < 0) ||
			str_append_cstr(&out, f->keywords[i]) < 0)
			return NULL;
	}
	return str_cstr(&out);
}

int
imap_cmd_append(struct imap_session *s, const struct imap_command *c)
{
	struct imap_append ap;
	struct error err;
	if (imap_parse_append(c->args, c->count, s->cmd, &ap, &err) < 0)
		return imap_bad(s, "%s", err.msg);
	struct span message = ap.message;
	bool has_nul = ap.message_has_nul;
	if (s->append_spool != NULL) {
		/* The session read the message to its spool: "{0}" here. */
		if (message.len != 0)
			return imap_bad(s, "only the message may be a large "
					   "literal");
		if (s->append_failed)
			return imap_reply_error(s, &s->append_fault);
		if (spool_view(s->append_spool, &message, &err) < 0)
			return imap_reply_error(s, &err);
		has_nul = memchr(message.p, '\0', message.len) != NULL;
	}
	if (message.len > s->server->max_message)
		return imap_tagged(s, "NO", "TOOBIG",
			"the message is larger than allowed");
	/* RFC 3501 §4.3: a literal is CHAR8, never NUL. */
	if (has_nul)
		return imap_bad(s, "a message may not hold NUL bytes");
	if (message.len == 0)
		return imap_bad(s, "the message is empty");
	struct mail_folder f;
	if (mail_folder_open(&s->user, ap.mailbox, &f, &err) < 0) {
		/* RFC 3501 §6.3.11: TRYCREATE when CREATE would help. */
		if (err.code == ERROR_NOT_FOUND)
			return imap_tagged(s, "NO", "TRYCREATE", "%s", err.msg);
		return imap_reply_error(s, &err);
	}
	const char *keywords = join_keywords(&ap.flags, s->cmd);
	if (keywords == NULL)
		return imap_bad(s, "too many keywords");
	struct mail_append m = {
		.data = message.p,
		.size = message.len,
		.flags = ap.flags.system,
		.keywords = keywords,
		.internal_date = ap.has_date ? ap.date : s->ctx.now,
	};
	int64_t uid;
	if (mail_message_append(&s->user, &f, &m, &uid, &err) < 0)
		return imap_reply_error(s, &err);
	return imap_tagged(s, "OK", NULL,
		"[APPENDUID %lld %lld] APPEND "
		"completed",
		(long long)f.uidvalidity, (long long)uid);
}
