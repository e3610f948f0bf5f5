/*
 * The policy stage's pure rules as tables: the sending limits (SPEC M7)
 * at each boundary, and the report's words (the seed's "The limit is 0",
 * plus what to do).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "core/arena.h"
#include "mail/mail_org_policy.h"
#include "mail/mail_policy.h"
#include "store/store_mail_policy.h"

struct limit_case {
	bool aup, questions;
	int64_t sent_today;
	size_t recipients;
	enum mail_policy_reason reason;
	const char *says[3];	/* each must be in the report */
};

static const struct mail_policy_limits limits = { .per_message = 100,
	.per_day = 1000 };

static const struct limit_case limit_cases[] = {
	/* Limit 0 until both are done; the report says which is missing. */
	{ false, false, 0, 1, MAIL_POLICY_LIMIT_ZERO, { "The limit is 0. "
	  "This message has 1 recipient.", "accept the Acceptable Use "
	  "Policy and set your security questions", "send the message "
	  "again" } },
	{ true, false, 0, 3, MAIL_POLICY_LIMIT_ZERO, { "This message has 3 "
	  "recipients.", "once you set your security questions", NULL } },
	{ false, true, 0, 1, MAIL_POLICY_LIMIT_ZERO, { "once you accept the "
	  "Acceptable Use Policy:", NULL, NULL } },
	/* Limit 0 comes first, whatever else is true. */
	{ false, true, 5000, 500, MAIL_POLICY_LIMIT_ZERO, { "The limit is 0",
	  NULL, NULL } },
	/* Per message: at the limit is allowed, one more is not. */
	{ true, true, 0, 100, MAIL_POLICY_OK, { NULL, NULL, NULL } },
	{ true, true, 0, 101, MAIL_POLICY_LIMIT_MESSAGE, { "The limit is 100. "
	  "This message has 101 recipients.", "smaller parts", NULL } },
	/* Per day: this message's recipients count with the day's. */
	{ true, true, 900, 100, MAIL_POLICY_OK, { NULL, NULL, NULL } },
	{ true, true, 901, 100, MAIL_POLICY_LIMIT_DAY, { "The limit is 1000 "
	  "recipients a day; you have sent to 901 today and this message "
	  "has 100.", "after midnight (UTC)", NULL } },
	{ true, true, 1000, 1, MAIL_POLICY_LIMIT_DAY, { "sent to 1000 today",
	  NULL, NULL } },
	{ true, true, 999, 1, MAIL_POLICY_OK, { NULL, NULL, NULL } },
};

static void
test_send_limits(void **state)
{
	struct arena *a = arena_new(1 << 16);
	for (size_t i = 0; i < sizeof(limit_cases) / sizeof(*limit_cases);
	     i++) {
		const struct limit_case *c = &limit_cases[i];
		struct mail_policy_sender s = { .aup_accepted = c->aup,
			.questions_set = c->questions,
			.sent_today = c->sent_today };
		struct mail_policy_decision d = mail_policy_send_limit(&s,
			&limits, c->recipients, a);
		if (d.reason != c->reason)
			fail_msg("case %zu: reason %s, want %s", i,
				mail_policy_reason_name(d.reason),
				mail_policy_reason_name(c->reason));
		assert_int_equal(d.action, c->reason == MAIL_POLICY_OK ?
			MAIL_POLICY_DELIVER : MAIL_POLICY_BLOCK);
		if (c->reason == MAIL_POLICY_OK) {
			assert_null(d.why);
			continue;
		}
		assert_non_null(d.why);
		/* The seed's words, which people search for. */
		assert_non_null(strstr(d.why, "The message wasn't delivered "
			"to anyone because"));
		for (size_t k = 0; k < 3 && c->says[k] != NULL; k++)
			if (strstr(d.why, c->says[k]) == NULL)
				fail_msg("case %zu: \"%s\" not in \"%s\"", i,
					c->says[k], d.why);
	}
	arena_free(&a);
}

/* With no memory for the numbers, the report still says what to do. */
static void
test_send_limit_without_memory(void **state)
{
	struct arena *a = arena_new(16);
	struct mail_policy_sender s = { 0 };
	struct mail_policy_decision d = mail_policy_send_limit(&s, &limits,
		1, a);
	assert_int_equal(d.reason, MAIL_POLICY_LIMIT_ZERO);
	assert_non_null(strstr(d.why, "The limit is 0."));
	assert_non_null(strstr(d.why, "security questions"));
	arena_free(&a);
}

