/*
 * `caremail restore`: a backup made by instance_backup checked file by
 * file against its manifest before anything is written, copied into a
 * new directory under a temporary name, renamed into place, then opened:
 * its audit chain checked from the first row and its rows counted.
 * Layer: domain (SPEC S4; docs/backup.md).
 * SECURITY: the manifest is input; its paths are taken only when they are
 * plain relative names inside the backup (no "..", no absolute path).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/error.h"
#include "core/file.h"
#include "core/str.h"
#include "instance/instance.h"
#include "instance/instance_internal.h"
#include "store/store.h"
#include "store/store_backup.h"

/* A manifest lists each file once; a bigger one is not ours. */
#define MANIFEST_MAX (64 * 1024 * 1024)

struct restore_run {
	const char *source;
	const char *dir;
	const char *audit_key;		/* --audit-key, or NULL */
	const char *key_rel;		/* where it goes, if left out */
	char files_dir[PATH_MAX];	/* source/instance */
	char tmp[PATH_MAX];		/* the instance while it is made */
	json_t *manifest;
	json_t *files;			/* its list */
	json_t *index;			/* path -> entry */
	const char *store_rel;
	int lock_fd;			/* dir's lock, held alone; -1 */
	bool dir_exists, dir_empty;
	struct instance_restore_report *r;
};

