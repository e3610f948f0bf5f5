/*
 * Signing in to IMAP, POP3 and SMTP submission: password, account state,
 * protocol switches (SPEC A4), and the devices list (SPEC A7). Layer:
 * domain.
 */
#include <string.h>

#include "auth/auth.h"
#include "core/error.h"
#include "core/log.h"
#include "dir/dir.h"

static const char *
protocol_name(const char *protocol)
{
	if (strcmp(protocol, "imap") == 0)
		return "IMAP";
	if (strcmp(protocol, "pop3") == 0)
		return "POP";
	return "sending mail (SMTP)";
}

static int
check_switches(const struct dir_ctx *ctx, const struct store_person *p,
	const char *protocol, struct error *err)
{
	if (dir_protocol_is_off(p->protocols_off, protocol))
		return error_set_field(err, ERROR_DENIED, "protocol",
			"%s is turned off for your account; ask your local "
			"administrator", protocol_name(protocol));
	struct store_org org;
	if (store_org_get(ctx->store, p->org_id, ctx->arena, &org, err) < 0)
		return -1;
	if (dir_protocol_is_off(org.protocols_off, protocol))
		return error_set_field(err, ERROR_DENIED, "protocol",
			"%s is turned off for %s; ask your local administrator",
			protocol_name(protocol), org.name);
	return 0;
}

int
auth_signin(const struct dir_ctx *ctx, const char *address,
	const char *password, const struct auth_client *client,
	struct store_person *p_r, struct error *err)
{
	if (auth_password_verify(ctx, address, password, err) < 0 ||
	    dir_person_get(ctx, address, p_r, err) < 0 ||
	    check_switches(ctx, p_r, client->protocol, err) < 0)
		return -1;
	struct store_device d = {
		.person_id = p_r->id,
		.protocol = client->protocol,
		.client = client->client != NULL ? client->client : "",
		.address = client->address != NULL ? client->address : "",
		.first_seen = ctx->now,
		.last_seen = ctx->now,
	};
	struct error inner;
	/* A sign-in that cannot be recorded is still a good sign-in. */
	if (store_device_seen(ctx->store, &d, &inner) < 0)
		log_warn("auth.device", "user=%s reason=\"%s\"", p_r->address,
			inner.msg);
	p_r->last_signin_at = ctx->now;
	return 0;
}
