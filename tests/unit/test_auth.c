/*
 * Password rules of auth/, pure and table-driven: the policy's refusals
 * (SECURITY.md 37) by kind, each with the sentence saying why, and the
 * rule that makes a password temporary or expired (SPEC P1, L4).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "auth/auth.h"
#include "core/config.h"
#include "core/error.h"
#include "dir/dir.h"

static const struct auth_password_owner jo = {
	"jo.smith-jones@trust.nhs.example", "Jo", "Smith-Jones",
	"Jo Smith-Jones" };

/* Refused, with a sentence that says why (a part of it here). */
static const struct {
	const char *password;
	const char *why;
} refused[] = {
	/* The three. */
	{ "123456789012", "sequence" },
	{ "password1234", "common password" },
	{ "qwertyuiop123", "common password or word" },
	/* Breached and common passwords, with small changes. */
	{ "P@ssw0rd1234", "look-alikes" },
	{ "Qwerty123456!", "common password" },
	{ "letmein12345", "common password" },
	{ "iloveyou2026", "common password" },
	{ "trustno1trustno1", "common password" },
	{ "football1234", "common password" },
	{ "passwordpassword", "common password" },
	{ "1q2w3e4r5t6y", "common password" },
	{ "zaq12wsxcde3", "keys next to each other" },
	/* Dictionary words with a capital, digits or a year. */
	{ "Elephant2026!", "date or a year" },
	{ "Hospital2026", "common password or word" },
	{ "Manchester1999", "common password or word" },
	{ "sunshine123456", "common password" },
	{ "abcdefghijklmnop", "sequence" },
	{ "aaaaaaaaaaaa", "one character repeated" },
	{ "short", "at least 12" },
};

static void
test_policy_refuses_guessable(void **state)
{
	(void)state;
	int wrong = 0;
	for (size_t i = 0; i < sizeof(refused) / sizeof(*refused); i++) {
		struct error err = { 0 };
		int rc = auth_password_check_policy(refused[i].password, NULL,
			&err);
		/* The sentence never quotes the password back. */
		if (rc == 0 || err.code != ERROR_INVALID ||
		    strcmp(err.field, "password") != 0 ||
		    strstr(err.msg, refused[i].why) == NULL ||
		    strstr(err.msg, refused[i].password) != NULL) {
			print_error("\"%s\": %s\n", refused[i].password,
				rc == 0 ? "accepted" : err.msg);
			wrong++;
		}
	}
	assert_int_equal(wrong, 0);
}

/*
 * Every name part of 3 letters or more, and the address's local part,
 * in any case and with or without accents, inside an otherwise strong
 * password, is refused as the person's own; shorter parts are not.
 */
