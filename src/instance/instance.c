/*
 * Instances: making one (`caremail init`) and opening one. Layer: domain.
 * init is all or nothing: the config file, written last, marks a complete
 * instance, and any failure before it removes what was made.
 */
#include "instance/instance.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "auth/auth.h"
#include "core/arena.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/error.h"
#include "core/file.h"
#include "core/log.h"
#include "core/str.h"
#include "core/tls.h"
#include "core/xmalloc.h"
#include "dir/dir.h"
#include "dir/dir_address.h"
#include "instance/instance_internal.h"
#include "mail/mail_notice.h"
#include "store/store.h"

#define INSTANCE_PASSWORD_LENGTH 20
/* Idle connections kept for sessions; more are opened and closed on demand. */
#define INSTANCE_POOL_IDLE 64

static void
instance_resolve_paths(struct instance *inst)
{
	inst->config_path = instance_path_join(inst->dir, INSTANCE_CONFIG_FILE);
	if (strcmp(config_get_str(inst->config, "store.backend"),
		    "postgresql") == 0) {
		/* A URL, not a file; messages are spooled in the instance. */
		inst->store_path = xstrdup(config_get_str(inst->config,
			"store.path"));
		inst->spool_dir = xstrdup(inst->dir);
	} else {
		inst->store_path = instance_path_join(inst->dir,
			config_get_str(inst->config, "store.path"));
		inst->spool_dir = xstrdup(inst->store_path);
		char *slash = strrchr(inst->spool_dir, '/');
		if (slash == NULL)
			snprintf(inst->spool_dir, strlen(inst->spool_dir) + 1,
				".");
		else if (slash == inst->spool_dir)
			slash[1] = '\0';
		else
			*slash = '\0';
	}
	inst->cert_path = instance_path_join(inst->dir,
		config_get_str(inst->config, "tls.cert"));
	inst->key_path = instance_path_join(inst->dir,
		config_get_str(inst->config, "tls.key"));
	inst->dkim_dir = instance_path_join(inst->dir,
		config_get_str(inst->config, "dkim.dir"));
	inst->audit_key_path = instance_path_join(inst->dir,
		config_get_str(inst->config, "audit.key"));
	inst->audit_anchor_path = instance_path_join(inst->dir,
		config_get_str(inst->config, "audit.anchor"));
	inst->seal_key_path = instance_path_join(inst->dir,
		config_get_str(inst->config, "secure.key"));
}

/*
 * The key that wraps each encrypted message's key (SPEC M10), made the
 * first time an instance is opened without one: an instance made before
 * the portal gets one then, with no message yet sealed under another.
 */
static int
seal_key_load(struct instance *inst, struct error *err)
{
	struct error inner;
	if (instance_key_read(inst->seal_key_path, "message-sealing",
		    inst->seal_key, &inner) == 0)
		return 0;
	if (inner.code != ERROR_NOT_FOUND)
		return error_forward(err, &inner);
	return instance_key_create(inst->seal_key_path, "message-sealing",
		inst->seal_key, err);
}

/*
 * Holds the instance's lock shared while it is open (instance.h), so a
 * restore sees the instance is in use. A directory this user cannot
 * write in gets no lock file: a restore there could not write either.
 */
static int
instance_lock_shared(struct instance *inst, struct error *err)
{
	char *path = instance_path_join(inst->dir, INSTANCE_LOCK_FILE);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);
	free(path);
	if (fd < 0)
		return 0;
	if (flock(fd, LOCK_SH | LOCK_NB) == 0) {
		inst->lock_fd = fd;
		return 0;
	}
	int saved = errno;
	close(fd);
	if (saved == EWOULDBLOCK)
		return error_set(err, ERROR_TEMPORARY, "the instance in %s is "
			"being restored; try again when caremail restore has "
			"finished", inst->dir);
	return 0;
}

