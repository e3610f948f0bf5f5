/*
 * The static route table (outbound.routes): a smarthost or fixed next hop
 * per destination domain, or for every domain ("*"), with its TLS mode
 * and optional AUTH. Layer: domain, pure (the password is read from its
 * file only when a connection needs it). RFC 5321 §5 (routes override
 * MX), RFC 4954 (AUTH).
 */
#include "mail/mail_queue.h"

#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/error.h"
#include "core/str.h"
#include "dir/dir_address.h"
#include "mail/mail_secure.h"
#include "mail/mail_tls_policy.h"

/* The most of a route's text an error message quotes. */
#define SHOWN_MAX 64

/*
 * Text from the setting as an error message may quote it: at most
 * SHOWN_MAX bytes, anything but printable ASCII as '?', so a refusal stays
 * one line of plain text in logs and on terminals.
 */
static const char *
shown(struct span s, char *buf, size_t size)
{
	size_t n = 0;
	for (size_t i = 0; i < s.len && n + 4 < size && i < SHOWN_MAX; i++)
		buf[n++] = s.p[i] >= 0x20 && s.p[i] < 0x7f ? s.p[i] : '?';
	if (s.len > SHOWN_MAX && n + 4 < size) {
		memcpy(buf + n, "...", 3);
		n += 3;
	}
	buf[n] = '\0';
	return buf;
}

/* Splits off the next word of s (runs of spaces between); false at end. */
static bool
next_word(struct span *s, struct span *word_r)
{
	*s = span_trim(*s);
	if (s->len == 0)
		return false;
	size_t i = 0;
	while (i < s->len && s->p[i] != ' ' && s->p[i] != '\t')
		i++;
	*word_r = span_make(s->p, i);
	*s = span_make(s->p + i, s->len - i);
	return true;
}

static int
copy_span(char *buf, size_t size, struct span s, const char *what,
	struct error *err)
{
	if (s.len == 0 || s.len >= size)
		return error_set(err, ERROR_INVALID, "the %s is %s", what,
			s.len == 0 ? "empty" : "too long");
	memcpy(buf, s.p, s.len);
	buf[s.len] = '\0';
	return 0;
}

/* "host:port", "[v6]:port" or "host" (port 25). */
static int
parse_hop(struct span hop, struct mail_route_entry *e, struct error *err)
{
	struct span host = hop;
	struct span port = { 0 };
	if (hop.len > 0 && hop.p[0] == '[') {
		const char *close = memchr(hop.p, ']', hop.len);
		if (close == NULL)
			return error_set(err, ERROR_INVALID,
				"an IPv6 next hop needs its closing ']'");
		host = span_make(hop.p + 1, (size_t)(close - hop.p - 1));
		size_t rest = hop.len - (size_t)(close - hop.p) - 1;
		if (rest > 0) {
			if (close[1] != ':')
				return error_set(err, ERROR_INVALID,
					"a ':' and port must follow ']'");
			port = span_make(close + 2, rest - 1);
		}
		e->host_is_v6 = true;
	} else {
		const char *colon = memchr(hop.p, ':', hop.len);
		if (colon != NULL) {
			host = span_make(hop.p, (size_t)(colon - hop.p));
			port = span_make(colon + 1,
				hop.len - (size_t)(colon - hop.p) - 1);
		}
	}
	if (copy_span(e->host, sizeof(e->host), host, "next hop's host",
		    err) < 0)
		return -1;
	e->port = 25;
	if (port.p != NULL) {
		uint64_t n;
		if (!span_to_u64(port, &n) || n == 0 || n > 65535)
			return error_set(err, ERROR_INVALID,
				"the port must be a number from 1 to 65535");
		e->port = (uint16_t)n;
	}
	for (const char *c = e->host; *c != '\0'; c++) {
		char q[SHOWN_MAX + 8];
		if (!str_is_ascii_alpha(*c) && !str_is_ascii_digit(*c) &&
		    strchr(".-_:", *c) == NULL)
			return error_set(err, ERROR_INVALID,
				"the next hop's host '%s' is not a host name "
				"or address", shown(span_from_cstr(e->host), q,
				sizeof(q)));
	}
	str_lower_inplace(e->host);
	return 0;
}

static int
parse_option(struct span word, struct mail_route_entry *e, struct error *err)
{
	char q[SHOWN_MAX + 8];
	const char *eq = memchr(word.p, '=', word.len);
	if (eq == NULL)
		return error_set(err, ERROR_INVALID,
			"'%s' is not NAME=VALUE (tls=, auth=, password_file=)",
			shown(word, q, sizeof(q)));
	struct span name = span_make(word.p, (size_t)(eq - word.p));
	struct span value = span_make(eq + 1,
		word.len - (size_t)(eq - word.p) - 1);
	if (span_eq(name, "tls")) {
		char mode[32];
		enum mail_smtp_tls tls;
		if (copy_span(mode, sizeof(mode), value, "tls mode", err) < 0)
			return -1;
		if (!mail_smtp_tls_parse(mode, &tls))
			return error_set(err, ERROR_INVALID,
				"tls must be none, opportunistic or required, "
				"not '%s'", shown(value, q, sizeof(q)));
		e->tls = (int)tls;
		return 0;
	}
	if (span_eq(name, "auth"))
		return copy_span(e->auth_user, sizeof(e->auth_user), value,
			"AUTH user", err);
	if (span_eq(name, "password_file"))
		return copy_span(e->password_file, sizeof(e->password_file),
			value, "password file", err);
	return error_set(err, ERROR_INVALID,
		"unknown route option '%s' (tls=, auth=, password_file=)",
		shown(name, q, sizeof(q)));
}

