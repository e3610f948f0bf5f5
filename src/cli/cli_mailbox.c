/*
 * `caremail shared`, `caremail resource` and `caremail contact`: shared and
 * resource mailboxes (SPEC P4, P5) share one set of commands, told apart by
 * the command's first word; contacts are external addresses (P7).
 * Layer: front end.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli_internal.h"
#include "core/error.h"
#include "dir/dir_view.h"

/*
 * The first word of the command's name, "shared" or "resource", as the
 * mailbox kind it names; the command table has no other words before one
 * of these commands.
 */
static enum store_mailbox_kind
mailbox_kind(const struct cli_args *args)
{
	const char *name = args->command->name;
	char word[16];
	snprintf(word, sizeof(word), "%.*s", (int)strcspn(name, " "), name);
	enum store_mailbox_kind kind = STORE_MAILBOX_SHARED;
	(void)dir_mailbox_kind_parse(word, &kind);
	return kind;
}

/* The kind's name, as the domain's functions take it. */
static const char *
mailbox_kind_name(const struct cli_args *args)
{
	return dir_mailbox_kind_name(mailbox_kind(args));
}

int
cli_mailbox_add(struct cli_args *args, struct error *err)
{
	struct cli_session s;
	if (cli_session_open(args, &s, err) < 0)
		return -1;
	struct store_mailbox m;
	int rc = dir_mailbox_add(&s.ctx, cli_opt(args, "org"),
		mailbox_kind_name(args), cli_opt(args, "name"),
		cli_opt(args, "email"), &m, err);
	/* --json prints what the API's create replies: the mailbox in full. */
	struct dir_mailbox_record r;
	if (rc == 0 && args->json) {
		rc = dir_mailbox_record_get(&s.ctx, &m, &r, err);
		if (rc == 0)
			cli_print(args, dir_json_mailbox_record(&r), NULL);
	} else if (rc == 0) {
		printf("%s\n", m.address);
	}
	cli_session_close(&s);
	return rc;
}

int
cli_mailbox_list(struct cli_args *args, struct error *err)
{
	struct cli_session s;
	if (cli_session_open(args, &s, err) < 0)
		return -1;
	struct store_mailbox *boxes;
	size_t count;
	int rc = dir_mailbox_list(&s.ctx, cli_opt(args, "org"),
		mailbox_kind_name(args), &boxes, &count, err);
	if (rc == 0) {
		json_t *arr = json_array();
		for (size_t i = 0; i < count; i++)
			json_array_append_new(arr,
				cli_json_mailbox(&s, &boxes[i]));
		cli_print(args, arr, "address,display_name,org");
	}
	cli_session_close(&s);
	return rc;
}

/* Refuses a mailbox of the other kind, so `shared show` shows shared ones. */
static int
get_mailbox(struct cli_args *args, struct cli_session *s,
	struct store_mailbox *m, struct error *err)
{
	if (dir_mailbox_get(&s->ctx, args->pos[0], m, err) < 0)
		return -1;
	if (m->kind != mailbox_kind(args))
		return error_set(err, ERROR_INVALID,
			"%s is a %s mailbox, not a %s one", m->address,
			dir_mailbox_kind_name(m->kind), mailbox_kind_name(args));
	return 0;
}

static int
show_mailbox(struct cli_args *args, struct cli_session *s,
	struct error *err)
{
	struct store_mailbox m;
	struct dir_mailbox_record r;
	if (get_mailbox(args, s, &m, err) < 0 ||
	    dir_mailbox_record_get(&s->ctx, &m, &r, err) < 0)
		return -1;
	cli_print(args, dir_json_mailbox_record(&r), NULL);
	return 0;
}

int
cli_mailbox_show(struct cli_args *args, struct error *err)
{
	struct cli_session s;
	if (cli_session_open(args, &s, err) < 0)
		return -1;
	int rc = show_mailbox(args, &s, err);
	cli_session_close(&s);
	return rc;
}

static int
delete_mailbox(struct cli_args *args, struct cli_session *s,
	struct error *err)
{
	struct store_mailbox m;
	if (get_mailbox(args, s, &m, err) < 0 ||
	    dir_mailbox_delete(&s->ctx, m.address, err) < 0 ||
	    dir_mailbox_get(&s->ctx, m.address, &m, err) < 0)
		return -1;
	char sentence[512];
	snprintf(sentence, sizeof(sentence),
		"Deleted %s; the address will never be given to anything "
		"else.", m.address);
	cli_print_done(args, cli_json_mailbox(s, &m), sentence);
	return 0;
}

int
cli_mailbox_delete(struct cli_args *args, struct error *err)
{
	struct cli_session s;
	if (cli_session_open(args, &s, err) < 0)
		return -1;
	int rc = delete_mailbox(args, &s, err);
	cli_session_close(&s);
	return rc;
}

int
cli_contact_add(struct cli_args *args, struct error *err)
{
	struct cli_session s;
	if (cli_session_open(args, &s, err) < 0)
		return -1;
	struct store_contact c;
	int rc = dir_contact_add(&s.ctx, cli_opt(args, "org"),
		cli_opt(args, "name"), cli_opt(args, "email"), &c, err);
	if (rc == 0 && args->json)
		cli_print(args, cli_json_contact(&s, &c), NULL);
	else if (rc == 0)
		printf("%s\n", c.address);
	cli_session_close(&s);
	return rc;
}

int
cli_contact_list(struct cli_args *args, struct error *err)
{
	struct cli_session s;
	if (cli_session_open(args, &s, err) < 0)
		return -1;
	struct store_contact *contacts;
	size_t count;
	int rc = dir_contact_list(&s.ctx, cli_opt(args, "org"), &contacts,
		&count, err);
	if (rc == 0) {
		json_t *arr = json_array();
		for (size_t i = 0; i < count; i++)
			json_array_append_new(arr,
				cli_json_contact(&s, &contacts[i]));
		cli_print(args, arr, "address,display_name,org");
	}
	cli_session_close(&s);
	return rc;
}

int
cli_contact_delete(struct cli_args *args, struct error *err)
{
	struct cli_session s;
	if (cli_session_open(args, &s, err) < 0)
		return -1;
	int rc = dir_contact_delete(&s.ctx, args->pos[0], err);
	if (rc == 0) {
		char sentence[512];
		snprintf(sentence, sizeof(sentence), "Deleted the contact %s.",
			args->pos[0]);
		cli_print_done(args, json_pack("{s:s, s:b}", "address",
			args->pos[0], "deleted", 1), sentence);
	}
	cli_session_close(&s);
	return rc;
}

/* SPEC L5: keeps a shared mailbox its owners were told is unused. */
int
cli_mailbox_confirm(struct cli_args *args, struct error *err)
{
	struct cli_session s;
	if (cli_session_open(args, &s, err) < 0)
		return -1;
	struct store_mailbox m;
	int rc = get_mailbox(args, &s, &m, err) < 0 ||
		dir_shared_confirm(&s.ctx, &m, "cli", err) < 0 ? -1 : 0;
	if (rc == 0) {
		char sentence[512];
		snprintf(sentence, sizeof(sentence), "Kept %s: it counts as "
			"used today, and any deletion notice is withdrawn.",
			m.address);
		cli_print_done(args, cli_json_mailbox(&s, &m), sentence);
	}
	cli_session_close(&s);
	return rc;
}
