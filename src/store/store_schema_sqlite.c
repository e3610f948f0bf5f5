/*
 * The SQLite schema as numbered migrations. Layer: store. A released
 * migration is never edited; a change is a new entry at the end. Times are
 * UTC epoch seconds; 0 or NULL means "never".
 */
#include <stddef.h>

#include "store/store_schema.h"

extern const char *const store_sqlite_migrations[];
extern const char store_sqlite_session_tables[];

static const char migration_1[] =
	"CREATE TABLE orgs ("
	" id INTEGER PRIMARY KEY,"
	" ods TEXT NOT NULL UNIQUE,"
	" name TEXT NOT NULL,"
	" type TEXT NOT NULL DEFAULT '',"
	" parent_id INTEGER REFERENCES orgs(id),"
	" postal_address TEXT NOT NULL DEFAULT '',"
	" description TEXT NOT NULL DEFAULT '',"
	" website TEXT NOT NULL DEFAULT '',"
	" helpdesk_phone TEXT NOT NULL DEFAULT '',"
	" helpdesk_email TEXT NOT NULL DEFAULT '',"
	" default_quota_mb INTEGER NOT NULL,"
	" created_at INTEGER NOT NULL,"
	" updated_at INTEGER NOT NULL);"
	"CREATE INDEX orgs_parent ON orgs(parent_id);"

	"CREATE TABLE sites ("
	" id INTEGER PRIMARY KEY,"
	" org_id INTEGER NOT NULL REFERENCES orgs(id),"
	" name TEXT NOT NULL,"
	" site_type TEXT NOT NULL,"
	" postal_address TEXT NOT NULL DEFAULT '',"
	" created_at INTEGER NOT NULL,"
	" UNIQUE (org_id, name));"

	/* Every address-holding object; a user mailbox belongs to a person. */
	"CREATE TABLE mailboxes ("
	" id INTEGER PRIMARY KEY,"
	" kind TEXT NOT NULL CHECK (kind IN ('user', 'shared', 'resource')),"
	" org_id INTEGER NOT NULL REFERENCES orgs(id),"
	" person_id INTEGER,"
	" address TEXT NOT NULL,"
	" display_name TEXT NOT NULL,"
	" quota_mb INTEGER NOT NULL,"
	" status TEXT NOT NULL DEFAULT 'active',"
	" created_at INTEGER NOT NULL,"
	" updated_at INTEGER NOT NULL,"
	" deleted_at INTEGER);"
	"CREATE INDEX mailboxes_address ON mailboxes(address);"
	"CREATE INDEX mailboxes_org ON mailboxes(org_id, kind);"

	"CREATE TABLE people ("
	" id INTEGER PRIMARY KEY,"
	" org_id INTEGER NOT NULL REFERENCES orgs(id),"
	" site_id INTEGER REFERENCES sites(id),"
	" mailbox_id INTEGER NOT NULL UNIQUE REFERENCES mailboxes(id),"
	" first_name TEXT NOT NULL,"
	" last_name TEXT NOT NULL,"
	" display_name TEXT NOT NULL,"
	" job_title TEXT NOT NULL DEFAULT '',"
	" department TEXT NOT NULL DEFAULT '',"
	" phone TEXT NOT NULL DEFAULT '',"
	" mobile TEXT NOT NULL DEFAULT '',"
	" mobile_hidden INTEGER NOT NULL DEFAULT 0,"
	" notes TEXT NOT NULL DEFAULT '',"
	" status TEXT NOT NULL DEFAULT 'active',"
	" sync_id TEXT,"
	" password_hash TEXT NOT NULL DEFAULT '',"
	" password_changed_at INTEGER,"
	" last_signin_at INTEGER,"
	" created_at INTEGER NOT NULL,"
	" updated_at INTEGER NOT NULL,"
	" deleted_at INTEGER,"
	" UNIQUE (org_id, sync_id));"
	"CREATE INDEX people_org ON people(org_id);"

	"CREATE TABLE contacts ("
	" id INTEGER PRIMARY KEY,"
	" org_id INTEGER NOT NULL REFERENCES orgs(id),"
	" display_name TEXT NOT NULL,"
	" address TEXT NOT NULL,"
	" created_at INTEGER NOT NULL,"
	" updated_at INTEGER NOT NULL,"
	" deleted_at INTEGER);"
	"CREATE INDEX contacts_address ON contacts(address);"
	"CREATE INDEX contacts_org ON contacts(org_id);"

	"CREATE TABLE lists ("
	" id INTEGER PRIMARY KEY,"
	" org_id INTEGER NOT NULL REFERENCES orgs(id),"
	" kind TEXT NOT NULL CHECK (kind IN ('static', 'dynamic')),"
	" name TEXT NOT NULL,"
	" address TEXT NOT NULL,"
	" description TEXT NOT NULL DEFAULT '',"
	" status TEXT NOT NULL DEFAULT 'approved'"
	"  CHECK (status IN ('approved', 'pending', 'rejected')),"
	" rule TEXT NOT NULL DEFAULT '',"
	" created_at INTEGER NOT NULL,"
	" updated_at INTEGER NOT NULL,"
	" deleted_at INTEGER);"
	"CREATE INDEX lists_address ON lists(address);"
	"CREATE INDEX lists_org ON lists(org_id);"

	"CREATE TABLE list_members ("
	" list_id INTEGER NOT NULL REFERENCES lists(id),"
	" member_kind TEXT NOT NULL"
	"  CHECK (member_kind IN ('mailbox', 'contact', 'list')),"
	" member_id INTEGER NOT NULL,"
	" PRIMARY KEY (list_id, member_kind, member_id));"

	"CREATE TABLE owners ("
	" object_kind TEXT NOT NULL CHECK (object_kind IN ('mailbox', 'list')),"
	" object_id INTEGER NOT NULL,"
	" person_id INTEGER NOT NULL REFERENCES people(id),"
	" PRIMARY KEY (object_kind, object_id, person_id));"

	"CREATE TABLE mailbox_members ("
	" mailbox_id INTEGER NOT NULL REFERENCES mailboxes(id),"
	" person_id INTEGER NOT NULL REFERENCES people(id),"
	" PRIMARY KEY (mailbox_id, person_id));"

	"CREATE TABLE grants ("
	" mailbox_id INTEGER NOT NULL REFERENCES mailboxes(id),"
	" person_id INTEGER NOT NULL REFERENCES people(id),"
	" right TEXT NOT NULL"
	"  CHECK (right IN ('full_access', 'send_as', 'send_on_behalf')),"
	" granted_at INTEGER NOT NULL,"
	" PRIMARY KEY (mailbox_id, person_id, right));"
	"CREATE INDEX grants_person ON grants(person_id);"

	"CREATE TABLE roles ("
	" person_id INTEGER NOT NULL REFERENCES people(id),"
	" org_id INTEGER NOT NULL REFERENCES orgs(id),"
	" role TEXT NOT NULL,"
	" granted_at INTEGER NOT NULL,"
	" PRIMARY KEY (person_id, org_id, role));"
	"CREATE INDEX roles_org ON roles(org_id);"

	/* Never deleted: an address once assigned stays reserved (SPEC D3). */
	"CREATE TABLE addresses ("
	" address TEXT PRIMARY KEY,"
	" holder_kind TEXT NOT NULL,"
	" holder_id INTEGER NOT NULL,"
	" assigned_at INTEGER NOT NULL);"
	"CREATE TRIGGER addresses_keep BEFORE DELETE ON addresses"
	" BEGIN SELECT RAISE(ABORT, 'addresses are reserved forever'); END;"

	"CREATE TABLE audit ("
	" id INTEGER PRIMARY KEY,"
	" at INTEGER NOT NULL,"
	" actor TEXT NOT NULL,"
	" action TEXT NOT NULL"
	"  CHECK (action IN ('create', 'update', 'delete', 'other')),"
	" object_type TEXT NOT NULL,"
	" object_id INTEGER NOT NULL,"
	" org_id INTEGER,"
	" summary TEXT NOT NULL);"
	"CREATE INDEX audit_at ON audit(at);"
	"CREATE INDEX audit_org ON audit(org_id, id);"
	"CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit"
	" BEGIN SELECT RAISE(ABORT, 'audit rows are append-only'); END;"
	"CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit"
	" BEGIN SELECT RAISE(ABORT, 'audit rows are append-only'); END;";

/*
 * Mail: bodies stored once as content-addressed blobs; one index row per
 * message per folder with what IMAP needs computed at delivery (RFC 3501);
 * UIDVALIDITY/UIDNEXT per folder; bytes used per mailbox for quotas; the
 * outbound queue. Blobs live in the database so one commit makes a body
 * and all its index rows durable together.
 */
static const char migration_2[] =
	"CREATE TABLE blobs ("
	" hash TEXT PRIMARY KEY,"
	" size INTEGER NOT NULL,"
	" data BLOB NOT NULL,"
	" created_at INTEGER NOT NULL);"

	"CREATE TABLE folders ("
	" id INTEGER PRIMARY KEY,"
	" mailbox_id INTEGER NOT NULL REFERENCES mailboxes(id),"
	" name TEXT NOT NULL,"
	" special_use TEXT NOT NULL DEFAULT '',"
	" uidvalidity INTEGER NOT NULL,"
	" uidnext INTEGER NOT NULL DEFAULT 1,"
	" subscribed INTEGER NOT NULL DEFAULT 1,"
	" created_at INTEGER NOT NULL,"
	" UNIQUE (mailbox_id, name));"

	"CREATE TABLE messages ("
	" id INTEGER PRIMARY KEY,"
	" folder_id INTEGER NOT NULL REFERENCES folders(id),"
	" uid INTEGER NOT NULL,"
	" blob_hash TEXT NOT NULL REFERENCES blobs(hash),"
	" size INTEGER NOT NULL,"
	" internal_date INTEGER NOT NULL,"
	" flags INTEGER NOT NULL DEFAULT 0,"
	" keywords TEXT NOT NULL DEFAULT '',"
	" envelope TEXT NOT NULL DEFAULT '',"
	" bodystructure TEXT NOT NULL DEFAULT '',"
	" body TEXT NOT NULL DEFAULT '',"
	" subject TEXT NOT NULL DEFAULT '',"
	" from_addr TEXT NOT NULL DEFAULT '',"
	" to_addr TEXT NOT NULL DEFAULT '',"
	" cc_addr TEXT NOT NULL DEFAULT '',"
	" bcc_addr TEXT NOT NULL DEFAULT '',"
	" message_id TEXT NOT NULL DEFAULT '',"
	" sent_date INTEGER NOT NULL DEFAULT 0,"
	" header_size INTEGER NOT NULL DEFAULT 0,"
	" UNIQUE (folder_id, uid));"

	"ALTER TABLE mailboxes ADD COLUMN used_bytes INTEGER NOT NULL DEFAULT 0;"

	"CREATE TABLE queue ("
	" id INTEGER PRIMARY KEY,"
	" blob_hash TEXT NOT NULL REFERENCES blobs(hash),"
	" sender TEXT NOT NULL,"
	" recipient TEXT NOT NULL,"
	" created_at INTEGER NOT NULL,"
	" next_attempt_at INTEGER NOT NULL,"
	" attempts INTEGER NOT NULL DEFAULT 0,"
	" last_error TEXT NOT NULL DEFAULT '');"
	"CREATE INDEX queue_due ON queue(next_attempt_at);";

