/*
 * Opening and closing a mailbox: SELECT, EXAMINE, CLOSE, UNSELECT and
 * CHECK (RFC 3501 §6.3.1-2, §6.4.1-2; RFC 3691). Layer: front end.
 * SELECT claims the mailbox's new messages as \Recent for this session;
 * EXAMINE shows them without claiming them (imap_view.c).
 */
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/log.h"
#include "core/xmalloc.h"
#include "imap/imap_internal.h"
#include "mail/mail_notify.h"

int
imap_cmd_select(struct imap_session *s, const struct imap_command *c)
{
	bool examine = span_eq_nocase(c->name, "EXAMINE");
	const char *name;
	struct error err;
	if (c->count != 1)
		return imap_bad(s, "%s takes a mailbox name",
			examine ? "EXAMINE" : "SELECT");
	if (imap_arg_string(&c->args[0], s->cmd, &name, &err) < 0)
		return imap_bad(s, "%s", err.msg);
	/*
	 * RFC 3501 §6.3.1: a failed SELECT leaves nothing selected. Opening
	 * the folder checked the grant of a shared one and read its row, its
	 * change counter and its \Recent mark just now: no second look (a
	 * round trip on PostgreSQL, B3). The changes this process heard of
	 * in the person's own mailbox are counted before that read.
	 */
	imap_view_close(s);
	struct mail_folder f;
	struct imap_view_opened opened = {
		.change_seq = mail_change_seq(s->user.mailbox_id) };
	if (mail_folder_open_with_state(&s->user, name, &f, &opened.state,
		    &err) < 0 ||
		imap_view_open(s, &f, examine,
			f.mailbox_id == s->user.mailbox_id ? &opened : NULL,
			&err) < 0) {
		imap_view_close(s);
		return imap_reply_error(s, &err);
	}
	/* A grantee opening a shared mailbox uses it (SPEC L5). */
	if (mail_folder_used(&s->user, &f, &err) < 0)
		log_warn("imap.shared_used", "mailbox=%lld reason=\"%s\"",
			(long long)f.mailbox_id, err.msg);
	/*
	 * EXISTS, RECENT and UNSEEN come from the view just read, so they
	 * agree with each other and cost no index seek in the messages
	 * (a cold one is a page fault: B3). UIDNEXT is past every UID the
	 * view holds, whatever arrived after the folder row was read.
	 */
	const struct imap_view *v = &s->view;
	size_t unseen = imap_view_first_unseen(v);
	int64_t uidnext = f.uidnext;
	if (v->count > 0 && (int64_t)v->uids[v->count - 1] >= uidnext)
		uidnext = (int64_t)v->uids[v->count - 1] + 1;
	if (imap_view_announce_flags(s) < 0 ||
		imap_untagged(s, "%zu EXISTS", v->count) < 0 ||
		imap_untagged(s, "%zu RECENT", imap_view_recent_count(v)) < 0 ||
		(unseen != 0 &&
			imap_untagged(s, "OK [UNSEEN %zu] first unseen",
				unseen) < 0) ||
		imap_untagged(s, "OK [UIDVALIDITY %lld] UIDs valid",
			(long long)f.uidvalidity) < 0 ||
		imap_untagged(s, "OK [UIDNEXT %lld] predicted next UID",
			(long long)uidnext) < 0)
		return -1;
	return imap_tagged(s, "OK", examine ? "READ-ONLY" : "READ-WRITE",
		"%s completed", examine ? "EXAMINE" : "SELECT");
}

/* Removes every \Deleted message of the view without a word (CLOSE). */
static int
expunge_silently(struct imap_session *s, struct error *err)
{
	struct imap_view *v = &s->view;
	if (v->count == 0)
		return 0;
	int64_t *gone = xmalloc(v->count * sizeof(*gone));
	size_t n = 0;
	int64_t next = v->uids[0], last = v->uids[v->count - 1];
	int rc = 0;
	while (rc == 0 && next <= last) {
		struct store_message *rows;
		size_t count;
		arena_reset(s->page);
		rc = mail_folder_messages(&s->user, &v->folder, next, last,
			IMAP_PAGE_ROWS, STORE_MESSAGE_COLUMNS_FLAGS, s->page,
			&rows, &count, err);
		if (rc < 0 || count == 0)
			break;
		for (size_t i = 0; i < count && n < v->count; i++) {
			if ((rows[i].flags & IMAP_FLAG_DELETED) != 0 &&
				imap_view_seq(v, rows[i].uid) != 0)
				gone[n++] = rows[i].uid;
		}
		next = rows[count - 1].uid + 1;
	}
	if (rc == 0)
		rc = mail_message_expunge(&s->user, &v->folder, gone, n, err);
	free(gone);
	return rc;
}

int
imap_cmd_close(struct imap_session *s, const struct imap_command *c)
{
	if (c->count != 0)
		return imap_bad(s, "CLOSE takes no arguments");
	struct error err;
	/* RFC 3501 §6.4.2: no EXPUNGE responses, and none for EXAMINE. */
	if (!s->view.read_only && expunge_silently(s, &err) < 0)
		return imap_reply_error(s, &err);
	imap_view_close(s);
	return imap_tagged(s, "OK", NULL, "CLOSE completed");
}

int
imap_cmd_unselect(struct imap_session *s, const struct imap_command *c)
{
	if (c->count != 0)
		return imap_bad(s, "UNSELECT takes no arguments");
	imap_view_close(s);
	return imap_tagged(s, "OK", NULL, "UNSELECT completed");
}

int
imap_cmd_check(struct imap_session *s, const struct imap_command *c)
{
	if (c->count != 0)
		return imap_bad(s, "CHECK takes no arguments");
	/* Every change is durable when made: nothing is left to flush. */
	if (imap_view_sync(s, true) < 0)
		return -1;
	return imap_tagged(s, "OK", NULL, "CHECK completed");
}
