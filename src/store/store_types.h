/*
 * The store's records: the structs, enums and constants its typed
 * operations fill and take, and nothing else. Layer: store. This header
 * holds types alone (no function, no variable), so it is the one store/
 * header a front end may include: a front end can name a record the domain
 * handed it, and still cannot call the store (scripts/check-layers.sh
 * checks both). The operations are declared per area in store_<area>.h,
 * which only the domain includes.
 *
 * Records hold strings allocated from the arena passed to the call that
 * filled them; they live as long as that arena. Text fields are never NULL
 * ("" when unset) except where a comment says so.
 */
#ifndef STORE_STORE_TYPES_H
#define STORE_STORE_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- organisations and sites ---- */

struct store_org {
	int64_t id;
	const char *ods;	/* unique, upper case */
	const char *name;
	const char *type;
	int64_t parent_id;	/* 0 for a root */
	const char *postal_address;
	const char *description;
	const char *website;
	const char *helpdesk_phone;
	const char *helpdesk_email;
	int64_t default_quota_mb;
	const char *protocols_off;	/* "imap,pop3,smtp" subset, "" none */
	int64_t created_at, updated_at;
};

struct store_site {
	int64_t id;
	int64_t org_id;
	const char *name;
	const char *site_type;
	const char *postal_address;
	int64_t created_at;
};

/* ---- people ---- */

/*
 * Where a person is in their lifecycle (SPEC P3, L7). The database keeps
 * the names (dir_person_status_name); the store converts at its edge.
 */
enum store_person_status {
	STORE_PERSON_ACTIVE,
	STORE_PERSON_DISABLED,
	STORE_PERSON_LEAVER,
	STORE_PERSON_DELETED,
	STORE_PERSON_INACTIVE,	/* SPEC L1: quiet too long; a sign-in wakes it */
};

struct store_person {
	int64_t id;
	int64_t org_id;
	int64_t site_id;	/* 0 when none */
	int64_t mailbox_id;	/* the person's user mailbox */
	const char *address;	/* of the user mailbox */
	const char *first_name, *last_name, *display_name;
	const char *job_title, *department;
	const char *phone, *mobile;
	bool mobile_hidden;	/* kept out of directory results */
	const char *notes;	/* admin-only */
	enum store_person_status status;
	const char *sync_id;	/* NULL when none; unique within the org */
	int64_t created_at, updated_at;
	int64_t deleted_at;	/* 0 unless deleted */
	int64_t last_signin_at;	/* 0 never */
	int64_t password_changed_at;	/* 0 never */
	const char *protocols_off;	/* "imap,pop3,smtp" subset, "" none */
	int64_t locked_at;	/* 0 unless sign-in is locked (SPEC P1) */
	int64_t status_changed_at;	/* when status took its value (SPEC L1-L3) */
	int64_t purged_at;	/* 0 unless its mail was destroyed (SPEC L1) */
};

struct store_person_filter {
	const int64_t *org_ids;	/* NULL: every org */
	size_t org_count;
	bool include_deleted;
	int64_t after_id;	/* paging: ids greater than this */
	size_t limit;		/* 0: no limit */
};

/*
 * A person as a listing or a record shows them, read in one statement:
 * their org and site named by join, not looked up row by row.
 */
struct store_person_view {
	struct store_person person;
	const char *org_ods, *org_name;	/* "" when the org is gone */
	const char *site_name, *site_type;	/* "" when no site */
};

/* An admin role with its org's ODS code, read for many people at once. */
struct store_role_tag {
	int64_t person_id;
	const char *role;
	const char *org_ods;
	int64_t granted_at;
};

/* Records that a person signed in with a client, for the devices list. */
struct store_device {
	int64_t person_id;
	const char *protocol;	/* imap, pop3, smtp, web */
	const char *client;	/* IMAP ID name/version or user agent; "" unknown */
	const char *address;	/* the client's IP address */
	int64_t first_seen, last_seen;
};

/* ---- mailboxes and contacts ---- */

/*
 * A mailbox's kind, and whether it is in use. The database keeps the
 * names (dir_mailbox_kind_name, dir_mailbox_status_name); the store
 * converts at its edge.
 */
enum store_mailbox_kind {
	STORE_MAILBOX_USER,		/* a person's own */
	STORE_MAILBOX_SHARED,
	STORE_MAILBOX_RESOURCE,		/* a room or a piece of equipment */
};

