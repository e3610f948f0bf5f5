/*
 * `caremail auth check --ip IP --helo NAME --mail-from ADDR [< message]`:
 * SPF, DKIM and DMARC as inbound mail will be judged, over the instance's
 * resolver, printed as JSON with the Authentication-Results field.
 * Layer: front end. RFCs 7208, 6376, 7489, 8601.
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli_internal.h"
#include "core/arena.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/error.h"
#include "core/spool.h"
#include "core/str.h"
#include "mail/mail.h"
#include "mail/mail_authres.h"
#include "mail/mail_dns.h"

#define CLI_AUTH_ARENA_CAP ((size_t)64 * 1024 * 1024)

static json_t *
spf_json(const struct mail_auth_report *r)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:i}",
		"result", mail_spf_result_name(r->spf.result),
		"domain", r->spf_domain != NULL ? r->spf_domain : "",
		"identity", r->spf_helo ? "helo" : "mailfrom",
		"mechanism", r->spf.mechanism, "reason", r->spf.why,
		"dns_terms", r->spf.dns_terms,
		"void_lookups", r->spf.void_lookups);
}

static json_t *
dkim_json(const struct mail_auth_report *r)
{
	json_t *list = json_array();
	for (size_t i = 0; i < r->dkim_count; i++) {
		const struct mail_dkim_result *d = &r->dkim[i];
		json_array_append_new(list, json_pack(
			"{s:s, s:s, s:s, s:s, s:s, s:s}",
			"result", mail_dkim_verdict_name(d->verdict),
			"domain", d->domain, "selector", d->selector,
			"identity", d->identity, "algorithm", d->algorithm,
			"reason", d->why));
	}
	return list;
}

static json_t *
dmarc_json(const struct mail_auth_report *r)
{
	if (!r->checked_message)
		return json_null();
	const struct mail_dmarc_outcome *d = &r->dmarc;
	return json_pack("{s:s, s:s, s:s, s:s, s:b, s:b, s:s}",
		"result", mail_dmarc_result_name(d->result),
		"policy", mail_dmarc_policy_name(d->policy),
		"from_domain", d->from_domain != NULL ? d->from_domain : "",
		"record_domain", d->record_domain != NULL ?
			d->record_domain : "",
		"spf_aligned", d->spf_aligned, "dkim_aligned",
		d->dkim_aligned, "reason", d->why != NULL ? d->why : "");
}

/* The name the field is written by: --authserv-id, else our host name. */
static void
authserv_id(struct cli_args *args, const struct config *c, char *buf,
	size_t size)
{
	const char *id = cli_opt(args, "authserv-id");
	if (id != NULL && id[0] != '\0')
		str_copy(buf, size, id);
	else
		mail_hostname(c, buf, size);
}

static int
check(struct cli_args *args, const struct config *c, struct span msg,
	struct error *err)
{
	struct dns_resolver *r = mail_dns_resolver_new(c, err);
	if (r == NULL)
		return -1;
	struct mail_auth_dns dns = mail_auth_dns_resolver(r);
	struct arena *a = arena_new(CLI_AUTH_ARENA_CAP);
	struct mail_auth_input in = {
		.ip = cli_opt(args, "ip"),
		.helo = cli_opt(args, "helo"),
		.mail_from = cli_opt(args, "mail-from"),
		.message = msg,
		.now = clock_now(),
		.sample = randombytes_uniform(100),
	};
	struct mail_auth_report report;
	char id[256];
	char *field;
	authserv_id(args, c, id, sizeof(id));
	int rc = mail_auth_check(&dns, &in, a, &report, err);
	if (rc == 0)
		rc = mail_authres_field(id, &report, a, &field, err);
	if (rc == 0) {
		/* The field unfolded for JSON: one line, as a reader greps. */
		size_t n = 0;
		for (const char *p = field; *p != '\0'; p++) {
			if (p[0] == '\r' && p[1] == '\n') {
				p++;	/* RFC 5322 §2.2.3: CRLF goes, WSP stays */
				continue;
			}
			field[n++] = *p == '\t' ? ' ' : *p;
		}
		field[n] = '\0';
		json_t *o = json_pack("{s:o, s:o, s:o, s:s}",
			"spf", spf_json(&report), "dkim", dkim_json(&report),
			"dmarc", dmarc_json(&report),
			"authentication_results", field);
		json_dumpf(o, stdout, JSON_INDENT(2));
		fputc('\n', stdout);
		json_decref(o);
	}
	arena_free(&a);
	dns_resolver_free(&r);
	return rc;
}

int
cli_auth_check(struct cli_args *args, struct error *err)
{
	struct cli_settings set;
	if (cli_settings_open(args, &set, err) < 0)
		return -1;
	if (sodium_init() < 0) {
		cli_settings_close(&set);
		return error_set(err, ERROR_INTERNAL,
			"libsodium cannot start");
	}
	struct spool *sp = NULL;
	struct span msg = { "", 0 };
	int rc = 0;
	/* A message only when one is piped in: a terminal gives none. */
	if (!isatty(STDIN_FILENO)) {
		sp = cli_read_spooled(set.config, STDIN_FILENO, CLI_STDIN_NAME,
			&msg, err);
		rc = sp != NULL ? 0 : -1;
	}
	if (rc == 0)
		rc = check(args, set.config, msg, err);
	spool_free(&sp);
	cli_settings_close(&set);
	return rc;
}
