/*
 * The instance's store connections: one of its own for a command or a
 * thread, or one borrowed from the sessions' pool. Apart from instance.c
 * so the audit chain (instance_audit.c) can open the store without the
 * two files calling each other. Layer: domain.
 */
#include "instance/instance.h"

#include "core/config.h"
#include "core/error.h"
#include "store/store.h"

struct store *
instance_store(const struct instance *inst, struct error *err)
{
	return store_open(config_get_str(inst->config, "store.backend"),
		inst->store_path, false,
		(int)config_get_int(inst->config, "store.busy_timeout_ms"), err);
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
