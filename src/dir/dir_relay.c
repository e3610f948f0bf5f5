/*
 * Application servers an organisation registers to relay mail from its
 * addresses without signing in (SPEC M3, seed 004), and the org an address
 * sends for. Layer: domain. SECURITY: blocks are narrow (a server, not a
 * network) and two orgs' blocks never overlap, so a client address names
 * at most one org; the relay decision never looks at HELO or MAIL FROM
 * (SECURITY.md 9), only at the connecting address.
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "core/arena.h"
#include "core/cidr.h"
#include "core/error.h"
#include "dir/dir.h"
#include "dir/dir_internal.h"
#include "store/store_relay.h"

#define LABEL_MAX 100
/* Wider than this is a network, not application servers. */
#define WIDEST_V4 24
#define WIDEST_V6 120

/* The block as the person wrote it, checked: narrow and with no host bits. */
static int
check_block(const char *text, struct cidr *block, struct error *err)
{
	if (text == NULL || !cidr_parse(text, block))
		return error_set_field(err, ERROR_INVALID, "cidr",
			"%.80s is not an IP address or a CIDR block such as "
			"192.0.2.10 or 192.0.2.8/29", text != NULL ? text : "");
	bool v4 = block->bits >= 96 && strchr(text, ':') == NULL;
	int widest = v4 ? 96 + WIDEST_V4 : WIDEST_V6;
	if (block->bits < widest)
		return error_set_field(err, ERROR_INVALID, "cidr",
			"%s is wider than /%d: register the application "
			"servers themselves, not a network", text,
			v4 ? WIDEST_V4 : WIDEST_V6);
	struct cidr bare = *block;
	bare.bits = 128;
	/* With bits beyond the prefix set, the writer meant another block. */
	for (int bit = block->bits; bit < 128; bit++) {
		if (bare.net[bit / 8] & (0x80 >> (bit % 8)))
			return error_set_field(err, ERROR_INVALID, "cidr",
				"%s has address bits set past its prefix; "
				"write the block's first address", text);
	}
	return 0;
}

/* ERROR_EXISTS naming the org when the block meets any registered one. */
static int
check_no_overlap(const struct dir_ctx *ctx, const struct cidr *block,
	const char *text, struct error *err)
{
	struct store_relay_host *all;
	size_t n;
	if (store_relay_list(ctx->store, 0, ctx->arena, &all, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		struct cidr other;
		if (!cidr_parse(all[i].cidr, &other) ||
		    !cidr_overlap(block, &other))
			continue;
		return error_set_field(err, ERROR_EXISTS, "cidr",
			"%s overlaps %s, registered for %s (%s); an address "
			"relays for one organisation only", text, all[i].cidr,
			dir_org_ods(ctx, all[i].org_id), all[i].label);
	}
	return 0;
}

static int
relay_add_tx(const struct dir_ctx *ctx, const char *org_ods, const char *cidr,
	const char *label, struct store_relay_host *r, struct error *err)
{
	struct store_org org;
	struct cidr block;
	if (dir_check_text("label", "the application's name", label,
		    LABEL_MAX, true, err) < 0 ||
	    dir_org_by_ods(ctx, org_ods, &org, err) < 0 ||
	    check_block(cidr, &block, err) < 0 ||
	    check_no_overlap(ctx, &block, cidr, err) < 0)
		return -1;
	*r = (struct store_relay_host){
		.org_id = org.id,
		.cidr = cidr,
		.label = label,
		.created_at = ctx->now,
		.created_by = ctx->actor,
	};
	if (store_relay_insert(ctx->store, r, err) < 0)
		return -1;
	return dir_audit_json(ctx, "create", DIR_AUDIT_RELAY, r->id, org.id,
		json_pack("{s:s, s:s}", "cidr", cidr, "label", label), err);
}

int
dir_relay_add(const struct dir_ctx *ctx, const char *org_ods,
	const char *cidr, const char *label, struct store_relay_host *r_r,
	struct error *err)
{
	if (dir_begin(ctx, err) < 0)
		return -1;
	return dir_finish(ctx, relay_add_tx(ctx, org_ods, cidr, label, r_r,
				       err), err);
}

int
dir_relay_list(const struct dir_ctx *ctx, const char *org_ods,
	struct store_relay_host **list_r, size_t *count_r, struct error *err)
{
	int64_t org_id;
	if (dir_org_id_or_all(ctx, org_ods, &org_id, err) < 0)
		return -1;
	return store_relay_list(ctx->store, org_id, ctx->arena, list_r,
		count_r, err);
}

int
dir_relay_get(const struct dir_ctx *ctx, int64_t id,
	struct store_relay_host *r_r, struct error *err)
{
	return store_relay_get(ctx->store, id, ctx->arena, r_r, err);
}

static int
relay_remove_tx(const struct dir_ctx *ctx, int64_t id, struct error *err)
{
	struct store_relay_host r;
	if (store_relay_get(ctx->store, id, ctx->arena, &r, err) < 0 ||
	    store_relay_delete(ctx->store, id, err) < 0)
		return -1;
	return dir_audit_json(ctx, "delete", DIR_AUDIT_RELAY, r.id, r.org_id,
		json_pack("{s:s, s:s}", "cidr", r.cidr, "label", r.label), err);
}

int
dir_relay_remove(const struct dir_ctx *ctx, int64_t id, struct error *err)
{
	if (dir_begin(ctx, err) < 0)
		return -1;
	return dir_finish(ctx, relay_remove_tx(ctx, id, err), err);
}

int
dir_relay_find(const struct dir_ctx *ctx, const char *peer_ip,
	struct store_relay_host *r_r, struct error *err)
{
	struct store_relay_host *all;
	size_t n;
	if (store_relay_list(ctx->store, 0, ctx->arena, &all, &n, err) < 0)
		return -1;
	/* Blocks never overlap, so the first that holds the peer is it. */
	for (size_t i = 0; i < n; i++) {
		struct cidr block;
		if (cidr_parse(all[i].cidr, &block) &&
		    cidr_contains(&block, peer_ip)) {
			*r_r = all[i];
			return 0;
		}
	}
	return error_set(err, ERROR_NOT_FOUND, "%s is not registered as an "
		"application server of any organisation",
		peer_ip != NULL ? peer_ip : "this address");
}

int
dir_sender_org(const struct dir_ctx *ctx, const char *address,
	int64_t *org_id_r, struct error *err)
{
	struct dir_object obj;
	if (dir_resolve_live(ctx, address, DIR_HOLDER_PERSON |
		    DIR_HOLDER_MAILBOXES, &obj, err) < 0)
		return -1;
	*org_id_r = obj.org_id;
	return 0;
}
