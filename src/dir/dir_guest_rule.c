/*
 * The guest and licence rules as pure functions (SPEC L8, L9): data and
 * `now` in, a decision out; no I/O, tested with tables at the boundaries
 * (tests/unit/test_guest.c). Layer: domain.
 */
#include "dir/dir_guest.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"

bool
dir_guest_inviter_is_eligible(int64_t guest_org_id, int64_t inviter_org_id,
	bool inviter_active)
{
	return inviter_active && inviter_org_id == guest_org_id;
}

void
dir_guest_due(const struct store_guest *g, const struct dir_guest_terms *t,
	int64_t now, struct dir_guest_due *r)
{
	*r = (struct dir_guest_due){ .step = DIR_GUEST_NOTHING };
	if (g->removed_at != 0)
		return;
	bool eligible = dir_guest_inviter_is_eligible(g->org_id,
		g->inviter_org_id, g->inviter_active);
	if (!eligible && g->orphaned_at == 0) {
		/* The right went at once; the grace starts when seen. */
		r->step = DIR_GUEST_ORPHAN;
		r->due_at = now + t->orphan_days * DIR_DAY;
		return;
	}
	if (!eligible || g->attested_at == 0) {
		/* Orphaned, or a new inviter who has not attested yet. */
		int64_t since = g->orphaned_at != 0 ? g->orphaned_at :
			g->created_at;
		r->due_at = since + t->orphan_days * DIR_DAY;
	} else {
		r->due_at = g->attestations <= 1 ?
			g->created_at + t->first_days * DIR_DAY :
			g->attested_at + t->every_days * DIR_DAY;
	}
	if (now >= r->due_at)
		r->step = DIR_GUEST_REMOVE;
	else if (eligible && now >= r->due_at - t->request_days * DIR_DAY &&
		 g->requested_for != r->due_at)
		r->step = DIR_GUEST_REQUEST;
}

const char *
dir_guest_step_name(enum dir_guest_step step)
{
	switch (step) {
	case DIR_GUEST_REQUEST:
		return "attestation_request";
	case DIR_GUEST_ORPHAN:
		return "inviter_lost";
	case DIR_GUEST_REMOVE:
		return "removal";
	case DIR_GUEST_NOTHING:
		break;
	}
	return "nothing";
}

int
dir_licence_notice_days_parse(const char *text, int64_t *days_r,
	size_t *count_r, struct error *err)
{
	*count_r = 0;
	const char *p = text;
	while (*p != '\0') {
		while (*p == ' ' || *p == ',')
			p++;
		if (*p == '\0')
			break;
		char *end;
		errno = 0;
		long long v = strtoll(p, &end, 10);
		if (end == p || errno != 0 || v < -3650 || v > 3650 ||
		    (*end != '\0' && *end != ',' && *end != ' '))
			return error_set(err, ERROR_INVALID, "licences."
				"notice_days must list whole numbers of days "
				"from -3650 to 3650, comma-separated");
		if (*count_r == DIR_LICENCE_NOTICES_MAX)
			return error_set(err, ERROR_INVALID, "licences."
				"notice_days lists more than %d notices",
				DIR_LICENCE_NOTICES_MAX);
		if (*count_r > 0 && v >= days_r[*count_r - 1])
			return error_set(err, ERROR_INVALID, "licences."
				"notice_days must fall from first to last "
				"(60, 30, 7, 0, -23, -83)");
		days_r[(*count_r)++] = v;
		p = end;
	}
	return 0;
}

int
dir_licence_notice_due(int64_t expires_at, int64_t sent_for,
	int64_t sent_step, const int64_t *days, size_t count, int64_t now)
{
	int64_t already = sent_for == expires_at ? sent_step : -1;
	int due = -1;
	for (size_t i = 0; i < count; i++)
		if (now >= expires_at - days[i] * DIR_DAY)
			due = (int)i;
	return due > already ? due : -1;
}

int
dir_licence_rule_parse(const char *text, const char **field_r,
	const char **value_r, char *buf, size_t size, struct error *err)
{
	*field_r = "";
	*value_r = "";
	if (strcmp(text, "all") == 0)
		return 0;
	const char *eq = strchr(text, '=');
	size_t n = eq != NULL ? (size_t)(eq - text) : 0;
	if (eq != NULL && eq[1] != '\0' && strlen(eq + 1) < size &&
	    strlen(eq + 1) <= 200) {
		if (n == 10 && strncmp(text, "department", n) == 0)
			*field_r = "department";
		else if (n == 9 && strncmp(text, "job_title", n) == 0)
			*field_r = "job_title";
	}
	if ((*field_r)[0] == '\0')
		return error_set_field(err, ERROR_INVALID, "rule", "the rule "
			"must be all, department=NAME or job_title=TITLE "
			"(none to clear it)");
	snprintf(buf, size, "%s", eq + 1);
	*value_r = buf;
	return 0;
}