/* A relative path of plain names: nothing absolute, empty, "." or "..". */
static bool
safe_rel(const char *rel)
{
	if (rel == NULL || rel[0] == '\0' || rel[0] == '/' ||
	    strlen(rel) >= PATH_MAX / 2)
		return false;
	const char *p = rel;
	while (*p != '\0') {
		const char *end = strchrnul(p, '/');
		size_t n = (size_t)(end - p);
		if (n == 0 || (n == 1 && p[0] == '.') ||
		    (n == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		p = *end == '/' ? end + 1 : end;
		if (*end == '/' && *p == '\0')
			return false;
	}
	return true;
}

static int
damaged(const struct restore_run *run, struct error *err, const char *why)
{
	return error_set(err, ERROR_INVALID, "nothing was restored: %s is "
		"not a usable caremail backup: %s", run->source, why);
}

static bool
parse_mode(json_t *v, mode_t *mode_r)
{
	const char *text = json_string_value(v);
	char *end;
	if (text == NULL)
		return false;
	long m = strtol(text, &end, 8);
	if (*end != '\0' || end == text || m < 0 || m > 07777)
		return false;
	*mode_r = (mode_t)m;
	return true;
}

/* One entry of the manifest's list, checked for shape. */
static bool
entry_ok(json_t *e)
{
	const char *type = json_string_value(json_object_get(e, "type"));
	mode_t mode;
	if (!safe_rel(json_string_value(json_object_get(e, "path"))) ||
	    type == NULL || !parse_mode(json_object_get(e, "mode"), &mode))
		return false;
	if (strcmp(type, "dir") == 0)
		return true;
	const char *hex = json_string_value(json_object_get(e, "sha256"));
	return strcmp(type, "file") == 0 && hex != NULL &&
		strlen(hex) == INSTANCE_SHA256_HEX - 1 &&
		json_integer_value(json_object_get(e, "size")) >= 0 &&
		json_is_integer(json_object_get(e, "size"));
}

static void
report_tables(struct instance_backup_report *b, json_t *tables)
{
	size_t i = 0;
	const char *name;
	json_t *v;
	json_object_foreach(tables, name, v) {
		if (i == INSTANCE_BACKUP_TABLES)
			break;
		str_copy(b->tables[i].name, sizeof(b->tables[i].name), name);
		b->tables[i].rows = json_integer_value(v);
		i++;
	}
}

/*
 * A backup made --without-audit-key needs the key given (checked here,
 * before anything is written); one that holds it takes no other.
 */
static int
read_key_entry(struct restore_run *run, json_t *key, struct error *err)
{
	const char *rel = json_string_value(json_object_get(key, "path"));
	bool left_out = rel != NULL &&
		json_is_false(json_object_get(key, "in_backup"));
	if (rel != NULL && !safe_rel(rel))
		return damaged(run, err, "its manifest names the audit key "
			"outside the instance");
	if (!left_out && run->audit_key != NULL)
		return error_set(err, ERROR_INVALID, "%s holds its audit key "
			"(or needs none); restore it without --audit-key",
			run->source);
	if (!left_out)
		return 0;
	if (run->audit_key == NULL)
		return error_set(err, ERROR_INVALID, "%s was made without the "
			"audit key; pass --audit-key FILE, the copy of %s kept "
			"with your other secrets", run->source, rel);
	char hex[INSTANCE_SHA256_HEX];
	uint64_t size;
	if (instance_file_hash(run->audit_key, hex, &size, err) < 0)
		return -1;
	run->key_rel = rel;
	return 0;
}

static int
read_manifest(struct restore_run *run, struct error *err)
{
	char path[PATH_MAX];
	if (instance_path_under(path, sizeof(path), run->source,
		    INSTANCE_BACKUP_MANIFEST, err) < 0 ||
	    instance_path_under(run->files_dir, sizeof(run->files_dir), run->source,
		    INSTANCE_BACKUP_FILES, err) < 0)
		return -1;
	struct error inner;
	char *text = file_read_all(path, MANIFEST_MAX, NULL, &inner);
	if (text == NULL && inner.code == ERROR_NOT_FOUND)
		return error_set(err, ERROR_NOT_FOUND, "%s holds no %s: it is "
			"not a caremail backup, or not a whole one",
			run->source, INSTANCE_BACKUP_MANIFEST);
	if (text == NULL)
		return error_forward(err, &inner);
	json_error_t jerr;
	run->manifest = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
	free(text);
	if (run->manifest == NULL) {
		char why[200];
		snprintf(why, sizeof(why), "its %s is damaged (%s, line %d)",
			INSTANCE_BACKUP_MANIFEST, jerr.text, jerr.line);
		return damaged(run, err, why);
	}
	json_t *m = run->manifest;
	json_t *store = json_object_get(m, "store");
	run->files = json_object_get(m, "files");
	run->store_rel = json_string_value(json_object_get(store, "path"));
	const char *format = json_string_value(json_object_get(m, "format"));
	if (format == NULL || strcmp(format, INSTANCE_BACKUP_FORMAT) != 0 ||
	    json_integer_value(json_object_get(m, "format_version")) !=
		    INSTANCE_BACKUP_FORMAT_VERSION ||
	    !json_is_array(run->files) || !safe_rel(run->store_rel) ||
	    !json_is_object(json_object_get(m, "tables")))
		return damaged(run, err, "its manifest is not one this "
			"version of caremail reads");
	const char *backend = json_string_value(json_object_get(store,
		"backend"));
	if (backend == NULL || strcmp(backend, "sqlite") != 0)
		return damaged(run, err, "it is not of an SQLite store");
	struct instance_backup_report *b = &run->r->backup;
	b->schema_version = (int)json_integer_value(json_object_get(store,
		"schema_version"));
	b->created = json_integer_value(json_object_get(m, "created_unix"));
	if (b->schema_version > store_schema_latest())
		return error_set(err, ERROR_INVALID, "%s was made by a newer "
			"caremail (schema %d; this one knows up to %d): "
			"restore it with that version", run->source,
			b->schema_version, store_schema_latest());
	report_tables(b, json_object_get(m, "tables"));
	return read_key_entry(run, json_object_get(m, "audit_key"), err);
}

/* The list's shape, and every file there and as its manifest says. */
static int
check_listed(struct restore_run *run, struct error *err)
{
	run->index = json_object();
	size_t i;
	json_t *e;
	json_array_foreach(run->files, i, e) {
		const char *rel = json_string_value(json_object_get(e, "path"));
		if (!entry_ok(e) || json_object_get(run->index, rel) != NULL)
			return damaged(run, err, "its manifest has an entry "
				"that is malformed or repeated");
		json_object_set(run->index, rel, e);
		const char *type = json_string_value(json_object_get(e,
			"type"));
		char path[PATH_MAX], why[PATH_MAX + 200];
		if (instance_path_under(path, sizeof(path), run->files_dir, rel,
			    err) < 0)
			return -1;
		struct stat sb;
		if (lstat(path, &sb) < 0 || (strcmp(type, "dir") == 0) !=
			    S_ISDIR(sb.st_mode) || S_ISLNK(sb.st_mode)) {
			snprintf(why, sizeof(why), "%s/%s is missing",
				INSTANCE_BACKUP_FILES, rel);
			return damaged(run, err, why);
		}
		if (strcmp(type, "dir") == 0)
			continue;
		char hex[INSTANCE_SHA256_HEX];
		uint64_t size;
		if (instance_file_hash(path, hex, &size, err) < 0)
			return -1;
		const char *want = json_string_value(json_object_get(e,
			"sha256"));
		if (strcmp(hex, want) != 0 || size != (uint64_t)
			    json_integer_value(json_object_get(e, "size"))) {
			/* The first 16 digits: the message must fit. */
			snprintf(why, sizeof(why), "%s/%s is damaged (its "
				"SHA-256 is %.16s..., the manifest says "
				"%.16s...)", INSTANCE_BACKUP_FILES, rel, hex,
				want);
			return damaged(run, err, why);
		}
		run->r->backup.files++;
		run->r->backup.bytes += size;
	}
	json_t *store = json_object_get(run->index, run->store_rel);
	if (store == NULL || strcmp(json_string_value(json_object_get(store,
			"type")), "file") != 0)
		return damaged(run, err, "its manifest lists no store");
	return 0;
}

/* Nothing in the backup that its manifest does not list. */
static int
check_unlisted(struct restore_run *run, const char *dir_rel,
	struct error *err)
{
	char path[PATH_MAX];
	if (dir_rel[0] == '\0')
		str_copy(path, sizeof(path), run->files_dir);
	else if (instance_path_under(path, sizeof(path), run->files_dir, dir_rel,
			 err) < 0)
		return -1;
	DIR *d = opendir(path);
	if (d == NULL)
		return damaged(run, err, dir_rel[0] == '\0' ?
			"it has no " INSTANCE_BACKUP_FILES " directory" :
			"a directory of it cannot be read");
	int rc = 0;
	struct dirent *de;
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		char rel[PATH_MAX], why[PATH_MAX + 100];
		int n = dir_rel[0] == '\0' ?
			snprintf(rel, sizeof(rel), "%s", de->d_name) :
			snprintf(rel, sizeof(rel), "%s/%s", dir_rel,
				de->d_name);
		if (n < 0 || (size_t)n >= sizeof(rel))
			rc = damaged(run, err, "a path in it is too long");
		json_t *e = rc == 0 ? json_object_get(run->index, rel) : NULL;
		if (rc == 0 && e == NULL) {
			snprintf(why, sizeof(why), "it holds %s/%s, which its "
				"manifest does not list", INSTANCE_BACKUP_FILES,
				rel);
			rc = damaged(run, err, why);
		} else if (rc == 0 && strcmp(json_string_value(
				json_object_get(e, "type")), "dir") == 0) {
			rc = check_unlisted(run, rel, err);
		}
	}
	closedir(d);
	return rc;
}

/*
 * The target's lock, taken alone (never waiting): held by anyone who
 * has the instance open, serve above all. Kept until the restored
 * directory is in place.
 */
static int
lock_target(struct restore_run *run, struct error *err)
{
	struct stat sb;
	run->lock_fd = -1;
	run->dir_exists = stat(run->dir, &sb) == 0;
	if (!run->dir_exists)
		return 0;
	if (!S_ISDIR(sb.st_mode))
		return error_set(err, ERROR_EXISTS, "%s is a file, not an "
			"instance directory", run->dir);
	char path[PATH_MAX];
	if (instance_path_under(path, sizeof(path), run->dir, INSTANCE_LOCK_FILE,
		    err) < 0)
		return -1;
	run->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
		0640);
	if (run->lock_fd < 0)
		return error_set(err, ERROR_DENIED, "cannot lock %s: %s",
			path, strerror(errno));
	if (flock(run->lock_fd, LOCK_EX | LOCK_NB) < 0)
		return error_set(err, ERROR_DENIED, "the instance in %s is in "
			"use (caremail serve, or another caremail command, has "
			"it open); stop it before restoring over it, or "
			"restore into a new directory", run->dir);
	return 0;
}

