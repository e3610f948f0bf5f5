/*
 * API tokens for application accounts (SPEC P16, seed 004). Layer: domain.
 * SECURITY: a token is shown once and stored only as its SHA-256; never
 * logged; it never exceeds what its maker may do.
 */
#ifndef AUTH_AUTH_TOKEN_H
#define AUTH_AUTH_TOKEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store_types.h"

struct dir_ctx;
struct error;

/* What an admin asks for; the org is named by ODS code. */
struct auth_token_new {
	const char *label;
	const char *org_ods;
	const char *const *actions;	/* action names, as auth_action_name */
	size_t action_count;
	int64_t expires_at;		/* 0: use expires_days */
	int64_t expires_days;
	const char *const *allow_from;	/* IPs and CIDRs; may be none */
	size_t allow_count;
};

/*
 * Makes a token: the creator (person_id) must themselves be allowed every
 * action asked for in that org, so a token never exceeds its maker. The
 * token (AUTH_TOKEN_HEX hex digits) is written to token_r and never
 * stored: only its SHA-256. ERROR_INVALID naming the field for a bad
 * label, action, expiry or address; ERROR_EXISTS for a label the org has
 * used. Audited without the token.
 */
int auth_token_create(const struct dir_ctx *ctx, int64_t person_id,
	const struct auth_token_new *in, char *token_r,
	struct store_api_token *t_r, struct error *err);

/* Revokes a token at once; audited. */
int auth_token_revoke(const struct dir_ctx *ctx, int64_t id,
	struct error *err);
/* A token by id, never its secret; ERROR_NOT_FOUND for an unknown id. */
int auth_token_get(const struct dir_ctx *ctx, int64_t id,
	struct store_api_token *t_r, struct error *err);
/*
 * Tokens of one org (org_id 0: of every org) with id > after_id, by id, at
 * most limit. The caller checks who may see each one.
 */
int auth_token_list(const struct dir_ctx *ctx, int64_t org_id,
	int64_t after_id, size_t limit, struct store_api_token **tokens_r,
	size_t *count_r, struct error *err);

/*
 * The token a request presents, checked: ERROR_NOT_FOUND with a sentence
 * for an unknown, revoked or expired token and for a peer address outside
 * its allow-list. Records its last use.
 */
int auth_token_find(const struct dir_ctx *ctx, const char *token,
	const char *peer, struct store_api_token *t_r, struct error *err);

/*
 * An application signing in to submission with a token (SPEC M3): the
 * user name is the token's label, the password the token, which must be
 * live, allowed from peer and granted mail.send. ERROR_NOT_FOUND with
 * the reason (for the log: the client is told less); it then sends from
 * the addresses of the orgs the token's org reaches.
 */
int auth_token_signin(const struct dir_ctx *ctx, const char *label,
	const char *token, const char *peer, struct store_api_token *t_r,
	struct error *err);

/* Whether peer (an IP address as text) is in the comma-separated list. */
bool auth_token_peer_allowed(const char *allow_from, const char *peer);

/* Checks one IP or CIDR entry; false when it is neither. */
bool auth_cidr_valid(const char *entry);

#endif
