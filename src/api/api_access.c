/*
 * The access questions handlers ask (SPEC P2) — may the caller take this
 * action here, where may they take it, how may they change this list —
 * answered by auth/ for a person or an API token alike, and the rate
 * limits. Layer: front end. SECURITY: each records what a refusal was
 * of, for its audit row, and marks the request as checked, which a
 * token's request must be (fail closed).
 */
#include <stdio.h>

#include "api/api_internal.h"
#include "auth/auth_limit.h"
#include "core/arena.h"
#include "core/config.h"
#include "core/log.h"
#include "http/http.h"

bool
api_allowed(struct api_request *req, enum auth_action action, int64_t org_id)
{
	struct error err;
	req->access_checked = true;
	req->denied_known = true;
	req->denied_action = action;
	req->denied_org = org_id;
	int rc = req->by_token ?
		auth_token_check(&req->ctx, &req->token, action, org_id, &err) :
		auth_check(&req->ctx, req->session.person.id, action, org_id,
			&err);
	if (rc == 0)
		return true;
	api_reply_from_error(req, &err);
	return false;
}

bool
api_allowed_person(struct api_request *req, enum auth_action action,
	const struct store_person *p)
{
	struct error err;
	req->access_checked = true;
	req->denied_known = true;
	req->denied_action = action;
	req->denied_org = p->org_id;
	int rc = req->by_token ?
		auth_token_check_person(&req->ctx, &req->token, action, p->id,
			p->org_id, &err) :
		auth_check_person(&req->ctx, req->session.person.id, action,
			p->id, p->org_id, &err);
	if (rc == 0)
		return true;
	api_reply_from_error(req, &err);
	return false;
}

bool
api_list_allowed(struct api_request *req, int64_t org_id,
	const char *list_address, enum auth_list_standing *standing_r)
{
	struct error err;
	req->access_checked = true;
	req->denied_known = true;
	req->denied_action = AUTH_LIST_MANAGE;
	req->denied_org = org_id;
	*standing_r = AUTH_LIST_ADMIN;
	int rc = req->by_token ?
		auth_token_check(&req->ctx, &req->token, AUTH_LIST_MANAGE,
			org_id, &err) :
		auth_list_check(&req->ctx, req->session.person.id, org_id,
			list_address, standing_r, &err);
	if (rc == 0)
		return true;
	api_reply_from_error(req, &err);
	return false;
}

bool
api_allowed_somewhere(struct api_request *req, enum auth_action action)
{
	struct error err;
	req->access_checked = true;
	req->denied_known = true;
	req->denied_action = action;
	req->denied_org = 0;
	int rc;
	if (req->by_token) {
		int64_t *ids;
		size_t n;
		rc = auth_token_scope_orgs(&req->ctx, &req->token, action, &ids,
			&n, &err);
	} else {
		rc = auth_check_anywhere(&req->ctx, req->session.person.id,
			action, &err);
	}
	if (rc == 0)
		return true;
	api_reply_from_error(req, &err);
	return false;
}

bool
api_scope(struct api_request *req, enum auth_action action, bool *all_r,
	int64_t **ids_r, size_t *count_r)
{
	struct error err;
	req->access_checked = true;
	req->denied_known = true;
	req->denied_action = action;
	req->denied_org = 0;
	*all_r = false;
	int rc = req->by_token ?
		auth_token_scope_orgs(&req->ctx, &req->token, action, ids_r,
			count_r, &err) :
		auth_scope_orgs(&req->ctx, req->session.person.id, action,
			all_r, ids_r, count_r, &err);
	if (rc == 0)
		return true;
	api_reply_from_error(req, &err);
	return false;
}

bool
api_listing_orgs(struct api_request *req, enum auth_action action,
	struct dir_org_set *orgs)
{
	const char *ods = api_query(req, "org");
	*orgs = (struct dir_org_set){ NULL, 0 };
	if (ods != NULL && ods[0] != '\0') {
		struct store_org org;
		struct error err;
		if (dir_org_get(&req->ctx, ods, &org, &err) < 0) {
			api_reply_from_error(req, &err);
			return false;
		}
		if (!api_allowed(req, action, org.id))
			return false;
		int64_t *one = arena_alloc(req->arena, sizeof(*one));
		if (one == NULL) {
			api_reply_error(req, 503, "temporary", "The server is "
				"short of memory just now; try again.", NULL);
			return false;
		}
		*one = org.id;
		*orgs = (struct dir_org_set){ one, 1 };
		return true;
	}
	bool all;
	int64_t *ids;
	size_t count;
	if (!api_scope(req, action, &all, &ids, &count))
		return false;
	if (!all && count == 0) {
		/* An empty set must never read as "every org": fail closed. */
		api_reply_error(req, 403, "denied", "you administer no "
			"organisation this reaches", NULL);
		return false;
	}
	if (!all)
		*orgs = (struct dir_org_set){ ids, count };
	return true;
}

/* 429 with Retry-After: the limit of `what` is reached, retry s away. */
static void
reply_limited(struct api_request *req, const char *what, int64_t retry,
	const char *msg)
{
	char seconds[24];
	snprintf(seconds, sizeof(seconds), "%lld", (long long)retry);
	http_call_add_header(req->call, "Retry-After", seconds);
	log_warn("api.rate_limited", "what=%s peer=%s", what, req->peer);
	api_reply_error(req, 429, "rate_limited", msg, NULL);
}

bool
api_rate_ok(struct api_request *req, const char *what, const char *key,
	const char *limit_setting)
{
	const struct config *c = req->ctx.config;
	int64_t retry;
	struct error err;
	int rc = auth_limit_allow(req->api->limits, &req->ctx, what, key,
		config_get_int(c, limit_setting),
		config_get_int(c, "ratelimit.window_s"), true, &retry, &err);
	if (rc == 1)
		return true;
	if (rc < 0) {
		/* Fail closed: uncounted tries would be unlimited ones. */
		api_reply_from_error(req, &err);
		return false;
	}
	char msg[160];
	snprintf(msg, sizeof(msg), "Too many requests of this kind; wait %lld "
		"seconds and try again.", (long long)retry);
	reply_limited(req, what, retry, msg);
	return false;
}

int
api_failures_within(struct api_request *req, const char *what, bool failed,
	int64_t *retry_r, struct error *err)
{
	const struct config *c = req->ctx.config;
	char kind[64];
	snprintf(kind, sizeof(kind), "%s_fail", what);
	int rc = auth_limit_allow(req->api->limits, &req->ctx, kind, req->peer,
		config_get_int(c, "ratelimit.token_failures_per_ip"),
		config_get_int(c, "ratelimit.window_s"), failed, retry_r, err);
	/* A failure the database could not count: the caller replies. */
	if (rc < 0 && failed)
		log_warn("api.rate_uncounted", "what=%s reason=\"%s\"", kind,
			err->msg);
	return rc;
}

bool
api_link_allowed(struct api_request *req, const char *what, bool failed)
{
	int64_t retry;
	struct error err;
	int rc = api_failures_within(req, what, failed, &retry, &err);
	if (rc == 1 || failed)
		return rc == 1;
	if (rc < 0)
		api_reply_from_error(req, &err);
	else
		reply_limited(req, what, retry, "Too many links that are not "
			"ours were tried from here; wait and try again.");
	return false;
}
