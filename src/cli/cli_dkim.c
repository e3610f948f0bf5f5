/*
 * `dkim keygen|activate|show|sign` and `dns records`: a DKIM key per hosted
 * domain and every DNS record an operator publishes for it (SECURITY.md
 * 7). Layer: front end. SECURITY: no command prints a private key; keygen
 * and activate are audited by the domain.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli_internal.h"
#include "core/arena.h"
#include "core/config.h"
#include "core/error.h"
#include "core/spool.h"
#include "core/str.h"
#include "instance/instance.h"
#include "mail/mail_dkim.h"

/* What `dkim sign` keeps in memory before the rest goes to a spool file. */
#define SIGN_MEMORY_MAX ((size_t)1024 * 1024)

static int
keygen(struct cli_args *args, struct cli_session *s, struct error *err)
{
	const char *name = cli_opt(args, "algorithm");
	if (name == NULL)
		name = config_get_str(s->inst->config, "dkim.algorithm");
	enum mail_dkim_algorithm alg;
	if (!mail_dkim_algorithm_parse(name, &alg))
		return cli_usage(args, err, "--algorithm is rsa or ed25519");
	const char *domain = cli_opt(args, "domain");
	struct mail_dkim_keygen_result r;
	if (mail_dkim_keygen(&s->ctx, s->inst->dkim_dir, domain,
		    cli_opt(args, "selector"), alg, &r, err) < 0)
		return -1;
	const char *kind = alg == MAIL_DKIM_ED25519_SHA256 ? "an Ed25519" :
		"an RSA-2048";
	char sentence[600];
	if (r.active)
		snprintf(sentence, sizeof(sentence), "Made %s DKIM key for %s "
			"with selector %s; mail from %s is signed with it from "
			"now. Publish its record: caremail dkim show --domain %s",
			kind, domain, r.selector, domain, domain);
	else
		snprintf(sentence, sizeof(sentence), "Made %s DKIM key for %s "
			"with selector %s; the old key still signs. Publish its "
			"record (caremail dkim show --domain %s --selector %s), "
			"then switch with caremail dkim activate --domain %s "
			"--selector %s", kind, domain, r.selector, domain,
			r.selector, domain, r.selector);
	cli_print_done(args, json_pack("{s:s, s:s, s:s, s:b}", "domain",
		domain, "selector", r.selector, "algorithm", name, "active",
		r.active), sentence);
	return 0;
}

int
cli_dkim_keygen(struct cli_args *args, struct error *err)
{
	struct cli_session s;
	if (cli_session_open(args, &s, err) < 0)
		return -1;
	int rc = keygen(args, &s, err);
	cli_session_close(&s);
	return rc;
}

int
cli_dkim_activate(struct cli_args *args, struct error *err)
{
	struct cli_session s;
	if (cli_session_open(args, &s, err) < 0)
		return -1;
	const char *domain = cli_opt(args, "domain");
	const char *selector = cli_opt(args, "selector");
	int rc = mail_dkim_activate(&s.ctx, s.inst->dkim_dir, domain,
		selector, err);
	if (rc == 0) {
		char sentence[400];
		snprintf(sentence, sizeof(sentence), "Mail from %s is signed "
			"with selector %s from now.", domain, selector);
		cli_print_done(args, json_pack("{s:s, s:s, s:b}", "domain",
			domain, "selector", selector, "active", 1), sentence);
	}
	cli_session_close(&s);
	return rc;
}

static int
show(struct cli_args *args, struct cli_session *s, struct error *err)
{
	const char *domain = cli_opt(args, "domain");
	struct mail_dkim_key *key;
	if (mail_dkim_domain_check(&s->ctx, domain, err) < 0 ||
	    mail_dkim_key_load(s->inst->dkim_dir, domain,
		    cli_opt(args, "selector"), &key, err) < 0)
		return -1;
	char active[64];
	struct error ignored;
	bool is_active = mail_dkim_active_selector(s->inst->dkim_dir, domain,
		active, sizeof(active), &ignored) == 0 &&
		strcmp(active, mail_dkim_key_selector(key)) == 0;
	char *record = mail_dkim_key_record(key, s->arena);
	char *name = arena_printf(s->arena, "%s._domainkey.%s.",
		mail_dkim_key_selector(key), mail_dkim_key_domain(key));
	int rc = 0;
	if (record == NULL || name == NULL)
		rc = error_set(err, ERROR_LIMIT, "out of memory");
	else
		cli_print(args, json_pack("{s:s, s:s, s:s, s:b, s:s, s:s}",
			"domain", mail_dkim_key_domain(key),
			"selector", mail_dkim_key_selector(key),
			"algorithm", mail_dkim_algorithm_name(
				mail_dkim_key_algorithm(key)),
			"active", is_active, "name", name, "record", record),
			NULL);
	mail_dkim_key_free(&key);
	return rc;
}

int
cli_dkim_show(struct cli_args *args, struct error *err)
{
	struct cli_session s;
	if (cli_session_open(args, &s, err) < 0)
		return -1;
	int rc = show(args, &s, err);
	cli_session_close(&s);
	return rc;
}

