/*
 * DMARC (RFC 7489 §3, §6): the record read, discovered at the From
 * domain or its organisational domain, and alignment judged. Layer:
 * domain. The Public Suffix List comes from libpsl (the newest of its
 * built-in copy and Debian's publicsuffix package), loaded once.
 */
#include "mail/mail_dmarc.h"

#include <libpsl.h>
#include <pthread.h>
#include <string.h>
#include <strings.h>

#include "core/arena.h"
#include "core/dns.h"
#include "core/error.h"
#include "core/str.h"

const char *
mail_dmarc_policy_name(enum mail_dmarc_policy p)
{
	switch (p) {
	case MAIL_DMARC_POLICY_NONE:
		return "none";
	case MAIL_DMARC_POLICY_QUARANTINE:
		return "quarantine";
	case MAIL_DMARC_POLICY_REJECT:
		return "reject";
	}
	return "none";
}

const char *
mail_dmarc_result_name(enum mail_dmarc_result r)
{
	switch (r) {
	case MAIL_DMARC_NONE:
		return "none";
	case MAIL_DMARC_PASS:
		return "pass";
	case MAIL_DMARC_FAIL:
		return "fail";
	case MAIL_DMARC_TEMPERROR:
		return "temperror";
	case MAIL_DMARC_PERMERROR:
		return "permerror";
	}
	return "permerror";
}

static bool
policy_parse(struct span v, enum mail_dmarc_policy *p_r)
{
	if (span_eq_nocase(v, "none"))
		*p_r = MAIL_DMARC_POLICY_NONE;
	else if (span_eq_nocase(v, "quarantine"))
		*p_r = MAIL_DMARC_POLICY_QUARANTINE;
	else if (span_eq_nocase(v, "reject"))
		*p_r = MAIL_DMARC_POLICY_REJECT;
	else
		return false;
	return true;
}

/* adkim= and aspf=: "r" or "s"; absent is relaxed. */
static bool
mode_parse(const struct span *v, bool *strict_r)
{
	*strict_r = false;
	if (v == NULL || span_eq_nocase(*v, "r"))
		return true;
	if (span_eq_nocase(*v, "s")) {
		*strict_r = true;
		return true;
	}
	return false;
}

int
mail_dmarc_record_parse(struct span text, struct mail_dmarc_record *r,
	struct error *err)
{
	memset(r, 0, sizeof(*r));
	r->pct = 100;
	struct mail_dkim_tag tags[MAIL_DKIM_TAGS_MAX];
	size_t count;
	if (mail_dkim_tags_parse(text, tags, &count, err) < 0)
		return -1;
	/* §6.4: v=DMARC1 comes first, exactly. */
	if (count == 0 || !span_eq(tags[0].name, "v") ||
	    !span_eq(tags[0].value, "DMARC1"))
		return error_set(err, ERROR_INVALID,
			"the record does not start with v=DMARC1");
	const struct span *p = mail_dkim_tag_find(tags, count, "p");
	if (p == NULL || !policy_parse(*p, &r->p)) {
		/* §6.6.3: with a rua=, act as if p=none. */
		if (mail_dkim_tag_find(tags, count, "rua") == NULL)
			return error_set(err, ERROR_INVALID,
				"the record has no valid p= (none, "
				"quarantine or reject)");
		r->p = MAIL_DMARC_POLICY_NONE;
	}
	const struct span *sp = mail_dkim_tag_find(tags, count, "sp");
	if (sp == NULL || !policy_parse(*sp, &r->sp))
		r->sp = r->p;	/* §6.3: an invalid sp= is as none given */
	if (!mode_parse(mail_dkim_tag_find(tags, count, "adkim"),
		    &r->adkim_strict) ||
	    !mode_parse(mail_dkim_tag_find(tags, count, "aspf"),
		    &r->aspf_strict))
		return error_set(err, ERROR_INVALID,
			"adkim= and aspf= take r or s");
	const struct span *pct = mail_dkim_tag_find(tags, count, "pct");
	uint64_t v;
	if (pct != NULL) {
		if (pct->len > 3 || !span_to_u64(*pct, &v) || v > 100)
			return error_set(err, ERROR_INVALID,
				"pct= is not a number from 0 to 100");
		r->pct = (int)v;
	}
	return 0;
}

static psl_ctx_t *psl;
static pthread_once_t psl_once = PTHREAD_ONCE_INIT;

static void
psl_load(void)
{
	psl = psl_latest(NULL);
}

const char *
mail_dmarc_org_domain(const char *domain)
{
	pthread_once(&psl_once, psl_load);
	if (psl != NULL) {
		const char *reg = psl_registrable_domain(psl, domain);
		return reg != NULL ? reg : domain;
	}
	/* No list on this system: the last two labels. */
	const char *last = strrchr(domain, '.');
	if (last == NULL)
		return domain;
	for (const char *p = last - 1; p >= domain; p--) {
		if (*p == '.')
			return p + 1;
	}
	return domain;
}

bool
mail_dmarc_aligned(const char *a, const char *b, bool strict)
{
	if (strcasecmp(a, b) == 0)
		return true;
	if (strict)
		return false;
	return strcasecmp(mail_dmarc_org_domain(a),
		mail_dmarc_org_domain(b)) == 0;
}

static enum mail_dmarc_policy
lowered(enum mail_dmarc_policy p)
{
	return p == MAIL_DMARC_POLICY_REJECT ? MAIL_DMARC_POLICY_QUARANTINE :
		MAIL_DMARC_POLICY_NONE;
}

