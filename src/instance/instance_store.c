/*
 * The instance's store connections: one of its own for a command or a
 * thread, or one borrowed from the sessions' pool; a ping; the servers'
 * group-commit writer. Front ends reach the store only through these
 * (design.md "A sealed store"). Apart from instance.c so the audit chain
 * (instance_audit.c) can open the store without the two files calling
 * each other. Layer: domain.
 */
#include "instance/instance.h"

#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"
#include "core/config.h"
#include "core/error.h"
#include "instance/instance_internal.h"
#include "store/store.h"
#include "store/store_change.h"
#include "store/store_finder.h"
#include "store/store_session.h"
#include "store/store_writer.h"

struct store *
instance_store(const struct instance *inst, struct error *err)
{
	return store_open(config_get_str(inst->config, "store.backend"),
		inst->store_path, false,
		(int)config_get_int(inst->config, "store.busy_timeout_ms"), err);
}

void
instance_store_close(struct store **st)
{
	store_close(st);
}

int
instance_store_ping(const struct instance *inst, struct error *err)
{
	struct store *st = instance_store(inst, err);
	if (st == NULL)
		return -1;
	int rc = store_ping(st, err);
	store_close(&st);
	return rc;
}

struct store_writer *
instance_writer_start(const struct instance *inst, struct error *err)
{
	return store_writer_start(config_get_str(inst->config, "store.backend"),
		inst->store_path,
		(int)config_get_int(inst->config, "store.busy_timeout_ms"), err);
}

void
instance_writer_stop(struct store_writer **w)
{
	store_writer_stop(w);
}

int
instance_listen_start(const struct instance *inst,
	struct store_change_listener **l_r, struct error *err)
{
	const char *backend = config_get_str(inst->config, "store.backend");
	/* Sessions are remembered only where a listener says what changed. */
	if (strcmp(backend, "postgresql") == 0)
		store_session_cache_set(auth_session_memory_s(inst->config));
	return store_change_listen_start(backend, inst->store_path, l_r, err);
}

void
instance_listen_stop(struct store_change_listener **l)
{
	store_change_listen_stop(l);
}

int
instance_finder_start(const struct instance *inst, struct store_finder **f_r,
	struct error *err)
{
	*f_r = NULL;
	const char *where = config_get_str(inst->config, "store.finder_copy");
	if (strcmp(config_get_str(inst->config, "store.backend"),
		    "postgresql") != 0 || strcmp(where, "off") == 0)
		return 0;
	bool numbered = strcmp(where, "auto") == 0;
	char *path = instance_path_join(inst->dir,
		numbered ? "people-finder.db" : where);
	*f_r = store_finder_start(inst->store_path, path, numbered,
		(int)config_get_int(inst->config, "store.busy_timeout_ms"), err);
	free(path);
	if (*f_r == NULL)
		return -1;
	store_pool_set_finder(inst->pool, *f_r);
	return 0;
}

void
instance_finder_stop(const struct instance *inst, struct store_finder **f)
{
	if (*f == NULL)
		return;
	store_pool_set_finder(inst->pool, NULL);
	store_finder_stop(f);
}

struct store *
instance_store_borrow(const struct instance *inst, struct error *err)
{
	return store_pool_get(inst->pool, err);
}

struct store *
instance_store_borrow_request(const struct instance *inst, struct error *err)
{
	return store_pool_get_request(inst->pool, err);
}

void
instance_store_return(const struct instance *inst, struct store **st)
{
	store_pool_put(inst->pool, st);
}

void
instance_store_warm(const struct instance *inst, size_t n)
{
	store_pool_warm(inst->pool, n);
}
