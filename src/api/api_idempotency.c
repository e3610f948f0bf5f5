/*
 * Idempotency-Key on creating requests (SPEC D3: no duplicates from a
 * retry): a POST sent again with the same key within 24 hours gets its
 * first reply and creates nothing; the same key with another body is a
 * 422. Layer: front end. draft-ietf-httpapi-idempotency-key-header.
 * SECURITY: keys are per caller (a person or a token), so one caller
 * never sees another's reply; a secret a reply shows once (a temporary
 * password, a new token) is not kept, so a replay does not show it again
 * (api_reply.c keeps the first reply for the replay).
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_internal.h"
#include "core/arena.h"
#include "core/log.h"
#include "dir/dir_import.h"
#include "http/http.h"

bool
api_idempotency_begin(struct api_request *req)
{
	const char *key = http_call_header(req->call, "Idempotency-Key");
	/* Only a signed-in caller's creating requests: keys are per caller. */
	if (key == NULL || strcmp(req->method, "POST") != 0 ||
	    (!req->signed_in && !req->by_token))
		return true;
	unsigned char hash[crypto_generichash_BYTES];
	char hex[2 * crypto_generichash_BYTES + 1];
	crypto_generichash(hash, sizeof(hash),
		(const unsigned char *)req->body.p, req->body.len, NULL, 0);
	sodium_bin2hex(hex, sizeof(hex), hash, sizeof(hash));
	const char *request = arena_printf(req->arena, "POST %s", req->path);
	/* A token by its id: two tokens may share a label. */
	req->idem_owner = req->by_token ? arena_printf(req->arena,
		"token#%lld", (long long)req->token.id) :
		req->session.person.address;
	if (req->idem_owner == NULL || request == NULL) {
		api_reply_error(req, 503, "temporary", "The request could not "
			"be taken just now; try again.", NULL);
		return false;
	}
	struct dir_idempotent_reply found;
	struct error err;
	int rc = dir_idempotency_claim(&req->ctx, req->idem_owner, key,
		request, hex, &found, &err);
	if (rc < 0) {
		api_reply_from_error(req, &err);
		return false;
	}
	if (rc == 0) {
		req->idem_key = arena_strdup(req->arena, key);
		return true;
	}
	json_t *body = json_loads(found.reply, 0, NULL);
	if (body == NULL)
		body = json_object();
	http_call_add_header(req->call, "Idempotent-Replayed", "true");
	log_info("api.idempotent_replay", "route=\"%s\" status=%lld",
		req->path, (long long)found.status);
	api_reply(req, (unsigned)found.status, body);
	/* The replay answered for the handler: nothing more to check. */
	req->access_checked = true;
	return false;
}

void
api_idempotency_end(struct api_request *req)
{
	if (req->idem_key == NULL)
		return;
	struct error err;
	if (dir_idempotency_finish(&req->ctx, req->idem_owner, req->idem_key,
		    (int64_t)req->idem_status, req->idem_reply != NULL ?
		    req->idem_reply : "{}", &err) < 0)
		log_warn("api.idempotency_keep", "reason=\"%s\"", err.msg);
	req->idem_key = NULL;
}
