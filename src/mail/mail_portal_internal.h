/*
 * Shared by the portal's files only: the access log and audit row every
 * portal step writes, and opening a sealed message. Layer: domain.
 */
#ifndef MAIL_MAIL_PORTAL_INTERNAL_H
#define MAIL_MAIL_PORTAL_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mail/mail_portal.h"

/*
 * The audit trail's object type of portal rows: the policy's "message"
 * (SPEC P10's list), the summary's event saying which step (secure_*).
 */
#define PORTAL_AUDIT_OBJECT "message"

struct dir_ctx;
struct error;
struct mail_mime_part;

/*
 * One access-log row and one audit row (action "other", object
 * secure_message, summary {"event", "address"}) in the caller's
 * transaction. Never the token, the code or the content.
 */
int portal_note(const struct dir_ctx *ctx, int64_t message_id,
	int64_t recipient_id, const char *address, const char *event, bool ok,
	struct error *err);

/*
 * portal_note for a refusal, in a transaction of its own, with err left
 * as it was (the refusal is what the caller reports). A note that cannot
 * be written is logged.
 */
void portal_note_refused(const struct dir_ctx *ctx, int64_t message_id,
	int64_t recipient_id, const char *address, const char *event,
	const struct error *refusal);

/* Sets err to the refusal for state (not MAIL_PORTAL_OPEN); -1. */
int portal_state_error(enum mail_portal_state state, struct error *err);

/* The message's clear text in ctx->arena; ERROR_NOT_FOUND once purged. */
int portal_unseal(const struct dir_ctx *ctx,
	const struct store_secure_message *m, char **data_r, size_t *size_r,
	struct error *err);

/* The decoded From and Subject of a message in clear (ctx->arena). */
void portal_from_subject(const struct dir_ctx *ctx, const char *data,
	size_t size, const char **from_r, const char **subject_r);

/*
 * The most memory opening one message may take: a few times the largest
 * message smtp.max_message_size_mb lets in.
 */
size_t portal_work_cap(const struct dir_ctx *ctx);

#endif
