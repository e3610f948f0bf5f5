/*
 * The secure portal's reader side once signed in: the list of a reader's
 * messages, one message opened (its text, never its HTML, and its
 * attachments), an attachment's bytes, and a reply. Layer: domain. RFC
 * 5322, RFC 2045 (transfer encodings), RFC 2183 and 2231 (file names).
 * SECURITY: a reader reaches only rows addressed to their own address;
 * revoked and expired messages are refused before they are unsealed.
 */
#include "mail/mail_portal.h"

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/arena.h"
#include "core/config.h"
#include "core/error.h"
#include "core/log.h"
#include "core/str.h"
#include "dir/dir.h"
#include "mail/mail.h"
#include "mail/mail_accept.h"
#include "mail/mail_compose.h"
#include "mail/mail_dlp.h"
#include "mail/mail_mime.h"
#include "mail/mail_portal_internal.h"
#include "mail/mail_seal.h"
#include "mail/mail_secure.h"
#include "store/store.h"
#include "store/store_secure.h"

/* The longest reply a reader may write. */
#define PORTAL_REPLY_MAX (64 * 1024)

int
portal_unseal(const struct dir_ctx *ctx, const struct store_secure_message *m,
	char **data_r, size_t *size_r, struct error *err)
{
	if (m->ciphertext == NULL || m->wrapped_key == NULL)
		return error_set(err, ERROR_NOT_FOUND, "this message has been "
			"purged");
	return mail_unseal(ctx->seal_key, m, ctx->arena, data_r, size_r, err);
}

static const char *
header_text(const struct dir_ctx *ctx, struct span header, const char *name)
{
	struct span v;
	if (!mail_mime_header_find(header, name, &v))
		return "";
	const char *t = mail_mime_header_decode(v, ctx->arena);
	return t != NULL ? t : "";
}

void
portal_from_subject(const struct dir_ctx *ctx, const char *data, size_t size,
	const char **from_r, const char **subject_r)
{
	struct span header = span_make(data,
		mail_mime_header_size(data, size));
	*from_r = header_text(ctx, header, "From");
	*subject_r = header_text(ctx, header, "Subject");
}

/* The addresses of a header field as "mailbox@host", in ctx->arena. */
static int
header_addresses(const struct dir_ctx *ctx, struct span header,
	const char *name, const char ***list_r, size_t *count_r,
	struct error *err)
{
	*list_r = NULL;
	*count_r = 0;
	struct span v;
	if (!mail_mime_header_find(header, name, &v))
		return 0;
	char *unfolded = mail_mime_header_unfold(v, ctx->arena);
	if (unfolded == NULL)
		return error_set(err, ERROR_LIMIT, "out of request memory");
	struct mail_mime_address *list;
	size_t n;
	if (mail_mime_address_parse(span_from_cstr(unfolded), ctx->arena,
		    &list, &n, err) < 0)
		return -1;
	const char **out = arena_alloc(ctx->arena, (n + 1) * sizeof(*out));
	if (out == NULL)
		return error_set(err, ERROR_LIMIT, "out of request memory");
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (list[i].host == NULL || list[i].mailbox[0] == '\0')
			continue;	/* a group's marks */
		out[k] = arena_printf(ctx->arena, "%s@%s", list[i].mailbox,
			list[i].host);
		if (out[k] == NULL)
			return error_set(err, ERROR_LIMIT,
				"out of request memory");
		k++;
	}
	*list_r = out;
	*count_r = k;
	return 0;
}

/* ---- a message's body: its text and attachments ---- */

static const char *
param_find(const struct dir_ctx *ctx, const struct mail_mime_param *params,
	size_t count, const char *name)
{
	size_t n = strlen(name);
	/* "filename*" (RFC 2231) and "filename" both name it. */
	for (size_t i = 0; i < count; i++) {
		const char *pn = params[i].name;
		if (strncasecmp(pn, name, n) == 0 &&
		    (pn[n] == '\0' || (pn[n] == '*' && pn[n + 1] == '\0')))
			return mail_mime_param_text(&params[i], ctx->arena);
	}
	return NULL;
}

struct body {
	const char *plain;
	const char *html;
	struct mail_portal_attachment *items;
	size_t count;
	size_t capacity;
};

