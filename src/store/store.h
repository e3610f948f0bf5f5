/*
 * The storage interface: typed operations on the directory and audit, and
 * transactions. Layer: store, the only layer that knows SQL. A `struct
 * store` is one connection, used by one thread; open one per thread. The
 * backend (SQLite now, PostgreSQL later) sits behind store_backend.h and is
 * invisible here.
 *
 * Records hold strings allocated from the arena passed to the call that
 * filled them; they live as long as that arena. Text fields are never NULL
 * ("" when unset) except where a comment says so.
 */
#ifndef STORE_STORE_H
#define STORE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct arena;
struct error;
struct store;

/*
 * Opens the store at `path` with the named backend ("sqlite"), creating it
 * if `create` is true, and applies any migrations it lacks. busy_timeout_ms
 * bounds how long a writer waits for another.
 */
struct store *store_open(const char *backend, const char *path, bool create,
	int busy_timeout_ms, struct error *err);
void store_close(struct store **st);

/*
 * A pool of connections for sessions: opening a connection (and checking
 * migrations, and preparing statements again) per SMTP or IMAP session
 * would cost more than the session's own work. Thread-safe; a connection
 * is used by one thread at a time.
 */
struct store_pool;

struct store_pool *store_pool_new(const char *backend, const char *path,
	int busy_timeout_ms, size_t max_idle);
/* An idle connection, or a new one; NULL with err when none can be had. */
struct store *store_pool_get(struct store_pool *pool, struct error *err);
/* Gives a connection back (closing it if the pool is full); *st = NULL. */
void store_pool_put(struct store_pool *pool, struct store **st);
void store_pool_free(struct store_pool **pool);

/*
 * For server connections: leave log maintenance (SQLite's WAL checkpoint)
 * to the writer's checkpointer instead of running it inside a commit,
 * where it would stall every delivery waiting on that commit.
 */
void store_defer_maintenance(struct store *st);

/* Whether the store answers a trivial query; ERROR_TEMPORARY if not. */
int store_ping(struct store *st, struct error *err);

/* The schema version the store is at, and the newest this build knows. */
int store_schema_version(struct store *st, struct error *err);
int store_schema_latest(void);

/*
 * Transactions nest: the outermost begin/commit is a real transaction and
 * inner ones are savepoints, so a domain operation can be all-or-nothing on
 * its own and still join a caller's larger transaction. Every begin is
 * matched by exactly one commit or rollback.
 */
int store_begin(struct store *st, struct error *err);
int store_commit(struct store *st, struct error *err);
void store_rollback(struct store *st);

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

int store_org_insert(struct store *st, struct store_org *org, struct error *err);
int store_org_update(struct store *st, const struct store_org *org,
	struct error *err);
int store_org_get(struct store *st, int64_t id, struct arena *a,
	struct store_org *org_r, struct error *err);
int store_org_get_by_ods(struct store *st, const char *ods, struct arena *a,
	struct store_org *org_r, struct error *err);
/* Every org, ordered by ODS code. */
int store_org_list(struct store *st, struct arena *a, struct store_org **orgs_r,
	size_t *count_r, struct error *err);
/* The org and all orgs below it in the tree, as ids. */
int store_org_subtree(struct store *st, int64_t root_id, struct arena *a,
	int64_t **ids_r, size_t *count_r, struct error *err);

struct store_site {
	int64_t id;
	int64_t org_id;
	const char *name;
	const char *site_type;
	const char *postal_address;
	int64_t created_at;
};

int store_site_insert(struct store *st, struct store_site *site,
	struct error *err);
int store_site_get(struct store *st, int64_t id, struct arena *a,
	struct store_site *site_r, struct error *err);
int store_site_find(struct store *st, int64_t org_id, const char *name,
	struct arena *a, struct store_site *site_r, struct error *err);
/* Sites of one org, or of every org when org_id is 0, by name. */
int store_site_list(struct store *st, int64_t org_id, struct arena *a,
	struct store_site **sites_r, size_t *count_r, struct error *err);

/* ---- people ---- */

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
	const char *status;	/* active, disabled, leaver, deleted */
	const char *sync_id;	/* NULL when none; unique within the org */
	int64_t created_at, updated_at;
	int64_t deleted_at;	/* 0 unless deleted */
	int64_t last_signin_at;	/* 0 never */
	int64_t password_changed_at;	/* 0 never */
	const char *protocols_off;	/* "imap,pop3,smtp" subset, "" none */
	int64_t locked_at;	/* 0 unless sign-in is locked (SPEC P1) */
};

/* Inserts the person; mailbox_id must already name their user mailbox. */
int store_person_insert(struct store *st, struct store_person *p,
	struct error *err);
