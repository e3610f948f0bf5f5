/*
 * One job of the queue runner: the next hops for a destination (a static
 * route, else MX in preference order with A/AAAA, RFC 7505 null MX a
 * permanent failure), one connection carrying each message in turn, DKIM
 * signing once per message, and each recipient's outcome settled.
 * Layer: domain. RFC 5321 §5.1, RFC 7505, RFC 6152, RFC 6376.
 * SECURITY: where TLS is required nothing is sent in clear; the operator
 * is alerted (SECURITY.md 6).
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <jansson.h>
#include <string.h>

#include "core/arena.h"
#include "core/config.h"
#include "core/dns.h"
#include "core/error.h"
#include "core/file.h"
#include "core/log.h"
#include "core/net.h"
#include "core/xmalloc.h"
#include "dir/dir.h"
#include "mail/mail.h"
#include "mail/mail_dkim.h"
#include "mail/mail_dns.h"
#include "mail/mail_queue_internal.h"
#include "store/store.h"
#include "store/store_mail.h"
#include "store/store_queue.h"

#define HOPS_MAX 32
/* Room for the hops, the plan and the DNS answers of one job. */
#define JOB_ARENA_CAP (4 * 1024 * 1024)

/* One address to try, and the name its certificate must carry. */
struct hop {
	char name[256];
	char text[80];		/* "192.0.2.1:25", for logs and Remote-MTA */
	struct net_address addr;
};

/* Where a job goes, or why it goes nowhere. */
struct plan {
	struct hop hops[HOPS_MAX];
	size_t count;
	bool failed;		/* no hop: `status` says why */
	enum mail_smtp_result result;
	char status[16];
	char why[512];
	struct mail_tls_policy tls;
	const struct mail_route_entry *route;
};

static void
plan_fail(struct plan *p, enum mail_smtp_result result, const char *status,
	const char *why)
{
	p->failed = true;
	p->result = result;
	str_copy(p->status, sizeof(p->status), status);
	str_copy(p->why, sizeof(p->why), why);
}

static void
add_hop(struct plan *p, const char *name, const char *ip, bool v6,
	uint16_t port)
{
	if (p->count == HOPS_MAX)
		return;
	struct hop *h = &p->hops[p->count];
	snprintf(h->text, sizeof(h->text), v6 ? "[%s]:%u" : "%s:%u", ip,
		(unsigned)port);
	struct error err;
	if (net_address_parse(h->text, &h->addr, &err) < 0)
		return;
	str_copy(h->name, sizeof(h->name), name);
	p->count++;
}

/* A host's addresses (A first, then AAAA); *tempfail_r if DNS failed. */
static void
add_host(struct mail_queue_runner *r, struct plan *p, const char *host,
	uint16_t port, struct arena *a, bool *tempfail_r, const char **why_r)
{
	static const enum dns_type types[] = { DNS_TYPE_A, DNS_TYPE_AAAA };
	for (size_t t = 0; t < 2; t++) {
		struct dns_answer ans;
		struct error err;
		if (dns_lookup(r->resolver, host, types[t], a, &ans, &err) < 0) {
			*tempfail_r = true;
			*why_r = arena_strdup(a, err.msg);
			continue;
		}
		if (ans.status == DNS_STATUS_TEMPFAIL) {
			*tempfail_r = true;
			*why_r = ans.why;
			continue;
		}
		for (size_t i = 0; ans.status == DNS_STATUS_OK && i < ans.count;
		     i++)
			add_hop(p, host, ans.addr[i].text,
				ans.addr[i].family != 2 /* AF_INET */, port);
	}
}

static bool
is_ip_literal(const char *host, bool v6)
{
	if (v6)
		return true;
	for (const char *c = host; *c != '\0'; c++) {
		if (!str_is_ascii_digit(*c) && *c != '.')
			return false;
	}
	return true;
}

static void
plan_route(struct mail_queue_runner *r, const struct mail_queue_job *job,
	struct arena *a, struct plan *p)
{
	const struct mail_route_entry *e = p->route;
	bool tempfail = false;
	const char *why = "";
	if (is_ip_literal(e->host, e->host_is_v6))
		add_hop(p, e->host, e->host, e->host_is_v6, e->port);
	else
		add_host(r, p, e->host, e->port, a, &tempfail, &why);
	if (p->count == 0) {
		char text[1200];
		snprintf(text, sizeof(text), "the route's next hop %s for %s "
			"has no address%s%s", e->host, job->domain,
			why[0] != '\0' ? ": " : "", why);
		plan_fail(p, MAIL_SMTP_RESULT_TEMPORARY, "4.4.3", text);
	}
}

