/*
 * The resolver: one libunbound context, validating (RFC 4033-4035), whose
 * cache every thread shares; lookups block their caller for at most the
 * configured time. Layer: core. The record data is parsed by dns_rdata.c.
 *
 * Threads: libunbound resolves in a thread of its own (ub_ctx_async 1, so
 * it never forks) and hands answers back through a pipe. One dispatcher
 * thread of ours waits on that pipe and runs ub_process, which calls
 * on_answer; a caller of dns_lookup waits on its own condition variable
 * with a deadline. A caller that gives up cancels its query; when the
 * answer is already on its way (ub_cancel fails) the query is marked
 * abandoned and on_answer frees it instead.
 */
#include "core/dns.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unbound.h>
#include <unistd.h>

#include "core/arena.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/log.h"
#include "core/str.h"
#include "core/xmalloc.h"

#define DNS_CLASS_IN 1
#define DNS_RCODE_NOERROR 0
#define DNS_RCODE_NXDOMAIN 3

struct dns_query {
	struct dns_resolver *resolver;
	pthread_cond_t cond;	/* signalled when done */
	bool done;		/* on_answer has filled err and result */
	bool abandoned;		/* the caller gave up; on_answer frees */
	int err;		/* libunbound's error code, 0 for none */
	struct ub_result *result;
	struct dns_query *prev, *next;	/* in resolver->abandoned */
};

struct dns_resolver {
	struct ub_ctx *ctx;
	int timeout_ms;
	pthread_mutex_t lock;	/* guards every query's fields above */
	struct dns_query *abandoned;	/* freed by on_answer or at the end */
	pthread_t dispatcher;
	int wake[2];		/* a pipe; a byte in it stops the dispatcher */
};

static const char *
rcode_name(int rcode)
{
	static const char *const names[] = { "NOERROR", "FORMERR",
		"SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED" };
	if (rcode >= 0 && (size_t)rcode < sizeof(names) / sizeof(*names))
		return names[rcode];
	return "an unknown code";
}

static void
query_free(struct dns_query *q)
{
	if (q->result != NULL)
		ub_resolve_free(q->result);
	pthread_cond_destroy(&q->cond);
	free(q);
}

static void
abandoned_unlink(struct dns_resolver *r, struct dns_query *q)
{
	if (q->prev != NULL)
		q->prev->next = q->next;
	else
		r->abandoned = q->next;
	if (q->next != NULL)
		q->next->prev = q->prev;
}

/* Called by libunbound from the dispatcher thread, inside ub_process. */
static void
on_answer(void *data, int err, struct ub_result *result)
{
	struct dns_query *q = data;
	struct dns_resolver *r = q->resolver;
	pthread_mutex_lock(&r->lock);
	if (q->abandoned) {
		abandoned_unlink(r, q);
		pthread_mutex_unlock(&r->lock);
		if (result != NULL)
			ub_resolve_free(result);
		query_free(q);
		return;
	}
	q->err = err;
	q->result = result;
	q->done = true;
	pthread_cond_signal(&q->cond);
	pthread_mutex_unlock(&r->lock);
}

