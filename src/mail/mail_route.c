/*
 * Routing recipients: a local mailbox, a list, a remote address, or a
 * refusal with the reason. Layer: domain. SECURITY: whether another
 * domain may be reached is decided here from the caller's right to relay,
 * never from the HELO name or the envelope sender (SECURITY.md items 8-9).
 */
#include "mail/mail.h"

#include <string.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/str.h"
#include "dir/dir.h"
#include "dir/dir_address.h"

static int
push_recipient(const struct dir_ctx *ctx, struct mail_recipient **items,
	size_t *count, size_t *capacity, struct mail_recipient r,
	struct error *err)
{
	struct mail_recipient *slot = arena_array_push(ctx->arena,
		(void **)items, count, capacity, sizeof(**items));
	if (slot == NULL)
		return error_set(err, ERROR_LIMIT, "out of session memory");
	*slot = r;
	return 0;
}

/*
 * The live mailbox at a hosted address. Unknown and closed addresses are
 * both ERROR_NOT_FOUND, with different sentences: the sender can fix a
 * typo, but should look a closed one up in the directory.
 */
static int
local_mailbox(const struct dir_ctx *ctx, const char *address,
	struct mail_recipient *r, struct error *err)
{
	struct store_mailbox m;
	struct error inner;
	if (dir_mailbox_get(ctx, address, &m, &inner) < 0) {
		if (inner.code == ERROR_NOT_FOUND)
			return error_set(err, ERROR_NOT_FOUND,
				"there is no mailbox %s here; check the address",
				address);
		return error_forward(err, &inner);
	}
	if (m.deleted_at != 0)
		return error_set(err, ERROR_NOT_FOUND,
			"%s has been closed; the person may have left. Look "
			"them up in the directory", m.address);
	*r = (struct mail_recipient){ .kind = MAIL_ROUTE_LOCAL,
		.address = m.address, .mailbox_id = m.id, .quota_mb = m.quota_mb };
	return 0;
}

/*
 * An address with UTF-8 (RFC 6531): addresses here are ASCII, so at a
 * hosted domain it is no one's; elsewhere it is queued as any other, its
 * domain in A-labels.
 */
static int
route_intl(const struct dir_ctx *ctx, const char *address, bool allow_remote,
	struct mail_recipient **recipients_r, size_t *count_r,
	struct error *err)
{
	char normal[DIR_ADDRESS_MAX + 1];
	struct error inner;
	size_t capacity = 0;
	if (mail_address_intl(address, normal, sizeof(normal), &inner) < 0)
		return error_set(err, ERROR_INVALID,
			"%s is not a valid address: %s", address, inner.msg);
	const char *domain = strrchr(normal, '@') + 1;
	if (dir_domain_is_hosted(ctx, domain))
		return error_set(err, ERROR_NOT_FOUND, "there is no mailbox "
			"%s here: addresses here are written in plain ASCII",
			address);
	if (!allow_remote)
		return error_set(err, ERROR_DENIED, "this server does not "
			"relay mail to %s; sign in to send to other domains",
			domain);
	const char *kept = arena_strdup(ctx->arena, normal);
	if (kept == NULL)
		return error_set(err, ERROR_LIMIT, "out of session memory");
	return push_recipient(ctx, recipients_r, count_r, &capacity,
		(struct mail_recipient){ .kind = MAIL_ROUTE_REMOTE,
			.address = kept }, err);
}

int
mail_route(const struct dir_ctx *ctx, const char *address, bool allow_remote,
	struct mail_recipient **recipients_r, size_t *count_r,
	struct error *err)
{
	struct dir_address addr;
	struct error inner;
	size_t capacity = 0;
	*recipients_r = NULL;
	*count_r = 0;
	if (mail_address_is_utf8(address))
		return route_intl(ctx, address, allow_remote, recipients_r,
			count_r, err);
	if (dir_address_parse(span_from_cstr(address), &addr, &inner) < 0)
		return error_set(err, ERROR_INVALID,
			"%s is not a valid address: %s", address, inner.msg);
	const char *normal = arena_strdup(ctx->arena, addr.text);
	if (normal == NULL)
		return error_set(err, ERROR_LIMIT, "out of session memory");
	if (!dir_domain_is_hosted(ctx, dir_address_domain(&addr))) {
		if (!allow_remote)
			return error_set(err, ERROR_DENIED,
				"this server does not relay mail to %s; sign in "
				"to send to other domains",
				dir_address_domain(&addr));
		return push_recipient(ctx, recipients_r, count_r, &capacity,
			(struct mail_recipient){ .kind = MAIL_ROUTE_REMOTE,
				.address = normal },
			err);
	}
	struct store_list list;
	if (dir_list_get(ctx, normal, &list, &inner) == 0) {
		if (list.deleted_at != 0)
			return error_set(err, ERROR_NOT_FOUND,
				"the list %s has been deleted", normal);
		/*
		 * SPEC P6: a list an admin has not approved reaches nobody;
		 * a change waiting on an approved one leaves it working.
		 */
		if (list.status != STORE_LIST_APPROVED)
			return error_set(err, ERROR_NOT_FOUND,
				"the list %s is not open for mail: %s", normal,
				list.status == STORE_LIST_PENDING ?
					"it is waiting for an administrator's "
					"approval" :
					"an administrator rejected it");
		/*
		 * Members are found when the message is delivered, in the
		 * database (mail_deliver): RCPT is answered at once for a
		 * list of any size (SPEC P6).
		 */
		return push_recipient(ctx, recipients_r, count_r, &capacity,
			(struct mail_recipient){ .kind = MAIL_ROUTE_LIST,
				.address = normal, .list_id = list.id },
			err);
	}
	if (inner.code != ERROR_NOT_FOUND)
		return error_forward(err, &inner);
	struct mail_recipient r = { 0 };
	if (local_mailbox(ctx, normal, &r, err) < 0)
		return -1;
	return push_recipient(ctx, recipients_r, count_r, &capacity, r, err);
}
