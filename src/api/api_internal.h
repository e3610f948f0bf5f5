/*
 * Shared inside the API only: one request as the handlers see it, the route
 * table's entries, replies and the JSON request decoder. Layer: front end.
 */
#ifndef API_API_INTERNAL_H
#define API_API_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth/auth.h"
#include "auth/auth_access.h"
#include "core/error.h"
#include "core/str.h"
#include "dir/dir.h"

struct http_call;
struct instance;

#define API_PREFIX "/api/v1"
/* Memory one request may use; its arena is wiped, as it holds passwords. */
#define API_ARENA_CAP (8 * 1024 * 1024)

struct auth_limits;
struct auth_sms;

struct api {
	const struct instance *inst;
	struct auth_sms *sms;		/* the SMS gateway (auth_sms.h) */
	struct auth_limits *limits;	/* 429 counters for every route */
	struct store_writer *writer;	/* serve's; NULL: none */
};

#define API_MAX_PARAMS 4

/* One request, from route match to reply. */
struct api_request {
	struct api *api;
	struct http_call *call;
	const char *method;
	const char *path;		/* below API_PREFIX, e.g. "/session" */
	struct span body;
	struct arena *arena;		/* wiping; freed after the reply */
	struct dir_ctx ctx;		/* store, arena, actor, now */
	bool signed_in;
	struct auth_web_session session;	/* when signed_in */
	char peer[64];			/* client IP address */
	bool by_token;			/* an application's bearer token */
	struct store_api_token token;	/* when by_token */
	bool access_checked;		/* api_allowed was asked */
	/* What a refusal was of, for its audit row (SECURITY.md 48). */
	bool denied_known;
	enum auth_action denied_action;
	int64_t denied_org;
	char request_id[17];		/* hex; sent back as X-Request-Id */
	/* An Idempotency-Key being served (api_idempotency.c). */
	const char *idem_key;		/* NULL: none */
	const char *idem_owner;		/* whose keys: person or token#id */
	unsigned idem_status;		/* the reply's, once replied */
	char *idem_reply;		/* its JSON text, secrets removed */
	size_t param_count;		/* {name} segments of the route */
	struct {
		const char *name;	/* without the braces, in req->arena */
		const char *value;
	} params[API_MAX_PARAMS];
};

/* What a route allows beyond the usual session, CSRF and gates. */
enum api_route_flag {
	API_PUBLIC = 1 << 0,		/* no session needed */
	API_NO_CSRF = 1 << 1,		/* a state change without the token */
	API_ANY_PASSWORD = 1 << 2,	/* allowed while the password must change */
	API_BEFORE_MFA = 1 << 3,	/* allowed to an admin not yet enrolled */
	API_CSV_BODY = 1 << 4,		/* the body may also be text/csv */
	/* a change served while maintenance mode is on (sign-in, sign-out,
	 * the switch itself); every other change is refused then */
	API_IN_MAINTENANCE = 1 << 5,
	/*
	 * a read that may take long (an export's whole file, a body from the
	 * blob store): run on the HTTP listener's waiting threads, as every
	 * change is, so it holds up no other connection's reads (api_waits)
	 */
	API_WAITS = 1 << 6,
};

/*
 * A path is matched segment by segment; a segment "{name}" matches any one
 * non-empty segment, read back with api_param. Each area of the API keeps
 * its own table, ended by API_ROUTES_END, and api_router.c lists the
 * tables; docs/openapi.json documents exactly these routes (a test checks).
 */
struct api_route {
	const char *method;		/* GET routes also answer HEAD */
	const char *path;		/* below API_PREFIX */
	void (*handler)(struct api_request *req);
	unsigned flags;			/* enum api_route_flag bits */
};

#define API_ROUTES_END { NULL, NULL, NULL, 0 }

