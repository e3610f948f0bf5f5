/*
 * Outbound TLS policy for operators: `caremail mta-sts show DOMAIN` (a
 * recipient domain's MTA-STS policy and what it means for our mail),
 * `caremail tlsrpt report` (the day's RFC 8460 reports), and the policy
 * `smtp send --mta-sts/--dane/--secure-domain` applies to one send.
 * Layer: front end. RFC 8461, RFC 7672, RFC 8460.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_internal.h"
#include "core/arena.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/dns.h"
#include "core/error.h"
#include "core/str.h"
#include "core/xmalloc.h"
#include "instance/instance.h"
#include "mail/mail_dane.h"
#include "mail/mail_dns.h"
#include "mail/mail_mta_sts.h"
#include "mail/mail_smtp_client.h"
#include "mail/mail.h"
#include "mail/mail_tls_policy.h"
#include "mail/mail_tlsrpt.h"

#define CLI_TLS_ARENA_CAP ((size_t)16 * 1024 * 1024)

/* The settings and, with --dir, the instance and its store. */
struct tls_setup {
	struct cli_settings set;
	struct store *st;
	char *ca_path;		/* outbound.mta_sts_ca_file, resolved */
};

static int
setup_open(struct cli_args *args, bool need_instance, struct tls_setup *s,
	struct error *err)
{
	memset(s, 0, sizeof(*s));
	if (args->dir == NULL && need_instance)
		return cli_usage(args, err, "this command needs an instance: "
			"--dir DIR or CAREMAIL_DIR");
	if (cli_settings_open(args, &s->set, err) < 0)
		return -1;
	if (s->set.inst != NULL &&
	    (s->st = instance_store(s->set.inst, err)) == NULL)
		return -1;
	s->ca_path = config_get_path(s->set.config, "outbound.mta_sts_ca_file",
		cli_settings_dir(&s->set));
	return 0;
}

static void
setup_close(struct tls_setup *s)
{
	instance_store_close(&s->st);
	cli_settings_close(&s->set);
	free(s->ca_path);
}

static void
fetch_options(const struct tls_setup *s, struct mail_mta_sts_fetch *f)
{
	mail_mta_sts_fetch_from_config(s->set.config, f);
	f->ca_file = s->ca_path;
}

/* ---- mta-sts show ---- */

/* What the policy means for our mail, in words. */
static const char *
meaning(const struct mail_mta_sts_state *s)
{
	if (!s->has_policy)
		return "no MTA-STS policy: mail goes with opportunistic TLS "
		       "(STARTTLS when offered, clear text otherwise), unless "
		       "DANE or the secure-domain list asks for more";
	switch (s->policy.mode) {
	case MAIL_MTA_STS_MODE_ENFORCE:
		return "enforce: mail goes only to MX hosts matching the mx "
		       "patterns, over TLS 1.2 or later with a certificate "
		       "valid for the host; otherwise it waits in the queue "
		       "(never clear text, never bounced for this)";
	case MAIL_MTA_STS_MODE_TESTING:
		return "testing: mail is delivered as without a policy, and "
		       "each MX host or certificate that would fail enforce "
		       "is recorded for TLS-RPT";
	case MAIL_MTA_STS_MODE_NONE:
		break;
	}
	return "none: the domain has withdrawn its policy; opportunistic "
	       "TLS as without one";
}

static json_t *
state_json(const char *domain, const struct mail_mta_sts_state *s)
{
	json_t *mx = json_array();
	for (size_t i = 0; s->has_policy && i < s->policy.mx_count; i++)
		json_array_append_new(mx, json_string(s->policy.mx[i]));
	json_t *o = json_pack("{s:s, s:b, s:s, s:o, s:s, s:s}",
		"domain", domain, "policy", s->has_policy,
		"failure", s->failure, "mx", mx, "reason", s->why,
		"meaning", meaning(s));
	if (s->has_policy) {
		json_object_set_new(o, "mode",
			json_string(mail_mta_sts_mode_name(s->policy.mode)));
		json_object_set_new(o, "id", json_string(s->id));
		json_object_set_new(o, "max_age",
			json_integer(s->policy.max_age));
		json_object_set_new(o, "fetched_at",
			cli_json_time(s->fetched_at));
		json_object_set_new(o, "expires_at",
			cli_json_time(s->expires_at));
		json_object_set_new(o, "from_cache",
			json_boolean(s->from_cache));
		json_object_set_new(o, "text", cli_json_text(s->text));
	}
	return o;
}

static void
print_state(const char *domain, const struct mail_mta_sts_state *s)
{
	if (!s->has_policy) {
		printf("MTA-STS %s: no policy\n", domain);
	} else {
		char until[32];
		clock_format_iso(s->expires_at, until, sizeof(until));
		printf("MTA-STS %s: mode %s, id %s, %s, kept until %s\n",
			domain, mail_mta_sts_mode_name(s->policy.mode), s->id,
			s->from_cache ? "from the cache" : "fetched now",
			until);
		printf("max_age: %lld\n", (long long)s->policy.max_age);
		for (size_t i = 0; i < s->policy.mx_count; i++)
			printf("mx: %s\n", s->policy.mx[i]);
	}
	if (s->failure[0] != '\0')
		printf("failure: %s: %s\n", s->failure, s->why);
	else if (s->why[0] != '\0')
		printf("note: %s\n", s->why);
	printf("meaning: %s\n", meaning(s));
}