static void
plan_mx(struct mail_queue_runner *r, const struct mail_queue_job *job,
	struct arena *a, struct plan *p)
{
	struct mail_mx_plan mx;
	struct error err;
	char text[1200];
	if (mail_dns_mx_plan(r->resolver, job->domain,
		    (uint64_t)job->rows[0].id, a, &mx, &err) < 0) {
		plan_fail(p, MAIL_SMTP_RESULT_TEMPORARY, "4.4.3", err.msg);
		return;
	}
	switch (mx.verdict) {
	case MAIL_MX_NULL:
		snprintf(text, sizeof(text), "the domain %s accepts no mail "
			"(it publishes a null MX record, RFC 7505)",
			job->domain);
		plan_fail(p, MAIL_SMTP_RESULT_PERMANENT, "5.1.10", text);
		return;
	case MAIL_MX_NXDOMAIN:
		snprintf(text, sizeof(text), "the domain %s does not exist",
			job->domain);
		plan_fail(p, MAIL_SMTP_RESULT_PERMANENT, "5.1.2", text);
		return;
	case MAIL_MX_TEMPFAIL:
		snprintf(text, sizeof(text), "the DNS gave no usable answer "
			"for %s: %s", job->domain, mx.why);
		plan_fail(p, MAIL_SMTP_RESULT_TEMPORARY, "4.4.3", text);
		return;
	case MAIL_MX_HOSTS:
		break;
	}
	bool tempfail = false;
	const char *why = "";
	for (size_t i = 0; i < mx.count; i++)
		add_host(r, p, mx.hosts[i].name, r->port, a, &tempfail, &why);
	if (p->count > 0)
		return;
	if (mx.implicit && !tempfail) {
		snprintf(text, sizeof(text), "the domain %s has no mail server "
			"(no MX record and no address)", job->domain);
		plan_fail(p, MAIL_SMTP_RESULT_PERMANENT, "5.1.2", text);
		return;
	}
	snprintf(text, sizeof(text), "no mail server of %s has an address "
		"now%s%s", job->domain, why[0] != '\0' ? ": " : "", why);
	plan_fail(p, MAIL_SMTP_RESULT_TEMPORARY, "4.4.4", text);
}

/* The route's AUTH password, read when needed; NULL with err. */
static char *
read_password(const struct mail_queue_runner *r,
	const struct mail_route_entry *e, struct error *err)
{
	char path[2048];
	if (e->password_file[0] == '/')
		str_copy(path, sizeof(path), e->password_file);
	else
		snprintf(path, sizeof(path), "%s/%s", r->env.instance_dir,
			e->password_file);
	size_t len = 0;
	char *data = file_read_all(path, 4096, &len, err);
	if (data == NULL)
		return NULL;
	while (len > 0 && (data[len - 1] == '\n' || data[len - 1] == '\r'))
		data[--len] = '\0';
	return data;
}

/* What the connection's TLS was, for the row and the log. */
static const char *
tls_text(const struct mail_smtp_info *in, struct arena *a)
{
	if (in->tls)
		return arena_printf(a, "%s %s", in->tls_version,
			in->tls_verified ? "verified" : "not verified");
	if (in->tls_fallback)
		return "none (TLS failed; sent in clear)";
	return "none";
}

/*
 * The operator hears once per destination per outbound.tls_alert_interval:
 * a log line at error level and an audit row (SECURITY.md 6).
 */
static void
alert_tls(struct mail_queue_runner *r, struct store *st,
	const struct mail_queue_job *job, const char *host, const char *why)
{
	pthread_mutex_lock(&r->mu);
	struct mail_queue_dest *d = mail_queue_dest_find(r, job->domain);
	bool due = d->alerted_at == 0 ||
		job->now - d->alerted_at >= r->alert_interval_s ||
		job->now < d->alerted_at;
	if (due)
		d->alerted_at = job->now;
	pthread_mutex_unlock(&r->mu);
	if (!due)
		return;
	log_error("outbound.tls_required", "domain=%s host=%s waiting=%zu "
		"reason=\"%s\" action=\"kept queued, nothing sent in clear\"",
		job->domain, host, job->count, why);
	struct arena *a = arena_new(64 * 1024);
	struct dir_ctx ctx = { .store = st, .config = r->env.config,
		.actor = "system", .now = job->now, .arena = a,
		.client = "queue", .audit_key = r->env.audit_key };
	json_t *summary = json_pack("{s:s, s:s, s:s, s:s, s:I}", "event",
		"tls_required", "domain",
		job->domain, "host", host, "reason", why, "waiting",
		(json_int_t)job->count);
	struct error err;
	int rc = store_begin(st, &err);
	if (rc == 0) {
		rc = dir_audit(&ctx, "other", "queue", 0, 0, summary,
			&err);
		if (rc == 0)
			rc = store_commit(st, &err);
		else
			store_rollback(st);
	} else {
		json_decref(summary);
	}
	if (rc < 0)
		log_error("outbound.audit_failed", "reason=\"%s\"", err.msg);
	arena_free(&a);
}

