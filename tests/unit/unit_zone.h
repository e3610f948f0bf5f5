/*
 * A DNS zone held in a table, behind the lookup interface SPF, DKIM and
 * DMARC evaluation take (mail_authres_dns.h), for the unit tests. A name
 * with any record answers NODATA for other types; an unlisted name is
 * NXDOMAIN; a TEMPFAIL row makes every lookup of its name fail. Test
 * support, included by one test file each.
 */
#ifndef UNIT_ZONE_H
#define UNIT_ZONE_H

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/arena.h"
#include "core/dns.h"
#include "core/str.h"

struct rr {
	const char *name;
	const char *type;	/* A AAAA MX TXT PTR, or TEMPFAIL for all */
	const char *value;	/* MX: "10 host" */
};

struct zone {
	const struct rr *rrs;
	const char *extra_name;		/* one more TXT record, per case: */
	const char *extra_txt;		/* its name and text (NULL: none) */
	int queries;
};

static int
zone_lookup(void *arg, const char *name, enum dns_type type, struct arena *a,
	struct dns_answer *ans, struct error *err)
{
	struct zone *z = arg;
	(void)err;
	z->queries++;
	memset(ans, 0, sizeof(*ans));
	ans->type = type;
	ans->why = "";
	ans->canonical = name;
	bool exists = false;
	size_t count = 0;
	const char *tname = dns_type_name(type);
	struct rr extra = { z->extra_name != NULL ? z->extra_name : "",
		"TXT", z->extra_txt };
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0;; i++) {
			const struct rr *r = i == 0 ? &extra : &z->rrs[i - 1];
			if (i > 0 && r->name == NULL)
				break;
			if (r->value == NULL || strcasecmp(r->name, name) != 0)
				continue;
			exists = true;
			if (strcmp(r->type, "TEMPFAIL") == 0) {
				ans->status = DNS_STATUS_TEMPFAIL;
				ans->why = "the server failed";
				return 0;
			}
			if (strcmp(r->type, tname) != 0)
				continue;
			if (pass == 0) {
				count++;
				continue;
			}
			size_t k = ans->count++;
			switch (type) {
			case DNS_TYPE_A:
			case DNS_TYPE_AAAA:
				ans->addr[k].family = type == DNS_TYPE_A ?
					AF_INET : AF_INET6;
				assert_int_equal(inet_pton(ans->addr[k].family,
					r->value, ans->addr[k].bytes), 1);
				break;
			case DNS_TYPE_MX: {
				unsigned pref;
				char host[DNS_NAME_SIZE];
				assert_int_equal(sscanf(r->value, "%u %253s",
					&pref, host), 2);
				ans->mx[k].preference = (uint16_t)pref;
				str_copy(ans->mx[k].host, DNS_NAME_SIZE, host);
				break;
			}
			case DNS_TYPE_TXT:
				ans->txt[k].text = arena_strdup(a, r->value);
				ans->txt[k].len = strlen(r->value);
				break;
			case DNS_TYPE_PTR:
				str_copy(ans->ptr[k].host, DNS_NAME_SIZE,
					r->value);
				break;
			default:
				fail();
			}
		}
		if (pass == 0) {
			if (count == 0)
				break;
			ans->addr = arena_alloc(a, count * sizeof(*ans->addr));
			ans->mx = arena_alloc(a, count * sizeof(*ans->mx));
			ans->txt = arena_alloc(a, count * sizeof(*ans->txt));
			ans->ptr = arena_alloc(a, count * sizeof(*ans->ptr));
		}
	}
	ans->status = ans->count > 0 ? DNS_STATUS_OK : exists ?
		DNS_STATUS_NODATA : DNS_STATUS_NXDOMAIN;
	return 0;
}

#endif