static void
test_policy_refuses_own_name_and_address(void **state)
{
	(void)state;
	static const struct auth_password_owner people[] = {
		{ "jo.smith-jones@trust.nhs.example", "Jo", "Smith-Jones",
		  "Jo Smith-Jones" },
		{ "zoe.obrien@trust.nhs.example", "Zoë", "O'Brien", NULL },
		{ "anne-marie.ng@trust.nhs.example", "Anne-Marie", "Ng",
		  "Dr Anne-Marie Ng" },
		{ "priya.raghunathan2@trust.nhs.example", "Priya",
		  "Raghunathan", NULL },
	};
	static const struct {
		size_t who;
		const char *part;	/* as typed inside the password */
		const char *kind;	/* NULL: not refused for containing it */
	} cases[] = {
		{ 0, "smith", "name" }, { 0, "JONES", "name" },
		{ 0, "Jo", NULL },
		{ 0, "jo.smith-jones", "email address" },
		{ 0, "jo.smith-jones@trust.nhs.example", "email address" },
		{ 1, "zoe", "name" }, { 1, "ZOË", "name" },
		{ 1, "obrien", "name" }, { 1, "OBrien", "name" },
		{ 2, "anne", "name" }, { 2, "Marie", "name" },
		{ 2, "Ng", NULL },
		{ 3, "priya", "name" }, { 3, "RAGHUNATHAN", "name" },
		{ 3, "priya.raghunathan2", "email address" },
	};
	static const char *const wrappers[][2] = {
		{ "", "Vq7#kLm2zT9w" },
		{ "Vq7#kLm2zT9w", "" },
		{ "Vq7#kL", "m2zT9w" },
	};
	for (size_t c = 0; c < sizeof(cases) / sizeof(*cases); c++) {
		for (size_t w = 0; w < 3; w++) {
			char password[200];
			snprintf(password, sizeof(password), "%s%s%s",
				wrappers[w][0], cases[c].part, wrappers[w][1]);
			struct error err = { 0 };
			int rc = auth_password_check_policy(password,
				&people[cases[c].who], &err);
			if (cases[c].kind == NULL) {
				if (rc != 0)
					fail_msg("\"%s\": %s", password,
						err.msg);
				continue;
			}
			char want[64];
			snprintf(want, sizeof(want), "contains your %s",
				cases[c].kind);
			if (rc == 0 || strstr(err.msg, want) == NULL)
				fail_msg("\"%s\": %s", password,
					rc == 0 ? "accepted" : err.msg);
		}
	}
	/* Disguised with look-alikes, zxcvbn still sees the name. */
	struct error err;
	assert_int_equal(auth_password_check_policy("$m1thJ0nes2026!!", &jo,
				 &err), -1);
	assert_non_null(strstr(err.msg, "your name or address"));
}

static void
test_policy_accepts_strong(void **state)
{
	(void)state;
	static const char *const strong[] = {
		"correct horse battery staple",
		"a much longer passphrase now",
		"Kettle Bramble Harbour",
		"my cat is called Fluffy",
		"xK3pQ9zLm2Rt",
		"Tr0ub4dor&3 plus more",
	};
	for (size_t i = 0; i < sizeof(strong) / sizeof(*strong); i++) {
		struct error err;
		if (auth_password_check_policy(strong[i], &jo, &err) < 0)
			fail_msg("refused \"%s\": %s", strong[i], err.msg);
	}
	/* Every random password we hand out passes, so none is refused. */
	for (int i = 0; i < 200; i++) {
		char buf[AUTH_APP_PASSWORD_LEN + 1];
		struct error err;
		auth_password_generate(buf, AUTH_TEMP_PASSWORD_LEN);
		if (auth_password_check_policy(buf, &jo, &err) < 0)
			fail_msg("refused a generated password: %s", err.msg);
	}
}

static void
test_password_state(void **state)
{
	(void)state;
	const int64_t day = 86400, max = 90 * day, now = 1000 * day;
	static const struct {
		int64_t changed, self_set, now_offset;
		enum auth_password_state want;
	} cases[] = {
		/* Never set, or set by someone else: temporary. */
		{ 0, 0, 0, AUTH_PASSWORD_TEMPORARY },
		{ 999, 0, 0, AUTH_PASSWORD_TEMPORARY },
		{ 999, 500, 0, AUTH_PASSWORD_TEMPORARY },
		/* Someone else set it long ago: still temporary. */
		{ 1, 0, 0, AUTH_PASSWORD_TEMPORARY },
		/* One's own: fine up to the maximum age, then expired. */
		{ 999, 999, 0, AUTH_PASSWORD_OK },
		{ 910, 910, 0, AUTH_PASSWORD_OK },
		{ 909, 909, 0, AUTH_PASSWORD_EXPIRED },
		{ 1, 1, 0, AUTH_PASSWORD_EXPIRED },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		enum auth_password_state got = auth_password_state(
			cases[i].changed * day, cases[i].self_set * day,
			now + cases[i].now_offset, max);
		if (got != cases[i].want)
			fail_msg("case %zu: %d, not %d", i, got, cases[i].want);
	}
}

/* ---- the sign-in rule (auth_signin_rule.c) ---- */

#define DAY 86400
#define NOW (1800000000LL)
#define MAX_AGE (90 * DAY)

enum pw { PW_OK, PW_TEMPORARY, PW_EXPIRED };
#define YES AUTH_SIGNIN_YES
#define WRONG AUTH_SIGNIN_WRONG
#define REFUSED AUTH_SIGNIN_REFUSED