/*
 * Protocol switches per person and per org (SPEC A4) as comma-separated
 * protocol names, and the clients each person signs in with (SPEC A7).
 */
static const char migration_3[] =
	"ALTER TABLE people ADD COLUMN protocols_off TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE orgs ADD COLUMN protocols_off TEXT NOT NULL DEFAULT '';"
	"CREATE TABLE devices ("
	" id INTEGER PRIMARY KEY,"
	" person_id INTEGER NOT NULL REFERENCES people(id),"
	" protocol TEXT NOT NULL,"
	" client TEXT NOT NULL,"
	" address TEXT NOT NULL,"
	" first_seen INTEGER NOT NULL,"
	" last_seen INTEGER NOT NULL,"
	" UNIQUE (person_id, protocol, client, address));";

/*
 * SELECT and STATUS count messages and unseen ones per folder; this index
 * answers them without reading whole rows (a cold SELECT of 50,000
 * messages took 1.9 s without it).
 */
static const char migration_4[] =
	"CREATE INDEX messages_flags ON messages(folder_id, flags, uid);";

/*
 * Portal and API sign-in (SPEC P1): sessions kept by the SHA-256 of their
 * token, consecutive sign-in failures and the lock they lead to, whether
 * the person chose their current password themselves (its change time is
 * copied when they do, so a password set by anyone else no longer matches),
 * and TOTP (RFC 6238): the secret, when enrolment completed, and the last
 * time step used, so each code is accepted once.
 */
static const char migration_5[] =
	"ALTER TABLE people ADD COLUMN failed_signins INTEGER NOT NULL"
	" DEFAULT 0;"
	"ALTER TABLE people ADD COLUMN locked_at INTEGER;"
	"ALTER TABLE people ADD COLUMN password_self_set_at INTEGER;"
	"ALTER TABLE people ADD COLUMN mfa_secret TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE people ADD COLUMN mfa_enrolled_at INTEGER;"
	"ALTER TABLE people ADD COLUMN mfa_last_step INTEGER NOT NULL"
	" DEFAULT 0;"
	"CREATE TABLE sessions ("
	" id INTEGER PRIMARY KEY,"
	" token_hash TEXT NOT NULL UNIQUE,"
	" csrf_token TEXT NOT NULL,"
	" person_id INTEGER NOT NULL REFERENCES people(id),"
	" created_at INTEGER NOT NULL,"
	" last_seen_at INTEGER NOT NULL);"
	"CREATE INDEX sessions_person ON sessions(person_id);";

/*
 * A covering index for what FETCH FLAGS, SELECT, STATUS and the IMAP view
 * read (store_folder.c BRIEF_COLUMNS; the rowid comes free), so they never
 * touch the wide rows with ENVELOPE and BODYSTRUCTURE in them: a cold
 * FETCH 1:* (FLAGS) over 50,000 messages read most of the table before.
 * It answers the counts too, so migration 4's narrower index goes.
 */
static const char migration_6[] =
	"CREATE INDEX messages_brief ON messages(folder_id, uid, flags,"
	" keywords, blob_hash, size, internal_date, sent_date, header_size);"
	"DROP INDEX messages_flags;";

/*
 * The narrow index comes back beside the covering one: SELECT's counts
 * scanned the 5 MiB covering index instead of this 0.7 MiB one, and cold
 * SELECT went from 38 ms to 130 ms on 50,000 messages (bench/RESULTS.md).
 */
static const char migration_7[] =
	"CREATE INDEX messages_flags ON messages(folder_id, flags, uid);";

/*
 * Self-service and application tokens (SPEC P11, P16): three hashed
 * security answers per person, when and which Acceptable Use Policy they
 * accepted, one live recovery code per person (hashed, expiring, with its
 * wrong tries counted), instance secrets made once (the key that picks
 * stable decoy questions), and API tokens kept by the SHA-256 of the token.
 */
static const char migration_8[] =
	"ALTER TABLE people ADD COLUMN aup_accepted_at INTEGER;"
	"ALTER TABLE people ADD COLUMN aup_version TEXT NOT NULL DEFAULT '';"
	"CREATE TABLE security_answers ("
	" person_id INTEGER NOT NULL REFERENCES people(id),"
	" position INTEGER NOT NULL,"
	" question TEXT NOT NULL,"
	" answer_hash TEXT NOT NULL,"
	" PRIMARY KEY (person_id, position));"
	"CREATE TABLE recovery_codes ("
	" person_id INTEGER PRIMARY KEY REFERENCES people(id),"
	" code_hash TEXT NOT NULL,"
	" created_at INTEGER NOT NULL,"
	" expires_at INTEGER NOT NULL,"
	" attempts INTEGER NOT NULL DEFAULT 0,"
	" used_at INTEGER);"
	"CREATE TABLE secrets ("
	" name TEXT PRIMARY KEY,"
	" value TEXT NOT NULL);"
	"CREATE TABLE api_tokens ("
	" id INTEGER PRIMARY KEY,"
	" token_hash TEXT NOT NULL UNIQUE,"
	" label TEXT NOT NULL,"
	" org_id INTEGER NOT NULL REFERENCES orgs(id),"
	" actions TEXT NOT NULL,"
	" allow_from TEXT NOT NULL DEFAULT '',"
	" created_by TEXT NOT NULL,"
	" created_at INTEGER NOT NULL,"
	" expires_at INTEGER NOT NULL,"
	" revoked_at INTEGER,"
	" last_used_at INTEGER,"
	" UNIQUE (org_id, label));";

/*
 * Distribution list approval (SPEC P6): a change an owner without an admin
 * role asks for waits in list_reviews beside the live list, which keeps
 * working as approved until an admin decides; the last decision and its
 * reason stay for the owner to read. settings holds switches an admin
 * flips at run time, such as the change freeze (seed 000).
 */
static const char migration_9[] =
	"CREATE TABLE list_reviews ("
	" list_id INTEGER PRIMARY KEY REFERENCES lists(id),"
	" change TEXT NOT NULL DEFAULT '',"
	" requested_by TEXT NOT NULL DEFAULT '',"
	" requested_at INTEGER NOT NULL DEFAULT 0,"
	" decision TEXT NOT NULL DEFAULT '',"
	" reason TEXT NOT NULL DEFAULT '',"
	" decided_by TEXT NOT NULL DEFAULT '',"
	" decided_at INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX lists_status ON lists(status, org_id);"
	"CREATE TABLE settings ("
	" name TEXT PRIMARY KEY,"
	" value TEXT NOT NULL,"
	" updated_by TEXT NOT NULL,"
	" updated_at INTEGER NOT NULL);";

/*
 * People Finder (SPEC D4, PERFORMANCE B5): one row per search key of each
 * live person (store_search.c), kept by the person's own write paths and
 * filled here for the people already stored, by the SQL function
 * caremail_search_keys (store_sqlite.c), which returns the same keys
 * space-separated; they go in in key order, so the table is written front
 * to back, and the indexes are built after, each by one sort. Keys by org answer an org's search without reading other orgs' people;
 * people by site answer a search by site type.
 */
static const char migration_10[] =
	"CREATE TABLE people_search ("
	" key TEXT NOT NULL,"
	" person_id INTEGER NOT NULL REFERENCES people(id),"
	" org_id INTEGER NOT NULL,"
	" PRIMARY KEY (key, person_id)) WITHOUT ROWID;"
	"INSERT OR IGNORE INTO people_search (key, person_id, org_id)"
	" WITH RECURSIVE split(person_id, org_id, key, rest) AS ("
	"  SELECT id, org_id, '', caremail_search_keys(first_name, last_name,"
	"   display_name, job_title) || ' ' FROM people"
	"   WHERE deleted_at IS NULL"
	"  UNION ALL"
	"  SELECT person_id, org_id, substr(rest, 1, instr(rest, ' ') - 1),"
	"   substr(rest, instr(rest, ' ') + 1) FROM split WHERE rest <> '')"
	" SELECT key, person_id, org_id FROM split WHERE key <> ''"
	" UNION ALL"
	" SELECT 'e:' || lower(m.address), p.id, p.org_id FROM people p"
	"  JOIN mailboxes m ON m.id = p.mailbox_id WHERE p.deleted_at IS NULL"
	" ORDER BY 1, 2;"
	"CREATE INDEX people_search_org ON people_search(org_id, key);"
	"CREATE INDEX people_search_person ON people_search(person_id, key);"
	"CREATE INDEX people_site ON people(site_id);";

/*
 * Each audit row says where the request came from, which request it was
 * (the X-Request-Id the API answered with) and whether the action was
 * done or refused (SECURITY.md 48: denials are recorded too).
 */
static const char migration_11[] =
	"ALTER TABLE audit ADD COLUMN client TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE audit ADD COLUMN request_id TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE audit ADD COLUMN result TEXT NOT NULL DEFAULT 'done'"
	" CHECK (result IN ('done', 'denied'));";

/*
 * A message is stored once, whatever the number of its copies (SPEC S7;
 * PERFORMANCE.md B2): `bodies` holds the bytes and everything worked out
 * from them at delivery (ENVELOPE, BODYSTRUCTURE, the decoded search
 * fields), and a message row keeps only what each copy has of its own:
 * its folder, UID, flags, keywords and internal date. A row was ~965
 * bytes with the summary and the covering index; it is now under 100, so
 * a message to a list of 100,000 is one body and 100,000 small rows. The
 * data column is last, so reading the summary never touches the body's
 * overflow pages. The queue keeps its rows, pointing at bodies by id.
 * A copy's size stays on its row: quotas and FETCH RFC822.SIZE read it
 * without a join on the hot listing paths.
 */
