/*
 * `caremail list`: distribution lists (SPEC P6), static with members or
 * dynamic with a rule, their members and their expansion. Layer: front end.
 * Adding or removing several members is one transaction: one address that
 * cannot be added means none is.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli_internal.h"
#include "core/error.h"
#include "dir/dir_view.h"

int
cli_list_add(struct cli_args *args, struct error *err)
{
	bool dynamic = cli_flag(args, "dynamic");
	const char *rule = cli_opt(args, "rule");
	if (dynamic && rule == NULL)
		return cli_usage(args, err,
			"a --dynamic list needs --rule JSON");
	if (!dynamic && rule != NULL)
		return cli_usage(args, err,
			"--rule is only for a --dynamic list");
	struct cli_session s;
	if (cli_session_open(args, &s, err) < 0)
		return -1;
	struct store_list l;
	int rc = dir_list_add(&s.ctx, cli_opt(args, "org"),
		cli_opt(args, "name"), dynamic ? "dynamic" : "static",
		cli_opt(args, "email"), rule, &l, err);
	/* --json prints what POST /lists replies: the list in full. */
	struct dir_list_record r;
	if (rc == 0 && args->json) {
		rc = dir_list_record_get(&s.ctx, l.address, &r, err);
		if (rc == 0)
			cli_print(args, dir_json_list_record(&r), NULL);
	} else if (rc == 0) {
		printf("%s\n", l.address);
	}
	cli_session_close(&s);
	return rc;
}

int
cli_list_list(struct cli_args *args, struct error *err)
{
	struct cli_session s;
	if (cli_session_open(args, &s, err) < 0)
		return -1;
	struct store_list *lists;
	size_t count;
	int rc = dir_list_list(&s.ctx, cli_opt(args, "org"), &lists, &count,
		err);
	if (rc == 0) {
		json_t *arr = json_array();
		for (size_t i = 0; i < count; i++)
			json_array_append_new(arr,
				cli_json_list(&s, &lists[i]));
		cli_print(args, arr, "address,name,kind,org");
	}
	cli_session_close(&s);
	return rc;
}

static int
show_list(struct cli_args *args, struct cli_session *s, struct error *err)
{
	struct dir_list_record r;
	if (dir_list_record_get(&s->ctx, args->pos[0], &r, err) < 0)
		return -1;
	cli_print(args, dir_json_list_record(&r), NULL);
	return 0;
}

int
cli_list_show(struct cli_args *args, struct error *err)
{
	struct cli_session s;
	if (cli_session_open(args, &s, err) < 0)
		return -1;
	int rc = show_list(args, &s, err);
	cli_session_close(&s);
	return rc;
}

int
cli_list_members(struct cli_args *args, struct error *err)
{
	struct cli_session s;
	if (cli_session_open(args, &s, err) < 0)
		return -1;
	struct dir_member *members;
	size_t count;
	int rc = dir_list_members(&s.ctx, args->pos[0], &members, &count, err);
	if (rc == 0) {
		json_t *arr = json_array();
		for (size_t i = 0; i < count; i++)
			json_array_append_new(arr,
				cli_json_member(&members[i]));
		cli_print(args, arr, "kind,address,display_name");
	}
	cli_session_close(&s);
	return rc;
}

/* Adds (or removes) every address after the list's, or none of them. */
static int
change_members(struct cli_args *args, struct cli_session *s, bool add,
	struct error *err)
{
	const char *list = args->pos[0];
	if (cli_begin(s, err) < 0)
		return -1;
	int rc = 0;
	for (size_t i = 1; i < args->pos_count && rc == 0; i++) {
		struct error inner;
		rc = add ? dir_list_member_add(&s->ctx, list, args->pos[i],
				   &inner) :
			   dir_list_member_remove(&s->ctx, list,
				   args->pos[i], &inner);
		if (rc < 0 && args->pos_count > 2)
			error_set(err, inner.code, "%s; no member was %s",
				inner.msg, add ? "added" : "removed");
		else if (rc < 0)
			error_forward(err, &inner);
	}
	if (cli_finish(s, rc, err) < 0)
		return -1;
	size_t n = args->pos_count - 1;
	char sentence[512];
	snprintf(sentence, sizeof(sentence), "%s %zu member%s %s %s.",
		add ? "Added" : "Removed", n, n == 1 ? "" : "s",
		add ? "to" : "from", list);
	json_t *changed = json_array();
	for (size_t i = 1; i < args->pos_count; i++)
		json_array_append_new(changed, cli_json_text(args->pos[i]));
	cli_print_done(args, json_pack("{s:s, s:o}", "list", list,
		add ? "added" : "removed", changed), sentence);
	return 0;
}

int
cli_list_members_add(struct cli_args *args, struct error *err)
{
	struct cli_session s;
	if (cli_session_open(args, &s, err) < 0)
		return -1;
	int rc = change_members(args, &s, true, err);
	cli_session_close(&s);
	return rc;
}

int
cli_list_members_remove(struct cli_args *args, struct error *err)
{
	struct cli_session s;
	if (cli_session_open(args, &s, err) < 0)
		return -1;
	int rc = change_members(args, &s, false, err);
	cli_session_close(&s);
	return rc;
}

int
cli_list_expand(struct cli_args *args, struct error *err)
{
	struct cli_session s;
	if (cli_session_open(args, &s, err) < 0)
		return -1;
	const char **addresses;
	size_t count;
	int rc = dir_list_expand(&s.ctx, args->pos[0], &addresses, &count,
		err);
	if (rc == 0) {
		json_t *arr = json_array();
		for (size_t i = 0; i < count; i++)
			json_array_append_new(arr, cli_json_text(addresses[i]));
		cli_print(args, arr, NULL);
	}
	cli_session_close(&s);
	return rc;
}

int
cli_list_delete(struct cli_args *args, struct error *err)
{
	struct cli_session s;
	if (cli_session_open(args, &s, err) < 0)
		return -1;
	int rc = dir_list_delete(&s.ctx, args->pos[0], err);
	if (rc == 0) {
		char sentence[512];
		snprintf(sentence, sizeof(sentence),
			"Deleted the list %s; the address will never be given "
			"to anything else.", args->pos[0]);
		cli_print_done(args, json_pack("{s:s, s:b}", "address",
			args->pos[0], "deleted", 1), sentence);
	}
	cli_session_close(&s);
	return rc;
}
