/*
 * Outbound TLS records: the MTA-STS policy cache and the TLS-RPT session
 * counts (tables from migration 18). Layer: store. RFC 8461 §5.1, RFC 8460.
 */
#include "store/store_tls.h"

#include "core/arena.h"
#include "core/error.h"
#include "store/store_internal.h"

static void
mta_sts_read(struct store *st, struct store_stmt *s, struct arena *a,
	void *out)
{
	struct store_mta_sts *r = out;
	r->domain = store_col_text(st, s, 0, a);
	r->policy_id = store_col_text(st, s, 1, a);
	r->policy = store_col_text(st, s, 2, a);
	r->fetched_at = store_col_int(st, s, 3);
	r->expires_at = store_col_int(st, s, 4);
}

int
store_mta_sts_get(struct store *st, const char *domain, struct arena *a,
	struct store_mta_sts *r, struct error *err)
{
	struct store_stmt *s = store_query(st, err,
		"SELECT domain, policy_id, policy, fetched_at, expires_at"
		" FROM mta_sts_policies WHERE domain = ?", "t", domain);
	if (s == NULL)
		return -1;
	return store_read_one(st, s, a, mta_sts_read, r,
		"cached MTA-STS policy", err);
}

int
store_mta_sts_put(struct store *st, const struct store_mta_sts *p,
	struct error *err)
{
	return store_exec(st, err,
		"INSERT INTO mta_sts_policies (domain, policy_id, policy,"
		" fetched_at, expires_at) VALUES (?, ?, ?, ?, ?)"
		" ON CONFLICT (domain) DO UPDATE SET"
		" policy_id = excluded.policy_id, policy = excluded.policy,"
		" fetched_at = excluded.fetched_at,"
		" expires_at = excluded.expires_at", "tttii", p->domain,
		p->policy_id, p->policy, p->fetched_at, p->expires_at) < 0 ?
		-1 : 0;
}

int
store_tlsrpt_add(struct store *st, const struct store_tlsrpt_row *r,
	struct error *err)
{
	return store_exec(st, err,
		"INSERT INTO tlsrpt_results (day, policy_domain, policy_type,"
		" policy_string, mx_host, result_type, sending_ip,"
		" receiving_mx, receiving_ip, reason, sessions)"
		" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
		" ON CONFLICT (day, policy_domain, policy_type, policy_string,"
		" mx_host, result_type, sending_ip, receiving_mx, receiving_ip,"
		" reason) DO UPDATE SET"
		" sessions = tlsrpt_results.sessions + excluded.sessions",
		"tttttttttti",
		r->day, r->policy_domain, r->policy_type, r->policy_string,
		r->mx_host, r->result_type, r->sending_ip, r->receiving_mx,
		r->receiving_ip, r->reason, r->sessions) < 0 ? -1 : 0;
}

static void
tlsrpt_read(struct store *st, struct store_stmt *s, struct arena *a,
	void *out)
{
	struct store_tlsrpt_row *r = out;
	r->day = store_col_text(st, s, 0, a);
	r->policy_domain = store_col_text(st, s, 1, a);
	r->policy_type = store_col_text(st, s, 2, a);
	r->policy_string = store_col_text(st, s, 3, a);
	r->mx_host = store_col_text(st, s, 4, a);
	r->result_type = store_col_text(st, s, 5, a);
	r->sending_ip = store_col_text(st, s, 6, a);
	r->receiving_mx = store_col_text(st, s, 7, a);
	r->receiving_ip = store_col_text(st, s, 8, a);
	r->reason = store_col_text(st, s, 9, a);
	r->sessions = store_col_int(st, s, 10);
}

int
store_tlsrpt_day(struct store *st, const char *day, const char *domain,
	struct arena *a, struct store_tlsrpt_row **rows_r, size_t *count_r,
	struct error *err)
{
	struct store_stmt *s = store_query(st, err,
		"SELECT day, policy_domain, policy_type, policy_string, mx_host,"
		" result_type, sending_ip, receiving_mx, receiving_ip, reason,"
		" sessions FROM tlsrpt_results WHERE day = ?"
		" AND (? IS NULL OR policy_domain = ?)"
		" ORDER BY policy_domain, policy_type, policy_string, mx_host,"
		" result_type, receiving_mx, receiving_ip, sending_ip, reason",
		"ttt", day, domain, domain);
	if (s == NULL)
		return -1;
	return store_read_all(st, s, a, sizeof(**rows_r), tlsrpt_read,
		(void **)rows_r, count_r, err);
}
