/*
 * Fuzz target for what sender authentication reads from the sender: a
 * DMARC record (mail_dmarc_record_parse) and the message whose header
 * mail_sender_auth_stamp rewrites. Beyond not crashing: a refused record
 * is INVALID with a sentence and a parsed one keeps its ranges; the
 * stamped message is our trace, our field, then the rest with only whole
 * Authentication-Results fields taken out (never more bytes than came
 * in), and stamping its rest again takes nothing more out: no field in
 * our name survives, however it is written.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/str.h"
#include "mail/mail_dmarc.h"
#include "mail/mail_sender_auth.h"

#include "fuzz_refusal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char trace[] = "Received: from a by mx.care.example\r\n";
static const char field[] =
	"Authentication-Results: mx.care.example; spf=none\r\n";

static void
record(const uint8_t *data, size_t size)
{
	struct mail_dmarc_record r;
	struct error err;
	if (mail_dmarc_record_parse(span_make((const char *)data, size), &r,
		    &err) < 0) {
		check_refusal(&err);
		return;
	}
	if (r.pct < 0 || r.pct > 100 || r.p > MAIL_DMARC_POLICY_REJECT ||
	    r.sp > MAIL_DMARC_POLICY_REJECT)
		abort();
}

/* The rest of a stamped message: after our trace and field. */
static struct span
rest_of(struct span out)
{
	size_t skip = strlen(trace) + strlen(field);
	if (out.len < skip || memcmp(out.p, trace, strlen(trace)) != 0 ||
	    memcmp(out.p + strlen(trace), field, strlen(field)) != 0)
		abort();
	return span_make(out.p + skip, out.len - skip);
}

static void
stamp(const uint8_t *data, size_t size)
{
	struct mail_sender_auth sa = { .authserv_id = "mx.care.example" };
	struct arena *a = arena_new(4 * size + 4096);
	size_t tl = strlen(trace);
	char *msg = arena_alloc(a, tl + size + 1);
	memcpy(msg, trace, tl);
	memcpy(msg + tl, data, size);
	struct span out, again;
	struct error err;
	if (mail_sender_auth_stamp(&sa, field, msg, tl + size, tl, a, &out,
		    &err) < 0)
		abort();
	struct span rest = rest_of(out);
	if (rest.len > size)
		abort();
	/* What is left is the input less some bytes: in order, a subsequence
	 * that ends as the input does (fields go, the body stays). */
	size_t j = 0;
	for (size_t i = 0; i < size && j < rest.len; i++)
		if ((uint8_t)rest.p[j] == data[i])
			j++;
	if (j != rest.len)
		abort();
	char *back = arena_alloc(a, tl + rest.len + 1);
	memcpy(back, trace, tl);
	memcpy(back + tl, rest.p, rest.len);
	if (mail_sender_auth_stamp(&sa, field, back, tl + rest.len, tl, a,
		    &again, &err) < 0)
		abort();
	struct span rest2 = rest_of(again);
	if (rest2.len != rest.len || memcmp(rest2.p, rest.p, rest.len) != 0)
		abort();
	arena_free(&a);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	/* The first byte picks: even a record, odd a message. */
	if (data[0] % 2 == 0)
		record(data + 1, size - 1);
	else
		stamp(data + 1, size - 1);
	return 0;
}