static int
walk(const struct dir_ctx *ctx, const char *msg,
	const struct mail_mime_part *p, struct body *b, struct error *err)
{
	if (p->kind == MAIL_MIME_MULTIPART) {
		for (const struct mail_mime_part *c = p->children; c != NULL;
		     c = c->next)
			if (walk(ctx, msg, c, b, err) < 0)
				return -1;
		return 0;
	}
	const char *name = param_find(ctx, p->disposition_params,
		p->disposition_param_count, "filename");
	if (name == NULL)
		name = param_find(ctx, p->params, p->param_count, "name");
	bool text = p->kind == MAIL_MIME_LEAF && strcmp(p->type, "text") == 0;
	bool attached = name != NULL || !text || (p->disposition != NULL &&
		strcmp(p->disposition, "attachment") == 0);
	if (!attached) {
		bool plain = strcmp(p->subtype, "plain") == 0;
		bool html = strcmp(p->subtype, "html") == 0;
		if ((plain && b->plain == NULL) || (html && b->html == NULL)) {
			struct span t;
			if (mail_mime_part_text(msg, p, ctx->arena, &t,
				    err) < 0)
				return -1;
			if (plain) {
				b->plain = t.p;
				return 0;
			}
			char *out = arena_alloc(ctx->arena, t.len + 1);
			if (out == NULL)
				return error_set(err, ERROR_LIMIT,
					"out of request memory");
			out[mail_dlp_html_text(t, out)] = '\0';
			b->html = out;
			return 0;
		}
	}
	struct mail_portal_attachment att = {
		.index = b->count,
		.filename = name != NULL ? name : arena_printf(ctx->arena,
			"attachment-%zu", b->count + 1),
		.content_type = arena_printf(ctx->arena, "%s/%s", p->type,
			p->subtype),
	};
	if (att.filename == NULL || att.content_type == NULL)
		return error_set(err, ERROR_LIMIT, "out of request memory");
	if (p->kind == MAIL_MIME_MESSAGE) {
		att.data = (const unsigned char *)msg + p->header_offset +
			p->header_size;
		att.size = p->body_size;
	} else {
		const char *bytes;
		if (mail_mime_part_bytes(msg, p, ctx->arena, &bytes, &att.size,
			    err) < 0)
			return -1;
		att.data = (const unsigned char *)bytes;
	}
	if (arena_array_push(ctx->arena, (void **)&b->items, &b->count,
		    &b->capacity, sizeof(att)) == NULL)
		return error_set(err, ERROR_LIMIT, "out of request memory");
	b->items[b->count - 1] = att;
	return 0;
}

static int
body_read(const struct dir_ctx *ctx, const char *msg, size_t size,
	struct body *b, struct error *err)
{
	memset(b, 0, sizeof(*b));
	struct mail_mime_part *root;
	if (mail_mime_parse(msg, size, ctx->arena, &root, err) < 0)
		return -1;
	return walk(ctx, msg, root, b, err);
}

/* ---- access ---- */

/*
 * The message id as the reader signed in as address may see it: its row,
 * their recipient row and its state checked (refusals noted as event).
 */
static int
reader_message(const struct dir_ctx *ctx, const char *address, int64_t id,
	const char *event, struct store_secure_message *m_r,
	struct store_secure_recipient *r_r, struct error *err)
{
	struct error inner;
	if (store_secure_recipient_get(ctx->store, id, address, ctx->arena,
		    r_r, &inner) < 0 ||
	    store_secure_message_get(ctx->store, id, ctx->arena, m_r,
		    &inner) < 0) {
		if (inner.code != ERROR_NOT_FOUND)
			return error_forward(err, &inner);
		error_set(err, ERROR_NOT_FOUND, "There is no such secure "
			"message for you. Open the list of your messages.");
		portal_note_refused(ctx, 0, 0, address, event, err);
		return -1;
	}
	enum mail_portal_state state = mail_portal_state(m_r, r_r, ctx->now);
	if (state != MAIL_PORTAL_OPEN) {
		portal_state_error(state, err);
		portal_note_refused(ctx, id, r_r->id, address, event, err);
		return -1;
	}
	return 0;
}

size_t
portal_work_cap(const struct dir_ctx *ctx)
{
	/* Sealed and clear copies, the part tree and decoded bodies. */
	int64_t mb = config_get_int(ctx->config, "smtp.max_message_size_mb");
	return (size_t)(mb > 0 ? mb : 35) * 4 * 1024 * 1024 + 1024 * 1024;
}