int store_person_update(struct store *st, const struct store_person *p,
	struct error *err);
int store_person_get(struct store *st, int64_t id, struct arena *a,
	struct store_person *p_r, struct error *err);
int store_person_get_by_address(struct store *st, const char *address,
	struct arena *a, struct store_person *p_r, struct error *err);
int store_person_get_by_sync_id(struct store *st, int64_t org_id,
	const char *sync_id, struct arena *a, struct store_person *p_r,
	struct error *err);

struct store_person_filter {
	const int64_t *org_ids;	/* NULL: every org */
	size_t org_count;
	bool include_deleted;
	int64_t after_id;	/* paging: ids greater than this */
	size_t limit;		/* 0: no limit */
};

/* People matching the filter, by id. */
int store_person_list(struct store *st, const struct store_person_filter *f,
	struct arena *a, struct store_person **people_r, size_t *count_r,
	struct error *err);

/* The Argon2id hash, or "" when none is set. */
int store_person_password_get(struct store *st, int64_t person_id,
	struct arena *a, const char **hash_r, struct error *err);
/*
 * A password set by someone else (an admin, init, a reset): it clears the
 * self-set mark, so the person must change it at their next sign-in.
 */
int store_person_password_set(struct store *st, int64_t person_id,
	const char *hash, int64_t now, struct error *err);

/* Records that a person signed in with a client, for the devices list. */
struct store_device {
	int64_t person_id;
	const char *protocol;	/* imap, pop3, smtp, web */
	const char *client;	/* IMAP ID name/version or user agent; "" unknown */
	const char *address;	/* the client's IP address */
	int64_t first_seen, last_seen;
};

/* Inserts or refreshes the device's last_seen, and the person's sign-in. */
int store_device_seen(struct store *st, const struct store_device *d,
	struct error *err);
/* A person's devices, most recently seen first. */
int store_device_list(struct store *st, int64_t person_id, struct arena *a,
	struct store_device **devices_r, size_t *count_r, struct error *err);

/* ---- mailboxes and contacts ---- */

struct store_mailbox {
	int64_t id;
	const char *kind;	/* user, shared, resource */
	int64_t org_id;
	int64_t person_id;	/* the owner of a user mailbox, else 0 */
	const char *address;
	const char *display_name;
	int64_t quota_mb;
	const char *status;	/* active, deleted */
	int64_t created_at, updated_at;
	int64_t deleted_at;	/* 0 unless deleted */
};

int store_mailbox_insert(struct store *st, struct store_mailbox *m,
	struct error *err);
int store_mailbox_update(struct store *st, const struct store_mailbox *m,
	struct error *err);
int store_mailbox_get(struct store *st, int64_t id, struct arena *a,
	struct store_mailbox *m_r, struct error *err);
int store_mailbox_get_by_address(struct store *st, const char *address,
	struct arena *a, struct store_mailbox *m_r, struct error *err);
/* Mailboxes of a kind ("" for any) in an org (0 for any), not deleted. */
int store_mailbox_list(struct store *st, int64_t org_id, const char *kind,
	struct arena *a, struct store_mailbox **m_r, size_t *count_r,
	struct error *err);

struct store_contact {
	int64_t id;
	int64_t org_id;
	const char *display_name;
	const char *address;	/* external address */
	int64_t created_at, updated_at;
	int64_t deleted_at;
};

int store_contact_insert(struct store *st, struct store_contact *c,
	struct error *err);
int store_contact_update(struct store *st, const struct store_contact *c,
	struct error *err);
int store_contact_get(struct store *st, int64_t id, struct arena *a,
	struct store_contact *c_r, struct error *err);
int store_contact_get_by_address(struct store *st, const char *address,
	struct arena *a, struct store_contact *c_r, struct error *err);
int store_contact_list(struct store *st, int64_t org_id, struct arena *a,
	struct store_contact **c_r, size_t *count_r, struct error *err);

/* ---- distribution lists ---- */

struct store_list {
	int64_t id;
	int64_t org_id;
	const char *kind;	/* static, dynamic */
	const char *name;
	const char *address;
	const char *description;
	const char *status;	/* approved, pending, rejected */
	const char *rule;	/* dynamic lists: the rule as JSON; else "" */
	int64_t created_at, updated_at;
	int64_t deleted_at;
};

int store_list_insert(struct store *st, struct store_list *l,
	struct error *err);
int store_list_update(struct store *st, const struct store_list *l,
	struct error *err);
int store_list_get(struct store *st, int64_t id, struct arena *a,
	struct store_list *l_r, struct error *err);
