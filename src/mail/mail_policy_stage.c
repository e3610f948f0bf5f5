/*
 * The policy stage on arrival: its settings, read once, the order of its
 * judgements (mail from the internet first: mail_policy_internet.c; then
 * who sent it, a person's sending limits and the sender's org's DLP
 * actions: mail_policy_sender.c; then mail leaving the secure domains:
 * mail_policy_leaving.c) and the log line
 * and audit row each decision gets. Layer: domain. SPEC M7, M9, M10, M12;
 * SECURITY.md 10, 12, 53 (no NHS number in clear in a log or the audit).
 */
#include "mail/mail_policy_stage.h"
#include "mail/mail_policy_stage_internal.h"

#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/config.h"
#include "core/error.h"
#include "core/str.h"
#include "core/xmalloc.h"
#include "dir/dir.h"
#include "mail/mail.h"
#include "mail/mail_org_policy.h"
#include "mail/mail_secure.h"

/* A choice setting's words and what each means here. */
struct choice {
	const char *name;
	int value;
};

static const struct choice spoof_modes[] = {
	{ "tag", MAIL_POLICY_SPOOF_TAG },
	{ "junk", MAIL_POLICY_SPOOF_JUNK },
	{ "reject", MAIL_POLICY_SPOOF_REJECT },
};

#define CHOICE(c, key, table) \
	choice(config_get_str(c, key), table, sizeof(table) / sizeof(*table))

/* config has checked that the value is one of the table's words. */
static int
choice(const char *name, const struct choice *table, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(name, table[i].name) == 0)
			return table[i].value;
	return table[0].value;
}

/*
 * mail.domains in the normal form the secure domains are in (lower case,
 * A-labels), once for every message a listener judges. An entry that
 * cannot be normalised claims nothing, as when it was read per message.
 */
static void
read_hosted(const struct config *c, struct mail_policy_settings *s)
{
	/* Holds any item: mail.domains refuses one past 253 bytes. */
	char item[MAIL_SECURE_DOMAIN_SIZE];
	size_t cap = 0;
	for (size_t i = 0; config_list_item(c, "mail.domains", i, item,
		    sizeof(item)); i++) {
		if (s->hosted_count == cap) {
			cap = cap == 0 ? 4 : 2 * cap;
			s->hosted = xrealloc(s->hosted,
				cap * sizeof(*s->hosted));
		}
		struct error ignored;
		if (mail_domain_normalise(item, s->hosted[s->hosted_count],
			    sizeof(*s->hosted), &ignored) == 0)
			s->hosted_count++;
	}
}

int
mail_policy_settings_from_config(const struct config *c,
	struct mail_policy_settings *s_r, struct error *err)
{
	struct mail_org_policy service;
	if (mail_org_policy_service(c, &service, err) < 0)
		return -1;
	*s_r = (struct mail_policy_settings){
		.spoof_mode = CHOICE(c, "mail.spoof_mode", spoof_modes),
		.send_limits = config_get_bool(c, "mail.send_limits"),
		.limits = service.limits, .dlp = service.dlp };
	if (mail_secure_policy_from_config(c, &s_r->secure, err) < 0)
		return -1;
	struct span list = span_from_cstr(config_get_str(c,
		"mail.trusted_networks"));
	struct span item;
	while (span_split(&list, ',', &item)) {
		item = span_trim(item);
		if (item.len == 0)
			continue;
		char text[64];
		if (s_r->trusted_count == MAIL_POLICY_TRUSTED_MAX)
			return error_set(err, ERROR_INVALID,
				"mail.trusted_networks: at most %d networks",
				MAIL_POLICY_TRUSTED_MAX);
		if (item.len >= sizeof(text) ||
		    (memcpy(text, item.p, item.len), text[item.len] = '\0',
		     !cidr_parse(text, &s_r->trusted[s_r->trusted_count])))
			return error_set(err, ERROR_INVALID,
				"mail.trusted_networks: '%.*s' is not an IP "
				"address or a CIDR block such as 192.0.2.0/24",
				(int)(item.len < 64 ? item.len : 64), item.p);
		s_r->trusted_count++;
	}
	if (mail_sender_auth_init(c, &s_r->auth, err) < 0)
		return -1;
	read_hosted(c, s_r);
	return 0;
}

void
mail_policy_settings_free(struct mail_policy_settings *s)
{
	mail_sender_auth_free(&s->auth);
	free(s->hosted);
	s->hosted = NULL;
	s->hosted_count = 0;
}

static bool
trusted(const struct mail_policy_settings *s, const char *ip)
{
	for (size_t i = 0; i < s->trusted_count; i++)
		if (cidr_contains(&s->trusted[i], ip))
			return true;
	return false;
}

int
mail_policy_arrival(const struct dir_ctx *ctx,
	const struct mail_policy_settings *s, const struct mail_arrival *in,
	const char *data, size_t size, const char *header, size_t header_len,
	struct arena *a, struct mail_arrival_plan *plan_r, struct error *err)
{
	*plan_r = (struct mail_arrival_plan){ .data = data, .size = size,
		.decision = { .action = MAIL_POLICY_DELIVER }, .dlp = &s->dlp };
	size_t header_at = (size_t)(header - data);
	/* Only mail from the internet is checked, or can be a forgery. */
	if (!in->authenticated && !trusted(s, in->peer_ip) &&
	    mail_policy_judge_internet(ctx, s, in, header_at, a, plan_r, err) < 0)
		return -1;
	/* A person's sending limits; the sender's org's DLP actions. */
	if ((in->person != NULL || in->org_id != 0) &&
	    mail_policy_judge_sender(ctx, s, in, a, plan_r, err) < 0)
		return -1;
	/*
	 * A copy keeps our trace fields at its start, so what follows them
	 * begins at the same offset in it: [secure] and DLP read it there.
	 */
	if (plan_r->decision.action != MAIL_POLICY_BLOCK && !plan_r->limited &&
	    mail_policy_judge_leaving(ctx, s, in, plan_r->data + header_at,
		    header_len + plan_r->size - size, a, plan_r, err) < 0)
		return -1;
	/* Refused whole: no delivery's commit will write the rows. */
	if (plan_r->decision.action == MAIL_POLICY_BLOCK)
		return mail_policy_write_notes(ctx, plan_r, err);
	return 0;
}

void
mail_arrival_plan_count(const struct mail_arrival_plan *plan,
	size_t recipient_count, size_t *stopped_r, size_t *sealed_r)
{
	size_t stopped = 0, sealed = 0;
	for (size_t i = 0; i < recipient_count; i++) {
		stopped += plan->stopped != NULL && plan->stopped[i] != NULL;
		sealed += plan->sealed != NULL && plan->sealed[i];
	}
	for (size_t i = 0; i < plan->withheld_count; i++) {
		sealed += plan->withheld[i].sealed;
		stopped += !plan->withheld[i].sealed;
	}
	*stopped_r = stopped;
	*sealed_r = sealed;
}