static int
apply_overrides(struct config *c, const char *const *overrides, size_t count,
	struct error *err)
{
	for (size_t i = 0; i < count; i++) {
		if (config_set(c, overrides[i], err) < 0)
			return -1;
	}
	return 0;
}

struct instance *
instance_open(const char *dir, const char *const *overrides,
	size_t override_count, struct error *err)
{
	struct instance *inst = xcalloc(1, sizeof(*inst));
	inst->lock_fd = -1;
	inst->dir = xstrdup(dir);
	inst->config = config_new();
	char *config_path = instance_path_join(dir, INSTANCE_CONFIG_FILE);
	struct error inner;
	int rc = config_load_file(inst->config, config_path, &inner);
	free(config_path);
	if (rc < 0 && inner.code == ERROR_NOT_FOUND)
		error_set(err, ERROR_NOT_FOUND,
			"there is no caremail instance in %s; make one with "
			"caremail init --dir %s --domain DOMAIN", dir, dir);
	else if (rc < 0)
		error_forward(err, &inner);
	if (rc < 0 || apply_overrides(inst->config, overrides, override_count,
			      err) < 0 || instance_lock_shared(inst, err) < 0) {
		instance_close(&inst);
		return NULL;
	}
	instance_resolve_paths(inst);
	inst->pool = store_pool_new(config_get_str(inst->config, "store.backend"),
		inst->store_path,
		(int)config_get_int(inst->config, "store.busy_timeout_ms"),
		INSTANCE_POOL_IDLE);
	store_pool_set_runs_cache(inst->pool, (size_t)config_get_int(
		inst->config, "store.search_cache_mb") * 1024);
	enum log_level level;
	if (log_level_parse(config_get_str(inst->config, "log.level"), &level))
		log_set_level(level);
	if (instance_audit_load(inst, clock_now(), err) < 0 ||
	    seal_key_load(inst, err) < 0 || instance_blobs_open(inst, err) < 0)
		instance_close(&inst);
	return inst;
}

void
instance_close(struct instance **instp)
{
	if (instp == NULL || *instp == NULL)
		return;
	struct instance *inst = *instp;
	free(inst->dir);
	free(inst->config_path);
	free(inst->store_path);
	free(inst->spool_dir);
	free(inst->cert_path);
	free(inst->key_path);
	free(inst->dkim_dir);
	free(inst->audit_key_path);
	free(inst->audit_anchor_path);
	sodium_memzero(inst->audit_key, sizeof(inst->audit_key));
	free(inst->seal_key_path);
	sodium_memzero(inst->seal_key, sizeof(inst->seal_key));
	store_pool_free(&inst->pool);
	instance_blobs_close(inst);
	config_free(&inst->config);
	if (inst->lock_fd >= 0)
		close(inst->lock_fd);
	free(inst);
	*instp = NULL;
}

int
instance_free_space(const struct instance *inst, uint64_t *bytes_r,
	struct error *err)
{
	/*
	 * The spool's directory: SQLite's file and its -wal file are there;
	 * with PostgreSQL, the messages being received are.
	 */
	struct statvfs v;
	if (statvfs(inst->spool_dir, &v) < 0)
		return error_set(err, ERROR_TEMPORARY,
			"cannot see the free space of the store's disk: %s",
			strerror(errno));
	/* f_bavail: what an unprivileged writer such as SQLite may use. */
	*bytes_r = (uint64_t)v.f_bavail * (uint64_t)v.f_frsize;
	return 0;
}

void
instance_dir_ctx(const struct instance *inst, struct store *st,
	struct arena *a, const char *actor, int64_t now, struct dir_ctx *ctx_r)
{
	*ctx_r = (struct dir_ctx){
		.store = st,
		.config = inst->config,
		.actor = actor,
		.now = now,
		.arena = a,
		.audit_key = inst->audit_key,
		.seal_key = inst->seal_key,
		.instance_dir = inst->dir,
	};
}

