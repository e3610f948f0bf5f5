/*
 * The web pages: files built by web/build.mjs (docs/web.md), served from
 * http.web_root for every GET or HEAD that no other route takes. Layer:
 * front end. RFC 9110 §8.3 (Content-Type), §12.5.3 (Accept-Encoding), RFC
 * 9111 §5.2 (Cache-Control), RFC 8246 (immutable).
 * SECURITY: a path is served only if every segment is made of [A-Za-z0-9._-]
 * and starts with none of "." (so no "..", no hidden files, no "%00"); the
 * walk opens one segment at a time with O_NOFOLLOW, so no symlink is
 * followed, in or out of the root; only regular files are sent.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <microhttpd.h>
#include <unistd.h>

#include "http_internal.h"

/*
 * Everything under /assets/ is named by the build's content hash
 * (/assets/<hash>/...), so it never changes under a name and may be kept a
 * year; pages are checked every time, so a new build is seen at once.
 */
#define HTTP_STATIC_ASSETS "/assets/"
#define HTTP_CACHE_IMMUTABLE "public, max-age=31536000, immutable"
#define HTTP_CACHE_PAGE "no-cache"

static const struct {
	const char *suffix;
	const char *type;
} http_static_types[] = {
	{ ".html", "text/html; charset=utf-8" },
	{ ".css", "text/css; charset=utf-8" },
	{ ".mjs", "text/javascript; charset=utf-8" },
	{ ".js", "text/javascript; charset=utf-8" },
	{ ".json", "application/json; charset=utf-8" },
	{ ".map", "application/json; charset=utf-8" },
	{ ".svg", "image/svg+xml" },
	{ ".png", "image/png" },
	{ ".ico", "image/x-icon" },
	{ ".txt", "text/plain; charset=utf-8" },
	{ ".woff2", "font/woff2" },
};

const char *
http_static_type(const char *file)
{
	size_t len = strlen(file);
	for (size_t i = 0;
	     i < sizeof(http_static_types) / sizeof(*http_static_types); i++) {
		size_t n = strlen(http_static_types[i].suffix);
		if (len > n && strcmp(file + len - n,
				       http_static_types[i].suffix) == 0)
			return http_static_types[i].type;
	}
	/* Unknown types are not guessed at (nosniff): bytes, downloaded. */
	return "application/octet-stream";
}

static bool
http_static_segment_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		(c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

int
http_static_file_path(const char *url_path, char *out, size_t size)
{
	if (url_path[0] != '/')
		return -1;
	const char *p = url_path + 1;
	const char *last = p;
	while (*p != '\0') {
		/* A segment: not empty, no leading dot, only safe characters. */
		const char *start = p;
		if (*p == '.')
			return -1;
		while (*p != '\0' && *p != '/') {
			if (!http_static_segment_char(*p))
				return -1;
			p++;
		}
		if (p == start)
			return -1;	/* "//": an empty segment */
		last = start;
		if (*p == '/') {
			p++;
			last = p;
		}
	}
	size_t len = (size_t)(p - (url_path + 1));
	/* "/" and "/dir/" are the folder's index; "/sign-in" is sign-in.html. */
	const char *suffix = "";
	if (*last == '\0')
		suffix = "index.html";
	else if (strchr(last, '.') == NULL)
		suffix = ".html";
	int n = snprintf(out, size, "%.*s%s", (int)len, url_path + 1, suffix);
	if (n < 0 || (size_t)n >= size)
		return -1;
	return 0;
}

/* Whether q=... says "not acceptable": q=0, q=0.0, ... (RFC 9110 §12.4.2). */
static bool
http_q_is_zero(struct span params)
{
	struct span param;
	bool zero = false;
	while (span_split(&params, ';', &param)) {
		param = span_trim(param);
		if (!span_starts_with_nocase(param, "q="))
			continue;
		zero = param.len > 2;
		for (size_t i = 2; i < param.len; i++)
			if (param.p[i] != '0' && param.p[i] != '.')
				zero = false;
	}
	return zero;
}

/* Whether a coding is acceptable: named (or "*") with a q above 0. */
static bool
http_coding_accepted(const char *header, const char *coding)
{
	struct span list = span_from_cstr(header), item;
	bool star = false, named = false, named_ok = false;
	while (span_split(&list, ',', &item)) {
		struct span name = item, params = item;
		span_split(&params, ';', &name);
		name = span_trim(name);
		bool zero = http_q_is_zero(params);
		if (span_eq_nocase(name, coding)) {
			named = true;
			named_ok = !zero;
		} else if (span_eq(name, "*")) {
			star = !zero;
		}
	}
	return named ? named_ok : star;
}

unsigned
http_static_encodings(const char *accept_encoding)
{
	unsigned bits = 0;
	if (accept_encoding == NULL)
		return 0;
	if (http_coding_accepted(accept_encoding, "br"))
		bits |= HTTP_ENCODING_BR;
	if (http_coding_accepted(accept_encoding, "gzip"))
		bits |= HTTP_ENCODING_GZIP;
	return bits;
}

/*
 * Opens rel below the directory fd root, one segment at a time, following
 * no symlink: the regular file's descriptor and size, or -1.
 */
static int
http_static_open_below(int root, const char *rel, uint64_t *size_r)
{
	char segment[256];
	int dir = dup(root);
	if (dir < 0)
		return -1;
	const char *p = rel;
	for (;;) {
		const char *slash = strchr(p, '/');
		size_t n = slash != NULL ? (size_t)(slash - p) : strlen(p);
		if (n >= sizeof(segment)) {
			close(dir);
			return -1;
		}
		memcpy(segment, p, n);
		segment[n] = '\0';
		/*
		 * O_NONBLOCK: opening a FIFO someone left in the root must
		 * not hang the thread; it is then refused as not a file.
		 */
		int flags = O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
			(slash != NULL ? O_DIRECTORY : O_NONBLOCK);
		int fd = openat(dir, segment, flags);
		close(dir);
		if (fd < 0)
			return -1;
		if (slash == NULL) {
			struct stat st;
			if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
				close(fd);
				return -1;
			}
			/* Back to blocking reads for libmicrohttpd. */
			fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
			*size_r = (uint64_t)st.st_size;
			return fd;
		}
		dir = fd;
		p = slash + 1;
	}
}

