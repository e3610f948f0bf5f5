/*
 * The signing keys the queue runner has read: each domain's active key
 * kept after its first use, so a message costs a signature, not a key
 * file read and decoded (OpenSSL's PEM decoder takes global locks and
 * was half the signing time under B10's load). Layer: domain.
 *
 * Keyed by domain and selector, and the selector is read from the
 * domain's `active` file on every use, so `caremail dkim activate` (or a
 * first keygen) takes effect at the next message. A key file is never
 * rewritten under its selector (mail_dkim_keygen refuses one that
 * exists), so a kept key cannot go stale. Keys stay until the cache is
 * freed: signers may hold one without a lock, and a domain has few.
 */
#include "mail/mail_dkim.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/str.h"
#include "core/xmalloc.h"

/* Past this many keys, one more is read for each use and not kept. */
#define KEYS_MAX 256

struct kept {
	char domain[MAIL_DKIM_NAME_MAX + 1];
	char selector[64];
	struct mail_dkim_key *key;
};

struct mail_dkim_keys {
	char *dkim_dir;
	pthread_mutex_t mu;	/* kept[], count */
	struct kept kept[KEYS_MAX];
	size_t count;
};

struct mail_dkim_keys *
mail_dkim_keys_new(const char *dkim_dir)
{
	struct mail_dkim_keys *k = xcalloc(1, sizeof(*k));
	k->dkim_dir = xstrdup(dkim_dir != NULL ? dkim_dir : "");
	pthread_mutex_init(&k->mu, NULL);
	return k;
}

void
mail_dkim_keys_free(struct mail_dkim_keys **kp)
{
	struct mail_dkim_keys *k = *kp;
	if (k == NULL)
		return;
	for (size_t i = 0; i < k->count; i++)
		mail_dkim_key_free(&k->kept[i].key);
	pthread_mutex_destroy(&k->mu);
	free(k->dkim_dir);
	free(k);
	*kp = NULL;
}

static struct mail_dkim_key *
find(struct mail_dkim_keys *k, const char *domain, const char *selector)
{
	for (size_t i = 0; i < k->count; i++)
		if (strcmp(k->kept[i].domain, domain) == 0 &&
		    strcmp(k->kept[i].selector, selector) == 0)
			return k->kept[i].key;
	return NULL;
}

int
mail_dkim_keys_get(struct mail_dkim_keys *k, const char *domain,
	const struct mail_dkim_key **key_r, struct mail_dkim_key **own_r,
	struct error *err)
{
	*key_r = NULL;
	*own_r = NULL;
	char d[MAIL_DKIM_NAME_MAX + 1], selector[64];
	if (str_copy(d, sizeof(d), domain) < 0)
		return error_set_field(err, ERROR_INVALID, "domain",
			"'%.80s' is not a domain name", domain);
	str_lower_inplace(d);
	if (mail_dkim_active_selector(k->dkim_dir, d, selector,
		    sizeof(selector), err) < 0)
		return -1;
	str_lower_inplace(selector);
	pthread_mutex_lock(&k->mu);
	*key_r = find(k, d, selector);
	pthread_mutex_unlock(&k->mu);
	if (*key_r != NULL)
		return 0;
	/* Read outside the lock: another signer may read it too, once. */
	struct mail_dkim_key *key;
	if (mail_dkim_key_load(k->dkim_dir, d, selector, &key, err) < 0)
		return -1;
	pthread_mutex_lock(&k->mu);
	const struct mail_dkim_key *had = find(k, d, selector);
	if (had == NULL && k->count < KEYS_MAX) {
		struct kept *e = &k->kept[k->count++];
		str_copy(e->domain, sizeof(e->domain), d);
		str_copy(e->selector, sizeof(e->selector), selector);
		e->key = key;
		had = key;
		key = NULL;
	}
	pthread_mutex_unlock(&k->mu);
	if (had != NULL) {
		mail_dkim_key_free(&key);
		*key_r = had;
	} else {
		*key_r = key;	/* the cache is full: the caller's to free */
		*own_r = key;
	}
	return 0;
}
