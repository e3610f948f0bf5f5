/*
 * An instance: the directory holding one caremail's config file, store and
 * TLS key pair, as made by `caremail init`. Layer: domain. This is where
 * the front ends get a store connection and a dir_ctx without knowing which
 * backend is behind them.
 */
#ifndef INSTANCE_INSTANCE_H
#define INSTANCE_INSTANCE_H

#include <stddef.h>
#include <stdint.h>

struct arena;
struct config;
struct dir_ctx;
struct error;
struct store;
struct store_pool;

#define INSTANCE_CONFIG_FILE "caremail.conf"

struct instance {
	char *dir;		/* the instance directory, as given */
	char *config_path;
	char *store_path;	/* resolved against dir */
	/*
	 * Where messages wait while they arrive: beside the store, on the
	 * same file system, so its free space is the store's.
	 */
	char *spool_dir;
	char *cert_path;
	char *key_path;
	struct config *config;	/* the file plus --set overrides */
	struct store_pool *pool;	/* connections for sessions; thread-safe */
};

struct instance_init {
	const char *dir;
	const char *domain;		/* the primary mail domain */
	const char *admin_address;	/* NULL: admin@domain */
	const char *admin_password;	/* NULL: generate one */
	const char *const *overrides;	/* "section.key=value" */
	size_t override_count;
	int64_t now;
};

/*
 * Makes a new instance: config file with every setting, a store with the
 * service organisation and a first Global Admin, and a self-signed TLS
 * certificate. Refuses a directory that already holds an instance. On any
 * failure nothing is left behind. *password_r receives the admin's password
 * (generated or given) in a heap buffer the caller wipes and frees.
 */
int instance_create(const struct instance_init *init, char **password_r,
	struct error *err);

/*
 * Opens an existing instance: reads its config file and applies the
 * overrides. ERROR_NOT_FOUND, saying how to make one, if dir has none.
 */
struct instance *instance_open(const char *dir, const char *const *overrides,
	size_t override_count, struct error *err);
void instance_close(struct instance **inst);

/* A new store connection for the calling thread. */
struct store *instance_store(const struct instance *inst, struct error *err);

/*
 * A pooled connection for one session, given back with
 * instance_store_return. For servers, where sessions come and go quickly.
 */
struct store *instance_store_borrow(const struct instance *inst,
	struct error *err);
void instance_store_return(const struct instance *inst, struct store **st);

/*
 * Bytes free for the store on the disk that holds it (statvfs of its
 * directory), for the free-space rule of mail_check_free_space.
 * ERROR_TEMPORARY when that cannot be read.
 */
int instance_free_space(const struct instance *inst, uint64_t *bytes_r,
	struct error *err);

/* Fills a dir_ctx for one request or command. */
void instance_dir_ctx(const struct instance *inst, struct store *st,
	struct arena *a, const char *actor, int64_t now, struct dir_ctx *ctx_r);

/* The ODS code of the service organisation that init creates. */
#define INSTANCE_SERVICE_ODS "SERVICE"

#endif
