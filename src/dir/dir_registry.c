/*
 * Addresses and their holders: resolving an address to the person, mailbox,
 * contact or list that holds it, claiming new addresses forever, and making
 * new ones (SPEC D3). Layer: domain.
 */
#include <string.h>
#include <strings.h>

#include "core/arena.h"
#include "core/config.h"
#include "core/error.h"
#include "core/str.h"
#include "dir/dir_internal.h"
#include "store/store_address.h"
#include "store/store_list.h"
#include "store/store_mailbox.h"
#include "store/store_person.h"

/* Numbered candidates tried before giving up on a generated address. */
#define DIR_ADDRESS_SUFFIX_MAX 9999

static int
resolve_person(const struct dir_ctx *ctx, int64_t id, struct dir_object *o,
	struct error *err)
{
	struct store_person p;
	if (store_person_get(ctx->store, id, ctx->arena, &p, err) < 0)
		return -1;
	o->kind = DIR_HOLDER_PERSON;
	o->display_name = p.display_name;
	o->org_id = p.org_id;
	o->mailbox_id = p.mailbox_id;
	o->deleted = p.deleted_at != 0;
	return 0;
}

static int
resolve_mailbox(const struct dir_ctx *ctx, int64_t id, struct dir_object *o,
	struct error *err)
{
	struct store_mailbox m;
	if (store_mailbox_get(ctx->store, id, ctx->arena, &m, err) < 0)
		return -1;
	o->kind = dir_holder_of_mailbox(m.kind);
	o->display_name = m.display_name;
	o->org_id = m.org_id;
	o->mailbox_id = m.id;
	o->deleted = m.deleted_at != 0;
	return 0;
}

static int
resolve_contact(const struct dir_ctx *ctx, int64_t id, struct dir_object *o,
	struct error *err)
{
	struct store_contact c;
	if (store_contact_get(ctx->store, id, ctx->arena, &c, err) < 0)
		return -1;
	o->kind = DIR_HOLDER_CONTACT;
	o->display_name = c.display_name;
	o->org_id = c.org_id;
	o->deleted = c.deleted_at != 0;
	return 0;
}

static int
resolve_list(const struct dir_ctx *ctx, int64_t id, struct dir_object *o,
	struct error *err)
{
	struct store_list l;
	if (store_list_get(ctx->store, id, ctx->arena, &l, err) < 0)
		return -1;
	o->kind = DIR_HOLDER_LIST;
	o->display_name = l.name;
	o->org_id = l.org_id;
	o->deleted = l.deleted_at != 0;
	return 0;
}

int
dir_address_holder(const struct dir_ctx *ctx, const char *address,
	struct store_address *held_r, struct error *err)
{
	struct dir_address addr;
	if (dir_address_parse(span_from_cstr(address != NULL ? address : ""),
		    &addr, err) < 0)
		return -1;
	struct error inner;
	if (store_address_get(ctx->store, addr.text, ctx->arena, held_r,
		    &inner) < 0) {
		if (inner.code == ERROR_NOT_FOUND)
			return error_set(err, ERROR_NOT_FOUND,
				"nothing in the directory has the address %s",
				addr.text);
		return error_forward(err, &inner);
	}
	return 0;
}

int
dir_not_a_person(const struct dir_ctx *ctx, const char *address,
	struct error *err)
{
	struct dir_object obj;
	if (dir_resolve(ctx, address, &obj, err) < 0)
		return -1;
	if (obj.kind == DIR_HOLDER_PERSON)	/* its row gone meanwhile */
		return error_set(err, ERROR_NOT_FOUND, "there is no such "
			"person");
	return error_set(err, ERROR_NOT_FOUND, "%s is a %s, not a person",
		obj.address, dir_holder_noun(obj.kind));
}

int
dir_resolve(const struct dir_ctx *ctx, const char *address,
	struct dir_object *obj_r, struct error *err)
{
	struct store_address held;
	if (dir_address_holder(ctx, address, &held, err) < 0)
		return -1;
	memset(obj_r, 0, sizeof(*obj_r));
	obj_r->ref = held.holder;
	obj_r->address = held.address;
	switch (held.holder.kind) {
	case STORE_KIND_PERSON:
		return resolve_person(ctx, held.holder.id, obj_r, err);
	case STORE_KIND_MAILBOX:
		return resolve_mailbox(ctx, held.holder.id, obj_r, err);
	case STORE_KIND_CONTACT:
		return resolve_contact(ctx, held.holder.id, obj_r, err);
	case STORE_KIND_LIST:
		return resolve_list(ctx, held.holder.id, obj_r, err);
	case STORE_KIND_ORG:
		break;
	}
	return error_set(err, ERROR_INTERNAL,
		"the address %s has an unknown holder", held.address);
}

enum dir_holder
dir_holder_of_mailbox(enum store_mailbox_kind kind)
{
	switch (kind) {
	case STORE_MAILBOX_USER:
		return DIR_HOLDER_PERSON;
	case STORE_MAILBOX_SHARED:
		return DIR_HOLDER_SHARED;
	case STORE_MAILBOX_RESOURCE:
		return DIR_HOLDER_RESOURCE;
	}
	return DIR_HOLDER_SHARED;
}

const char *
dir_holder_name(enum dir_holder kind)
{
	switch (kind) {
	case DIR_HOLDER_PERSON:
		return "person";
	case DIR_HOLDER_SHARED:
		return "shared";
	case DIR_HOLDER_RESOURCE:
		return "resource";
	case DIR_HOLDER_CONTACT:
		return "contact";
	case DIR_HOLDER_LIST:
		return "list";
	}
	return "unknown";
}

