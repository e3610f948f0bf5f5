/* The shared unit-test instance (see unit_instance.h). */
#include "unit_instance.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/arena.h"
#include "core/config.h"
#include "core/error.h"
#include "store/store.h"
#include "store/store_folder.h"
#include "store/store_mail.h"
#include "store/store_mailbox.h"
#include "store/store_org.h"

/* A fixed audit key: the tests' rows are chained like an instance's. */
static const unsigned char unit_audit_key[STORE_AUDIT_KEY_BYTES] = {
	'u', 'n', 'i', 't'
};
/* And a fixed sealing key (secure.key) for encrypted messages. */
static const unsigned char unit_seal_key[32] = { 's', 'e', 'a', 'l' };

/* Runs sql on db, which must answer with status want: 0, or -1 (said
 * on stderr). */
static int
pg_exec(PGconn *db, const char *sql, ExecStatusType want)
{
	PGresult *res = PQstatus(db) == CONNECTION_OK ? PQexec(db, sql) : NULL;
	int rc = res != NULL && PQresultStatus(res) == want ? 0 : -1;
	if (rc < 0)
		fprintf(stderr, "unit_instance: %s: %s", sql,
			PQerrorMessage(db));
	PQclear(res);
	return rc;
}

/* Runs sql on the cluster's own database; 0 or -1 (said on stderr). */
static int
pg_admin(const char *url, const char *sql)
{
	PGconn *db = PQconnectdb(url);
	int rc = pg_exec(db, sql, PGRES_COMMAND_OK);
	PQfinish(db);
	return rc;
}

/*
 * The cluster's database at every migration, made once for all the tests
 * (the first to need it makes it, the others wait on an advisory lock):
 * each test's database is a copy of it, as applying the 37 migrations to
 * each took some 0.6 s of the server's CPU. Its one random value, the
 * People Finder feed's stamp, is then every copy's; no unit test
 * compares two databases' stamps. 0 or -1 (said on stderr).
 */
#define UNIT_PG_TEMPLATE "unit_template"

static int
pg_template_make(PGconn *admin, const char base[400])
{
	PGresult *res = PQexec(admin, "SELECT 1 FROM pg_database WHERE"
		" datname = '" UNIT_PG_TEMPLATE "'");
	int made = res != NULL && PQresultStatus(res) == PGRES_TUPLES_OK &&
		PQntuples(res) == 1;
	PQclear(res);
	if (made)
		return 0;
	if (pg_exec(admin, "CREATE DATABASE " UNIT_PG_TEMPLATE,
	    PGRES_COMMAND_OK) < 0)
		return -1;
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", base, UNIT_PG_TEMPLATE);
	struct error err;
	struct store *st = store_open("postgresql", path, true, 1000, &err);
	if (st == NULL) {
		fprintf(stderr, "unit_instance: %s: %s\n", path, err.msg);
		return -1;
	}
	store_close(&st);
	return 0;
}

/* A new database for this test in the cluster, a copy of the template;
 * its URL in u->path. */
static int
pg_database_make(struct unit_instance *u)
{
	static int made;
	const char *url = getenv("CAREMAIL_TEST_PG_URL");
	if (url == NULL || url[0] == '\0') {
		fprintf(stderr, "unit_instance: CAREMAIL_TEST_PG_URL is not set "
			"(scripts/pgcluster.sh start DIR prints one): skipped\n");
		exit(77);
	}
	const char *slash = strrchr(url, '/');
	char base[400];		/* the cluster's URL without its database */
	if (slash == NULL || slash - url < 14 ||
	    slash - url >= (long)sizeof(base))
		return -1;
	snprintf(base, sizeof(base), "%.*s", (int)(slash - url), url);
	snprintf(u->pg_name, sizeof(u->pg_name), "unit_%ld_%d",
		(long)getpid(), ++made);
	/* One connection holds the lock, makes the template if need be and
	 * copies it: the copy under the lock too, as CREATE DATABASE refuses
	 * a template another session is still connected to. */
	PGconn *admin = PQconnectdb(url);
	char sql[160];
	snprintf(sql, sizeof(sql), "CREATE DATABASE %s TEMPLATE "
		UNIT_PG_TEMPLATE, u->pg_name);
	int rc = pg_exec(admin, "SELECT pg_advisory_lock(14014)",
		PGRES_TUPLES_OK) < 0 || pg_template_make(admin, base) < 0 ||
		pg_exec(admin, sql, PGRES_COMMAND_OK) < 0 ? -1 : 0;
	PQfinish(admin);	/* and so the lock */
	if (rc < 0)
		return -1;
	snprintf(u->path, sizeof(u->path), "%s/%s", base, u->pg_name);
	return 0;
}

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
	u->pg_name[0] = '\0';
	const char *backend = getenv("CAREMAIL_TEST_BACKEND");
	if (backend != NULL && strcmp(backend, "postgresql") == 0) {
		if (pg_database_make(u) < 0)
			return -1;
		backend = "postgresql";
	} else {
		backend = "sqlite";
	}
	u->backend = backend;
	u->st = store_open(backend, u->path, true, 1000, &err);
	if (u->st == NULL)
		fprintf(stderr, "unit_instance: %s\n", err.msg);
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
	if (u->pg_name[0] != '\0') {
		char sql[128];
		snprintf(sql, sizeof(sql), "DROP DATABASE %s WITH (FORCE)",
			u->pg_name);
		if (pg_admin(getenv("CAREMAIL_TEST_PG_URL"), sql) < 0)
			return -1;
	}
	char cmd[200];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", u->dir);
	return system(cmd) == 0 ? 0 : -1;
}

int64_t
unit_instance_inbox(struct unit_instance *u, const char *ods,
	struct error *err)
{
	struct store_org o = { .ods = ods, .name = ods, .type = "",
		.postal_address = "", .description = "", .website = "",
		.helpdesk_phone = "", .helpdesk_email = "",
		.default_quota_mb = 100, .created_at = 1, .updated_at = 1 };
	if (store_org_insert(u->st, &o, err) < 0)
		return -1;
	struct store_mailbox m = { .kind = STORE_MAILBOX_SHARED,
		.org_id = o.id, .address = "box@example.org",
		.display_name = "Box", .quota_mb = 10,
		.status = STORE_MAILBOX_ACTIVE, .created_at = 1,
		.updated_at = 1 };
	if (store_mailbox_insert(u->st, &m, err) < 0)
		return -1;
	struct store_folder folder = { .mailbox_id = m.id, .name = "INBOX",
		.special_use = "inbox", .uidvalidity = 1795000000,
		.subscribed = true, .created_at = 1 };
	if (store_folder_create(u->st, &folder, err) < 0)
		return -1;
	return folder.id;
}
