/*
 * Fuzz target for the static route table (outbound.routes,
 * mail_queue_route.c). The first byte picks the parser, the rest is one
 * route (mail_route_entry_parse, copied to a buffer of exactly its size
 * so a read past its end trips ASan) or the whole setting (set with
 * config_set_value, read by mail_route_table_from_config). Beyond not
 * crashing: an accepted route has a normalised domain or "*", a host of
 * host-name characters in lower case, a port, a known tls=, auth= only
 * with password_file= and tls=required, and written back as text it
 * parses to the same route; an accepted table holds every route the
 * setting lists, none twice, and finds each by its domain; a refusal is
 * INVALID or LIMIT with a sentence on one line.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/error.h"
#include "core/str.h"
#include "mail/mail_queue.h"
#include "mail/mail_secure.h"
#include "mail/mail_smtp_client.h"

#include "fuzz_refusal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool
is_terminated(const char *buf, size_t size)
{
	return memchr(buf, '\0', size) != NULL;
}

static void
check_domain(const char *d)
{
	if (strcmp(d, "*") == 0)
		return;
	size_t n = strlen(d);
	if (n == 0 || d[n - 1] == '.')
		abort();
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)d[i];
		if (c >= 'A' && c <= 'Z')
			abort();
		if (c <= 0x20 || c >= 0x7f || c == '=' || c == ',')
			abort();
	}
	/* Normalised already: normalising again changes nothing. */
	char again[MAIL_SECURE_DOMAIN_SIZE];
	struct error err;
	if (mail_domain_normalise(d, again, sizeof(again), &err) < 0 ||
	    strcmp(again, d) != 0)
		abort();
}

/* The route as outbound.routes would say it. */
static void
write_route(const struct mail_route_entry *e, char *buf, size_t size)
{
	int n = snprintf(buf, size, e->host_is_v6 ? "%s=[%s]:%u" :
		"%s=%s:%u", e->domain, e->host, (unsigned)e->port);
	if (e->tls >= 0)
		n += snprintf(buf + n, size - (size_t)n, " tls=%s",
			mail_smtp_tls_name((enum mail_smtp_tls)e->tls));
	if (e->auth_user[0] != '\0')
		n += snprintf(buf + n, size - (size_t)n, " auth=%s",
			e->auth_user);
	if (e->password_file[0] != '\0')
		n += snprintf(buf + n, size - (size_t)n, " password_file=%s",
			e->password_file);
	if (n < 0 || (size_t)n >= size)
		abort();
}

static void
check_entry(const struct mail_route_entry *e)
{
	if (!is_terminated(e->domain, sizeof(e->domain)) ||
	    !is_terminated(e->host, sizeof(e->host)) ||
	    !is_terminated(e->auth_user, sizeof(e->auth_user)) ||
	    !is_terminated(e->password_file, sizeof(e->password_file)))
		abort();
	check_domain(e->domain);
	if (e->host[0] == '\0' || e->port == 0)
		abort();
	for (const char *c = e->host; *c != '\0'; c++) {
		if (!(*c >= 'a' && *c <= 'z') && !str_is_ascii_digit(*c) &&
		    strchr(".-_:", *c) == NULL)
			abort();
	}
	if (!e->host_is_v6 && strchr(e->host, ':') != NULL)
		abort();
	if (e->tls != -1 && e->tls != MAIL_SMTP_TLS_NONE &&
	    e->tls != MAIL_SMTP_TLS_OPPORTUNISTIC &&
	    e->tls != MAIL_SMTP_TLS_REQUIRED)
		abort();
	if ((e->auth_user[0] != '\0') != (e->password_file[0] != '\0'))
		abort();
	if (e->auth_user[0] != '\0' && e->tls != MAIL_SMTP_TLS_REQUIRED)
		abort();
	/* Said again, it is the same route. */
	char text[2048];
	write_route(e, text, sizeof(text));
	struct mail_route_entry again;
	struct error err;
	if (mail_route_entry_parse(text, &again, &err) < 0) {
		fprintf(stderr, "'%s' does not parse: %s\n", text, err.msg);
		abort();
	}
	if (strcmp(again.domain, e->domain) != 0 ||
	    strcmp(again.host, e->host) != 0 ||
	    again.host_is_v6 != e->host_is_v6 || again.port != e->port ||
	    again.tls != e->tls ||
	    strcmp(again.auth_user, e->auth_user) != 0 ||
	    strcmp(again.password_file, e->password_file) != 0) {
		fprintf(stderr, "'%s' parses to another route\n", text);
		abort();
	}
}

/* The routes the setting lists: its non-empty comma-separated items. */
static size_t
count_items(const char *value)
{
	struct span rest = span_from_cstr(value), item;
	size_t n = 0;
	while (span_split(&rest, ',', &item))
		n += span_trim(item).len > 0;
	return n;
}

static void
check_table(const struct config *c, const struct mail_route_table *t)
{
	if (t->count > MAIL_ROUTE_MAX ||
	    t->count != count_items(config_get_str(c, "outbound.routes")))
		abort();
	for (size_t i = 0; i < t->count; i++) {
		check_entry(&t->entries[i]);
		for (size_t k = 0; k < i; k++) {
			if (strcmp(t->entries[k].domain,
				    t->entries[i].domain) == 0)
				abort();
		}
		if (mail_route_table_find(t, t->entries[i].domain) !=
		    &t->entries[i])
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	size_t len = size - 1;
	char *text = malloc(len + 1);
	memcpy(text, data + 1, len);
	text[len] = '\0';
	struct error err = { 0 };
	if (data[0] & 1) {
		struct mail_route_entry e;
		if (mail_route_entry_parse(text, &e, &err) == 0)
			check_entry(&e);
		else
			check_refusal_line(&err);
	} else {
		struct config *c = config_new();
		struct mail_route_table *t = malloc(sizeof(*t));
		if (config_set_value(c, "outbound.routes", text, &err) == 0) {
			if (mail_route_table_from_config(c, t, &err) == 0)
				check_table(c, t);
			else
				check_refusal_line(&err);
		}
		free(t);
		config_free(&c);
	}
	free(text);
	return 0;
}
