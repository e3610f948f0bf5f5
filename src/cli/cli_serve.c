/*
 * `caremail serve`: runs the listeners in the foreground, logging to stderr,
 * until SIGTERM or SIGINT, then stops them cleanly. Layer: front end.
 * SECURITY: the signals are blocked before any thread starts, so only this
 * thread takes them (sigwait) and no handler runs inside a library call.
 */
#include <pthread.h>
#include <signal.h>
#include <string.h>

#include "api/api.h"
#include "caremail_version.h"
#include "cli/cli_internal.h"
#include "core/arena.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/cores.h"
#include "core/error.h"
#include "core/log.h"
#include "core/net.h"
#include "http/http.h"
#include "imap/imap.h"
#include "instance/instance.h"
#include "mail/mail_queue.h"
#include "pop3/pop3.h"
#include "smtp/smtp.h"

/* Connections opened and made ready at the start (instance_store_warm). */
#define SERVE_WARM_CONNECTIONS 4

/*
 * The health check's view of the store: a fresh connection each time, so a
 * database that has gone away is reported, not hidden behind an open one.
 * The reason is logged here; the unauthenticated reply gets no file paths.
 */
static int
serve_store_ping(void *ctx, struct error *err)
{
	const struct instance *inst = ctx;
	struct error inner;
	if (instance_store_ping(inst, &inner) == 0)
		return 0;
	log_warn("serve.store_unreachable", "reason=\"%s\"", inner.msg);
	return error_set(err, ERROR_TEMPORARY,
		"the store cannot be reached; see the server log");
}

/* /healthcheck's queue counts, on a connection of the pool. */
static int
serve_queue_counts(void *ctx, struct store_queue_counts *c_r)
{
	const struct instance *inst = ctx;
	struct error err;
	struct store *st = instance_store_borrow(inst, &err);
	if (st == NULL)
		return -1;
	struct arena *a = arena_new(64 * 1024);
	struct dir_ctx dctx;
	instance_dir_ctx(inst, st, a, "serve", clock_now(), &dctx);
	int rc = mail_queue_counts(&dctx, c_r, &err);
	if (rc < 0)
		log_warn("serve.queue_counts", "reason=\"%s\"", err.msg);
	arena_free(&a);
	instance_store_return(inst, &st);
	return rc;
}

/* /healthcheck's maintenance mode, on a connection of the pool. */
static int
serve_maintenance(void *ctx, bool *on_r, int64_t *until_r)
{
	const struct instance *inst = ctx;
	struct error err;
	struct store *st = instance_store_borrow(inst, &err);
	if (st == NULL)
		return -1;
	struct arena *a = arena_new(64 * 1024);
	struct dir_ctx dctx;
	struct dir_maintenance m;
	instance_dir_ctx(inst, st, a, "serve", clock_now(), &dctx);
	int rc = dir_maintenance_get(&dctx, &m, &err);
	if (rc < 0)
		log_warn("serve.maintenance", "reason=\"%s\"", err.msg);
	*on_r = rc == 0 && m.on;
	*until_r = rc == 0 ? m.until : 0;
	arena_free(&a);
	instance_store_return(inst, &st);
	return rc;
}

static const char *
serve_audit_state(void *ctx)
{
	return instance_audit_watch_state(ctx);
}

/* Logs the address actually bound: port 0 in the config picks one. */
static void
log_ready(const char *listen, const struct http_server *http)
{
	if (http == NULL) {
		log_info("serve.ready", "listen=off");
		return;
	}
	const char *colon = strrchr(listen, ':');
	int host_len = colon != NULL ? (int)(colon - listen) : 0;
	log_info("serve.ready", "listen=%.*s:%u version=%s", host_len, listen,
		(unsigned)http_server_port(http), CAREMAIL_VERSION);
}

/*
 * http.threads 0: one request thread per core, so searches are not
 * time-sliced against each other (docs/design.md). On PostgreSQL too,
 * since a node remembers the sessions it read (store_session_cache.h):
 * at two a core, B5 there gave 6,454-6,534 searches/s with a p99 of
 * 9.3-10.5 ms, at one 6,641-7,047 with 6.3-6.6 ms; B9, whose reads still
 * go to the database, 2,079-2,195/s against 2,277-2,367/s
 * (bench/RESULTS.md, 2026-12-06 10:15).
 */
static unsigned
http_threads(const struct config *c)
{
	int64_t n = config_get_int(c, "http.threads");
	return n > 0 ? (unsigned)n : cores_usable();
}