int
mail_portal_messages(const struct dir_ctx *ctx, const char *address,
	struct mail_portal_item **items_r, size_t *count_r, struct error *err)
{
	struct store_secure_recipient *rs;
	size_t n;
	if (store_secure_recipients_at(ctx->store, address,
		    MAIL_PORTAL_LIST_MAX, ctx->arena, &rs, &n, err) < 0)
		return -1;
	struct mail_portal_item *items = arena_alloc(ctx->arena,
		(n + 1) * sizeof(*items));
	if (items == NULL)
		return error_set(err, ERROR_LIMIT, "out of request memory");
	/* Each message is opened in scratch memory, reset after it. */
	struct dir_ctx sc = *ctx;
	sc.arena = arena_new_wiping(portal_work_cap(ctx));
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		struct store_secure_message m;
		arena_reset(sc.arena);
		if (store_secure_message_get(ctx->store, rs[i].message_id,
			    sc.arena, &m, err) < 0) {
			rc = -1;
			break;
		}
		enum mail_portal_state state = mail_portal_state(&m, &rs[i],
			ctx->now);
		items[i] = (struct mail_portal_item){
			.id = m.id,
			.sent_at = m.created_at,
			.expires_at = m.expires_at,
			.revoked = state == MAIL_PORTAL_STATE_REVOKED,
			.expired = m.purged_at != 0 ||
				ctx->now >= m.expires_at,
			.read = rs[i].first_read_at != 0,
		};
		/* The subject is content: shown only while it may be read. */
		const char *from = m.sender, *subject = "";
		char *data;
		size_t size;
		struct error inner;
		if (state == MAIL_PORTAL_OPEN &&
		    portal_unseal(&sc, &m, &data, &size, &inner) == 0)
			portal_from_subject(&sc, data, size, &from, &subject);
		items[i].from = arena_strdup(ctx->arena, from);
		items[i].subject = arena_strdup(ctx->arena, subject);
		if (items[i].from == NULL || items[i].subject == NULL)
			rc = error_set(err, ERROR_LIMIT,
				"out of request memory");
	}
	arena_free(&sc.arena);
	if (rc < 0)
		return -1;
	*items_r = items;
	*count_r = n;
	return 0;
}

/* The reader's own replies to message id, unsealed. */
static int
replies_read(const struct dir_ctx *ctx, const char *address, int64_t id,
	struct mail_portal_message *m_r, struct error *err)
{
	struct store_secure_message *list;
	size_t n;
	if (store_secure_replies_of(ctx->store, id, address,
		    MAIL_PORTAL_LIST_MAX, ctx->arena, &list, &n, err) < 0)
		return -1;
	m_r->replies = arena_alloc(ctx->arena, (n + 1) *
		sizeof(*m_r->replies));
	if (m_r->replies == NULL)
		return error_set(err, ERROR_LIMIT, "out of request memory");
	m_r->reply_count = 0;
	for (size_t i = 0; i < n; i++) {
		char *data;
		size_t size;
		struct body b;
		if (portal_unseal(ctx, &list[i], &data, &size, err) < 0 ||
		    body_read(ctx, data, size, &b, err) < 0)
			return -1;
		m_r->replies[m_r->reply_count++] = (struct mail_portal_reply){
			.id = list[i].id,
			.sent_at = list[i].created_at,
			.text = b.plain != NULL ? b.plain : "",
		};
	}
	return 0;
}

static int
message_read(const struct dir_ctx *ctx, const struct store_secure_message *m,
	struct mail_portal_message *m_r, struct body *b, struct error *err)
{
	char *data;
	size_t size;
	if (portal_unseal(ctx, m, &data, &size, err) < 0)
		return -1;
	struct span header = span_make(data, mail_mime_header_size(data,
		size));
	memset(m_r, 0, sizeof(*m_r));
	m_r->id = m->id;
	m_r->sent_at = m->created_at;
	m_r->expires_at = m->expires_at;
	portal_from_subject(ctx, data, size, &m_r->from, &m_r->subject);
	struct span v;
	if (mail_mime_header_find(header, "Message-ID", &v))
		m_r->message_id = mail_mime_header_unfold(v, ctx->arena);
	if (header_addresses(ctx, header, "To", &m_r->to, &m_r->to_count,
		    err) < 0 ||
	    header_addresses(ctx, header, "Cc", &m_r->cc, &m_r->cc_count,
		    err) < 0 ||
	    body_read(ctx, data, size, b, err) < 0)
		return -1;
	m_r->text = b->plain != NULL ? b->plain : b->html != NULL ? b->html :
		"";
	m_r->attachments = b->items;
	m_r->attachment_count = b->count;
	return 0;
}