int
mail_route_entry_parse(const char *text, struct mail_route_entry *e_r,
	struct error *err)
{
	memset(e_r, 0, sizeof(*e_r));
	e_r->tls = -1;
	struct span s = span_from_cstr(text);
	const char *eq = memchr(s.p, '=', s.len);
	if (eq == NULL)
		return error_set(err, ERROR_INVALID,
			"a route is DOMAIN=HOST[:PORT] [tls=MODE] [auth=USER "
			"password_file=FILE]");
	struct span domain = span_trim(span_make(s.p, (size_t)(eq - s.p)));
	s = span_make(eq + 1, s.len - (size_t)(eq - s.p) - 1);
	char d[MAIL_SECURE_DOMAIN_SIZE];
	if (copy_span(d, sizeof(d), domain, "route's domain", err) < 0)
		return -1;
	char q[SHOWN_MAX + 8];
	/*
	 * mail_domain_normalise takes an address's domain (so refuses no
	 * address) and makes A-labels; the directory's rule then checks the
	 * name (labels of letters, digits and inner hyphens).
	 */
	if (strcmp(d, "*") == 0)
		str_copy(e_r->domain, sizeof(e_r->domain), "*");
	else if (strchr(d, '@') != NULL ||
		 mail_domain_normalise(d, e_r->domain, sizeof(e_r->domain),
			 err) < 0 ||
		 dir_address_check_domain(span_from_cstr(e_r->domain),
			 e_r->domain, sizeof(e_r->domain), err) < 0)
		return error_set(err, ERROR_INVALID, "the route's domain '%s' "
			"is not a domain name (or * for every domain)",
			shown(domain, q, sizeof(q)));
	struct span word;
	if (!next_word(&s, &word))
		return error_set(err, ERROR_INVALID,
			"the route for %s names no next hop", e_r->domain);
	if (parse_hop(word, e_r, err) < 0)
		return -1;
	while (next_word(&s, &word)) {
		if (parse_option(word, e_r, err) < 0)
			return -1;
	}
	if ((e_r->auth_user[0] != '\0') != (e_r->password_file[0] != '\0'))
		return error_set(err, ERROR_INVALID,
			"auth= and password_file= go together");
	/* SECURITY: a password is never sent in clear (RFC 4954 §4). */
	if (e_r->auth_user[0] != '\0' && e_r->tls != MAIL_SMTP_TLS_REQUIRED)
		return error_set(err, ERROR_INVALID,
			"a route with auth= must say tls=required");
	return 0;
}

/*
 * A route too long to read is an error, never the end of the table: the
 * routes after it (a smarthost with tls=required among them) must not be
 * dropped.
 */
int
mail_route_table_from_config(const struct config *c,
	struct mail_route_table *t_r, struct error *err)
{
	memset(t_r, 0, sizeof(*t_r));
	char text[2048], q[SHOWN_MAX + 8];
	int more;
	for (size_t i = 0; (more = config_list_get(c, "outbound.routes", i,
		    text, sizeof(text), err)) > 0; i++) {
		struct span item = span_from_cstr(text);
		if (t_r->count == MAIL_ROUTE_MAX)
			return error_set(err, ERROR_INVALID,
				"outbound.routes has more than %d routes",
				MAIL_ROUTE_MAX);
		struct error inner;
		if (mail_route_entry_parse(text, &t_r->entries[t_r->count],
			    &inner) < 0)
			return error_set(err, ERROR_INVALID,
				"outbound.routes: '%s': %s",
				shown(item, q, sizeof(q)), inner.msg);
		for (size_t k = 0; k < t_r->count; k++) {
			if (strcmp(t_r->entries[k].domain,
				    t_r->entries[t_r->count].domain) == 0)
				return error_set(err, ERROR_INVALID,
					"outbound.routes names %s twice",
					t_r->entries[k].domain);
		}
		t_r->count++;
	}
	return more;
}

const struct mail_route_entry *
mail_route_table_find(const struct mail_route_table *t, const char *domain)
{
	const struct mail_route_entry *any = NULL;
	for (size_t i = 0; i < t->count; i++) {
		if (strcmp(t->entries[i].domain, domain) == 0)
			return &t->entries[i];
		if (strcmp(t->entries[i].domain, "*") == 0)
			any = &t->entries[i];
	}
	return any;
}

void
mail_route_tls_requirement(const struct mail_route_entry *e,
	bool secure_domain, struct mail_tls_requirement *r)
{
	struct mail_tls_facts f = { .mx_host = e->host,
		.secure_domain = secure_domain };
	mail_tls_requirement(&f, r);
	if (r->need != MAIL_TLS_NEED_OPPORTUNISTIC || e->tls < 0)
		return;
	r->client_tls = (enum mail_smtp_tls)e->tls;
	if (r->client_tls == MAIL_SMTP_TLS_REQUIRED) {
		r->need = MAIL_TLS_NEED_PKIX;
		r->failure_defers = true;
		r->why = "the static route says tls=required";
	} else if (r->client_tls == MAIL_SMTP_TLS_NONE) {
		r->why = "the static route says tls=none";
	}
}
