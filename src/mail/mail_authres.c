/*
 * Sender authentication of one inbound message: SPF, DKIM and DMARC run
 * together over the resolver, and the Authentication-Results field that
 * records them (RFC 8601). Layer: domain.
 */
#include "mail/mail_authres.h"

#include <string.h>

#include "core/arena.h"
#include "core/dns.h"
#include "core/error.h"
#include "core/str.h"
#include "mail/mail.h"
#include "mail/mail_secure.h"

static int
resolver_lookup(void *arg, const char *name, enum dns_type type,
	struct arena *a, struct dns_answer *answer_r, struct error *err)
{
	return dns_lookup(arg, name, type, a, answer_r, err);
}

struct mail_auth_dns
mail_auth_dns_resolver(struct dns_resolver *r)
{
	return (struct mail_auth_dns){ resolver_lookup, r };
}

/* ---- the checks together ---- */

/*
 * The From domain as domains are compared (mail_domain_normalise: lower
 * case, no final dot, A-labels); NULL if not one.
 */
static const char *
from_domain(struct span msg, struct arena *a)
{
	struct mail_header_mailbox from;
	struct error err;
	char d[MAIL_SECURE_DOMAIN_SIZE];
	if (mail_header_from(msg, a, &from, &err) < 0)
		return NULL;
	const char *at = strrchr(from.address, '@');
	if (at == NULL ||
	    mail_domain_normalise(at + 1, d, sizeof(d), &err) < 0 ||
	    !dns_name_is_valid(d))
		return NULL;
	return arena_strdup(a, d);
}

int
mail_auth_check(const struct mail_auth_dns *dns,
	const struct mail_auth_input *in, struct arena *a,
	struct mail_auth_report *out_r, struct error *err)
{
	memset(out_r, 0, sizeof(*out_r));
	out_r->spf_sender = in->mail_from != NULL ? in->mail_from : "";
	if (mail_spf_check(dns, in->ip, in->helo, in->mail_from, a,
		    &out_r->spf, &out_r->spf_domain, &out_r->spf_helo,
		    err) < 0)
		return -1;
	if (in->message.len == 0)
		return 0;
	out_r->checked_message = true;
	if (mail_dkim_verify(dns, in->message, in->now, a, &out_r->dkim,
		    &out_r->dkim_count, err) < 0)
		return -1;
	struct mail_dmarc_input din = {
		.from_domain = from_domain(in->message, a),
		.spf = out_r->spf.result,
		.spf_domain = out_r->spf_domain,
		.dkim = out_r->dkim,
		.dkim_count = out_r->dkim_count,
		.sample = in->sample,
	};
	return mail_dmarc_check(dns, &din, a, &out_r->dmarc, err);
}

/* ---- Authentication-Results (RFC 8601) ---- */

static bool
is_plain(const char *v)
{
	if (v[0] == '\0')
		return false;
	for (const char *p = v; *p != '\0'; p++) {
		if (!str_is_ascii_alpha(*p) && !str_is_ascii_digit(*p) &&
		    strchr(".-_+@", *p) == NULL)
			return false;
	}
	return true;
}

/* Whether v can be written at all: printable ASCII only, not empty. */
static bool
is_writable(const char *v)
{
	if (v == NULL || v[0] == '\0')
		return false;
	for (const char *p = v; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
			return false;
	}
	return true;
}

/*
 * " name=value": a token as is, anything else printable as a
 * quoted-string (RFC 5322 §3.2.4); a value with a control or 8-bit byte
 * is left out, so it can neither end the field nor start another.
 */
static int
property(struct str *out, const char *name, const char *v)
{
	if (!is_writable(v))
		return 0;
	if (str_appendf(out, " %s=", name) < 0)
		return -1;
	if (is_plain(v))
		return str_append_cstr(out, v);
	return str_append_quoted(out, v);
}

static int
spf_part(struct str *out, const struct mail_auth_report *r)
{
	if (str_appendf(out, ";\r\n\tspf=%s",
		    mail_spf_result_name(r->spf.result)) < 0)
		return -1;
	if (r->spf_helo)
		return property(out, "smtp.helo", r->spf_domain);
	const char *from = r->spf_sender;
	return property(out, "smtp.mailfrom", strchr(from, '@') != NULL ?
		from : r->spf_domain);
}

static int
dkim_part(struct str *out, const struct mail_auth_report *r)
{
	if (r->dkim_count == 0)
		return str_append_cstr(out, ";\r\n\tdkim=none");
	for (size_t i = 0; i < r->dkim_count; i++) {
		const struct mail_dkim_result *d = &r->dkim[i];
		if (str_appendf(out, ";\r\n\tdkim=%s",
			    mail_dkim_verdict_name(d->verdict)) < 0 ||
		    property(out, "header.d", d->domain) < 0 ||
		    property(out, "header.s", d->selector) < 0 ||
		    property(out, "header.b", d->b_prefix) < 0)
			return -1;
	}
	return 0;
}

static int
dmarc_part(struct str *out, const struct mail_auth_report *r)
{
	const struct mail_dmarc_outcome *d = &r->dmarc;
	if (str_appendf(out, ";\r\n\tdmarc=%s",
		    mail_dmarc_result_name(d->result)) < 0)
		return -1;
	/* The policy to apply, as a comment (RFC 7489 §11.2's example). */
	if ((d->result == MAIL_DMARC_PASS || d->result == MAIL_DMARC_FAIL) &&
	    str_appendf(out, " (p=%s)", mail_dmarc_policy_name(
			d->policy)) < 0)
		return -1;
	return property(out, "header.from", d->from_domain);
}

int
mail_authres_field(const char *authserv_id,
	const struct mail_auth_report *report, struct arena *a,
	char **field_r, struct error *err)
{
	if (!is_plain(authserv_id) || strchr(authserv_id, '@') != NULL)
		return error_set_field(err, ERROR_INVALID, "authserv_id",
			"\"%s\" is not a host name to name the checks by",
			is_writable(authserv_id) ? authserv_id : "?");
	struct str out;
	str_init(&out, a, 64 * 1024);
	if (str_appendf(&out, "Authentication-Results: %s",
		    authserv_id) < 0 ||
	    spf_part(&out, report) < 0 ||
	    (report->checked_message && (dkim_part(&out, report) < 0 ||
		    dmarc_part(&out, report) < 0)) ||
	    str_append(&out, "\r\n", 2) < 0)
		return error_set(err, ERROR_LIMIT,
			"the Authentication-Results field is too large");
	*field_r = out.p;
	return 0;
}
