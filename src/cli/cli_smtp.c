/*
 * `caremail smtp send`: sends one message from stdin to one server with the
 * outbound SMTP client and prints what the server said per recipient; for
 * checking a route (and for the client's tests). Layer: front end.
 * RFC 5321, RFC 3207, RFC 3461. SECURITY: the AUTH password comes from the
 * environment, never the command line; it is not printed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli_internal.h"
#include "core/config.h"
#include "core/error.h"
#include "core/net.h"
#include "core/spool.h"
#include "core/str.h"
#include "core/xmalloc.h"
#include "instance/instance.h"
#include "mail/mail.h"
#include "mail/mail_smtp_client.h"

/* Settings: the instance's when --dir is given, else the defaults. */
struct send_setup {
	struct cli_settings set;
	char helo[256];
	char *ca_path;		/* resolved; NULL: the system's CAs */
};

static int
setup_open(struct cli_args *args, struct send_setup *s, struct error *err)
{
	memset(s, 0, sizeof(*s));
	if (cli_settings_open(args, &s->set, err) < 0)
		return -1;
	const char *helo = cli_opt(args, "helo");
	if (helo != NULL && helo[0] != '\0')
		str_copy(s->helo, sizeof(s->helo), helo);
	else
		mail_hostname(s->set.config, s->helo, sizeof(s->helo));
	const char *ca = cli_opt(args, "ca");
	s->ca_path = ca != NULL && ca[0] != '\0' ? xstrdup(ca) :
		config_get_path(s->set.config, "outbound.tls_ca_file",
			cli_settings_dir(&s->set));
	return 0;
}

static void
setup_close(struct send_setup *s)
{
	cli_settings_close(&s->set);
	free(s->ca_path);
}

static const char *
result_name(enum mail_smtp_result r)
{
	switch (r) {
	case MAIL_SMTP_RESULT_OK:
		return "accepted";
	case MAIL_SMTP_RESULT_TEMPORARY:
		return "deferred";
	case MAIL_SMTP_RESULT_PERMANENT:
		return "failed";
	}
	return "failed";
}

static json_t *
status_json(const char *recipient, const struct mail_smtp_status *s)
{
	json_t *o = json_pack("{s:s, s:s, s:s, s:s}",
		"result", result_name(s->result),
		"status", s->status,
		"stage", mail_smtp_stage_name(s->stage),
		"why", s->why);
	if (recipient != NULL)
		json_object_set_new(o, "recipient", cli_json_text(recipient));
	if (s->reply.code != 0) {
		json_object_set_new(o, "reply_code",
			json_integer(s->reply.code));
		json_object_set_new(o, "reply_enhanced",
			json_string(s->reply.enhanced));
		json_object_set_new(o, "reply_text",
			cli_json_text(s->reply.text));
	}
	if (s->needs_downgrade)
		json_object_set_new(o, "needs_downgrade", json_true());
	return o;
}

static json_t *
info_json(const struct mail_smtp_info *in)
{
	return json_pack("{s:s, s:b, s:b, s:b, s:b, s:b, s:b, s:b, s:I, s:b,"
		" s:s, s:s, s:b, s:s, s:b, s:b}",
		"peer", in->peer, "esmtp", in->esmtp,
		"pipelining", in->pipelining, "8bitmime", in->eightbitmime,
		"smtputf8", in->smtputf8, "dsn", in->dsn,
		"starttls", in->starttls, "enhancedstatuscodes", in->enhanced,
		"size", (json_int_t)in->size_max, "tls", in->tls,
		"tls_version", in->tls_version, "tls_cipher", in->tls_cipher,
		"tls_verified", in->tls_verified,
		"tls_verify_error", in->tls_verify_error,
		"tls_fallback", in->tls_fallback,
		"tls_dane", in->tls_dane);
}

/* Counts the refused recipients of one transaction into list. */
static size_t
add_results(json_t *list, const char *const *to,
	const struct mail_smtp_status *rcpt, size_t n, int64_t transaction)
{
	size_t refused = 0;
	for (size_t i = 0; i < n; i++) {
		json_t *o = status_json(to[i], &rcpt[i]);
		if (transaction > 0)
			json_object_set_new(o, "transaction",
				json_integer(transaction));
		json_array_append_new(list, o);
		refused += rcpt[i].result != MAIL_SMTP_RESULT_OK;
	}
	return refused;
}

/* Prints the results; -1 with err unless every recipient was accepted. */
static int
print_results(struct cli_args *args, json_t *server, json_t *list,
	size_t refused, size_t total, struct error *err)
{
	if (args->json) {
		json_t *out = json_pack("{s:o, s:o}", "server", server,
			"recipients", list);
		cli_print(args, out, NULL);
	} else {
		json_decref(server);
		cli_print(args, list, "recipient,result,status,reply_code,"
			"reply_text,why");
	}
	if (refused > 0)
		return error_set(err, ERROR_TEMPORARY,
			"%zu of %zu recipients were not accepted", refused,
			total);
	return 0;
}

/* Every recipient deferred before connecting, with the reason. */
static int
send_none(struct cli_args *args, json_t *policy, const char *why,
	struct error *err)
{
	size_t n = args->pos_count;
	struct mail_smtp_status *rcpt = xcalloc(n, sizeof(*rcpt));
	for (size_t i = 0; i < n; i++) {
		rcpt[i].result = MAIL_SMTP_RESULT_TEMPORARY;
		rcpt[i].stage = MAIL_SMTP_STAGE_CONNECT;
		str_copy(rcpt[i].status, sizeof(rcpt[i].status), "4.7.5");
		str_copy(rcpt[i].why, sizeof(rcpt[i].why), why);
	}
	json_t *list = json_array();
	size_t refused = add_results(list, args->pos, rcpt, n, 0);
	json_t *server = json_pack("{s:o, s:o}", "failure",
		status_json(NULL, &rcpt[0]), "tls_policy", policy);
	struct error ignored;
	print_results(args, server, list, refused, n, &ignored);
	free(rcpt);
	return error_set(err, ERROR_TEMPORARY, "%s", why);
}