/* The service organisation and its first Global Admin, in one transaction. */
static int
seed_directory(const struct dir_ctx *ctx, const char *admin_address,
	const char *password, struct error *err)
{
	struct dir_org_fields org = {
		.ods = INSTANCE_SERVICE_ODS,
		.name = "Service administration",
		.type = "service provider",
		.description = "The organisation that runs this caremail "
			       "instance. Global Admins belong here.",
	};
	struct dir_person_fields admin = {
		.org_ods = INSTANCE_SERVICE_ODS,
		.first_name = "Global",
		.last_name = "Admin",
		.address = admin_address,
		.job_title = "Global Administrator",
		.mobile_hidden = -1,
	};
	struct store_org org_r;
	struct store_person admin_r;
	if (store_begin(ctx->store, err) < 0)
		return -1;
	if (dir_org_add(ctx, &org, &org_r, err) < 0 ||
	    dir_person_add(ctx, &admin, &admin_r, err) < 0 ||
	    dir_role_add(ctx, admin_r.address, INSTANCE_SERVICE_ODS,
		    "global_admin", err) < 0 ||
	    auth_password_set(ctx, admin_r.address, password, true, err) < 0) {
		store_rollback(ctx->store);
		return -1;
	}
	return store_commit(ctx->store, err);
}

static int
write_config(const struct instance *inst, struct error *err)
{
	char *text = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&text, &len);
	if (mem == NULL)
		return error_set(err, ERROR_INTERNAL,
			"cannot build the config file");
	config_write(inst->config, mem);
	fclose(mem);
	int rc = file_write_atomic(inst->config_path, text, len, 0640, err);
	free(text);
	return rc;
}

/* Removes what a failed init made, leaving the directory as it was. */
static void
undo_create(const struct instance *inst, bool made_dir)
{
	const char *suffixes[] = { "", "-wal", "-shm" };
	for (size_t i = 0; i < 3; i++) {
		char path[4096];
		snprintf(path, sizeof(path), "%s%s", inst->store_path,
			suffixes[i]);
		unlink(path);
	}
	unlink(inst->cert_path);
	unlink(inst->key_path);
	unlink(inst->audit_key_path);
	unlink(inst->audit_anchor_path);
	char tls_dir[4096];
	snprintf(tls_dir, sizeof(tls_dir), "%s/tls", inst->dir);
	rmdir(tls_dir);
	if (made_dir)
		rmdir(inst->dir);
}

static int
check_init_request(const struct instance_init *init, struct dir_address *admin,
	struct error *err)
{
	char domain[DIR_ADDRESS_DOMAIN_MAX + 1];
	struct error inner;
	if (init->domain == NULL ||
	    dir_address_check_domain(span_from_cstr(init->domain), domain,
		    sizeof(domain), &inner) < 0)
		return error_set_field(err, ERROR_INVALID, "domain",
			"--domain needs a mail domain such as trust.nhs.example: "
			"%s", init->domain == NULL ? "none was given" : inner.msg);
	char fallback[DIR_ADDRESS_DOMAIN_MAX + 8];
	snprintf(fallback, sizeof(fallback), "admin@%s", domain);
	const char *address = init->admin_address != NULL ?
		init->admin_address : fallback;
	if (dir_address_parse(span_from_cstr(address), admin, &inner) < 0)
		return error_set_field(err, ERROR_INVALID, "admin",
			"the admin address is not valid: %s", inner.msg);
	if (strcmp(dir_address_domain(admin), domain) != 0)
		return error_set_field(err, ERROR_INVALID, "admin",
			"the admin address must be in %s", domain);
	/* The admin person made below is "Global Admin" at this address. */
	struct auth_password_owner owner = { address, "Global", "Admin",
		NULL };
	if (init->admin_password != NULL &&
	    auth_password_check_policy(init->admin_password, &owner, err) < 0)
		return -1;
	return 0;
}