/* A known person with a right own password, no role, nothing switched off. */
static struct auth_signin_facts
facts(enum store_person_status status, const char *protocol, enum pw pw)
{
	struct auth_signin_facts f = { .protocol = protocol,
		.credential = AUTH_CREDENTIAL_PASSWORD,
		.known = true,
		.secret_right = true,
		.status = status,
		.password_max_age_s = MAX_AGE,
		.person_protocols_off = "",
		.org_protocols_off = "",
		.org_name = "Leeds Trust",
		.now = NOW };
	switch (pw) {
	case PW_OK:
		f.password_changed_at = f.password_self_set_at = NOW - DAY;
		break;
	case PW_TEMPORARY:	/* set by an admin, never by the person */
		f.password_changed_at = NOW - DAY;
		f.password_self_set_at = 0;
		break;
	case PW_EXPIRED:
		f.password_changed_at = f.password_self_set_at =
			NOW - MAX_AGE - DAY;
		break;
	}
	return f;
}

/* Every status x protocol x password state, own password, right. */
static const struct {
	enum store_person_status status;
	const char *protocol;
	enum pw pw;
	enum auth_signin_answer want;
	const char *field;
} rule_cases[] = {
	{ STORE_PERSON_ACTIVE, "web", PW_OK, YES, "" },
	{ STORE_PERSON_ACTIVE, "web", PW_TEMPORARY, YES, "" },
	{ STORE_PERSON_ACTIVE, "web", PW_EXPIRED, YES, "" },
	{ STORE_PERSON_ACTIVE, "imap", PW_OK, YES, "" },
	{ STORE_PERSON_ACTIVE, "imap", PW_TEMPORARY, REFUSED, "password" },
	{ STORE_PERSON_ACTIVE, "imap", PW_EXPIRED, REFUSED, "password" },
	{ STORE_PERSON_ACTIVE, "pop3", PW_OK, YES, "" },
	{ STORE_PERSON_ACTIVE, "pop3", PW_TEMPORARY, REFUSED, "password" },
	{ STORE_PERSON_ACTIVE, "pop3", PW_EXPIRED, REFUSED, "password" },
	{ STORE_PERSON_ACTIVE, "smtp", PW_OK, YES, "" },
	{ STORE_PERSON_ACTIVE, "smtp", PW_TEMPORARY, REFUSED, "password" },
	{ STORE_PERSON_ACTIVE, "smtp", PW_EXPIRED, REFUSED, "password" },
	{ STORE_PERSON_DISABLED, "web", PW_OK, WRONG, "" },
	{ STORE_PERSON_DISABLED, "web", PW_TEMPORARY, WRONG, "" },
	{ STORE_PERSON_DISABLED, "web", PW_EXPIRED, WRONG, "" },
	{ STORE_PERSON_DISABLED, "imap", PW_OK, WRONG, "" },
	{ STORE_PERSON_DISABLED, "imap", PW_TEMPORARY, WRONG, "" },
	{ STORE_PERSON_DISABLED, "imap", PW_EXPIRED, WRONG, "" },
	{ STORE_PERSON_DISABLED, "pop3", PW_OK, WRONG, "" },
	{ STORE_PERSON_DISABLED, "pop3", PW_TEMPORARY, WRONG, "" },
	{ STORE_PERSON_DISABLED, "pop3", PW_EXPIRED, WRONG, "" },
	{ STORE_PERSON_DISABLED, "smtp", PW_OK, WRONG, "" },
	{ STORE_PERSON_DISABLED, "smtp", PW_TEMPORARY, WRONG, "" },
	{ STORE_PERSON_DISABLED, "smtp", PW_EXPIRED, WRONG, "" },
	{ STORE_PERSON_LEAVER, "web", PW_OK, WRONG, "" },
	{ STORE_PERSON_LEAVER, "web", PW_TEMPORARY, WRONG, "" },
	{ STORE_PERSON_LEAVER, "web", PW_EXPIRED, WRONG, "" },
	{ STORE_PERSON_LEAVER, "imap", PW_OK, WRONG, "" },
	{ STORE_PERSON_LEAVER, "imap", PW_TEMPORARY, WRONG, "" },
	{ STORE_PERSON_LEAVER, "imap", PW_EXPIRED, WRONG, "" },
	{ STORE_PERSON_LEAVER, "pop3", PW_OK, WRONG, "" },
	{ STORE_PERSON_LEAVER, "pop3", PW_TEMPORARY, WRONG, "" },
	{ STORE_PERSON_LEAVER, "pop3", PW_EXPIRED, WRONG, "" },
	{ STORE_PERSON_LEAVER, "smtp", PW_OK, WRONG, "" },
	{ STORE_PERSON_LEAVER, "smtp", PW_TEMPORARY, WRONG, "" },
	{ STORE_PERSON_LEAVER, "smtp", PW_EXPIRED, WRONG, "" },
	{ STORE_PERSON_DELETED, "web", PW_OK, WRONG, "" },
	{ STORE_PERSON_DELETED, "web", PW_TEMPORARY, WRONG, "" },
	{ STORE_PERSON_DELETED, "web", PW_EXPIRED, WRONG, "" },
	{ STORE_PERSON_DELETED, "imap", PW_OK, WRONG, "" },
	{ STORE_PERSON_DELETED, "imap", PW_TEMPORARY, WRONG, "" },
	{ STORE_PERSON_DELETED, "imap", PW_EXPIRED, WRONG, "" },
	{ STORE_PERSON_DELETED, "pop3", PW_OK, WRONG, "" },
	{ STORE_PERSON_DELETED, "pop3", PW_TEMPORARY, WRONG, "" },
	{ STORE_PERSON_DELETED, "pop3", PW_EXPIRED, WRONG, "" },
	{ STORE_PERSON_DELETED, "smtp", PW_OK, WRONG, "" },
	{ STORE_PERSON_DELETED, "smtp", PW_TEMPORARY, WRONG, "" },
	{ STORE_PERSON_DELETED, "smtp", PW_EXPIRED, WRONG, "" },
};

