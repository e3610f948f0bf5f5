/*
 * API tokens for application accounts (SPEC P16, seed 004): each has a
 * label, an org scope, a set of actions, an expiry and an optional list of
 * source addresses. Layer: domain.
 * SECURITY: 256-bit tokens from the CSPRNG, shown once and stored only as
 * their SHA-256; a token never gets an action its maker lacks; creation
 * and revocation are audited without the token.
 */
#include <arpa/inet.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "auth/auth.h"
#include "auth/auth_access.h"
#include "auth/auth_internal.h"
#include "auth/auth_token.h"
#include "core/arena.h"
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


/*
 * An address as 16 bytes (IPv4 mapped into IPv6), or false; *v4_r tells
 * whether it was written as IPv4, for the prefix length's range.
 */
static bool
parse_ip(const char *text, unsigned char out[16], bool *v4_r)
{
	unsigned char v4[4];
	if (inet_pton(AF_INET, text, v4) == 1) {
		static const unsigned char prefix[12] = { 0, 0, 0, 0, 0, 0, 0,
			0, 0, 0, 0xFF, 0xFF };
		memcpy(out, prefix, 12);
		memcpy(out + 12, v4, 4);
		*v4_r = true;
		return true;
	}
	/* ::ffff:a.b.c.d, a dual-stack socket's IPv4 client, then matches
	 * IPv4 entries by itself. */
	*v4_r = false;
	return inet_pton(AF_INET6, text, out) == 1;
}

/* An "IP" or "IP/bits" entry as a 16-byte network and its prefix length. */
static bool
parse_cidr(const char *entry, unsigned char net[16], int *bits_r)
{
	char ip[64];
	const char *slash = strchr(entry, '/');
	size_t len = slash != NULL ? (size_t)(slash - entry) : strlen(entry);
	if (len == 0 || len >= sizeof(ip))
		return false;
	memcpy(ip, entry, len);
	ip[len] = '\0';
	bool v4;
	if (!parse_ip(ip, net, &v4))
		return false;
	int max = v4 ? 32 : 128, bits = max;
	if (slash != NULL) {
		uint64_t n;
		if (!span_to_u64(span_from_cstr(slash + 1), &n) || n > (uint64_t)max)
			return false;
		bits = (int)n;
	}
	*bits_r = v4 ? bits + 96 : bits;
	return true;
}

bool
auth_cidr_valid(const char *entry)
{
	unsigned char net[16];
	int bits;
	return parse_cidr(entry, net, &bits);
}

static bool
prefix_equal(const unsigned char *a, const unsigned char *b, int bits)
{
	int whole = bits / 8, rest = bits % 8;
	if (memcmp(a, b, (size_t)whole) != 0)
		return false;
	if (rest == 0)
		return true;
	unsigned char mask = (unsigned char)(0xFF << (8 - rest));
	return (a[whole] & mask) == (b[whole] & mask);
}

bool
auth_token_peer_allowed(const char *allow_from, const char *peer)
{
	if (allow_from == NULL || allow_from[0] == '\0')
		return true;
	unsigned char addr[16];
	bool v4;
	if (peer == NULL || !parse_ip(peer, addr, &v4))
		return false;
	struct span rest = span_from_cstr(allow_from), item;
	while (span_split(&rest, ',', &item)) {
		char entry[80];
		unsigned char net[16];
		int bits;
		item = span_trim(item);
		if (item.len == 0 || item.len >= sizeof(entry))
			continue;
		memcpy(entry, item.p, item.len);
		entry[item.len] = '\0';
		if (parse_cidr(entry, net, &bits) &&
		    prefix_equal(addr, net, bits))
			return true;
	}
	return false;
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
		if (c < 0x20 || c == 0x7F || c == ',')
			return error_set_field(err, ERROR_INVALID, "label",
				"a token's label cannot hold control "
				"characters or commas");
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
		    a == AUTH_TOKEN_MANAGE)
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