static int
check_target(struct restore_run *run, bool force, struct error *err)
{
	if (lock_target(run, err) < 0)
		return -1;
	run->dir_empty = true;
	if (!run->dir_exists)
		return 0;
	DIR *d = opendir(run->dir);
	if (d == NULL)
		return error_set(err, ERROR_DENIED, "cannot read %s: %s",
			run->dir, strerror(errno));
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0 &&
		    strcmp(de->d_name, INSTANCE_LOCK_FILE) != 0)
			run->dir_empty = false;
	}
	closedir(d);
	if (!run->dir_empty && !force)
		return error_set(err, ERROR_EXISTS, "%s is not empty; restore "
			"into a new directory, or pass --force to move what is "
			"there aside to %s.before-restore-TIME", run->dir,
			run->dir);
	return 0;
}

static int
copy_entry(struct restore_run *run, json_t *e, struct error *err)
{
	const char *rel = json_string_value(json_object_get(e, "path"));
	mode_t mode = 0600;	/* checked by the manifest's reading */
	parse_mode(json_object_get(e, "mode"), &mode);
	char from[PATH_MAX], to[PATH_MAX];
	if (instance_path_under(from, sizeof(from), run->files_dir, rel, err) < 0 ||
	    instance_path_under(to, sizeof(to), run->tmp, rel, err) < 0)
		return -1;
	/* Parents first: the store may come before its directory's entry. */
	char parent[PATH_MAX];
	str_copy(parent, sizeof(parent), to);
	*strrchr(parent, '/') = '\0';
	if (file_make_dirs(parent, 0700, err) < 0)
		return -1;
	if (strcmp(json_string_value(json_object_get(e, "type")), "dir") ==
	    0)
		return file_make_dirs(to, 0700, err);
	char hex[INSTANCE_SHA256_HEX];
	uint64_t size;
	if (instance_file_copy(from, to, mode, hex, &size, err) < 0)
		return -1;
	if (strcmp(hex, json_string_value(json_object_get(e, "sha256"))) !=
	    0) {
		char why[PATH_MAX + 100];
		snprintf(why, sizeof(why), "%s/%s changed while it was being "
			"restored", INSTANCE_BACKUP_FILES, rel);
		return damaged(run, err, why);
	}
	return 0;
}

