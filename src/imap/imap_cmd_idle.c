/*
 * IDLE (RFC 2177): the client waits and the server tells it of new and
 * expunged messages as they happen, woken by mail_notify_changed after
 * every delivery, append, copy, flag change or expunge. Layer: front end.
 * SECURITY: IDLE ends at the session timeout (RFC 9051 §5.4: at least 30
 * minutes once signed in, imap.timeout_s) like any silence.
 */
#include <string.h>

#include "core/clock.h"
#include "core/error.h"
#include "core/net.h"
#include "imap/imap_internal.h"

/*
 * The wait is sliced so "DONE" is seen within a slice of the client
 * sending it; a change wakes the wait at once. A keepalive every two
 * minutes keeps NAT and firewalls from dropping a quiet connection.
 */
#define IDLE_SLICE_MS 200
#define IDLE_KEEPALIVE_MS (2 * 60 * 1000)

/*
 * Looks for the line that ends IDLE without waiting more than a moment:
 * 1 when it came (*done_r false if it was not DONE), 0 when nothing has,
 * -1 when the client has gone. A read, not a peek, so a closed connection
 * is seen at once.
 */
static int
poll_done(struct imap_session *s, int timeout_ms, bool *done_r)
{
	size_t len;
	unsigned flags;
	struct error err;
	net_set_timeout(s->conn, 1);
	int rc = net_read_line(s->conn, s->line, IMAP_LINE_MAX, &len, &flags,
		&err);
	net_set_timeout(s->conn, timeout_ms);
	if (rc < 0) {
		if (err.code == ERROR_TEMPORARY)
			return 0;
		if (err.code != ERROR_LIMIT)
			return -1;
		*done_r = false;
		return 1;
	}
	*done_r = flags == 0 && span_eq_nocase(span_make(s->line, len), "DONE");
	return 1;
}

/* The store again after waiting without it; BYE if it cannot be had. */
static int
idle_reopen(struct imap_session *s)
{
	struct error err;
	if (imap_store_open(s, &err) == 0)
		return 0;
	imap_untagged(s, "BYE %s", err.msg);
	return -1;
}

int
imap_cmd_idle(struct imap_session *s, const struct imap_command *c)
{
	struct error err;
	if (c->count != 0)
		return imap_bad(s, "IDLE takes no arguments");
	s->may_expunge = true;
	if (imap_view_sync(s, false) < 0 ||
		net_printf(s->conn, &err, "+ idling\r\n") < 0 ||
		net_flush(s->conn, &err) < 0)
		return -1;
	int64_t mailbox = s->state == IMAP_STATE_SELECTED ?
		s->view.folder.mailbox_id :
		s->user.mailbox_id;
	uint64_t seq = mail_change_seq(mailbox);
	int64_t start = clock_monotonic_ms(), keepalive = start;
	int timeout = s->server->timeout_ms;
	bool done = false;
	/* PERFORMANCE.md B4: nothing but the view is held while waiting. */
	imap_session_release(s);
	for (;;) {
		uint64_t now_seq = mail_wait_change(mailbox, seq,
			IDLE_SLICE_MS);
		if (now_seq != seq) {
			seq = now_seq;
			if (idle_reopen(s) < 0 ||
				imap_view_sync(s, false) < 0 ||
				net_flush(s->conn, &err) < 0)
				return -1;
			imap_session_release(s);
		}
		int rc = poll_done(s, timeout, &done);
		if (rc < 0)
			return -1;
		if (rc > 0)
			break;
		int64_t t = clock_monotonic_ms();
		if (t - start >= timeout) {
			imap_untagged(s, "BYE IDLE lasted too long; goodbye");
			return -1;
		}
		if (t - keepalive >= IDLE_KEEPALIVE_MS) {
			keepalive = t;
			if (imap_untagged(s, "OK still here") < 0 ||
				net_flush(s->conn, &err) < 0)
				return -1;
		}
	}
	if (idle_reopen(s) < 0)
		return -1;
	if (!done)
		return imap_bad(s, "IDLE ends with DONE");
	return imap_tagged(s, "OK", NULL, "IDLE terminated");
}
