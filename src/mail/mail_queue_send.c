/*
 * One job of the queue runner: the next hops for a destination (a static
 * route, else MX in preference order with A/AAAA, RFC 7505 null MX a
 * permanent failure), one connection carrying each message in turn, DKIM
 * signing once per message, the TLS each next hop needs (MTA-STS, DANE,
 * secure domains: mail_tls_requirement) with every TLS session recorded
 * for TLS-RPT, and each recipient's outcome settled.
 * Layer: domain. RFC 5321 §5.1, RFC 7505, RFC 6152, RFC 6376, RFC 8461,
 * RFC 7672, RFC 8460.
 * SECURITY: where TLS is required nothing is sent in clear and nothing is
 * bounced for it; for a secure domain the operator is alerted
 * (SECURITY.md 5, 6).
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <jansson.h>
#include <string.h>

#include "core/arena.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/dns.h"
#include "core/error.h"
#include "core/file.h"
#include "core/log.h"
#include "core/net.h"
#include "core/xmalloc.h"
#include "dir/dir.h"
#include "mail/mail.h"
#include "mail/mail_dane.h"
#include "mail/mail_dkim.h"
#include "mail/mail_dns.h"
#include "mail/mail_queue_internal.h"
#include "mail/mail_tls_policy.h"
#include "store/store.h"
#include "store/store_mail.h"
#include "store/store_queue.h"
#include "store/store_writer.h"

#define HOPS_MAX 32
/*
 * A job's outcomes are written together, every BATCH_MESSAGES messages
 * or once the first waiting has waited BATCH_WAIT_MS (checked after each
 * message), and at its end: fewer, larger writer jobs, and a worker waits
 * for a commit once per batch rather than per message. The bound is the
 * duplicate window of a crash (docs/outbound.md).
 */
#define BATCH_MESSAGES 10
#define BATCH_WAIT_MS 1000
/* Room for the hops, the plan and the DNS answers of one job. */
#define JOB_ARENA_CAP (4 * 1024 * 1024)

/* The TLS one next hop (an MX host, or a route's host) needs. */
struct host_tls {
	const char *name;	/* arena */
	struct mail_tls_requirement req;
	bool report;		/* an MX host: its sessions count for TLS-RPT */
	bool mx_listed;		/* named by the MTA-STS policy's mx lines */
	bool tlsa_asked;
	struct dns_answer tlsa;
	const char *names[1];
	struct mail_dane dane;	/* what mail_dane_tls_verify judges by */
};

/* One address to try, and the name its certificate must carry. */
struct hop {
	char name[256];
	char text[80];		/* "192.0.2.1:25", for logs and Remote-MTA */
	struct net_address addr;
	struct host_tls *tls;
};

/* Where a job goes, or why it goes nowhere. */
struct plan {
	struct hop hops[HOPS_MAX];
	size_t count;
	bool failed;		/* no hop: `status` says why */
	enum mail_smtp_result result;
	char status[16];
	char why[512];
	const struct mail_route_entry *route;
	bool secure_domain;	/* on the secure-domain list (SPEC M10) */
	bool sts_asked;		/* MX delivery: the MTA-STS policy was asked */
	struct mail_mta_sts_state sts;
	struct host_tls hosts[HOPS_MAX];
	size_t host_count;
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
	uint16_t port, struct host_tls *tls)
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
	h->tls = tls;
	p->count++;
}

/* A host's addresses (A first, then AAAA); *tempfail_r if DNS failed. */
static void
add_host(struct mail_queue_runner *r, struct plan *p, struct host_tls *tls,
	uint16_t port, struct arena *a, bool *tempfail_r, const char **why_r)
{
	const char *host = tls->name;
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
				ans.addr[i].family != 2 /* AF_INET */, port,
				tls);
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
	struct host_tls *t = &p->hosts[p->host_count++];
	t->name = e->host;
	mail_route_tls_requirement(e, p->secure_domain, &t->req);
	if (is_ip_literal(e->host, e->host_is_v6))
		add_hop(p, e->host, e->host, e->host_is_v6, e->port, t);
	else
		add_host(r, p, t, e->port, a, &tempfail, &why);
	if (p->count == 0) {
		char text[1200];
		snprintf(text, sizeof(text), "the route's next hop %s for %s "
			"has no address%s%s", e->host, job->domain,
			why[0] != '\0' ? ": " : "", why);
		plan_fail(p, MAIL_SMTP_RESULT_TEMPORARY, "4.4.3", text);
	}
}

/* Sessions per record are few; the policy texts need room. */
#define RECORD_ARENA_CAP (512 * 1024)

