/*
 * The mail counters for Prometheus (docs/operations.md): messages
 * accepted, copies delivered to local mailboxes, and what became of each
 * outbound attempt. Layer: domain, private to mail/. Counts only: no
 * address, no domain.
 */
#ifndef MAIL_MAIL_METRICS_H
#define MAIL_MAIL_METRICS_H

#include <stdint.h>

#include "mail/mail_queue.h"

/* A message accepted for delivery (SMTP, submission, the portal). */
void mail_metrics_accepted(void);
/* Copies a delivery put in local mailboxes. */
void mail_metrics_delivered_local(int64_t mailboxes);
/* One outbound recipient's attempt, once its outcome is recorded. */
void mail_metrics_outbound(enum mail_queue_result result);

#endif
