/*
 * Commands valid in any state: CAPABILITY, NOOP, LOGOUT (RFC 3501 §6.1),
 * ID (RFC 2971) and ENABLE (RFC 5161). Layer: front end.
 */
#include <stdio.h>
#include <string.h>

#include "imap/imap_internal.h"

/* ID lists at most 30 field-value pairs (RFC 2971 §3.3). */
#define ID_PAIRS_MAX 30

int
imap_cmd_capability(struct imap_session *s, const struct imap_command *c)
{
	if (c->count != 0)
		return imap_bad(s, "CAPABILITY takes no arguments");
	if (imap_untagged(s, "CAPABILITY %s", imap_capabilities(s)) < 0)
		return -1;
	return imap_tagged(s, "OK", NULL, "CAPABILITY completed");
}

int
imap_cmd_noop(struct imap_session *s, const struct imap_command *c)
{
	if (c->count != 0)
		return imap_bad(s, "NOOP takes no arguments");
	/* NOOP is how clients poll: always look for changes. */
	if (imap_view_sync(s, true) < 0)
		return -1;
	return imap_tagged(s, "OK", NULL, "NOOP completed");
}

int
imap_cmd_logout(struct imap_session *s, const struct imap_command *c)
{
	if (c->count != 0)
		return imap_bad(s, "LOGOUT takes no arguments");
	/*
	 * RFC 3501 §6.1.3: BYE, then the tagged OK, and nothing between
	 * them: the mailbox is let go first, so the OK brings no EXPUNGE or
	 * EXISTS after the BYE.
	 */
	imap_view_close(s);
	imap_untagged(s, "BYE signing off");
	imap_tagged(s, "OK", NULL, "LOGOUT completed");
	return -1;
}

/* Keeps "name version" of the client, printable ASCII only. */
static void
remember_client(struct imap_session *s, const struct imap_arg *list)
{
	struct span name = { "", 0 }, version = { "", 0 };
	for (size_t i = 0; i + 1 < list->count; i += 2) {
		const struct imap_arg *field = &list->items[i];
		const struct imap_arg *value = &list->items[i + 1];
		if (value->type == IMAP_ARG_ATOM)
			continue;	/* NIL */
		if (span_eq_nocase(field->text, "name"))
			name = value->text;
		else if (span_eq_nocase(field->text, "version"))
			version = value->text;
	}
	snprintf(s->client, sizeof(s->client), "%.*s%s%.*s",
		(int)(name.len < 60 ? name.len : 60), name.p,
		version.len > 0 ? " " : "",
		(int)(version.len < 40 ? version.len : 40), version.p);
	for (char *p = s->client; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
			*p = '?';
	}
}

int
imap_cmd_id(struct imap_session *s, const struct imap_command *c)
{
	/* The client's name and version go into the devices list (A7). */
	if (c->count != 1 ||
		(c->args[0].type != IMAP_ARG_LIST &&
			!imap_arg_is_atom(&c->args[0], "NIL")))
		return imap_bad(s, "ID takes NIL or a list of pairs");
	if (c->args[0].type == IMAP_ARG_LIST) {
		const struct imap_arg *list = &c->args[0];
		if (list->count % 2 != 0 || list->count > 2 * ID_PAIRS_MAX)
			return imap_bad(s,
				"ID takes at most %d field-value "
				"pairs",
				ID_PAIRS_MAX);
		for (size_t i = 0; i < list->count; i++) {
			if (list->items[i].type == IMAP_ARG_LIST)
				return imap_bad(s, "ID fields are strings");
		}
		remember_client(s, list);
	}
	/* No version: SECURITY.md item 46, no version banners. */
	if (imap_untagged(s, "ID (\"name\" \"caremail\")") < 0)
		return -1;
	return imap_tagged(s, "OK", NULL, "ID completed");
}

int
imap_cmd_enable(struct imap_session *s, const struct imap_command *c)
{
	if (c->count == 0)
		return imap_bad(s, "ENABLE takes the extensions to enable");
	for (size_t i = 0; i < c->count; i++) {
		if (c->args[i].type != IMAP_ARG_ATOM)
			return imap_bad(s, "ENABLE takes capability names");
	}
	/* RFC 5161 §3.1: only in the authenticated state, before SELECT. */
	if (s->state == IMAP_STATE_SELECTED)
		return imap_bad(s, "ENABLE comes before a mailbox is selected");
	/* None of our extensions needs enabling (no CONDSTORE, UTF8=ACCEPT). */
	if (imap_untagged(s, "ENABLED") < 0)
		return -1;
	return imap_tagged(s, "OK", NULL, "ENABLE completed");
}