/* Directories get their modes once full, deepest first, and are flushed. */
static int
finish_dirs(struct restore_run *run, struct error *err)
{
	for (size_t i = json_array_size(run->files); i-- > 0;) {
		json_t *e = json_array_get(run->files, i);
		if (strcmp(json_string_value(json_object_get(e, "type")),
			    "dir") != 0)
			continue;
		char path[PATH_MAX];
		mode_t mode = 0700;	/* checked by the manifest's reading */
		parse_mode(json_object_get(e, "mode"), &mode);
		if (instance_path_under(path, sizeof(path), run->tmp,
			    json_string_value(json_object_get(e, "path")),
			    err) < 0 ||
		    instance_dir_sync(path, err) < 0)
			return -1;
		chmod(path, mode | 0700);
	}
	/* As init makes an instance directory. */
	chmod(run->tmp, 0750);
	return instance_dir_sync(run->tmp, err);
}

static int
copy_all(struct restore_run *run, struct error *err)
{
	size_t i;
	json_t *e;
	json_array_foreach(run->files, i, e) {
		if (copy_entry(run, e, err) < 0)
			return -1;
	}
	if (run->key_rel != NULL) {
		/* Wrong keys show at once: the chain check below fails. */
		char to[PATH_MAX], hex[INSTANCE_SHA256_HEX];
		uint64_t size;
		if (instance_path_under(to, sizeof(to), run->tmp, run->key_rel,
			    err) < 0 ||
		    instance_file_copy(run->audit_key, to, 0600, hex, &size,
			    err) < 0)
			return -1;
	}
	return finish_dirs(run, err);
}

/*
 * The restored directory into place: an empty target is replaced, a
 * full one (with --force) renamed aside, never deleted.
 */
static int
swap_in(struct restore_run *run, int64_t now, struct error *err)
{
	if (run->dir_exists && run->dir_empty) {
		char lock[PATH_MAX];
		if (instance_path_under(lock, sizeof(lock), run->dir,
			    INSTANCE_LOCK_FILE, err) < 0)
			return -1;
		unlink(lock);
		if (rmdir(run->dir) < 0)
			return error_set(err, ERROR_TEMPORARY, "cannot replace "
				"%s: %s", run->dir, strerror(errno));
	} else if (run->dir_exists) {
		char iso[32], stamp[32];
		clock_format_iso(now, iso, sizeof(iso));
		size_t o = 0;
		for (size_t i = 0; iso[i] != '\0' && o + 1 < sizeof(stamp); i++)
			if (iso[i] != '-' && iso[i] != ':')
				stamp[o++] = iso[i];
		stamp[o] = '\0';
		char *aside = run->r->set_aside;
		int n = snprintf(aside, sizeof(run->r->set_aside),
			"%s.before-restore-%s", run->dir, stamp);
		if (n < 0 || (size_t)n >= sizeof(run->r->set_aside))
			return error_set(err, ERROR_LIMIT, "the path %s is too "
				"long", run->dir);
		if (instance_rename_new(run->dir, aside, err) < 0) {
			aside[0] = '\0';
			return -1;
		}
	}
	if (instance_rename_new(run->tmp, run->dir, err) < 0)
		return -1;
	char parent[PATH_MAX];
	str_copy(parent, sizeof(parent), run->tmp);
	char *slash = strrchr(parent, '/');
	if (slash != NULL && slash != parent)
		*slash = '\0';
	else
		str_copy(parent, sizeof(parent), slash == parent ? "/" : ".");
	return instance_dir_sync(parent, err);
}