/*
 * A TLS-RPT count, written through the store writer: a connection's
 * record shares the workers' group commit rather than taking SQLite's
 * write lock on its own.
 */
struct tls_record_job {
	const struct mail_tls_session *s;
	enum mail_tlsrpt_policy policy;
	enum mail_tlsrpt_result result;
	const char *reason;
	struct arena *a;
};

static int
run_tls_record_job(struct store *st, void *arg, struct error *err)
{
	struct tls_record_job *j = arg;
	return mail_tls_record(st, j->s, j->policy, j->result, j->reason,
		j->a, err);
}

/*
 * Adds one attempt at t (or t skipped) to the TLS-RPT counts: failed is
 * the failed open's status, info the connection's; peer the address.
 */
static void
record_tls(struct store_writer *w, const struct mail_queue_job *job,
	const struct plan *p, const struct host_tls *t,
	const struct mail_smtp_status *failed,
	const struct mail_smtp_info *info, const char *peer)
{
	enum mail_tlsrpt_result result;
	if (!t->report || !mail_tls_result(&t->req, failed, info,
		    t->mx_listed, &result))
		return;
	struct mail_tls_session s = {
		.now = job->now,
		.policy_domain = job->domain,
		.mx_host = t->name,
		.sts = p->sts_asked ? &p->sts : NULL,
		.tlsa = t->tlsa_asked ? &t->tlsa : NULL,
		.peer = info != NULL ? info->peer : peer,
	};
	struct arena *a = arena_new(RECORD_ARENA_CAP);
	struct tls_record_job rj = { .s = &s,
		.policy = t->req.report_policy, .result = result,
		.reason = mail_tls_reason(&t->req, failed, info), .a = a };
	struct error err;
	if (store_writer_run(w, run_tls_record_job, &rj, &err) < 0)
		log_warn("outbound.tlsrpt_failed", "domain=%s host=%s "
			"reason=\"%s\"", job->domain, t->name, err.msg);
	arena_free(&a);
}

/*
 * The TLS MX host `host` needs (mail_tls_requirement): its TLSA records
 * are asked only when the MX answer was DNSSEC-secure (RFC 7672 §2.2.1).
 * NULL when the plan has no room for another host.
 */
static struct host_tls *
decide_host(struct mail_queue_runner *r, struct plan *p, const char *host,
	bool secure_mx, struct arena *a)
{
	if (p->host_count == HOPS_MAX)
		return NULL;
	struct host_tls *t = &p->hosts[p->host_count++];
	t->name = arena_strdup(a, host);
	t->report = true;
	if (secure_mx) {
		struct error err;
		if (dns_lookup(r->resolver, arena_printf(a, "_25._tcp.%s",
			    host), DNS_TYPE_TLSA, a, &t->tlsa, &err) < 0) {
			/* No answer is a failed lookup: never fall back. */
			memset(&t->tlsa, 0, sizeof(t->tlsa));
			t->tlsa.status = DNS_STATUS_TEMPFAIL;
			t->tlsa.why = arena_strdup(a, err.msg);
		}
		t->tlsa_asked = true;
	}
	const struct mail_mta_sts_policy *sts = p->sts.has_policy ?
		&p->sts.policy : NULL;
	t->mx_listed = sts != NULL && mail_mta_sts_mx_matches(sts, host);
	struct mail_tls_facts f = {
		.mx_host = t->name,
		.sts = sts,
		.tlsa = t->tlsa_asked ? &t->tlsa : NULL,
		.secure_domain = p->secure_domain,
	};
	mail_tls_requirement(&f, &t->req);
	t->names[0] = t->name;
	t->dane = (struct mail_dane){ t->tlsa.tlsa, t->tlsa.count, t->names,
		1 };
	return t;
}

/*
 * The destination's MTA-STS policy, from the cache or fetched (RFC 8461
 * §5.1); a policy that could not be had is recorded for TLS-RPT. false
 * when it cannot be known (the store failed): then nothing may be sent,
 * as an enforce policy may be cached.
 */
