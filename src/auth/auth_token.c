/*
 * API tokens for application accounts (SPEC P16, seed 004): each has a
 * label, an org scope, a set of actions, an expiry and an optional list of
 * source addresses. Layer: domain.
 * SECURITY: 256-bit tokens from the CSPRNG, shown once and stored only as
 * their SHA-256; a token never gets an action its maker lacks; creation
 * and revocation are audited without the token.
 */
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "auth/auth.h"
#include "auth/auth_access.h"
#include "auth/auth_internal.h"
#include "auth/auth_token.h"
#include "core/arena.h"
#include "core/cidr.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/error.h"
#include "core/str.h"
#include "dir/dir.h"
#include "store/store.h"
#include "store/store_selfsvc.h"

#define LABEL_MAX 100
#define DAY_S 86400
#define ALLOW_MAX 32


bool
auth_cidr_valid(const char *entry)
{
	struct cidr block;
	return cidr_parse(entry, &block);
}

bool
auth_token_peer_allowed(const char *allow_from, const char *peer)
{
	if (allow_from == NULL || allow_from[0] == '\0')
		return true;
	return cidr_list_contains(allow_from, peer);
}

static int
check_label(const char *label, struct error *err)
{
	size_t n = label != NULL ? strlen(label) : 0;
	if (n == 0 || n > LABEL_MAX)
		return error_set_field(err, ERROR_INVALID, "label",
			"a token needs a label of 1 to %d characters",
			LABEL_MAX);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)label[i];
		/* '@' too: the label is the user name on SMTP, where an
		 * address means a person. */
		if (c < 0x20 || c == 0x7F || c == ',' || c == '@')
			return error_set_field(err, ERROR_INVALID, "label",
				"a token's label cannot hold control "
				"characters, commas or @");
	}
	return 0;
}

/* The actions as a canonical list, each one the maker may take there. */
static int
check_actions(const struct dir_ctx *ctx, int64_t person_id, int64_t org_id,
	const struct auth_token_new *in, const char **list_r,
	struct error *err)
{
	if (in->action_count == 0)
		return error_set_field(err, ERROR_INVALID, "actions",
			"a token needs at least one action");
	bool want[AUTH_ACTION_COUNT] = { false };
	for (size_t i = 0; i < in->action_count; i++) {
		enum auth_action a;
		struct error inner;
		if (!auth_action_parse(in->actions[i], &a) ||
		    !auth_token_action_givable(a))
			return error_set_field(err, ERROR_INVALID, "actions",
				"%s is not an action a token can be given",
				in->actions[i]);
		if (auth_check(ctx, person_id, a, org_id, &inner) < 0) {
			if (inner.code != ERROR_DENIED)
				return error_forward(err, &inner);
			return error_set_field(err, ERROR_DENIED, "actions",
				"you cannot give a token %s, as you may not do "
				"it there yourself", in->actions[i]);
		}
		want[a] = true;
	}
	char buf[1024] = "";
	size_t used = 0;
	for (int a = 0; a < AUTH_ACTION_COUNT; a++) {
		if (want[a])
			used += (size_t)snprintf(buf + used, sizeof(buf) - used,
				"%s%s", used > 0 ? "," : "",
				auth_action_name((enum auth_action)a));
	}
	*list_r = arena_strdup(ctx->arena, buf);
	return *list_r != NULL ? 0 : error_set(err, ERROR_LIMIT,
					     "out of memory");
}