extern const struct api_route api_routes_session[];
extern const struct api_route api_routes_app_passwords[];
extern const struct api_route api_routes_orgs[];
extern const struct api_route api_routes_users[];
extern const struct api_route api_routes_me[];
extern const struct api_route api_routes_recovery[];
extern const struct api_route api_routes_tokens[];
extern const struct api_route api_routes_mailboxes[];
extern const struct api_route api_routes_contacts[];
extern const struct api_route api_routes_lists[];
extern const struct api_route api_routes_people[];
extern const struct api_route api_routes_audit[];
extern const struct api_route api_routes_devices[];
extern const struct api_route api_routes_status[];
extern const struct api_route api_routes_queue[];
extern const struct api_route api_routes_mailtips[];
extern const struct api_route api_routes_secure[];
extern const struct api_route api_routes_secure_sent[];
extern const struct api_route api_routes_guests[];
extern const struct api_route api_routes_imports[];
extern const struct api_route api_routes_lifecycle[];
extern const struct api_route api_routes_shared_confirm[];
extern const struct api_route api_routes_maintenance[];

/*
 * Maintenance mode's gate (api_maintenance.c), after the credentials: true
 * when the request may be served; false with a 503 (code maintenance,
 * Retry-After when an end was given, and the switch as "maintenance")
 * replied for a change while it is on, unless the route is
 * API_IN_MAINTENANCE.
 */
bool api_maintenance_allows(struct api_request *req,
	const struct api_route *r);

/*
 * Whether the signed-in person owns the mailbox (SPEC L5: an owner sees
 * their shared mailbox's page and keeps it); an API token never does.
 */
bool api_mailbox_owner(struct api_request *req, const struct store_mailbox *m);

/* ---- request parts (api_request.c) ---- */

/* A {name} segment's value (URL-decoded); "" when the route has none. */
const char *api_param(const struct api_request *req, const char *name);
/* The org named by the path's {ods}, or false with its 404 replied. */
bool api_path_org(struct api_request *req, struct store_org *org);

/*
 * A path parameter that is a row id (a positive decimal); false with a 404
 * saying not_found (a sentence) replied when it is not one.
 */
bool api_param_id(struct api_request *req, const char *name,
	const char *not_found, int64_t *id_r);
/* A query argument's value, or NULL when absent. */
const char *api_query(const struct api_request *req, const char *name);

/* ---- access and rate limits (api_access.c) ---- */

/*
 * Whether the caller may take action on something in org_id (0: on no
 * particular org), by auth_check (SPEC P2). On refusal replies 403 with
 * auth's sentence and returns false; handlers return at once.
 */
bool api_allowed(struct api_request *req, enum auth_action action,
	int64_t org_id);
/*
 * api_allowed for an action on a person's sign-in (password reset,
 * unlock): also refused when they hold a role equal to or above the
 * caller's (auth_check_person, SECURITY.md 43).
 */
bool api_allowed_person(struct api_request *req, enum auth_action action,
	const struct store_person *p);

/*
 * api_allowed for a distribution list (auth_list_check: its org's admins,
 * or its owners, whose changes wait; list_address NULL to create one in
 * org_id). A token acts as an admin when it holds list.manage there.
 */
bool api_list_allowed(struct api_request *req, int64_t org_id,
	const char *list_address, enum auth_list_standing *standing_r);

/*
 * Whether the caller may take action in some org at all (a token: it holds
 * the action), before the object is read; else a 403. The handler still
 * asks api_allowed on the object's own org.
 */
bool api_allowed_somewhere(struct api_request *req, enum auth_action action);

/*
 * The orgs where the caller may take action, for listings (*all_r: every
 * org; else ids): auth_scope_orgs for a person, the token's org and the
 * orgs below it for a token. On refusal replies 403 and returns false.
 */
bool api_scope(struct api_request *req, enum auth_action action, bool *all_r,
	int64_t **ids_r, size_t *count_r);

/*
 * The orgs a listing covers: the one ?org= names, when the caller may take
 * action there, or else every org in the caller's scope (api_scope). On
 * refusal replies 403 (404 for an unknown org) and returns false.
 */
bool api_listing_orgs(struct api_request *req, enum auth_action action,
	struct dir_org_set *orgs);

