/*
 * `caremail backup`: one consistent copy of a running instance. The audit
 * anchor is copied first, then the store through its online backup (one
 * moment of it, servers writing on), then every other file of the
 * instance directory, each hashed as it is copied; the manifest is
 * written last, and the whole directory renamed into place. Layer: domain
 * (SPEC S4; docs/backup.md describes the layout and what is left out).
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/config.h"
#include "core/error.h"
#include "core/file.h"
#include "core/str.h"
#include "instance/instance.h"
#include "instance/instance_internal.h"
#include "store/store.h"
#include "store/store_backup.h"
#include "store/store_blob.h"

_Static_assert(INSTANCE_BACKUP_TABLES == STORE_BACKUP_TABLES,
	"a backup's report holds every table the store counts");

struct backup_run {
	const struct instance *inst;
	struct instance_backup_report *r;
	char real_dir[PATH_MAX];	/* the instance directory, resolved */
	char tmp[PATH_MAX];		/* the backup while it is made */
	char files_dir[PATH_MAX];	/* tmp/instance */
	char store_rel[PATH_MAX];	/* the store, from the instance dir */
	char anchor_rel[PATH_MAX];	/* the anchor likewise; "" outside */
	char key_rel[PATH_MAX];		/* the audit key likewise */
	char blobs_tmp_rel[PATH_MAX];	/* the blob directory's tmp/; "" */
	bool without_key;		/* key_rel left out on purpose */
	json_t *files;			/* the manifest's list */
};

static void warn(struct backup_run *run, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
warn(struct backup_run *run, const char *fmt, ...)
{
	struct instance_backup_report *r = run->r;
	if (r->warning_count < INSTANCE_BACKUP_WARNINGS) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(r->warnings[r->warning_count],
			sizeof(r->warnings[0]), fmt, ap);
		va_end(ap);
	}
	r->warning_count++;
}

/* The directory that holds path: "." for a bare name, "/" for "/x". */
static void
parent_of(const char *path, char *out, size_t size)
{
	if (str_copy(out, size, path) < 0) {
		str_copy(out, size, ".");
		return;
	}
	char *slash = strrchr(out, '/');
	if (slash == NULL)
		str_copy(out, size, ".");
	else if (slash == out)
		slash[1] = '\0';
	else
		*slash = '\0';
}

/*
 * path's place inside the instance directory, into rel (resolving links
 * and "..", so a path that only looks inside is not taken for inside);
 * false when it lies outside or does not exist.
 */
static bool
inside_dir(const struct backup_run *run, const char *path, char *rel,
	size_t size)
{
	char real[PATH_MAX];
	if (realpath(path, real) == NULL)
		return false;
	size_t n = strlen(run->real_dir);
	if (strncmp(real, run->real_dir, n) != 0 || real[n] != '/')
		return false;
	return str_copy(rel, size, real + n + 1) == 0;
}

static json_t *
mode_json(mode_t mode)
{
	char text[8];
	snprintf(text, sizeof(text), "%04o", (unsigned)(mode & 07777));
	return json_string(text);
}

/* The parent directories of rel inside the copy, owner-only for now. */
static int
make_parents(const struct backup_run *run, const char *rel, struct error *err)
{
	char path[PATH_MAX];
	if (instance_path_under(path, sizeof(path), run->files_dir, rel, err) < 0)
		return -1;
	char *slash = strrchr(path, '/');
	*slash = '\0';
	return file_make_dirs(path, 0700, err);
}

static int
add_file(struct backup_run *run, const char *rel, const char *hex,
	uint64_t size, mode_t mode)
{
	json_array_append_new(run->files, json_pack("{s:s, s:s, s:I, s:o, s:s}",
		"path", rel, "type", "file", "size", (json_int_t)size,
		"mode", mode_json(mode), "sha256", hex));
	run->r->files++;
	run->r->bytes += size;
	return 0;
}

static int
copy_file(struct backup_run *run, const char *rel, const char *from,
	mode_t mode, struct error *err)
{
	char to[PATH_MAX], hex[INSTANCE_SHA256_HEX];
	uint64_t size;
	if (instance_path_under(to, sizeof(to), run->files_dir, rel, err) < 0 ||
	    make_parents(run, rel, err) < 0 ||
	    instance_file_copy(from, to, mode, hex, &size, err) < 0)
		return -1;
	return add_file(run, rel, hex, size, mode);
}