static const char migration_12[] =
	"CREATE TABLE bodies ("
	" id INTEGER PRIMARY KEY,"
	" hash TEXT NOT NULL UNIQUE,"
	" size INTEGER NOT NULL,"
	" sent_date INTEGER NOT NULL DEFAULT 0,"
	" header_size INTEGER NOT NULL DEFAULT 0,"
	" created_at INTEGER NOT NULL,"
	" subject TEXT NOT NULL DEFAULT '',"
	" from_addr TEXT NOT NULL DEFAULT '',"
	" to_addr TEXT NOT NULL DEFAULT '',"
	" cc_addr TEXT NOT NULL DEFAULT '',"
	" bcc_addr TEXT NOT NULL DEFAULT '',"
	" message_id TEXT NOT NULL DEFAULT '',"
	" envelope TEXT NOT NULL DEFAULT '',"
	" bodystructure TEXT NOT NULL DEFAULT '',"
	" body TEXT NOT NULL DEFAULT '',"
	" data BLOB NOT NULL);"
	"INSERT INTO bodies (hash, size, sent_date, header_size, created_at,"
	" subject, from_addr, to_addr, cc_addr, bcc_addr, message_id,"
	" envelope, bodystructure, body, data)"
	" SELECT b.hash, b.size, COALESCE(m.sent_date, 0),"
	" COALESCE(m.header_size, 0), b.created_at, COALESCE(m.subject, ''),"
	" COALESCE(m.from_addr, ''), COALESCE(m.to_addr, ''),"
	" COALESCE(m.cc_addr, ''), COALESCE(m.bcc_addr, ''),"
	" COALESCE(m.message_id, ''), COALESCE(m.envelope, ''),"
	" COALESCE(m.bodystructure, ''), COALESCE(m.body, ''), b.data"
	" FROM blobs b LEFT JOIN messages m ON m.id ="
	"  (SELECT MIN(id) FROM messages WHERE blob_hash = b.hash)"
	" ORDER BY b.created_at, b.hash;"
	"CREATE TABLE messages_new ("
	" id INTEGER PRIMARY KEY,"
	" folder_id INTEGER NOT NULL REFERENCES folders(id),"
	" uid INTEGER NOT NULL,"
	" body_id INTEGER NOT NULL REFERENCES bodies(id),"
	" size INTEGER NOT NULL,"
	" internal_date INTEGER NOT NULL,"
	" flags INTEGER NOT NULL DEFAULT 0,"
	" keywords TEXT NOT NULL DEFAULT '',"
	" UNIQUE (folder_id, uid));"
	"INSERT INTO messages_new (id, folder_id, uid, body_id, size,"
	" internal_date, flags, keywords)"
	" SELECT m.id, m.folder_id, m.uid, b.id, m.size, m.internal_date,"
	" m.flags, m.keywords FROM messages m JOIN bodies b"
	" ON b.hash = m.blob_hash ORDER BY m.id;"
	"DROP TABLE messages;"
	"ALTER TABLE messages_new RENAME TO messages;"
	"CREATE INDEX messages_flags ON messages(folder_id, flags, uid);"
	"CREATE TABLE queue_new ("
	" id INTEGER PRIMARY KEY,"
	" body_id INTEGER NOT NULL REFERENCES bodies(id),"
	" sender TEXT NOT NULL,"
	" recipient TEXT NOT NULL,"
	" created_at INTEGER NOT NULL,"
	" next_attempt_at INTEGER NOT NULL,"
	" attempts INTEGER NOT NULL DEFAULT 0,"
	" last_error TEXT NOT NULL DEFAULT '');"
	"INSERT INTO queue_new (id, body_id, sender, recipient, created_at,"
	" next_attempt_at, attempts, last_error)"
	" SELECT q.id, b.id, q.sender, q.recipient, q.created_at,"
	" q.next_attempt_at, q.attempts, q.last_error FROM queue q"
	" JOIN bodies b ON b.hash = q.blob_hash ORDER BY q.id;"
	"DROP TABLE queue;"
	"ALTER TABLE queue_new RENAME TO queue;"
	"CREATE INDEX queue_due ON queue(next_attempt_at);"
	"DROP TABLE blobs;";

/*
 * The audit chain (SECURITY.md 49): each row carries the keyed hash of the
 * row before it and its own (store_audit.c), so a row changed, removed or
 * slipped in by someone without the key (kept outside the database) is
 * found by `caremail audit verify`. The append-only triggers stay; the
 * UPDATE one now lets through exactly one change: giving a row written
 * before this migration its hashes, once, with every other column as it
 * was (the instance seals those rows when it first makes the key). A new
 * row must arrive chained.
 */
static const char migration_13[] =
	"ALTER TABLE audit ADD COLUMN prev_hash BLOB;"
	"ALTER TABLE audit ADD COLUMN hash BLOB;"
	"DROP TRIGGER audit_no_update;"
	"CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit"
	" WHEN OLD.hash IS NOT NULL OR OLD.prev_hash IS NOT NULL"
	"  OR NEW.hash IS NULL OR NEW.prev_hash IS NULL"
	"  OR NEW.id IS NOT OLD.id OR NEW.at IS NOT OLD.at"
	"  OR NEW.actor IS NOT OLD.actor OR NEW.action IS NOT OLD.action"
	"  OR NEW.object_type IS NOT OLD.object_type"
	"  OR NEW.object_id IS NOT OLD.object_id"
	"  OR NEW.org_id IS NOT OLD.org_id OR NEW.summary IS NOT OLD.summary"
	"  OR NEW.client IS NOT OLD.client"
	"  OR NEW.request_id IS NOT OLD.request_id"
	"  OR NEW.result IS NOT OLD.result"
	" BEGIN SELECT RAISE(ABORT, 'audit rows are append-only'); END;"
	"CREATE TRIGGER audit_chained BEFORE INSERT ON audit"
	" WHEN NEW.hash IS NULL OR NEW.prev_hash IS NULL"
	" BEGIN SELECT RAISE(ABORT, 'audit rows must be chained'); END;";

/*
 * App passwords (SECURITY.md 43): per person, labelled, for IMAP, POP3
 * and SMTP only. Each is a 144-bit random secret, so only its SHA-256 is
 * kept and a sign-in finds it by that hash; revoking deletes the row (the
 * audit trail keeps its history).
 */
static const char migration_14[] =
	"CREATE TABLE app_passwords ("
	" id INTEGER PRIMARY KEY,"
	" person_id INTEGER NOT NULL REFERENCES people(id),"
	" label TEXT NOT NULL,"
	" secret_hash TEXT NOT NULL UNIQUE,"
	" created_at INTEGER NOT NULL,"
	" last_used_at INTEGER,"
	" last_used_protocol TEXT NOT NULL DEFAULT '',"
	" UNIQUE (person_id, label));";

/*
 * IMAP state kept per mailbox and per folder (RFC 3501 §2.3.1.1, §2.3.2).
 * uidvalidity_last is the largest UIDVALIDITY the mailbox ever handed out,
 * kept after its folder is deleted, so a folder made again under the same
 * name within the same second still gets a new one. recent_uid is the
 * first UID no session has yet seen as \Recent; folders already there
 * start with none recent.
 */
static const char migration_15[] =
	"ALTER TABLE mailboxes ADD COLUMN uidvalidity_last INTEGER NOT NULL"
	" DEFAULT 0;"
	"UPDATE mailboxes SET uidvalidity_last = COALESCE("
	" (SELECT MAX(uidvalidity) FROM folders"
	"  WHERE folders.mailbox_id = mailboxes.id), 0);"
	"ALTER TABLE folders ADD COLUMN recent_uid INTEGER NOT NULL DEFAULT 1;"
	"UPDATE folders SET recent_uid = uidnext;";

/*
 * People Finder pages in name order (issue 8): each person's sort name
 * (store_search_sort) in people, indexed with the site and org for walks
 * in name order (everyone's, or one org's), and as the second column of
 * people_search's key, so one key's people come in name order; key rows
 * carry the site too, so a search by site type reads no person, and
 * sites are indexed by type, as such a search starts there. The key
 * table is rebuilt in key order and its indexes after, as migration 10
 * built it.
 */
static const char migration_16[] =
	"ALTER TABLE people ADD COLUMN sort_name TEXT NOT NULL DEFAULT '';"
	"UPDATE people SET sort_name ="
	" caremail_search_sort(last_name, first_name);"
	"CREATE INDEX people_name"
	" ON people(deleted_at, sort_name, id, site_id, org_id);"
	"CREATE INDEX people_org_name"
	" ON people(org_id, deleted_at, sort_name, id, site_id);"
	"CREATE INDEX sites_type ON sites(site_type);"
	"CREATE TABLE people_search_sorted ("
	" key TEXT NOT NULL,"
	" sort TEXT NOT NULL,"
	" person_id INTEGER NOT NULL REFERENCES people(id),"
	" org_id INTEGER NOT NULL,"
	" site_id INTEGER,"
	" PRIMARY KEY (key, sort, person_id)) WITHOUT ROWID;"
	"INSERT INTO people_search_sorted (key, sort, person_id, org_id,"
	" site_id)"
	" SELECT k.key, p.sort_name, k.person_id, k.org_id, p.site_id"
	" FROM people_search k JOIN people p ON p.id = k.person_id"
	" ORDER BY 1, 2, 3;"
	"DROP TABLE people_search;"
	"ALTER TABLE people_search_sorted RENAME TO people_search;"
	"CREATE INDEX people_search_org ON people_search(org_id, key);"
	"CREATE INDEX people_search_person ON people_search(person_id, key);";

/*
 * Every mailbox has its standard folders from the moment it is made
 * (dir_mailbox_insert): the Inbox and the RFC 6154 special uses. Those made
 * before got the Inbox at their first delivery and the rest at the first
 * sign-in; this gives every mailbox the ones it lacks, so delivery never
 * looks for them. A folder already under the standard name takes the
 * special use; each new one gets a UIDVALIDITY above any the mailbox gave
 * (RFC 3501 §2.3.1.1, as store_folder_uidvalidity_next), and the counter
 * moves past it.
 */
#define MIGRATION_17_FOLDER(name, use)                                      \
	"UPDATE folders SET special_use = '" use "' WHERE name = '" name "'" \
	" AND special_use = '' AND NOT EXISTS (SELECT 1 FROM folders o"     \
	" WHERE o.mailbox_id = folders.mailbox_id"                          \
	" AND o.special_use = '" use "');"                                  \
	"INSERT INTO folders (mailbox_id, name, special_use, uidvalidity,"  \
	" uidnext, subscribed, created_at)"                                 \
	" SELECT m.id, '" name "', '" use "',"                              \
	" MAX(CAST(strftime('%s', 'now') AS INTEGER),"                      \
	" MAX(m.uidvalidity_last, COALESCE((SELECT MAX(o.uidvalidity)"      \
	" FROM folders o WHERE o.mailbox_id = m.id), 0)) + 1), 1, 1,"       \
	" CAST(strftime('%s', 'now') AS INTEGER) FROM mailboxes m"          \
	" WHERE NOT EXISTS (SELECT 1 FROM folders f"                        \
	" WHERE f.mailbox_id = m.id AND f.special_use = '" use "');"        \
	"UPDATE mailboxes SET uidvalidity_last = MAX(uidvalidity_last,"     \
	" COALESCE((SELECT MAX(uidvalidity) FROM folders"                   \
	" WHERE folders.mailbox_id = mailboxes.id), 0));"

static const char migration_17[] =
	MIGRATION_17_FOLDER("INBOX", "inbox")
	MIGRATION_17_FOLDER("Sent Items", "sent")
	MIGRATION_17_FOLDER("Drafts", "drafts")
	MIGRATION_17_FOLDER("Deleted Items", "trash")
	MIGRATION_17_FOLDER("Junk E-mail", "junk");

/*
 * Application servers an organisation registers to relay mail from its
 * addresses without signing in (SPEC M3). A block belongs to one org: two
 * orgs' blocks never overlap (dir_relay.c checks), so an address names at
 * most one org.
 */
static const char migration_18[] =
	"CREATE TABLE relay_hosts ("
	" id INTEGER PRIMARY KEY,"
	" org_id INTEGER NOT NULL REFERENCES orgs(id),"
	" cidr TEXT NOT NULL UNIQUE,"
	" label TEXT NOT NULL,"
	" created_at INTEGER NOT NULL,"
	" created_by TEXT NOT NULL);"
	"CREATE INDEX relay_hosts_org ON relay_hosts(org_id, id);";

/*
 * Outbound delivery (issue 11): each queue row is one recipient's delivery
 * state. status: queued (waiting for next_attempt_at), in_flight (claimed
 * by a runner until claimed_until: a runner that dies leaves its rows to
 * be taken again after the lease), delivered or failed (kept as history).
 * The DKIM-Signature is made once, before the first attempt, for every row
 * of the message (NULL: not yet; "": sent unsigned). ret/envid per message
 * and notify/orcpt per recipient hold the RFC 3461 parameters the SMTP
 * server took (orcpt as "rfc822;address"). tls records what the delivery
 * got ("TLS1.3 verified", "none").
 */
