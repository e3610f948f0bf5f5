/*
 * TLS-RPT counts and reports: each outbound TLS session's outcome added to
 * the day's counts in the store, and the day's RFC 8460 §4.4 JSON report
 * per policy domain. Layer: domain. Sending the reports (RFC 8460 §5) is
 * the queue runner's: this makes them.
 */
#include "mail_tlsrpt.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/str.h"
#include "store/store_tls.h"

void
mail_tlsrpt_day(int64_t t, char *day)
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	unsigned y = (unsigned)(tm.tm_year + 1900) % 10000;
	unsigned m = (unsigned)(tm.tm_mon + 1) % 100;
	unsigned d = (unsigned)tm.tm_mday % 100;
	snprintf(day, 11, "%04u-%02u-%02u", y, m, d);
}

static const char *
or_empty(const char *s)
{
	return s != NULL ? s : "";
}

int
mail_tlsrpt_record(struct store *st, const struct mail_tlsrpt_event *e,
	struct error *err)
{
	char day[11];
	mail_tlsrpt_day(e->now, day);
	bool failed = e->result != MAIL_TLSRPT_SUCCESS;
	struct store_tlsrpt_row row = {
		.day = day,
		.policy_domain = or_empty(e->policy_domain),
		.policy_type = mail_tlsrpt_policy_name(e->policy),
		.policy_string = e->policy != MAIL_TLSRPT_POLICY_NONE ?
			or_empty(e->policy_string) : "",
		.mx_host = e->policy == MAIL_TLSRPT_POLICY_STS ?
			or_empty(e->mx_host) : "",
		.result_type = mail_tlsrpt_result_name(e->result),
		.sending_ip = failed ? or_empty(e->sending_ip) : "",
		.receiving_mx = failed ? or_empty(e->receiving_mx) : "",
		.receiving_ip = failed ? or_empty(e->receiving_ip) : "",
		.reason = failed ? or_empty(e->reason) : "",
		.sessions = 1,
	};
	if (row.policy_domain[0] == '\0')
		return error_set(err, ERROR_INVALID,
			"a TLS result needs its policy domain");
	return store_tlsrpt_add(st, &row, err);
}

/* Non-empty lines of text as a JSON array of strings. */
static json_t *
lines_json(const char *text)
{
	json_t *list = json_array();
	struct span rest = span_from_cstr(text), line;
	while (span_split(&rest, '\n', &line)) {
		if (line.len > 0 && line.p[line.len - 1] == '\r')
			line.len--;
		if (line.len > 0)
			json_array_append_new(list,
				json_stringn(line.p, line.len));
	}
	return list;
}

/* Whether two rows are under the same policy (one "policies" item). */
static bool
same_policy(const struct store_tlsrpt_row *a, const struct store_tlsrpt_row *b)
{
	return strcmp(a->policy_domain, b->policy_domain) == 0 &&
		strcmp(a->policy_type, b->policy_type) == 0 &&
		strcmp(a->policy_string, b->policy_string) == 0 &&
		strcmp(a->mx_host, b->mx_host) == 0;
}

/* One "policies" item from rows [from, to), which share their policy. */
static json_t *
policy_json(const struct store_tlsrpt_row *rows, size_t from, size_t to)
{
	const struct store_tlsrpt_row *p = &rows[from];
	json_t *policy = json_pack("{s:s, s:s}", "policy-type", p->policy_type,
		"policy-domain", p->policy_domain);
	if (strcmp(p->policy_type, "no-policy-found") != 0)
		json_object_set_new(policy, "policy-string",
			lines_json(p->policy_string));
	if (p->mx_host[0] != '\0')
		json_object_set_new(policy, "mx-host", lines_json(p->mx_host));
	json_int_t ok = 0, failed = 0;
	json_t *details = json_array();
	for (size_t i = from; i < to; i++) {
		const struct store_tlsrpt_row *r = &rows[i];
		if (r->result_type[0] == '\0') {
			ok += r->sessions;
			continue;
		}
		failed += r->sessions;
		json_t *d = json_pack("{s:s, s:I}", "result-type",
			r->result_type, "failed-session-count",
			(json_int_t)r->sessions);
		if (r->sending_ip[0] != '\0')
			json_object_set_new(d, "sending-mta-ip",
				json_string(r->sending_ip));
		if (r->receiving_mx[0] != '\0')
			json_object_set_new(d, "receiving-mx-hostname",
				json_string(r->receiving_mx));
		if (r->receiving_ip[0] != '\0')
			json_object_set_new(d, "receiving-ip",
				json_string(r->receiving_ip));
		if (r->reason[0] != '\0')
			json_object_set_new(d, "failure-reason-code",
				json_string(r->reason));
		json_array_append_new(details, d);
	}
	json_t *item = json_pack("{s:o, s:{s:I, s:I}}", "policy", policy,
		"summary", "total-successful-session-count", ok,
		"total-failure-session-count", failed);
	if (json_array_size(details) > 0)
		json_object_set_new(item, "failure-details", details);
	else
		json_decref(details);
	return item;
}

