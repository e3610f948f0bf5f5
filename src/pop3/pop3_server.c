/* Starting and stopping the POP3 listeners from the config. Layer: front end. */
#include <string.h>

#include "core/config.h"
#include "core/error.h"
#include "core/log.h"
#include "core/net.h"
#include "core/tally.h"
#include "core/xmalloc.h"
#include "instance/instance.h"
#include "pop3/pop3_internal.h"

static const struct {
	const char *setting;
	const char *name;
	bool implicit_tls;
} pop3_listeners[] = {
	{ "pop3.listen", "pop3", false },
	{ "pop3s.listen", "pop3s", true },
};

struct pop3_server *
pop3_server_start(const struct instance *inst, struct store_writer *writer,
	struct net_tls *tls, struct error *err)
{
	struct pop3_server *srv = xcalloc(1, sizeof(*srv));
	srv->inst = inst;
	srv->writer = writer;
	const struct config *c = inst->config;
	srv->sessions = tally_new();
	srv->max_per_user = config_get_int(c, "pop3.max_per_user");
	for (size_t i = 0; i < 2; i++) {
		const char *listen = config_get_str(c, pop3_listeners[i].setting);
		if (strcmp(listen, "off") == 0)
			continue;
		struct net_listener_options o = {
			.name = pop3_listeners[i].name,
			.listen = listen,
			.tls = tls,
			.implicit_tls = pop3_listeners[i].implicit_tls,
			.max_sessions = (unsigned)config_get_int(c,
				"pop3.max_sessions"),
			.max_per_ip = (unsigned)config_get_int(c,
				"pop3.max_per_ip"),
			.busy_reply = "-ERR [SYS/TEMP] too many connections; try "
				      "again later\r\n",
			.timeout_ms = (int)config_get_int(c, "pop3.timeout_s") *
				1000,
			.session = pop3_session_run,
			.ctx = srv,
		};
		srv->listeners[i] = net_listener_start(&o, err);
		if (srv->listeners[i] == NULL) {
			pop3_server_stop(&srv);
			return NULL;
		}
	}
	return srv;
}

void
pop3_server_stop(struct pop3_server **srvp)
{
	if (srvp == NULL || *srvp == NULL)
		return;
	for (size_t i = 0; i < 2; i++)
		net_listener_stop(&(*srvp)->listeners[i]);
	tally_free(&(*srvp)->sessions);
	free(*srvp);
	*srvp = NULL;
}