static int
create_store_and_tls(struct instance *inst, const struct instance_init *init,
	const char *admin_address, const char *password, struct error *err)
{
	char tls_dir[4096];
	snprintf(tls_dir, sizeof(tls_dir), "%s/tls", inst->dir);
	if (file_make_dirs(tls_dir, 0700, err) < 0 ||
	    instance_audit_create(inst, init->now, err) < 0)
		return -1;
	struct store *st = store_open(config_get_str(inst->config,
					      "store.backend"),
		inst->store_path, true,
		(int)config_get_int(inst->config, "store.busy_timeout_ms"), err);
	if (st == NULL)
		return -1;
	struct arena *a = arena_new(16 * 1024 * 1024);
	struct dir_ctx ctx;
	instance_dir_ctx(inst, st, a, "system", init->now, &ctx);
	int rc = seed_directory(&ctx, admin_address, password, err);
	arena_free(&a);
	store_close(&st);
	if (rc < 0)
		return -1;
	return tls_make_self_signed(inst->cert_path, inst->key_path,
		init->domain, init->now, err);
}

static char *
choose_password(const struct instance_init *init)
{
	if (init->admin_password != NULL)
		return xstrdup(init->admin_password);
	char *generated = xmalloc(INSTANCE_PASSWORD_LENGTH + 1);
	auth_password_generate(generated, INSTANCE_PASSWORD_LENGTH);
	return generated;
}

static void
free_secret(char **secret)
{
	if (*secret == NULL)
		return;
	sodium_memzero(*secret, strlen(*secret));
	free(*secret);
	*secret = NULL;
}

static struct instance *
prepare_instance(const struct instance_init *init, struct error *err)
{
	struct instance *inst = xcalloc(1, sizeof(*inst));
	inst->lock_fd = -1;
	inst->dir = xstrdup(init->dir);
	inst->config = config_new();
	char domain[DIR_ADDRESS_DOMAIN_MAX + 1];
	if (str_copy(domain, sizeof(domain), init->domain) < 0)
		abort();	/* check_init_request bounded it */
	str_lower_inplace(domain);
	if (config_set_value(inst->config, "mail.domains", domain, err) < 0 ||
	    apply_overrides(inst->config, init->overrides,
		    init->override_count, err) < 0) {
		instance_close(&inst);
		return NULL;
	}
	instance_resolve_paths(inst);
	return inst;
}

int
instance_create(const struct instance_init *init, char **password_r,
	struct error *err)
{
	struct dir_address admin;
	if (init->dir == NULL || init->dir[0] == '\0')
		return error_set_field(err, ERROR_INVALID, "dir",
			"--dir needs the directory to make the instance in");
	if (check_init_request(init, &admin, err) < 0)
		return -1;
	struct instance *inst = prepare_instance(init, err);
	if (inst == NULL)
		return -1;
	if (file_exists(inst->config_path) || file_exists(inst->store_path) ||
	    file_exists(inst->audit_key_path)) {
		instance_close(&inst);
		return error_set(err, ERROR_EXISTS,
			"%s already holds a caremail instance; choose an empty "
			"directory", init->dir);
	}
	/* From here on, a failure removes only what this call made. */
	bool made_dir = !file_exists(init->dir);
	char *password = choose_password(init);
	int rc = file_make_dirs(init->dir, 0750, err);
	if (rc == 0)
		rc = create_store_and_tls(inst, init, admin.text, password, err);
	if (rc == 0) {
		/* The notice templates, for an operator to edit (P12). */
		char *templates = instance_path_join(inst->dir, "templates");
		rc = mail_notice_write_defaults(templates, err);
		free(templates);
	}
	if (rc == 0)
		rc = write_config(inst, err);
	if (rc < 0)
		undo_create(inst, made_dir);
	if (rc == 0)
		*password_r = password;
	else
		free_secret(&password);
	instance_close(&inst);
	return rc;
}