enum store_mailbox_status {
	STORE_MAILBOX_ACTIVE,
	STORE_MAILBOX_DELETED,
};

struct store_mailbox {
	int64_t id;
	enum store_mailbox_kind kind;
	int64_t org_id;
	int64_t person_id;	/* the owner of a user mailbox, else 0 */
	const char *address;
	const char *display_name;
	int64_t quota_mb;
	enum store_mailbox_status status;
	int64_t created_at, updated_at;
	int64_t deleted_at;	/* 0 unless deleted */
};

struct store_contact {
	int64_t id;
	int64_t org_id;
	const char *display_name;
	const char *address;	/* external address */
	int64_t created_at, updated_at;
	int64_t deleted_at;
};

/* ---- distribution lists ---- */

/*
 * A list's kind and where it is in approval (SPEC D5). The database keeps
 * the names (dir_list_kind_name, dir_list_state_name); the store converts
 * at its edge.
 */
enum store_list_kind {
	STORE_LIST_STATIC,
	STORE_LIST_DYNAMIC,
};

enum store_list_state {
	STORE_LIST_APPROVED,
	STORE_LIST_PENDING,
	STORE_LIST_REJECTED,
};

struct store_list {
	int64_t id;
	int64_t org_id;
	enum store_list_kind kind;
	const char *name;
	const char *address;
	const char *description;
	enum store_list_state status;
	const char *rule;	/* dynamic lists: the rule as JSON; else "" */
	int64_t created_at, updated_at;
	int64_t deleted_at;
};

/* What a static list member, an owner or a grant refers to. */
enum store_kind {
	STORE_KIND_PERSON,
	STORE_KIND_MAILBOX,
	STORE_KIND_CONTACT,
	STORE_KIND_LIST,
	STORE_KIND_ORG,
};

struct store_ref {
	enum store_kind kind;
	int64_t id;
};

/* ---- owners, members of shared mailboxes, grants, roles ---- */

/*
 * What a grant lets a person do with a mailbox not theirs. The database
 * keeps the names (dir_grant_right_name); the store converts at its edge.
 */
enum store_grant_right {
	STORE_GRANT_FULL_ACCESS,
	STORE_GRANT_SEND_AS,
	STORE_GRANT_SEND_ON_BEHALF,
};

struct store_grant {
	int64_t mailbox_id;
	int64_t person_id;
	enum store_grant_right right;
	int64_t granted_at;
};

struct store_role {
	int64_t person_id;
	int64_t org_id;
	const char *role;
	int64_t granted_at;
};

/* ---- the address registry: an address once held is held forever ---- */

struct store_address {
	const char *address;
	struct store_ref holder;	/* who was given it */
	int64_t assigned_at;
};

/* ---- audit: append-only ---- */

struct store_audit {
	int64_t id;
	int64_t at;
	const char *actor;	/* an address, or "system" */
	const char *action;	/* create, update, delete, other */
	const char *object_type;
	int64_t object_id;
	int64_t org_id;		/* 0 when none */
	const char *summary;	/* JSON */
	const char *client;	/* the client's IP address, "cli", or "" */
	const char *request_id;	/* the API's X-Request-Id, or "" */
	const char *result;	/* done, denied */
};

/*
 * The audit chain (SECURITY.md 49). Each row stores prev_hash, the hash of
 * the row before it (32 zero bytes for the first row), and hash, the
 * HMAC-SHA-256 under the instance's audit key of a canonical encoding of
 * every column of the row, its id and prev_hash included (store_audit.c
 * says how). The key is never stored in the database.
 */
#define STORE_AUDIT_KEY_BYTES 32
#define STORE_AUDIT_HASH_BYTES 32

/* A row known to be part of a whole chain: where a check starts or ends. */
struct store_audit_mark {
	int64_t id;		/* 0: none */
	unsigned char hash[STORE_AUDIT_HASH_BYTES];
};

/* What store_audit_verify found. */
struct store_audit_check {
	int64_t rows;		/* rows read */
	struct store_audit_mark last;	/* the newest row read */
	int64_t broken_id;	/* the first broken row; 0 when whole */
	int64_t broken_at;	/* its time (0 if the row is missing) */
	int64_t broken_count;	/* rows that failed a check */
	char reason[240];	/* a sentence naming broken_id; "" when whole */
};