/* ---- [secure] (SPEC M10) ---- */

static void
test_wants_secure(void **state)
{
	static const struct {
		const char *subject;
		bool secure;
	} cases[] = {
		{ "[secure] Referral", true },
		{ "Referral [SECURE]", true },
		{ "Re: [Secure] results for Mrs A", true },
		{ "[sEcUrE]", true },
		{ "Referral", false },
		{ "secure referral", false },		/* brackets included */
		{ "[secure referral]", false },
		{ "[ secure ]", false },
		{ "{secure}", false },	/* not a case of [ ] */
		{ "[securee]", false },
		{ "", false },
		{ "[secur", false },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		const char *one[] = { cases[i].subject };
		if (mail_policy_wants_secure(one, 1) != cases[i].secure)
			fail_msg("\"%s\"", cases[i].subject);
	}
	/* No Subject, or two: fails closed. */
	const char *two[] = { "Referral", "[secure] Referral" };
	assert_true(mail_policy_wants_secure(two, 2));
	assert_true(mail_policy_wants_secure(NULL, 0));
}

/* ---- one recipient outside the platform ---- */

struct outbound_case {
	bool wants_secure;
	enum mail_policy_dlp dlp;
	bool remote, secure_domain;
	enum mail_policy_action action;
	enum mail_policy_reason reason;
};

static const struct outbound_case outbound_cases[] = {
	/* Local and secure-domain recipients: as it is, whatever was found. */
	{ true, MAIL_POLICY_DLP_BLOCK, false, false, MAIL_POLICY_DELIVER,
	  MAIL_POLICY_OK },
	{ false, MAIL_POLICY_DLP_HOLD, false, false, MAIL_POLICY_DELIVER,
	  MAIL_POLICY_OK },
	{ true, MAIL_POLICY_DLP_BLOCK, true, true, MAIL_POLICY_DELIVER,
	  MAIL_POLICY_OK },
	{ false, MAIL_POLICY_DLP_HOLD, true, true, MAIL_POLICY_DELIVER,
	  MAIL_POLICY_OK },
	/* Outside: [secure] encrypts, before and whatever DLP says. */
	{ true, MAIL_POLICY_DLP_NONE, true, false, MAIL_POLICY_ENCRYPT,
	  MAIL_POLICY_SECURE_SUBJECT },
	{ true, MAIL_POLICY_DLP_BLOCK, true, false, MAIL_POLICY_ENCRYPT,
	  MAIL_POLICY_SECURE_SUBJECT },
	{ true, MAIL_POLICY_DLP_HOLD, true, false, MAIL_POLICY_ENCRYPT,
	  MAIL_POLICY_SECURE_SUBJECT },
	/* Without it, the DLP policy. */
	{ false, MAIL_POLICY_DLP_NONE, true, false, MAIL_POLICY_DELIVER,
	  MAIL_POLICY_OK },
	{ false, MAIL_POLICY_DLP_ENCRYPT, true, false, MAIL_POLICY_ENCRYPT,
	  MAIL_POLICY_DLP },
	{ false, MAIL_POLICY_DLP_BLOCK, true, false, MAIL_POLICY_BLOCK,
	  MAIL_POLICY_DLP },
	{ false, MAIL_POLICY_DLP_HOLD, true, false, MAIL_POLICY_BLOCK,
	  MAIL_POLICY_DLP_UNSCANNABLE },
};

static void
test_outbound(void **state)
{
	struct arena *a = arena_new(1 << 16);
	for (size_t i = 0; i < sizeof(outbound_cases) /
	     sizeof(*outbound_cases); i++) {
		const struct outbound_case *c = &outbound_cases[i];
		struct mail_policy_message m = {
			.wants_secure = c->wants_secure, .dlp = c->dlp,
			.dlp_sample = "943 *** **19" };
		struct mail_policy_decision d = mail_policy_outbound(&m,
			"pat@mail.example", c->remote, c->secure_domain, a);
		if (d.action != c->action || d.reason != c->reason)
			fail_msg("case %zu: %d/%s", i, d.action,
				mail_policy_reason_name(d.reason));
		if (d.action != MAIL_POLICY_BLOCK) {
			assert_null(d.why);
			continue;
		}
		/* The report says how to send it: with [secure]. */
		assert_non_null(strstr(d.why, "[secure] in the subject and send it again"));
		assert_non_null(strstr(d.why, "pat@mail.example"));
		if (d.reason == MAIL_POLICY_DLP)
			assert_non_null(strstr(d.why, "(943 *** **19)"));
	}
	arena_free(&a);
}

