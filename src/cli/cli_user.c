/*
 * `caremail user`: people and their user mailboxes (SPEC D2, D3, P3), and
 * setting a password. Layer: front end.
 * SECURITY: a password is read from stdin only and wiped after use.
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "auth/auth.h"
#include "cli/cli_internal.h"
#include "core/error.h"
#include "dir/dir_view.h"

/* Most people one `user list` prints when --limit is given. */
#define USER_LIST_LIMIT_MAX 10000000

static int
person_fields(struct cli_args *args, struct dir_person_fields *f,
	struct error *err)
{
	memset(f, 0, sizeof(*f));
	f->org_ods = cli_opt(args, "org");
	f->first_name = cli_opt(args, "first");
	f->last_name = cli_opt(args, "last");
	f->display_name = cli_opt(args, "display-name");
	f->address = cli_opt(args, "email");
	f->site = cli_opt(args, "site");
	f->job_title = cli_opt(args, "job-title");
	f->department = cli_opt(args, "department");
	f->phone = cli_opt(args, "phone");
	f->mobile = cli_opt(args, "mobile");
	f->notes = cli_opt(args, "notes");
	f->sync_id = cli_opt(args, "sync-id");
	f->protocols_off = cli_opt(args, "protocols-off");
	bool hide = cli_flag(args, "hide-mobile");
	bool show = cli_flag(args, "show-mobile");
	if (hide && show)
		return cli_usage(args, err,
			"give --hide-mobile or --show-mobile, not both");
	f->mobile_hidden = hide ? 1 : show ? 0 : -1;
	return 0;
}

int
cli_user_add(struct cli_args *args, struct error *err)
{
	struct dir_person_fields f;
	if (person_fields(args, &f, err) < 0)
		return -1;
	struct cli_session s;
	if (cli_session_open(args, &s, err) < 0)
		return -1;
	struct store_person p;
	int rc = dir_person_add(&s.ctx, &f, &p, err);
	if (rc == 0 && args->json)
		cli_print(args, cli_json_person(&s, &p), NULL);
	else if (rc == 0)
		printf("%s\n", p.address);
	cli_session_close(&s);
	return rc;
}

int
cli_user_edit(struct cli_args *args, struct error *err)
{
	struct dir_person_fields f;
	if (person_fields(args, &f, err) < 0)
		return -1;
	if (args->opt_count == 0)
		return cli_usage(args, err,
			"user edit needs at least one change, such as "
			"--job-title");
	struct cli_session s;
	if (cli_session_open(args, &s, err) < 0)
		return -1;
	struct store_person p;
	int rc = dir_person_edit(&s.ctx, args->pos[0], &f, &p, err);
	if (rc == 0)
		cli_print(args, cli_json_person(&s, &p), NULL);
	cli_session_close(&s);
	return rc;
}

/* The record GET /users/{address} replies (docs/api.md). */
static int
show_person(struct cli_args *args, struct cli_session *s,
	struct error *err)
{
	struct dir_person_record r;
	if (dir_person_record_find(&s->ctx, args->pos[0], &r, err) < 0)
		return -1;
	cli_print(args, dir_json_person(&r), NULL);
	return 0;
}

int
cli_user_show(struct cli_args *args, struct error *err)
{
	struct cli_session s;
	if (cli_session_open(args, &s, err) < 0)
		return -1;
	int rc = show_person(args, &s, err);
	cli_session_close(&s);
	return rc;
}

/*
 * A page of people as GET /users lists them: one read for the page, with
 * org and site joined. The text form ends with the --after for the next
 * page when the page was full.
 */
static int
list_people(struct cli_args *args, struct cli_session *s, int64_t after,
	int64_t limit, struct error *err)
{
	struct store_org org;
	const char *ods = cli_opt(args, "org");
	if (ods != NULL && dir_org_get(&s->ctx, ods, &org, err) < 0)
		return -1;
	struct dir_person_record *people;
	size_t count;
	if (dir_person_page(&s->ctx, ods != NULL ? &org.id : NULL,
		    ods != NULL ? 1 : 0, cli_flag(args, "include-deleted"),
		    after, (size_t)limit, &people, &count, err) < 0)
		return -1;
	json_t *arr = json_array();
	for (size_t i = 0; i < count; i++)
		json_array_append_new(arr, dir_json_person(&people[i]));
	cli_print(args, arr, "address,display_name,org.ods,job_title,status");
	if (!args->json && limit > 0 && count == (size_t)limit)
		printf("more: --after %lld\n",
			(long long)people[count - 1].view.person.id);
	return 0;
}

int
cli_user_list(struct cli_args *args, struct error *err)
{
	int64_t limit = 0, after = 0;
	if (cli_opt_int(args, "limit", 1, USER_LIST_LIMIT_MAX, &limit,
		    err) < 0 ||
	    cli_opt_int(args, "after", 0, INT64_MAX, &after, err) < 0)
		return -1;
	struct cli_session s;
	if (cli_session_open(args, &s, err) < 0)
		return -1;
	int rc = list_people(args, &s, after, limit, err);
	cli_session_close(&s);
	return rc;
}

int
cli_user_delete(struct cli_args *args, struct error *err)
{
	struct cli_session s;
	if (cli_session_open(args, &s, err) < 0)
		return -1;
	struct store_person p;
	int rc = dir_person_delete(&s.ctx, args->pos[0], err);
	if (rc == 0)
		rc = dir_person_get(&s.ctx, args->pos[0], &p, err);
	if (rc == 0) {
		char sentence[512];
		snprintf(sentence, sizeof(sentence),
			"Deleted %s; the address will never be given to anyone "
			"else.", p.address);
		cli_print_done(args, cli_json_person(&s, &p), sentence);
	}
	cli_session_close(&s);
	return rc;
}

static int
set_password(struct cli_args *args, struct cli_session *s,
	struct error *err)
{
	char password[AUTH_PASSWORD_MAX + 3];
	int rc = cli_read_password(password, sizeof(password), err);
	if (rc == 0)
		rc = auth_password_set(&s->ctx, args->pos[0], password,
			!cli_flag(args, "permanent"), err);
	sodium_memzero(password, sizeof(password));
	if (rc == 0) {
		char sentence[512];
		bool must_change = !cli_flag(args, "permanent");
		snprintf(sentence, sizeof(sentence), "Set the password of %s%s.",
			args->pos[0], must_change ? "; they must change it "
			"in the portal before mail programs accept it" : "");
		cli_print_done(args, json_pack("{s:s, s:b, s:b}", "address",
			args->pos[0], "password_set", 1, "must_change_password",
			must_change), sentence);
	}
	return rc;
}

int
cli_user_passwd(struct cli_args *args, struct error *err)
{
	if (!cli_flag(args, "stdin"))
		return cli_usage(args, err,
			"user passwd reads the new password from standard "
			"input: pass --stdin");
	struct cli_session s;
	if (cli_session_open(args, &s, err) < 0)
		return -1;
	int rc = set_password(args, &s, err);
	cli_session_close(&s);
	return rc;
}

static int
list_devices(struct cli_args *args, struct cli_session *s, struct error *err)
{
	json_t *devices;
	if (cli_json_devices(s, args->pos[0], &devices, err) < 0)
		return -1;
	cli_print(args, devices, "last_seen,protocol,client,address");
	return 0;
}

int
cli_user_devices(struct cli_args *args, struct error *err)
{
	struct cli_session s;
	if (cli_session_open(args, &s, err) < 0)
		return -1;
	int rc = list_devices(args, &s, err);
	cli_session_close(&s);
	return rc;
}