void
mail_dmarc_evaluate(const struct mail_dmarc_record *record,
	const char *record_domain, const struct mail_dmarc_input *in,
	struct arena *a, struct mail_dmarc_outcome *out_r)
{
	memset(out_r, 0, sizeof(*out_r));
	out_r->from_domain = in->from_domain;
	out_r->record_domain = record_domain;
	out_r->spf_aligned = in->spf == MAIL_SPF_PASS &&
		in->spf_domain != NULL && in->spf_domain[0] != '\0' &&
		mail_dmarc_aligned(in->spf_domain, in->from_domain,
			record->aspf_strict);
	for (size_t i = 0; i < in->dkim_count; i++) {
		if (in->dkim[i].verdict == MAIL_DKIM_PASS &&
		    mail_dmarc_aligned(in->dkim[i].domain, in->from_domain,
			    record->adkim_strict))
			out_r->dkim_aligned = true;
	}
	if (out_r->spf_aligned || out_r->dkim_aligned) {
		out_r->result = MAIL_DMARC_PASS;
		out_r->policy = MAIL_DMARC_POLICY_NONE;
		out_r->why = arena_printf(a, "%s passed aligned with %s",
			out_r->dkim_aligned ? "DKIM" : "SPF", in->from_domain);
		if (out_r->why == NULL)
			out_r->why = "DMARC passed";
		return;
	}
	out_r->result = MAIL_DMARC_FAIL;
	bool sub = strcasecmp(in->from_domain, record_domain) != 0;
	enum mail_dmarc_policy p = sub ? record->sp : record->p;
	/* §6.6.4: outside pct= the policy is one step gentler. */
	bool sampled = in->sample < (uint32_t)record->pct;
	out_r->policy = sampled ? p : lowered(p);
	out_r->why = arena_printf(a, "neither SPF nor DKIM passed aligned "
		"with %s; the policy of %s is %s%s", in->from_domain,
		record_domain, mail_dmarc_policy_name(p), sampled ? "" :
		" (this message is outside pct=, so one step gentler)");
	if (out_r->why == NULL)
		out_r->why = "DMARC failed";
}

/*
 * The one DMARC record at _dmarc.domain: 1 found, 0 none (or several,
 * §6.6.3), or a TEMPERROR outcome set; -1 on a hard failure.
 */
static int
record_at(const struct mail_auth_dns *dns, const char *domain,
	struct arena *a, struct mail_dmarc_record *rec_r, bool *tempfail_r,
	const char **why_r, struct error *err)
{
	*tempfail_r = false;
	char *name = arena_printf(a, "_dmarc.%s", domain);
	if (name == NULL)
		return error_set(err, ERROR_LIMIT, "out of memory");
	if (!dns_name_is_valid(name))
		return 0;
	struct dns_answer ans;
	if (dns->lookup(dns->arg, name, DNS_TYPE_TXT, a, &ans, err) < 0)
		return -1;
	if (ans.status == DNS_STATUS_TEMPFAIL) {
		*tempfail_r = true;
		*why_r = arena_printf(a, "the DMARC record at %s could not "
			"be fetched: %s", name, ans.why);
		return 0;
	}
	const struct dns_txt *found = NULL;
	for (size_t i = 0; i < ans.count; i++) {
		struct span t = span_make(ans.txt[i].text, ans.txt[i].len);
		if (!span_starts_with(t, "v=DMARC1"))
			continue;
		if (found != NULL) {
			*why_r = arena_printf(a, "%s has more than one DMARC "
				"record", name);
			return 0;
		}
		found = &ans.txt[i];
	}
	if (found == NULL)
		return 0;
	struct error perr;
	if (mail_dmarc_record_parse(span_make(found->text, found->len),
		    rec_r, &perr) < 0) {
		*why_r = arena_printf(a, "the DMARC record at %s is not "
			"valid: %s", name, perr.msg);
		return 0;
	}
	return 1;
}

int
mail_dmarc_check(const struct mail_auth_dns *dns,
	const struct mail_dmarc_input *in, struct arena *a,
	struct mail_dmarc_outcome *out_r, struct error *err)
{
	memset(out_r, 0, sizeof(*out_r));
	out_r->from_domain = in->from_domain != NULL ? in->from_domain : "";
	out_r->record_domain = "";
	if (in->from_domain == NULL || in->from_domain[0] == '\0') {
		out_r->result = MAIL_DMARC_PERMERROR;
		out_r->why = "the message has no single From address to check";
		return 0;
	}
	const char *org = mail_dmarc_org_domain(in->from_domain);
	const char *domains[2] = { in->from_domain, org };
	const char *why = NULL;
	for (size_t i = 0; i < 2; i++) {
		if (i == 1 && strcasecmp(org, in->from_domain) == 0)
			break;
		struct mail_dmarc_record rec;
		bool tempfail;
		int found = record_at(dns, domains[i], a, &rec, &tempfail,
			&why, err);
		if (found < 0)
			return -1;
		if (tempfail) {
			out_r->result = MAIL_DMARC_TEMPERROR;
			out_r->why = why != NULL ? why : "a DNS failure";
			return 0;
		}
		if (found == 1) {
			mail_dmarc_evaluate(&rec, domains[i], in, a, out_r);
			return 0;
		}
	}
	out_r->result = MAIL_DMARC_NONE;
	out_r->why = why != NULL ? why : arena_printf(a, "%s publishes no "
		"DMARC record", in->from_domain);
	if (out_r->why == NULL)
		return error_set(err, ERROR_LIMIT, "out of memory");
	return 0;
}
