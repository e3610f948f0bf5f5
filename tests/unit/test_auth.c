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
#include "core/error.h"

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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_policy_refuses_guessable),
		cmocka_unit_test(test_policy_refuses_own_name_and_address),
		cmocka_unit_test(test_policy_accepts_strong),
		cmocka_unit_test(test_password_state),
	};
	return cmocka_run_group_tests_name("auth", tests, NULL, NULL);
}