int
cli_mta_sts_show(struct cli_args *args, struct error *err)
{
	const char *domain = args->pos[0];
	if (!dns_name_is_valid(domain))
		return cli_usage(args, err, "\"%s\" is not a domain name",
			domain);
	struct tls_setup s;
	int rc = setup_open(args, false, &s, err);
	struct dns_resolver *r = NULL;
	struct arena *a = arena_new(CLI_TLS_ARENA_CAP);
	if (rc == 0) {
		r = mail_dns_resolver_new(s.set.config, err);
		rc = r != NULL ? 0 : -1;
	}
	struct mail_mta_sts_state state;
	if (rc == 0) {
		struct mail_mta_sts_fetch f;
		fetch_options(&s, &f);
		rc = mail_mta_sts_get(r, s.st, domain, &f, clock_now(), a,
			&state, err);
	}
	if (rc == 0) {
		if (args->json)
			cli_print(args, state_json(domain, &state), NULL);
		else
			print_state(domain, &state);
		/* A policy that could not be had is worth an exit status. */
		if (state.failure[0] != '\0')
			rc = error_set(err, ERROR_TEMPORARY, "%s", state.why);
	}
	dns_resolver_free(&r);
	arena_free(&a);
	setup_close(&s);
	return rc;
}

/* ---- tlsrpt report ---- */

int
cli_tlsrpt_report(struct cli_args *args, struct error *err)
{
	const char *day = cli_opt(args, "day");
	const char *domain = cli_opt(args, "domain");
	struct tls_setup s;
	int rc = setup_open(args, true, &s, err);
	struct arena *a = arena_new(CLI_TLS_ARENA_CAP);
	char first[256] = "", host[256] = "";
	if (rc == 0) {
		config_list_item(s.set.config, "mail.domains", 0, first,
			sizeof(first));
		mail_hostname(s.set.config, host, sizeof(host));
	}
	struct mail_tlsrpt_reporter who = {
		.organization = host,
		.contact = arena_printf(a, "postmaster@%s", first),
	};
	char *json = NULL;
	size_t reports = 0;
	if (rc == 0)
		rc = mail_tlsrpt_report(s.st, day, domain, &who, a, &json,
			&reports, err);
	if (rc < 0 && err->code == ERROR_INVALID)
		args->usage_error = true;
	if (rc == 0 && domain != NULL && reports == 0)
		rc = error_set(err, ERROR_NOT_FOUND, "no TLS session to %s "
			"was recorded on %s", domain, day);
	if (rc == 0) {
		json_error_t jerr;
		json_t *all = json_loads(json, 0, &jerr);
		json_t *out = domain != NULL ?
			json_incref(json_array_get(all, 0)) : json_incref(all);
		char *text = json_dumps(out, JSON_INDENT(2));
		if (text != NULL)
			printf("%s\n", text);
		free(text);
		json_decref(out);
		json_decref(all);
	}
	arena_free(&a);
	setup_close(&s);
	return rc;
}

/* ---- smtp send's policy ---- */

struct cli_tls {
	struct tls_setup setup;
	struct dns_resolver *resolver;
	struct arena *arena;
	const char *domain;	/* the policy domain */
	const char *mx;		/* the MX host: --tls-name */
	const char *peer;	/* --to-host: ADDRESS:PORT */
	bool sts_asked, tlsa_asked, mx_listed;
	struct mail_mta_sts_state sts;
	struct dns_answer tlsa;
	const char *names[1];
	struct mail_dane dane;
	struct mail_tls_requirement req;
};

bool
cli_tls_wanted(const struct cli_args *args)
{
	return cli_opt(args, "mta-sts") != NULL || cli_flag(args, "dane") ||
		cli_flag(args, "secure-domain");
}

static int
tls_lookups(struct cli_tls *t, struct cli_args *args, struct error *err)
{
	const char *sts_domain = cli_opt(args, "mta-sts");
	if (sts_domain != NULL || cli_flag(args, "dane")) {
		t->resolver = mail_dns_resolver_new(t->setup.set.config, err);
		if (t->resolver == NULL)
			return -1;
	}
	if (sts_domain != NULL) {
		if (!dns_name_is_valid(sts_domain))
			return cli_usage(args, err, "--mta-sts \"%s\" is not a "
				"domain name", sts_domain);
		struct mail_mta_sts_fetch f;
		fetch_options(&t->setup, &f);
		if (mail_mta_sts_get(t->resolver, t->setup.st, sts_domain, &f,
			    clock_now(), t->arena, &t->sts, err) < 0)
			return -1;
		t->sts_asked = true;
		t->mx_listed = t->sts.has_policy &&
			mail_mta_sts_mx_matches(&t->sts.policy, t->mx);
	}
	if (cli_flag(args, "dane")) {
		char *name = arena_printf(t->arena, "_25._tcp.%s", t->mx);
		if (dns_lookup(t->resolver, name, DNS_TYPE_TLSA, t->arena,
			    &t->tlsa, err) < 0)
			return -1;
		t->tlsa_asked = true;
	}
	return 0;
}