static void
check_decision(size_t i, const struct auth_signin_facts *f,
	enum auth_signin_answer want, const char *field)
{
	struct auth_signin_decision d;
	auth_signin_decide(f, &d);
	if (d.answer != want || strcmp(d.field, field) != 0)
		fail_msg("case %zu (%s %s %d): answer %d field '%s' \"%s\", "
			"wanted %d '%s'", i, dir_person_status_name(f->status), f->protocol,
			f->credential, d.answer, d.field, d.sentence, want,
			field);
	if (want == YES)
		return;
	/* A no is one sentence, reported as the error it names. */
	struct error err;
	if (d.sentence[0] == '\0' || auth_signin_refuse(&d, &err) != -1 ||
	    err.code != d.code || strcmp(err.msg, d.sentence) != 0)
		fail_msg("case %zu: no sentence or a different error", i);
	if (want == WRONG && d.code != ERROR_DENIED)
		fail_msg("case %zu: a wrong case is not ERROR_DENIED", i);
}

static void
test_signin_rule_status_protocol_password(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(rule_cases) / sizeof(*rule_cases); i++) {
		struct auth_signin_facts f = facts(rule_cases[i].status,
			rule_cases[i].protocol, rule_cases[i].pw);
		check_decision(i, &f, rule_cases[i].want, rule_cases[i].field);
	}
}

/*
 * SECURITY.md 38: unknown, locked, inactive and wrong get the same words,
 * whatever else is true; the portal's words are the portal's, a mail
 * program's the same short line; only a wrong secret on a person counts.
 */