static bool
ask_sts(struct mail_queue_runner *r, struct store *st,
	const struct mail_queue_job *job, struct arena *a, struct plan *p)
{
	struct error err;
	if (mail_mta_sts_get(r->resolver, st, job->domain, &r->sts_fetch,
		    job->now, a, &p->sts, &err) < 0) {
		char text[700];
		snprintf(text, sizeof(text), "the MTA-STS policy of %s could "
			"not be read: %s", job->domain, err.msg);
		plan_fail(p, MAIL_SMTP_RESULT_TEMPORARY, "4.7.0", text);
		return false;
	}
	p->sts_asked = true;
	if (p->sts.failure[0] != '\0') {
		log_info("outbound.mta_sts_failed", "domain=%s failure=%s "
			"reason=\"%s\"", job->domain, p->sts.failure,
			p->sts.why);
		struct mail_tls_session s = { .now = job->now,
			.policy_domain = job->domain, .sts = &p->sts };
		struct arena *ra = arena_new(RECORD_ARENA_CAP);
		if (mail_tls_record_sts_failure(st, &s, ra, &err) < 0)
			log_warn("outbound.tlsrpt_failed", "domain=%s "
				"reason=\"%s\"", job->domain, err.msg);
		arena_free(&ra);
	}
	return true;
}

