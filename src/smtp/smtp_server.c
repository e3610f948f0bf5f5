/*
 * Starting and stopping the SMTP listeners from the config. Layer: front
 * end.
 */
#include <stdio.h>
#include <string.h>

#include "core/config.h"
#include "core/error.h"
#include "core/log.h"
#include "core/net.h"
#include "core/xmalloc.h"
#include "instance/instance.h"
#include "smtp/smtp_internal.h"

#define MIB (1024 * 1024)

struct listener_spec {
	const char *setting;
	const char *name;
	enum smtp_port port;
	bool implicit_tls;
};

static const struct listener_spec listener_specs[] = {
	{ "smtp.listen", "smtp", SMTP_PORT_MX, false },
	{ "submission.listen", "submission", SMTP_PORT_SUBMISSION, false },
	{ "submissions.listen", "submissions", SMTP_PORT_SUBMISSION, true },
	{ "relay.listen", "relay", SMTP_PORT_RELAY, false },
};

#define LISTENER_COUNT (sizeof(listener_specs) / sizeof(listener_specs[0]))

static void
load_settings(struct smtp_server *srv, const struct config *c)
{
	mail_hostname(c, srv->hostname, sizeof(srv->hostname));
	srv->max_size = (size_t)config_get_int(c, "smtp.max_message_size_mb") *
		MIB;
	srv->max_recipients = (size_t)config_get_int(c, "smtp.max_recipients");
	srv->max_line = (size_t)config_get_int(c, "smtp.max_line_length") - 2;
	srv->max_errors = (int)config_get_int(c, "smtp.max_errors");
	srv->timeout_ms = (int)config_get_int(c, "smtp.timeout_s") * 1000;
	srv->greet_pause_ms = (int)config_get_int(c, "smtp.greet_pause_ms");
	srv->submission_greet_pause_ms = (int)config_get_int(c,
		"submission.greet_pause_ms");
	srv->relay_require_tls = config_get_bool(c, "relay.require_tls");
	srv->min_free = (uint64_t)config_get_int(c, "smtp.min_free_mb") * MIB;
}

struct smtp_server *
smtp_server_start(const struct instance *inst, struct store_writer *writer,
	struct net_tls *tls, struct error *err)
{
	struct smtp_server *srv = xcalloc(1, sizeof(*srv));
	srv->inst = inst;
	srv->writer = writer;
	srv->tls = tls;
	load_settings(srv, inst->config);
	if (mail_policy_settings_from_config(inst->config, &srv->policy,
		    err) < 0) {
		free(srv);
		return NULL;
	}
	srv->mx_ctx = (struct smtp_listener_ctx){ srv, SMTP_PORT_MX };
	srv->submission_ctx = (struct smtp_listener_ctx){ srv,
		SMTP_PORT_SUBMISSION };
	srv->relay_ctx = (struct smtp_listener_ctx){ srv, SMTP_PORT_RELAY };
	for (size_t i = 0; i < LISTENER_COUNT; i++) {
		const struct listener_spec *spec = &listener_specs[i];
		const char *listen = config_get_str(inst->config, spec->setting);
		if (strcmp(listen, "off") == 0)
			continue;
		struct net_listener_options o = {
			.name = spec->name,
			.listen = listen,
			.tls = tls,
			.implicit_tls = spec->implicit_tls,
			.max_sessions = (unsigned)config_get_int(inst->config,
				"smtp.max_sessions"),
			.max_per_ip = (unsigned)config_get_int(inst->config,
				"smtp.max_per_ip"),
			.busy_reply = "421 4.3.2 too many connections; try again "
				      "later\r\n",
			.timeout_ms = srv->timeout_ms,
			.session = smtp_session_run,
			.ctx = spec->port == SMTP_PORT_SUBMISSION ?
					&srv->submission_ctx :
				spec->port == SMTP_PORT_RELAY ? &srv->relay_ctx :
								&srv->mx_ctx,
		};
		srv->listeners[i] = net_listener_start(&o, err);
		if (srv->listeners[i] == NULL) {
			smtp_server_stop(&srv);
			return NULL;
		}
		log_info("smtp.listen", "name=%s listen=%s", spec->name, listen);
	}
	return srv;
}

void
smtp_server_stop(struct smtp_server **srvp)
{
	if (srvp == NULL || *srvp == NULL)
		return;
	struct smtp_server *srv = *srvp;
	for (size_t i = 0; i < LISTENER_COUNT; i++)
		net_listener_stop(&srv->listeners[i]);
	mail_policy_settings_free(&srv->policy);
	free(srv);
	*srvp = NULL;
}