/* The connection of a job, and what it was to. */
struct conn {
	struct mail_smtp_client *c;
	struct mail_smtp_options o;
	const struct hop *hop;
	char *password;
};

/* Tries each hop in order; NULL with the reason in *st_r and why. */
static bool
connect_any(struct mail_queue_runner *r, struct plan *p, struct conn *cn,
	struct mail_smtp_status *status_r, char *why, size_t why_size)
{
	(void)r;
	bool any_temporary = false;
	for (size_t i = 0; i < p->count; i++) {
		struct mail_smtp_status s;
		struct error err;
		cn->o.tls_name = p->hops[i].name;
		cn->c = mail_smtp_open(&p->hops[i].addr, &cn->o, &s, &err);
		if (cn->c != NULL) {
			cn->hop = &p->hops[i];
			return true;
		}
		char text[400];
		mail_smtp_status_text(&s, text, sizeof(text));
		snprintf(why, why_size, "%s (%s): %s", p->hops[i].name,
			p->hops[i].text, text);
		log_info("outbound.connect_failed", "host=%s address=%s "
			"stage=%s reason=\"%s\"", p->hops[i].name,
			p->hops[i].text, mail_smtp_stage_name(s.stage), text);
		/*
		 * A smarthost refusing our credentials is the operator's to
		 * fix (Postfix defers too): the mail waits for it.
		 */
		if (s.stage == MAIL_SMTP_STAGE_AUTH &&
		    s.result == MAIL_SMTP_RESULT_PERMANENT) {
			s.result = MAIL_SMTP_RESULT_TEMPORARY;
			s.status[0] = '4';
		}
		any_temporary |= s.result != MAIL_SMTP_RESULT_PERMANENT;
		*status_r = s;
	}
	/* One host refusing for good while another is down is not final. */
	if (any_temporary && status_r->result == MAIL_SMTP_RESULT_PERMANENT) {
		status_r->result = MAIL_SMTP_RESULT_TEMPORARY;
		status_r->status[0] = '4';
	}
	return false;
}

/* Messages in the job: rows of one body, sender and queueing time. */
static size_t
message_end(const struct mail_queue_job *job, size_t start)
{
	const struct store_queued *a = &job->rows[start];
	size_t i = start + 1;
	while (i < job->count && job->rows[i].body_id == a->body_id &&
	       job->rows[i].created_at == a->created_at &&
	       strcmp(job->rows[i].sender, a->sender) == 0)
		i++;
	return i;
}

/* The DKIM-Signature for the message, made and stored once. */
static const char *
signature_of(struct mail_queue_runner *r, struct store *st,
	const struct store_queued *q, struct span msg, int64_t now,
	struct arena *a)
{
	if (q->dkim_signature != NULL)
		return q->dkim_signature;
	const char *sig = "";
	struct mail_header_mailbox from;
	struct error err;
	if (mail_header_from(msg, a, &from, &err) < 0) {
		log_warn("outbound.dkim_unsigned", "queue_id=%lld "
			"reason=\"%s\"", (long long)q->id, err.msg);
	} else {
		const char *at = strrchr(from.address, '@');
		const char *domain = at != NULL ? at + 1 : from.address;
		struct mail_dkim_key *key = NULL;
		char *field = NULL;
		if (mail_dkim_key_load(r->env.dkim_dir, domain, NULL, &key,
			    &err) < 0) {
			log_warn("outbound.dkim_unsigned", "queue_id=%lld "
				"domain=%s reason=\"%s\" hint=\"caremail dkim "
				"keygen --domain %s\"", (long long)q->id,
				domain, err.msg, domain);
		} else if (mail_dkim_sign(key, msg, now, a, &field, &err) < 0) {
			log_warn("outbound.dkim_unsigned", "queue_id=%lld "
				"domain=%s reason=\"%s\"", (long long)q->id,
				domain, err.msg);
		} else {
			sig = field;
		}
		mail_dkim_key_free(&key);
	}
	if (store_queue_set_signature(st, q->body_id, q->sender,
		    q->created_at, sig, &err) < 0)
		log_warn("outbound.record_failed", "queue_id=%lld "
			"reason=\"%s\"", (long long)q->id, err.msg);
	return sig;
}

