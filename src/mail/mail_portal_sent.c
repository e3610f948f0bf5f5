/*
 * The secure portal's sender side: a person's own sealed messages, who
 * read each and when, the access log, withdrawing a recipient's access;
 * and the expiry sweep that forgets expired messages' keys. Layer:
 * domain. SPEC M11. SECURITY: a sender sees only messages whose envelope
 * sender is their own address; another's is "no such message", never
 * "not yours".
 */
#include "mail/mail_portal.h"

#include <jansson.h>
#include <string.h>
#include <strings.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/log.h"
#include "dir/dir.h"
#include "mail/mail_portal_internal.h"
#include "store/store.h"
#include "store/store_secure.h"

static int
sent_fill(const struct dir_ctx *ctx, const struct store_secure_message *m,
	bool with_subject, struct mail_portal_sent *out, struct error *err)
{
	*out = (struct mail_portal_sent){
		.id = m->id,
		.subject = "",
		.sent_at = m->created_at,
		.expires_at = m->expires_at,
	};
	struct store_secure_recipient *rs;
	size_t n;
	if (store_secure_recipients_of(ctx->store, m->id, ctx->arena, &rs, &n,
		    err) < 0)
		return -1;
	out->recipients = arena_alloc(ctx->arena, (n + 1) *
		sizeof(*out->recipients));
	if (out->recipients == NULL)
		return error_set(err, ERROR_LIMIT, "out of request memory");
	for (size_t i = 0; i < n; i++)
		out->recipients[i] = (struct mail_portal_sent_recipient){
			.address = rs[i].address,
			.revoked_at = rs[i].revoked_at,
			.first_read_at = rs[i].first_read_at,
		};
	out->recipient_count = n;
	if (!with_subject)
		return 0;
	/* The sender may see their own subject; the list has no bytes. */
	struct store_secure_message full;
	char *data;
	size_t size;
	const char *from, *subject = "";
	struct error inner;
	struct dir_ctx sc = *ctx;
	sc.arena = arena_new_wiping(portal_work_cap(ctx));
	int rc = store_secure_message_get(ctx->store, m->id, sc.arena, &full,
		err);
	if (rc == 0 && portal_unseal(&sc, &full, &data, &size, &inner) == 0)
		portal_from_subject(&sc, data, size, &from, &subject);
	if (rc == 0 && (out->subject = arena_strdup(ctx->arena,
		    subject)) == NULL)
		rc = error_set(err, ERROR_LIMIT, "out of request memory");
	arena_free(&sc.arena);
	return rc;
}

static void
lower(char *s)
{
	for (; *s != '\0'; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
}

int
mail_portal_sent_list(const struct dir_ctx *ctx, const char *sender,
	struct mail_portal_sent **list_r, size_t *count_r, struct error *err)
{
	char *who = arena_strdup(ctx->arena, sender);
	if (who == NULL)
		return error_set(err, ERROR_LIMIT, "out of request memory");
	lower(who);
	struct store_secure_message *ms;
	size_t n;
	if (store_secure_messages_by_sender(ctx->store, who,
		    MAIL_PORTAL_LIST_MAX, ctx->arena, &ms, &n, err) < 0)
		return -1;
	struct mail_portal_sent *list = arena_alloc(ctx->arena, (n + 1) *
		sizeof(*list));
	if (list == NULL)
		return error_set(err, ERROR_LIMIT, "out of request memory");
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (ms[i].reply_to != 0)
			continue;	/* a reader's reply, not a sent message */
		if (sent_fill(ctx, &ms[i], true, &list[k++], err) < 0)
			return -1;
	}
	*list_r = list;
	*count_r = k;
	return 0;
}

/* sender's message id, or ERROR_NOT_FOUND in one set of words. */
static int
own_message(const struct dir_ctx *ctx, const char *sender, int64_t id,
	struct store_secure_message *m_r, struct error *err)
{
	struct error inner;
	int rc = store_secure_message_get(ctx->store, id, ctx->arena, m_r,
		&inner);
	if (rc < 0 && inner.code != ERROR_NOT_FOUND)
		return error_forward(err, &inner);
	if (rc < 0 || m_r->reply_to != 0 ||
	    strcasecmp(m_r->sender, sender) != 0)
		return error_set(err, ERROR_NOT_FOUND, "You sent no such "
			"secure message.");
	return 0;
}

int
mail_portal_sent_get(const struct dir_ctx *ctx, const char *sender, int64_t id,
	struct mail_portal_sent *m_r, struct store_secure_access **access_r,
	size_t *access_count_r, struct error *err)
{
	struct store_secure_message m;
	if (own_message(ctx, sender, id, &m, err) < 0 ||
	    sent_fill(ctx, &m, true, m_r, err) < 0)
		return -1;
	if (access_r == NULL)
		return 0;
	return store_secure_access_list(ctx->store, id, MAIL_PORTAL_ACCESS_MAX,
		ctx->arena, access_r, access_count_r, err);
}

static int
revoke_tx(const struct dir_ctx *ctx, const char *sender, int64_t id,
	const char *recipient, struct error *err)
{
	struct store_secure_message m;
	if (own_message(ctx, sender, id, &m, err) < 0)
		return -1;
	struct store_secure_recipient *rs;
	size_t n, done = 0;
	if (store_secure_recipients_of(ctx->store, id, ctx->arena, &rs, &n,
		    err) < 0)
		return -1;
	json_t *who = json_array();
	for (size_t i = 0; i < n; i++) {
		if (recipient != NULL &&
		    strcasecmp(rs[i].address, recipient) != 0)
			continue;
		if (store_secure_recipient_revoke(ctx->store, rs[i].id,
			    ctx->now, ctx->actor, err) < 0) {
			json_decref(who);
			return -1;
		}
		json_array_append_new(who, json_string(rs[i].address));
		done++;
	}
	if (done == 0) {
		json_decref(who);
		return error_set_field(err, ERROR_NOT_FOUND, "recipient", "This "
			"message was not sealed for %s.", recipient != NULL ?
			recipient : "anyone");
	}
	return dir_audit(ctx, "update", PORTAL_AUDIT_OBJECT, id, 0,
		json_pack("{s:s,s:o}", "event", "secure_revoke", "recipients",
			who), err);
}

int
mail_portal_revoke(const struct dir_ctx *ctx, const char *sender, int64_t id,
	const char *recipient, struct mail_portal_sent *m_r,
	struct error *err)
{
	if (dir_begin(ctx, err) < 0)
		return -1;
	int rc = revoke_tx(ctx, sender, id, recipient, err);
	if (dir_finish(ctx, rc, err) < 0)
		return -1;
	return mail_portal_sent_get(ctx, sender, id, m_r, NULL, NULL, err);
}

int
mail_portal_purge(const struct dir_ctx *ctx, int64_t *count_r,
	struct error *err)
{
	int64_t n = 0;
	if (dir_begin(ctx, err) < 0)
		return -1;
	int rc = store_secure_purge_expired(ctx->store, ctx->now, &n, err);
	if (rc == 0 && n > 0)
		rc = dir_audit(ctx, "other", PORTAL_AUDIT_OBJECT, 0, 0,
			json_pack("{s:s,s:I}", "event", "secure_purge",
				"messages", (json_int_t)n), err);
	if (dir_finish(ctx, rc, err) < 0)
		return -1;
	if (n > 0)
		log_info("portal.purged", "messages=%lld", (long long)n);
	*count_r = n;
	return 0;
}
