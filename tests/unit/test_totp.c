/*
 * Unit tests for TOTP (RFC 6238) and base32 (RFC 4648): the RFC's SHA-1
 * vectors (SECURITY.md item 36), the ±1 step window and bad codes.
 * Layer: domain.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "auth/auth.h"

static const unsigned char rfc_key[] = "12345678901234567890";
#define RFC_KEY_LEN 20

static void
test_rfc6238_vectors(void **state)
{
	static const struct {
		int64_t t;
		uint32_t eight;
	} cases[] = {
		{ 59, 94287082 },
		{ 1111111109, 7081804 },
		{ 1111111111, 14050471 },
		{ 1234567890, 89005924 },
		{ 2000000000, 69279037 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		uint64_t step = (uint64_t)cases[i].t / AUTH_TOTP_STEP_S;
		assert_int_equal(auth_totp_code(rfc_key, RFC_KEY_LEN, step, 8),
			cases[i].eight);
		/* The 6-digit form is the last six digits. */
		assert_int_equal(auth_totp_code(rfc_key, RFC_KEY_LEN, step, 6),
			cases[i].eight % 1000000);
	}
}

static void
test_check_window(void **state)
{
	int64_t step = 0;
	assert_true(auth_totp_check(rfc_key, RFC_KEY_LEN, "287082", 59,
		&step));
	assert_int_equal(step, 1);
	assert_true(auth_totp_check(rfc_key, RFC_KEY_LEN, "081804",
		1111111109 + 30, &step));
	assert_int_equal(step, 1111111109 / 30);
	assert_true(auth_totp_check(rfc_key, RFC_KEY_LEN, "081804",
		1111111109 - 30, &step));
	assert_false(auth_totp_check(rfc_key, RFC_KEY_LEN, "081804",
		1111111109 + 61, &step));
	assert_false(auth_totp_check(rfc_key, RFC_KEY_LEN, "081804",
		1111111109 - 61, &step));
}

static void
test_check_refuses_malformed(void **state)
{
	int64_t step = 0;
	const char *bad[] = { "", "28708", "2870820", "28708a", " 287082",
		"+87082", "-87082" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		assert_false(auth_totp_check(rfc_key, RFC_KEY_LEN, bad[i], 59,
			&step));
	assert_false(auth_totp_check(rfc_key, RFC_KEY_LEN, NULL, 59, &step));
}

static void
test_base32(void **state)
{
	char text[64];
	unsigned char back[64];
	assert_int_equal(auth_base32_encode(rfc_key, RFC_KEY_LEN, text,
		sizeof(text)), 0);
	assert_string_equal(text, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
	assert_int_equal(auth_base32_decode(text, back, sizeof(back)), 20);
	assert_memory_equal(back, rfc_key, 20);
	/* RFC 4648 §10 test vectors, without padding. */
	assert_int_equal(auth_base32_encode((const unsigned char *)"fooba", 5,
		text, sizeof(text)), 0);
	assert_string_equal(text, "MZXW6YTB");
	assert_int_equal(auth_base32_encode((const unsigned char *)"f", 1,
		text, sizeof(text)), 0);
	assert_string_equal(text, "MY");
	assert_int_equal(auth_base32_decode("mzxw6ytb", back, sizeof(back)),
		5);
	assert_memory_equal(back, "fooba", 5);
	assert_int_equal(auth_base32_decode("MZ1W", back, sizeof(back)), -1);
	assert_int_equal(auth_base32_decode("MZXW6YTB", back, 2), -1);
	assert_int_equal(auth_base32_encode(rfc_key, RFC_KEY_LEN, text, 32),
		-1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc6238_vectors),
		cmocka_unit_test(test_check_window),
		cmocka_unit_test(test_check_refuses_malformed),
		cmocka_unit_test(test_base32),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