/* Fills reply with the file rel (or a precompressed variant); 0 or -1. */
static int
http_static_reply_file(int root, const char *rel, unsigned encodings,
	unsigned status, struct http_reply *reply)
{
	static const struct {
		unsigned bit;
		const char *suffix, *name;
	} variants[] = {
		{ HTTP_ENCODING_BR, ".br", "br" },
		{ HTTP_ENCODING_GZIP, ".gz", "gzip" },
	};
	char path[HTTP_STATIC_PATH_MAX + 4];
	uint64_t size;
	int fd = -1;
	const char *coding = NULL;
	for (size_t i = 0; i < sizeof(variants) / sizeof(*variants) && fd < 0;
	     i++) {
		if ((encodings & variants[i].bit) == 0)
			continue;
		snprintf(path, sizeof(path), "%s%s", rel, variants[i].suffix);
		fd = http_static_open_below(root, path, &size);
		coding = variants[i].name;
	}
	if (fd < 0) {
		fd = http_static_open_below(root, rel, &size);
		coding = NULL;
	}
	if (fd < 0)
		return -1;
	reply->status = status;
	reply->web = true;
	reply->fd = fd;
	reply->size = size;
	reply->content_type = http_static_type(rel);
	reply->content_encoding = coding;
	reply->cache_control = HTTP_CACHE_PAGE;
	return 0;
}

void
http_static_get(const struct http_request *req, struct http_reply *reply)
{
	const char *root_path = req->server->opts.web_root;
	if (root_path == NULL || root_path[0] == '\0') {
		http_reply_error(reply, 404, "not_found",
			"There is no such page.");
		return;
	}
	int root = open(root_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (root < 0) {
		http_reply_error(reply, 404, "not_found",
			"There is no such page.");
		return;
	}
	const char *accept = MHD_lookup_connection_value(req->connection,
		MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT_ENCODING);
	unsigned encodings = http_static_encodings(accept);
	char rel[HTTP_STATIC_PATH_MAX];
	if (http_static_file_path(req->path, rel, sizeof(rel)) == 0 &&
	    http_static_reply_file(root, rel, encodings, 200, reply) == 0) {
		if (strncmp(req->path, HTTP_STATIC_ASSETS,
			    strlen(HTTP_STATIC_ASSETS)) == 0)
			reply->cache_control = HTTP_CACHE_IMMUTABLE;
		close(root);
		return;
	}
	/* The build's own 404 page, or a sentence when it has none. */
	if (http_static_reply_file(root, "404.html", encodings, 404,
		    reply) < 0) {
		reply->status = 404;
		reply->web = true;
		reply->fd = -1;
		reply->content_type = "text/plain; charset=utf-8";
		reply->cache_control = HTTP_CACHE_PAGE;
	}
	close(root);
}
