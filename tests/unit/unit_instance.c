/* The shared unit-test instance (see unit_instance.h). */
#include "unit_instance.h"

#include <stdio.h>
#include <stdlib.h>

#include "core/arena.h"
#include "core/config.h"
#include "core/error.h"
#include "store/store.h"

/* A fixed audit key: the tests' rows are chained like an instance's. */
static const unsigned char unit_audit_key[STORE_AUDIT_KEY_BYTES] = {
	'u', 'n', 'i', 't'
};
/* And a fixed sealing key (secure.key) for encrypted messages. */
static const unsigned char unit_seal_key[32] = { 's', 'e', 'a', 'l' };

int
unit_instance_open(struct unit_instance *u, const char *domains,
	const char *actor)
{
	char setting[256];
	struct error err;
	snprintf(u->dir, sizeof(u->dir), "/tmp/caremail-unit-XXXXXX");
	if (mkdtemp(u->dir) == NULL)
		return -1;
	snprintf(u->path, sizeof(u->path), "%s/test.db", u->dir);
	u->st = store_open("sqlite", u->path, true, 1000, &err);
	u->config = config_new();
	snprintf(setting, sizeof(setting), "mail.domains=%s", domains);
	if (u->st == NULL || config_set(u->config, setting, &err) < 0)
		return -1;
	u->arena = arena_new(64 << 20);
	u->ctx = (struct dir_ctx){ .store = u->st, .config = u->config,
		.actor = actor, .now = 1000, .arena = u->arena,
		.audit_key = unit_audit_key, .seal_key = unit_seal_key };
	return 0;
}

int
unit_instance_close(struct unit_instance *u)
{
	store_close(&u->st);
	config_free(&u->config);
	arena_free(&u->arena);
	char cmd[200];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", u->dir);
	return system(cmd) == 0 ? 0 : -1;
}
