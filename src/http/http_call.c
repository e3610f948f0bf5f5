/*
 * The narrow view of a request that the JSON API (api/) gets: method, path,
 * headers, cookies, body and peer, and a reply with extra headers such as
 * Set-Cookie. Layer: front end. RFC 9110, RFC 6265 §5.4 (Cookie header).
 * SECURITY: extra header values lose CR/LF (no response splitting); their
 * size is fixed, so an overlong one is a bug and aborts.
 */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/spool.h"
#include "http_internal.h"

void
http_api_dispatch(const struct http_request *req, struct http_reply *reply)
{
	const struct http_server *s = req->server;
	if (s->opts.api == NULL) {
		http_reply_error(reply, 404, "not_found",
			"There is no such page.");
		return;
	}
	struct http_call call = { .req = req, .reply = reply };
	s->opts.api(s->opts.api_ctx, &call);
	if (reply->body == NULL && reply->spool == NULL && reply->text == NULL)
		abort();	/* an api handler that forgot to reply */
}

const char *
http_call_method(const struct http_call *call)
{
	return call->req->method;
}

const char *
http_call_path(const struct http_call *call)
{
	return call->req->path;
}

const char *
http_call_header(const struct http_call *call, const char *name)
{
	return MHD_lookup_connection_value(call->req->connection,
		MHD_HEADER_KIND, name);
}

const char *
http_call_query(const struct http_call *call, const char *name)
{
	return MHD_lookup_connection_value(call->req->connection,
		MHD_GET_ARGUMENT_KIND, name);
}

const char *
http_call_cookie(const struct http_call *call, const char *name)
{
	return MHD_lookup_connection_value(call->req->connection,
		MHD_COOKIE_KIND, name);
}

const char *
http_call_body(const struct http_call *call, size_t *len_r)
{
	*len_r = call->req->body.len;
	return call->req->body.p;
}

void
http_peer_text(struct MHD_Connection *c, char *buf, size_t size)
{
	const union MHD_ConnectionInfo *info = MHD_get_connection_info(c,
		MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	buf[0] = '\0';
	if (info == NULL || info->client_addr == NULL)
		return;
	const struct sockaddr *sa = info->client_addr;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)
			sa)->sin_addr, buf, (socklen_t)size);
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)
			(const void *)sa)->sin6_addr, buf, (socklen_t)size);
}

void
http_call_peer(const struct http_call *call, char *buf, size_t size)
{
	http_peer_text(call->req->connection, buf, size);
}

bool
http_call_is_tls(const struct http_call *call)
{
	return call->req->server->opts.tls;
}

void
http_call_reply(struct http_call *call, unsigned status, struct json_t *body)
{
	http_reply_json(call->reply, status, body);
}

void
http_call_reply_json_text(struct http_call *call, unsigned status,
	const char *json, size_t len)
{
	http_reply_text(call->reply, status, NULL, json, len);
}

int
http_call_reply_spool(struct http_call *call, unsigned status,
	const char *content_type, struct spool *sp, struct error *err)
{
	struct span view;
	if (spool_view(sp, &view, err) < 0) {
		spool_free(&sp);
		return -1;
	}
	struct http_reply *r = call->reply;
	http_reply_clear(r);
	r->status = status;
	r->content_type = content_type;
	r->spool = sp;
	r->spool_view = view;
	return 0;
}

struct json_t *
http_call_reply_body(struct http_call *call)
{
	return call->reply->body;
}

void
http_call_add_header(struct http_call *call, const char *name,
	const char *value)
{
	struct http_reply *r = call->reply;
	if (r->extra_count == HTTP_MAX_EXTRA_HEADERS ||
	    str_copy(r->extra[r->extra_count].name,
		    sizeof(r->extra[0].name), name) < 0 ||
	    strlen(value) >= sizeof(r->extra[0].value))
		abort();	/* a bug: headers we make are short */
	http_clean_text(r->extra[r->extra_count].value,
		sizeof(r->extra[0].value), value);
	r->extra_count++;
}