static void
plan_mx(struct mail_queue_runner *r, struct store *st,
	const struct mail_queue_job *job, struct arena *a, struct plan *p)
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
	if (!ask_sts(r, st, job, a, p))
		return;
	bool tempfail = false;
	const char *why = "";
	const char *skipped = NULL;
	for (size_t i = 0; i < mx.count; i++) {
		struct host_tls *t = decide_host(r, p, mx.hosts[i].name,
			mx.security == DNS_SECURITY_SECURE, a);
		if (t == NULL)
			break;
		if (t->req.need == MAIL_TLS_NEED_SKIP) {
			/* Never contacted (RFC 8461 §4.1, RFC 7672 §2.2). */
			log_info("outbound.mx_skipped", "domain=%s host=%s "
				"reason=\"%s\"", job->domain, t->name,
				t->req.why);
			record_tls(r->env.writer, job, p, t, NULL, NULL, NULL);
			skipped = t->req.why;
			continue;
		}
		add_host(r, p, t, r->port, a, &tempfail, &why);
	}
	if (p->count > 0)
		return;
	if (skipped != NULL) {
		/* A TLS policy left no host: wait, never bounce for it. */
		snprintf(text, sizeof(text), "4.7.5 no mail server of %s may "
			"be used: %s", job->domain, skipped);
		plan_fail(p, MAIL_SMTP_RESULT_TEMPORARY, "4.7.5", text);
		return;
	}
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
tls_text(const struct mail_smtp_info *in, const struct host_tls *t,
	struct arena *a)
{
	if (in->tls && t->req.need == MAIL_TLS_NEED_ENCRYPTED)
		return arena_printf(a, "%s encrypted, not authenticated "
			"(unusable TLSA records)", in->tls_version);
	if (in->tls && in->tls_dane)
		return arena_printf(a, "%s verified by DANE",
			in->tls_version);
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

/*
 * Tries each hop in order, each with the TLS its host needs, recording
 * each TLS session; false with the reason in *status_r and why.
 */
static bool
connect_any(struct store_writer *w, const struct mail_queue_job *job,
	struct plan *p, struct conn *cn, struct mail_smtp_status *status_r,
	char *why, size_t why_size)
{
	bool any_temporary = false;
	for (size_t i = 0; i < p->count; i++) {
		struct mail_smtp_status s;
		struct error err;
		struct hop *h = &p->hops[i];
		cn->o.tls_name = h->name;
		mail_tls_apply(&h->tls->req, &h->tls->dane, &cn->o);
		cn->c = mail_smtp_open(&h->addr, &cn->o, &s, &err);
		record_tls(w, job, p, h->tls, cn->c == NULL ? &s : NULL,
			cn->c != NULL ? mail_smtp_client_info(cn->c) : NULL,
			h->text);
		if (cn->c != NULL) {
			cn->hop = h;
			return true;
		}
		char text[400];
		/* Our own words get the status a reply would have had. */
		bool reply = mail_smtp_status_text(&s, text, sizeof(text));
		snprintf(why, why_size, "%s (%s): %s%s%s", h->name, h->text,
			reply ? "" : s.status, reply ? "" : " ", text);
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

/*
 * The DKIM-Signature for the message: the one stored with its rows, else
 * made now (*made_r), to be stored with this attempt's outcomes.
 */
static const char *
signature_of(struct mail_queue_runner *r,
	const struct store_queued *q, struct span msg, int64_t now,
	struct arena *a, bool *made_r)
{
	*made_r = false;
	if (q->dkim_signature != NULL)
		return q->dkim_signature;
	*made_r = true;
	const char *sig = "";
	struct mail_header_mailbox from;
	struct error err;
	if (mail_header_from(msg, a, &from, &err) < 0) {
		log_warn("outbound.dkim_unsigned", "queue_id=%lld "
			"reason=\"%s\"", (long long)q->id, err.msg);
	} else {
		const char *at = strrchr(from.address, '@');
		const char *domain = at != NULL ? at + 1 : from.address;
		const struct mail_dkim_key *key = NULL;
		struct mail_dkim_key *own = NULL;
		char *field = NULL;
		if (mail_dkim_keys_get(r->dkim_keys, domain, &key, &own,
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
		mail_dkim_key_free(&own);
	}
	return sig;
}

/* Every row of rows[0..n) gets the same outcome. */
static void
settle_all(struct mail_queue_runner *r, struct store *st,
	struct mail_queue_batch *b, int64_t now,
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
	mail_queue_settle(r, st, now, original, NULL, at, n, b);
	free(at);
}

/* One message over the open connection; false when it closed. */
static bool
send_message(struct mail_queue_runner *r, struct store *st,
	struct mail_queue_batch *b, struct mail_queue_job *job, struct conn *cn,
	struct store_queued *rows, size_t n, struct span original,
	const char *sig, bool sig_made, struct arena *a)
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
	const struct mail_smtp_info *info = mail_smtp_client_info(cn->c);
	const char *tls = tls_text(info, cn->hop->tls, a);
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
		at[i].dsn_passed = info->dsn;
	}
	mail_queue_settle(r, st, job->now, original, sig_made ? sig : NULL,
		at, n, b);
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
make_plan(struct mail_queue_runner *r, struct store *st,
	struct mail_queue_job *job, struct arena *a, struct plan *p)
{
	p->secure_domain = mail_secure_domain_match(&r->secure, job->domain,
		job->now);
	p->route = mail_route_table_find(&r->routes, job->domain);
	if (p->route != NULL)
		plan_route(r, job, a, p);
	else
		plan_mx(r, st, job, a, p);
}

static void
set_options(struct mail_queue_runner *r, struct plan *p, struct conn *cn)
{
	cn->o.helo_name = r->helo;
	cn->o.trust = r->trust;
	cn->o.group = r->conns;
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

/* A secure domain's mail held back by TLS: alert the operator. */
static void
maybe_alert(struct mail_queue_runner *r, struct store *st,
	struct mail_queue_job *job, const struct plan *p,
	const struct mail_smtp_status *s, const char *why)
{
	if (!p->secure_domain)
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
	make_plan(r, st, job, ja, p);
	set_options(r, p, &cn);
	if (p->failed) {
		struct mail_smtp_status ps = { .result = p->result };
		str_copy(ps.status, sizeof(ps.status), p->status);
		maybe_alert(r, st, job, p, &ps, p->why);
	}
	bool conn_failed = false;
	struct mail_smtp_status cs = { 0 };
	char cwhy[512] = "";
	size_t cap = message_arena_cap(r);
	struct mail_queue_batch batch;
	mail_queue_batch_init(&batch, r->id);
	/* A stopping runner starts no message; it gives the rest back. */
	for (size_t i = 0; i < job->count && !mail_queue_is_stopping(r);) {
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
			settle_all(r, st, &batch, job->now, rows, n,
				span_make("", 0), MAIL_SMTP_RESULT_TEMPORARY,
				"4.3.0",
				"the message could not be read from the store",
				false, "");
			arena_free(&ma);
			continue;
		}
		struct span msg = span_make(data, size);
		if (p->failed) {
			settle_all(r, st, &batch, job->now, rows, n, msg,
				p->result, p->status, p->why, false, "");
			arena_free(&ma);
			continue;
		}
		if (cn.c == NULL && !conn_failed &&
		    !connect_any(r->env.writer, job, p, &cn, &cs, cwhy,
			    sizeof(cwhy))) {
			conn_failed = true;
			maybe_alert(r, st, job, p, &cs, cwhy);
		}
		if (conn_failed) {
			settle_all(r, st, &batch, job->now, rows, n, msg,
				cs.result, cs.status, cwhy, cs.reply.code != 0,
				"");
			arena_free(&ma);
			continue;
		}
		bool sig_made;
		const char *sig = signature_of(r, &rows[0], msg, job->now, ma,
			&sig_made);
		if (!send_message(r, st, &batch, job, &cn, rows, n, msg, sig,
			    sig_made, ma))
			mail_smtp_close(&cn.c);
		arena_free(&ma);
		if (batch.messages >= BATCH_MESSAGES ||
		    clock_monotonic_ms() - batch.first_ms >= BATCH_WAIT_MS)
			mail_queue_batch_flush(r, &batch);
	}
	mail_queue_batch_flush(r, &batch);
	mail_queue_batch_free(&batch);
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