int store_list_get_by_address(struct store *st, const char *address,
	struct arena *a, struct store_list *l_r, struct error *err);
int store_list_list(struct store *st, int64_t org_id, struct arena *a,
	struct store_list **l_r, size_t *count_r, struct error *err);

/* What a static list member, an owner or a grant refers to. */
enum store_kind {
	STORE_KIND_PERSON,
	STORE_KIND_MAILBOX,
	STORE_KIND_CONTACT,
	STORE_KIND_LIST,
	STORE_KIND_ORG,
};

const char *store_kind_name(enum store_kind kind);

struct store_ref {
	enum store_kind kind;
	int64_t id;
};

/* Adding an existing member is ERROR_EXISTS; removing an absent one NOT_FOUND. */
int store_list_member_add(struct store *st, int64_t list_id,
	struct store_ref member, struct error *err);
int store_list_member_remove(struct store *st, int64_t list_id,
	struct store_ref member, struct error *err);
int store_list_members(struct store *st, int64_t list_id, struct arena *a,
	struct store_ref **members_r, size_t *count_r, struct error *err);

/* ---- owners, members of shared mailboxes, grants, roles ---- */

/* Owners of a mailbox or list (object.kind is MAILBOX or LIST). */
int store_owner_add(struct store *st, struct store_ref object,
	int64_t person_id, struct error *err);
int store_owner_remove(struct store *st, struct store_ref object,
	int64_t person_id, struct error *err);
int store_owners(struct store *st, struct store_ref object, struct arena *a,
	int64_t **person_ids_r, size_t *count_r, struct error *err);

int store_mailbox_member_add(struct store *st, int64_t mailbox_id,
	int64_t person_id, struct error *err);
int store_mailbox_member_remove(struct store *st, int64_t mailbox_id,
	int64_t person_id, struct error *err);
int store_mailbox_members(struct store *st, int64_t mailbox_id,
	struct arena *a, int64_t **person_ids_r, size_t *count_r,
	struct error *err);

struct store_grant {
	int64_t mailbox_id;
	int64_t person_id;
	const char *right;	/* full_access, send_as, send_on_behalf */
	int64_t granted_at;
};

int store_grant_add(struct store *st, const struct store_grant *g,
	struct error *err);
int store_grant_remove(struct store *st, const struct store_grant *g,
	struct error *err);
/* Grants on a mailbox (person_id 0) or held by a person (mailbox_id 0). */
int store_grant_list(struct store *st, int64_t mailbox_id, int64_t person_id,
	struct arena *a, struct store_grant **grants_r, size_t *count_r,
	struct error *err);

struct store_role {
	int64_t person_id;
	int64_t org_id;
	const char *role;
	int64_t granted_at;
};

int store_role_add(struct store *st, const struct store_role *r,
	struct error *err);
int store_role_remove(struct store *st, const struct store_role *r,
	struct error *err);
/* Every role a person holds; removes them all with remove_all. */
int store_role_list(struct store *st, int64_t person_id, struct arena *a,
	struct store_role **roles_r, size_t *count_r, struct error *err);
/* Roles held for an org (every person), or every role when org_id is 0. */
/* The roles of every person in person_ids, by person, in one query. */
int store_role_list_for_people(struct store *st, const int64_t *person_ids,
	size_t count, struct arena *a, struct store_role **roles_r,
	size_t *count_r, struct error *err);
int store_role_list_for_org(struct store *st, int64_t org_id, struct arena *a,
	struct store_role **roles_r, size_t *count_r, struct error *err);
int store_role_remove_all(struct store *st, int64_t person_id,
	struct error *err);

/* ---- the address registry: an address once held is held forever ---- */

struct store_address {
	const char *address;
	struct store_ref holder;	/* who was given it */
	int64_t assigned_at;
};

/* Records address as held by holder; ERROR_EXISTS if ever held before. */
int store_address_reserve(struct store *st, const char *address,
	struct store_ref holder, int64_t now, struct error *err);
/* Who holds or held address; ERROR_NOT_FOUND if never assigned. */
int store_address_get(struct store *st, const char *address, struct arena *a,
	struct store_address *addr_r, struct error *err);

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

/*
 * Appends row, chained to the newest row, in the caller's transaction (or
 * one of its own), and sets row->id. The newest row is read and the new
 * one written under the same write lock, so rows appended at once from
 * many connections still form one chain. key is STORE_AUDIT_KEY_BYTES.
 */
int store_audit_append(struct store *st, struct store_audit *row,
	const unsigned char *key, struct error *err);

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