/*
 * The anchor before the store: it names the newest audit row a check has
 * seen, so the copy of the store, taken after, holds that row, and the
 * restored chain verifies against it.
 */
static int
copy_anchor(struct backup_run *run, struct error *err)
{
	const char *path = run->inst->audit_anchor_path;
	if (!inside_dir(run, path, run->anchor_rel, sizeof(run->anchor_rel))) {
		run->anchor_rel[0] = '\0';
		if (file_exists(path))
			warn(run, "audit.anchor (%s) lies outside the instance "
				"directory and is not in this backup", path);
		return 0;
	}
	struct stat sb;
	if (stat(path, &sb) < 0)
		return error_set(err, ERROR_TEMPORARY, "cannot read %s: %s",
			path, strerror(errno));
	return copy_file(run, run->anchor_rel, path, sb.st_mode, err);
}

static void
copy_tables(struct instance_backup_report *r, json_t *tables,
	const struct store_backup_info *info)
{
	r->schema_version = info->schema_version;
	for (size_t i = 0; i < STORE_BACKUP_TABLES; i++) {
		str_copy(r->tables[i].name, sizeof(r->tables[i].name),
			info->counts[i].table);
		r->tables[i].rows = info->counts[i].rows;
		json_object_set_new(tables, info->counts[i].table,
			json_integer(info->counts[i].rows));
	}
}

static int
copy_store(struct backup_run *run, json_t *tables, struct error *err)
{
	char to[PATH_MAX];
	if (instance_path_under(to, sizeof(to), run->files_dir, run->store_rel,
		    err) < 0 || make_parents(run, run->store_rel, err) < 0)
		return -1;
	struct store *st = instance_store(run->inst, err);
	if (st == NULL)
		return -1;
	struct store_backup_info info;
	int rc = store_backup(st, to, &info, err);
	instance_store_close(&st);
	if (rc < 0)
		return -1;
	copy_tables(run->r, tables, &info);
	char hex[INSTANCE_SHA256_HEX];
	uint64_t size;
	if (instance_file_hash(to, hex, &size, err) < 0)
		return -1;
	return add_file(run, run->store_rel, hex, size, 0600);
}

/* Names the walk leaves out: the live store, the lock, spool files. */
static bool
left_out(const struct backup_run *run, const char *dir_rel, const char *name,
	const char *rel)
{
	static const char *const store_sides[] = { "", "-wal", "-shm",
		"-journal" };
	size_t n = strlen(run->store_rel);
	for (size_t i = 0; i < 4; i++) {
		if (strncmp(rel, run->store_rel, n) == 0 &&
		    strcmp(rel + n, store_sides[i]) == 0)
			return true;
	}
	if (run->anchor_rel[0] != '\0' && strcmp(rel, run->anchor_rel) == 0)
		return true;	/* copied before the store */
	if (run->without_key && strcmp(rel, run->key_rel) == 0)
		return true;
	/* Blobs being written (store_blob_dir.c): whole ones are named. */
	if (run->blobs_tmp_rel[0] != '\0' &&
	    strcmp(dir_rel, run->blobs_tmp_rel) == 0)
		return true;
	if (dir_rel[0] == '\0' && strcmp(name, INSTANCE_LOCK_FILE) == 0)
		return true;
	/* A message arriving (core/spool.c), beside the store. */
	const char *slash = strrchr(run->store_rel, '/');
	size_t store_dir_len = slash == NULL ? 0 :
		(size_t)(slash - run->store_rel);
	return strncmp(name, "spool.", 6) == 0 &&
		strlen(dir_rel) == store_dir_len &&
		strncmp(dir_rel, run->store_rel, store_dir_len) == 0;
}

static int walk(struct backup_run *run, const char *dir_rel,
	struct error *err);

