/*
 * Shared within cli/: the parsed command line, the command table, one
 * command's session (instance, store, arena, dir_ctx) and output that is
 * plain text or JSON from the same json_t. Layer: front end, private.
 */
#ifndef CLI_INTERNAL_H
#define CLI_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dir/dir.h"

struct config;
struct error;
struct instance;

#define CLI_EXIT_OK 0
#define CLI_EXIT_FAILURE 1
#define CLI_EXIT_USAGE 2

/* The arena a command's results live in. */
#define CLI_ARENA_CAP ((size_t)256 * 1024 * 1024)

/* One option as given: value is "" for a flag. */
struct cli_option {
	char *name;	/* without the leading "--"; owned */
	const char *value;
};

struct cli_args;

struct cli_command {
	const char *name;	/* the words that select it: "org add" */
	const char *usage;	/* what follows the name, for help */
	const char *summary;	/* one sentence */
	/*
	 * Options the command takes, space-separated: "name" is a flag,
	 * "name=" takes a value and "name=!" is required.
	 */
	const char *options;
	int min_args, max_args;	/* positional arguments; max -1: any */
	int (*run)(struct cli_args *args, struct error *err);
};

/*
 * The commands there are, handed to the parser and to help by cli_main, so
 * neither reads the table from the file that calls them.
 */
struct cli_table {
	const struct cli_command *commands;
	size_t count;
};

struct cli_args {
	const struct cli_table *table;	/* every command, for help */
	const struct cli_command *command;
	const char *dir;	/* --dir, else $CAREMAIL_DIR, else NULL */
	bool json;
	bool help;
	const char **sets;	/* --set assignments, in order */
	size_t set_count;
	const char **pos;	/* positional arguments after the name */
	size_t pos_count;
	struct cli_option *opts;
	size_t opt_count;
	bool usage_error;	/* the failure is the command line's fault */
};


/* ---- the command line (cli_args.c) ---- */

/*
 * Parses argv into args (heap arrays freed by cli_args_free). A malformed
 * command line fails with args->usage_error set.
 */
int cli_args_parse(int argc, char **argv, const struct cli_table *table,
	struct cli_args *args, struct error *err);
void cli_args_free(struct cli_args *args);

/* The value of --name, "" for a flag given, NULL when absent. */
const char *cli_opt(const struct cli_args *args, const char *name);
bool cli_flag(const struct cli_args *args, const char *name);

/* --name as a whole number from min to max; *value_r unchanged if absent. */
int cli_opt_int(struct cli_args *args, const char *name, int64_t min,
	int64_t max, int64_t *value_r, struct error *err);

/*
 * --name as a time (YYYY-MM-DD, YYYY-MM-DDTHH:MM:SSZ or epoch seconds);
 * *t_r unchanged if absent.
 */
int cli_opt_time(struct cli_args *args, const char *name, int64_t *t_r,
	struct error *err);

/*
 * text as the id of a `what` ("guest", "queue"): a whole number from 1,
 * as `caremail <what> list` shows it.
 */
int cli_parse_id(struct cli_args *args, const char *text, const char *what,
	int64_t *id_r, struct error *err);

