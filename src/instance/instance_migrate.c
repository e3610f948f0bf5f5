/*
 * Moving an instance's store to another backend (issue 14, docs/
 * postgresql.md): `caremail migrate --from sqlite:PATH --to
 * postgresql://...`. Where each store is, in the same words as `init
 * --store`; the copy and its proof are the store's (store_copy.c).
 * Layer: domain.
 */
#include <string.h>

#include "core/error.h"
#include "instance/instance.h"
#include "store/store_copy.h"

int
instance_store_where(const char *text, const char *what,
	const char **backend_r, const char **path_r, struct error *err)
{
	if (text != NULL && (strncmp(text, "postgresql://", 13) == 0 ||
		    strncmp(text, "postgres://", 11) == 0)) {
		*backend_r = "postgresql";
		*path_r = text;
		return 0;
	}
	if (text != NULL && strncmp(text, "sqlite:", 7) == 0 &&
	    text[7] != '\0') {
		*backend_r = "sqlite";
		*path_r = text + 7;
		return 0;
	}
	return error_set_field(err, ERROR_INVALID, what, "--%s is "
		"sqlite:PATH or postgresql://USER@HOST:PORT/DATABASE, not "
		"'%.60s'", what, text != NULL ? text : "");
}

int
instance_migrate(const char *from, const char *to, struct arena *a,
	struct store_copy_report *r, void (*progress)(const char *table,
	int64_t rows, void *arg), void *arg, struct error *err)
{
	const char *from_backend, *from_path, *to_backend, *to_path;
	memset(r, 0, sizeof(*r));
	if (instance_store_where(from, "from", &from_backend, &from_path,
		    err) < 0 ||
	    instance_store_where(to, "to", &to_backend, &to_path, err) < 0)
		return -1;
	if (strcmp(from_backend, to_backend) == 0 &&
	    strcmp(from_path, to_path) == 0)
		return error_set_field(err, ERROR_INVALID, "to",
			"--from and --to are the same store");
	return store_copy(from_backend, from_path, to_backend, to_path, a, r,
		progress, arg, err);
}