/*
 * Checks the chain in id order and names the first row that is broken:
 * without a hash, with a hash that does not match its contents, not
 * following the row before it (a row removed or slipped in), or not
 * starting the chain. from NULL checks every row; otherwise only from->id
 * and the rows after it, and from->id must still be there with
 * from->hash (an earlier check's last row). anchor, if not NULL, names a
 * row that must still be there with that hash: a chain cut short at the
 * end is whole by itself, so only a row remembered outside the database
 * shows rows were removed from the end. One read of the table (one
 * snapshot); -1 only when the store cannot be read.
 */
int store_audit_verify(struct store *st, const unsigned char *key,
	const struct store_audit_mark *from,
	const struct store_audit_mark *anchor, struct store_audit_check *r,
	struct error *err);

/*
 * Chains the rows written before the audit chain existed (they have no
 * hash), as they are now, in one transaction; *sealed_r counts them.
 * Only rows older than the first chained row are touched, so a hash wiped
 * from a chained row is never replaced. For the instance to call once,
 * when it first makes its audit key.
 */
int store_audit_seal(struct store *st, const unsigned char *key,
	int64_t *sealed_r, struct error *err);

struct store_audit_filter {
	const char *object_type;	/* NULL: any */
	const char *action;		/* NULL: any */
	const char *actor;		/* NULL: any */
	int64_t org_id;			/* 0: any */
	int64_t since, until;		/* inclusive; 0: unbounded */
	int64_t before_id;		/* paging, newest first; 0: from the top */
	size_t limit;
};

/* Rows matching the filter, newest first. */
int store_audit_list(struct store *st, const struct store_audit_filter *f,
	struct arena *a, struct store_audit **rows_r, size_t *count_r,
	struct error *err);

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
	int64_t uidnext;
	bool subscribed;
	int64_t created_at;
};

/* Creates a folder; ERROR_EXISTS when the mailbox has one of that name. */
int store_folder_create(struct store *st, struct store_folder *f,
	struct error *err);
int store_folder_get(struct store *st, int64_t mailbox_id, const char *name,
	struct arena *a, struct store_folder *f_r, struct error *err);
/* The folder with a special use in a mailbox; ERROR_NOT_FOUND if none. */
int store_folder_special(struct store *st, int64_t mailbox_id,
	const char *special_use, struct arena *a, struct store_folder *f_r,
	struct error *err);
/* A mailbox's folders, by name. */
int store_folder_list(struct store *st, int64_t mailbox_id, struct arena *a,
	struct store_folder **folders_r, size_t *count_r, struct error *err);

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

/*
 * The id of the stored body with b's hash: the one already held, or a new
 * row whose bytes are written a piece at a time, so a message of any size
 * is never built whole in memory on its way in. In the caller's
 * transaction; -1 with err.
 */
int64_t store_body_put(struct store *st, const struct store_body *b,
	struct error *err);

struct store_delivery {
	int64_t body_id;	/* from store_body_put */
	int64_t size;		/* the body's */
	int64_t internal_date;
	const int64_t *folder_ids;	/* one index row in each */
	size_t folder_count;
	const char *sender;	/* envelope sender, for queued copies */
	const char *const *remote;	/* recipients to queue for delivery */
	size_t remote_count;
};

/*
 * Adds one message row for the body to each folder with the next UID of
 * that folder, charges the size to each folder's mailbox, and queues
 * remote copies, all or nothing. Runs in the caller's transaction; uids_r[i]
 * receives the UID given in folder_ids[i].
 */
int store_deliver(struct store *st, const struct store_delivery *d,
	int64_t *uids_r, struct error *err);

/*
 * Delivers d's body to the Inbox of every mailbox in the scope and queues
 * it for each outside address, as store_deliver does, in a fixed number of
 * statements whatever the scope's size; d's folder_ids and remote are not
 * read. *delivered_r gets the number of mailboxes. All or nothing, in the
 * caller's transaction; ERROR_TEMPORARY naming a mailbox that has no Inbox
 * (every mailbox is made with one).
 */
int store_deliver_set(struct store *st, int64_t scope,
	const struct store_delivery *d, int64_t *delivered_r,
	struct error *err);

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

/*
 * A body's bytes copied into the arena (NUL-terminated after size), read
 * from the store a piece at a time. ERROR_LIMIT past the arena's cap.
 */
int store_body_get(struct store *st, int64_t body_id, struct arena *a,
	const char **data_r, size_t *size_r, struct error *err);

/* Bytes of mail held by a mailbox, for its quota. */
int store_mailbox_used(struct store *st, int64_t mailbox_id,
	int64_t *used_r, struct error *err);