static const char migration_19[] =
	"ALTER TABLE queue ADD COLUMN status TEXT NOT NULL DEFAULT 'queued'"
	" CHECK (status IN ('queued', 'in_flight', 'delivered', 'failed'));"
	"ALTER TABLE queue ADD COLUMN claimed_by TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE queue ADD COLUMN claimed_until INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE queue ADD COLUMN notices_sent INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE queue ADD COLUMN last_attempt_at INTEGER NOT NULL"
	" DEFAULT 0;"
	"ALTER TABLE queue ADD COLUMN finished_at INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE queue ADD COLUMN dkim_signature TEXT;"
	"ALTER TABLE queue ADD COLUMN ret TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE queue ADD COLUMN envid TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE queue ADD COLUMN notify TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE queue ADD COLUMN orcpt TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE queue ADD COLUMN remote_mta TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE queue ADD COLUMN tls TEXT NOT NULL DEFAULT '';"
	"DROP INDEX queue_due;"
	"CREATE INDEX queue_due ON queue(status, next_attempt_at);"
	"CREATE INDEX queue_lease ON queue(status, claimed_until);";

/*
 * Outbound TLS (issue 11 item 4). mta_sts_policies caches each recipient
 * domain's MTA-STS policy as fetched (RFC 8461 §5.1), keyed by domain, with
 * the TXT id it was fetched under so a new id refetches it. tlsrpt_results
 * counts TLS sessions per day and policy for RFC 8460 reports: one row per
 * distinct outcome, successes with result_type ''.
 */
static const char migration_20[] =
	"CREATE TABLE mta_sts_policies ("
	" domain TEXT PRIMARY KEY,"
	" policy_id TEXT NOT NULL,"
	" policy TEXT NOT NULL,"
	" fetched_at INTEGER NOT NULL,"
	" expires_at INTEGER NOT NULL);"
	"CREATE TABLE tlsrpt_results ("
	" day TEXT NOT NULL,"
	" policy_domain TEXT NOT NULL,"
	" policy_type TEXT NOT NULL,"
	" policy_string TEXT NOT NULL,"
	" mx_host TEXT NOT NULL,"
	" result_type TEXT NOT NULL,"
	" sending_ip TEXT NOT NULL,"
	" receiving_mx TEXT NOT NULL,"
	" receiving_ip TEXT NOT NULL,"
	" reason TEXT NOT NULL,"
	" sessions INTEGER NOT NULL,"
	" PRIMARY KEY (day, policy_domain, policy_type, policy_string,"
	" mx_host, result_type, sending_ip, receiving_mx, receiving_ip,"
	" reason));";

/*
 * The queue runner stores each message's DKIM-Signature on all its rows
 * by body_id (store_queue_set_signature): without an index that was a scan
 * of the whole queue per message, so sending N queued messages read the
 * table N times (B10: 20,000 messages, 8 ms of CPU each, mostly pread).
 */
static const char migration_21[] =
	"CREATE INDEX queue_body ON queue(body_id);";

/*
 * Encrypted messages for recipients outside the secure domains (SPEC M10,
 * M11; issue 12 item 4). A secure_messages row holds one message sealed
 * with its own key (XChaCha20-Poly1305), that key wrapped by the
 * instance's sealing key, which is kept in a file outside the database:
 * a copy of the database alone opens nothing. uid is random and bound
 * into both seals, so a row's ciphertext cannot be moved to another.
 * Purged (expired) rows keep their metadata for the access log but lose
 * wrapped_key and ciphertext. reply_to links a reader's reply to the
 * message it answers. Each recipient has their own link, kept only as a
 * hash; revoking is per recipient. secure_codes are the one-time codes
 * sent to a recipient's address, bound to the browser that asked (its
 * cookie, hashed); secure_sessions are readers' sessions, by address;
 * secure_readers the optional password of a returning reader;
 * secure_access every attempt to reach a message, for the sender's
 * access log (the audit has them too).
 */
static const char migration_22[] =
	"CREATE TABLE secure_messages ("
	" id INTEGER PRIMARY KEY,"
	" uid TEXT NOT NULL UNIQUE,"
	" sender TEXT NOT NULL,"
	" sender_person_id INTEGER REFERENCES people(id),"
	" created_at INTEGER NOT NULL,"
	" expires_at INTEGER NOT NULL,"
	" reply_to INTEGER REFERENCES secure_messages(id),"
	" key_id TEXT NOT NULL,"
	" wrapped_key BLOB,"
	" ciphertext BLOB,"
	" size INTEGER NOT NULL,"
	" purged_at INTEGER);"
	"CREATE INDEX secure_messages_sender ON secure_messages(sender,"
	" created_at);"
	"CREATE INDEX secure_messages_expiry ON secure_messages(expires_at)"
	" WHERE purged_at IS NULL;"
	"CREATE TABLE secure_recipients ("
	" id INTEGER PRIMARY KEY,"
	" message_id INTEGER NOT NULL REFERENCES secure_messages(id),"
	" address TEXT NOT NULL,"
	" link_hash TEXT NOT NULL UNIQUE,"
	" revoked_at INTEGER,"
	" revoked_by TEXT,"
	" first_read_at INTEGER,"
	" UNIQUE (message_id, address));"
	"CREATE INDEX secure_recipients_address ON secure_recipients(address);"
	"CREATE TABLE secure_codes ("
	" id INTEGER PRIMARY KEY,"
	" recipient_id INTEGER NOT NULL REFERENCES secure_recipients(id),"
	" code_hash TEXT NOT NULL,"
	" browser_hash TEXT NOT NULL,"
	" created_at INTEGER NOT NULL,"
	" expires_at INTEGER NOT NULL,"
	" attempts INTEGER NOT NULL DEFAULT 0,"
	" used_at INTEGER);"
	"CREATE INDEX secure_codes_recipient ON secure_codes(recipient_id,"
	" created_at);"
	"CREATE TABLE secure_sessions ("
	" token_hash TEXT PRIMARY KEY,"
	" address TEXT NOT NULL,"
	" csrf_token TEXT NOT NULL,"
	" created_at INTEGER NOT NULL,"
	" last_seen_at INTEGER NOT NULL,"
	" expires_at INTEGER NOT NULL);"
	"CREATE TABLE secure_readers ("
	" address TEXT PRIMARY KEY,"
	" password_hash TEXT NOT NULL,"
	" created_at INTEGER NOT NULL,"
	" updated_at INTEGER NOT NULL);"
	"CREATE TABLE secure_access ("
	" id INTEGER PRIMARY KEY,"
	" message_id INTEGER NOT NULL REFERENCES secure_messages(id),"
	" recipient_id INTEGER REFERENCES secure_recipients(id),"
	" address TEXT NOT NULL,"
	" at INTEGER NOT NULL,"
	" peer TEXT NOT NULL,"
	" event TEXT NOT NULL,"
	" ok INTEGER NOT NULL);"
	"CREATE INDEX secure_access_message ON secure_access(message_id, at);";

/*
 * Sending limits and per-org mail policy (SPEC M7, M12). send_counts:
 * recipients each person sent to per UTC day (days since the epoch),
 * added in the delivery's own commit; old days are never read again.
 * org_mail_policy: what an org overrides of the service's settings, NULL
 * for "the service's". Self-contained, so it can be renumbered.
 */
static const char migration_23[] =
	"CREATE TABLE send_counts ("
	" person_id INTEGER NOT NULL REFERENCES people(id),"
	" day INTEGER NOT NULL,"
	" recipients INTEGER NOT NULL,"
	" PRIMARY KEY (person_id, day)) WITHOUT ROWID;"
	"CREATE TABLE org_mail_policy ("
	" org_id INTEGER PRIMARY KEY REFERENCES orgs(id),"
	" send_limit_message INTEGER,"
	" send_limit_day INTEGER,"
	" dlp_high TEXT,"
	" dlp_medium TEXT,"
	" dlp_low TEXT);";

/*
 * The account lifecycle (SPEC L1-L7, issue 13). people.status_changed_at:
 * when the status took its value, which the rules count from (set here for
 * the rows there are: an active one's creation, another's last update, the
 * best there is; NULL on a new row: its created_at); people.purged_at: when the mailbox's
 * mail was destroyed (the row and its address stay, reserved for ever).
 * lifecycle_notices: each warning sent, keyed so a job run twice sends it
 * once. job_leases: one row per job, so on several nodes one runs it.
 * messages_body: the purge removes bodies no message references.
 * Self-contained, so it can be renumbered.
 */
static const char migration_24[] =
	"ALTER TABLE people ADD COLUMN status_changed_at INTEGER;"
	"ALTER TABLE people ADD COLUMN purged_at INTEGER;"
	"UPDATE people SET status_changed_at = CASE WHEN status = 'active'"
	" THEN created_at ELSE updated_at END;"
	"CREATE TABLE lifecycle_notices ("
	" person_id INTEGER NOT NULL REFERENCES people(id),"
	" kind TEXT NOT NULL,"
	" due_at INTEGER NOT NULL,"
	" sent_at INTEGER NOT NULL,"
	" PRIMARY KEY (person_id, kind, due_at)) WITHOUT ROWID;"
	"CREATE TABLE job_leases ("
	" name TEXT PRIMARY KEY,"
	" holder TEXT NOT NULL,"
	" until INTEGER NOT NULL,"
	" last_run_at INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX messages_body ON messages(body_id);";

/*
 * Guests and add-on licences (SPEC L8, L9). guests: an org's external
 * guests, each with the person who invited them and answers for them;
 * attested_at 0 means the current inviter has not attested yet (a new
 * inviter after the first left). licence_addons: an org's named add-ons
 * with a quota and an expiry; notice_for/notice_step remember the last
 * expiry notice sent, so a sweep sends each once. Self-contained, so it
 * can be renumbered.
 */
static const char migration_26[] =
	"CREATE TABLE guests ("
	" id INTEGER PRIMARY KEY,"
	" org_id INTEGER NOT NULL REFERENCES orgs(id),"
	" address TEXT NOT NULL,"
	" display_name TEXT NOT NULL,"
	" inviter_id INTEGER NOT NULL REFERENCES people(id),"
	" created_at INTEGER NOT NULL,"
	" attested_at INTEGER NOT NULL,"
	" attestations INTEGER NOT NULL,"
	" orphaned_at INTEGER NOT NULL DEFAULT 0,"
	" requested_for INTEGER NOT NULL DEFAULT 0,"
	" removed_at INTEGER NOT NULL DEFAULT 0,"
	" removed_reason TEXT);"
	"CREATE UNIQUE INDEX guests_live ON guests(org_id, address)"
	" WHERE removed_at = 0;"
	"CREATE INDEX guests_inviter ON guests(inviter_id);"
	"CREATE TABLE licence_addons ("
	" id INTEGER PRIMARY KEY,"
	" org_id INTEGER NOT NULL REFERENCES orgs(id),"
	" name TEXT NOT NULL,"
	" quota INTEGER NOT NULL,"
	" expires_at INTEGER NOT NULL,"
	" rule TEXT,"
	" notice_for INTEGER NOT NULL DEFAULT 0,"
	" notice_step INTEGER NOT NULL DEFAULT -1,"
	" created_at INTEGER NOT NULL,"
	" UNIQUE (org_id, name));"
	"CREATE TABLE licence_allocations ("
	" addon_id INTEGER NOT NULL REFERENCES licence_addons(id),"
	" person_id INTEGER NOT NULL REFERENCES people(id),"
	" allocated_at INTEGER NOT NULL,"
	" by_rule INTEGER NOT NULL,"
	" PRIMARY KEY (addon_id, person_id)) WITHOUT ROWID;";