/*
 * Counts one request against a rate limit: `what` names it ("signin"),
 * key is what it is counted by (an IP address, an account address) and
 * limit_setting the config key of its limit per ratelimit.window_s. Over
 * the limit replies 429 with Retry-After and returns false; when the
 * count cannot be had (PostgreSQL unreachable, auth_limit.h) replies 503
 * and returns false: uncounted tries would be unlimited ones.
 */
bool api_rate_ok(struct api_request *req, const char *what, const char *key,
	const char *limit_setting);

/*
 * A link sent by mail (the secure portal's, a shared mailbox's confirm)
 * is limited as bearer tokens are: `failed` counts an unknown link
 * against the caller's IP; past ratelimit.token_failures_per_ip in the
 * window every look-up of `what` ("secure_link") is refused, a look-up
 * (failed false) replying 429 (503 when it cannot be counted) and
 * returning false.
 */
/*
 * The failures of credential `what` ("token", "secure_link") tried from
 * the caller's IP, ratelimit.token_failures_per_ip per window: 1 under
 * the limit, 0 at it, -1 with err when it cannot be counted (the caller
 * refuses: 503). `failed` counts one; one that cannot be counted is
 * logged (api.rate_uncounted) and the caller answers the failure itself.
 */
int api_failures_within(struct api_request *req, const char *what,
	bool failed, int64_t *retry_r, struct error *err);
bool api_link_allowed(struct api_request *req, const char *what,
	bool failed);

/* ---- Idempotency-Key (api_idempotency.c) ---- */

/*
 * Before a POST's handler: with an Idempotency-Key header, claims the key
 * or replies with its first request's reply (or 422/409) and returns
 * false. True: run the handler, then call api_idempotency_end.
 */
bool api_idempotency_begin(struct api_request *req);
void api_idempotency_end(struct api_request *req);
/* api_reply keeps a claimed request's first reply in req (idem_*). */

/* ---- pagination (api_page.c) ---- */

#define API_PAGE_DEFAULT 50
#define API_PAGE_MAX 500

/* ?limit= (1..API_PAGE_MAX) and ?cursor= (opaque: the last id seen). */
struct api_page {
	size_t limit;
	int64_t after_id;	/* 0 for the first page */
};

/* Reads limit and cursor; on bad ones replies 422 and returns false. */
bool api_page_parse(struct api_request *req, struct api_page *page);
/*
 * {"items": items, "next_cursor": "<last_id>" or null}: a full page
 * (count == limit) gets a cursor, a short one ends the listing. Takes items.
 */
json_t *api_page_json(json_t *items, const struct api_page *page,
	size_t count, int64_t last_id);

/* ---- CSV downloads (api_csv.c) ---- */

/*
 * The most rows and bytes one download may hold (docs/api.md, "CSV
 * downloads"): past either it is refused with a sentence asking for
 * narrower filters.
 */
#define API_CSV_MAX_ROWS 100000
#define API_CSV_MAX_BYTES (256 * 1024 * 1024)

struct spool;
/*
 * Whether ?format= asks for CSV (*csv_r) rather than JSON (absent or
 * "json"); anything else replies 422 naming "format" and returns false.
 */
bool api_csv_asked(struct api_request *req, bool *csv_r);
/* A new spool for a download, at most API_CSV_MAX_BYTES; the caller's. */
struct spool *api_csv_spool(const struct api_request *req);
/*
 * Replies 200 with sp (taken) as text/csv, an attachment named
 * "NAME-YYYYMMDD.csv" (today, UTC); if the spool cannot be read, the
 * error reply instead.
 */
void api_reply_csv(struct api_request *req, const char *name,
	struct spool *sp);

/* ---- replies (api_reply.c) ---- */

/* Sets the reply; takes body. */
void api_reply(struct api_request *req, unsigned status, json_t *body);
/*
 * Sets the reply to JSON already written as text (core/json_text.h), for
 * a read made too often to build as a tree (People Finder, bench B5).
 */
void api_reply_text(struct api_request *req, unsigned status,
	const struct str *json);
/* {"error":{"code","message","field"}}; field may be NULL. */
void api_reply_error(struct api_request *req, unsigned status,
	const char *code, const char *message, const char *field);