static int
send_one(struct cli_args *args, struct mail_smtp_options *o,
	const struct net_address *a, struct span message, struct cli_tls *tls,
	struct error *err)
{
	const char *const *to = args->pos;
	size_t n = args->pos_count;
	int64_t repeat = 1;
	if (cli_opt_int(args, "repeat", 1, 100, &repeat, err) < 0)
		return -1;
	struct mail_smtp_status *rcpt = xcalloc(n, sizeof(*rcpt));
	json_t *list = json_array();
	struct mail_smtp_client *c = mail_smtp_open(a, o, rcpt, err);
	if (c == NULL) {
		for (size_t i = 1; i < n; i++)
			rcpt[i] = rcpt[0];
		json_t *server = json_pack("{s:o}", "failure",
			status_json(NULL, &rcpt[0]));
		if (tls != NULL)
			json_object_set_new(server, "tls_policy",
				cli_tls_done(tls, &rcpt[0], NULL));
		struct error ignored;
		size_t refused = add_results(list, to, rcpt, n, 0);
		print_results(args, server, list, refused, n, &ignored);
		free(rcpt);
		return -1;
	}
	struct mail_smtp_envelope e = {
		.sender = cli_opt(args, "from"),
		.recipients = to,
		.recipient_count = n,
		.ret = cli_opt(args, "ret"),
		.envid = cli_opt(args, "envid"),
	};
	const char **notify = NULL;
	if (cli_opt(args, "notify") != NULL) {
		notify = xcalloc(n, sizeof(*notify));
		for (size_t i = 0; i < n; i++)
			notify[i] = cli_opt(args, "notify");
		e.notify = notify;
	}
	/* ORCPT: the address as given, so a report names what was asked. */
	e.orcpt = cli_flag(args, "orcpt") ? to : NULL;
	size_t refused = 0;
	/* --repeat sends it again over the same connection (RSET between). */
	for (int64_t k = 1; k <= repeat; k++) {
		struct error send_err;
		int sent = mail_smtp_send(c, &e, message, rcpt, &send_err);
		refused += add_results(list, to, rcpt, n, repeat > 1 ? k : 0);
		if (sent < 0)
			break;
	}
	json_t *server = info_json(mail_smtp_client_info(c));
	if (tls != NULL)
		json_object_set_new(server, "tls_policy", cli_tls_done(tls,
			NULL, mail_smtp_client_info(c)));
	mail_smtp_close(&c);
	int rc = print_results(args, server, list, refused,
		n * (size_t)repeat, err);
	free(rcpt);
	free(notify);
	return rc;
}

static int
smtp_send(struct cli_args *args, struct send_setup *su, struct error *err)
{
	struct net_address a;
	if (net_address_parse(cli_opt(args, "to-host"), &a, err) < 0) {
		args->usage_error = true;
		return -1;
	}
	struct mail_smtp_options o = { .helo_name = su->helo };
	const char *tls = cli_opt(args, "tls");
	o.tls = MAIL_SMTP_TLS_OPPORTUNISTIC;
	if (tls != NULL && !mail_smtp_tls_parse(tls, &o.tls))
		return cli_usage(args, err, "--tls must be none, "
			"opportunistic or required, not '%s'", tls);
	o.tls_name = cli_opt(args, "tls-name");
	struct cli_tls *policy = NULL;
	if (cli_tls_wanted(args)) {
		policy = cli_tls_new(args, err);
		if (policy == NULL)
			return -1;
		cli_tls_apply(policy, &o);
	}
	o.auth_user = cli_opt(args, "auth-user");
	o.auth_password = getenv("CAREMAIL_SMTP_PASSWORD");
	if (o.auth_user != NULL && o.auth_password == NULL) {
		cli_tls_free(&policy);
		return cli_usage(args, err, "--auth-user needs the password in "
			"CAREMAIL_SMTP_PASSWORD");
	}
	mail_smtp_timeouts_from_config(su->set.config, &o.timeouts);
	struct net_tls_client *trust = NULL;
	if (o.tls != MAIL_SMTP_TLS_NONE) {
		trust = net_tls_client_new(su->ca_path, err);
		if (trust == NULL) {
			cli_tls_free(&policy);
			return -1;
		}
		o.trust = trust;
	}
	struct span message;
	struct spool *sp = cli_read_spooled(su->set.config, STDIN_FILENO,
		CLI_STDIN_NAME, &message, err);
	int rc = -1;
	const char *skip = policy != NULL ? cli_tls_skip_reason(policy) : NULL;
	if (sp != NULL && skip != NULL)
		rc = send_none(args, cli_tls_done(policy, NULL, NULL), skip,
			err);
	else if (sp != NULL)
		rc = send_one(args, &o, &a, message, policy, err);
	spool_free(&sp);
	net_tls_client_free(&trust);
	cli_tls_free(&policy);
	return rc;
}

int
cli_smtp_send(struct cli_args *args, struct error *err)
{
	struct send_setup su;
	int rc = setup_open(args, &su, err);
	if (rc == 0)
		rc = smtp_send(args, &su, err);
	setup_close(&su);
	return rc;
}