/*
 * Bulk imports and directory syncs (SPEC P8, P15), and the Idempotency-Key
 * of creating API requests (SPEC D3: no duplicates from a retry).
 * imports: each run's counts and its per-row report (JSON), for the
 * report download and the history pages. idempotency_keys: the first
 * reply to a key, per caller, for 24 hours. Self-contained, so it can be
 * renumbered.
 */
static const char migration_25[] =
	"CREATE TABLE imports ("
	" id INTEGER PRIMARY KEY,"
	" kind TEXT NOT NULL,"
	" org_id INTEGER NOT NULL DEFAULT 0,"
	" actor TEXT NOT NULL,"
	" created_at INTEGER NOT NULL,"
	" dry_run INTEGER NOT NULL,"
	" applied INTEGER NOT NULL,"
	" rows INTEGER NOT NULL,"
	" created INTEGER NOT NULL,"
	" updated INTEGER NOT NULL,"
	" unchanged INTEGER NOT NULL,"
	" leavers INTEGER NOT NULL,"
	" joined INTEGER NOT NULL,"
	" errors INTEGER NOT NULL,"
	" summary TEXT NOT NULL,"
	" report TEXT NOT NULL);"
	"CREATE INDEX imports_org ON imports(org_id, kind, id);"
	"CREATE TABLE idempotency_keys ("
	" actor TEXT NOT NULL,"
	" key TEXT NOT NULL,"
	" request TEXT NOT NULL,"
	" body_hash TEXT NOT NULL,"
	" status INTEGER NOT NULL,"
	" reply TEXT NOT NULL,"
	" created_at INTEGER NOT NULL,"
	" PRIMARY KEY (actor, key)) WITHOUT ROWID;";

/*
 * Inactive shared mailboxes (SPEC L5). mailboxes.last_used_at: when the
 * mailbox was last used (a grantee's SELECT, a sent copy, an owner's
 * confirm), written at most about once a day; created_at counts, so the
 * existing ones start from it. shared_notices: the notice out for a
 * quiet shared mailbox (dated when the owners were told), when it will
 * be deleted and the smallest warning lead sent since.
 * shared_confirm_tokens: the confirm links of the notices, only a hash
 * kept, each valid until the deletion date. Self-contained, so it can be
 * renumbered.
 */
static const char migration_27[] =
	"ALTER TABLE mailboxes ADD COLUMN last_used_at INTEGER NOT NULL"
	" DEFAULT 0;"
	"UPDATE mailboxes SET last_used_at = created_at;"
	"CREATE TABLE shared_notices ("
	" mailbox_id INTEGER PRIMARY KEY REFERENCES mailboxes(id),"
	" noticed_at INTEGER NOT NULL,"
	" delete_at INTEGER NOT NULL,"
	" warned_lead INTEGER NOT NULL DEFAULT 0,"
	" sent_at INTEGER NOT NULL);"
	"CREATE TABLE shared_confirm_tokens ("
	" token_hash TEXT PRIMARY KEY,"
	" mailbox_id INTEGER NOT NULL REFERENCES mailboxes(id),"
	" expires_at INTEGER NOT NULL,"
	" created_at INTEGER NOT NULL);"
	"CREATE INDEX shared_confirm_tokens_mailbox ON"
	" shared_confirm_tokens(mailbox_id);";

/*
 * Dynamic list rules (issue 14, B8): every column a rule reads of a
 * person, after the org and the deletion that bound it, in one index, so
 * a rule over an org subtree walks that index by org and never reads the
 * people table (a random page read for each person: 10x the time at
 * 160,000 people, see bench/RESULTS.md). It begins with org_id, as
 * people_org did, which it replaces, so a person's write still updates
 * the same number of indexes. Self-contained, so it can be renumbered.
 */
static const char migration_28[] =
	"CREATE INDEX people_rule ON people(org_id, deleted_at, job_title,"
	" department, site_id, mailbox_id);"
	"DROP INDEX people_org;";

/*
 * Rate-limit counters shared by every node (issue 14 item 2,
 * store_limit.c): one row per key, which is a SHA-256 of what is counted
 * and for whom (never an address or an IP in clear), the start of its
 * window and the events in it. rate_counts_window: the purge of ended
 * windows. Self-contained, so it can be renumbered.
 */
static const char migration_29[] =
	"CREATE TABLE rate_counts ("
	" key TEXT PRIMARY KEY,"
	" window_start INTEGER NOT NULL,"
	" hits INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE INDEX rate_counts_window ON rate_counts(window_start);";

/*
 * Bodies outside the database (issue 14 item 3, SPEC S7, store_blob.c):
 * `outside` says the bytes are in the instance's blob store, by hash, and
 * the row's data is empty. body_unref names bodies whose last copy may
 * have gone (an expunge, a folder deleted, a queue row done), for the
 * bodies step of the jobs run to forget when nothing refers to them.
 * blob_doomed holds the hashes of forgotten outside bodies until their
 * blobs are removed, in a later transaction that checks again that no
 * body has come back with that hash (two phases, so a writer on another
 * node is never left with a body row and no blob). Self-contained, so it
 * can be renumbered.
 */
static const char migration_30[] =
	"ALTER TABLE bodies ADD COLUMN outside INTEGER NOT NULL DEFAULT 0"
	" CHECK (outside IN (0, 1));"
	"CREATE TABLE body_unref (body_id INTEGER PRIMARY KEY);"
	"CREATE TABLE blob_doomed ("
	" hash TEXT PRIMARY KEY,"
	" doomed_at INTEGER NOT NULL) WITHOUT ROWID;";

/*
 * Per-folder counters kept by the database itself (B3, bench/RESULTS.md):
 * SELECT and STATUS read a folder's message and unseen counts from one
 * row instead of counting 50,000 index entries, and `changes` grows with
 * every message row inserted, deleted or changed in the folder, so an IMAP
 * session polling with NOOP can tell from that row alone that nothing
 * changed, whichever process or node changed it. Triggers keep them in the
 * transaction of the change, under every path that writes messages
 * (delivery, APPEND, copy and move, expunge, flags, folder delete, purge,
 * a store copied by caremail migrate, which fills them as it inserts the
 * messages: store_copy.c does not copy this table). A folder with no row
 * has no messages. An UPDATE counts as the old row out and the new one in.
 * messages_unseen answered the first unseen UID (SELECT's UNSEEN) by one
 * index seek (dropped by 47: nothing reads it). messages_flags (migration
 * 7), which only the counts used, goes: one index less to write for every
 * message stored and every flag changed. Self-contained, so it can be
 * renumbered.
 */
#define MIGRATION_31_OUT                                                    \
	" UPDATE folder_counts SET messages = messages - 1,"                \
	" unseen = unseen - ((OLD.flags & 1) = 0), changes = changes + 1"   \
	" WHERE folder_id = OLD.folder_id;"
#define MIGRATION_31_IN                                                     \
	" INSERT INTO folder_counts (folder_id, messages, unseen, changes)" \
	" VALUES (NEW.folder_id, 1, (NEW.flags & 1) = 0, 1)"                \
	" ON CONFLICT (folder_id) DO UPDATE SET messages = messages + 1,"   \
	" unseen = unseen + excluded.unseen, changes = changes + 1;"

static const char migration_31[] =
	"CREATE TABLE folder_counts ("
	" folder_id INTEGER PRIMARY KEY,"
	" messages INTEGER NOT NULL DEFAULT 0,"
	" unseen INTEGER NOT NULL DEFAULT 0,"
	" changes INTEGER NOT NULL DEFAULT 0);"
	"INSERT INTO folder_counts (folder_id, messages, unseen, changes)"
	" SELECT folder_id, COUNT(*), SUM((flags & 1) = 0), 1"
	" FROM messages GROUP BY folder_id;"
	"CREATE TRIGGER messages_counted_insert AFTER INSERT ON messages"
	" BEGIN" MIGRATION_31_IN " END;"
	"CREATE TRIGGER messages_counted_delete AFTER DELETE ON messages"
	" BEGIN" MIGRATION_31_OUT " END;"
	"CREATE TRIGGER messages_counted_update"
	" AFTER UPDATE OF folder_id, uid, flags, keywords ON messages"
	" WHEN OLD.folder_id IS NOT NEW.folder_id OR OLD.uid IS NOT NEW.uid"
	" OR OLD.flags IS NOT NEW.flags OR OLD.keywords IS NOT NEW.keywords"
	" BEGIN" MIGRATION_31_OUT MIGRATION_31_IN " END;"
	"CREATE TRIGGER folders_counted_delete AFTER DELETE ON folders"
	" BEGIN DELETE FROM folder_counts WHERE folder_id = OLD.id; END;"
	"CREATE INDEX messages_unseen ON messages(folder_id, uid)"
	" WHERE (flags & 1) = 0;"
	"DROP INDEX messages_flags;";

/*
 * Stored folder views (B3 cold SELECT, docs/design.md "A folder's view"):
 * folder_views holds, for a large folder, its UIDs, flags and keyword
 * lists packed in one row (mail_view.c's format) as they stood when the
 * folder's change counter was `changes`; view_changes names each UID of
 * such a folder added, removed or changed since, with the counter after
 * that change, so a session opening the folder reads one row and the few
 * messages changed since instead of every message. The counting triggers
 * of migration 31 are made again with the note at their end, after the
 * counter moved, so the number noted is the counter as the change left
 * it; folders without a stored view note nothing (one key lookup). A
 * folder deleted takes both with it. Self-contained, so it can be
 * renumbered.
 */
#define MIGRATION_32_NOTE(ROW)                                               \
	" INSERT INTO view_changes (folder_id, uid, changes)"                \
	" SELECT " ROW ".folder_id, " ROW ".uid, c.changes"                  \
	" FROM folder_counts c WHERE c.folder_id = " ROW ".folder_id"        \
	" AND EXISTS (SELECT 1 FROM folder_views v"                          \
	" WHERE v.folder_id = " ROW ".folder_id)"                            \
	" ON CONFLICT (folder_id, uid) DO UPDATE SET changes = excluded.changes;"
#define MIGRATION_32_OUT                                                    \
	" UPDATE folder_counts SET messages = messages - 1,"                \
	" unseen = unseen - ((OLD.flags & 1) = 0), changes = changes + 1"   \
	" WHERE folder_id = OLD.folder_id;" MIGRATION_32_NOTE("OLD")
#define MIGRATION_32_IN                                                     \
	" INSERT INTO folder_counts (folder_id, messages, unseen, changes)" \
	" VALUES (NEW.folder_id, 1, (NEW.flags & 1) = 0, 1)"                \
	" ON CONFLICT (folder_id) DO UPDATE SET messages = messages + 1,"   \
	" unseen = unseen + excluded.unseen, changes = changes + 1;"        \
	MIGRATION_32_NOTE("NEW")

