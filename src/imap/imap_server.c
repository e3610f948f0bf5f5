/*
 * Starting and stopping the IMAP listeners from the config: imap.listen
 * with STARTTLS and imaps.listen with implicit TLS (RFC 8314). Layer: front
 * end. SECURITY: each listener caps its sessions (SECURITY.md item 35).
 */
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/error.h"
#include "core/log.h"
#include "core/net.h"
#include "core/tally.h"
#include "core/xmalloc.h"
#include "imap/imap_internal.h"
#include "instance/instance.h"

#define MIB (1024 * 1024)
/* BAD replies a session may earn before it is closed (as SMTP's 20). */
#define IMAP_MAX_ERRORS 20

struct listener_spec {
	const char *setting;
	const char *name;
	bool implicit_tls;
};

static const struct listener_spec listener_specs[] = {
	{ "imap.listen", "imap", false },
	{ "imaps.listen", "imaps", true },
};

struct imap_server *
imap_server_start(const struct instance *inst, struct store_writer *writer,
	struct net_tls *tls, struct error *err)
{
	const struct config *c = inst->config;
	struct imap_server *srv = xcalloc(1, sizeof(*srv));
	srv->inst = inst;
	srv->writer = writer;
	srv->tls = tls;
	/* APPEND takes what SMTP would: one size limit for all mail. */
	srv->max_message = (size_t)config_get_int(c,
				   "smtp.max_message_size_mb") *
		MIB;
	srv->timeout_ms = (int)config_get_int(c, "imap.timeout_s") * 1000;
	srv->max_errors = IMAP_MAX_ERRORS;
	srv->sessions = tally_new();
	srv->max_per_user = config_get_int(c, "imap.max_per_user");
	srv->literals = tally_new();
	srv->literal_budget = config_get_int(c, "imap.user_literal_budget_mb") *
		MIB;
	for (size_t i = 0; i < sizeof(listener_specs) / sizeof(*listener_specs);
		i++) {
		const struct listener_spec *spec = &listener_specs[i];
		const char *listen = config_get_str(c, spec->setting);
		if (strcmp(listen, "off") == 0)
			continue;
		struct net_listener_options o = {
			.name = spec->name,
			.listen = listen,
			.tls = tls,
			.implicit_tls = spec->implicit_tls,
			.max_sessions = (unsigned)config_get_int(c,
				"imap.max_sessions"),
			.max_per_ip = (unsigned)config_get_int(c,
				"imap.max_per_ip"),
			.busy_reply = "* BYE too many connections; try again "
				      "later\r\n",
			.timeout_ms = srv->timeout_ms,
			.session = imap_session_run,
			.ctx = srv,
		};
		srv->listeners[i] = net_listener_start(&o, err);
		if (srv->listeners[i] == NULL) {
			imap_server_stop(&srv);
			return NULL;
		}
		log_info("imap.listen", "name=%s listen=%s port=%u", spec->name,
			listen, (unsigned)net_listener_port(srv->listeners[i]));
	}
	return srv;
}

void
imap_server_stop(struct imap_server **srvp)
{
	if (srvp == NULL || *srvp == NULL)
		return;
	struct imap_server *srv = *srvp;
	for (size_t i = 0; i < sizeof(srv->listeners) / sizeof(*srv->listeners);
		i++)
		net_listener_stop(&srv->listeners[i]);
	tally_free(&srv->sessions);
	tally_free(&srv->literals);
	free(srv);
	*srvp = NULL;
}