static int
start_http(const struct instance *inst, struct api *api,
	struct instance_audit_watch *audit, struct http_server **http_r,
	struct error *err)
{
	const struct config *c = inst->config;
	const char *listen = config_get_str(c, "http.listen");
	const char *web = config_get_str(c, "http.web_root");
	char web_root[4096];
	*http_r = NULL;
	if (strcmp(listen, "off") == 0)
		return 0;
	/* Relative to the instance directory, as every path setting is. */
	int n = snprintf(web_root, sizeof(web_root), "%s%s%s",
		web[0] == '/' || web[0] == '\0' ? "" : inst->dir,
		web[0] == '/' || web[0] == '\0' ? "" : "/", web);
	if (n < 0 || (size_t)n >= sizeof(web_root))
		return error_set(err, ERROR_INVALID,
			"http.web_root is too long");
	struct http_server_options opts = {
		.listen = listen,
		.tls = config_get_bool(c, "http.tls"),
		.cert_path = inst->cert_path,
		.key_path = inst->key_path,
		.max_connections =
			(unsigned)config_get_int(c, "http.max_connections"),
		.max_per_ip = (unsigned)config_get_int(c, "http.max_per_ip"),
		.timeout_s = (unsigned)config_get_int(c, "http.timeout_s"),
		.header_timeout_s =
			(unsigned)config_get_int(c, "http.header_timeout_s"),
		.body_timeout_s =
			(unsigned)config_get_int(c, "http.body_timeout_s"),
		.max_body = (size_t)config_get_int(c, "http.max_body_kb") * 1024,
		.max_body_unauthenticated = (size_t)config_get_int(c,
			"http.max_body_unauthenticated_kb") * 1024,
		.threads = http_threads(c),
		.wait_threads = (unsigned)config_get_int(c, "http.wait_threads"),
		.store_ping = serve_store_ping,
		.ctx = (void *)(uintptr_t)inst,
		.api = api_handle,
		.signed_in = api_signed_in,
		.api_waits = api_waits,
		.api_ctx = api,
		.audit_state = serve_audit_state,
		.queue_counts = serve_queue_counts,
		.maintenance = serve_maintenance,
		.audit_ctx = audit,
		.web_root = web_root,
		.metrics_allow = config_get_str(c, "http.metrics_allow"),
	};
	*http_r = http_server_start(&opts, err);
	return *http_r != NULL ? 0 : -1;
}

/* Everything serve runs, started in order and stopped in reverse. */
struct services {
	struct store_writer *writer;
	struct net_tls *tls;
	struct smtp_server *smtp;
	struct pop3_server *pop3;
	struct imap_server *imap;
	struct http_server *http;
	struct api *api;	/* outlives http, which calls it */
	struct instance_audit_watch *audit;	/* so does this */
	struct mail_queue_runner *queue;	/* outbound delivery */
	struct cli_secure_sweep *secure;	/* expired secure messages */
	struct cli_jobs_schedule *jobs;	/* the lifecycle's schedule */
	struct cli_jobs_schedule *text;	/* the text index's */
	struct store_change_listener *listener;	/* other nodes' changes */
	struct store_finder *finder;	/* this node's People Finder copy */
	const struct instance *inst;
};

static void
stop_services(struct services *sv)
{
	cli_secure_sweep_stop(&sv->secure);
	smtp_server_stop(&sv->smtp);
	/* Before the writer: its reports are delivered through it. */
	mail_queue_runner_free(&sv->queue);
	cli_jobs_schedule_stop(&sv->jobs);
	cli_jobs_schedule_stop(&sv->text);
	pop3_server_stop(&sv->pop3);
	imap_server_stop(&sv->imap);
	instance_listen_stop(&sv->listener);
	if (sv->http != NULL)
		http_server_stop(&sv->http);
	if (sv->api != NULL)
		api_free(&sv->api);
	instance_audit_watch_stop(&sv->audit);
	/* After every session: none is searching its copy any more. */
	if (sv->inst != NULL)
		instance_finder_stop(sv->inst, &sv->finder);
	instance_writer_stop(&sv->writer);
	net_tls_free(&sv->tls);
}

/*
 * The outbound queue's job threads (docs/outbound.md), from the start, so
 * mail queued while the server was down leaves at once. With
 * outbound.workers = 0 serve sends nothing.
 */
static int
start_queue(const struct instance *inst, struct services *sv,
	struct error *err)
{
	if (config_get_int(inst->config, "outbound.workers") == 0) {
		log_info("outbound.off", "reason=\"outbound.workers is 0\"");
		return 0;
	}
	struct mail_queue_env env = {
		.config = inst->config,
		.instance_dir = inst->dir,
		.dkim_dir = inst->dkim_dir,
		.audit_key = inst->audit_key,
		.pool = inst->pool,
		.writer = sv->writer,
		.clock = clock_now,
	};
	sv->queue = mail_queue_runner_new(&env, err);
	if (sv->queue == NULL)
		return -1;
	return mail_queue_runner_start(sv->queue, err);
}

