/* Time: the wall clock, and UTC formatting and parsing. Layer: core. */
#include "clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "str.h"

int64_t
clock_now(void)
{
	/* A fixed "now" lets integration tests make exact time-based claims. */
	const char *fixed = getenv("CAREMAIL_NOW");
	uint64_t t;
	if (fixed != NULL && span_to_u64(span_from_cstr(fixed), &t) &&
	    t <= INT64_MAX)
		return (int64_t)t;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec;
}

int64_t
clock_monotonic_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
clock_monotonic_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void
clock_deadline_ms(int64_t ms, struct timespec *ts)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += (time_t)(ms / 1000);
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

void
clock_format_iso(int64_t t, char *buf, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;
	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, size, "%lld", (long long)t);
}

static bool
parse_fixed_digits(const char *p, int n, int *value_r)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (!str_is_ascii_digit(p[i]))
			return false;
		v = v * 10 + (p[i] - '0');
	}
	*value_r = v;
	return true;
}

static int
days_in_month(int y, int m)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
				    30, 31 };
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return m == 2 && leap ? 29 : days[m - 1];
}

/* Days from 1970-01-01 to a civil date (proleptic Gregorian). */
static int64_t
days_from_civil(int y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

bool
clock_parse(struct span text, int64_t *t_r)
{
	uint64_t epoch;
	if (span_to_u64(text, &epoch)) {
		if (epoch > INT64_MAX)
			return false;
		*t_r = (int64_t)epoch;
		return true;
	}
	int y, mo, d, h = 0, mi = 0, s = 0;
	const char *p = text.p;
	if (text.len != 10 && text.len != 20)
		return false;
	if (!parse_fixed_digits(p, 4, &y) || p[4] != '-' ||
	    !parse_fixed_digits(p + 5, 2, &mo) || p[7] != '-' ||
	    !parse_fixed_digits(p + 8, 2, &d))
		return false;
	if (text.len == 20) {
		if (p[10] != 'T' || p[13] != ':' || p[16] != ':' ||
		    p[19] != 'Z' || !parse_fixed_digits(p + 11, 2, &h) ||
		    !parse_fixed_digits(p + 14, 2, &mi) ||
		    !parse_fixed_digits(p + 17, 2, &s))
			return false;
	}
	/* A day the month lacks would silently become one in the next. */
	if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 ||
	    mi > 59 || s > 60)
		return false;
	*t_r = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
	return true;
}
