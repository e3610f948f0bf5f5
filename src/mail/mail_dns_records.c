/*
 * The DNS records an operator publishes for a hosted domain (SECURITY.md
 * 7): MX, SPF with -all, DKIM, DMARC p=reject, MTA-STS (RFC 8461) in
 * enforce mode and TLS-RPT (RFC 8460), and their zone-file form. Layer:
 * domain, pure: the caller reads the config and the DKIM key.
 */
#include "mail/mail_dkim.h"

#include <inttypes.h>
#include <sodium.h>
#include <string.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/str.h"

/* RFC 1035 §3.3.14: one character-string of a TXT record. */
#define TXT_STRING_MAX 255
/* RFC 8461 §3.1: the id is 1-32 letters and digits. */
#define STS_ID_HEX 20

/*
 * A report address goes into a mailto: URI in a tag list, where ';', ','
 * and '!' have meanings (RFC 7489 §6.4), so only plain addresses pass.
 */
static bool
report_address_is_valid(const char *s)
{
	const char *at = strchr(s, '@');
	if (at == NULL || at == s || !mail_dkim_name_is_valid(at + 1))
		return false;
	for (const char *p = s; p < at; p++) {
		if (*p <= ' ' || *p >= 127 || strchr(";,!\"\\<>()", *p) != NULL)
			return false;
	}
	return true;
}

static int
push(struct arena *a, struct mail_dns_records *r, size_t *capacity,
	const char *name, const char *type, const char *value,
	const char *comment, struct error *err)
{
	if (name == NULL || value == NULL || comment == NULL)
		return error_set(err, ERROR_LIMIT, "out of memory");
	struct mail_dns_record *rec = arena_array_push(a, (void **)&r->items,
		&r->count, capacity, sizeof(*rec));
	if (rec == NULL)
		return error_set(err, ERROR_LIMIT, "out of memory");
	*rec = (struct mail_dns_record){ name, type, value, comment };
	return 0;
}