/* ---- what the DLP settings make of a scan ---- */

struct dlp_case {
	/* The actions for low, medium and high. */
	enum mail_policy_dlp_action low, medium, high;
	/* Numbers found at low, medium and high. */
	size_t found_low, found_medium, found_high;
	bool unscannable;
	bool hit;
	enum mail_policy_dlp dlp;
};

#define IG MAIL_POLICY_DLP_IGNORE
#define AU MAIL_POLICY_DLP_AUDIT
#define SE MAIL_POLICY_DLP_SEAL
#define RE MAIL_POLICY_DLP_REFUSE

static const struct dlp_case dlp_cases[] = {
	/* The defaults: high and medium blocked, low audited. */
	{ AU, RE, RE, 0, 0, 0, false, false, MAIL_POLICY_DLP_NONE },
	{ AU, RE, RE, 1, 0, 0, false, true, MAIL_POLICY_DLP_NONE },
	{ AU, RE, RE, 0, 1, 0, false, true, MAIL_POLICY_DLP_BLOCK },
	{ AU, RE, RE, 0, 0, 2, false, true, MAIL_POLICY_DLP_BLOCK },
	{ AU, RE, RE, 3, 0, 1, false, true, MAIL_POLICY_DLP_BLOCK },
	/* The strongest action found decides, not the surest tier. */
	{ RE, AU, AU, 1, 0, 1, false, true, MAIL_POLICY_DLP_BLOCK },
	{ RE, AU, AU, 0, 0, 1, false, true, MAIL_POLICY_DLP_NONE },
	{ IG, IG, AU, 5, 5, 0, false, false, MAIL_POLICY_DLP_NONE },
	{ IG, IG, IG, 5, 5, 5, false, false, MAIL_POLICY_DLP_NONE },
	/* Not all read: held when any tier blocks (what was not read could
	 * hold one), audited when the strongest is audit, else nothing; a
	 * number found that blocks still blocks by name. */
	{ AU, RE, RE, 0, 0, 0, true, true, MAIL_POLICY_DLP_HOLD },
	{ RE, IG, IG, 0, 0, 0, true, true, MAIL_POLICY_DLP_HOLD },
	{ AU, RE, RE, 1, 0, 0, true, true, MAIL_POLICY_DLP_HOLD },
	{ AU, RE, RE, 0, 1, 0, true, true, MAIL_POLICY_DLP_BLOCK },
	{ AU, AU, AU, 0, 0, 0, true, true, MAIL_POLICY_DLP_NONE },
	{ IG, IG, IG, 0, 0, 0, true, false, MAIL_POLICY_DLP_NONE },
	/* encrypt: sealed when found; block is stronger, audit weaker. */
	{ AU, SE, SE, 0, 0, 1, false, true, MAIL_POLICY_DLP_ENCRYPT },
	{ AU, SE, SE, 1, 0, 0, false, true, MAIL_POLICY_DLP_NONE },
	{ AU, SE, RE, 0, 1, 1, false, true, MAIL_POLICY_DLP_BLOCK },
	{ SE, AU, AU, 1, 0, 1, false, true, MAIL_POLICY_DLP_ENCRYPT },
	/* Not all read, the strongest encrypt: sealed, never in clear. */
	{ AU, SE, SE, 0, 0, 0, true, true, MAIL_POLICY_DLP_ENCRYPT },
	{ AU, SE, RE, 0, 0, 0, true, true, MAIL_POLICY_DLP_HOLD },
};

static void
test_dlp_judge(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(dlp_cases) / sizeof(*dlp_cases); i++) {
		const struct dlp_case *c = &dlp_cases[i];
		struct mail_policy_dlp_rule rule = { .by_tier = {
			[MAIL_NHSNUM_TIER_LOW] = c->low,
			[MAIL_NHSNUM_TIER_MEDIUM] = c->medium,
			[MAIL_NHSNUM_TIER_HIGH] = c->high } };
		size_t counts[MAIL_NHSNUM_TIER_HIGH + 1] = {
			[MAIL_NHSNUM_TIER_LOW] = c->found_low,
			[MAIL_NHSNUM_TIER_MEDIUM] = c->found_medium,
			[MAIL_NHSNUM_TIER_HIGH] = c->found_high };
		struct mail_policy_dlp_verdict v = mail_policy_dlp_judge(&rule,
			counts, c->unscannable);
		if (v.hit != c->hit || v.dlp != c->dlp)
			fail_msg("case %zu: hit %d dlp %d", i, v.hit, v.dlp);
		bool any = c->low != IG || c->medium != IG || c->high != IG;
		assert_int_equal(mail_policy_dlp_scans(&rule), any);
	}
}