struct cli_tls *
cli_tls_new(struct cli_args *args, struct error *err)
{
	if (cli_opt(args, "tls") != NULL) {
		cli_usage(args, err, "--tls cannot be given with --mta-sts, "
			"--dane or --secure-domain: they decide it");
		return NULL;
	}
	const char *mx = cli_opt(args, "tls-name");
	if (mx == NULL || !dns_name_is_valid(mx)) {
		cli_usage(args, err, "--mta-sts, --dane and --secure-domain "
			"need --tls-name, the MX host's name");
		return NULL;
	}
	struct cli_tls *t = xcalloc(1, sizeof(*t));
	t->arena = arena_new(CLI_TLS_ARENA_CAP);
	t->mx = mx;
	t->peer = cli_opt(args, "to-host");
	const char *sts_domain = cli_opt(args, "mta-sts");
	const char *rcpt = args->pos[0];
	const char *at = strrchr(rcpt, '@');
	t->domain = sts_domain != NULL ? sts_domain : at != NULL ? at + 1 :
		rcpt;
	if (setup_open(args, false, &t->setup, err) < 0 ||
	    tls_lookups(t, args, err) < 0) {
		cli_tls_free(&t);
		return NULL;
	}
	struct mail_tls_facts f = {
		.mx_host = mx,
		.sts = t->sts.has_policy ? &t->sts.policy : NULL,
		.tlsa = t->tlsa_asked ? &t->tlsa : NULL,
		.secure_domain = cli_flag(args, "secure-domain"),
	};
	mail_tls_requirement(&f, &t->req);
	t->names[0] = mx;
	t->dane = (struct mail_dane){ t->tlsa.tlsa, t->tlsa.count, t->names,
		1 };
	return t;
}

void
cli_tls_apply(struct cli_tls *t, struct mail_smtp_options *o)
{
	mail_tls_apply(&t->req, &t->dane, o);
}

const char *
cli_tls_skip_reason(const struct cli_tls *t)
{
	return t->req.need == MAIL_TLS_NEED_SKIP ? t->req.why : NULL;
}

/* The attempt at t's MX host, now, for TLS-RPT. */
static struct mail_tls_session
session(const struct cli_tls *t, const char *peer)
{
	return (struct mail_tls_session){
		.now = clock_now(),
		.policy_domain = t->domain,
		.mx_host = t->mx,
		.sts = t->sts_asked ? &t->sts : NULL,
		.tlsa = t->tlsa_asked ? &t->tlsa : NULL,
		.peer = peer,
	};
}

/* A TLS-RPT count that could not be written is told, not fatal. */
static bool
told(int rc, const struct error *err)
{
	if (rc == 0)
		return true;
	fprintf(stderr, "caremail: the TLS result was not recorded: %s\n",
		err->msg);
	return false;
}

json_t *
cli_tls_done(struct cli_tls *t, const struct mail_smtp_status *failed,
	const struct mail_smtp_info *info)
{
	enum mail_tlsrpt_result result;
	bool counts = mail_tls_result(&t->req, failed, info, t->mx_listed,
		&result);
	/* Without --dir there is no store: nothing is recorded. */
	struct store *st = t->setup.st;
	struct mail_tls_session s = session(t, info != NULL ? info->peer :
		t->peer);
	struct error e;
	bool recorded = false;
	if (st != NULL && counts)
		recorded = told(mail_tls_record(st, &s, t->req.report_policy,
			result, mail_tls_reason(&t->req, failed, info),
			t->arena, &e), &e);
	/* RFC 8460 §4.3.2.1: a policy that could not be had is a failure. */
	if (st != NULL)
		told(mail_tls_record_sts_failure(st, &s, t->arena, &e), &e);
	json_t *o = json_pack("{s:s, s:s, s:s, s:b, s:s}",
		"need", mail_tls_need_name(t->req.need),
		"why", t->req.why,
		"tlsrpt_result", !counts ? "none" :
			result == MAIL_TLSRPT_SUCCESS ? "success" :
			mail_tlsrpt_result_name(result),
		"recorded", recorded,
		"policy_domain", t->domain);
	if (t->sts_asked)
		json_object_set_new(o, "mta_sts", state_json(t->domain,
			&t->sts));
	if (t->tlsa_asked)
		json_object_set_new(o, "tlsa", json_pack("{s:s, s:s, s:i}",
			"status", dns_status_name(t->tlsa.status),
			"dnssec", dns_security_name(t->tlsa.security),
			"usable", (int)mail_dane_usable_count(t->tlsa.tlsa,
				t->tlsa.count)));
	return o;
}

void
cli_tls_free(struct cli_tls **tp)
{
	struct cli_tls *t = *tp;
	if (t == NULL)
		return;
	dns_resolver_free(&t->resolver);
	arena_free(&t->arena);
	setup_close(&t->setup);
	free(t);
	*tp = NULL;
}