struct store_audit_filter {
	const char *object_type;	/* NULL: any */
	const char *action;		/* NULL: any */
	const char *actor;		/* NULL: any */
	int64_t org_id;			/* 0: any */
	int64_t since, until;		/* inclusive; 0: unbounded */
	int64_t before_id;		/* paging, newest first; 0: from the top */
	size_t limit;
};

/* ---- mail: folders, messages, bodies, the outbound queue ---- */

/* System flags of RFC 3501 §2.3.2, as bits. */
enum store_flag {
	STORE_FLAG_SEEN = 1 << 0,
	STORE_FLAG_ANSWERED = 1 << 1,
	STORE_FLAG_FLAGGED = 1 << 2,
	STORE_FLAG_DELETED = 1 << 3,
	STORE_FLAG_DRAFT = 1 << 4,
};

struct store_folder {
	int64_t id;
	int64_t mailbox_id;
	const char *name;	/* "INBOX", "Sent Items", "Projects/2026" */
	const char *special_use;	/* "", or inbox, sent, drafts, trash, junk */
	int64_t uidvalidity;
	int64_t uidnext;	/* read only: a new folder's is 1 */
	bool subscribed;
	int64_t created_at;
};

/* What delivery computes once per message so IMAP need not re-parse it. */
struct store_message_meta {
	const char *envelope, *bodystructure, *body;
	const char *subject, *from, *to, *cc, *bcc, *message_id;
	int64_t sent_date;
	int64_t header_size;
};

/* A message body as delivery stores it: its bytes and their summary. */
struct store_body {
	const char *hash;	/* lower-case hex SHA-256 of data */
	const void *data;	/* may be a mapped file: read, never copied whole */
	size_t size;
	int64_t created_at;
	const struct store_message_meta *meta;
};

struct store_delivery {
	int64_t body_id;	/* from store_body_put */
	int64_t size;		/* the body's */
	int64_t internal_date;
	const int64_t *folder_ids;	/* one index row in each */
	size_t folder_count;
	const char *sender;	/* envelope sender, for queued copies */
	/* The local copies' folder by special use ("junk"); NULL: Inbox. */
	const char *special_use;
	/* RFC 3461 RET and ENVID for queued copies; NULL or "": none */
	const char *ret;
	const char *envid;
	unsigned flags;		/* store_deliver's rows: enum store_flag bits */
	/*
	 * A set that may be large (a list's members): store_deliver_set
	 * widens the page cache while it writes (bench B2).
	 */
	bool many;
};

struct store_message {
	int64_t id;
	int64_t folder_id;
	int64_t uid;
	int64_t body_id;
	int64_t size;
	int64_t internal_date;
	unsigned flags;		/* enum store_flag bits */
	const char *keywords;	/* space-separated */
	struct store_message_meta meta;	/* the body's, when read with it */
};

/* A queue row's delivery state (issue 11); the database keeps its text. */
enum store_queue_status {
	STORE_QUEUE_QUEUED = 0,		/* waiting for next_attempt_at */
	STORE_QUEUE_IN_FLIGHT,		/* claimed by a runner until its lease */
	STORE_QUEUE_DELIVERED,		/* the remote took it */
	STORE_QUEUE_FAILED,		/* given up; the sender was told */
};

/* One recipient of a message for another domain: its delivery state. */
/* The queue as monitoring sees it (store_queue_counts). */
struct store_queue_counts {
	int64_t waiting;	/* recipients queued or in flight */
	int64_t deferred;	/* of those, tried at least once */
	int64_t oldest_at;	/* when the oldest waiting was queued; 0 none */
};

struct store_queued {
	int64_t id;
	int64_t body_id;
	const char *sender;	/* "" for the null sender (a report) */
	const char *recipient;
	int64_t created_at;	/* queued at */
	int64_t next_attempt_at;
	int64_t attempts;
	const char *last_error;	/* one line; "" before a failure */
	enum store_queue_status status;
	const char *claimed_by;	/* the runner holding it; "" */
	int64_t claimed_until;	/* its lease ends; 0 */
	int64_t notices_sent;	/* delay notices counted (mail_retry) */
	int64_t last_attempt_at;	/* 0: not tried */
	int64_t finished_at;	/* delivered or failed at; 0 */
	const char *dkim_signature;	/* NULL: not signed yet; "": unsigned */
	const char *ret;	/* RFC 3461 RET: "FULL", "HDRS" or "" */
	const char *envid;	/* RFC 3461 ENVID; "" */
	const char *notify;	/* RFC 3461 NOTIFY; "" (the default) */
	const char *orcpt;	/* RFC 3461 ORCPT: "rfc822;address"; "" */
	const char *remote_mta;	/* the host that took or refused it last */
	const char *tls;	/* what the delivery's TLS was; "" */
};