struct store_queued {
	int64_t id;
	int64_t body_id;
	const char *sender;
	const char *recipient;
	int64_t created_at;
	int64_t next_attempt_at;
	int64_t attempts;
	const char *last_error;
};

/* The outbound queue, oldest first. */
int store_queue_list(struct store *st, struct arena *a,
	struct store_queued **items_r, size_t *count_r, struct error *err);

/* ---- group commit ---- */

/*
 * The writer: one connection and one thread that runs write jobs from many
 * sessions in shared transactions, so concurrent deliveries share a single
 * flush to stable storage (ARCHITECTURE "Concurrency"). A caller's job runs
 * on the writer's thread while the caller waits; anything it allocates must
 * come from memory the caller owns and does not touch until the call
 * returns.
 */
struct store_writer;

struct store_writer *store_writer_start(const char *backend, const char *path,
	int busy_timeout_ms, struct error *err);
/* Finishes queued jobs, stops the thread, closes; sets *w to NULL. */
void store_writer_stop(struct store_writer **w);

/*
 * Runs job(st, arg, err) in a transaction shared with other jobs, each in
 * its own savepoint so one failing job leaves the others whole. Returns 0
 * only once the job's changes are durable; -1 with the job's error, or
 * ERROR_TEMPORARY if the shared commit failed (nothing of the job stays).
 */
int store_writer_run(struct store_writer *w,
	int (*job)(struct store *st, void *arg, struct error *err), void *arg,
	struct error *err);

/* How many shared commits the writer has made: jobs per flush = jobs/commits. */
uint64_t store_writer_commits(struct store_writer *w);

/* ---- change notification (store_change.c) ---- */

/*
 * "Folder F of mailbox M changed": what IMAP IDLE and a selected session
 * wait on. A writer notes changes with store_changed inside its
 * transaction; the store reports them to every subscriber once that
 * transaction has committed, never for work rolled back. mailbox_id
 * STORE_CHANGE_ANY means any mailbox may have changed (a list's delivery,
 * whose members are not read back); folder_id 0 means some folder of the
 * mailbox. In-process now; a PostgreSQL backend reports the same notes
 * through NOTIFY and LISTEN (docs/design.md "Change notification").
 */
#define STORE_CHANGE_ANY 0

struct store_change {
	int64_t mailbox_id; /* STORE_CHANGE_ANY: every mailbox */
	int64_t folder_id;  /* 0: some folder of it */
};

/*
 * Called on the committing thread (the writer's, for writer jobs) after
 * the commit, with the transaction's changes; it must not block or call
 * the store.
 */
typedef void store_change_fn(void *arg, const struct store_change *changes,
	size_t count);

/* Adds a subscriber for the life of the process; ERROR_INTERNAL past 4. */
int store_change_subscribe(store_change_fn *fn, void *arg, struct error *err);

/*
 * Notes that folder_id of mailbox_id changed, for the subscribers once the
 * open transaction commits (at once outside one). Never fails: past a
 * bound the transaction reports STORE_CHANGE_ANY instead.
 */
void store_changed(struct store *st, int64_t mailbox_id, int64_t folder_id);

/* ---- sign-in: sessions, lockout, own passwords, TOTP (SPEC P1) ---- */

struct store_session {
	int64_t id;
	const char *token_hash;	/* hex SHA-256 of the cookie's token */
	const char *csrf_token;	/* sent back in X-CSRF-Token */
	int64_t person_id;
	int64_t created_at, last_seen_at;
};

/* Inserts s (its id is filled); ERROR_EXISTS on a token hash held. */
int store_session_insert(struct store *st, struct store_session *s,
	struct error *err);
/* The session whose token hashes to token_hash; ERROR_NOT_FOUND if none. */
int store_session_get(struct store *st, const char *token_hash,
	struct arena *a, struct store_session *s_r, struct error *err);
int store_session_touch(struct store *st, int64_t id, int64_t now,
	struct error *err);
/* Deletes one session; deleting one already gone is not an error. */
int store_session_delete(struct store *st, int64_t id, struct error *err);
/* Deletes every session a person has, when they are locked or reset. */
int store_session_delete_person(struct store *st, int64_t person_id,
	struct error *err);

/* What sign-in needs beyond struct store_person; never logged. */
struct store_signin {
	int64_t failed_signins;	/* consecutive, since the last success */
	int64_t locked_at;	/* 0 unless locked */
	int64_t password_self_set_at;	/* 0 never */
	const char *mfa_secret;	/* base32 TOTP key, "" none */
	int64_t mfa_enrolled_at;	/* 0 until a first code is checked */
	int64_t mfa_last_step;	/* the last RFC 6238 time step accepted */
};

