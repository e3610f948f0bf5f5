/*
 * The JSON API under /api/v1 (SPEC P16): routes, JSON in and out, sessions,
 * CSRF and the sign-in gates, over the HTTP front end. Layer: front end.
 * RFC 8259 (JSON), RFC 6265 (cookies), RFC 9110 (semantics).
 * SECURITY: every route but sign-in and the OpenAPI document needs a live
 * session; every state change needs the session's X-CSRF-Token; bodies must
 * be application/json, are capped (http.max_body_kb, and far lower until the
 * request is known to be signed in) and may not carry unknown fields.
 */
#ifndef API_API_H
#define API_API_H

#include <stdbool.h>

struct api;
struct error;
struct http_call;
struct instance;

/* The API over an instance, which must outlive it. Never fails. */
struct api *api_new(const struct instance *inst);
void api_free(struct api **api);

struct store_writer;
/*
 * The group-commit writer reports are delivered through (a queue delete
 * tells the sender); serve's, held for the api's lifetime.
 */
void api_set_writer(struct api *api, struct store_writer *writer);

/*
 * Answers one request below /api/v1/: the handler to give the HTTP server
 * (struct http_server_options.api, with api as its api_ctx). Any thread.
 */
void api_handle(void *api, struct http_call *call);

/*
 * Whether the request comes from a live session or a valid API token: 1 or
 * 0, or -1 with ERROR_TEMPORARY when the store cannot be reached. For
 * struct http_server_options.signed_in; the call is not replied to.
 */
int api_signed_in(void *api, struct http_call *call, struct error *err);

/*
 * Whether a read (GET, HEAD) of path, the whole request path, may take
 * long: its route has API_WAITS. For struct http_server_options.api_waits.
 */
bool api_waits(void *api, const char *method, const char *path);

#endif
