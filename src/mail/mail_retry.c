/*
 * The retry schedule, delay notices and giving up, as pure functions.
 * Layer: domain. RFC 5321 §4.5.4.1 (retry at least 30 minutes apart is the
 * RFC's advice for a whole queue; we start sooner and back off), RFC 3461.
 */
#include "mail/mail_retry.h"

#include "core/config.h"
#include "core/error.h"
#include "core/str.h"

#define MINUTE 60
#define HOUR 3600

/* Reads a list setting of whole numbers, each times unit, into out. */
static int
read_list(const struct config *c, const char *name, int64_t unit,
	int64_t *out, size_t max, size_t *count_r, struct error *err)
{
	char item[32];
	size_t n = 0;
	int more;
	for (size_t i = 0; (more = config_list_get(c, name, i, item,
		    sizeof(item), err)) > 0; i++) {
		uint64_t v;
		if (!span_to_u64(span_from_cstr(item), &v) || v == 0 ||
		    v > 100000)
			return error_set_field(err, ERROR_INVALID, name,
				"%s: '%s' is not a whole number from 1 to "
				"100000", name, item);
		if (n == max)
			return error_set_field(err, ERROR_INVALID, name,
				"%s has more than %zu items", name, max);
		out[n++] = (int64_t)v * unit;
	}
	*count_r = n;
	return more;
}

int
mail_retry_policy_from_config(const struct config *c,
	struct mail_retry_policy *p, struct error *err)
{
	if (read_list(c, "outbound.retry_schedule_min", MINUTE, p->schedule_s,
		    MAIL_RETRY_MAX_STEPS, &p->schedule_count, err) < 0 ||
	    read_list(c, "outbound.delay_notice_h", HOUR, p->notice_s,
		    MAIL_RETRY_MAX_NOTICES, &p->notice_count, err) < 0)
		return -1;
	if (p->schedule_count == 0)
		return error_set_field(err, ERROR_INVALID,
			"outbound.retry_schedule_min",
			"outbound.retry_schedule_min needs at least one wait");
	p->jitter_percent = (unsigned)config_get_int(c,
		"outbound.retry_jitter_percent");
	p->lifetime_s = config_get_int(c, "outbound.lifetime_h") * HOUR;
	for (size_t i = 0; i < p->notice_count; i++) {
		if ((i > 0 && p->notice_s[i] <= p->notice_s[i - 1]) ||
		    p->notice_s[i] >= p->lifetime_s)
			return error_set_field(err, ERROR_INVALID,
				"outbound.delay_notice_h",
				"outbound.delay_notice_h must ascend and end "
				"before outbound.lifetime_h");
	}
	return 0;
}

/* splitmix64: a good spread from any seed, the same every time. */
static uint64_t
mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

int64_t
mail_retry_wait(const struct mail_retry_policy *p, unsigned n, uint64_t seed)
{
	size_t step = n == 0 ? 0 : n - 1;
	if (step >= p->schedule_count)
		step = p->schedule_count - 1;
	int64_t base = p->schedule_s[step];
	if (p->jitter_percent == 0)
		return base;
	/* A fraction in [-1, 1] in steps of 1/1000, from the seed and n. */
	int64_t r = (int64_t)(mix(seed ^ ((uint64_t)n << 48)) % 2001) - 1000;
	int64_t wait = base + base * (int64_t)p->jitter_percent * r / 100000;
	return wait < 1 ? 1 : wait;
}

void
mail_retry_decide(const struct mail_retry_policy *p,
	const struct mail_retry_facts *f, struct mail_retry_decision *d)
{
	d->action = MAIL_RETRY_ACTION_DONE;
	d->next_attempt_at = 0;
	d->retry_until = f->queued_at + p->lifetime_s;
	d->delay_notice = false;
	d->notices_sent = f->notices_sent;
	d->failure_report = false;
	if (f->outcome == MAIL_RETRY_DELIVERED)
		return;
	if (f->outcome == MAIL_RETRY_PERMANENT || f->now >= d->retry_until) {
		d->action = MAIL_RETRY_ACTION_GIVE_UP;
		d->failure_report = !f->null_sender;
		return;
	}
	d->action = MAIL_RETRY_ACTION_LATER;
	int64_t next = f->now + mail_retry_wait(p, f->attempts, f->seed);
	if (next < f->destination_retry_at)
		next = f->destination_retry_at;
	/* The last try is at the deadline, not some way past it. */
	if (next > d->retry_until)
		next = d->retry_until;
	d->next_attempt_at = next;
	/* Every notice time that has passed is counted; one notice goes. */
	unsigned due = f->notices_sent;
	while (due < p->notice_count &&
	       f->now >= f->queued_at + p->notice_s[due])
		due++;
	if (due > f->notices_sent) {
		d->notices_sent = due;
		d->delay_notice = !f->null_sender;
	}
}

void
mail_retry_destination_update(const struct mail_retry_policy *p,
	struct mail_retry_destination *d, bool failed, int64_t now,
	uint64_t seed)
{
	if (!failed) {
		d->failures = 0;
		d->retry_at = 0;
		return;
	}
	d->failures++;
	d->retry_at = now + mail_retry_wait(p, d->failures, seed);
}

bool
mail_retry_destination_waits(const struct mail_retry_destination *d,
	int64_t now)
{
	return d->retry_at > now;
}