int store_signin_get(struct store *st, int64_t person_id, struct arena *a,
	struct store_signin *s_r, struct error *err);
/*
 * Counts one more failure; at lock_after failures sets locked_at to now.
 * *failures_r and *locked_r tell the outcome.
 */
int store_signin_failed(struct store *st, int64_t person_id,
	int64_t lock_after, int64_t now, int64_t *failures_r, bool *locked_r,
	struct error *err);
/* Clears the failure count after a good sign-in. */
int store_signin_succeeded(struct store *st, int64_t person_id,
	struct error *err);
/*
 * Lifts a lock and clears the failure count; ERROR_INVALID when the
 * account is not locked. Lifecycle status is never touched (SPEC L7).
 */
int store_signin_unlock(struct store *st, int64_t person_id,
	struct error *err);
/* Sets the person's own new password: its hash and self-set time. */
int store_password_self_set(struct store *st, int64_t person_id,
	const char *hash, int64_t now, struct error *err);
/* Stores a new TOTP secret; enrolment is not complete until mfa_enrol. */
int store_mfa_secret_set(struct store *st, int64_t person_id,
	const char *secret, struct error *err);
int store_mfa_enrol(struct store *st, int64_t person_id, int64_t now,
	struct error *err);
/*
 * Records time step `step` as used, only if it is later than the last one:
 * 0 when it was, ERROR_DENIED when step was used already (a replay).
 */
int store_mfa_step_use(struct store *st, int64_t person_id, int64_t step,
	struct error *err);

/* ---- users area: what a person holds elsewhere (issue 4) ---- */

/* One thing a person holds on a mailbox or list that is not their own. */
struct store_holding {
	const char *relation;	/* owner, member, full_access, send_as,
				   send_on_behalf */
	const char *object_kind;	/* user, shared, resource, list */
	int64_t object_id;
	int64_t org_id;		/* the object's org */
	const char *address;
};

/*
 * Ownerships, memberships (of shared mailboxes, and of static lists
 * through mailbox_id) and grants the person holds on live objects, by
 * address then relation.
 */
int store_person_holdings(struct store *st, int64_t person_id,
	int64_t mailbox_id, struct arena *a, struct store_holding **holdings_r,
	size_t *count_r, struct error *err);


/* ---- self-service and API tokens (SPEC P11, P16; area selfsvc) ---- */

#define STORE_SECURITY_ANSWERS 3

/* One security question and the Argon2id hash of its answer. */
struct store_security_answer {
	const char *question;
	const char *answer_hash;
};

/* Replaces a person's answers with these STORE_SECURITY_ANSWERS. */
int store_security_answers_set(struct store *st, int64_t person_id,
	const struct store_security_answer *answers, struct error *err);
/* A person's answers in order; *count_r is 0 when none are set. */
int store_security_answers_get(struct store *st, int64_t person_id,
	struct arena *a, struct store_security_answer **answers_r,
	size_t *count_r, struct error *err);

/* Records the Acceptable Use Policy version accepted at `now`. */
int store_aup_accept(struct store *st, int64_t person_id,
	const char *version, int64_t now, struct error *err);
/* When (0: never) and which version the person accepted. */
int store_aup_get(struct store *st, int64_t person_id, struct arena *a,
	int64_t *at_r, const char **version_r, struct error *err);

/* The one live recovery code of a person. */
struct store_recovery_code {
	int64_t person_id;
	const char *code_hash;	/* "salt$sha256", hex */
	int64_t created_at, expires_at;
	int64_t attempts;	/* wrong tries so far */
	int64_t used_at;	/* 0 until spent */
};

/* Replaces any earlier code of the person: only the latest one works. */
int store_recovery_code_set(struct store *st,
	const struct store_recovery_code *c, struct error *err);
/* ERROR_NOT_FOUND when the person has none. */
int store_recovery_code_get(struct store *st, int64_t person_id,
	struct arena *a, struct store_recovery_code *c_r, struct error *err);
/* Counts one wrong try. */
int store_recovery_code_failed(struct store *st, int64_t person_id,
	struct error *err);
/* Spends the code; ERROR_DENIED when it was spent already (a race). */
int store_recovery_code_use(struct store *st, int64_t person_id,
	int64_t now, struct error *err);

/*
 * The instance secret called name, made from `fresh` (kept) the first
 * time it is asked for.
 */
int store_secret_get(struct store *st, const char *name, const char *fresh,
	struct arena *a, const char **value_r, struct error *err);

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

/* Inserts t and fills its id; ERROR_EXISTS on a label used in the org. */
int store_api_token_insert(struct store *st, struct store_api_token *t,
	struct error *err);
