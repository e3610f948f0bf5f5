/*
 * The mail counters (mail_metrics.h): declared here once, updated by
 * one-line hooks where mail is accepted, delivered and sent on. Layer:
 * domain. The families' text is what docs/operations.md lists.
 */
#include "mail/mail_metrics.h"

#include "core/metrics.h"

static struct metrics_family accepted = {
	.name = "caremail_messages_accepted_total",
	.help = "Messages accepted for delivery (SMTP and submission after "
		"DATA, the portal's send), once durable.",
	.type = METRICS_COUNTER,
};
METRICS_REGISTER(accepted)
static struct metrics_family delivered = {
	.name = "caremail_messages_delivered_total",
	.help = "Deliveries: destination local counts copies put in local "
		"mailboxes; remote counts outbound recipients the receiving "
		"server accepted.",
	.type = METRICS_COUNTER,
	.labels = { "destination" },
};
METRICS_REGISTER(delivered)
static struct metrics_family deferred = {
	.name = "caremail_messages_deferred_total",
	.help = "Outbound recipient attempts that failed for now and will be "
		"tried again.",
	.type = METRICS_COUNTER,
};
METRICS_REGISTER(deferred)
static struct metrics_family bounced = {
	.name = "caremail_messages_bounced_total",
	.help = "Outbound recipients given up on (a permanent refusal, or "
		"retries run out): the sender was sent a failure report.",
	.type = METRICS_COUNTER,
};
METRICS_REGISTER(bounced)

void
mail_metrics_accepted(void)
{
	metrics_add(metrics_series(&accepted, NULL, NULL), 1);
}

void
mail_metrics_delivered_local(int64_t mailboxes)
{
	if (mailboxes > 0)
		metrics_add(metrics_series(&delivered, "local", NULL),
			mailboxes);
}

void
mail_metrics_outbound(enum mail_queue_result result)
{
	switch (result) {
	case MAIL_QUEUE_DELIVERED:
		metrics_add(metrics_series(&delivered, "remote", NULL), 1);
		break;
	case MAIL_QUEUE_DEFERRED:
		metrics_add(metrics_series(&deferred, NULL, NULL), 1);
		break;
	case MAIL_QUEUE_FAILED:
		metrics_add(metrics_series(&bounced, NULL, NULL), 1);
		break;
	}
}

/*
 * Both destinations are listed from the start, at zero, so rate() sees
 * the first delivery of each.
 */
__attribute__((constructor)) static void
mail_metrics_destinations(void)
{
	metrics_series(&delivered, "local", NULL);
	metrics_series(&delivered, "remote", NULL);
}
