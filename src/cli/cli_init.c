/*
 * `caremail init` makes an instance; `caremail config defaults` prints the
 * config file a fresh instance would get. Layer: front end.
 * SECURITY: the admin password comes from stdin or is generated, is shown
 * once and is wiped from memory after use.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"
#include "cli/cli_internal.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/error.h"
#include "core/str.h"
#include "core/xmalloc.h"
#include "instance/instance.h"

/* The address instance_create gives the first admin, lower-cased. */
static void
admin_address(const char *admin, const char *domain, char *buf, size_t size)
{
	if (admin != NULL)
		snprintf(buf, size, "%s", admin);
	else
		snprintf(buf, size, "admin@%s", domain);
	str_lower_inplace(buf);
}

static void
print_created(const struct cli_args *args, const char *domain,
	const char *admin, const char *password, bool generated)
{
	if (args->json) {
		json_t *j = json_pack("{s:s, s:s, s:s}", "dir", args->dir,
			"domain", domain, "admin", admin);
		if (generated)
			json_object_set_new(j, "password",
				json_string(password));
		cli_print(args, j, NULL);
		return;
	}
	printf("Created an instance in %s for %s.\n", args->dir, domain);
	printf("Global Admin: %s\n", admin);
	if (generated)
		printf("Password: %s\n"
			"Keep this password; it is not shown again.\n",
			password);
}

/* --store WHERE as the settings it stands for, after the --set ones. */
static int
store_settings(const struct cli_args *args, const char *where,
	const char ***sets_r, size_t *count_r, char *backend, char *path,
	size_t size, struct error *err)
{
	*sets_r = args->sets;
	*count_r = args->set_count;
	if (where == NULL)
		return 0;
	const char *name, *place;
	if (instance_store_where(where, "store", &name, &place, err) < 0)
		return -1;
	snprintf(backend, size, "store.backend=%s", name);
	snprintf(path, size, "store.path=%s", place);
	const char **sets = xcalloc(args->set_count + 2, sizeof(*sets));
	for (size_t i = 0; i < args->set_count; i++)
		sets[i] = args->sets[i];
	sets[args->set_count] = backend;
	sets[args->set_count + 1] = path;
	*sets_r = sets;
	*count_r = args->set_count + 2;
	return 0;
}

static int
create(struct cli_args *args, const char *given_password,
	struct error *err)
{
	const char *domain = cli_opt(args, "domain");
	char backend[2048], path[2048];
	const char **sets;
	size_t set_count;
	if (store_settings(args, cli_opt(args, "store"), &sets, &set_count,
		    backend, path, sizeof(path), err) < 0)
		return -1;
	struct instance_init init = {
		.dir = args->dir,
		.domain = domain,
		.admin_address = cli_opt(args, "admin"),
		.admin_password = given_password,
		.overrides = sets,
		.override_count = set_count,
		.now = clock_now(),
	};
	char *password = NULL;
	int made = instance_create(&init, &password, err);
	if (sets != args->sets)
		free(sets);
	if (made < 0)
		return -1;
	char lower_domain[256], admin[320];
	snprintf(lower_domain, sizeof(lower_domain), "%s", domain);
	str_lower_inplace(lower_domain);
	admin_address(init.admin_address, lower_domain, admin, sizeof(admin));
	print_created(args, lower_domain, admin, password,
		given_password == NULL);
	sodium_memzero(password, strlen(password));
	free(password);
	return 0;
}

int
cli_init(struct cli_args *args, struct error *err)
{
	if (args->dir == NULL)
		return cli_usage(args, err,
			"init needs --dir DIR, the directory to make the "
			"instance in");
	if (!cli_flag(args, "admin-password-stdin"))
		return create(args, NULL, err);
	char password[AUTH_PASSWORD_MAX + 3];
	int rc = cli_read_password(password, sizeof(password), err);
	if (rc == 0)
		rc = create(args, password, err);
	sodium_memzero(password, sizeof(password));
	return rc;
}

int
cli_config_defaults(struct cli_args *args, struct error *err)
{
	(void)args;
	(void)err;
	struct config *c = config_new();
	config_write(c, stdout);
	config_free(&c);
	return 0;
}
