/*
 * The sending limits' per-person daily counts and organisations' mail
 * policy overrides (SPEC M7, M12). Layer: store.
 */
#include "store/store_mail_policy.h"

#include "core/arena.h"
#include "core/error.h"
#include "store/store_internal.h"

#define POLICY_COLUMNS "COALESCE(o.send_limit_message, 0)," \
	" COALESCE(o.send_limit_day, 0), o.dlp_high, o.dlp_medium, o.dlp_low"

static void
policy_columns(struct store *st, struct store_stmt *s, int at,
	struct arena *a, struct store_org_mail_policy *p)
{
	p->send_limit_message = store_col_int(st, s, at);
	p->send_limit_day = store_col_int(st, s, at + 1);
	p->dlp_high = store_col_text_or_null(st, s, at + 2, a);
	p->dlp_medium = store_col_text_or_null(st, s, at + 3, a);
	p->dlp_low = store_col_text_or_null(st, s, at + 4, a);
}

static void
policy_read(struct store *st, struct store_stmt *s, struct arena *a,
	void *out)
{
	policy_columns(st, s, 0, a, out);
}

int
store_org_mail_policy_get(struct store *st, int64_t org_id, struct arena *a,
	struct store_org_mail_policy *p_r, struct error *err)
{
	*p_r = (struct store_org_mail_policy){ 0 };
	struct store_stmt *s = store_query(st, err,
		"SELECT " POLICY_COLUMNS " FROM org_mail_policy o"
		" WHERE o.org_id = ?", "i", org_id);
	if (s == NULL)
		return -1;
	struct error inner;
	if (store_read_one(st, s, a, policy_read, p_r, "policy", &inner) < 0)
		return inner.code == ERROR_NOT_FOUND ? 0 :
			error_forward(err, &inner);
	return 0;
}

int
store_org_mail_policy_set(struct store *st, int64_t org_id,
	const struct store_org_mail_policy *p, struct error *err)
{
	if (p->send_limit_message == 0 && p->send_limit_day == 0 &&
	    p->dlp_high == NULL && p->dlp_medium == NULL && p->dlp_low == NULL)
		return store_exec(st, err,
			"DELETE FROM org_mail_policy WHERE org_id = ?", "i",
			org_id) < 0 ? -1 : 0;
	return store_exec(st, err,
		"INSERT INTO org_mail_policy (org_id, send_limit_message,"
		" send_limit_day, dlp_high, dlp_medium, dlp_low)"
		" VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (org_id) DO UPDATE SET"
		" send_limit_message = excluded.send_limit_message,"
		" send_limit_day = excluded.send_limit_day,"
		" dlp_high = excluded.dlp_high,"
		" dlp_medium = excluded.dlp_medium, dlp_low = excluded.dlp_low",
		"izzttt", org_id, p->send_limit_message, p->send_limit_day,
		p->dlp_high, p->dlp_medium, p->dlp_low) < 0 ? -1 : 0;
}

static void
sender_read(struct store *st, struct store_stmt *s, struct arena *a,
	void *out)
{
	struct store_sender_state *r = out;
	r->person_id = store_col_int(st, s, 0);
	r->org_id = store_col_int(st, s, 1);
	r->aup_version = store_col_text(st, s, 2, a);
	r->questions = store_col_int(st, s, 3);
	r->sent_today = store_col_int(st, s, 4);
	policy_columns(st, s, 5, a, &r->org);
}

int
store_sender_state_get(struct store *st, const char *address, int64_t day,
	struct arena *a, struct store_sender_state *s_r, struct error *err)
{
	/* Each part is a primary-key or indexed lookup. */
	struct store_stmt *s = store_query(st, err,
		"SELECT p.id, p.org_id, p.aup_version,"
		" (SELECT COUNT(*) FROM security_answers q"
		" WHERE q.person_id = p.id),"
		" COALESCE((SELECT c.recipients FROM send_counts c"
		" WHERE c.person_id = p.id AND c.day = ?), 0), "
		POLICY_COLUMNS
		" FROM people p JOIN mailboxes m ON m.id = p.mailbox_id"
		" LEFT JOIN org_mail_policy o ON o.org_id = p.org_id"
		" WHERE m.address = ? AND p.deleted_at IS NULL"
		" ORDER BY p.id DESC LIMIT 1", "it", day, address);
	if (s == NULL)
		return -1;
	return store_read_one(st, s, a, sender_read, s_r,
		"person with that address", err);
}

int
store_send_count_add(struct store *st, int64_t person_id, int64_t day,
	int64_t n, struct error *err)
{
	return store_exec(st, err,
		"INSERT INTO send_counts (person_id, day, recipients)"
		" VALUES (?, ?, ?) ON CONFLICT (person_id, day)"
		" DO UPDATE SET recipients = send_counts.recipients"
		" + excluded.recipients",
		"iii", person_id, day, n) < 0 ? -1 : 0;
}
