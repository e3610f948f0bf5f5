/*
 * `caremail dns lookup TYPE NAME`: what the outbound mail's resolver sees,
 * with the DNSSEC state of each answer, so an operator can tell a missing
 * record from a server failure from a validation failure. Layer: front end.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli_internal.h"
#include "core/arena.h"
#include "core/config.h"
#include "core/error.h"
#include "core/str.h"
#include "instance/instance.h"
#include "mail/mail_dns.h"

#define CLI_DNS_ARENA_CAP ((size_t)4 * 1024 * 1024)

/*
 * TXT text in RFC 1035 §5.1 presentation form: printable ASCII as is, '"'
 * and '\' escaped, any other byte as \DDD, so the output is one line of
 * valid UTF-8 whatever the record holds.
 */
static const char *
txt_presentation(const struct dns_txt *t, struct arena *a)
{
	struct str s;
	str_init(&s, a, 4 * t->len + 1);
	for (size_t i = 0; i < t->len; i++) {
		unsigned char c = (unsigned char)t->text[i];
		int rc;
		if (c == '"' || c == '\\')
			rc = str_appendf(&s, "\\%c", c);
		else if (c < 0x20 || c > 0x7e)
			rc = str_appendf(&s, "\\%03u", c);
		else
			rc = str_append_char(&s, (char)c);
		if (rc < 0)
			return "";
	}
	return str_cstr(&s);
}

static const char *
hex(const uint8_t *p, size_t len, struct arena *a)
{
	char *out = arena_alloc(a, 2 * len + 1);
	if (out == NULL)
		return "";
	for (size_t i = 0; i < len; i++)
		snprintf(out + 2 * i, 3, "%02x", p[i]);
	return out;
}

/* Each record as JSON and as one line of text. */
static json_t *
record_json(const struct dns_answer *ans, size_t i, struct arena *a,
	const char **line_r)
{
	switch (ans->type) {
	case DNS_TYPE_MX:
		*line_r = arena_printf(a, "%u %s.", ans->mx[i].preference,
			ans->mx[i].host);
		return json_pack("{s:i, s:s}", "preference",
			(int)ans->mx[i].preference, "host", ans->mx[i].host);
	case DNS_TYPE_A:
	case DNS_TYPE_AAAA:
		*line_r = ans->addr[i].text;
		return json_pack("{s:s}", "address", ans->addr[i].text);
	case DNS_TYPE_TXT: {
		const char *text = txt_presentation(&ans->txt[i], a);
		*line_r = arena_printf(a, "\"%s\"", text);
		return json_pack("{s:s, s:i}", "text", text, "length",
			(int)ans->txt[i].len);
	}
	case DNS_TYPE_PTR:
		*line_r = arena_printf(a, "%s.", ans->ptr[i].host);
		return json_pack("{s:s}", "host", ans->ptr[i].host);
	case DNS_TYPE_TLSA: {
		const struct dns_tlsa *t = &ans->tlsa[i];
		const char *data = hex(t->data, t->len, a);
		*line_r = arena_printf(a, "%u %u %u %s", t->usage, t->selector,
			t->matching_type, data);
		return json_pack("{s:i, s:i, s:i, s:s}", "usage", (int)t->usage,
			"selector", (int)t->selector, "matching_type",
			(int)t->matching_type, "data", data);
	}
	}
	*line_r = "";
	return json_object();
}

static void
print_answer(const struct cli_args *args, const char *name,
	const struct dns_answer *ans, struct arena *a)
{
	json_t *records = json_array();
	const char **lines = arena_alloc(a, (ans->count + 1) * sizeof(*lines));
	for (size_t i = 0; i < ans->count; i++) {
		const char *line = "";
		json_array_append_new(records, record_json(ans, i, a, &line));
		if (lines != NULL)
			lines[i] = line != NULL ? line : "";
	}
	if (args->json) {
		json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:o}",
			"name", name, "type", dns_type_name(ans->type),
			"status", dns_status_name(ans->status),
			"dnssec", dns_security_name(ans->security),
			"reason", ans->why, "canonical", ans->canonical,
			"ttl", (json_int_t)ans->ttl, "records", records);
		if (ans->type == DNS_TYPE_MX)
			json_object_set_new(o, "null_mx",
				json_boolean(ans->null_mx));
		cli_print(args, o, NULL);
		return;
	}
	json_decref(records);
	printf("%s %s: %s, dnssec %s", dns_type_name(ans->type), name,
		ans->null_mx ? "null MX (the domain accepts no mail)" :
		dns_status_name(ans->status),
		dns_security_name(ans->security));
	if (ans->status == DNS_STATUS_OK)
		printf(", ttl %u", (unsigned)ans->ttl);
	printf("\n");
	if (ans->why[0] != '\0')
		printf("reason: %s\n", ans->why);
	for (size_t i = 0; lines != NULL && i < ans->count; i++)
		printf("%s\n", lines[i]);
}

static int
lookup(struct cli_args *args, const struct config *config, struct error *err)
{
	enum dns_type type;
	if (!dns_type_parse(args->pos[0], &type))
		return cli_usage(args, err,
			"%s is not a type this resolver reads: use MX, A, AAAA, "
			"TXT, TLSA or PTR", args->pos[0]);
	const char *name = args->pos[1];
	if (!dns_name_is_valid(name))
		return cli_usage(args, err, "\"%s\" is not a domain name", name);
	struct dns_resolver *r = mail_dns_resolver_new(config, err);
	if (r == NULL)
		return -1;
	struct arena *a = arena_new(CLI_DNS_ARENA_CAP);
	struct dns_answer ans;
	int rc = dns_lookup(r, name, type, a, &ans, err);
	if (rc == 0) {
		print_answer(args, name, &ans, a);
		if (ans.status == DNS_STATUS_TEMPFAIL)
			rc = error_set(err, ERROR_TEMPORARY, "%s", ans.why);
	}
	arena_free(&a);
	dns_resolver_free(&r);
	return rc;
}

int
cli_dns_lookup(struct cli_args *args, struct error *err)
{
	struct cli_settings set;
	if (cli_settings_open(args, &set, err) < 0)
		return -1;
	int rc = lookup(args, set.config, err);
	cli_settings_close(&set);
	return rc;
}
