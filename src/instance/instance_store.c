/*
 * The instance's store connections: one of its own for a command or a
 * thread, or one borrowed from the sessions' pool; a ping; the servers'
 * group-commit writer. Front ends reach the store only through these
 * (design.md "A sealed store"). Apart from instance.c so the audit chain
 * (instance_audit.c) can open the store without the two files calling
 * each other. Layer: domain.
 */
#include "instance/instance.h"

#include "core/config.h"
#include "core/error.h"
#include "store/store.h"
#include "store/store_change.h"
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
	return store_change_listen_start(config_get_str(inst->config,
		"store.backend"), inst->store_path, l_r, err);
}

void
instance_listen_stop(struct store_change_listener **l)
{
	store_change_listen_stop(l);
}

struct store *
instance_store_borrow(const struct instance *inst, struct error *err)
{
	return store_pool_get(inst->pool, err);
}

void
instance_store_return(const struct instance *inst, struct store **st)
{
	store_pool_put(inst->pool, st);
}
