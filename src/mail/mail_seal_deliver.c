/*
 * A message sealed for the secure message portal as it is delivered
 * (SPEC M10, SECURITY.md 52): sealed once (mail_seal.h), a link of their
 * own for each recipient outside the secure domains, and for each a
 * notice in place of the message: who sent it, the link, and the same
 * link in an Encrypted_Message.htm attachment. Nothing of the message
 * (not even its subject, which can name a patient) is in the notice.
 * Prepared outside the commit; written in the delivery's, so a 250 means
 * the sealed copy, its links and the notices are all durable, or none.
 * Layer: domain.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/arena.h"
#include "core/config.h"
#include "core/error.h"
#include "core/str.h"
#include "dir/dir.h"
#include "mail/mail.h"
#include "mail/mail_compose.h"
#include "mail/mail_dsn.h"
#include "mail/mail_internal.h"
#include "mail/mail_seal.h"
#include "store/store_expand.h"
#include "store/store_mail.h"
#include "store/store_secure.h"

/* The notices' room beyond the message's own sealed copy. */
#define NOTICE_ROOM (64 * 1024)

void
mail_seal_portal_url(const struct config *c, char *buf, size_t size)
{
	const char *url = config_get_str(c, "http.public_url");
	if (url[0] != '\0') {
		size_t n = strlen(url);
		snprintf(buf, size, "%.*s", (int)(n > 0 && url[n - 1] == '/' ?
			n - 1 : n), url);
		return;
	}
	char host[256];
	mail_hostname(c, host, sizeof(host));
	const char *listen = config_get_str(c, "http.listen");
	const char *colon = strrchr(listen, ':');
	const char *port = colon != NULL ? colon + 1 : "443";
	bool tls = config_get_bool(c, "http.tls");
	bool usual = strcmp(port, tls ? "443" : "80") == 0;
	snprintf(buf, size, "%s://%s%s%s", tls ? "https" : "http", host,
		usual ? "" : ":", usual ? "" : port);
}

static const char *
day_text(int64_t t, struct arena *a)
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	char buf[64];
	strftime(buf, sizeof(buf), "%e %B %Y", &tm);
	return arena_strdup(a, buf[0] == ' ' ? buf + 1 : buf);
}

/* The notice's words: plain text, HTML, and the attachment's page. */
static int
notice_texts(const char *sender, const char *recipient, const char *link,
	const char *until, struct arena *a, const char **text_r,
	const char **html_r, const char **page_r)
{
	*text_r = arena_printf(a,
		"%s has sent you an encrypted message.\n\n"
		"To read it, open this link:\n%s\n\n"
		"or open the attached file Encrypted_Message.htm.\n\n"
		"The first time, we will send a 6-digit code to %s to check "
		"that this address is yours. You can read the message, and "
		"reply to it securely, until %s.\n\n"
		"If you were not expecting a message from %s, you can ignore "
		"this one. We will never ask for your password by email.\n",
		sender, link, recipient, until, sender);
	*html_r = arena_printf(a,
		"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
		"<title>Encrypted message</title></head><body>"
		"<p>%s has sent you an encrypted message.</p>"
		"<p><a href=\"%s\">Read the message</a></p>"
		"<p>The first time, we will send a 6-digit code to %s to check "
		"that this address is yours. You can read the message, and "
		"reply to it securely, until %s.</p>"
		"<p>If you were not expecting a message from %s, you can ignore "
		"this one. We will never ask for your password by email.</p>"
		"</body></html>", sender, link, recipient, until, sender);
	*page_r = arena_printf(a,
		"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
		"<title>Encrypted message</title></head><body>"
		"<h1>Encrypted message</h1>"
		"<p>%s has sent an encrypted message to %s.</p>"
		"<p><a href=\"%s\">Open the message in the secure message "
		"portal</a></p><p>If the link does not open, copy this address "
		"into your web browser:</p><p>%s</p></body></html>", sender,
		recipient, link, link);
	return *text_r != NULL && *html_r != NULL && *page_r != NULL ? 0 : -1;
}

/*
 * The notice to one recipient, with its Return-Path (this server is not
 * its final delivery, but every message it queues carries one, as
 * submission's do), made ready for store_body_put.
 */
static int
prepare_notice(const struct dir_ctx *ctx, const struct mail_message *m,
	struct mail_seal_notice *n, const char *token, const char *until,
	struct arena *a, struct error *err)
{
	char base[512];
	mail_seal_portal_url(ctx->config, base, sizeof(base));
	const char *link = arena_printf(a, "%s/secure/open#%s", base, token);
	const char *text, *html, *page;
	if (link == NULL || notice_texts(m->sender, n->address, link, until,
		    a, &text, &html, &page) < 0)
		return error_set(err, ERROR_LIMIT,
			"no memory to write the notice of an encrypted message");
	struct mail_compose c = {
		.from = m->sender, .to = n->address,
		.subject = arena_printf(a, "Encrypted message from %s",
			m->sender),
		.date = ctx->now, .text = text, .html = html,
		.attachment_name = "Encrypted_Message.htm",
		.attachment_type = "text/html; charset=utf-8",
		.attachment = page, .attachment_len = strlen(page),
	};
	struct span body;
	struct str msg;
	if (c.subject == NULL ||
	    mail_compose(&c, ctx->config, a, &body, err) < 0)
		return c.subject == NULL ? error_set(err, ERROR_LIMIT,
			"no memory to write the notice") : -1;
	str_init(&msg, a, body.len + 600);
	if (mail_return_path_header(m->sender, &msg) < 0 ||
	    str_append(&msg, body.p, body.len) < 0)
		return error_set(err, ERROR_LIMIT,
			"no memory to write the notice");
	n->data = str_cstr(&msg);
	n->size = msg.len;
	return mail_body_prepare(n->data, n->size, ctx->now, a, &n->body,
		err);
}