/* ---- mail from the internet (SPEC M9) ---- */

struct inbound_case {
	bool outside, envelope_hosted, from_hosted, authenticated;
	enum mail_policy_dmarc dmarc;
	enum mail_policy_action tag, junk, reject;	/* by mode */
	enum mail_policy_reason reason;
};

#define SAME(x) x, x, x

static const struct inbound_case inbound_cases[] = {
	/* From inside (signed in, trusted network, relay): delivered, even
	 * claiming a hosted domain or failing another's DMARC. */
	{ false, true, true, false, MAIL_POLICY_DMARC_REJECT,
	  SAME(MAIL_POLICY_DELIVER), MAIL_POLICY_OK },
	/* From outside, claiming a hosted domain in From or envelope: the
	 * configured mode, whatever the hosted domain's own DMARC says. */
	{ true, false, true, false, MAIL_POLICY_DMARC_REJECT,
	  MAIL_POLICY_TAG, MAIL_POLICY_JUNK, MAIL_POLICY_BLOCK,
	  MAIL_POLICY_SPOOF },
	{ true, true, false, false, MAIL_POLICY_DMARC_NONE,
	  MAIL_POLICY_TAG, MAIL_POLICY_JUNK, MAIL_POLICY_BLOCK,
	  MAIL_POLICY_SPOOF },
	{ true, true, true, false, MAIL_POLICY_DMARC_NONE,
	  MAIL_POLICY_TAG, MAIL_POLICY_JUNK, MAIL_POLICY_BLOCK,
	  MAIL_POLICY_SPOOF },
	/* ... unless it proves the hosted identity (our own DKIM key). */
	{ true, false, true, true, MAIL_POLICY_DMARC_PASS,
	  SAME(MAIL_POLICY_DELIVER), MAIL_POLICY_OK },
	/* Another domain's DMARC. */
	{ true, false, false, false, MAIL_POLICY_DMARC_REJECT,
	  SAME(MAIL_POLICY_BLOCK), MAIL_POLICY_DMARC },
	{ true, false, false, false, MAIL_POLICY_DMARC_QUARANTINE,
	  SAME(MAIL_POLICY_JUNK), MAIL_POLICY_DMARC },
	{ true, false, false, false, MAIL_POLICY_DMARC_FAIL,
	  SAME(MAIL_POLICY_DELIVER), MAIL_POLICY_OK },
	{ true, false, false, false, MAIL_POLICY_DMARC_PASS,
	  SAME(MAIL_POLICY_DELIVER), MAIL_POLICY_OK },
	{ true, false, false, false, MAIL_POLICY_DMARC_NONE,
	  SAME(MAIL_POLICY_DELIVER), MAIL_POLICY_OK },
};

static void
test_inbound(void **state)
{
	struct arena *a = arena_new(1 << 16);
	static const enum mail_policy_spoof_mode modes[] = {
		MAIL_POLICY_SPOOF_TAG, MAIL_POLICY_SPOOF_JUNK,
		MAIL_POLICY_SPOOF_REJECT };
	for (size_t i = 0; i < sizeof(inbound_cases) / sizeof(*inbound_cases);
	     i++) {
		const struct inbound_case *c = &inbound_cases[i];
		const enum mail_policy_action want[] = { c->tag, c->junk,
			c->reject };
		struct mail_policy_inbound in = { .from_outside = c->outside,
			.envelope_hosted = c->envelope_hosted,
			.from_hosted = c->from_hosted,
			.hosted_authenticated = c->authenticated,
			.dmarc = c->dmarc, .claimed_domain = "ours.example",
			.from_domain = "theirs.example" };
		for (size_t m = 0; m < 3; m++) {
			struct mail_policy_decision d = mail_policy_inbound(&in,
				modes[m], a);
			if (d.action != want[m])
				fail_msg("case %zu mode %zu: action %d, want %d",
					i, m, d.action, want[m]);
			if (d.action == MAIL_POLICY_DELIVER)
				continue;
			assert_int_equal(d.reason, c->reason);
			if (d.action != MAIL_POLICY_BLOCK)
				continue;
			assert_non_null(strstr(d.why, c->reason ==
				MAIL_POLICY_SPOOF ? "claims to be from "
				"ours.example" : "theirs.example publishes a "
				"DMARC policy"));
		}
	}
	arena_free(&a);
}