static int
start_services(const struct instance *inst, struct services *sv,
	struct error *err)
{
	const struct config *c = inst->config;
	/* Settings only checked when their listener starts, checked first. */
	const char *http_listen = config_get_str(c, "http.listen");
	if (strcmp(http_listen, "off") != 0 &&
	    http_server_check_settings(http_listen,
		    config_get_str(c, "http.metrics_allow"), err) < 0)
		return -1;
	/* Opens the store once before listening, so a broken one fails here. */
	if (instance_store_ping(inst, err) < 0)
		return -1;
	/*
	 * The first sessions after a start (or a failover) take connections
	 * ready for their first commands: on PostgreSQL a new connection's
	 * first SELECT of a folder took 5 ms instead of 1 (B3).
	 */
	instance_store_warm(inst, SERVE_WARM_CONNECTIONS);
	sv->writer = instance_writer_start(inst, err);
	if (sv->writer == NULL)
		return -1;
	/* Before IMAP: no session waits unheard for another node's mail. */
	if (instance_listen_start(inst, &sv->listener, err) < 0)
		return -1;
	/* Before any session: each is lent the copy with its connection. */
	sv->inst = inst;
	if (instance_finder_start(inst, &sv->finder, err) < 0)
		return -1;
	sv->tls = net_tls_new(inst->cert_path, inst->key_path, err);
	if (sv->tls == NULL)
		return -1;
	if (start_queue(inst, sv, err) < 0)
		return -1;
	sv->secure = cli_secure_sweep_start(inst);
	sv->jobs = cli_jobs_schedule_start(inst, sv->writer);
	sv->text = cli_text_schedule_start(inst, sv->writer);
	sv->smtp = smtp_server_start(inst, sv->writer, sv->tls, err);
	if (sv->smtp == NULL)
		return -1;
	sv->pop3 = pop3_server_start(inst, sv->writer, sv->tls, err);
	if (sv->pop3 == NULL)
		return -1;
	sv->imap = imap_server_start(inst, sv->writer, sv->tls, err);
	if (sv->imap == NULL)
		return -1;
	sv->api = api_new(inst);
	api_set_writer(sv->api, sv->writer);
	/*
	 * The audit chain is checked beside the listeners, not before them:
	 * mail goes on while it runs, and a broken chain is an alarm for
	 * admins (logged, and shown by /healthcheck), not an outage.
	 */
	sv->audit = instance_audit_watch_start(inst,
		(int)config_get_int(c, "audit.verify_interval_s"));
	return start_http(inst, sv->api, sv->audit, &sv->http, err);
}

static int
run(const struct instance *inst, const sigset_t *signals, struct error *err)
{
	struct services sv = { 0 };
	if (start_services(inst, &sv, err) < 0) {
		stop_services(&sv);
		return -1;
	}
	log_ready(config_get_str(inst->config, "http.listen"), sv.http);
	int sig = 0;
	if (sigwait(signals, &sig) != 0)
		sig = SIGTERM;
	log_info("serve.stopping", "signal=%s",
		sig == SIGINT ? "SIGINT" : "SIGTERM");
	stop_services(&sv);
	log_info("serve.stopped", "status=clean");
	return 0;
}

/* Threads inherit the mask, so none of them takes these signals. */
static int
block_signals(sigset_t *signals, struct error *err)
{
	sigemptyset(signals);
	sigaddset(signals, SIGTERM);
	sigaddset(signals, SIGINT);
	int rc = pthread_sigmask(SIG_BLOCK, signals, NULL);
	if (rc != 0)
		return error_set(err, ERROR_INTERNAL,
			"cannot block SIGTERM and SIGINT: %s", strerror(rc));
	return 0;
}

int
cli_serve(struct cli_args *args, struct error *err)
{
	if (args->dir == NULL)
		return cli_usage(args, err, "no instance directory given: pass "
			"--dir DIR or set CAREMAIL_DIR");
	sigset_t signals;
	if (block_signals(&signals, err) < 0)
		return -1;
	struct instance *inst = instance_open(args->dir, args->sets,
		args->set_count, err);
	if (inst == NULL)
		return -1;
	cli_log_level(inst->config);
	int rc = run(inst, &signals, err);
	if (rc < 0)
		log_error("serve.failed", "reason=\"%s\"", err->msg);
	instance_close(&inst);
	return rc;
}
