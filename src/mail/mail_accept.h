/*
 * A message accepted at intake: delivered to the recipients the policy
 * stage let through, then the reports its sender is owed — one failure
 * report for the recipients the policy stopped (SPEC M8, M12: what
 * happened and what to do) and the success reports RFC 3461 asked for.
 * Layer: domain. RFC 3461, RFC 3464.
 */
#ifndef MAIL_ACCEPT_H
#define MAIL_ACCEPT_H

#include <stddef.h>

#include "mail/mail.h"

struct dir_ctx;
struct error;
struct store_writer;

/*
 * Delivers m (mail_deliver) to each recipient whose stopped[i] is NULL
 * (stopped NULL: every one) and sealed[i] false (sealed NULL: none is);
 * those marked sealed get a notice instead, the message sealed for the
 * secure message portal in the same commit (SPEC M10); then, each in its own commit after it:
 * a failure report (5.7.1) to m's sender with a line for each stopped
 * recipient whose NOTIFY allows one, stopped[i] the words for people,
 * with the message's header only; and the success reports asked for. A
 * report that cannot be written is logged, never a reason to lose the
 * message: the result is mail_deliver's. Sent as or on behalf of a shared
 * mailbox (m->right, the From a live shared mailbox) with
 * mail.shared_sent_copies on, the delivery's commit also files a \Seen
 * copy in that mailbox's Sent Items (SPEC M12a), stopped recipients or
 * not, and m->notes are written (mail_deliver). With every recipient
 * stopped and no such copy nothing is delivered and report_r counts
 * nothing; the notes are written all the same.
 */
int mail_accept(struct store_writer *w, const struct dir_ctx *ctx,
	const struct mail_message *m, const struct mail_recipient *recipients,
	size_t count, const char *const *stopped, const bool *sealed,
	struct mail_delivery_report *report_r, struct error *err);

#endif