/* Fails with a usage error: the message should say what to type instead. */
int cli_usage(struct cli_args *args, struct error *err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* ---- help (cli_help.c) ---- */

/* Every command whose name starts with topic (NULL or "": all). */
void cli_help_print(FILE *out, const struct cli_table *table,
	const char *topic);
int cli_help(struct cli_args *args, struct error *err);
int cli_version(struct cli_args *args, struct error *err);

/* ---- one command's session (cli_session.c) ---- */

struct cli_session {
	struct instance *inst;
	struct store *store;
	struct arena *arena;
	struct dir_ctx ctx;
	struct store_org *orgs;	/* loaded on first use, to name org ids */
	size_t org_count;
	bool have_orgs;
	struct store_site *sites;
	size_t site_count;
	bool have_sites;
};

/*
 * The settings of a command that may run without an instance (dns lookup,
 * smtp send, mta-sts show): the instance's when --dir or CAREMAIL_DIR
 * names one, else the defaults; --set applies to both. The log level is
 * set from them.
 */
struct cli_settings {
	struct instance *inst;	/* NULL without --dir */
	struct config *own;	/* the defaults, without an instance */
	const struct config *config;
};
int cli_settings_open(struct cli_args *args, struct cli_settings *s,
	struct error *err);
void cli_settings_close(struct cli_settings *s);
/* The instance directory, or NULL without an instance. */
const char *cli_settings_dir(const struct cli_settings *s);

/* Opens the instance named by --dir with the --set overrides. */
int cli_session_open(struct cli_args *args, struct cli_session *s,
	struct error *err);
void cli_session_close(struct cli_session *s);
/* Opens a session, runs fn on it, closes it: fn's result. */
int cli_with_session(struct cli_args *args,
	int (*fn)(struct cli_args *, struct cli_session *, struct error *),
	struct error *err);

/* Sets the log level from the log.level setting. */
void cli_log_level(const struct config *config);

/* The ODS code of an org id, or "" for 0 or an unknown id. */
const char *cli_org_ods(struct cli_session *s, int64_t org_id);
/* The name of a site id, or "" for 0 or an unknown id. */
const char *cli_site_name(struct cli_session *s, int64_t site_id);

/* Runs several directory changes as one: all happen or none. */
int cli_begin(struct cli_session *s, struct error *err);
int cli_finish(struct cli_session *s, int rc, struct error *err);

/* ---- records as JSON (cli_json.c); each returns a new reference ---- */

json_t *cli_json_text(const char *s);
json_t *cli_json_time(int64_t t);
/* An org as the API shows it; cli_json_orgs reads a page's in one go. */
json_t *cli_json_org(struct cli_session *s, const struct store_org *o);
json_t *cli_json_orgs(struct cli_session *s, const struct store_org *orgs,
	size_t n);
json_t *cli_json_site(struct cli_session *s, const struct store_site *site);
/* A person's whole record as GET /users/{address} shows it. */
json_t *cli_json_person(struct cli_session *s, const struct store_person *p);
json_t *cli_json_mailbox(struct cli_session *s, const struct store_mailbox *m);
json_t *cli_json_contact(struct cli_session *s, const struct store_contact *c);
json_t *cli_json_list(struct cli_session *s, const struct store_list *l);
json_t *cli_json_member(const struct dir_member *m);
json_t *cli_json_grant(const struct dir_grant *g);
json_t *cli_json_audit(struct cli_session *s, const struct store_audit *a);
/* The owners of an address as an array of {address, display_name}. */
int cli_json_owners(struct cli_session *s, const char *address,
	json_t **owners_r, struct error *err);
/* The members of a shared or resource mailbox, in the same shape. */
int cli_json_members(struct cli_session *s, const char *address,
	json_t **members_r, struct error *err);
/* The grants on or held by an address, as an array. */
int cli_json_grants(struct cli_session *s, const char *address,
	json_t **grants_r, struct error *err);

/* ---- output (cli_output.c) ---- */

/*
 * Prints value and drops the reference: JSON with --json, else text. An
 * object prints as `key: value` lines; an array as one line per item
 * holding the named columns ("address,display_name"), or the whole item
 * when it is a string.
 */
void cli_print(const struct cli_args *args, json_t *value,
	const char *columns);

/* With --json prints value; otherwise prints sentence. Drops value. */
void cli_print_done(const struct cli_args *args, json_t *value,
	const char *sentence);

/* Writes "caremail: <message>" to stderr, with a help hint for usage. */
void cli_print_error(const struct cli_args *args, const struct error *err);

/* ---- passwords (cli_password.c) ---- */

/*
 * Reads the first line of stdin into buf[size] without its line ending.
 * ERROR_INVALID for an empty line, ERROR_LIMIT for one that does not fit.
 */
int cli_read_password(char *buf, size_t size, struct error *err);

/* ---- a message on stdin or in a file (cli_input.c) ---- */

struct spool;
struct span;

/* What the errors call a message read from stdin. */
#define CLI_STDIN_NAME "the message on stdin"

/*
 * Reads fd to its end into sp and views it whole; name (a path, or
 * CLI_STDIN_NAME) is what the errors call it. ERROR_LIMIT naming
 * smtp.max_message_size_mb when it is larger than the spool's cap.
 */
int cli_read_message(int fd, const char *name, struct spool *sp,
	struct span *message_r, struct error *err);

/*
 * cli_read_message into a new spool in TMPDIR (else /tmp) capped by c's
 * smtp.max_message_size_mb. The spool, which owns *message_r; NULL on error.
 */
struct spool *cli_read_spooled(const struct config *c, int fd,
	const char *name, struct span *message_r, struct error *err);

/* ---- the commands ---- */

int cli_init(struct cli_args *args, struct error *err);
int cli_config_defaults(struct cli_args *args, struct error *err);

int cli_org_add(struct cli_args *args, struct error *err);
int cli_org_edit(struct cli_args *args, struct error *err);
int cli_org_show(struct cli_args *args, struct error *err);
int cli_org_policy(struct cli_args *args, struct error *err);
int cli_guest_invite(struct cli_args *args, struct error *err);
int cli_guest_list(struct cli_args *args, struct error *err);
int cli_guest_attest(struct cli_args *args, struct error *err);
int cli_guest_inviter(struct cli_args *args, struct error *err);
int cli_guest_remove(struct cli_args *args, struct error *err);
int cli_guest_sweep(struct cli_args *args, struct error *err);
int cli_licence_set(struct cli_args *args, struct error *err);
int cli_licence_allocate(struct cli_args *args, struct error *err);
int cli_licence_free(struct cli_args *args, struct error *err);
int cli_licence_rule(struct cli_args *args, struct error *err);
int cli_licence_report(struct cli_args *args, struct error *err);
int cli_licence_sweep(struct cli_args *args, struct error *err);
int cli_org_list(struct cli_args *args, struct error *err);
int cli_site_add(struct cli_args *args, struct error *err);
int cli_site_list(struct cli_args *args, struct error *err);
int cli_relay_add(struct cli_args *args, struct error *err);
int cli_relay_list(struct cli_args *args, struct error *err);
int cli_relay_remove(struct cli_args *args, struct error *err);

int cli_user_add(struct cli_args *args, struct error *err);
int cli_import_users(struct cli_args *args, struct error *err);
int cli_user_edit(struct cli_args *args, struct error *err);
int cli_user_show(struct cli_args *args, struct error *err);
int cli_user_list(struct cli_args *args, struct error *err);
int cli_user_delete(struct cli_args *args, struct error *err);
int cli_user_passwd(struct cli_args *args, struct error *err);
int cli_user_app_passwords(struct cli_args *args, struct error *err);
int cli_user_app_password_revoke(struct cli_args *args, struct error *err);

int cli_mailbox_add(struct cli_args *args, struct error *err);
int cli_mailbox_list(struct cli_args *args, struct error *err);
int cli_mailbox_show(struct cli_args *args, struct error *err);
int cli_mailbox_delete(struct cli_args *args, struct error *err);
int cli_mailbox_confirm(struct cli_args *args, struct error *err);
int cli_contact_add(struct cli_args *args, struct error *err);
int cli_contact_list(struct cli_args *args, struct error *err);
int cli_contact_delete(struct cli_args *args, struct error *err);

int cli_list_add(struct cli_args *args, struct error *err);
int cli_list_show(struct cli_args *args, struct error *err);
int cli_list_list(struct cli_args *args, struct error *err);
int cli_list_members(struct cli_args *args, struct error *err);
int cli_list_members_add(struct cli_args *args, struct error *err);
int cli_list_members_remove(struct cli_args *args, struct error *err);
int cli_list_expand(struct cli_args *args, struct error *err);
int cli_list_delete(struct cli_args *args, struct error *err);

int cli_owners_add(struct cli_args *args, struct error *err);
int cli_members_add(struct cli_args *args, struct error *err);
int cli_queue_list(struct cli_args *args, struct error *err);
int cli_queue_show(struct cli_args *args, struct error *err);
int cli_queue_retry(struct cli_args *args, struct error *err);
int cli_queue_bounce(struct cli_args *args, struct error *err);
int cli_queue_delete(struct cli_args *args, struct error *err);
int cli_queue_run(struct cli_args *args, struct error *err);
int cli_secure_purge(struct cli_args *args, struct error *err);
int cli_blobs_check(struct cli_args *args, struct error *err);
int cli_blobs_move(struct cli_args *args, struct error *err);
int cli_maintenance_on(struct cli_args *args, struct error *err);
int cli_maintenance_off(struct cli_args *args, struct error *err);
int cli_maintenance_status(struct cli_args *args, struct error *err);
/* serve's hourly sweep of expired secure messages (cli_secure.c). */
struct cli_secure_sweep;
struct instance;
struct cli_secure_sweep *cli_secure_sweep_start(const struct instance *inst);
void cli_secure_sweep_stop(struct cli_secure_sweep **w);
int cli_jobs_run(struct cli_args *args, struct error *err);
/* serve's jobs schedule (jobs.interval_s; NULL when 0); stop joins it. */
struct cli_jobs_schedule;
struct store_writer;
struct cli_jobs_schedule *cli_jobs_schedule_start(const struct instance *inst,
	struct store_writer *w);
void cli_jobs_schedule_stop(struct cli_jobs_schedule **js);
/*
 * serve's text-index schedule (jobs.text_index_interval_s; NULL when 0),
 * stopped by cli_jobs_schedule_stop.
 */
struct cli_jobs_schedule *cli_text_schedule_start(const struct instance *inst,
	struct store_writer *w);
int cli_mailtips(struct cli_args *args, struct error *err);
/* A queue row as the CLI and the API show it (cli_queue.c). */
struct store_queued;
int cli_dns_lookup(struct cli_args *args, struct error *err);
int cli_auth_check(struct cli_args *args, struct error *err);
int cli_dkim_keygen(struct cli_args *args, struct error *err);
int cli_dkim_activate(struct cli_args *args, struct error *err);
int cli_dkim_show(struct cli_args *args, struct error *err);
int cli_dkim_sign(struct cli_args *args, struct error *err);
int cli_dns_records(struct cli_args *args, struct error *err);
int cli_smtp_send(struct cli_args *args, struct error *err);
int cli_mta_sts_show(struct cli_args *args, struct error *err);
int cli_tlsrpt_report(struct cli_args *args, struct error *err);
/*
 * dlp scan (cli_dlp.c): returns CLI_EXIT_OK, 3 when a number is found or
 * 4 when the message is unscannable, or -1 with err.
 */
int cli_dlp_scan(struct cli_args *args, struct error *err);

/* ---- smtp send's TLS policy (cli_tls.c) ---- */

struct cli_tls;
struct mail_smtp_options;
struct mail_smtp_status;
struct mail_smtp_info;

/* Whether --mta-sts, --dane or --secure-domain was given. */
bool cli_tls_wanted(const struct cli_args *args);

/*
 * Looks up what those options ask about (the MTA-STS policy, the MX
 * host's TLSA records) and decides the TLS the send needs
 * (mail_tls_requirement). NULL with err for a usage error or a failed
 * lookup that is not a DNS answer.
 */
struct cli_tls *cli_tls_new(struct cli_args *args, struct error *err);

/* Sets o's TLS fields; o must not outlive t. */
void cli_tls_apply(struct cli_tls *t, struct mail_smtp_options *o);

/* Why nothing may be sent to this MX host; NULL when it may. */
const char *cli_tls_skip_reason(const struct cli_tls *t);

/*
 * The attempt's TLS-RPT result, recorded in the instance's store (with
 * --dir), as JSON for the output: `failed` when mail_smtp_open failed,
 * `info` when it connected; either may be NULL.
 */
json_t *cli_tls_done(struct cli_tls *t, const struct mail_smtp_status *failed,
	const struct mail_smtp_info *info);

void cli_tls_free(struct cli_tls **t);
int cli_user_devices(struct cli_args *args, struct error *err);
int cli_user_unlock(struct cli_args *args, struct error *err);
/* A person's devices as an array of {protocol, client, address, ...}. */
int cli_json_devices(struct cli_session *s, const char *address,
	json_t **devices_r, struct error *err);
int cli_members_remove(struct cli_args *args, struct error *err);
int cli_owners_remove(struct cli_args *args, struct error *err);
int cli_grant_add(struct cli_args *args, struct error *err);
int cli_grant_remove(struct cli_args *args, struct error *err);
int cli_grant_list(struct cli_args *args, struct error *err);
int cli_role_add(struct cli_args *args, struct error *err);
int cli_role_remove(struct cli_args *args, struct error *err);

/* ---- demo data (cli_demo_names.c) ---- */

extern const char *const cli_demo_first_names[];
extern const size_t cli_demo_first_name_count;
extern const char *const cli_demo_last_names[];
extern const size_t cli_demo_last_name_count;

int cli_audit_list(struct cli_args *args, struct error *err);
int cli_audit_verify(struct cli_args *args, struct error *err);
int cli_serve(struct cli_args *args, struct error *err);
int cli_backup(struct cli_args *args, struct error *err);
int cli_migrate(struct cli_args *args, struct error *err);
int cli_restore(struct cli_args *args, struct error *err);
int cli_demo(struct cli_args *args, struct error *err);

#endif