static void *
dispatch(void *data)
{
	struct dns_resolver *r = data;
	struct pollfd fds[2] = {
		{ .fd = ub_fd(r->ctx), .events = POLLIN },
		{ .fd = r->wake[0], .events = POLLIN },
	};
	for (;;) {
		if (poll(fds, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			log_error("dns.dispatch", "error=\"%s\"", strerror(errno));
			return NULL;
		}
		if (fds[1].revents != 0)
			return NULL;
		if (fds[0].revents != 0) {
			int rc = ub_process(r->ctx);
			/*
			 * The pipe from libunbound's worker is broken: no
			 * answer can come again, and polling it would spin.
			 * Lookups from now on time out as TEMPFAIL.
			 */
			if (rc != 0) {
				log_error("dns.process", "error=\"%s\"",
					ub_strerror(rc));
				return NULL;
			}
		}
	}
}

/* Applies dns.servers: forwarders, /etc/resolv.conf, or full recursion. */
static int
set_servers(struct ub_ctx *ctx, const char *servers, struct error *err)
{
	struct span rest = span_trim(span_from_cstr(servers));
	if (rest.len == 0) {
		int rc = ub_ctx_resolvconf(ctx, NULL);
		if (rc != 0)
			return error_set(err, ERROR_INVALID,
				"dns.servers is empty and /etc/resolv.conf "
				"cannot be read: %s", ub_strerror(rc));
		return 0;
	}
	if (span_eq(rest, "recursive"))
		return 0;
	struct span item;
	while (span_split(&rest, ',', &item)) {
		item = span_trim(item);
		char addr[128];
		if (item.len == 0 || item.len >= sizeof(addr))
			return error_set_field(err, ERROR_INVALID, "dns.servers",
				"dns.servers must list addresses such as "
				"127.0.0.1@5353, comma-separated");
		memcpy(addr, item.p, item.len);
		addr[item.len] = '\0';
		int rc = ub_ctx_set_fwd(ctx, addr);
		if (rc != 0)
			return error_set_field(err, ERROR_INVALID, "dns.servers",
				"dns.servers: %s is not an address (%s)", addr,
				ub_strerror(rc));
	}
	return 0;
}

static int
configure(struct dns_resolver *r, const struct dns_options *o,
	struct error *err)
{
	int rc = ub_ctx_async(r->ctx, 1);
	if (rc != 0)
		return error_set(err, ERROR_INTERNAL,
			"the resolver cannot use a thread: %s", ub_strerror(rc));
	if (set_servers(r->ctx, o->servers, err) < 0)
		return -1;
	if (o->trust_anchor[0] != '\0') {
		/*
		 * libunbound reads the file only at the first lookup; a
		 * missing file should fail at start-up, with its name.
		 */
		if (access(o->trust_anchor, R_OK) != 0)
			return error_set_field(err, ERROR_INVALID,
				"dns.trust_anchor",
				"dns.trust_anchor %s cannot be read: %s",
				o->trust_anchor, strerror(errno));
		rc = ub_ctx_add_ta_file(r->ctx, o->trust_anchor);
		if (rc != 0)
			return error_set_field(err, ERROR_INVALID,
				"dns.trust_anchor", "dns.trust_anchor %s: %s",
				o->trust_anchor, ub_strerror(rc));
	}
	return 0;
}

struct dns_resolver *
dns_resolver_new(const struct dns_options *options, struct error *err)
{
	struct dns_resolver *r = xcalloc(1, sizeof(*r));
	r->timeout_ms = options->timeout_ms > 0 ? options->timeout_ms : 1;
	r->wake[0] = r->wake[1] = -1;
	r->ctx = ub_ctx_create();
	if (r->ctx == NULL) {
		free(r);
		error_set(err, ERROR_INTERNAL, "libunbound cannot start");
		return NULL;
	}
	if (configure(r, options, err) < 0)
		goto fail;
	if (pipe2(r->wake, O_CLOEXEC) != 0) {
		error_set(err, ERROR_INTERNAL, "no pipe for the resolver: %s",
			strerror(errno));
		goto fail;
	}
	pthread_mutex_init(&r->lock, NULL);
	if (pthread_create(&r->dispatcher, NULL, dispatch, r) != 0) {
		pthread_mutex_destroy(&r->lock);
		error_set(err, ERROR_INTERNAL,
			"no thread for the resolver");
		goto fail;
	}
	return r;
fail:
	if (r->wake[0] >= 0) {
		close(r->wake[0]);
		close(r->wake[1]);
	}
	ub_ctx_delete(r->ctx);
	free(r);
	return NULL;
}

void
dns_resolver_free(struct dns_resolver **rp)
{
	struct dns_resolver *r = *rp;
	if (r == NULL)
		return;
	*rp = NULL;
	char byte = 0;
	while (write(r->wake[1], &byte, 1) < 0 && errno == EINTR)
		;
	pthread_join(r->dispatcher, NULL);
	/* No callback runs after this; queries still abandoned are ours. */
	ub_ctx_delete(r->ctx);
	while (r->abandoned != NULL) {
		struct dns_query *q = r->abandoned;
		r->abandoned = q->next;
		query_free(q);
	}
	close(r->wake[0]);
	close(r->wake[1]);
	pthread_mutex_destroy(&r->lock);
	free(r);
}

/*
 * Waits for q's answer until the timeout. Returns true with q done, or
 * false once q is cancelled or handed to on_answer to free (the caller
 * must not touch q then).
 */
static bool
wait_for(struct dns_resolver *r, struct dns_query *q, int async_id)
{
	struct timespec deadline;
	clock_deadline_ms(r->timeout_ms, &deadline);
	pthread_mutex_lock(&r->lock);
	while (!q->done) {
		if (pthread_cond_timedwait(&q->cond, &r->lock, &deadline) ==
			ETIMEDOUT)
			break;
	}
	if (q->done) {
		pthread_mutex_unlock(&r->lock);
		return true;
	}
	/*
	 * ub_cancel takes libunbound's own lock, which the dispatcher holds
	 * while it decodes an answer: never call it holding ours.
	 */
	pthread_mutex_unlock(&r->lock);
	bool cancelled = ub_cancel(r->ctx, async_id) == 0;
	pthread_mutex_lock(&r->lock);
	if (cancelled) {
		/* libunbound calls on_answer for a cancelled query never. */
		pthread_mutex_unlock(&r->lock);
		query_free(q);
		return false;
	}
	if (q->done) {	/* it arrived while we cancelled: use it */
		pthread_mutex_unlock(&r->lock);
		return true;
	}
	q->abandoned = true;
	q->prev = NULL;
	q->next = r->abandoned;
	if (r->abandoned != NULL)
		r->abandoned->prev = q;
	r->abandoned = q;
	pthread_mutex_unlock(&r->lock);
	return false;
}

static int
tempfail(struct dns_answer *ans, struct arena *a, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
tempfail(struct dns_answer *ans, struct arena *a, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	const char *why = arena_vprintf(a, fmt, ap);
	va_end(ap);
	ans->status = DNS_STATUS_TEMPFAIL;
	ans->why = why != NULL ? why : "the DNS lookup failed";
	ans->count = 0;
	ans->mx = NULL;
	ans->addr = NULL;
	ans->txt = NULL;
	ans->tlsa = NULL;
	ans->ptr = NULL;
	ans->null_mx = false;
	return 0;
}

/* Parses record i of result into the answer's array for its type. */
static int
parse_record(struct dns_answer *ans, const struct ub_result *res, size_t i,
	struct arena *a, struct error *err)
{
	const uint8_t *p = (const uint8_t *)res->data[i];
	size_t len = res->len[i] < 0 ? 0 : (size_t)res->len[i];
	switch (ans->type) {
	case DNS_TYPE_MX:
		return dns_rdata_mx(p, len, &ans->mx[i], err);
	case DNS_TYPE_A:
	case DNS_TYPE_AAAA:
		return dns_rdata_addr(ans->type, p, len, &ans->addr[i], err);
	case DNS_TYPE_TXT:
		return dns_rdata_txt(p, len, a, &ans->txt[i], err);
	case DNS_TYPE_TLSA:
		return dns_rdata_tlsa(p, len, a, &ans->tlsa[i], err);
	case DNS_TYPE_PTR:
		return dns_rdata_ptr(p, len, &ans->ptr[i], err);
	}
	return error_set(err, ERROR_INTERNAL, "a record type we do not read");
}

static void *
records_alloc(struct dns_answer *ans, size_t count, struct arena *a)
{
	switch (ans->type) {
	case DNS_TYPE_MX:
		return ans->mx = arena_alloc(a, count * sizeof(*ans->mx));
	case DNS_TYPE_A:
	case DNS_TYPE_AAAA:
		return ans->addr = arena_alloc(a, count * sizeof(*ans->addr));
	case DNS_TYPE_TXT:
		return ans->txt = arena_alloc(a, count * sizeof(*ans->txt));
	case DNS_TYPE_TLSA:
		return ans->tlsa = arena_alloc(a, count * sizeof(*ans->tlsa));
	case DNS_TYPE_PTR:
		return ans->ptr = arena_alloc(a, count * sizeof(*ans->ptr));
	}
	return NULL;
}

/*
 * RFC 7505 §3: a lone MX of "." says the domain takes no mail. Beside
 * other MX records (which §3 forbids) a "." host is left out: nothing can
 * be delivered to the root.
 */
static void
mx_finish(struct dns_answer *ans)
{
	if (ans->count == 1 && ans->mx[0].host[0] == '\0') {
		ans->null_mx = true;
		ans->count = 0;
		return;
	}
	size_t kept = 0;
	for (size_t i = 0; i < ans->count; i++) {
		if (ans->mx[i].host[0] != '\0')
			ans->mx[kept++] = ans->mx[i];
	}
	ans->count = kept;
	dns_mx_sort(ans->mx, ans->count);
}

static int
answer_from(struct dns_answer *ans, const struct ub_result *res,
	struct arena *a, struct error *err)
{
	ans->ttl = res->ttl > 0 ? (uint32_t)res->ttl : 0;
	/* libunbound names the canonical name only after a CNAME. */
	const char *canonname = res->canonname != NULL ? res->canonname :
		res->qname;
	if (canonname != NULL) {
		char *canon = arena_strdup(a, canonname);
		if (canon == NULL)
			return error_set(err, ERROR_LIMIT, "out of memory");
		size_t n = strlen(canon);
		if (n > 1 && canon[n - 1] == '.')
			canon[n - 1] = '\0';
		ans->canonical = canon;
	}
	if (res->bogus) {
		ans->security = DNS_SECURITY_BOGUS;
		return tempfail(ans, a, "DNSSEC validation failed: %s",
			res->why_bogus != NULL ? res->why_bogus :
			"no reason given");
	}
	ans->security = res->secure ? DNS_SECURITY_SECURE :
		DNS_SECURITY_INSECURE;
	if (res->rcode == DNS_RCODE_NXDOMAIN || res->nxdomain) {
		ans->status = DNS_STATUS_NXDOMAIN;
		return 0;
	}
	if (res->rcode != DNS_RCODE_NOERROR)
		return tempfail(ans, a, "the DNS server answered %s",
			rcode_name(res->rcode));
	size_t count = 0;
	while (res->havedata && res->data[count] != NULL)
		count++;
	if (count == 0) {
		ans->status = DNS_STATUS_NODATA;
		return 0;
	}
	if (count > DNS_MAX_RECORDS)
		return tempfail(ans, a, "the answer has %zu records, more "
			"than the %d we accept", count, DNS_MAX_RECORDS);
	if (records_alloc(ans, count, a) == NULL)
		return error_set(err, ERROR_LIMIT, "out of memory for records");
	for (size_t i = 0; i < count; i++) {
		struct error perr;
		if (parse_record(ans, res, i, a, &perr) < 0) {
			if (perr.code == ERROR_LIMIT)
				return error_forward(err, &perr);
			return tempfail(ans, a, "a malformed %s record: %s",
				dns_type_name(ans->type), perr.msg);
		}
	}
	ans->count = count;
	ans->status = DNS_STATUS_OK;
	if (ans->type == DNS_TYPE_MX)
		mx_finish(ans);
	return 0;
}

int
dns_lookup(struct dns_resolver *r, const char *name, enum dns_type type,
	struct arena *a, struct dns_answer *answer_r, struct error *err)
{
	memset(answer_r, 0, sizeof(*answer_r));
	answer_r->type = type;
	answer_r->why = "";
	answer_r->canonical = "";
	if (dns_type_name(type) == NULL)
		return error_set(err, ERROR_INVALID,
			"the resolver does not read records of type %d",
			(int)type);
	if (!dns_name_is_valid(name))
		return error_set(err, ERROR_INVALID,
			"\"%s\" is not a domain name", name);
	struct dns_query *q = xcalloc(1, sizeof(*q));
	q->resolver = r;
	pthread_condattr_t attr;
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&q->cond, &attr);
	pthread_condattr_destroy(&attr);
	int async_id = 0;
	int rc = ub_resolve_async(r->ctx, name, (int)type, DNS_CLASS_IN, q,
		on_answer, &async_id);
	if (rc != 0) {
		query_free(q);
		return error_set(err, ERROR_INTERNAL,
			"the resolver cannot ask: %s", ub_strerror(rc));
	}
	if (!wait_for(r, q, async_id))
		return tempfail(answer_r, a,
			"no answer from the DNS within %d ms", r->timeout_ms);
	int status;
	if (q->err != 0 || q->result == NULL)
		status = tempfail(answer_r, a, "the resolver failed: %s",
			ub_strerror(q->err));
	else
		status = answer_from(answer_r, q->result, a, err);
	query_free(q);
	return status;
}