static const char migration_32[] =
	"CREATE TABLE folder_views ("
	" folder_id INTEGER PRIMARY KEY,"
	" changes INTEGER NOT NULL,"
	" data BLOB NOT NULL);"
	"CREATE TABLE view_changes ("
	" folder_id INTEGER NOT NULL,"
	" uid INTEGER NOT NULL,"
	" changes INTEGER NOT NULL,"
	" PRIMARY KEY (folder_id, uid)) WITHOUT ROWID;"
	"DROP TRIGGER messages_counted_insert;"
	"DROP TRIGGER messages_counted_delete;"
	"DROP TRIGGER messages_counted_update;"
	"CREATE TRIGGER messages_counted_insert AFTER INSERT ON messages"
	" BEGIN" MIGRATION_32_IN " END;"
	"CREATE TRIGGER messages_counted_delete AFTER DELETE ON messages"
	" BEGIN" MIGRATION_32_OUT " END;"
	"CREATE TRIGGER messages_counted_update"
	" AFTER UPDATE OF folder_id, uid, flags, keywords ON messages"
	" WHEN OLD.folder_id IS NOT NEW.folder_id OR OLD.uid IS NOT NEW.uid"
	" OR OLD.flags IS NOT NEW.flags OR OLD.keywords IS NOT NEW.keywords"
	" BEGIN" MIGRATION_32_OUT MIGRATION_32_IN " END;"
	"CREATE TRIGGER folders_viewed_delete AFTER DELETE ON folders"
	" BEGIN DELETE FROM folder_views WHERE folder_id = OLD.id;"
	" DELETE FROM view_changes WHERE folder_id = OLD.id; END;";

/*
 * The text index of message bodies (PERFORMANCE.md B3, store_text.h): for
 * each body the folded header and body text SEARCH TEXT and BODY look in,
 * in an FTS5 table with the trigram tokenizer (every run of three
 * characters; case-sensitive, as the texts and the words are folded
 * already), keyed by the body's id, so a copy of a message costs nothing
 * more. The content is kept: FTS5 reads it to take a row out, and
 * columnsize=0 drops the per-row sizes only ranking would read. A body
 * stored goes on body_text_pending (a trigger, whatever path stores it),
 * which the indexing step works through; the bodies already held start
 * there. A body forgotten takes its index row and pending row with it.
 * Needs SQLite's FTS5 (Debian's has it). Self-contained, so it can be
 * renumbered.
 */
static const char migration_33[] =
	"CREATE VIRTUAL TABLE body_text USING fts5(header, body,"
	" tokenize = 'trigram case_sensitive 1', columnsize = 0);"
	"CREATE TABLE body_text_pending (body_id INTEGER PRIMARY KEY);"
	"INSERT INTO body_text_pending (body_id) SELECT id FROM bodies;"
	"CREATE TRIGGER bodies_text_pending AFTER INSERT ON bodies"
	" BEGIN INSERT INTO body_text_pending (body_id) VALUES (NEW.id); END;"
	"CREATE TRIGGER bodies_text_forget AFTER DELETE ON bodies"
	" BEGIN DELETE FROM body_text WHERE rowid = OLD.id;"
	" DELETE FROM body_text_pending WHERE body_id = OLD.id; END;";

/*
 * PostgreSQL's 34 makes its People Finder indexes cover what a search
 * reads; SQLite's people_search (WITHOUT ROWID) has always had them do.
 */
static const char migration_34[] = "SELECT 1";

/*
 * The header summary in a narrow table of its own (PERFORMANCE.md B3,
 * docs/design.md "Where a message's summary lives"): SEARCH SUBJECT, FROM,
 * TO, CC, BCC and HEADER and FETCH of header sections read a body's
 * decoded fields and header size, and in `bodies` those share each row's
 * leaf page with the start of the message (the data column), so a cold
 * search of 50,000 messages read ~290 MB of pages to use ~7 MB.
 * body_summaries holds the same columns, one short row per body, keyed by
 * its id. Triggers keep it equal to the bodies' columns under every path
 * that writes bodies (delivery, APPEND, import, caremail migrate, which
 * does not copy the table: the destination's trigger fills it, the purge
 * of forgotten bodies), so no writer has code of its own for it and a
 * search reads exactly what it read before. A table rather than an index
 * of the columns: PostgreSQL's b-tree cannot hold a long To: list (2,704
 * bytes a tuple), and a table, TOASTed there, can; so both engines keep
 * the same one. Self-contained, so it can be renumbered.
 */
#define MIGRATION_35_COLUMNS                                                \
	"sent_date, header_size, subject, from_addr, to_addr, cc_addr,"     \
	" bcc_addr, message_id"

static const char migration_35[] =
	"CREATE TABLE body_summaries ("
	" body_id INTEGER PRIMARY KEY,"
	" sent_date INTEGER NOT NULL DEFAULT 0,"
	" header_size INTEGER NOT NULL DEFAULT 0,"
	" subject TEXT NOT NULL DEFAULT '',"
	" from_addr TEXT NOT NULL DEFAULT '',"
	" to_addr TEXT NOT NULL DEFAULT '',"
	" cc_addr TEXT NOT NULL DEFAULT '',"
	" bcc_addr TEXT NOT NULL DEFAULT '',"
	" message_id TEXT NOT NULL DEFAULT '');"
	"INSERT INTO body_summaries (body_id, " MIGRATION_35_COLUMNS ")"
	" SELECT id, " MIGRATION_35_COLUMNS " FROM bodies ORDER BY id;"
	"CREATE TRIGGER bodies_summary_insert AFTER INSERT ON bodies"
	" BEGIN INSERT INTO body_summaries (body_id, " MIGRATION_35_COLUMNS ")"
	" VALUES (NEW.id, NEW.sent_date, NEW.header_size, NEW.subject,"
	" NEW.from_addr, NEW.to_addr, NEW.cc_addr, NEW.bcc_addr,"
	" NEW.message_id); END;"
	"CREATE TRIGGER bodies_summary_update AFTER UPDATE OF id, "
	MIGRATION_35_COLUMNS " ON bodies"
	" BEGIN UPDATE body_summaries SET body_id = NEW.id,"
	" sent_date = NEW.sent_date, header_size = NEW.header_size,"
	" subject = NEW.subject, from_addr = NEW.from_addr,"
	" to_addr = NEW.to_addr, cc_addr = NEW.cc_addr,"
	" bcc_addr = NEW.bcc_addr, message_id = NEW.message_id"
	" WHERE body_id = OLD.id; END;"
	"CREATE TRIGGER bodies_summary_delete AFTER DELETE ON bodies"
	" BEGIN DELETE FROM body_summaries WHERE body_id = OLD.id; END;";

/*
 * PostgreSQL's 36 is the People Finder feed the nodes' copies follow
 * (store_finder.c); a SQLite store is the only copy there is: nothing.
 */
static const char migration_36[] = "SELECT 1";

/*
 * A large folder's header summaries packed (PERFORMANCE.md B3,
 * docs/design.md "A folder's summaries, packed"): SEARCH SUBJECT, FROM,
 * TO, CC and BCC of 50,000 messages read ~2,300 pages of messages and
 * body_summaries lying one in ~40 over the file, so a cold search was as
 * many scattered reads. A pack holds, for a run of UIDs of one folder,
 * one part per row: part 0 the UIDs, sizes and internal dates, parts 1-5
 * the subjects, From, To, Cc and Bcc (mail_summary.c's format), written
 * at once, so each part's pages lie together and a search reads only the
 * parts it asks for. What a pack holds of a message never changes while
 * the message is in the folder (a body's summary is never rewritten, a
 * UID is never given twice under one UIDVALIDITY), so a pack needs no
 * notes: a search takes from it the messages of its view it holds and
 * reads the rest by row. A folder deleted takes its packs with it.
 * Self-contained, so it can be renumbered.
 */
static const char migration_37[] =
	"CREATE TABLE folder_summary_packs ("
	" folder_id INTEGER NOT NULL,"
	" part INTEGER NOT NULL,"
	" first_uid INTEGER NOT NULL,"
	" last_uid INTEGER NOT NULL,"
	" uidvalidity INTEGER NOT NULL,"
	" data BLOB NOT NULL,"
	" PRIMARY KEY (folder_id, part, first_uid));"
	"CREATE TRIGGER folders_packed_delete AFTER DELETE ON folders"
	" BEGIN DELETE FROM folder_summary_packs WHERE folder_id = OLD.id;"
	" END;";

/*
 * People Finder keys of people the lifecycle job deleted: that path
 * (store_lifecycle_set) set deleted_at and left the keys, and a one-word
 * search, which reads no person row before its page, showed them. It
 * drops them now (store_search_forget); the ones left before go here.
 * The same on PostgreSQL, whose triggers note each for the nodes' copies.
 */
static const char migration_38[] = STORE_MIGRATION_38;

/*
 * PostgreSQL's 39 announces what the nodes' remembered sessions must
 * forget (store_session_cache.h); one process owns a SQLite store:
 * nothing.
 */
static const char migration_39[] = "SELECT 1";

/*
 * A person's holdings and addresses found by the person (a record reads
 * them so). PostgreSQL's 40 also feeds the nodes' copies what a record
 * shows, and announces sign-in times; a SQLite store has no copy.
 */
static const char migration_40[] = STORE_MIGRATION_40_INDEXES;

/*
 * A card for each live person: what a People Finder result shows of them,
 * in one row (docs/design.md, "A person's card"). A page of 25 read each
 * person's row, mailbox, org, site and roles, four or five seeks to pages
 * at random over the file each; bench B5 on SQLite ran out of CPU at
 * ~4,300 searches a second, a quarter of it first touches of those pages.
 * The card is one seek. The search keys still choose and order who is
 * shown; a card only shows them.
 *
 * Kept by triggers in plain SQL, so every writer keeps it, a raw UPDATE
 * among them: a person's card is remade (deleted, then made from the
 * rows if the person is live) when what it shows of them changes, and
 * their roles re-joined when a role changes. An org's or a site's own
 * fields are written into its people's cards. A row that arrives before
 * the rows it joins (a copy made table by table) is caught by the
 * triggers on the tables joined. A hidden mobile number never enters a
 * card: its mobile is '' then. The roles column is MATCH_ROLES's
 * (store_search.c). SQLite's own: PostgreSQL's 41 is nothing, and its
 * searches read the rows (or a node's copy). Self-contained, so it can be
 * renumbered, and made in a node's People Finder copy as it is
 * (store_finder.c), whose rows are the store's: a change here is a new
 * migration, and a new format of the copy.
 */
#define CARD_ROLES(who)                                                      \
	"COALESCE((SELECT group_concat(r.org_id || char(31) || r.role ||"     \
	" char(31) || ro.ods, char(30)) FROM roles r JOIN orgs ro"            \
	" ON ro.id = r.org_id WHERE r.person_id = " who "), '')"
/*
 * Made: the live people named by a SELECT of ids. "+" keeps deleted_at
 * from choosing people_name (whose first column it is), which would walk
 * every live person and test each against the ids: a new mailbox, before
 * its person, took ~36 ms at 300,000 people, and an import of 100,000
 * ten minutes. By the ids, it is a seek each.
 */