static int
walk_entry(struct backup_run *run, const char *dir_rel, const char *name,
	struct error *err)
{
	char rel[PATH_MAX], from[PATH_MAX];
	int n = dir_rel[0] == '\0' ?
		snprintf(rel, sizeof(rel), "%s", name) :
		snprintf(rel, sizeof(rel), "%s/%s", dir_rel, name);
	if (n < 0 || (size_t)n >= sizeof(rel))
		return error_set(err, ERROR_LIMIT, "a path in %s is too long",
			run->inst->dir);
	if (left_out(run, dir_rel, name, rel))
		return 0;
	if (instance_path_under(from, sizeof(from), run->real_dir, rel, err) < 0)
		return -1;
	struct stat sb;
	if (lstat(from, &sb) < 0)
		return errno == ENOENT ? 0 : error_set(err, ERROR_TEMPORARY,
			"cannot read %s: %s", from, strerror(errno));
	if (S_ISREG(sb.st_mode))
		return copy_file(run, rel, from, sb.st_mode, err);
	if (!S_ISDIR(sb.st_mode)) {
		warn(run, "%s is a link or special file and is not in this "
			"backup", from);
		return 0;
	}
	char to[PATH_MAX];
	if (instance_path_under(to, sizeof(to), run->files_dir, rel, err) < 0 ||
	    file_make_dirs(to, 0700, err) < 0)
		return -1;
	json_array_append_new(run->files, json_pack("{s:s, s:s, s:o}",
		"path", rel, "type", "dir", "mode", mode_json(sb.st_mode)));
	return walk(run, rel, err);
}

static int
walk(struct backup_run *run, const char *dir_rel, struct error *err)
{
	char path[PATH_MAX];
	if (dir_rel[0] == '\0')
		str_copy(path, sizeof(path), run->real_dir);
	else if (instance_path_under(path, sizeof(path), run->real_dir, dir_rel,
			 err) < 0)
		return -1;
	struct dirent **names;
	/* Sorted, so two backups of one instance list files alike. */
	int count = scandir(path, &names, NULL, alphasort);
	if (count < 0)
		return error_set(err, ERROR_TEMPORARY, "cannot list %s: %s",
			path, strerror(errno));
	int rc = 0;
	for (int i = 0; i < count; i++) {
		const char *name = names[i]->d_name;
		if (rc == 0 && strcmp(name, ".") != 0 &&
		    strcmp(name, "..") != 0)
			rc = walk_entry(run, dir_rel, name, err);
		free(names[i]);
	}
	free(names);
	return rc;
}

/*
 * Bodies outside the store ([blobs], docs/blobs.md). A blob directory in
 * the instance directory is copied by the walk, after the store: a blob
 * the copy of the store names is still there then, since a forgotten
 * body's blob is kept a day (jobs_bodies.c). One elsewhere, or an S3
 * bucket, is the operator's to keep.
 */
static void
note_blobs(struct backup_run *run)
{
	const struct instance *inst = run->inst;
	run->blobs_tmp_rel[0] = '\0';
	if (inst->blobs_dir != NULL) {
		char rel[PATH_MAX - 8];
		if (inside_dir(run, inst->blobs_dir, rel, sizeof(rel)))
			snprintf(run->blobs_tmp_rel,
				sizeof(run->blobs_tmp_rel), "%s/tmp", rel);
		else
			warn(run, "blobs.path (%s) lies outside the instance "
				"directory and is not in this backup: copy it "
				"after this backup (blobs never change)",
				inst->blobs_dir);
	} else if (inst->blobs != NULL)
		warn(run, "message bodies in the %s blob store are not in "
			"this backup: keep the bucket versioned or replicated "
			"(docs/blobs.md)", store_blobs_name(inst->blobs));
}

/* Files the instance names outside its directory: kept by hand. */
static void
note_outside(struct backup_run *run)
{
	const struct {
		const char *setting;
		const char *path;
	} named[] = {
		{ "tls.cert", run->inst->cert_path },
		{ "tls.key", run->inst->key_path },
		{ "audit.key", run->inst->audit_key_path },
		{ "secure.key", run->inst->seal_key_path },
		{ "dkim.dir", run->inst->dkim_dir },
	};
	for (size_t i = 0; i < sizeof(named) / sizeof(*named); i++) {
		char rel[PATH_MAX];
		if (file_exists(named[i].path) &&
		    !inside_dir(run, named[i].path, rel, sizeof(rel)))
			warn(run, "%s (%s) lies outside the instance directory "
				"and is not in this backup", named[i].setting,
				named[i].path);
	}
}

