/*
 * The SMS gateway (SPEC P11): how recovery codes and notices of changed
 * credentials reach a person's mobile. Layer: domain.
 * SECURITY: the provider's token is never logged.
 */
#ifndef AUTH_AUTH_SMS_H
#define AUTH_AUTH_SMS_H

struct config;
struct error;

struct auth_sms;

/* One way of sending SMS: the file outbox, or an HTTPS JSON post. */
struct auth_sms_ops {
	const char *name;
	int (*send)(struct auth_sms *sms, const char *to, const char *text,
		struct error *err);
};

/*
 * The gateway sms.gateway names, with paths (sms.outbox, sms.ca_file)
 * resolved against instance_dir. Never fails: a gateway that cannot work
 * says why when it is used.
 */
struct auth_sms *auth_sms_new(const struct config *config,
	const char *instance_dir);
void auth_sms_free(struct auth_sms **sms);
/* Sends text to the number `to`; ERROR_TEMPORARY when it cannot. */
int auth_sms_send(struct auth_sms *sms, const char *to, const char *text,
	struct error *err);

/*
 * Tells a person something about their account by SMS, when they have a
 * mobile (SECURITY.md 40: credential changes are notified). Best effort: a
 * failure is logged, never returned.
 */
void auth_sms_notify(struct auth_sms *sms, const char *mobile,
	const char *address, const char *text);

#endif