/* ---- sign-in: sessions, lockout, own passwords, TOTP (SPEC P1) ---- */

struct store_session {
	int64_t id;
	const char *token_hash;	/* hex SHA-256 of the cookie's token */
	const char *csrf_token;	/* sent back in X-CSRF-Token */
	int64_t person_id;
	int64_t created_at, last_seen_at;
};

/* What sign-in needs beyond struct store_person; never logged. */
struct store_signin {
	int64_t failed_signins;	/* consecutive, since the last success */
	int64_t locked_at;	/* 0 unless locked */
	int64_t password_self_set_at;	/* 0 never */
	const char *mfa_secret;	/* base32 TOTP key, "" none */
	int64_t mfa_enrolled_at;	/* 0 until a first code is checked */
	int64_t mfa_last_step;	/* the last RFC 6238 time step accepted */
};

/* ---- what a person holds elsewhere (issue 4) ---- */

/* One thing a person holds on a mailbox or list that is not their own. */
struct store_holding {
	const char *relation;	/* owner, member, full_access, send_as,
				   send_on_behalf */
	const char *object_kind;	/* user, shared, resource, list */
	int64_t object_id;
	int64_t org_id;		/* the object's org */
	const char *address;
	const char *org_ods;	/* the object's org's, by join */
};

/* ---- self-service and API tokens (SPEC P11, P16; area selfsvc) ---- */

#define STORE_SECURITY_ANSWERS 3

/* One security question and the Argon2id hash of its answer. */
struct store_security_answer {
	const char *question;
	const char *answer_hash;
};

/* The one live recovery code of a person. */
struct store_recovery_code {
	int64_t person_id;
	const char *code_hash;	/* "salt$sha256", hex */
	int64_t created_at, expires_at;
	int64_t attempts;	/* wrong tries so far */
	int64_t used_at;	/* 0 until spent */
};

/* An application's API token (the secret itself is never stored). */
struct store_api_token {
	int64_t id;
	const char *token_hash;	/* hex SHA-256 of the token */
	const char *label;
	int64_t org_id;
	const char *actions;	/* comma-separated action names */
	const char *allow_from;	/* comma-separated IPs and CIDRs, "" any */
	const char *created_by;
	int64_t created_at, expires_at;
	int64_t revoked_at, last_used_at;	/* 0: never */
};

/* ---- app passwords: mail-protocol credentials (SECURITY.md 43) ---- */

/* One app password; the secret itself is never stored. */
struct store_app_password {
	int64_t id;
	int64_t person_id;
	const char *label;
	const char *secret_hash;	/* hex SHA-256 of the secret */
	int64_t created_at;
	int64_t last_used_at;		/* 0: never */
	const char *last_used_protocol;	/* imap, pop3, smtp; "" never */
};

/* ---- application servers registered for relay (SPEC M3) ---- */

struct store_relay_host {
	int64_t id;
	int64_t org_id;
	const char *cidr;	/* as registered: "192.0.2.0/24", "192.0.2.7" */
	const char *label;
	int64_t created_at;
	const char *created_by;	/* the actor, as the audit names them */
};

/* ---- list reviews and dynamic list rules ---- */

/* The approval record of a list (SPEC P6); one row per list at most. */
struct store_list_review {
	int64_t list_id;
	const char *change;	/* JSON of a change waiting, "" for none */
	const char *requested_by;	/* address */
	int64_t requested_at;
	const char *decision;	/* "", approved, rejected: the last one */
	const char *reason;	/* given with a rejection */
	const char *decided_by;
	int64_t decided_at;
};

/* One address a list reaches, as a preview names it. */
struct store_recipient {
	const char *address;
	const char *display_name;	/* "" for an outside address */
};

/* How many recipients a preview names beside its count. */
#define STORE_SAMPLE_MAX 5
#define STORE_SAMPLE_MAX_TEXT "5"

/* A set of text values matched without regard to ASCII case. */
struct store_text_set {
	const char *const *items;
	size_t count;	/* 0: matches anything */
};