int
mail_seal_prepare(const struct dir_ctx *ctx, const struct mail_message *m,
	const struct mail_recipient *recipients, size_t count,
	const bool *sealed, struct arena *a, struct mail_seal_plan *p_r,
	struct error *err)
{
	*p_r = (struct mail_seal_plan){ 0 };
	size_t n = 0;
	for (size_t i = 0; sealed != NULL && i < count; i++)
		n += sealed[i];
	for (size_t i = 0; i < m->withheld_count; i++)
		n += m->withheld[i].sealed;
	if (n == 0)
		return 0;
	struct mail_sealed s;
	if (mail_seal(ctx->seal_key, m->data, m->size, a, &s, err) < 0)
		return -1;
	int64_t days = config_get_int(ctx->config, "secure.expiry_days");
	p_r->message = (struct store_secure_message){
		.uid = arena_strdup(a, s.uid),
		.sender = m->sender,
		.created_at = ctx->now,
		.expires_at = ctx->now + days * 86400,
		.key_id = arena_strdup(a, s.key_id),
		.wrapped_key = s.wrapped_key,
		.wrapped_key_len = s.wrapped_key_len,
		.ciphertext = s.ciphertext,
		.ciphertext_len = s.ciphertext_len,
		.size = (int64_t)m->size,
	};
	p_r->notices = arena_alloc(a, n * sizeof(*p_r->notices));
	const char *until = day_text(p_r->message.expires_at, a);
	if (p_r->notices == NULL || until == NULL ||
	    p_r->message.uid == NULL || p_r->message.key_id == NULL)
		return error_set(err, ERROR_LIMIT,
			"no memory to seal the message");
	for (size_t i = 0; i < count + m->withheld_count; i++) {
		/* Written in place: a mail_body points into itself. */
		struct mail_seal_notice *notice = &p_r->notices[p_r->count];
		if (i < count && sealed != NULL && sealed[i])
			*notice = (struct mail_seal_notice){
				.address = recipients[i].address,
				.notify = recipients[i].notify,
				.orcpt = recipients[i].orcpt };
		else if (i >= count && m->withheld[i - count].sealed)
			*notice = (struct mail_seal_notice){	/* a list's */
				.address = m->withheld[i - count].address,
				.notify = m->withheld[i - count].via->notify };
		else
			continue;
		char token[MAIL_SEAL_LINK_SIZE];
		mail_seal_link_new(token, notice->link_hash);
		int rc = prepare_notice(ctx, m, notice, token, until, a, err);
		sodium_memzero(token, sizeof(token));
		if (rc < 0)
			return -1;
		p_r->count++;
	}
	return 0;
}

/* One notice queued for its recipient, its body stored once. */
static int
queue_notice(struct store *st, const struct mail_message *m,
	const struct mail_seal_notice *n, int64_t scope, struct error *err)
{
	int64_t body_id = store_body_put(st, &n->body.body, err);
	char notify[MAIL_DSN_NOTIFY_TEXT];
	mail_dsn_notify_text(n->notify, notify);
	if (body_id < 0 || store_set_drop(st, scope, err) < 0 ||
	    store_set_add_remote(st, scope, n->address, notify,
		    n->orcpt != NULL ? n->orcpt : "", err) < 0)
		return -1;
	struct store_delivery d = {
		.body_id = body_id,
		.size = (int64_t)n->size,
		.internal_date = m->received_at,
		.sender = m->sender,
		.ret = m->ret != NULL ? m->ret : "",
		.envid = m->envid != NULL ? m->envid : "",
	};
	int64_t mailboxes;
	return store_deliver_set(st, scope, &d, &mailboxes, err);
}

int
mail_seal_write(struct store *st, const struct mail_message *m,
	const struct mail_seal_plan *p, int64_t scope, struct error *err)
{
	if (p->count == 0)
		return 0;
	struct store_secure_message row = p->message;
	if (store_secure_message_insert(st, &row, err) < 0)
		return -1;
	for (size_t i = 0; i < p->count; i++) {
		struct store_secure_recipient r = {
			.message_id = row.id,
			.address = p->notices[i].address,
			.link_hash = p->notices[i].link_hash };
		if (store_secure_recipient_insert(st, &r, err) < 0 ||
		    queue_notice(st, m, &p->notices[i], scope, err) < 0)
			return -1;
	}
	return store_set_drop(st, scope, err);
}
