/*
 * What instance.c asks of instance_audit.c when it makes or opens an
 * instance. Layer: domain, private.
 */
#ifndef INSTANCE_INSTANCE_INTERNAL_H
#define INSTANCE_INSTANCE_INTERNAL_H

#include <stdint.h>

struct error;
struct instance;

/*
 * For `caremail init`: makes the audit key (mode 0600) and an anchor that
 * says the chain starts with the first row. ERROR_EXISTS if a key is there.
 */
int instance_audit_create(struct instance *inst, int64_t now,
	struct error *err);

/*
 * For instance_open: reads the audit key into inst. An instance made
 * before the audit chain gets its key now, and the rows it already has
 * are chained as they are (once: the anchor file records it). A missing
 * key beside an anchor is refused: a new key would break every row.
 */
int instance_audit_load(struct instance *inst, int64_t now,
	struct error *err);

#endif
