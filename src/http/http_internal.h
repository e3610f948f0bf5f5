/*
 * Shared inside the HTTP front end only: the server, one request and its
 * reply, and the route table handlers are registered in. Layer: front end.
 */
#ifndef HTTP_HTTP_INTERNAL_H
#define HTTP_HTTP_INTERNAL_H

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "core/str.h"
#include "http.h"

/* Largest request body read; a longer declared one gets 413 at once. */
#define HTTP_MAX_BODY (1024 * 1024)

struct MHD_Daemon;
struct MHD_Connection;

struct http_server {
	struct http_server_options opts;	/* its strings are ours */
	char *listen;
	char *version;
	uint16_t port;			/* as bound, so port 0 can be read */
	struct MHD_Daemon *daemon;
	pthread_mutex_t log_lock;	/* guards last_log */
	char last_log[256];		/* libmicrohttpd's latest complaint */
};

struct http_request {
	const struct http_server *server;
	struct MHD_Connection *connection;	/* for headers and arguments */
	const char *method;		/* as sent: case-sensitive */
	const char *path;		/* decoded, without the query */
	struct span body;		/* whole, at most HTTP_MAX_BODY bytes */
};

#define HTTP_MAX_EXTRA_HEADERS 4

struct http_reply {
	unsigned status;
	json_t *body;			/* owned; sent compact */
	char allow[64];			/* the Allow header of a 405, or "" */
	struct {
		char name[32];
		char value[512];
	} extra[HTTP_MAX_EXTRA_HEADERS];	/* Set-Cookie and the like */
	size_t extra_count;
};

/* What an api handler gets: the request and the reply it fills. */
struct http_call {
	const struct http_request *req;
	struct http_reply *reply;
};

/*
 * A handler fills reply, always: it cannot fail, because any failure is
 * itself a reply. It runs on the connection's thread.
 */
struct http_route {
	const char *method;		/* a "GET" route also answers HEAD;
					 * "*" answers every method */
	const char *path;		/* matched exactly, or as a prefix */
	void (*handler)(const struct http_request *req,
		struct http_reply *reply);
	bool prefix;			/* path ends in '/': all below it */
};

/*
 * The route for method and path, or NULL. When the path exists under other
 * methods, *path_known_r is set and allow gets them for the Allow header.
 */
const struct http_route *http_route_find(const char *method, const char *path,
	bool *path_known_r, char *allow, size_t allow_size);

/* Handlers (http_health.c). */
void http_health_get(const struct http_request *req, struct http_reply *reply);
/* Hands the request to the api handler of the options (http_call.c). */
void http_api_dispatch(const struct http_request *req,
	struct http_reply *reply);

/* Replies (http_reply.c). Each takes ownership of any json_t given. */
void http_reply_json(struct http_reply *reply, unsigned status,
	json_t *body);
void http_reply_error(struct http_reply *reply, unsigned status,
	const char *code, const char *message);
/* The front end's one table from error codes to HTTP statuses. */
unsigned http_status_for_error(enum error_code code);
/* Replies with err's status and text; an internal fault is logged, not told. */
void http_reply_from_error(struct http_reply *reply, const struct error *err);
/*
 * Copies src into dst[size] as text safe to show: control characters such as
 * CR/LF become spaces and bytes that are not UTF-8 become '?'.
 */
void http_clean_text(char *dst, size_t size, const char *src);

#endif