/* The people a dynamic list rule reaches, as the database can find them. */
struct store_rule_query {
	const int64_t *org_ids;
	size_t org_count;
	struct store_text_set sites, site_types, job_titles, departments,
		roles;
};

/* ---- People Finder and the devices report ---- */

/* Longest key kept, in bytes; longer words are cut to this. */
#define STORE_SEARCH_KEY_MAX 48
/* Most words one search may require (name, email and job title together). */
#define STORE_SEARCH_WORDS_MAX 6

/* What People Finder asks for; every part given must match. */
struct store_person_query {
	const char *const *name_words;	/* folded name word prefixes */
	size_t name_count;
	const char *const *job_words;	/* folded job title word prefixes */
	size_t job_count;
	const char *email;	/* lower-case address prefix; NULL: any */
	const int64_t *org_ids;	/* NULL: every org */
	size_t org_count;
	const char *site_type;	/* exact; NULL: any */
	size_t limit;		/* the page: the first this many by name */
	/*
	 * Where the page starts: people after this place in name order
	 * (the sort and id of an earlier page's last person); NULL: the
	 * first.
	 */
	const char *after_sort;
	int64_t after_id;
};

/* A person found, with their org's and site's names as shown. */
/* A role a person holds now, and the org it is held in. */
struct store_role_held {
	int64_t org_id;
	const char *role, *org_ods;
};

struct store_person_match {
	struct store_person person;
	const char *org_ods, *org_name;
	const char *helpdesk_phone, *helpdesk_email;	/* the org's */
	const char *site_name, *site_type;	/* "" when no site */
	const char *sort;	/* their place in name order (store_search_sort) */
	/* Read with the row, by org id then role: never a past one. */
	struct store_role_held *roles;
	size_t role_count;
};

/* One row of the devices report: a device and whose it is. */
struct store_device_row {
	int64_t id;		/* the cursor */
	struct store_device device;
	const char *person_address, *person_name, *org_ods;
};

/* ---- a folder as a mail client sees it (store_folder.h) ---- */

/* What STATUS and SELECT report of a folder. */
struct store_folder_status {
	int64_t messages;
	int64_t unseen;
	int64_t recent;		  /* messages no session has seen yet */
	int64_t changes;	  /* folder_counts.changes (see below) */
};

/* A message's UID and what a session shows of its flags. */
struct store_message_flag_row {
	int64_t uid;
	unsigned flags;	      /* enum store_flag bits */
	const char *keywords; /* space-separated */
};

/* A message of a folder changed since its stored view was written. */
struct store_view_change {
	int64_t uid;
	bool present;	      /* false: the message has gone from the folder */
	unsigned flags;	      /* enum store_flag bits, when present */
	const char *keywords; /* space-separated, when present */
};

/*
 * A folder's stored view (migration 32) and the messages changed since it
 * was written, read in one statement, so the two are of one moment.
 */
struct store_folder_view {
	bool found;		    /* false: the folder has no stored view */
	int64_t changes;	    /* the folder's counter the view is of */
	const unsigned char *data;  /* mail_view.c's format */
	size_t size;
	struct store_view_change *changed; /* ascending UIDs */
	size_t changed_count;
};

/*
 * One part of one run of a folder's summary pack (migration 37) as
 * stored: part 0 the UIDs, sizes and internal dates, 1-5 the subjects,
 * From, To, Cc and Bcc of the same messages (mail_summary.c's format).
 */
struct store_summary_pack {
	int64_t part;
	int64_t first_uid, last_uid; /* the run's */
	const unsigned char *data;
	size_t size;
};

/* How much of a message row store_folder_messages reads. */
enum store_message_columns {
	/*
	 * The copy's own row: id, uid, body id, size, internal date, flags,
	 * keywords; no summary (the sent date and header size are 0).
	 */
	STORE_MESSAGE_COLUMNS_FLAGS,
	/*
	 * and from the body's summary: the sent date, the header's size and
	 * the decoded fields SEARCH matches (subject, addresses, ...)
	 */
	STORE_MESSAGE_COLUMNS_SEARCH,
	/* and the ENVELOPE (a summary pack's, mail_summary.c) */
	STORE_MESSAGE_COLUMNS_ENVELOPE,
	/* and ENVELOPE, BODY and BODYSTRUCTURE */
	STORE_MESSAGE_COLUMNS_ALL,
};

/* ---- encrypted messages and their portal (SPEC M10, M11) ---- */