static int
check_expiry(const struct dir_ctx *ctx, const struct auth_token_new *in,
	int64_t *expires_r, struct error *err)
{
	int64_t max_days = config_get_int(ctx->config, "tokens.max_days");
	int64_t at = in->expires_at;
	if ((at != 0) == (in->expires_days != 0))
		return error_set_field(err, ERROR_INVALID, "expires_at",
			"give a token either expires_at or expires_days");
	if (at == 0) {
		if (in->expires_days < 1 || in->expires_days > max_days)
			return error_set_field(err, ERROR_INVALID,
				"expires_days", "expires_days must be from 1 "
				"to %lld", (long long)max_days);
		at = ctx->now + in->expires_days * DAY_S;
	}
	if (at <= ctx->now || at > ctx->now + max_days * DAY_S)
		return error_set_field(err, ERROR_INVALID, "expires_at",
			"expires_at must be in the future and within %lld "
			"days", (long long)max_days);
	*expires_r = at;
	return 0;
}

static int
check_allow(const struct dir_ctx *ctx, const struct auth_token_new *in,
	const char **list_r, struct error *err)
{
	struct str s;
	str_init(&s, ctx->arena, ALLOW_MAX * 64);
	if (in->allow_count > ALLOW_MAX)
		return error_set_field(err, ERROR_INVALID, "allow_from",
			"a token can list at most %d addresses", ALLOW_MAX);
	for (size_t i = 0; i < in->allow_count; i++) {
		if (!auth_cidr_valid(in->allow_from[i]))
			return error_set_field(err, ERROR_INVALID,
				"allow_from", "%s is not an IP address or "
				"CIDR block", in->allow_from[i]);
		if ((i > 0 && str_append_char(&s, ',') < 0) ||
		    str_append_cstr(&s, in->allow_from[i]) < 0)
			return error_set(err, ERROR_LIMIT, "out of memory");
	}
	*list_r = in->allow_count > 0 ? str_cstr(&s) : "";
	return *list_r != NULL ? 0 : error_set(err, ERROR_LIMIT,
					     "out of memory");
}

static json_t *
token_summary(const struct store_api_token *t)
{
	char at[32];
	clock_format_iso(t->expires_at, at, sizeof(at));
	return json_pack("{s:I,s:s,s:s,s:s,s:s}", "token_id",
		(json_int_t)t->id, "label", t->label, "actions", t->actions,
		"allow_from", t->allow_from, "expires_at", at);
}

int
auth_token_create(const struct dir_ctx *ctx, int64_t person_id,
	const struct auth_token_new *in, char *token_r,
	struct store_api_token *t_r, struct error *err)
{
	struct store_org org;
	memset(t_r, 0, sizeof(*t_r));
	if (check_label(in->label, err) < 0 ||
	    dir_org_get(ctx, in->org_ods, &org, err) < 0 ||
	    check_actions(ctx, person_id, org.id, in, &t_r->actions,
		    err) < 0 ||
	    check_expiry(ctx, in, &t_r->expires_at, err) < 0 ||
	    check_allow(ctx, in, &t_r->allow_from, err) < 0)
		return -1;
	unsigned char raw[AUTH_TOKEN_HEX / 2];
	char hash[AUTH_TOKEN_HEX + 1];
	randombytes_buf(raw, sizeof(raw));
	sodium_bin2hex(token_r, AUTH_TOKEN_HEX + 1, raw, sizeof(raw));
	sodium_memzero(raw, sizeof(raw));
	auth_secret_digest(token_r, hash);
	t_r->token_hash = arena_strdup(ctx->arena, hash);
	t_r->label = in->label;
	t_r->org_id = org.id;
	t_r->created_by = ctx->actor;
	t_r->created_at = ctx->now;
	if (store_begin(ctx->store, err) < 0)
		return -1;
	if (store_api_token_insert(ctx->store, t_r, err) < 0 ||
	    dir_audit(ctx, "create", "api_token", t_r->id, org.id,
		    token_summary(t_r), err) < 0) {
		store_rollback(ctx->store);
		if (err->code == ERROR_EXISTS)
			error_set_field(err, ERROR_EXISTS, "label",
				"%s already has a token labelled %s", org.ods,
				in->label);
		sodium_memzero(token_r, AUTH_TOKEN_HEX + 1);
		return -1;
	}
	if (store_commit(ctx->store, err) < 0) {
		sodium_memzero(token_r, AUTH_TOKEN_HEX + 1);
		return -1;
	}
	return 0;
}