/* Writes msg with every line ending CRLF: what was signed is what is sent. */
static int
write_crlf(struct span msg, FILE *out)
{
	size_t start = 0;
	for (size_t i = 0; i < msg.len; i++) {
		if (msg.p[i] != '\n' || (i > 0 && msg.p[i - 1] == '\r'))
			continue;
		if (fwrite(msg.p + start, 1, i - start, out) != i - start ||
		    fputs("\r\n", out) == EOF)
			return -1;
		start = i + 1;
	}
	if (fwrite(msg.p + start, 1, msg.len - start, out) != msg.len - start)
		return -1;
	return fflush(out);
}

static int
sign(struct cli_args *args, struct cli_session *s, struct error *err)
{
	const char *domain = cli_opt(args, "domain");
	struct mail_dkim_key *key;
	if (mail_dkim_domain_check(&s->ctx, domain, err) < 0 ||
	    mail_dkim_key_load(s->inst->dkim_dir, domain,
		    cli_opt(args, "selector"), &key, err) < 0)
		return -1;
	size_t max = (size_t)config_get_int(s->inst->config,
		"smtp.max_message_size_mb") * 1024 * 1024;
	struct spool *sp = spool_new(s->inst->spool_dir, SIGN_MEMORY_MAX, max);
	struct span msg;
	char *field;
	int rc = cli_read_message(STDIN_FILENO, CLI_STDIN_NAME, sp, &msg,
		err);
	if (rc == 0)
		rc = mail_dkim_sign(key, msg, s->ctx.now, s->arena, &field,
			err);
	if (rc == 0 && (fputs(field, stdout) == EOF ||
			   write_crlf(msg, stdout) < 0))
		rc = error_set(err, ERROR_TEMPORARY,
			"cannot write the signed message to stdout");
	spool_free(&sp);
	mail_dkim_key_free(&key);
	return rc;
}

int
cli_dkim_sign(struct cli_args *args, struct error *err)
{
	struct cli_session s;
	if (cli_session_open(args, &s, err) < 0)
		return -1;
	int rc = sign(args, &s, err);
	cli_session_close(&s);
	return rc;
}

/* ---- dns records ---- */

static const char *
report_address(struct cli_session *s, const char *key, const char *domain)
{
	const char *v = config_get_str(s->inst->config, key);
	return v[0] != '\0' ? v : arena_printf(s->arena, "postmaster@%s",
		domain);
}

static json_t *
records_json(const struct mail_dns_records *r, const char *domain)
{
	json_t *items = json_array();
	for (size_t i = 0; i < r->count; i++)
		json_array_append_new(items, json_pack("{s:s, s:s, s:s, s:s}",
			"name", r->items[i].name, "type", r->items[i].type,
			"value", r->items[i].value,
			"comment", r->items[i].comment));
	return json_pack("{s:s, s:o, s:o, s:s, s:s}", "domain", domain,
		"records", items, "missing", cli_json_text(r->missing),
		"mta_sts_policy", r->mta_sts_policy,
		"mta_sts_url", r->mta_sts_url);
}

static int
records(struct cli_args *args, struct cli_session *s, struct error *err)
{
	char domain[MAIL_DKIM_NAME_MAX + 1], first[MAIL_DKIM_NAME_MAX + 1];
	if (str_copy(domain, sizeof(domain), cli_opt(args, "domain")) < 0)
		return error_set_field(err, ERROR_INVALID, "domain",
			"the domain name is too long");
	str_lower_inplace(domain);
	if (!dir_domain_is_hosted(&s->ctx, domain))
		return error_set_field(err, ERROR_INVALID, "domain",
			"%s is not a domain this instance hosts (mail.domains); "
			"records are printed only for hosted domains", domain);
	const struct config *c = s->inst->config;
	const char *mx = config_get_str(c, "smtp.hostname");
	if (mx[0] == '\0' && config_list_item(c, "mail.domains", 0, first,
				     sizeof(first))) {
		str_lower_inplace(first);
		mx = first;
	}
	struct mail_dns_input in = {
		.domain = domain,
		.mx_host = mx,
		.dmarc_policy = config_get_str(c, "dns.dmarc_policy"),
		.dmarc_report = report_address(s, "dns.dmarc_report_address",
			domain),
		.tlsrpt_report = report_address(s, "dns.tlsrpt_report_address",
			domain),
		.mta_sts_max_age = config_get_int(c, "dns.mta_sts_max_age_s"),
	};
	struct mail_dkim_key *key = NULL;
	struct error inner;
	if (mail_dkim_key_load(s->inst->dkim_dir, domain, NULL, &key,
		    &inner) == 0) {
		in.dkim_selector = arena_strdup(s->arena,
			mail_dkim_key_selector(key));
		in.dkim_record = mail_dkim_key_record(key, s->arena);
		mail_dkim_key_free(&key);
	} else if (inner.code != ERROR_NOT_FOUND) {
		return error_forward(err, &inner);
	}
	struct mail_dns_records r;
	if (mail_dns_records(&in, s->arena, &r, err) < 0)
		return -1;
	if (args->json) {
		cli_print(args, records_json(&r, domain), NULL);
		return 0;
	}
	struct str text;
	str_init(&text, s->arena, 1024 * 1024);
	if (mail_dns_zone_text(&r, &text) < 0)
		return error_set(err, ERROR_LIMIT, "out of memory");
	fputs(str_cstr(&text), stdout);
	return 0;
}

int
cli_dns_records(struct cli_args *args, struct error *err)
{
	struct cli_session s;
	if (cli_session_open(args, &s, err) < 0)
		return -1;
	int rc = records(args, &s, err);
	cli_session_close(&s);
	return rc;
}