/* The report for one policy domain, rows [from, to). */
static json_t *
report_json(const char *day, const struct mail_tlsrpt_reporter *who,
	const struct store_tlsrpt_row *rows, size_t from, size_t to)
{
	char start[32], end[32], id[400];
	snprintf(start, sizeof(start), "%sT00:00:00Z", day);
	snprintf(end, sizeof(end), "%sT23:59:59Z", day);
	/* RFC 8460 §4.4: unique per report; a day and a domain are. */
	snprintf(id, sizeof(id), "%s_%s@%s", day, rows[from].policy_domain,
		or_empty(who->organization));
	json_t *policies = json_array();
	size_t i = from;
	while (i < to) {
		size_t j = i + 1;
		while (j < to && same_policy(&rows[i], &rows[j]))
			j++;
		json_array_append_new(policies, policy_json(rows, i, j));
		i = j;
	}
	return json_pack("{s:s, s:{s:s, s:s}, s:s, s:s, s:o}",
		"organization-name", or_empty(who->organization),
		"date-range", "start-datetime", start, "end-datetime", end,
		"contact-info", or_empty(who->contact),
		"report-id", id,
		"policies", policies);
}

static bool
day_is_valid(const char *day)
{
	if (day == NULL || strlen(day) != 10 || day[4] != '-' || day[7] != '-')
		return false;
	for (size_t i = 0; i < 10; i++) {
		if (i != 4 && i != 7 && !str_is_ascii_digit(day[i]))
			return false;
	}
	int m = (day[5] - '0') * 10 + (day[6] - '0');
	int d = (day[8] - '0') * 10 + (day[9] - '0');
	return m >= 1 && m <= 12 && d >= 1 && d <= 31;
}

int
mail_tlsrpt_report(struct store *st, const char *day, const char *domain,
	const struct mail_tlsrpt_reporter *who, struct arena *a,
	char **json_r, size_t *reports_r, struct error *err)
{
	*json_r = NULL;
	*reports_r = 0;
	if (!day_is_valid(day))
		return error_set(err, ERROR_INVALID,
			"the day must be YYYY-MM-DD, not '%s'", or_empty(day));
	struct store_tlsrpt_row *rows = NULL;
	size_t count = 0;
	if (store_tlsrpt_day(st, day, domain, a, &rows, &count, err) < 0)
		return -1;
	json_t *reports = json_array();
	size_t i = 0;
	while (i < count) {
		size_t j = i + 1;
		while (j < count && strcmp(rows[i].policy_domain,
					rows[j].policy_domain) == 0)
			j++;
		json_array_append_new(reports, report_json(day, who, rows, i,
			j));
		i = j;
	}
	*reports_r = json_array_size(reports);
	char *text = json_dumps(reports, JSON_COMPACT);
	json_decref(reports);
	if (text == NULL)
		return error_set(err, ERROR_INTERNAL,
			"cannot write the report as JSON");
	*json_r = arena_strdup(a, text);
	free(text);
	if (*json_r == NULL)
		return error_set(err, ERROR_LIMIT, "the report is too large");
	return 0;
}