int
auth_token_revoke(const struct dir_ctx *ctx, int64_t id, struct error *err)
{
	struct store_api_token t;
	if (store_begin(ctx->store, err) < 0)
		return -1;
	if (store_api_token_get(ctx->store, id, ctx->arena, &t, err) < 0 ||
	    store_api_token_revoke(ctx->store, id, ctx->now, err) < 0 ||
	    dir_audit(ctx, "delete", "api_token", t.id, t.org_id,
		    json_pack("{s:I,s:s,s:b}", "token_id", (json_int_t)t.id,
			    "label", t.label, "revoked", 1), err) < 0) {
		store_rollback(ctx->store);
		return -1;
	}
	return store_commit(ctx->store, err);
}

int
auth_token_get(const struct dir_ctx *ctx, int64_t id,
	struct store_api_token *t_r, struct error *err)
{
	return store_api_token_get(ctx->store, id, ctx->arena, t_r, err);
}

int
auth_token_list(const struct dir_ctx *ctx, int64_t org_id, int64_t after_id,
	size_t limit, struct store_api_token **tokens_r, size_t *count_r,
	struct error *err)
{
	return store_api_token_list(ctx->store, &org_id, org_id != 0 ? 1 : 0,
		after_id, limit, ctx->arena, tokens_r, count_r, err);
}

int
auth_token_find(const struct dir_ctx *ctx, const char *token,
	const char *peer, struct store_api_token *t_r, struct error *err)
{
	struct error inner;
	char hash[AUTH_TOKEN_HEX + 1];
	if (token == NULL || strlen(token) != AUTH_TOKEN_HEX)
		return error_set(err, ERROR_NOT_FOUND,
			"that API token is not one this service issued");
	auth_secret_digest(token, hash);
	if (store_api_token_by_hash(ctx->store, hash, ctx->arena, t_r,
		    &inner) < 0) {
		if (inner.code != ERROR_NOT_FOUND)
			return error_forward(err, &inner);
		return error_set(err, ERROR_NOT_FOUND,
			"that API token is not one this service issued");
	}
	if (t_r->revoked_at != 0)
		return error_set(err, ERROR_NOT_FOUND,
			"that API token has been revoked");
	if (ctx->now >= t_r->expires_at) {
		char at[32];
		clock_format_iso(t_r->expires_at, at, sizeof(at));
		return error_set(err, ERROR_NOT_FOUND,
			"that API token expired at %s", at);
	}
	if (!auth_token_peer_allowed(t_r->allow_from, peer))
		return error_set(err, ERROR_NOT_FOUND, "that API token cannot "
			"be used from %s", peer != NULL ? peer : "here");
	/* A write per request would cost every call a commit: a minute's grain. */
	if (ctx->now - t_r->last_used_at < 60)
		return 0;
	t_r->last_used_at = ctx->now;
	return store_api_token_touch(ctx->store, t_r->id, ctx->now, err);
}

int
auth_token_signin(const struct dir_ctx *ctx, const char *label,
	const char *token, const char *peer, struct store_api_token *t_r,
	struct error *err)
{
	if (auth_token_find(ctx, token, peer, t_r, err) < 0)
		return -1;
	/* The name guards against a token pasted into the wrong system. */
	if (label == NULL || strcmp(label, t_r->label) != 0)
		return error_set(err, ERROR_NOT_FOUND, "that API token is "
			"not the one named %.100s", label != NULL ? label : "");
	struct error inner;
	if (auth_token_check(ctx, t_r, AUTH_MAIL_SEND, t_r->org_id,
		    &inner) < 0)
		return error_set(err, inner.code == ERROR_DENIED ?
				ERROR_NOT_FOUND : inner.code, "%s", inner.msg);
	return 0;
}