static void
test_signin_rule_one_reply_for_every_wrong_case(void **state)
{
	(void)state;
	static const char *const protocols[] = { "web", "imap", "pop3",
		"smtp" };
	static const enum store_person_status statuses[] = {
		STORE_PERSON_ACTIVE, STORE_PERSON_DISABLED, STORE_PERSON_LEAVER,
		STORE_PERSON_DELETED };
	for (size_t pi = 0; pi < 4; pi++) {
		char words[256] = "";
		for (size_t si = 0; si < 4; si++) {
			for (int c = 0; c < 4; c++) {
				struct auth_signin_facts f = facts(statuses[si],
					protocols[pi], PW_OK);
				const char *reason = "wrong_password";
				bool count = true;
				if (c == 0)
					f.secret_right = false;
				if (c == 1) {
					f.locked = true;
					reason = "locked";
					count = false;
				}
				if (c == 2) {
					f.known = false;
					reason = "unknown";
					count = false;
				}
				if (c == 3) {
					if (si == 0)	/* the active, right: YES */
						continue;
					f.is_admin = true;
				}
				struct auth_signin_decision d;
				auth_signin_decide(&f, &d);
				if (d.answer != WRONG || d.count != count ||
				    strcmp(d.reason, reason) != 0 ||
				    d.field[0] != '\0')
					fail_msg("%s %s case %d: %d %s", protocols[pi],
						dir_person_status_name(statuses[si]), c, d.answer, d.reason);
				if (words[0] == '\0')
					memcpy(words, d.sentence, sizeof(words));
				else if (strcmp(words, d.sentence) != 0)
					fail_msg("%s: two different replies", protocols[pi]);
			}
		}
		assert_non_null(strstr(words, "address or password is not right"));
		assert_int_equal(strstr(words, "locked") != NULL,
			strcmp(protocols[pi], "web") == 0);
	}
}