/*
 * The one list of DLP action words, which mail.dlp_* and an org's
 * override are both checked against: each word and its action both ways,
 * anything else refused (case matters, as in the config file).
 */
static void
test_dlp_action_words(void **state)
{
	(void)state;
	static const struct {
		const char *word;
		bool known;
		enum mail_policy_dlp_action action;
	} cases[] = {
		{ "none", true, MAIL_POLICY_DLP_IGNORE },
		{ "audit", true, MAIL_POLICY_DLP_AUDIT },
		{ "block", true, MAIL_POLICY_DLP_REFUSE },
		{ "Block", false, 0 },
		{ "", false, 0 },
		{ "blocked", false, 0 },
		{ NULL, false, 0 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		enum mail_policy_dlp_action got = MAIL_POLICY_DLP_AUDIT;
		assert_int_equal(mail_policy_dlp_action_parse(cases[i].word,
					 &got),
			cases[i].known);
		if (!cases[i].known)
			continue;
		assert_int_equal(got, cases[i].action);
		assert_string_equal(mail_policy_dlp_action_name(got),
			cases[i].word);
	}
	/* Each word in the sentence, the last after "or" (a new action
	 * added to the table joins it). */
	char words[64];
	mail_policy_dlp_action_words(words, sizeof(words));
	assert_non_null(strstr(words, "none, audit"));
	assert_non_null(strstr(words, "block"));
	assert_non_null(strstr(words, " or "));
	char tiny[8];
	mail_policy_dlp_action_words(tiny, sizeof(tiny));
	assert_true(strlen(tiny) < sizeof(tiny));
}

/*
 * An org's overrides over the service's settings: each one set replaces
 * the service's and is marked as the org's; unset (0, NULL) and a word
 * this server does not know leave the service's.
 */
static void
test_org_policy_apply(void **state)
{
	(void)state;
	struct mail_org_policy p = { .limits = { 500, 10000 },
		.dlp.by_tier = { [MAIL_NHSNUM_TIER_LOW] = MAIL_POLICY_DLP_AUDIT,
			[MAIL_NHSNUM_TIER_MEDIUM] = MAIL_POLICY_DLP_REFUSE,
			[MAIL_NHSNUM_TIER_HIGH] = MAIL_POLICY_DLP_REFUSE } };
	struct store_org_mail_policy o = { .send_limit_day = 20,
		.dlp_high = "none", .dlp_low = "shred" };
	mail_org_policy_apply(&o, &p);
	assert_int_equal(p.limits.per_message, 500);
	assert_int_equal(p.limits.per_day, 20);
	assert_int_equal(p.dlp.by_tier[MAIL_NHSNUM_TIER_HIGH],
		MAIL_POLICY_DLP_IGNORE);
	assert_int_equal(p.dlp.by_tier[MAIL_NHSNUM_TIER_MEDIUM],
		MAIL_POLICY_DLP_REFUSE);
	assert_int_equal(p.dlp.by_tier[MAIL_NHSNUM_TIER_LOW],
		MAIL_POLICY_DLP_AUDIT);
	assert_false(p.overridden[MAIL_ORG_POLICY_SEND_LIMIT_MESSAGE]);
	assert_true(p.overridden[MAIL_ORG_POLICY_SEND_LIMIT_DAY]);
	assert_true(p.overridden[MAIL_ORG_POLICY_DLP_HIGH]);
	assert_false(p.overridden[MAIL_ORG_POLICY_DLP_MEDIUM]);
	assert_false(p.overridden[MAIL_ORG_POLICY_DLP_LOW]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_send_limits),
		cmocka_unit_test(test_send_limit_without_memory),
		cmocka_unit_test(test_wants_secure),
		cmocka_unit_test(test_dlp_judge),
		cmocka_unit_test(test_outbound),
		cmocka_unit_test(test_inbound),
		cmocka_unit_test(test_dlp_action_words),
		cmocka_unit_test(test_org_policy_apply),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
