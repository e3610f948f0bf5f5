/*
 * IDLE (RFC 2177): the client waits and the server tells it of new and
 * expunged messages as they happen, woken through the store's change
 * report (mail_notify.h) after every delivery, append, copy, flag change
 * or expunge commits. Layer: front end.
 * SECURITY: IDLE ends at the session timeout (RFC 9051 §5.4: at least 30
 * minutes once signed in, imap.timeout_s) like any silence.
 */
#include <string.h>

#include "core/clock.h"
#include "core/error.h"
#include "core/net.h"
#include "imap/imap_internal.h"
#include "mail/mail_notify.h"

/*
 * The session sleeps in poll on its socket and its mailbox watch together,
 * so "DONE" and a change are each seen at once and an idle session costs
 * no CPU. A keepalive every two minutes keeps NAT and firewalls from
 * dropping a quiet connection.
 */
#define IDLE_KEEPALIVE_MS (2 * 60 * 1000)

/*
 * Looks for the line that ends IDLE without waiting more than a moment
 * (the bytes are there, or a part of the line is):
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

static int
idle_sync(struct imap_session *s)
{
	struct error err;
	if (idle_reopen(s) < 0 || imap_view_sync(s, false) < 0 ||
	    net_flush(s->conn, &err) < 0)
		return -1;
	imap_session_release(s);
	return 0;
}

static int
idle_wait(struct imap_session *s, struct mail_watch *watch, bool *done_r)
{
	struct error err;
	int64_t start = clock_monotonic_ms(), keepalive = start;
	int timeout = s->server->timeout_ms;
	for (;;) {
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
		int64_t left = keepalive + IDLE_KEEPALIVE_MS - t;
		if (start + timeout - t < left)
			left = start + timeout - t;
		switch (net_wait_input(s->conn, watch->fd, (int)left)) {
		case NET_WAIT_TIMEOUT:
			break;
		case NET_WAIT_OTHER:
			mail_watch_clear(watch);
			if (idle_sync(s) < 0)
				return -1;
			break;
		case NET_WAIT_INPUT: {
			int rc = poll_done(s, timeout, done_r);
			if (rc != 0)
				return rc < 0 ? -1 : 0;
			break;
		}
		}
	}
}

int
imap_cmd_idle(struct imap_session *s, const struct imap_command *c)
{
	struct error err;
	if (c->count != 0)
		return imap_bad(s, "IDLE takes no arguments");
	s->may_expunge = true;
	int64_t mailbox = s->state == IMAP_STATE_SELECTED ?
		s->view.folder.mailbox_id :
		s->user.mailbox_id;
	struct mail_watch watch = { .fd = -1 };
	/* Watching before the first sync: no change can fall between. */
	if (mail_watch_start(&watch, mailbox, &err) < 0) {
		imap_untagged(s, "BYE %s", err.msg);
		return -1;
	}
	bool done = false;
	int rc = -1;
	if (imap_view_sync(s, false) == 0 &&
	    net_printf(s->conn, &err, "+ idling\r\n") == 0 &&
	    net_flush(s->conn, &err) == 0) {
		/* PERFORMANCE.md B4: nothing but the view is held while waiting. */
		imap_session_release(s);
		rc = idle_wait(s, &watch, &done);
	}
	mail_watch_stop(&watch);
	if (rc < 0 || idle_reopen(s) < 0)
		return -1;
	if (!done)
		return imap_bad(s, "IDLE ends with DONE");
	return imap_tagged(s, "OK", NULL, "IDLE terminated");
}