/* Admins, app passwords, switches and sessions, each over each protocol. */
static void
test_signin_rule_roles_switches_sessions(void **state)
{
	(void)state;
	static const struct {
		const char *protocol;
		enum auth_credential credential;
		bool admin;
		const char *person_off, *org_off;
		enum pw pw;
		enum auth_signin_answer want;
		const char *field, *words;
	} cases[] = {
		/* An admin's own password opens the portal, no mailbox. */
		{ "web", AUTH_CREDENTIAL_PASSWORD, true, "", "", PW_OK, YES, "", "" },
		{ "imap", AUTH_CREDENTIAL_PASSWORD, true, "", "", PW_OK, REFUSED,
			"app_password", "app password" },
		{ "pop3", AUTH_CREDENTIAL_PASSWORD, true, "", "", PW_OK, REFUSED,
			"app_password", "app password" },
		{ "smtp", AUTH_CREDENTIAL_PASSWORD, true, "", "", PW_OK, REFUSED,
			"app_password", "app password" },
		/* A temporary password is said before the role. */
		{ "imap", AUTH_CREDENTIAL_PASSWORD, true, "", "", PW_TEMPORARY,
			REFUSED, "password", "temporary" },
		{ "smtp", AUTH_CREDENTIAL_PASSWORD, false, "", "", PW_EXPIRED,
			REFUSED, "password", "more than 90 days old" },
		/* An app password opens mail whatever the own password's state. */
		{ "imap", AUTH_CREDENTIAL_APP_PASSWORD, true, "", "", PW_TEMPORARY,
			YES, "", "" },
		{ "pop3", AUTH_CREDENTIAL_APP_PASSWORD, true, "", "", PW_EXPIRED,
			YES, "", "" },
		{ "smtp", AUTH_CREDENTIAL_APP_PASSWORD, false, "", "", PW_OK, YES,
			"", "" },
		/* Switches: the person's first, then the org's; others pass. */
		{ "imap", AUTH_CREDENTIAL_APP_PASSWORD, false, "imap", "imap",
			PW_OK, REFUSED, "protocol", "IMAP is turned off for your "
			"account" },
		{ "pop3", AUTH_CREDENTIAL_PASSWORD, false, "", "imap,pop3", PW_OK,
			REFUSED, "protocol", "POP is turned off for Leeds Trust" },
		{ "smtp", AUTH_CREDENTIAL_PASSWORD, false, "smtp", "", PW_OK,
			REFUSED, "protocol", "sending mail (SMTP) is turned off" },
		{ "imap", AUTH_CREDENTIAL_PASSWORD, false, "pop3,smtp", "pop3",
			PW_OK, YES, "", "" },
		/* The portal has no switch, and a temporary password first
		 * refused for mail is only then checked against them. */
		{ "web", AUTH_CREDENTIAL_PASSWORD, false, "imap,pop3,smtp",
			"imap,pop3,smtp", PW_TEMPORARY, YES, "", "" },
		{ "imap", AUTH_CREDENTIAL_PASSWORD, false, "imap", "", PW_TEMPORARY,
			REFUSED, "password", "temporary" },
		/* A session lives while its person could sign in. */
		{ "web", AUTH_CREDENTIAL_SESSION, true, "imap", "imap", PW_EXPIRED,
			YES, "", "" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct auth_signin_facts f = facts(STORE_PERSON_ACTIVE, cases[i].protocol,
			cases[i].pw);
		f.credential = cases[i].credential;
		f.is_admin = cases[i].admin;
		f.person_protocols_off = cases[i].person_off;
		f.org_protocols_off = cases[i].org_off;
		check_decision(i, &f, cases[i].want, cases[i].field);
		struct auth_signin_decision d;
		auth_signin_decide(&f, &d);
		if (strstr(d.sentence, cases[i].words) == NULL)
			fail_msg("case %zu: \"%s\" lacks \"%s\"", i, d.sentence,
				cases[i].words);
	}
	/* Any status but active, or a lock, ends a session. */
	static const enum store_person_status statuses[] = {
		STORE_PERSON_ACTIVE, STORE_PERSON_DISABLED, STORE_PERSON_LEAVER,
		STORE_PERSON_DELETED };
	for (size_t si = 0; si < 4; si++) {
		for (int locked = 0; locked < 2; locked++) {
			struct auth_signin_facts f = facts(statuses[si], "web",
				PW_OK);
			f.credential = AUTH_CREDENTIAL_SESSION;
			f.locked = locked;
			bool live = si == 0 && !locked;
			check_decision(si, &f, live ? YES : REFUSED, "");
			struct auth_signin_decision d;
			auth_signin_decide(&f, &d);
			if (!live && (d.code != ERROR_NOT_FOUND ||
				strcmp(d.sentence, "your account can no longer "
				"sign in") != 0))
				fail_msg("%s locked=%d: %s",
					dir_person_status_name(statuses[si]), locked,
					d.sentence);
		}
	}
}

/*
 * A node's memory of a session is never as old as the idle timeout less
 * the part of it a session is touched within: a session used through
 * another node never looks idle here (docs/postgresql.md).
 */
static int
memory_s(const char *idle, const char *want)
{
	struct config *c = config_new();
	struct error err;
	assert_int_equal(config_set_value(c, "session.idle_timeout_s", idle,
				 &err), 0);
	assert_int_equal(config_set_value(c, "store.session_cache_s", want,
				 &err), 0);
	int s = auth_session_memory_s(c);
	config_free(&c);
	return s;
}

static void
test_session_memory_below_idle_timeout(void **state)
{
	(void)state;
	assert_int_equal(memory_s("1800", "10"), 10);	/* the defaults */
	assert_int_equal(memory_s("1800", "0"), 0);	/* off */
	/* 300 s idle, touched within 5 s: at most 294 s. */
	assert_int_equal(memory_s("300", "300"), 294);
	assert_int_equal(memory_s("60", "300"), 58);
	assert_int_equal(memory_s("600", "300"), 300);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_session_memory_below_idle_timeout),
		cmocka_unit_test(test_policy_refuses_guessable),
		cmocka_unit_test(test_policy_refuses_own_name_and_address),
		cmocka_unit_test(test_policy_accepts_strong),
		cmocka_unit_test(test_password_state),
		cmocka_unit_test(test_signin_rule_status_protocol_password),
		cmocka_unit_test(test_signin_rule_one_reply_for_every_wrong_case),
		cmocka_unit_test(test_signin_rule_roles_switches_sessions),
	};
	return cmocka_run_group_tests_name("auth", tests, NULL, NULL);
}
