/*
 * The SMS gateway (SPEC P11): a file outbox by default, one JSON line per
 * message in the instance directory (what tests and a site without a
 * provider use), or an HTTPS POST of {"to", "text"} to a provider.
 * Layer: domain. SECURITY: the outbox is created 0600, since it holds
 * live codes; the provider's token is never logged.
 */
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth/auth_sms.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/error.h"
#include "core/https.h"
#include "core/log.h"
#include "core/xmalloc.h"
#include "dir/dir.h"

#define SMS_TIMEOUT_MS 10000

struct auth_sms {
	const struct auth_sms_ops *ops;
	pthread_mutex_t lock;	/* one line at a time in the outbox */
	char *outbox;
	char *url;
	char *token;
	char *ca_file;		/* "" for the system's CAs */
};

static char *
resolve(const char *dir, const char *path)
{
	if (path[0] == '\0' || path[0] == '/' || dir == NULL)
		return xstrdup(path);
	size_t n = strlen(dir) + strlen(path) + 2;
	char *out = xmalloc(n);
	snprintf(out, n, "%s/%s", dir, path);
	return out;
}

static int
file_send(struct auth_sms *sms, const char *to, const char *text,
	struct error *err)
{
	char at[32];
	clock_format_iso(clock_now(), at, sizeof(at));
	json_t *j = json_pack("{s:s,s:s,s:s}", "at", at, "to", to, "text",
		text);
	char *line = j != NULL ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS) :
		NULL;
	json_decref(j);
	if (line == NULL)
		return error_set(err, ERROR_INVALID, "the SMS is not UTF-8");
	pthread_mutex_lock(&sms->lock);
	int fd = open(sms->outbox, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
		0600);
	int rc = -1;
	if (fd >= 0) {
		size_t len = strlen(line);
		line[len] = '\n';	/* json_dumps output has room: NUL */
		rc = write(fd, line, len + 1) == (ssize_t)(len + 1) ? 0 : -1;
		rc = close(fd) == 0 ? rc : -1;
	}
	pthread_mutex_unlock(&sms->lock);
	free(line);
	if (rc < 0)
		return error_set(err, ERROR_TEMPORARY,
			"cannot write the SMS outbox %s", sms->outbox);
	return 0;
}

static int
https_send(struct auth_sms *sms, const char *to, const char *text,
	struct error *err)
{
	if (sms->url[0] == '\0')
		return error_set(err, ERROR_TEMPORARY,
			"sms.gateway is https but sms.url is not set");
	json_t *j = json_pack("{s:s,s:s}", "to", to, "text", text);
	char *body = j != NULL ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (body == NULL)
		return error_set(err, ERROR_INVALID, "the SMS is not UTF-8");
	struct https_post post = {
		.url = sms->url,
		.bearer = sms->token,
		.body = body,
		.ca_file = sms->ca_file,
		.timeout_ms = SMS_TIMEOUT_MS,
	};
	int rc = https_post_json(&post, err);
	free(body);
	return rc;
}

static const struct auth_sms_ops file_ops = { "file", file_send };
static const struct auth_sms_ops https_ops = { "https", https_send };

struct auth_sms *
auth_sms_new(const struct config *config, const char *instance_dir)
{
	struct auth_sms *sms = xcalloc(1, sizeof(*sms));
	const char *kind = config_get_str(config, "sms.gateway");
	sms->ops = strcmp(kind, "https") == 0 ? &https_ops : &file_ops;
	sms->outbox = resolve(instance_dir, config_get_str(config,
		"sms.outbox"));
	sms->url = xstrdup(config_get_str(config, "sms.url"));
	sms->token = xstrdup(config_get_str(config, "sms.token"));
	sms->ca_file = resolve(instance_dir, config_get_str(config,
		"sms.ca_file"));
	pthread_mutex_init(&sms->lock, NULL);
	return sms;
}

void
auth_sms_free(struct auth_sms **sms)
{
	if (*sms == NULL)
		return;
	pthread_mutex_destroy(&(*sms)->lock);
	free((*sms)->outbox);
	free((*sms)->url);
	free((*sms)->token);
	free((*sms)->ca_file);
	free(*sms);
	*sms = NULL;
}

int
auth_sms_send(struct auth_sms *sms, const char *to, const char *text,
	struct error *err)
{
	return sms->ops->send(sms, to, text, err);
}

void
auth_sms_notify(struct auth_sms *sms, const char *mobile, const char *address,
	const char *text)
{
	struct error inner;
	if (sms == NULL || mobile == NULL || mobile[0] == '\0')
		return;
	if (auth_sms_send(sms, mobile, text, &inner) < 0)
		log_warn("auth.notify_failed", "user=%s reason=\"%s\"",
			address, inner.msg);
}