/* Every row of rows[0..n) gets the same outcome. */
static void
settle_all(struct mail_queue_runner *r, struct store *st, int64_t now,
	struct store_queued *rows, size_t n, struct span original,
	enum mail_smtp_result result, const char *status, const char *why,
	bool is_reply, const char *remote)
{
	struct mail_queue_attempt *at = xcalloc(n, sizeof(*at));
	for (size_t i = 0; i < n; i++) {
		at[i].row = &rows[i];
		at[i].result = result;
		str_copy(at[i].status, sizeof(at[i].status), status);
		str_copy(at[i].detail, sizeof(at[i].detail), why);
		at[i].detail_is_reply = is_reply;
		at[i].remote_mta = remote;
		at[i].tls = "";
	}
	mail_queue_settle(r, st, now, original, at, n);
	free(at);
}

/* One message over the open connection; false when it closed. */
static bool
send_message(struct mail_queue_runner *r, struct store *st,
	struct mail_queue_job *job, struct conn *cn, struct store_queued *rows,
	size_t n, struct span original, const char *sig, struct arena *a)
{
	size_t slen = strlen(sig);
	char *wire = arena_alloc(a, slen + original.len + 1);
	memcpy(wire, sig, slen);
	memcpy(wire + slen, original.p, original.len);
	const char **to = arena_alloc(a, n * sizeof(*to));
	const char **notify = arena_alloc(a, n * sizeof(*notify));
	const char **orcpt = arena_alloc(a, n * sizeof(*orcpt));
	bool any_notify = false, any_orcpt = false;
	for (size_t i = 0; i < n; i++) {
		to[i] = rows[i].recipient;
		notify[i] = rows[i].notify[0] != '\0' ? rows[i].notify : NULL;
		orcpt[i] = rows[i].orcpt[0] != '\0' ? rows[i].orcpt : NULL;
		any_notify |= notify[i] != NULL;
		any_orcpt |= orcpt[i] != NULL;
	}
	struct mail_smtp_envelope e = {
		.sender = rows[0].sender,
		.recipients = to,
		.recipient_count = n,
		.ret = rows[0].ret[0] != '\0' ? rows[0].ret : NULL,
		.envid = rows[0].envid[0] != '\0' ? rows[0].envid : NULL,
		.notify = any_notify ? notify : NULL,
		.orcpt = any_orcpt ? orcpt : NULL,
	};
	struct mail_smtp_status *rs = xcalloc(n, sizeof(*rs));
	struct error err;
	int sent = mail_smtp_send(cn->c, &e,
		span_make(wire, slen + original.len), rs, &err);
	const char *tls = tls_text(mail_smtp_client_info(cn->c), a);
	struct mail_queue_attempt *at = xcalloc(n, sizeof(*at));
	for (size_t i = 0; i < n; i++) {
		at[i].row = &rows[i];
		at[i].result = rs[i].result;
		str_copy(at[i].status, sizeof(at[i].status), rs[i].status);
		if (rs[i].needs_downgrade) {
			/* RFC 6152 §3: refused, not downgraded; say so plainly. */
			str_copy(at[i].detail, sizeof(at[i].detail),
				"the receiving server does not accept 8-bit "
				"mail (8BITMIME) and this message has 8-bit "
				"text, so it was not sent (RFC 6152)");
			at[i].detail_is_reply = false;
		} else {
			at[i].detail_is_reply = mail_smtp_status_text(&rs[i],
				at[i].detail, sizeof(at[i].detail));
		}
		at[i].remote_mta = cn->hop->name;
		at[i].tls = tls;
	}
	mail_queue_settle(r, st, job->now, original, at, n);
	free(at);
	free(rs);
	return sent == 0;
}

static size_t
message_arena_cap(const struct mail_queue_runner *r)
{
	return (size_t)config_get_int(r->env.config,
		"smtp.max_message_size_mb") * 1024 * 1024 * 3 + 1024 * 1024;
}

static void
make_plan(struct mail_queue_runner *r, struct mail_queue_job *job,
	struct arena *a, struct plan *p)
{
	p->route = mail_route_table_find(&r->routes, job->domain);
	mail_outbound_tls_policy(&r->secure, job->domain,
		p->route != NULL ? p->route->tls : -1, job->now, &p->tls);
	if (p->route != NULL)
		plan_route(r, job, a, p);
	else
		plan_mx(r, job, a, p);
}