const char *
dir_holder_noun(enum dir_holder kind)
{
	switch (kind) {
	case DIR_HOLDER_SHARED:
		return "shared mailbox";
	case DIR_HOLDER_RESOURCE:
		return "resource mailbox";
	case DIR_HOLDER_LIST:
		return "distribution list";
	case DIR_HOLDER_PERSON:
	case DIR_HOLDER_CONTACT:
		break;
	}
	return dir_holder_name(kind);
}

int
dir_resolve_live(const struct dir_ctx *ctx, const char *address, unsigned kinds,
	struct dir_object *obj_r, struct error *err)
{
	if (dir_resolve(ctx, address, obj_r, err) < 0)
		return -1;
	if ((obj_r->kind & kinds) == 0)
		return error_set(err, ERROR_INVALID,
			"%s is a %s, which cannot be used here", obj_r->address,
			dir_holder_noun(obj_r->kind));
	if (obj_r->deleted)
		return error_set(err, ERROR_NOT_FOUND,
			"the %s %s has been deleted",
			dir_holder_noun(obj_r->kind), obj_r->address);
	return 0;
}

/* ERROR_EXISTS naming whoever holds or held address; -1 always. */
static int
address_taken(const struct dir_ctx *ctx, const char *address,
	struct error *err)
{
	struct dir_object current;
	struct error inner;
	if (dir_resolve(ctx, address, &current, &inner) < 0)
		return error_forward(err, &inner);
	return error_set_field(err, ERROR_EXISTS, "address",
		"the address %s is already taken by the %s %s%s; an address is "
		"never reused",
		current.address, dir_holder_noun(current.kind),
		current.display_name, current.deleted ? " (deleted)" : "");
}

int
dir_claim_address(const struct dir_ctx *ctx, const char *address,
	struct store_ref holder, struct error *err)
{
	/*
	 * The address is the table's key: the insert itself finds it taken
	 * (one statement, not a read first; bench B6), and a failed insert
	 * changes nothing.
	 */
	struct error inner;
	if (store_address_reserve(ctx->store, address, holder, ctx->now,
		    &inner) == 0)
		return 0;
	if (inner.code == ERROR_EXISTS)
		return address_taken(ctx, address, err);
	return error_forward(err, &inner);
}

static bool
address_is_free(const struct dir_ctx *ctx, const char *address, int *rc_r,
	struct error *err)
{
	struct store_address held;
	struct error inner;
	*rc_r = 0;
	if (store_address_get(ctx->store, address, ctx->arena, &held,
		    &inner) == 0)
		return false;
	if (inner.code != ERROR_NOT_FOUND)
		*rc_r = error_forward(err, &inner);
	return true;
}

int
dir_new_address(const struct dir_ctx *ctx, const char *address,
	const char *local, bool number_if_taken, struct dir_address *addr_r,
	struct error *err)
{
	if (address != NULL) {
		struct error inner;
		if (dir_address_parse(span_from_cstr(address), addr_r,
			    &inner) < 0)
			return error_set_field(err, inner.code, "address",
				"%s is not a valid address: %s", address,
				inner.msg);
		if (!dir_domain_is_hosted(ctx, dir_address_domain(addr_r)))
			return error_set_field(err, ERROR_INVALID, "address",
				"%s is not in a mail domain this instance "
				"hosts", addr_r->text);
		return 0;
	}
	char domain[DIR_ADDRESS_DOMAIN_MAX + 1];
	if (dir_primary_domain(ctx, domain, sizeof(domain), err) < 0)
		return -1;
	/* Room for any local part and domain; the parser enforces the limit. */
	char candidate[DIR_ADDRESS_LOCAL_MAX + DIR_ADDRESS_DOMAIN_MAX + 16];
	for (int n = 0; n <= DIR_ADDRESS_SUFFIX_MAX; n++) {
		if (n == 0)
			snprintf(candidate, sizeof(candidate), "%s@%s", local,
				domain);
		else
			snprintf(candidate, sizeof(candidate), "%s%d@%s", local,
				n, domain);
		if (dir_address_parse(span_from_cstr(candidate), addr_r,
			    err) < 0)
			return -1;
		int rc;
		if (address_is_free(ctx, addr_r->text, &rc, err))
			return rc;
		if (!number_if_taken)
			return address_taken(ctx, addr_r->text, err);
	}
	return error_set(err, ERROR_LIMIT,
		"every address from %s to %s%d is taken; choose one", local,
		local, DIR_ADDRESS_SUFFIX_MAX);
}

bool
dir_domain_is_hosted(const struct dir_ctx *ctx, const char *domain)
{
	/* mail.domains refuses an item longer than 253 bytes as it is set. */
	char item[DIR_ADDRESS_DOMAIN_MAX + 1];
	for (size_t i = 0;
	     config_list_item(ctx->config, "mail.domains", i, item, sizeof(item));
	     i++) {
		if (strcasecmp(item, domain) == 0)
			return true;
	}
	return false;
}

int
dir_primary_domain(const struct dir_ctx *ctx, char *buf, size_t size,
	struct error *err)
{
	if (!config_list_item(ctx->config, "mail.domains", 0, buf, size))
		return error_set(err, ERROR_INVALID,
			"no mail domain is configured: set mail.domains");
	str_lower_inplace(buf);
	return 0;
}