/* The restored instance opened as serve would: chain and counts. */
static int
check_restored(struct restore_run *run, int64_t now, struct error *err)
{
	struct instance *inst = instance_open(run->dir, NULL, 0, err);
	if (inst == NULL)
		return -1;
	struct instance_restore_report *r = run->r;
	struct store *st = instance_store(inst, err);
	int rc = st == NULL ? -1 : instance_audit_verify(inst, st, true, now,
		&r->audit, err);
	struct store_backup_info info;
	if (rc == 0)
		rc = store_backup_count_rows(st, &info, err);
	instance_store_close(&st);
	instance_close(&inst);
	if (rc < 0)
		return -1;
	r->schema_version = info.schema_version;
	for (size_t i = 0; i < STORE_BACKUP_TABLES; i++) {
		str_copy(r->restored[i].name, sizeof(r->restored[i].name),
			info.counts[i].table);
		r->restored[i].rows = info.counts[i].rows;
	}
	if (!r->audit.whole)
		return error_set(err, ERROR_INVALID, "restored into %s, but "
			"its audit chain is broken at row %" PRId64 ": %s",
			run->dir, r->audit.broken_id, r->audit.reason);
	/* A migration run on an older backup may change counts; else not. */
	json_t *tables = json_object_get(run->manifest, "tables");
	for (size_t i = 0; r->schema_version == r->backup.schema_version &&
	     i < STORE_BACKUP_TABLES; i++) {
		json_t *want = json_object_get(tables, info.counts[i].table);
		if (want != NULL && json_integer_value(want) !=
			    info.counts[i].rows)
			return error_set(err, ERROR_INTERNAL, "restored into "
				"%s, but its store has %" PRId64 " rows in %s "
				"where the backup counted %" PRId64, run->dir,
				info.counts[i].rows, info.counts[i].table,
				(int64_t)json_integer_value(want));
	}
	return 0;
}

static int
restore(struct restore_run *run, bool force, int64_t now, struct error *err)
{
	if (read_manifest(run, err) < 0 || check_listed(run, err) < 0 ||
	    check_unlisted(run, "", err) < 0 ||
	    check_target(run, force, err) < 0)
		return -1;
	char parent[PATH_MAX];
	str_copy(parent, sizeof(parent), run->dir);
	char *slash = strrchr(parent, '/');
	if (slash != NULL && slash != parent) {
		*slash = '\0';
		if (file_make_dirs(parent, 0750, err) < 0)
			return -1;
	}
	int n = snprintf(run->tmp, sizeof(run->tmp), "%s.restore-XXXXXX",
		run->dir);
	if (n < 0 || (size_t)n >= sizeof(run->tmp))
		return error_set(err, ERROR_LIMIT, "the path %s is too long",
			run->dir);
	if (mkdtemp(run->tmp) == NULL)
		return error_set(err, ERROR_TEMPORARY, "cannot make %s: %s",
			run->tmp, strerror(errno));
	if (copy_all(run, err) < 0 || swap_in(run, now, err) < 0) {
		instance_tree_remove(run->tmp);
		return -1;
	}
	/* Let go before opening it: the open takes the new lock shared. */
	if (run->lock_fd >= 0)
		close(run->lock_fd);
	run->lock_fd = -1;
	return check_restored(run, now, err);
}

int
instance_restore(const struct instance_restore_options *o,
	struct instance_restore_report *r, struct error *err)
{
	const char *source = o->source, *dir = o->dir;
	memset(r, 0, sizeof(*r));
	if (source == NULL || dir == NULL || dir[0] == '\0')
		return error_set(err, ERROR_INVALID,
			"restore needs a backup and an instance directory");
	struct restore_run *run = calloc(1, sizeof(*run));
	if (run == NULL)
		return error_set(err, ERROR_INTERNAL, "out of memory");
	run->source = source;
	run->dir = dir;
	run->r = r;
	run->lock_fd = -1;
	run->audit_key = o->audit_key;
	int rc = restore(run, o->force, o->now, err);
	if (run->lock_fd >= 0)
		close(run->lock_fd);
	json_decref(run->index);
	json_decref(run->manifest);
	free(run);
	return rc;
}
