/*
 * MailTips (SPEC M13): each recipient routed by the rule mail is
 * delivered by (mail_route), then described: who or what it is, whether
 * mail would be taken, and what the sender may want to know first.
 * Layer: domain. A refusal's sentence is mail_route's own, so the tip and
 * the SMTP reply can never disagree.
 */
#include "mail/mail_tips.h"

#include <ctype.h>
#include <string.h>

#include "core/arena.h"
#include "core/error.h"
#include "dir/dir.h"
#include "mail/mail.h"
#include "mail/mail_secure.h"

static const char *const kind_names[] = {
	[MAIL_TIP_INVALID] = "invalid",
	[MAIL_TIP_UNKNOWN] = "unknown",
	[MAIL_TIP_PERSON] = "person",
	[MAIL_TIP_SHARED] = "shared",
	[MAIL_TIP_RESOURCE] = "resource",
	[MAIL_TIP_LIST] = "list",
	[MAIL_TIP_EXTERNAL] = "external",
};

static const char *const code_names[] = {
	[MAIL_TIP_CODE_INVALID] = "invalid",
	[MAIL_TIP_CODE_UNKNOWN] = "unknown",
	[MAIL_TIP_CODE_DELETED] = "deleted",
	[MAIL_TIP_CODE_LEAVER] = "leaver",
	[MAIL_TIP_CODE_DISABLED] = "disabled",
	[MAIL_TIP_CODE_MAILBOX_FULL] = "mailbox_full",
	[MAIL_TIP_CODE_LIST] = "list",
	[MAIL_TIP_CODE_LIST_CLOSED] = "list_closed",
	[MAIL_TIP_CODE_EXTERNAL] = "external",
	[MAIL_TIP_CODE_NOT_SECURE] = "not_secure",
};

static void
note(struct mail_tip *t, enum mail_tip_code code, const char *message)
{
	if (t->note_count < MAIL_TIP_NOTES_MAX)
		t->notes[t->note_count++] = (struct mail_tip_note){ code,
			message };
}

/* A refusal's sentence from mail_route, as a sentence on its own. */
static const char *
sentence(struct arena *a, const char *msg)
{
	char *s = arena_printf(a, "%s.", msg);
	if (s != NULL)
		s[0] = (char)toupper((unsigned char)s[0]);
	return s != NULL ? s : msg;
}

/*
 * Why mail_route refused a hosted address: a list not open for mail, a
 * closed mailbox, or nothing there at all.
 */
static int
refused(const struct dir_ctx *ctx, const char *address, const char *why,
	struct mail_tip *t, struct error *err)
{
	struct store_list list;
	struct store_mailbox m;
	struct error inner;
	const char *text = sentence(ctx->arena, why);
	if (dir_list_get(ctx, address, &list, &inner) == 0) {
		t->kind = MAIL_TIP_LIST;
		note(t, MAIL_TIP_CODE_LIST_CLOSED, text);
		return 0;
	}
	if (inner.code != ERROR_NOT_FOUND)
		return error_forward(err, &inner);
	if (dir_mailbox_get(ctx, address, &m, &inner) == 0) {
		t->kind = m.kind == STORE_MAILBOX_SHARED ? MAIL_TIP_SHARED :
			m.kind == STORE_MAILBOX_RESOURCE ? MAIL_TIP_RESOURCE :
			MAIL_TIP_PERSON;
		note(t, MAIL_TIP_CODE_DELETED, text);
		return 0;
	}
	if (inner.code != ERROR_NOT_FOUND)
		return error_forward(err, &inner);
	t->kind = MAIL_TIP_UNKNOWN;
	note(t, MAIL_TIP_CODE_UNKNOWN, text);
	return 0;
}

/* A person's mailbox: whether they have left or been disabled. */
static int
person_notes(const struct dir_ctx *ctx, const struct store_mailbox *m,
	struct mail_tip *t, struct error *err)
{
	struct store_person p;
	if (dir_person_get_by_id(ctx, m->person_id, &p, err) < 0)
		return -1;
	const char *name = p.display_name[0] != '\0' ? p.display_name :
		p.address;
	if (p.status == STORE_PERSON_LEAVER)
		note(t, MAIL_TIP_CODE_LEAVER, arena_printf(ctx->arena,
			"%s is marked as a leaver and may no longer read this "
			"mailbox. Look them up in People Finder for where "
			"they work now.", name));
	else if (p.status == STORE_PERSON_DISABLED)
		note(t, MAIL_TIP_CODE_DISABLED, arena_printf(ctx->arena,
			"%s's account is disabled: your message will be kept, "
			"but they cannot read it until their administrator "
			"enables the account.", name));
	return 0;
}

