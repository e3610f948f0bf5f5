/*
 * Change notification for IMAP IDLE and selected sessions: a counter per
 * mailbox (shared by a bucket) and eventfd watches, both moved by the
 * store's report of each committed change (store_change_subscribe): in
 * this process today; a PostgreSQL backend would feed the same reports
 * from LISTEN. Layer: domain. RFC 2177 (IDLE).
 */
#ifndef MAIL_MAIL_NOTIFY_H
#define MAIL_MAIL_NOTIFY_H

#include <stdint.h>

struct error;

/*
 * A counter that changes whenever a change to the mailbox is committed in
 * this process (several mailboxes may share one counter, so a change can
 * also be another's: callers look and see).
 */
uint64_t mail_change_seq(int64_t mailbox_id);

/*
 * A session's watch on one mailbox: an eventfd that becomes readable when
 * the mailbox changes, so IDLE can sleep on it and the client's socket
 * together (poll) instead of waking to look.
 */
struct mail_watch {
	int fd;			/* -1 when not watching */
	int64_t mailbox_id;
	struct mail_watch *next;	/* in its bucket; the bucket's lock */
};

/* Starts watching; ERROR_INTERNAL when no eventfd can be had. */
int mail_watch_start(struct mail_watch *w, int64_t mailbox_id,
	struct error *err);
/* Makes the fd unreadable again, after the change has been looked at. */
void mail_watch_clear(struct mail_watch *w);
/* Stops watching and closes the fd; safe on a watch never started. */
void mail_watch_stop(struct mail_watch *w);

#endif