/* An id that changes exactly when the policy text does. */
static char *
sts_id(const char *policy, struct arena *a)
{
	unsigned char hash[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(hash, (const unsigned char *)policy,
		strlen(policy));
	char hex[crypto_hash_sha256_BYTES * 2 + 1];
	sodium_bin2hex(hex, sizeof(hex), hash, sizeof(hash));
	return arena_strndup(a, hex, STS_ID_HEX);
}

static int
check_input(const struct mail_dns_input *in, struct error *err)
{
	if (!mail_dkim_name_is_valid(in->domain))
		return error_set_field(err, ERROR_INVALID, "domain",
			"'%.80s' is not a domain name", in->domain);
	if (!mail_dkim_name_is_valid(in->mx_host))
		return error_set_field(err, ERROR_INVALID, "smtp.hostname",
			"'%.80s' is not a host name the MX record can name; "
			"set smtp.hostname", in->mx_host);
	if (!report_address_is_valid(in->dmarc_report))
		return error_set_field(err, ERROR_INVALID,
			"dns.dmarc_report_address",
			"'%.80s' is not a plain mail address for DMARC reports",
			in->dmarc_report);
	if (!report_address_is_valid(in->tlsrpt_report))
		return error_set_field(err, ERROR_INVALID,
			"dns.tlsrpt_report_address",
			"'%.80s' is not a plain mail address for TLS reports",
			in->tlsrpt_report);
	return 0;
}

int
mail_dns_records(const struct mail_dns_input *in, struct arena *a,
	struct mail_dns_records *r, struct error *err)
{
	memset(r, 0, sizeof(*r));
	if (check_input(in, err) < 0)
		return -1;
	const char *d = in->domain, *mx = in->mx_host;
	size_t cap = 0;
	char *apex = arena_printf(a, "%s.", d);
	if (push(a, r, &cap, apex, "MX", arena_printf(a, "10 %s.", mx),
		    arena_printf(a, "MX: mail for %s is delivered to %s "
			"(smtp.hostname), which needs its own A/AAAA records",
			d, mx), err) < 0 ||
	    push(a, r, &cap, apex, "TXT", "v=spf1 mx -all",
		    arena_printf(a, "SPF: only the hosts in %s's MX send its "
			"mail; any other sender fails (-all)", d), err) < 0)
		return -1;
	if (in->dkim_selector != NULL) {
		if (push(a, r, &cap, arena_printf(a, "%s._domainkey.%s.",
				in->dkim_selector, d), "TXT", in->dkim_record,
			    arena_printf(a, "DKIM: the public key that "
				"verifies mail signed for %s (selector %s)", d,
				in->dkim_selector), err) < 0)
			return -1;
	} else {
		r->missing = arena_printf(a, "DKIM: %s has no key yet; run "
			"caremail dkim keygen --domain %s, then print these "
			"records again", d, d);
	}
	r->mta_sts_policy = arena_printf(a,
		"version: STSv1\nmode: enforce\nmx: %s\nmax_age: %" PRId64 "\n",
		mx, in->mta_sts_max_age);
	r->mta_sts_url = arena_printf(a,
		"https://mta-sts.%s/.well-known/mta-sts.txt", d);
	char *id = r->mta_sts_policy != NULL ?
		sts_id(r->mta_sts_policy, a) : NULL;
	if (r->mta_sts_url == NULL || id == NULL ||
	    push(a, r, &cap, arena_printf(a, "_dmarc.%s.", d), "TXT",
		    arena_printf(a, "v=DMARC1; p=%s; rua=mailto:%s",
			in->dmarc_policy, in->dmarc_report),
		    arena_printf(a, "DMARC: mail from %s that fails SPF and "
			"DKIM is refused (p=%s); daily reports go to %s", d,
			in->dmarc_policy, in->dmarc_report), err) < 0 ||
	    push(a, r, &cap, arena_printf(a, "_mta-sts.%s.", d), "TXT",
		    arena_printf(a, "v=STSv1; id=%s", id),
		    arena_printf(a, "MTA-STS: senders must use TLS to %s; "
			"the id changes whenever the policy below does", d),
		    err) < 0 ||
	    push(a, r, &cap, arena_printf(a, "mta-sts.%s.", d), "CNAME",
		    arena_printf(a, "%s.", mx),
		    arena_printf(a, "MTA-STS: the web server that serves the "
			"policy over HTTPS, with a certificate for mta-sts.%s",
			d), err) < 0 ||
	    push(a, r, &cap, arena_printf(a, "_smtp._tls.%s.", d), "TXT",
		    arena_printf(a, "v=TLSRPTv1; rua=mailto:%s",
			in->tlsrpt_report),
		    arena_printf(a, "TLS-RPT: senders report TLS failures "
			"reaching %s to %s", d, in->tlsrpt_report), err) < 0)
		return error_set(err, ERROR_LIMIT, "out of memory");
	return 0;
}

/* TXT text as quoted strings of at most 255 bytes, '"' and '\' escaped. */
static int
append_txt(struct str *out, const char *text)
{
	size_t n = strlen(text);
	for (size_t i = 0; i < n || i == 0; i += TXT_STRING_MAX) {
		if (i > 0 && str_append_char(out, ' ') < 0)
			return -1;
		if (str_append_char(out, '"') < 0)
			return -1;
		for (size_t k = i; k < n && k < i + TXT_STRING_MAX; k++) {
			if ((text[k] == '"' || text[k] == '\\') &&
			    str_append_char(out, '\\') < 0)
				return -1;
			if (str_append_char(out, text[k]) < 0)
				return -1;
		}
		if (str_append_char(out, '"') < 0)
			return -1;
		if (n == 0)
			break;
	}
	return 0;
}

int
mail_dns_zone_text(const struct mail_dns_records *r, struct str *out)
{
	for (size_t i = 0; i < r->count; i++) {
		const struct mail_dns_record *rec = &r->items[i];
		if (str_appendf(out, "; %s\n%s\t3600\tIN\t%s\t", rec->comment,
			    rec->name, rec->type) < 0)
			return -1;
		int rc = strcmp(rec->type, "TXT") == 0 ?
			append_txt(out, rec->value) :
			str_append_cstr(out, rec->value);
		if (rc < 0 || str_append_char(out, '\n') < 0)
			return -1;
	}
	if (r->missing != NULL &&
	    str_appendf(out, "; %s\n", r->missing) < 0)
		return -1;
	if (str_appendf(out, "; MTA-STS policy: serve this text at %s\n",
		    r->mta_sts_url) < 0)
		return -1;
	const char *p = r->mta_sts_policy;
	while (*p != '\0') {
		size_t n = strcspn(p, "\n");
		if (str_appendf(out, ";   %.*s\n", (int)n, p) < 0)
			return -1;
		p += n + (p[n] == '\n');
	}
	return 0;
}
