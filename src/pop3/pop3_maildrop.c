/*
 * The maildrop: the INBOX as it stood at sign-in, STAT, LIST, UIDL, RETR,
 * TOP, DELE, RSET, and the UPDATE state that removes deleted messages only
 * at QUIT (RFC 1939 §5-6; SECURITY.md item 28: a dropped connection keeps
 * every message). Layer: front end.
 */
#include <stdio.h>
#include <string.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/log.h"
#include "core/net.h"
#include "core/str.h"
#include "pop3/pop3_internal.h"

/* Large mailboxes are read in pages of this many rows. */
#define MAILDROP_PAGE 1000

int
pop3_maildrop_load(struct pop3_session *s, struct error *err)
{
	if (mail_folder_open(&s->mail, "INBOX", &s->inbox, err) < 0)
		return -1;
	size_t capacity = 0;
	int64_t next_uid = 1;
	for (;;) {
		struct store_message *page;
		size_t n;
		if (mail_folder_messages(&s->mail, &s->inbox, next_uid,
			    INT64_MAX, MAILDROP_PAGE,
			    STORE_MESSAGE_COLUMNS_FLAGS, s->arena, &page, &n,
			    err) < 0)
			return -1;
		for (size_t i = 0; i < n; i++) {
			struct pop3_message *m = arena_array_push(s->arena,
				(void **)&s->messages, &s->count, &capacity,
				sizeof(*m));
			if (m == NULL)
				return error_set(err, ERROR_LIMIT,
					"the mailbox is too large for POP3; use "
					"IMAP");
			m->row = page[i];
		}
		if (n < MAILDROP_PAGE)
			return 0;
		next_uid = page[n - 1].uid + 1;
	}
}

/* The message a client's number names, or NULL after an -ERR reply. */
static struct pop3_message *
message_arg(struct pop3_session *s, struct span arg)
{
	uint64_t n;
	if (!span_to_u64(span_trim(arg), &n) || n == 0 || n > s->count) {
		pop3_err(s, "there is no message %.*s", (int)arg.len, arg.p);
		return NULL;
	}
	struct pop3_message *m = &s->messages[n - 1];
	if (m->deleted) {
		pop3_err(s, "message %llu is already deleted",
			(unsigned long long)n);
		return NULL;
	}
	return m;
}

int
pop3_cmd_stat(struct pop3_session *s)
{
	size_t n = 0;
	int64_t octets = 0;
	for (size_t i = 0; i < s->count; i++) {
		if (s->messages[i].deleted)
			continue;
		n++;
		octets += s->messages[i].row.size;
	}
	return pop3_ok(s, "%zu %lld", n, (long long)octets);
}

/* UIDL values stay unique across UIDVALIDITY changes (RFC 1939 §7). */
static void
list_line(struct pop3_session *s, size_t i, bool uidl, struct error *err)
{
	const struct store_message *row = &s->messages[i].row;
	if (uidl)
		net_printf(s->conn, err, "%zu %lld.%lld\r\n", i + 1,
			(long long)s->inbox.uidvalidity, (long long)row->uid);
	else
		net_printf(s->conn, err, "%zu %lld\r\n", i + 1,
			(long long)row->size);
}

int
pop3_cmd_list(struct pop3_session *s, struct span arg, bool uidl)
{
	struct error err;
	if (span_trim(arg).len > 0) {
		struct pop3_message *m = message_arg(s, arg);
		if (m == NULL)
			return 0;
		size_t i = (size_t)(m - s->messages);
		return uidl ?
			pop3_ok(s, "%zu %lld.%lld", i + 1,
				(long long)s->inbox.uidvalidity,
				(long long)m->row.uid) :
			pop3_ok(s, "%zu %lld", i + 1, (long long)m->row.size);
	}
	pop3_ok(s, "listing follows");
	for (size_t i = 0; i < s->count; i++) {
		if (!s->messages[i].deleted)
			list_line(s, i, uidl, &err);
	}
	return net_printf(s->conn, &err, ".\r\n");
}

/*
 * Sends text dot-stuffed (RFC 1939 §3). With a line limit (TOP), the header
 * and that many body lines.
 */
static int
send_stuffed(struct pop3_session *s, struct span text, bool top,
	uint64_t body_lines)
{
	struct error err;
	bool in_body = false;
	uint64_t sent_body = 0;
	size_t pos = 0;
	while (pos < text.len) {
		const char *nl = memchr(text.p + pos, '\n', text.len - pos);
		size_t end = nl != NULL ? (size_t)(nl - text.p) + 1 : text.len;
		struct span line = span_make(text.p + pos, end - pos);
		if (top && in_body && sent_body++ >= body_lines)
			break;
		if (line.p[0] == '.' && net_write(s->conn, ".", 1, &err) < 0)
			return -1;
		if (net_write(s->conn, line.p, line.len, &err) < 0)
			return -1;
		if (line.len <= 2 && !in_body)
			in_body = true;	/* the blank line ends the header */
		pos = end;
	}
	if (text.len > 0 && text.p[text.len - 1] != '\n')
		net_write(s->conn, "\r\n", 2, &err);
	return net_printf(s->conn, &err, ".\r\n");
}

int
pop3_cmd_retr(struct pop3_session *s, struct span arg, bool top)
{
	struct span rest = span_trim(arg), number;
	uint64_t lines = 0;
	span_split(&rest, ' ', &number);
	if (top && !span_to_u64(span_trim(rest), &lines))
		return pop3_err(s, "TOP needs a message number and a line count");
	struct pop3_message *m = message_arg(s, number);
	if (m == NULL)
		return 0;
	const char *data;
	size_t size;
	struct error err;
	if (mail_message_read(&s->mail, &s->inbox, &m->row, s->scratch, &data,
		    &size, &err) < 0) {
		log_warn("pop3.retr", "uid=%lld reason=\"%s\"",
			(long long)m->row.uid, err.msg);
		return pop3_err(s, "the message cannot be read just now");
	}
	pop3_ok(s, "%lld octets", (long long)m->row.size);
	return send_stuffed(s, span_make(data, size), top, lines);
}

int
pop3_cmd_dele(struct pop3_session *s, struct span arg)
{
	struct pop3_message *m = message_arg(s, arg);
	if (m == NULL)
		return 0;
	m->deleted = true;
	return pop3_ok(s, "message %zu deleted", (size_t)(m - s->messages) + 1);
}

int
pop3_cmd_rset(struct pop3_session *s)
{
	for (size_t i = 0; i < s->count; i++)
		s->messages[i].deleted = false;
	return pop3_cmd_stat(s);
}

int
pop3_update(struct pop3_session *s)
{
	int64_t *uids = arena_alloc(s->scratch, (s->count + 1) * sizeof(*uids));
	size_t n = 0;
	if (uids == NULL)
		return pop3_err(s, "too many messages to remove at once");
	for (size_t i = 0; i < s->count; i++) {
		if (s->messages[i].deleted)
			uids[n++] = s->messages[i].row.uid;
	}
	struct error err;
	if (n > 0 && mail_message_expunge(&s->mail, &s->inbox, uids, n,
			     &err) < 0) {
		log_warn("pop3.update", "user=%s reason=\"%s\"", s->mail.address,
			err.msg);
		return pop3_err(s, "the deleted messages could not be removed; "
				   "they are still there");
	}
	return pop3_ok(s, "goodbye (%zu messages removed)", n);
}