/* From err by the table; internal faults are logged, not described. */
void api_reply_from_error(struct api_request *req, const struct error *err);
/*
 * 503 "temporary" with Retry-After, logged as api.unavailable: `logged`
 * for the operator, `shown` to the client (a store's reason may name
 * paths).
 */
void api_reply_unavailable(struct api_request *req, const char *logged,
	const char *shown);
/* An ISO 8601 UTC time, or null for 0. */
json_t *api_json_time(int64_t t);
/* A person as the API shows them: never the notes or secrets. */
json_t *api_json_person(struct api_request *req, const struct store_person *p);
/* [{"role","org"}]: the admin roles the person holds now. */
json_t *api_json_roles(struct api_request *req, int64_t person_id);
/* The session's cookie name: __Host- prefixed over TLS. */
const char *api_cookie_name(const struct api_request *req);

/* ---- JSON request bodies (api_json.c) ---- */

enum api_field_type {
	API_FIELD_STRING,	/* const char *, NULL when absent */
	API_FIELD_BOOL,		/* int: -1 absent, 0, 1 */
	API_FIELD_INT,		/* int64_t, 0 when absent */
	API_FIELD_STRINGS,	/* struct api_strings; max_len per item */
	API_FIELD_JSON,		/* json_t *, NULL when absent; the caller
				 * json_decrefs it after a 0 return */
	API_FIELD_OBJECT,	/* const char *: the object as JSON text, NULL */
};

/* An array of strings from a request body, in the request arena. */
struct api_strings {
	const char **items;
	size_t count;		/* 0 when absent or [] */
	bool present;
};

#define API_STRINGS_MAX 64

/* One field of a request body; a spec ends with a { NULL } entry. */
struct api_field {
	const char *name;
	enum api_field_type type;
	bool required;
	size_t offset;		/* where in out the value goes */
	size_t max_len;		/* strings: most bytes allowed; 0 means 1024 */
};

/*
 * Decodes body, a JSON object, into out by spec: strings are copied into
 * a (NUL-free, valid UTF-8, at most max_len bytes). ERROR_INVALID with a
 * sentence for text that is not JSON or not an object (field ""), for a
 * duplicate key, and, naming the field, for a field not in the spec, a
 * missing required one, a wrong type or an overlong string. ERROR_LIMIT
 * when a is full. An empty body is an empty object.
 */
int api_json_decode(struct span body, const struct api_field *spec,
	void *out, struct arena *a, struct error *err);

/*
 * For a call that takes no fields: true when the body is empty or {};
 * else replies with api_json_decode's error and returns false.
 */
bool api_no_body(struct api_request *req);

/* ---- the secure portal's readers (api_secure.c) ---- */

/* Whether the request carries a reader cookie to a reader route. */
bool api_secure_reader_cookie(const struct api_request *req);
/*
 * For api_signed_in: 0 when that cookie is a live reader session,
 * -1 with ERROR_NOT_FOUND (or the store's error) otherwise.
 */
int api_secure_reader_find(struct api_request *req, struct error *err);

/* ---- handlers ---- */

void api_session_post(struct api_request *req);
void api_session_get(struct api_request *req);
void api_session_delete(struct api_request *req);
void api_openapi_get(struct api_request *req);
struct auth_answer;
/*
 * [{question, answer}, ...] into answers in req's arena; ERROR_INVALID,
 * field "answers", for any other shape. Takes json (api_recovery.c).
 */
int api_answers_parse(struct api_request *req, json_t *json,
	struct auth_answer **answers_r, size_t *count_r, struct error *err);

/* ---- users area helpers (api_orgs.c, api_users.c) ---- */

/* Whether org_id is in a scope api_scope gave. */
bool api_scope_has(bool all, const int64_t *ids, size_t count,
	int64_t org_id);

/* ---- helpers of the mailboxes, contacts and lists handlers ---- */

/* The people's addresses as a JSON array. */

void api_people_search(struct api_request *req);
void api_people_help(struct api_request *req);
void api_audit_list(struct api_request *req);
void api_me_devices(struct api_request *req);
void api_user_devices(struct api_request *req);
void api_report_devices(struct api_request *req);

#endif