static int
local_notes(const struct dir_ctx *ctx, const struct mail_recipient *r,
	int64_t size, struct mail_tip *t, struct error *err)
{
	struct store_mailbox m;
	struct error inner;
	if (dir_mailbox_get(ctx, r->address, &m, err) < 0)
		return -1;
	t->kind = m.kind == STORE_MAILBOX_SHARED ? MAIL_TIP_SHARED :
		m.kind == STORE_MAILBOX_RESOURCE ? MAIL_TIP_RESOURCE :
		MAIL_TIP_PERSON;
	if (m.kind == STORE_MAILBOX_USER && m.person_id != 0 &&
	    person_notes(ctx, &m, t, err) < 0)
		return -1;
	/* The quota rule delivery applies; with no size, whether one more
	 * byte fits. */
	if (mail_check_quota(ctx->store, r, (size_t)(size > 0 ? size : 1),
		    &inner) < 0) {
		if (inner.code != ERROR_LIMIT)
			return error_forward(err, &inner);
		t->deliverable = false;
		note(t, MAIL_TIP_CODE_MAILBOX_FULL, sentence(ctx->arena,
			inner.msg));
	}
	return 0;
}

static int
list_notes(const struct dir_ctx *ctx, const char *address,
	struct mail_tip *t, struct error *err)
{
	struct dir_preview preview;
	t->kind = MAIL_TIP_LIST;
	if (dir_list_preview(ctx, address, &preview, err) < 0)
		return -1;
	t->member_count = preview.count;
	note(t, MAIL_TIP_CODE_LIST, arena_printf(ctx->arena,
		"This is a distribution list: your message will go to %lld "
		"%s.", (long long)preview.count,
		preview.count == 1 ? "address" : "addresses"));
	return 0;
}

static void
external_notes(const struct dir_ctx *ctx,
	const struct mail_secure_policy *secure, const char *address,
	struct mail_tip *t)
{
	const char *at = strrchr(address, '@');
	const char *domain = at != NULL ? at + 1 : address;
	t->kind = MAIL_TIP_EXTERNAL;
	t->secure = mail_secure_domain_match(secure, address, ctx->now);
	if (t->secure) {
		note(t, MAIL_TIP_CODE_EXTERNAL, arena_printf(ctx->arena,
			"This address is outside caremail, in the secure domain "
			"%s: mail to it is only ever sent encrypted.", domain));
		return;
	}
	note(t, MAIL_TIP_CODE_EXTERNAL, "This address is outside caremail.");
	note(t, MAIL_TIP_CODE_NOT_SECURE, arena_printf(ctx->arena,
		"%s is not a secure domain. To send patient or other "
		"sensitive information, put [secure] in the subject so the "
		"message is encrypted.", domain));
}

static int
one_tip(const struct dir_ctx *ctx, const struct mail_secure_policy *secure,
	const char *address, int64_t size, struct mail_tip *t,
	struct error *err)
{
	struct mail_recipient *r;
	size_t n;
	struct error inner;
	*t = (struct mail_tip){ .address = address, .member_count = -1,
		.deliverable = true };
	if (mail_route(ctx, address, true, &r, &n, &inner) < 0) {
		t->deliverable = false;
		if (inner.code == ERROR_INVALID) {
			t->kind = MAIL_TIP_INVALID;
			note(t, MAIL_TIP_CODE_INVALID,
				sentence(ctx->arena, inner.msg));
			return 0;
		}
		if (inner.code != ERROR_NOT_FOUND)
			return error_forward(err, &inner);
		return refused(ctx, address, inner.msg, t, err);
	}
	/* mail_route yields one recipient for an address; lists are
	 * expanded only when delivered. */
	t->address = r[0].address;
	switch (r[0].kind) {
	case MAIL_ROUTE_REMOTE:
		external_notes(ctx, secure, r[0].address, t);
		return 0;
	case MAIL_ROUTE_LIST:
		return list_notes(ctx, r[0].address, t, err);
	case MAIL_ROUTE_LOCAL:
		return local_notes(ctx, &r[0], size, t, err);
	}
	return error_set(err, ERROR_INTERNAL, "unknown route kind");
}

int
mail_tips(const struct dir_ctx *ctx, const char *const *addresses,
	size_t count, int64_t size, struct mail_tip *tips_r,
	struct error *err)
{
	if (count > MAIL_TIPS_MAX)
		return error_set(err, ERROR_LIMIT, "ask about at most %d "
			"recipients at a time", MAIL_TIPS_MAX);
	struct mail_secure_policy *secure = arena_alloc(ctx->arena,
		sizeof(*secure));
	if (secure == NULL)
		return error_set(err, ERROR_LIMIT, "out of session memory");
	if (mail_secure_policy_from_config(ctx->config, secure, err) < 0)
		return -1;
	for (size_t i = 0; i < count; i++)
		if (one_tip(ctx, secure, addresses[i], size, &tips_r[i],
			    err) < 0)
			return -1;
	return 0;
}

json_t *
mail_tip_json(const struct mail_tip *t)
{
	json_t *notes = json_array();
	for (size_t i = 0; i < t->note_count; i++)
		json_array_append_new(notes, json_pack("{s:s,s:s}", "code",
			code_names[t->notes[i].code], "message",
			t->notes[i].message));
	json_t *o = json_pack("{s:s,s:s,s:b,s:o}", "address", t->address,
		"kind", kind_names[t->kind], "deliverable", t->deliverable,
		"tips", notes);
	if (o == NULL)
		return NULL;
	if (t->kind == MAIL_TIP_EXTERNAL)
		json_object_set_new(o, "secure", json_boolean(t->secure));
	if (t->member_count >= 0)
		json_object_set_new(o, "member_count",
			json_integer(t->member_count));
	return o;
}