/* One sealed message (store_secure.h). */
struct store_secure_message {
	int64_t id;
	const char *uid;		/* random; bound into both seals */
	const char *sender;		/* the envelope sender, lowercase */
	int64_t sender_person_id;	/* 0: sent by an application */
	int64_t created_at;
	int64_t expires_at;
	int64_t reply_to;		/* the message a reader's reply answers; 0 */
	const char *key_id;		/* the instance key that wrapped its key */
	const unsigned char *wrapped_key;	/* NULL once purged */
	size_t wrapped_key_len;
	const unsigned char *ciphertext;	/* NULL once purged */
	size_t ciphertext_len;
	int64_t size;			/* of the message in clear */
	int64_t purged_at;		/* 0: not purged */
};

/* One recipient of a sealed message, with their own link. */
struct store_secure_recipient {
	int64_t id;
	int64_t message_id;
	const char *address;		/* lowercase */
	const char *link_hash;		/* hex BLAKE2b of the link's token */
	int64_t revoked_at;		/* 0: not revoked */
	const char *revoked_by;		/* who revoked it; "" */
	int64_t first_read_at;		/* 0: never read */
};

/* A one-time code sent to a recipient's address. */
struct store_secure_code {
	int64_t id;
	int64_t recipient_id;
	const char *code_hash;		/* hex BLAKE2b, keyed by the browser */
	const char *browser_hash;	/* hex BLAKE2b of the asking browser's cookie */
	int64_t created_at;
	int64_t expires_at;
	int64_t attempts;		/* wrong codes tried against it */
	int64_t used_at;		/* 0: not used */
};

/* A reader's session in the portal: for one address. */
struct store_secure_session {
	const char *token_hash;		/* hex BLAKE2b of the cookie */
	const char *address;
	const char *csrf_token;
	int64_t created_at;
	int64_t last_seen_at;
	int64_t expires_at;
};

/* One attempt to reach a sealed message, for the sender's access log. */
struct store_secure_access {
	int64_t id;
	int64_t message_id;
	int64_t recipient_id;		/* 0: not known */
	const char *address;
	int64_t at;
	const char *peer;		/* the client's IP address */
	const char *event;		/* "code_sent", "opened", ... */
	bool ok;			/* false: refused */
};

/* ---- guests and add-on licences (store_guest.h; SPEC L8, L9) ---- */

/* A guest with what the rules read of their inviter, in one statement. */
struct store_guest {
	int64_t id;
	int64_t org_id;
	const char *org_ods;
	const char *address;		/* their own, outside this service */
	const char *display_name;
	int64_t inviter_id;		/* a person */
	const char *inviter_address;
	int64_t inviter_org_id;		/* the inviter's org now */
	bool inviter_active;	/* status active and not deleted */
	int64_t created_at;
	int64_t attested_at;	/* 0: the current inviter has not attested */
	int64_t attestations;	/* how many, the one at creation included */
	int64_t orphaned_at;	/* when the inviter was found without the right */
	int64_t requested_for;	/* the deadline last asked about; 0 none */
	int64_t removed_at;	/* 0 while the guest stays */
	const char *removed_reason;	/* "" unless removed */
};

/* An org's named add-on: how many may hold it and until when. */
struct store_addon {
	int64_t id;
	int64_t org_id;
	const char *org_ods;
	const char *name;
	int64_t quota;
	int64_t expires_at;
	const char *rule;	/* "" none; "all", "department=X", "job_title=X" */
	int64_t notice_for;	/* the expiry the notices sent were about */
	int64_t notice_step;	/* the last notice sent for it; -1 none */
	int64_t used;		/* allocations held */
	int64_t created_at;
};

/* One allocation, with the holder named. */
struct store_allocation {
	int64_t addon_id;
	int64_t person_id;
	const char *address;
	const char *display_name;
	int64_t allocated_at;
	bool by_rule;
};

/* One table as copied: its rows, and whether both sides agree. */
struct store_copy_table {
	const char *name;
	int64_t rows;
	bool same;		/* the same rows and checksums on both sides */
	char checksum[65];	/* SHA-256 of the rows in key order, hex */
};

struct store_copy_report {
	struct store_copy_table *tables;	/* in the order copied */
	size_t count;
	int64_t rows;		/* in all, as the destination holds them */
	size_t different;	/* tables whose rows or checksum differ */
};


#endif