/* ERROR_NOT_FOUND for an unknown hash. */
int store_api_token_by_hash(struct store *st, const char *token_hash,
	struct arena *a, struct store_api_token *t_r, struct error *err);
int store_api_token_get(struct store *st, int64_t id, struct arena *a,
	struct store_api_token *t_r, struct error *err);
/* Tokens of one org (org_count 1) or all (0) with id > after_id, by id. */
int store_api_token_list(struct store *st, const int64_t *org_ids,
	size_t org_count, int64_t after_id, size_t limit, struct arena *a,
	struct store_api_token **tokens_r, size_t *count_r,
	struct error *err);
/* ERROR_INVALID when it was revoked already. */
int store_api_token_revoke(struct store *st, int64_t id, int64_t now,
	struct error *err);
int store_api_token_touch(struct store *st, int64_t id, int64_t now,
	struct error *err);

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

/* Inserts a and fills its id; ERROR_EXISTS for a label the person has. */
int store_app_password_insert(struct store *st, struct store_app_password *a,
	struct error *err);
/* The person's app password with this hash; ERROR_NOT_FOUND for none. */
int store_app_password_find(struct store *st, int64_t person_id,
	const char *secret_hash, struct arena *a, struct store_app_password *r,
	struct error *err);
/* The person's app passwords, oldest first. */
int store_app_password_list(struct store *st, int64_t person_id,
	struct arena *a, struct store_app_password **list_r, size_t *count_r,
	struct error *err);
/* Deletes one; ERROR_NOT_FOUND when the person has no such id. */
int store_app_password_delete(struct store *st, int64_t person_id, int64_t id,
	struct error *err);
/* Deletes all of a person's; *count_r says how many (may be NULL). */
int store_app_password_delete_person(struct store *st, int64_t person_id,
	int64_t *count_r, struct error *err);
/* Records a use, at most once a minute so sign-ins rarely write. */
int store_app_password_touch(struct store *st, int64_t id, int64_t now,
	const char *protocol, struct error *err);

/* ---- lists area: paging, list reviews, rule counts, settings ---- */

/* Live mailboxes of a kind ("" any) in an org (0 any), by id, after after_id. */
int store_mailbox_page(struct store *st, const int64_t *org_ids,
	size_t org_count, const char *kind, int64_t after_id, size_t limit,
	struct arena *a, struct store_mailbox **m_r, size_t *count_r,
	struct error *err);
/* Live contacts of the orgs (org_ids NULL: any), by id, after after_id. */
int store_contact_page(struct store *st, const int64_t *org_ids,
	size_t org_count, int64_t after_id, size_t limit, struct arena *a,
	struct store_contact **c_r, size_t *count_r, struct error *err);
/*
 * Live lists of an org (0 any) with a status ("" any), by id. With
 * awaiting set, only lists waiting for a decision: pending ones and
 * approved ones with a change asked for.
 */
int store_list_page(struct store *st, const int64_t *org_ids,
	size_t org_count, const char *status, bool awaiting, int64_t after_id,
	size_t limit, struct arena *a, struct store_list **l_r,
	size_t *count_r, struct error *err);
/* Live dynamic lists whose rule mentions text (ASCII case ignored). */
int store_list_rules_naming(struct store *st, const char *text,
	struct arena *a, struct store_list **l_r, size_t *count_r,
	struct error *err);

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

/* The list's review row; an empty one (list_id set) when there is none. */
int store_list_review_get(struct store *st, int64_t list_id, struct arena *a,
	struct store_list_review *r_r, struct error *err);
/* Inserts or replaces the list's review row. */
int store_list_review_put(struct store *st, const struct store_list_review *r,
	struct error *err);

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

/* How many live people match, counted in the database (no size limit). */
int store_rule_count(struct store *st, const struct store_rule_query *q,
	struct arena *a, int64_t *count_r, struct error *err);

/*
 * ---- recipient sets: lists expanded inside the database ----
 *
 * A set is numbered scopes of mailbox ids and outside addresses in
 * temporary tables of this connection, so lists of any size are expanded,
 * counted and delivered without their members in memory. Each member is
 * in a scope once. The tables are made when the connection opens
 * (store_set_tables, called by store_open); store_set_begin empties them;
 * scope -1 to store_set_drop means every scope.
 */
int store_set_tables(struct store *st, struct error *err);
int store_set_begin(struct store *st, struct error *err);
int store_set_drop(struct store *st, int64_t scope, struct error *err);
int store_set_add_mailbox(struct store *st, int64_t scope, int64_t mailbox_id,
	struct error *err);
int store_set_add_remote(struct store *st, int64_t scope, const char *address,
	struct error *err);