#define CARD_MAKE(which) CARD_MAKE_WHERE("p.id IN (" which ")")
/* Made: the live people a condition on people p names. */
#define CARD_MAKE_WHERE(cond)                                                \
	"INSERT INTO person_cards SELECT p.id, p.org_id,"                     \
	" COALESCE(p.site_id, 0), m.address, p.first_name, p.last_name,"      \
	" p.display_name, p.job_title, p.department, p.phone,"               \
	" CASE WHEN p.mobile_hidden <> 0 THEN '' ELSE p.mobile END,"         \
	" p.status, o.ods, o.name, o.helpdesk_phone, o.helpdesk_email,"      \
	" COALESCE(s.name, ''), COALESCE(s.site_type, ''), "                 \
	CARD_ROLES("p.id")                                                   \
	" FROM people p JOIN mailboxes m ON m.id = p.mailbox_id"              \
	" JOIN orgs o ON o.id = p.org_id LEFT JOIN sites s ON s.id = p.site_id" \
	" WHERE " cond " AND +p.deleted_at IS NULL;"
/* Remade: the people named by a SELECT of ids. */
#define CARD_REMAKE(which)                                                   \
	"DELETE FROM person_cards WHERE person_id IN (" which ");"            \
	CARD_MAKE(which)
/* What a card shows of a person's own row. */
#define CARD_PERSON_COLUMNS                                                  \
	"id, org_id, site_id, mailbox_id, first_name, last_name,"             \
	" display_name, job_title, department, phone, mobile, mobile_hidden," \
	" status, deleted_at"
/* A change to what a card shows of a person's own row. */
#define CARD_PERSON_CHANGED                                                  \
	" WHEN (OLD.id, OLD.org_id, OLD.site_id, OLD.mailbox_id,"             \
	" OLD.first_name, OLD.last_name, OLD.display_name, OLD.job_title,"    \
	" OLD.department, OLD.phone, OLD.mobile, OLD.mobile_hidden,"          \
	" OLD.status, OLD.deleted_at) IS NOT (NEW.id, NEW.org_id,"            \
	" NEW.site_id, NEW.mailbox_id, NEW.first_name, NEW.last_name,"        \
	" NEW.display_name, NEW.job_title, NEW.department, NEW.phone,"        \
	" NEW.mobile, NEW.mobile_hidden, NEW.status, NEW.deleted_at) BEGIN"
/* An org's people, and the holders of its roles (whose tags name it). */
#define CARD_ORG_REMAKE(orgs)                                                \
	CARD_REMAKE("SELECT id FROM people WHERE org_id IN (" orgs ")"        \
		" UNION SELECT person_id FROM roles WHERE org_id IN (" orgs ")")
const char store_sqlite_person_cards[] =
	"CREATE TABLE person_cards ("
	" person_id INTEGER PRIMARY KEY,"
	" org_id INTEGER NOT NULL,"
	" site_id INTEGER NOT NULL,"
	" address TEXT NOT NULL,"
	" first_name TEXT NOT NULL,"
	" last_name TEXT NOT NULL,"
	" display_name TEXT NOT NULL,"
	" job_title TEXT NOT NULL,"
	" department TEXT NOT NULL,"
	" phone TEXT NOT NULL,"
	" mobile TEXT NOT NULL,"
	" status TEXT NOT NULL,"
	" org_ods TEXT NOT NULL,"
	" org_name TEXT NOT NULL,"
	" helpdesk_phone TEXT NOT NULL,"
	" helpdesk_email TEXT NOT NULL,"
	" site_name TEXT NOT NULL,"
	" site_type TEXT NOT NULL,"
	" roles TEXT NOT NULL);"
	CARD_MAKE("SELECT id FROM people")
	"CREATE TRIGGER cards_people_insert AFTER INSERT ON people BEGIN "
	CARD_REMAKE("NEW.id") " END;"
	"CREATE TRIGGER cards_people_update AFTER UPDATE OF "
	CARD_PERSON_COLUMNS " ON people"
	CARD_PERSON_CHANGED
	" DELETE FROM person_cards WHERE person_id = OLD.id; "
	CARD_REMAKE("NEW.id") " END;"
	"CREATE TRIGGER cards_people_delete AFTER DELETE ON people BEGIN"
	" DELETE FROM person_cards WHERE person_id = OLD.id; END;"
	"CREATE TRIGGER cards_mailboxes_insert AFTER INSERT ON mailboxes BEGIN "
	CARD_REMAKE("SELECT id FROM people WHERE mailbox_id = NEW.id") " END;"
	"CREATE TRIGGER cards_mailboxes_update AFTER UPDATE OF id, address"
	" ON mailboxes WHEN (OLD.id, OLD.address) IS NOT (NEW.id, NEW.address)"
	" BEGIN "
	CARD_REMAKE("SELECT id FROM people WHERE mailbox_id IN"
		" (OLD.id, NEW.id)") " END;"
	"CREATE TRIGGER cards_mailboxes_delete AFTER DELETE ON mailboxes BEGIN "
	CARD_REMAKE("SELECT id FROM people WHERE mailbox_id = OLD.id") " END;"
	"CREATE TRIGGER cards_orgs_insert AFTER INSERT ON orgs BEGIN "
	CARD_ORG_REMAKE("NEW.id") " END;"
	/* Only what a card shows: an org's other fields are edited with these. */
	"CREATE TRIGGER cards_orgs_update AFTER UPDATE OF id, ods, name,"
	" helpdesk_phone, helpdesk_email ON orgs"
	" WHEN (OLD.id, OLD.ods, OLD.name, OLD.helpdesk_phone,"
	" OLD.helpdesk_email) IS NOT (NEW.id, NEW.ods, NEW.name,"
	" NEW.helpdesk_phone, NEW.helpdesk_email) BEGIN "
	CARD_ORG_REMAKE("OLD.id, NEW.id") " END;"
	"CREATE TRIGGER cards_orgs_delete AFTER DELETE ON orgs BEGIN "
	CARD_ORG_REMAKE("OLD.id") " END;"
	"CREATE TRIGGER cards_sites_insert AFTER INSERT ON sites BEGIN "
	CARD_REMAKE("SELECT id FROM people WHERE site_id = NEW.id") " END;"
	"CREATE TRIGGER cards_sites_update AFTER UPDATE OF id, name, site_type"
	" ON sites WHEN (OLD.id, OLD.name, OLD.site_type) IS NOT"
	" (NEW.id, NEW.name, NEW.site_type) BEGIN "
	CARD_REMAKE("SELECT id FROM people WHERE site_id IN (OLD.id, NEW.id)")
	" END;"
	"CREATE TRIGGER cards_sites_delete AFTER DELETE ON sites BEGIN "
	CARD_REMAKE("SELECT id FROM people WHERE site_id = OLD.id") " END;"
	"CREATE TRIGGER cards_roles_insert AFTER INSERT ON roles BEGIN"
	" UPDATE person_cards SET roles = " CARD_ROLES("NEW.person_id")
	" WHERE person_id = NEW.person_id; END;"
	"CREATE TRIGGER cards_roles_update AFTER UPDATE ON roles BEGIN"
	" UPDATE person_cards SET roles = " CARD_ROLES("person_cards.person_id")
	" WHERE person_id IN (OLD.person_id, NEW.person_id); END;"
	"CREATE TRIGGER cards_roles_delete AFTER DELETE ON roles BEGIN"
	" UPDATE person_cards SET roles = " CARD_ROLES("OLD.person_id")
	" WHERE person_id = OLD.person_id; END;";

/*
 * PostgreSQL's 42 counts messages a statement at a time; SQLite's
 * triggers are per row, and cheap there (a function call): nothing.
 */
static const char migration_42[] = "SELECT 1";

/*
 * A mailbox's used bytes in a narrow row of their own, not on the
 * mailbox's: a delivery to a list of 100,000 wrote 100,000 mailbox rows
 * (an address, a name and their index entries each) to add a number to
 * each (bench B2). A mailbox has a row once something is charged to it;
 * none reads as 0.
 */
static const char migration_43[] =
	"CREATE TABLE mailbox_usage (mailbox_id INTEGER PRIMARY KEY"
	" REFERENCES mailboxes(id), used_bytes INTEGER NOT NULL DEFAULT 0);"
	"INSERT INTO mailbox_usage (mailbox_id, used_bytes)"
	" SELECT id, used_bytes FROM mailboxes WHERE used_bytes <> 0;"
	"ALTER TABLE mailboxes DROP COLUMN used_bytes;";

/*
 * PostgreSQL's 44 counts flag changes a statement at a time; SQLite
 * changes a row in place, so its per-row trigger stays: nothing.
 */
static const char migration_44[] = "SELECT 1";

/*
 * A folder's next UID in its counts row, kept there by the counting
 * triggers, not in the folder's row: a delivery to a list of 100,000
 * changed 100,000 folder rows (wide, among 8 M folders at 1.6 M people:
 * ~58,000 pages written at the commit, against ~2,000 of counts rows,
 * which the trigger changes anyway; bench B2). Each message that goes
 * into a folder, however it goes, moves the folder's next UID past its
 * own, so no writer can hand out a UID that is in use or was; a writer
 * that takes UIDs before inserting (IMAP APPEND, COPY) moves it first,
 * in the same transaction. A folder without a counts row has had no
 * message and no UID taken: its next is 1. The rows of folders whose
 * next UID moved past their messages (the newest expunged) are made
 * here, with messages 0. Self-contained, so it can be renumbered.
 */
#define MIGRATION_45_IN                                                     \
	" INSERT INTO folder_counts (folder_id, messages, unseen, changes,"  \
	" uidnext) VALUES (NEW.folder_id, 1, (NEW.flags & 1) = 0, 1,"        \
	" NEW.uid + 1)"                                                      \
	" ON CONFLICT (folder_id) DO UPDATE SET messages = messages + 1,"   \
	" unseen = unseen + excluded.unseen, changes = changes + 1,"         \
	" uidnext = MAX(uidnext, excluded.uidnext);"                         \
	MIGRATION_32_NOTE("NEW")

static const char migration_45[] =
	"ALTER TABLE folder_counts ADD COLUMN uidnext INTEGER NOT NULL"
	" DEFAULT 1;"
	"INSERT INTO folder_counts (folder_id, uidnext)"
	" SELECT id, uidnext FROM folders WHERE uidnext > 1"
	" ON CONFLICT (folder_id) DO UPDATE SET uidnext = excluded.uidnext;"
	"DROP TRIGGER messages_counted_insert;"
	"DROP TRIGGER messages_counted_update;"
	"CREATE TRIGGER messages_counted_insert AFTER INSERT ON messages"
	" BEGIN" MIGRATION_45_IN " END;"
	"CREATE TRIGGER messages_counted_update"
	" AFTER UPDATE OF folder_id, uid, flags, keywords ON messages"
	" WHEN OLD.folder_id IS NOT NEW.folder_id OR OLD.uid IS NOT NEW.uid"
	" OR OLD.flags IS NOT NEW.flags OR OLD.keywords IS NOT NEW.keywords"
	" BEGIN" MIGRATION_32_OUT MIGRATION_45_IN " END;"
	"ALTER TABLE folders DROP COLUMN uidnext;";

/*
 * PostgreSQL's 46 checks a message's folder and body a statement at a
 * time instead of by foreign keys; SQLite's keys stay: nothing.
 */
