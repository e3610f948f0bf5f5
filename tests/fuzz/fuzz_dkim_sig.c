/*
 * Fuzz target for DKIM verification's parsers (mail_dkim_verify.c) and
 * DMARC's (mail_dmarc.c), which share RFC 6376's tag-list syntax: the
 * input is read as a DKIM-Signature value, a key record and a DMARC
 * record, then verified as a whole message with a zone that answers every
 * key lookup with the input. Beyond not crashing: a refusal is INVALID or
 * LIMIT with a sentence; a parsed signature has its required tags, signs
 * From, keeps its hashes within bounds and i= within d=; a DMARC record's
 * pct is 0-100; every verification result has a reason.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/arena.h"
#include "core/dns.h"
#include "core/error.h"
#include "core/str.h"
#include "mail/mail_dkim_verify.h"
#include "mail/mail_dmarc.h"

#include "fuzz_refusal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
key_lookup(void *arg, const char *name, enum dns_type type, struct arena *a,
	struct dns_answer *ans, struct error *err)
{
	const struct span *text = arg;
	(void)name;
	(void)err;
	memset(ans, 0, sizeof(*ans));
	ans->type = type;
	ans->why = "";
	ans->canonical = name;
	if (type != DNS_TYPE_TXT) {
		ans->status = DNS_STATUS_NODATA;
		return 0;
	}
	ans->status = DNS_STATUS_OK;
	ans->count = 1;
	ans->txt = arena_alloc(a, sizeof(*ans->txt));
	if (ans->txt == NULL || (ans->txt->text = span_dup(*text,
					 a)) == NULL)
		abort();
	ans->txt->len = text->len;
	return 0;
}

static void
check_sig(const struct mail_dkim_sig *sig)
{
	if (sig->domain == NULL || sig->selector == NULL ||
	    sig->identity == NULL || sig->alg_name == NULL ||
	    sig->header_count == 0 || sig->b_len == 0 || sig->bh_len == 0 ||
	    sig->bh_len > sizeof(sig->bh))
		abort();
	bool from = false;
	for (size_t i = 0; i < sig->header_count; i++)
		from |= strcasecmp(sig->headers[i], "from") == 0;
	if (!from)
		abort();
	const char *at = strrchr(sig->identity, '@');
	if (at == NULL)
		abort();
	size_t n = strlen(at + 1), d = strlen(sig->domain);
	if (n < d || strcasecmp(at + 1 + n - d, sig->domain) != 0)
		abort();
	if (sig->has_timestamp && sig->has_expiry &&
	    sig->expiry < sig->timestamp)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 65536)
		return 0;
	struct arena *a = arena_new(64 * 1024 * 1024);
	struct span text = span_make((const char *)data, size);
	struct error err;
	struct mail_dkim_sig sig;
	if (mail_dkim_sig_parse(text, a, &sig, &err) == 0)
		check_sig(&sig);
	else
		check_refusal(&err);
	struct mail_dkim_pubkey key;
	if (mail_dkim_pubkey_parse(text, a, &key, &err) == 0) {
		if (!key.revoked && (key.data == NULL || key.len == 0))
			abort();
	} else {
		check_refusal(&err);
	}
	struct mail_dmarc_record rec;
	if (mail_dmarc_record_parse(text, &rec, &err) == 0) {
		if (rec.pct < 0 || rec.pct > 100)
			abort();
	} else {
		check_refusal(&err);
	}
	struct mail_auth_dns dns = { key_lookup, &text };
	struct mail_dkim_result *results;
	size_t count;
	if (mail_dkim_verify(&dns, text, 1796270000, a, &results, &count,
		    &err) == 0) {
		if (count > MAIL_DKIM_VERIFY_MAX)
			abort();
		for (size_t i = 0; i < count; i++) {
			if (results[i].why == NULL || results[i].why[0] == '\0')
				abort();
		}
	} else {
		check_refusal(&err);
	}
	arena_free(&a);
	return 0;
}
