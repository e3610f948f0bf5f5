/*
 * Mailbox management: CREATE, DELETE, RENAME, SUBSCRIBE, UNSUBSCRIBE and
 * STATUS (RFC 3501 §6.3.3-6.3.6, §6.3.10). Layer: front end. The rules
 * (names, INBOX, shared mailboxes) are mail_folder's.
 */
#include <string.h>

#include "core/arena.h"
#include "core/error.h"
#include "imap/imap_internal.h"

/* The one mailbox-name argument of CREATE, DELETE, (UN)SUBSCRIBE. */
static int
mailbox_arg(struct imap_session *s, const struct imap_command *c,
	const char **name_r)
{
	struct error err;
	if (c->count != 1) {
		imap_bad(s, "%.*s takes a mailbox name", (int)c->name.len,
			c->name.p);
		return -1;
	}
	if (imap_arg_string(&c->args[0], s->cmd, name_r, &err) < 0) {
		imap_bad(s, "%s", err.msg);
		return -1;
	}
	return 0;
}

int
imap_cmd_create(struct imap_session *s, const struct imap_command *c)
{
	const char *name;
	struct error err;
	if (mailbox_arg(s, c, &name) < 0)
		return 0;
	if (mail_folder_create(&s->user, name, &err) < 0)
		return imap_reply_error(s, &err);
	return imap_tagged(s, "OK", NULL, "CREATE completed");
}

int
imap_cmd_delete(struct imap_session *s, const struct imap_command *c)
{
	const char *name;
	struct error err;
	struct mail_folder f;
	if (mailbox_arg(s, c, &name) < 0)
		return 0;
	if (s->state == IMAP_STATE_SELECTED &&
		mail_folder_open(&s->user, name, &f, &err) == 0 &&
		f.id == s->view.folder.id)
		return imap_tagged(s, "NO", "INUSE",
			"close the mailbox before deleting it");
	if (mail_folder_delete(&s->user, name, &err) < 0)
		return imap_reply_error(s, &err);
	return imap_tagged(s, "OK", NULL, "DELETE completed");
}

int
imap_cmd_rename(struct imap_session *s, const struct imap_command *c)
{
	const char *from, *to;
	struct error err;
	if (c->count != 2)
		return imap_bad(s, "RENAME takes the old and new names");
	if (imap_arg_string(&c->args[0], s->cmd, &from, &err) < 0 ||
		imap_arg_string(&c->args[1], s->cmd, &to, &err) < 0)
		return imap_bad(s, "%s", err.msg);
	if (mail_folder_rename(&s->user, from, to, &err) < 0)
		return imap_reply_error(s, &err);
	return imap_tagged(s, "OK", NULL, "RENAME completed");
}

int
imap_cmd_subscribe(struct imap_session *s, const struct imap_command *c)
{
	bool subscribe = span_eq_nocase(c->name, "SUBSCRIBE");
	const char *name;
	struct error err;
	if (mailbox_arg(s, c, &name) < 0)
		return 0;
	if (mail_folder_subscribe(&s->user, name, subscribe, &err) < 0)
		return imap_reply_error(s, &err);
	return imap_tagged(s, "OK", NULL, "%s completed",
		subscribe ? "SUBSCRIBE" : "UNSUBSCRIBE");
}

static const char *const status_items[] = { "MESSAGES", "RECENT", "UIDNEXT",
	"UIDVALIDITY", "UNSEEN" };

int
imap_cmd_status(struct imap_session *s, const struct imap_command *c)
{
	const char *name;
	struct error err;
	if (c->count != 2 || c->args[1].type != IMAP_ARG_LIST ||
		c->args[1].count == 0)
		return imap_bad(s,
			"STATUS takes a mailbox and a list of items");
	if (imap_arg_string(&c->args[0], s->cmd, &name, &err) < 0)
		return imap_bad(s, "%s", err.msg);
	const struct imap_arg *items = c->args[1].items;
	size_t n = c->args[1].count;
	for (size_t i = 0; i < n; i++) {
		bool known = false;
		for (size_t k = 0;
			k < sizeof(status_items) / sizeof(*status_items); k++)
			known = known ||
				imap_arg_is_atom(&items[i], status_items[k]);
		if (!known)
			return imap_bad(s,
				"STATUS reports MESSAGES, RECENT, "
				"UIDNEXT, UIDVALIDITY and UNSEEN");
	}
	struct mail_folder f;
	struct mail_folder_status st;
	if (mail_folder_open(&s->user, name, &f, &err) < 0 ||
		mail_folder_status(&s->user, &f, &st, &err) < 0)
		return imap_reply_error(s, &err);
	struct str out;
	str_init(&out, s->cmd, 64 * 1024);
	if (str_append_cstr(&out, "* STATUS ") < 0 ||
		imap_append_mailbox(&out, f.name) < 0 ||
		str_append_cstr(&out, " (") < 0)
		return imap_reply_error(s,
			&(struct error){ .code = ERROR_LIMIT,
				.msg = "out of memory" });
	for (size_t i = 0; i < n; i++) {
		const int64_t values[] = { st.messages, st.recent, st.uidnext,
			st.uidvalidity, st.unseen };
		size_t k = 0;
		while (!imap_arg_is_atom(&items[i], status_items[k]))
			k++;
		if (str_appendf(&out, "%s%s %lld", i > 0 ? " " : "",
			    status_items[k], (long long)values[k]) < 0)
			return -1;
	}
	if (str_append_cstr(&out, ")\r\n") < 0 ||
		imap_write(s, out.p, out.len) < 0)
		return -1;
	return imap_tagged(s, "OK", NULL, "STATUS completed");
}