static int
write_manifest(struct backup_run *run, json_t *tables, const char *version,
	int64_t now, struct error *err)
{
	char created[32];
	clock_format_iso(now, created, sizeof(created));
	json_t *left = json_array();
	for (size_t i = 0; i < run->r->warning_count &&
	     i < INSTANCE_BACKUP_WARNINGS; i++)
		json_array_append_new(left, json_string(run->r->warnings[i]));
	json_t *m = json_pack("{s:s, s:i, s:s, s:s, s:I, s:s, "
			      "s:{s:s, s:s, s:i}, s:{s:s?, s:b}, "
			      "s:O, s:O, s:o}",
		"format", INSTANCE_BACKUP_FORMAT,
		"format_version", INSTANCE_BACKUP_FORMAT_VERSION,
		"caremail_version", version,
		"created", created, "created_unix", (json_int_t)now,
		"source_dir", run->real_dir,
		"store", "backend", "sqlite", "path", run->store_rel,
		"schema_version", run->r->schema_version,
		"audit_key", "path", run->key_rel[0] != '\0' ? run->key_rel :
			NULL, "in_backup", run->key_rel[0] != '\0' &&
			!run->without_key,
		"tables", tables, "files", run->files, "left_out", left);
	char *text = json_dumps(m, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
	json_decref(m);
	char path[PATH_MAX];
	int rc = instance_path_under(path, sizeof(path), run->tmp,
		INSTANCE_BACKUP_MANIFEST, err);
	if (rc == 0)
		rc = file_write_new(path, text, strlen(text), 0600, err);
	free(text);
	return rc;
}

/* Every directory of the copy flushed, deepest first, then the top. */
static int
sync_dirs(struct backup_run *run, struct error *err)
{
	for (size_t i = json_array_size(run->files); i-- > 0;) {
		json_t *e = json_array_get(run->files, i);
		if (strcmp(json_string_value(json_object_get(e, "type")),
			    "dir") != 0)
			continue;
		char path[PATH_MAX];
		if (instance_path_under(path, sizeof(path), run->files_dir,
			    json_string_value(json_object_get(e, "path")),
			    err) < 0 ||
		    instance_dir_sync(path, err) < 0)
			return -1;
	}
	if (instance_dir_sync(run->files_dir, err) < 0)
		return -1;
	return instance_dir_sync(run->tmp, err);
}

/* The copy's directories get the instance's modes, now they are full. */
static void
set_dir_modes(struct backup_run *run)
{
	for (size_t i = 0; i < json_array_size(run->files); i++) {
		json_t *e = json_array_get(run->files, i);
		if (strcmp(json_string_value(json_object_get(e, "type")),
			    "dir") != 0)
			continue;
		char path[PATH_MAX];
		struct error ignored;
		if (instance_path_under(path, sizeof(path), run->files_dir,
			    json_string_value(json_object_get(e, "path")),
			    &ignored) == 0)
			chmod(path, (mode_t)strtol(json_string_value(
				json_object_get(e, "mode")), NULL, 8) | 0700);
	}
}

/* The target's parent, resolved, and where the temporary copy goes. */
static int
check_target(struct backup_run *run, const char *target, struct error *err)
{
	struct stat sb;
	if (lstat(target, &sb) == 0)
		return error_set(err, ERROR_EXISTS, "%s already exists; a "
			"backup goes into a new directory", target);
	char parent[PATH_MAX];
	parent_of(target, parent, sizeof(parent));
	char real[PATH_MAX];
	if (realpath(parent, real) == NULL)
		return error_set(err, ERROR_NOT_FOUND, "cannot use %s for the "
			"backup: %s", parent, strerror(errno));
	size_t n = strlen(run->real_dir);
	if (strncmp(real, run->real_dir, n) == 0 &&
	    (real[n] == '/' || real[n] == '\0'))
		return error_set(err, ERROR_INVALID, "%s is inside the "
			"instance directory; keep backups elsewhere (another "
			"disk, ideally)", target);
	int len = snprintf(run->tmp, sizeof(run->tmp), "%s.partial-XXXXXX",
		target);
	/* Room for the files' directory once mkdtemp has named it. */
	if (len < 0 || (size_t)len + sizeof(INSTANCE_BACKUP_FILES) + 1 >=
		    sizeof(run->tmp))
		return error_set(err, ERROR_LIMIT, "the path %s is too long",
			target);
	return 0;
}

static int
check_source(struct backup_run *run, struct error *err)
{
	const struct instance *inst = run->inst;
	if (realpath(inst->dir, run->real_dir) == NULL)
		return error_set(err, ERROR_NOT_FOUND, "cannot use %s: %s",
			inst->dir, strerror(errno));
	if (!inside_dir(run, inst->store_path, run->store_rel,
		    sizeof(run->store_rel)))
		return error_set(err, ERROR_INVALID, "the store %s is not "
			"inside the instance directory %s; caremail backup "
			"copies one instance directory (docs/backup.md)",
			inst->store_path, inst->dir);
	if (!inside_dir(run, inst->audit_key_path, run->key_rel,
		    sizeof(run->key_rel)))
		run->key_rel[0] = '\0';
	if (run->without_key && run->key_rel[0] == '\0')
		return error_set(err, ERROR_INVALID, "the audit key %s is not "
			"in the instance directory, so no backup holds it",
			inst->audit_key_path);
	return 0;
}

static int
make_backup(struct backup_run *run, const char *target, const char *version,
	int64_t now, struct error *err)
{
	if (instance_path_under(run->files_dir, sizeof(run->files_dir), run->tmp,
		    INSTANCE_BACKUP_FILES, err) < 0)
		return -1;
	if (mkdir(run->files_dir, 0700) < 0)
		return error_set(err, ERROR_TEMPORARY, "cannot make %s: %s",
			run->files_dir, strerror(errno));
	json_t *tables = json_object();
	note_blobs(run);
	int rc = copy_anchor(run, err);
	if (rc == 0)
		rc = copy_store(run, tables, err);
	if (rc == 0)
		rc = walk(run, "", err);
	if (rc == 0) {
		note_outside(run);
		set_dir_modes(run);
		rc = write_manifest(run, tables, version, now, err);
	}
	json_decref(tables);
	if (rc == 0)
		rc = sync_dirs(run, err);
	if (rc == 0)
		rc = instance_rename_new(run->tmp, target, err);
	if (rc == 0) {
		/* The new name lasts once its directory is flushed. */
		char parent[PATH_MAX];
		parent_of(target, parent, sizeof(parent));
		rc = instance_dir_sync(parent, err);
	}
	return rc;
}

int
instance_backup(const struct instance *inst,
	const struct instance_backup_options *o,
	struct instance_backup_report *r, struct error *err)
{
	const char *target = o->target;
	memset(r, 0, sizeof(*r));
	r->created = o->now;
	/* Its URL may hold a password: not repeated in the refusal. */
	if (strcmp(config_get_str(inst->config, "store.backend"),
		    "sqlite") != 0)
		return error_set(err, ERROR_INVALID, "caremail backup copies "
			"an instance whose store is SQLite; a PostgreSQL store "
			"is backed up with PostgreSQL's own tools (pg_dump, "
			"pg_basebackup and WAL archiving: docs/backup.md)");
	struct backup_run *run = calloc(1, sizeof(*run));
	if (run == NULL)
		return error_set(err, ERROR_INTERNAL, "out of memory");
	run->inst = inst;
	run->r = r;
	run->without_key = o->without_audit_key;
	int rc = check_source(run, err);
	if (rc == 0)
		rc = check_target(run, target, err);
	/* Owner-only: the copy holds the keys and the password hashes. */
	if (rc == 0 && mkdtemp(run->tmp) == NULL)
		rc = error_set(err, ERROR_TEMPORARY, "cannot make %s: %s",
			run->tmp, strerror(errno));
	if (rc == 0) {
		run->files = json_array();
		rc = make_backup(run, target, o->version, o->now, err);
		if (rc < 0)
			instance_tree_remove(run->tmp);
		json_decref(run->files);
	}
	free(run);
	return rc;
}