static void
set_options(struct mail_queue_runner *r, struct plan *p, struct conn *cn)
{
	cn->o.helo_name = r->helo;
	cn->o.tls = p->tls.tls;
	cn->o.trust = r->trust;
	mail_smtp_timeouts_from_config(r->env.config, &cn->o.timeouts);
	if (p->route != NULL && p->route->auth_user[0] != '\0') {
		struct error err;
		cn->password = read_password(r, p->route, &err);
		if (cn->password == NULL) {
			/* The operator's to fix: wait, never bounce for it. */
			log_error("outbound.route_password", "domain=%s "
				"reason=\"%s\"", p->route->domain, err.msg);
			plan_fail(p, MAIL_SMTP_RESULT_TEMPORARY, "4.7.0",
				"the route's AUTH password file cannot be "
				"read");
		}
		cn->o.auth_user = p->route->auth_user;
		cn->o.auth_password = cn->password;
	}
}

/* A failed connection where TLS was required: alert the operator. */
static void
maybe_alert(struct mail_queue_runner *r, struct store *st,
	struct mail_queue_job *job, const struct plan *p,
	const struct mail_smtp_status *s, const char *why)
{
	if (p->tls.tls != MAIL_SMTP_TLS_REQUIRED)
		return;
	if (s->stage != MAIL_SMTP_STAGE_STARTTLS &&
	    strncmp(s->status, "4.7.", 4) != 0)
		return;
	alert_tls(r, st, job, p->count > 0 ? p->hops[0].name : job->domain,
		why);
}

void
mail_queue_job_run(struct mail_queue_runner *r, struct mail_queue_job *job,
	struct store *st)
{
	struct arena *ja = arena_new(JOB_ARENA_CAP);
	struct plan *p = xcalloc(1, sizeof(*p));
	struct conn cn = { 0 };
	make_plan(r, job, ja, p);
	set_options(r, p, &cn);
	bool conn_failed = false;
	struct mail_smtp_status cs = { 0 };
	char cwhy[512] = "";
	size_t cap = message_arena_cap(r);
	for (size_t i = 0; i < job->count;) {
		size_t end = message_end(job, i);
		struct store_queued *rows = &job->rows[i];
		size_t n = end - i;
		i = end;
		struct arena *ma = arena_new(cap);
		const char *data = NULL;
		size_t size = 0;
		struct error err;
		if (store_body_get(st, rows[0].body_id, ma, &data, &size,
			    &err) < 0) {
			log_error("outbound.body_unreadable", "queue_id=%lld "
				"reason=\"%s\"", (long long)rows[0].id,
				err.msg);
			settle_all(r, st, job->now, rows, n, span_make("", 0),
				MAIL_SMTP_RESULT_TEMPORARY, "4.3.0",
				"the message could not be read from the store",
				false, "");
			arena_free(&ma);
			continue;
		}
		struct span msg = span_make(data, size);
		if (p->failed) {
			settle_all(r, st, job->now, rows, n, msg, p->result,
				p->status, p->why, false, "");
			arena_free(&ma);
			continue;
		}
		if (cn.c == NULL && !conn_failed &&
		    !connect_any(r, p, &cn, &cs, cwhy, sizeof(cwhy))) {
			conn_failed = true;
			maybe_alert(r, st, job, p, &cs, cwhy);
		}
		if (conn_failed) {
			settle_all(r, st, job->now, rows, n, msg, cs.result,
				cs.status, cwhy, cs.reply.code != 0, "");
			arena_free(&ma);
			continue;
		}
		const char *sig = signature_of(r, st, &rows[0], msg, job->now,
			ma);
		if (!send_message(r, st, job, &cn, rows, n, msg, sig, ma))
			mail_smtp_close(&cn.c);
		arena_free(&ma);
	}
	mail_smtp_close(&cn.c);
	if (!p->failed) {
		pthread_mutex_lock(&r->mu);
		mail_retry_destination_update(&r->retry,
			&mail_queue_dest_find(r, job->domain)->backoff,
			conn_failed, job->now, (uint64_t)job->rows[0].id);
		pthread_mutex_unlock(&r->mu);
	}
	if (cn.password != NULL) {
		sodium_memzero(cn.password, strlen(cn.password));
		free(cn.password);
	}
	free(p);
	arena_free(&ja);
}