static const char migration_46[] = "SELECT 1";

/*
 * messages_unseen (31) goes: it answered a folder's first unseen UID,
 * which no one reads any more (SELECT's UNSEEN comes from the folder's
 * view in memory, imap_view.c; STATUS has no such item), and every
 * unseen message stored wrote an entry at random in it: a delivery to a
 * list of 100,000 changed 9,371 of its pages, 40 % of the pages the
 * delivery wrote (bench B2, 2026-12-07 19:24). Self-contained, so it can
 * be renumbered; as PostgreSQL's 47.
 */
static const char migration_47[] = "DROP INDEX messages_unseen;";

/*
 * PostgreSQL's 48 makes its folders' (mailbox_id, name) key carry the
 * folder's id; SQLite's key holds the rowid already: nothing.
 */
static const char migration_48[] = "SELECT 1";

/*
 * PostgreSQL's 49 lets a statement that counts the messages it inserts
 * say so to its counting trigger, which counts a statement's rows at
 * once; SQLite's triggers count a row at a time: nothing.
 */
static const char migration_49[] = "SELECT 1";

/*
 * A person's card remade by their id, and a new mailbox's person's by the
 * mailbox's, each an equality: SQLite runs every IN (...) of a trigger
 * through a temporary b-tree of its own, even for one value (opened,
 * filled and freed again for each row written), and 41's triggers on a
 * person and a new mailbox had four such for each person made. The cards
 * are the same. A mailbox has at most one person (people.mailbox_id is
 * unique), so its person is one scalar subquery. The triggers for the
 * rarer changes (a mailbox's address, an org, a site) keep 41's sets.
 * PostgreSQL has no cards: its 50 does nothing. A node's People Finder
 * copy runs it after 41's, so its triggers are the store's (the cards,
 * and so the copy's format, are the same).
 */
const char store_sqlite_person_cards_by_id[] =
	"DROP TRIGGER cards_people_insert;"
	"CREATE TRIGGER cards_people_insert AFTER INSERT ON people BEGIN"
	" DELETE FROM person_cards WHERE person_id = NEW.id; "
	CARD_MAKE_WHERE("p.id = NEW.id") " END;"
	"DROP TRIGGER cards_people_update;"
	"CREATE TRIGGER cards_people_update AFTER UPDATE OF "
	CARD_PERSON_COLUMNS " ON people"
	CARD_PERSON_CHANGED
	" DELETE FROM person_cards WHERE person_id = OLD.id;"
	" DELETE FROM person_cards WHERE person_id = NEW.id; "
	CARD_MAKE_WHERE("p.id = NEW.id") " END;"
	"DROP TRIGGER cards_mailboxes_insert;"
	"CREATE TRIGGER cards_mailboxes_insert AFTER INSERT ON mailboxes BEGIN"
	" DELETE FROM person_cards WHERE person_id ="
	" (SELECT id FROM people WHERE mailbox_id = NEW.id); "
	CARD_MAKE_WHERE("p.mailbox_id = NEW.id") " END;";

const char *const store_sqlite_migrations[] = {
	migration_1,
	migration_2,
	migration_3,
	migration_4,
	migration_5,
	migration_6,
	migration_7,
	migration_8,
	migration_9,
	migration_10,
	migration_11,
	migration_12,
	migration_13,
	migration_14,
	migration_15,
	migration_16,
	migration_17,
	migration_18,
	migration_19,
	migration_20,
	migration_21,
	migration_22,
	migration_23,
	migration_24,
	migration_25,
	migration_26,
	migration_27,
	migration_28,
	migration_29,
	migration_30,
	migration_31,
	migration_32,
	migration_33,
	migration_34,
	migration_35,
	migration_36,
	migration_37,
	migration_38,
	migration_39,
	migration_40,
	store_sqlite_person_cards,	/* 41 */
	migration_42,
	migration_43,
	migration_44,
	migration_45,
	migration_46,
	migration_47,
	migration_48,
	migration_49,
	store_sqlite_person_cards_by_id,	/* 50 */
	NULL,
};

/*
 * The connection's own working tables (store_expand.c), made when it opens:
 * recipient sets by scope. Not a migration: TEMP tables live and die with
 * the connection.
 */
const char store_sqlite_session_tables[] =
	"CREATE TEMP TABLE IF NOT EXISTS expansion ("
	" scope INTEGER NOT NULL,"
	" mailbox_id INTEGER NOT NULL,"
	" PRIMARY KEY (scope, mailbox_id)) WITHOUT ROWID;"
	"CREATE TEMP TABLE IF NOT EXISTS expansion_remote ("
	" scope INTEGER NOT NULL,"
	" address TEXT NOT NULL,"
	" notify TEXT NOT NULL DEFAULT '',"
	" orcpt TEXT NOT NULL DEFAULT '',"
	" PRIMARY KEY (scope, address)) WITHOUT ROWID;";

/*
 * The People Finder copy of a node over PostgreSQL (store_finder.c) is a
 * SQLite file whatever the store, so its text is SQLite's, kept here. Its
 * tables: the columns a search and a person's record read, named as in
 * the store, so store_search.c's and store_view.c's statements run on it
 * unchanged (of the address registry, the people's rows alone; of list
 * members, the mailboxes). Its own indexes are made after the rows when
 * it is made whole. copy_state's format is FINDER_COPY_FORMAT
 * (store_finder.c): a copy of another format (or none) is made again.
 */
const char store_sqlite_finder_tables[] =
	"CREATE TABLE copy_state (one INTEGER PRIMARY KEY CHECK (one = 1),"
	" stamp TEXT NOT NULL, synced INTEGER NOT NULL,"
	" format INTEGER NOT NULL, signins_through INTEGER NOT NULL);"
	"CREATE TABLE orgs (id INTEGER PRIMARY KEY, ods TEXT NOT NULL,"
	" name TEXT NOT NULL, helpdesk_phone TEXT NOT NULL,"
	" helpdesk_email TEXT NOT NULL, parent_id INTEGER);"
	"CREATE TABLE sites (id INTEGER PRIMARY KEY, org_id INTEGER NOT NULL,"
	" name TEXT NOT NULL, site_type TEXT NOT NULL);"
	"CREATE TABLE mailboxes (id INTEGER PRIMARY KEY,"
	" address TEXT NOT NULL, kind TEXT NOT NULL, org_id INTEGER NOT NULL,"
	" deleted_at INTEGER);"
	"CREATE TABLE lists (id INTEGER PRIMARY KEY, org_id INTEGER NOT NULL,"
	" address TEXT NOT NULL, deleted_at INTEGER);"
	"CREATE TABLE addresses (address TEXT PRIMARY KEY,"
	" holder_kind TEXT NOT NULL, holder_id INTEGER NOT NULL)"
	" WITHOUT ROWID;"
	"CREATE TABLE owners (object_kind TEXT NOT NULL,"
	" object_id INTEGER NOT NULL, person_id INTEGER NOT NULL,"
	" PRIMARY KEY (object_kind, object_id, person_id)) WITHOUT ROWID;"
	"CREATE TABLE mailbox_members (mailbox_id INTEGER NOT NULL,"
	" person_id INTEGER NOT NULL, PRIMARY KEY (mailbox_id, person_id))"
	" WITHOUT ROWID;"
	"CREATE TABLE list_members (list_id INTEGER NOT NULL,"
	" member_kind TEXT NOT NULL, member_id INTEGER NOT NULL,"
	" PRIMARY KEY (list_id, member_kind, member_id)) WITHOUT ROWID;"
	"CREATE TABLE grants (mailbox_id INTEGER NOT NULL,"
	" person_id INTEGER NOT NULL, \"right\" TEXT NOT NULL,"
	" PRIMARY KEY (mailbox_id, person_id, \"right\")) WITHOUT ROWID;"
	"CREATE TABLE people (id INTEGER PRIMARY KEY, org_id INTEGER NOT NULL,"
	" site_id INTEGER, mailbox_id INTEGER NOT NULL,"
	" first_name TEXT NOT NULL, last_name TEXT NOT NULL,"
	" display_name TEXT NOT NULL, job_title TEXT NOT NULL,"
	" department TEXT NOT NULL, phone TEXT NOT NULL, mobile TEXT NOT NULL,"
	" mobile_hidden INTEGER NOT NULL, notes TEXT NOT NULL,"
	" status TEXT NOT NULL, sync_id TEXT, created_at INTEGER NOT NULL,"
	" updated_at INTEGER NOT NULL, deleted_at INTEGER,"
	" last_signin_at INTEGER, password_changed_at INTEGER,"
	" protocols_off TEXT NOT NULL, locked_at INTEGER,"
	" status_changed_at INTEGER, purged_at INTEGER,"
	" sort_name TEXT NOT NULL);"
	"CREATE TABLE roles (person_id INTEGER NOT NULL,"
	" org_id INTEGER NOT NULL, role TEXT NOT NULL,"
	" granted_at INTEGER NOT NULL,"
	" PRIMARY KEY (person_id, org_id, role)) WITHOUT ROWID;"
	"CREATE TABLE people_search (key TEXT NOT NULL, sort TEXT NOT NULL,"
	" person_id INTEGER NOT NULL, org_id INTEGER NOT NULL,"
	" site_id INTEGER, PRIMARY KEY (key, sort, person_id)) WITHOUT ROWID;";

/*
 * The store's People Finder indexes (store_schema_sqlite.c), as they are,
 * but none unique: the copy's rows are the database's, checked there, and
 * an org is written over in place (store_finder.c), so two orgs that
 * swapped their ODS codes in one transaction clash for a moment.
 */
const char store_sqlite_finder_indexes[] =
	"CREATE INDEX orgs_ods ON orgs(ods);"
	"CREATE INDEX sites_type ON sites(site_type);"
	"CREATE INDEX people_site ON people(site_id);"
	/* The store's is its UNIQUE key; a mailbox's card trigger reads it. */
	"CREATE INDEX people_mailbox ON people(mailbox_id);"
	/* As the store's: an org's card trigger finds its role holders. */
	"CREATE INDEX roles_org ON roles(org_id);"
	"CREATE INDEX people_name ON people(deleted_at, sort_name, id,"
	" site_id, org_id);"
	"CREATE INDEX people_org_name ON people(org_id, deleted_at, sort_name,"
	" id, site_id);"
	"CREATE INDEX people_search_org ON people_search(org_id, key);"
	"CREATE INDEX people_search_person ON people_search(person_id, key);"
	"CREATE INDEX addresses_holder ON addresses(holder_id);"
	"CREATE INDEX owners_person ON owners(person_id);"
	"CREATE INDEX mailbox_members_person ON mailbox_members(person_id);"
	"CREATE INDEX list_members_member ON list_members(member_id);"
	"CREATE INDEX grants_person ON grants(person_id);";

/* The copy's connections: its rows are the database's, checked there. */
const char store_sqlite_finder_open[] = "PRAGMA foreign_keys=OFF";
/*
 * A copy being made is written once and read only when whole: nothing to
 * undo if the node stops halfway (the file is made again), so no journal.
 */
const char store_sqlite_finder_making[] =
	"PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;"
	" PRAGMA cache_size=-65536";
/* Made: followed by small transactions, like any store. */
const char store_sqlite_finder_made[] =
	"PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
	" PRAGMA cache_size=-2000";