int
mail_portal_message_open(const struct dir_ctx *ctx, const char *address,
	int64_t id, struct mail_portal_message *m_r, struct error *err)
{
	struct store_secure_message m;
	struct store_secure_recipient r;
	if (reader_message(ctx, address, id, "opened", &m, &r, err) < 0)
		return -1;
	struct body b;
	if (message_read(ctx, &m, m_r, &b, err) < 0 ||
	    replies_read(ctx, address, id, m_r, err) < 0)
		return -1;
	struct dir_ctx c2 = *ctx;
	c2.actor = address;
	if (dir_begin(&c2, err) < 0)
		return -1;
	int rc = store_secure_recipient_read(c2.store, r.id, c2.now, err);
	if (rc == 0)
		rc = portal_note(&c2, id, r.id, address, "opened", true, err);
	return dir_finish(&c2, rc, err);
}

int
mail_portal_attachment_get(const struct dir_ctx *ctx, const char *address,
	int64_t id, size_t index, struct mail_portal_attachment *a_r,
	struct error *err)
{
	struct store_secure_message m;
	struct store_secure_recipient r;
	if (reader_message(ctx, address, id, "downloaded", &m, &r, err) < 0)
		return -1;
	struct mail_portal_message msg;
	struct body b;
	if (message_read(ctx, &m, &msg, &b, err) < 0)
		return -1;
	if (index >= b.count)
		return error_set(err, ERROR_NOT_FOUND, "This message has no "
			"such attachment.");
	*a_r = b.items[index];
	struct dir_ctx c2 = *ctx;
	c2.actor = address;
	if (dir_begin(&c2, err) < 0)
		return -1;
	int rc = portal_note(&c2, id, r.id, address, "downloaded", true, err);
	return dir_finish(&c2, rc, err);
}

/* ---- replies ---- */

static bool
has_header_breaker(const char *s)
{
	return strpbrk(s, "\r\n<>\",") != NULL;
}

/* The reply as mail_compose writes it: From the reader, To the sender. */
static int
reply_build(const struct dir_ctx *ctx, const char *address,
	const struct mail_portal_message *orig, const char *sender,
	const char *const *cc, size_t cc_count, const char *text,
	struct span *out_r, struct error *err)
{
	const char *subject = orig->subject;
	bool re = strncasecmp(subject, "re:", 3) == 0;
	subject = arena_printf(ctx->arena, "%s%s", re ? "" : "Re: ",
		subject);
	struct str list;
	str_init(&list, ctx->arena, 64 * 1024);
	for (size_t i = 0; i < cc_count; i++)
		if (str_appendf(&list, "%s%s", i > 0 ? ", " : "", cc[i]) < 0)
			return error_set(err, ERROR_LIMIT,
				"too many recipients");
	const char *mid = orig->message_id;
	bool threaded = mid != NULL && mid[0] == '<' &&
		strpbrk(mid, "\r\n") == NULL;
	struct mail_compose mc = {
		.from = address,
		.to = sender,
		.cc = cc_count > 0 ? str_cstr(&list) : NULL,
		.subject = subject != NULL ? subject : "Re:",
		.in_reply_to = threaded ? mid : NULL,
		.references = threaded ? mid : NULL,
		.date = ctx->now,
		.text = text,
	};
	return mail_compose(&mc, ctx->config, ctx->arena, out_r, err);
}

/* Seals the reply and keeps it under the message it answers. */
static int
reply_keep(const struct dir_ctx *ctx, const char *address,
	const struct store_secure_message *orig, const struct str *msg,
	int64_t *id_r, struct error *err)
{
	struct mail_sealed sealed;
	if (mail_seal(ctx->seal_key, msg->p, msg->len, ctx->arena, &sealed,
		    err) < 0)
		return -1;
	struct store_secure_message m = {
		.uid = sealed.uid,
		.sender = address,
		.created_at = ctx->now,
		.expires_at = orig->expires_at,
		.reply_to = orig->id,
		.key_id = sealed.key_id,
		.wrapped_key = sealed.wrapped_key,
		.wrapped_key_len = sealed.wrapped_key_len,
		.ciphertext = sealed.ciphertext,
		.ciphertext_len = sealed.ciphertext_len,
		.size = (int64_t)msg->len,
	};
	if (store_secure_message_insert(ctx->store, &m, err) < 0)
		return -1;
	*id_r = m.id;
	return 0;
}