/* A static list's live mailboxes and contacts (not its nested lists). */
int store_set_add_static(struct store *st, int64_t scope, int64_t list_id,
	struct error *err);
/* The ids of the lists that are members of a static list. */
int store_set_nested_lists(struct store *st, int64_t list_id, struct arena *a,
	int64_t **ids_r, size_t *count_r, struct error *err);
/* The mailboxes of the live people a dynamic list's rule reaches. */
int store_set_add_rule(struct store *st, int64_t scope,
	const struct store_rule_query *q, struct arena *a, struct error *err);
/* Adds to `into` what is in `from` and not in `except` (-1: none). */
int store_set_merge(struct store *st, int64_t into, int64_t from,
	int64_t except, struct error *err);
/* Mailboxes and outside addresses in a scope. */
int store_set_count(struct store *st, int64_t scope, int64_t *count_r,
	struct error *err);
/* Every address in a scope, sorted, into arena a. */
int store_set_addresses(struct store *st, int64_t scope, struct arena *a,
	const char ***addresses_r, size_t *count_r, struct error *err);
/*
 * Takes out of a scope the mailboxes `size` more bytes would put over
 * their quota, except those also in scope `except`; *dropped_r says how
 * many.
 */
int store_set_drop_full(struct store *st, int64_t scope, int64_t except,
	int64_t size, int64_t *dropped_r, struct error *err);

/* A run-time setting's value; ERROR_NOT_FOUND when never set. */
int store_setting_get(struct store *st, const char *name, struct arena *a,
	const char **value_r, const char **updated_by_r, int64_t *updated_at_r,
	struct error *err);
int store_setting_set(struct store *st, const char *name, const char *value,
	const char *updated_by, int64_t now, struct error *err);

/* ---- People Finder, devices report, audit scope (finder) ---- */

/* Longest key kept, in bytes; longer words are cut to this. */
#define STORE_SEARCH_KEY_MAX 48
/* Most words one search may require (name, email and job title together). */
#define STORE_SEARCH_WORDS_MAX 6

/*
 * The People Finder keys of a person, as stored: "n:" and each folded
 * word of their first, last and display names, "j:" and each word of the
 * job title (core/fold.h), each once. The address key ("e:" and the
 * lower-case address) is added by the store beside these. Pure; -1 past
 * the arena's cap.
 */
int store_search_keys(const char *first_name, const char *last_name,
	const char *display_name, const char *job_title, struct arena *a,
	char ***keys_r, size_t *count_r);

/*
 * Name order, as People Finder pages are sorted: by this text, the folded
 * (core/fold.h) "last\x01first", compared byte by byte, then by person id.
 * Kept in people.sort_name and in each search key. NULL past the arena's
 * cap.
 */
char *store_search_sort(const char *last_name, const char *first_name,
	struct arena *a);

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
};

/* A person found, with their org's and site's names as shown. */
struct store_person_match {
	struct store_person person;
	const char *org_ods, *org_name;
	const char *helpdesk_phone, *helpdesk_email;	/* the org's */
	const char *site_name, *site_type;	/* "" when no site */
};

/*
 * Live (not deleted) people matching q: the first q->limit of them in name
 * order (store_search_sort), all when fewer match, returned in no order
 * (the caller sorts them by the same rule). ERROR_INVALID when q names no
 * word, org or site type, or more than STORE_SEARCH_WORDS_MAX words.
 */
int store_person_search(struct store *st, const struct store_person_query *q,
	struct arena *a, struct store_person_match **rows_r, size_t *count_r,
	struct error *err);

/* The org whose ODS code is text, else the orgs whose name contains it. */
int store_org_find(struct store *st, const char *text, struct arena *a,
	int64_t **ids_r, size_t *count_r, struct error *err);

/* One row of the devices report: a device and whose it is. */
struct store_device_row {
	int64_t id;		/* the cursor */
	struct store_device device;
	const char *person_address, *person_name, *org_ods;
};

/* Devices of live people in the orgs, by id after after_id, at most limit. */
int store_device_report(struct store *st, const int64_t *org_ids,
	size_t org_count, int64_t after_id, size_t limit, struct arena *a,
	struct store_device_row **rows_r, size_t *count_r, struct error *err);

/*
 * Audit rows as store_audit_list, restricted to rows of the orgs given
 * (rows with no org are outside every set); org_ids NULL: no restriction.
 */
int store_audit_search(struct store *st, const struct store_audit_filter *f,
	const int64_t *org_ids, size_t org_count, struct arena *a,
	struct store_audit **rows_r, size_t *count_r, struct error *err);

#endif
