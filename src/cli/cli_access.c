/*
 * Who may do what: owners of lists and mailboxes, members of mailboxes,
 * grants on mailboxes
 * (full_access, send_as, send_on_behalf) and admin roles (SPEC P2, P4, P6).
 * Layer: front end.
 * SECURITY: only dir/ decides what is allowed; this only names the change.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli_internal.h"
#include "core/error.h"

/* Owners and members: the same command shape over two relations. */
struct link_ops {
	const char *noun;
	int (*add)(const struct dir_ctx *ctx, const char *object,
		const char *person, struct error *err);
	int (*remove)(const struct dir_ctx *ctx, const char *object,
		const char *person, struct error *err);
	int (*show)(struct cli_session *s, const char *address,
		json_t **people_r, struct error *err);
};

static const struct link_ops owner_ops = { "owner", dir_owner_add,
	dir_owner_remove, cli_json_owners };
static const struct link_ops member_ops = { "member",
	dir_mailbox_member_add, dir_mailbox_member_remove, cli_json_members };

/* Adds or removes each person after the object; all of them or none. */
static int
change_links(struct cli_args *args, struct cli_session *s,
	const struct link_ops *ops, bool add, struct error *err)
{
	const char *object = args->pos[0];
	if (cli_begin(s, err) < 0)
		return -1;
	int rc = 0;
	for (size_t i = 1; i < args->pos_count && rc == 0; i++) {
		struct error inner;
		rc = (add ? ops->add : ops->remove)(&s->ctx, object,
			args->pos[i], &inner);
		if (rc < 0 && args->pos_count > 2)
			error_set(err, inner.code, "%s; no %s was %s", inner.msg,
				ops->noun, add ? "added" : "removed");
		else if (rc < 0)
			error_forward(err, &inner);
	}
	if (cli_finish(s, rc, err) < 0)
		return -1;
	json_t *people;
	if (ops->show(s, object, &people, err) < 0)
		return -1;
	size_t n = args->pos_count - 1;
	char sentence[512], key[16];
	snprintf(sentence, sizeof(sentence), "%s %zu %s%s %s %s; it has %zu "
		"now.", add ? "Added" : "Removed", n, ops->noun,
		n == 1 ? "" : "s", add ? "to" : "from", object,
		json_array_size(people));
	snprintf(key, sizeof(key), "%ss", ops->noun);
	cli_print_done(args, json_pack("{s:s, s:o}", "address", object, key,
		people), sentence);
	return 0;
}

static int
run_links(struct cli_args *args, const struct link_ops *ops, bool add,
	struct error *err)
{
	struct cli_session s;
	if (cli_session_open(args, &s, err) < 0)
		return -1;
	int rc = change_links(args, &s, ops, add, err);
	cli_session_close(&s);
	return rc;
}

int
cli_owners_add(struct cli_args *args, struct error *err)
{
	return run_links(args, &owner_ops, true, err);
}

int
cli_owners_remove(struct cli_args *args, struct error *err)
{
	return run_links(args, &owner_ops, false, err);
}

int
cli_members_add(struct cli_args *args, struct error *err)
{
	return run_links(args, &member_ops, true, err);
}

int
cli_members_remove(struct cli_args *args, struct error *err)
{
	return run_links(args, &member_ops, false, err);
}

static int
change_grant(struct cli_args *args, bool add, struct error *err)
{
	const char *mailbox = args->pos[0], *person = args->pos[1];
	const char *right = cli_opt(args, "right");
	enum store_grant_right parsed;
	if (!dir_grant_right_parse(right, &parsed))
		return cli_usage(args, err, "--right must be full_access, "
			"send_as or send_on_behalf, not '%s'", right);
	struct cli_session s;
	if (cli_session_open(args, &s, err) < 0)
		return -1;
	int rc = add ? dir_grant_add(&s.ctx, mailbox, person, right, err) :
		       dir_grant_remove(&s.ctx, mailbox, person, right, err);
	if (rc == 0) {
		char sentence[512];
		if (add)
			snprintf(sentence, sizeof(sentence),
				"Granted %s %s on %s.", person, right, mailbox);
		else
			snprintf(sentence, sizeof(sentence),
				"Removed %s on %s from %s.", right, mailbox,
				person);
		cli_print_done(args, json_pack("{s:s, s:s, s:s, s:b}",
			"mailbox", mailbox, "person", person, "right", right,
			"granted", add), sentence);
	}
	cli_session_close(&s);
	return rc;
}

int
cli_grant_add(struct cli_args *args, struct error *err)
{
	return change_grant(args, true, err);
}

int
cli_grant_remove(struct cli_args *args, struct error *err)
{
	return change_grant(args, false, err);
}

int
cli_grant_list(struct cli_args *args, struct error *err)
{
	struct cli_session s;
	if (cli_session_open(args, &s, err) < 0)
		return -1;
	json_t *grants;
	int rc = cli_json_grants(&s, args->pos[0], &grants, err);
	if (rc == 0)
		cli_print(args, grants, "mailbox,person,right");
	cli_session_close(&s);
	return rc;
}

/* "pla, la, ..." from dir_roles, for a usage message. */
static void
role_names(char *buf, size_t size)
{
	buf[0] = '\0';
	for (size_t i = 0; dir_roles[i] != NULL; i++) {
		size_t len = strlen(buf);
		snprintf(buf + len, size - len, "%s%s", i > 0 ? ", " : "",
			dir_roles[i]);
	}
}

static int
change_role(struct cli_args *args, bool add, struct error *err)
{
	const char *person = args->pos[0], *org = cli_opt(args, "org");
	const char *role = cli_opt(args, "role");
	if (!dir_role_is_valid(role)) {
		char names[256];
		role_names(names, sizeof(names));
		return cli_usage(args, err,
			"'%s' is not a role; the roles are: %s", role, names);
	}
	struct cli_session s;
	if (cli_session_open(args, &s, err) < 0)
		return -1;
	int rc = add ? dir_role_add(&s.ctx, person, org, role, err) :
		       dir_role_remove(&s.ctx, person, org, role, err);
	if (rc == 0) {
		char sentence[512];
		if (add)
			snprintf(sentence, sizeof(sentence),
				"%s is now %s for %s.", person, role, org);
		else
			snprintf(sentence, sizeof(sentence),
				"%s is no longer %s for %s.", person, role,
				org);
		cli_print_done(args, json_pack("{s:s, s:s, s:s, s:b}",
			"person", person, "org", org, "role", role, "held",
			add), sentence);
	}
	cli_session_close(&s);
	return rc;
}

int
cli_role_add(struct cli_args *args, struct error *err)
{
	return change_role(args, true, err);
}

int
cli_role_remove(struct cli_args *args, struct error *err)
{
	return change_role(args, false, err);
}