int
mail_portal_reply(struct store_writer *w, const struct dir_ctx *ctx,
	const char *address, int64_t id, const char *text, bool all,
	int64_t *reply_id_r, struct error *err)
{
	if (text == NULL || span_trim(span_from_cstr(text)).len == 0)
		return error_set_field(err, ERROR_INVALID, "text", "Write your "
			"reply before sending it.");
	if (strlen(text) > PORTAL_REPLY_MAX)
		return error_set_field(err, ERROR_INVALID, "text", "A reply "
			"can be at most %d characters long.", PORTAL_REPLY_MAX);
	struct store_secure_message m;
	struct store_secure_recipient r;
	if (reader_message(ctx, address, id, "replied", &m, &r, err) < 0)
		return -1;
	struct mail_portal_message orig;
	struct body b;
	if (message_read(ctx, &m, &orig, &b, err) < 0)
		return -1;
	if (has_header_breaker(m.sender) || has_header_breaker(address))
		return error_set(err, ERROR_INVALID, "This message cannot be "
			"replied to here.");
	/* Reply-all: the original's other recipients, never the reader. */
	const char **cc = arena_alloc(ctx->arena, (orig.to_count +
		orig.cc_count + 1) * sizeof(*cc));
	if (cc == NULL)
		return error_set(err, ERROR_LIMIT, "out of request memory");
	size_t cc_count = 0;
	for (size_t i = 0; all && i < orig.to_count + orig.cc_count; i++) {
		const char *x = i < orig.to_count ? orig.to[i] :
			orig.cc[i - orig.to_count];
		if (strcasecmp(x, address) == 0 || strcasecmp(x, m.sender) == 0
		    || has_header_breaker(x))
			continue;
		cc[cc_count++] = x;
	}
	struct span reply;
	if (reply_build(ctx, address, &orig, m.sender, cc, cc_count, text,
		    &reply, err) < 0)
		return -1;
	struct str msg = { .p = (char *)(uintptr_t)reply.p,
		.len = reply.len };
	struct dir_ctx c2 = *ctx;
	c2.actor = address;
	if (dir_begin(&c2, err) < 0)
		return -1;
	int rc = reply_keep(&c2, address, &m, &msg, reply_id_r, err);
	if (rc == 0)
		rc = portal_note(&c2, id, r.id, address, "replied", true, err);
	if (dir_finish(&c2, rc, err) < 0)
		return -1;
	/*
	 * Delivered as mail from the reader: the sender's mailbox, and for
	 * reply-all the others — mailboxes here and the secure domains
	 * normally, anyone else sealed again with a notice (mail_accept).
	 */
	struct mail_secure_policy policy;
	if (mail_secure_policy_from_config(ctx->config, &policy, err) < 0)
		return -1;
	struct mail_recipient *to = NULL;
	bool *sealed = NULL;
	size_t to_count = 0, to_capacity = 0, sealed_count = 0,
		sealed_capacity = 0;
	bool any_sealed = false;
	for (size_t i = 0; i <= cc_count; i++) {
		const char *x = i == 0 ? m.sender : cc[i - 1];
		struct mail_recipient *one;
		size_t n;
		if (mail_route(ctx, x, true, &one, &n, err) < 0)
			return -1;
		for (size_t k = 0; k < n; k++) {
			struct mail_recipient *slot = arena_array_push(
				ctx->arena, (void **)&to, &to_count,
				&to_capacity, sizeof(*to));
			bool *flag = arena_array_push(ctx->arena,
				(void **)&sealed, &sealed_count,
				&sealed_capacity, sizeof(*sealed));
			if (slot == NULL || flag == NULL)
				return error_set(err, ERROR_LIMIT,
					"out of request memory");
			*slot = one[k];
			*flag = i > 0 && one[k].kind == MAIL_ROUTE_REMOTE &&
				!mail_secure_domain_match(&policy,
					one[k].address, ctx->now);
			any_sealed |= *flag;
		}
	}
	struct str full;
	str_init(&full, ctx->arena, reply.len + 512);
	if (mail_return_path_header(address, &full) < 0 ||
	    str_append(&full, reply.p, reply.len) < 0)
		return error_set(err, ERROR_LIMIT, "the reply is too long");
	struct mail_message mm = { .data = str_cstr(&full), .size = full.len,
		.received_at = ctx->now, .sender = address, .from = address };
	return mail_accept(w, ctx, &mm, to, to_count, NULL,
		any_sealed ? sealed : NULL, NULL, err);
}
