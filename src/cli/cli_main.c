/*
 * The command table and dispatch: every subcommand, its options and its
 * one-line help, in the order `caremail help` lists them. Layer: front end.
 * SECURITY: no command takes a secret in argv (it would show in ps).
 */
#include <stdio.h>

#include "cli/cli.h"
#include "cli/cli_internal.h"
#include "core/error.h"

#define ORG_FIELDS \
	"parent= address= type= description= website= helpdesk-phone= " \
	"helpdesk-email= quota-mb= protocols-off="
#define PERSON_FIELDS \
	"display-name= site= job-title= department= phone= mobile= " \
	"hide-mobile notes= sync-id= protocols-off="

static const struct cli_command cli_commands[] = {
	{ "init", "--dir DIR --domain DOMAIN [--admin EMAIL] "
	  "[--admin-password-stdin] [--store postgresql://URL|sqlite:PATH]",
	  "Makes a new instance with a first Global Admin.",
	  "domain=! admin= admin-password-stdin store=", 0, 0, cli_init },
	{ "serve", "--dir DIR",
	  "Runs the listeners in the foreground until SIGTERM or SIGINT.",
	  "", 0, 0, cli_serve },
	{ "backup", "--dir DIR TARGET [--without-audit-key]",
	  "Copies a running instance into the new directory TARGET: the "
	  "store as one consistent moment, its keys, config and templates, "
	  "and a manifest with each file's SHA-256 (docs/backup.md); "
	  "--without-audit-key leaves audit.key out, to keep apart.",
	  "without-audit-key", 1, 1, cli_backup },
	{ "migrate", "--from sqlite:PATH --to postgresql://URL",
	  "Copies a store into a new, empty one of another backend (a "
	  "SQLite instance onto PostgreSQL), then counts and checksums every "
	  "table on both sides (docs/postgresql.md).",
	  "from=! to=!", 0, 0, cli_migrate },
	{ "restore", "--dir DIR SOURCE [--force] [--audit-key FILE]",
	  "Makes the instance DIR from the backup SOURCE after checking every "
	  "file against its manifest, then checks the audit chain; refuses an "
	  "instance in use, and a non-empty DIR unless --force (which moves "
	  "it aside). --audit-key: the key of a backup made without it.",
	  "force audit-key=", 1, 1, cli_restore },
	{ "demo", "--dir DIR",
	  "Fills a fresh instance with a believable demo directory.",
	  "", 0, 0, cli_demo },
	{ "config defaults", "",
	  "Prints a config file holding every setting at its default.",
	  "", 0, 0, cli_config_defaults },

	{ "org add", "--ods CODE --name NAME [--parent CODE] [--address TEXT] "
	  "[--type T] [--description T] [--website URL] [--helpdesk-phone P] "
	  "[--helpdesk-email E] [--quota-mb N] [--protocols-off LIST]",
	  "Adds an organisation.", "ods=! name=! " ORG_FIELDS, 0, 0,
	  cli_org_add },
	{ "org edit", "CODE [--name NAME] [--parent CODE|\"\"] "
	  "[--address TEXT] [--type T] [--description T] [--website URL] "
	  "[--helpdesk-phone P] [--helpdesk-email E] [--quota-mb N] "
	  "[--protocols-off LIST|\"\"]",
	  "Changes an organisation; --parent \"\" makes it a root. "
	  "--protocols-off imap,pop3,smtp turns those off for all its people.",
	  "name= " ORG_FIELDS, 1, 1, cli_org_edit },
	{ "org show", "CODE", "Shows an organisation.", "", 1, 1,
	  cli_org_show },
	{ "org list", "", "Lists every organisation.", "", 0, 0, cli_org_list },
	{ "org policy", "CODE [--send-limit-message N|default] "
	  "[--send-limit-day N|default] [--dlp-high ACTION|default] "
	  "[--dlp-medium ACTION|default] [--dlp-low ACTION|default]",
	  "Shows an organisation's mail policy, or overrides the service's "
	  "sending limits and DLP actions for it (default: the service's).",
	  "send-limit-message= send-limit-day= dlp-high= dlp-medium= "
	  "dlp-low=", 1, 1, cli_org_policy },
	{ "guest invite", "--org ODS --address ADDR --name NAME --inviter ADDR",
	  "Invites an external guest into an organisation; the inviter (an "
	  "active person of it) attests at once.", "org=! address=! name=! "
	  "inviter=!", 0, 0, cli_guest_invite },
	{ "guest list", "[--org ODS] [--all]", "Lists guests with their next "
	  "attestation (--all: removed ones too).", "org= all", 0, 0,
	  cli_guest_list },
	{ "guest attest", "ID --by ADDR", "Records the inviter's attestation "
	  "that the guest still needs access.", "by=!", 1, 1,
	  cli_guest_attest },
	{ "guest inviter", "ID --inviter ADDR", "Gives a guest a new inviter, "
	  "who must then attest.", "inviter=!", 1, 1, cli_guest_inviter },
	{ "guest remove", "ID [--reason TEXT]", "Removes a guest now.",
	  "reason=", 1, 1, cli_guest_remove },
	{ "guest sweep", "[--at TIME] [--dry-run]", "Asks for due "
	  "attestations and removes guests not attested, as of TIME.",
	  "at= dry-run", 0, 0, cli_guest_sweep },
	{ "licence set", "--org ODS --name NAME --quota N --expires DATE",
	  "Adds an organisation's add-on licence or changes its quota and "
	  "expiry.", "org=! name=! quota=! expires=!", 0, 0,
	  cli_licence_set },
	{ "licence allocate", "--org ODS --name NAME ADDRESS...", "Gives the "
	  "add-on to people of the organisation.", "org=! name=!", 1, 1000,
	  cli_licence_allocate },
	{ "licence free", "--org ODS --name NAME ADDRESS...", "Takes the "
	  "add-on back from people.", "org=! name=!", 1, 1000,
	  cli_licence_free },
	{ "licence rule", "--org ODS --name NAME --rule all|department=D|"
	  "job_title=T|none", "Sets the add-on's allocation rule and gives it "
	  "to everyone it matches while the quota lasts.",
	  "org=! name=! rule=!", 0, 0, cli_licence_rule },
	{ "licence report", "[--org ODS] [--csv]", "The licence report: each "
	  "add-on's quota, use, expiry and holders.", "org= csv", 0, 0,
	  cli_licence_report },
	{ "licence sweep", "[--at TIME] [--dry-run]", "Sends the add-on "
	  "expiry notices due as of TIME.", "at= dry-run", 0, 0,
	  cli_licence_sweep },
	{ "site add", "--org ODS --name NAME --type TYPE [--address TEXT]",
	  "Adds a site to an organisation.", "org=! name=! type=! address=",
	  0, 0, cli_site_add },
	{ "site list", "[--org ODS]", "Lists sites.", "org=", 0, 0,
	  cli_site_list },
	{ "relay add", "--org ODS --cidr IP[/BITS] --label NAME",
	  "Registers an application server that may relay from the org's "
	  "addresses.", "org=! cidr=! label=!", 0, 0, cli_relay_add },
	{ "relay list", "[--org ODS]",
	  "Lists application servers registered for relay.", "org=", 0, 0,
	  cli_relay_list },
	{ "relay remove", "--id N", "Removes an application server's "
	  "registration at once.", "id=!", 0, 0, cli_relay_remove },

	{ "import users", "FILE.csv [--org ODS] [--dry-run]",
	  "Creates, updates, marks leavers and joins people from a CSV file "
	  "(docs/csv.md): every row is checked first and nothing changes "
	  "unless all are right.", "org= dry-run", 1, 1, cli_import_users },
	{ "user add", "--org ODS --first NAME --last NAME [--email ADDR] "
	  "[--display-name N] [--site NAME] [--job-title T] [--department D] "
	  "[--phone P] [--mobile M] [--hide-mobile] [--notes T] [--sync-id ID] "
	  "[--protocols-off LIST]",
	  "Adds a person and prints their address.",
	  "org=! first=! last=! email= " PERSON_FIELDS, 0, 0, cli_user_add },
	{ "user edit", "EMAIL [--first NAME] [--last NAME] [--display-name N] "
	  "[--site NAME|\"\"] [--job-title T] [--department D] [--phone P] "
	  "[--mobile M] [--show-mobile|--hide-mobile] [--notes T] "
	  "[--sync-id ID|\"\"] [--protocols-off imap,pop3,smtp|\"\"]",
	  "Changes a person's details.",
	  "first= last= show-mobile " PERSON_FIELDS, 1, 1, cli_user_edit },
	{ "user unlock", "EMAIL",
	  "Lifts a sign-in lock after too many failures; the status stays.",
	  "", 1, 1, cli_user_unlock },
	{ "user devices", "EMAIL",
	  "Lists the mail clients a person has signed in with.", "", 1, 1,
	  cli_user_devices },
	{ "user show", "EMAIL", "Shows a person with their roles and grants.",
	  "", 1, 1, cli_user_show },
	{ "user list",
	  "[--org ODS] [--include-deleted] [--limit N] [--after ID]",
	  "Lists people.", "org= include-deleted limit= after=", 0, 0,
	  cli_user_list },
	{ "user delete", "EMAIL",
	  "Deletes a person; their address is never reused.", "", 1, 1,
	  cli_user_delete },
	{ "user passwd", "EMAIL --stdin [--permanent]",
	  "Sets a temporary password from the first line of stdin; "
	  "--permanent: one the person need not change.", "stdin permanent",
	  1, 1, cli_user_passwd },
	{ "user app-passwords", "EMAIL",
	  "Lists a person's app passwords for mail programs (no secrets).",
	  "", 1, 1, cli_user_app_passwords },
	{ "user app-password-revoke", "EMAIL ID",
	  "Revokes one of a person's app passwords.", "", 2, 2,
	  cli_user_app_password_revoke },

	{ "shared add", "--org ODS --name NAME [--email ADDR]",
	  "Adds a shared mailbox.", "org=! name=! email=", 0, 0,
	  cli_mailbox_add },
	{ "shared list", "[--org ODS]", "Lists shared mailboxes.", "org=", 0, 0,
	  cli_mailbox_list },
	{ "shared show", "EMAIL",
	  "Shows a shared mailbox, its owners and grants.", "", 1, 1,
	  cli_mailbox_show },
	{ "shared delete", "EMAIL", "Deletes a shared mailbox.", "", 1, 1,
	  cli_mailbox_delete },
	{ "shared confirm", "EMAIL",
	  "Keeps a shared mailbox its owners were told is unused (SPEC L5).",
	  "", 1, 1, cli_mailbox_confirm },
	{ "shared owners add", "EMAIL PERSON...", "Makes people owners.", "",
	  2, -1, cli_owners_add },
	{ "shared owners remove", "EMAIL PERSON...",
	  "Removes owners; they stay members and keep any grants.", "", 2, -1,
	  cli_owners_remove },
	{ "shared members add", "EMAIL PERSON...",
	  "Makes people members of a shared mailbox.", "", 2, -1,
	  cli_members_add },
	{ "shared members remove", "EMAIL PERSON...",
	  "Removes members; ownership is kept.", "", 2, -1,
	  cli_members_remove },
	{ "resource add", "--org ODS --name NAME [--email ADDR]",
	  "Adds a resource mailbox (a room or equipment).",
	  "org=! name=! email=", 0, 0, cli_mailbox_add },
	{ "resource list", "[--org ODS]", "Lists resource mailboxes.", "org=",
	  0, 0, cli_mailbox_list },
	{ "resource show", "EMAIL", "Shows a resource mailbox.", "", 1, 1,
	  cli_mailbox_show },
	{ "resource delete", "EMAIL", "Deletes a resource mailbox.", "", 1, 1,
	  cli_mailbox_delete },
	{ "resource owners add", "EMAIL PERSON...", "Makes people owners.", "",
	  2, -1, cli_owners_add },
	{ "resource owners remove", "EMAIL PERSON...", "Removes owners.", "",
	  2, -1, cli_owners_remove },
	{ "resource members add", "EMAIL PERSON...", "Makes people members.",
	  "", 2, -1, cli_members_add },
	{ "resource members remove", "EMAIL PERSON...", "Removes members.", "",
	  2, -1, cli_members_remove },
	{ "contact add", "--org ODS --name NAME --email ADDR",
	  "Adds an external contact.", "org=! name=! email=!", 0, 0,
	  cli_contact_add },
	{ "contact list", "[--org ODS]", "Lists contacts.", "org=", 0, 0,
	  cli_contact_list },
	{ "contact delete", "EMAIL", "Deletes a contact.", "", 1, 1,
	  cli_contact_delete },

	{ "list add", "--org ODS --name NAME [--email ADDR] "
	  "[--dynamic --rule JSON]",
	  "Adds a distribution list, static unless --dynamic.",
	  "org=! name=! email= dynamic rule=", 0, 0, cli_list_add },
	{ "list list", "[--org ODS]", "Lists distribution lists.", "org=", 0, 0,
	  cli_list_list },
	{ "list show", "LIST", "Shows a list and its owners.", "", 1, 1,
	  cli_list_show },
	{ "list members", "LIST", "Lists a static list's direct members.", "",
	  1, 1, cli_list_members },
	{ "list members add", "LIST ADDRESS...",
	  "Adds members; if one cannot be added, none is.", "", 2, -1,
	  cli_list_members_add },
	{ "list members remove", "LIST ADDRESS...",
	  "Removes members; if one cannot be removed, none is.", "", 2, -1,
	  cli_list_members_remove },
	{ "list expand", "LIST",
	  "Prints every address mail to the list reaches, once each.", "", 1,
	  1, cli_list_expand },
	{ "list delete", "LIST", "Deletes a list.", "", 1, 1, cli_list_delete },
	{ "list owners add", "LIST PERSON...", "Makes people owners of a list.",
	  "", 2, -1, cli_owners_add },
	{ "list owners remove", "LIST PERSON...",
	  "Removes owners; membership is kept.", "", 2, -1, cli_owners_remove },

	{ "grant add", "MAILBOX PERSON --right RIGHT",
	  "Grants full_access, send_as or send_on_behalf.", "right=!", 2, 2,
	  cli_grant_add },
	{ "grant remove", "MAILBOX PERSON --right RIGHT", "Removes a grant.",
	  "right=!", 2, 2, cli_grant_remove },
	{ "grant list", "ADDRESS",
	  "Lists grants on a mailbox, or held by a person.", "", 1, 1,
	  cli_grant_list },
	{ "role add", "PERSON --org ODS --role ROLE",
	  "Gives a person an admin role for an organisation.", "org=! role=!",
	  1, 1, cli_role_add },
	{ "role remove", "PERSON --org ODS --role ROLE",
	  "Removes an admin role.", "org=! role=!", 1, 1, cli_role_remove },

	{ "audit list", "[--type T] [--action A] [--actor A] [--org ODS] "
	  "[--since|--from DATE] [--until|--to DATE] [--limit N]",
	  "Lists audit rows, newest first.",
	  "type= action= actor= org= since= until= from= to= limit=", 0, 0,
	  cli_audit_list },
	{ "audit verify", "",
	  "Checks the audit chain; exits 1 naming the first broken row.",
	  "", 0, 0, cli_audit_verify },

	{ "queue list", "[--all] [--after ID] [--limit N]",
	  "Lists mail waiting to go to other domains (--all: delivered and "
	  "failed too).", "all after= limit=", 0, 0, cli_queue_list },
	{ "queue show", "ID", "Shows one queued recipient's delivery state.",
	  "", 1, 1, cli_queue_show },
	{ "queue retry", "ID | --all",
	  "Makes a waiting recipient (or every one) due for delivery now.",
	  "all", 0, 1, cli_queue_retry },
	{ "queue bounce", "ID",
	  "Stops trying a waiting recipient and returns the message: its "
	  "sender gets a report saying an administrator returned it.",
	  "", 1, 1, cli_queue_bounce },
	{ "queue delete", "ID --reason TEXT",
	  "Deletes a waiting recipient without telling anyone (junk stuck in "
	  "the queue); the reason is audited.",
	  "reason=!", 1, 1, cli_queue_delete },
	{ "queue run", "[--at TIME]",
	  "Delivers every recipient due at TIME (default now) once and prints "
	  "what happened to each.", "at=", 0, 0, cli_queue_run },
	{ "secure purge", "[--at TIME]",
	  "Forgets the key and sealed text of every secure message expired "
	  "at TIME (default now): it can never be read again; who read it "
	  "stays. serve does this every hour.", "at=", 0, 0,
	  cli_secure_purge },
	{ "maintenance on", "[--message TEXT] [--until TIME]",
	  "Turns maintenance mode on (or changes its message or expected "
	  "end): the API refuses changes with 503 and the portal shows a "
	  "landing page, while mail, sign-in and reading go on.",
	  "message= until=", 0, 0, cli_maintenance_on },
	{ "maintenance off", "",
	  "Turns maintenance mode off.", "", 0, 0, cli_maintenance_off },
	{ "maintenance status", "",
	  "Says whether maintenance mode is on, its message and expected end.",
	  "", 0, 0, cli_maintenance_status },
	{ "blobs check", "",
	  "Reads every message body kept outside the database back from the "
	  "blob store ([blobs]) and checks it against its SHA-256; exits 1 "
	  "naming any missing or damaged.", "", 0, 0, cli_blobs_check },
	{ "blobs move", "",
	  "Moves the message bodies kept in the database out to the blob "
	  "store [blobs] names, one at a time while mail flows; audited.",
	  "", 0, 0, cli_blobs_move },
	{ "jobs run", "[--at TIME] [--dry-run]",
	  "Applies every lifecycle step due at TIME (default now) and sends "
	  "its notices; --dry-run lists what would happen and who would be "
	  "told, changing and sending nothing.", "at= dry-run", 0, 0,
	  cli_jobs_run },
	{ "mailtips", "ADDRESS... [--size BYTES]",
	  "Says what a sender would be told about each recipient: unknown, "
	  "closed, a leaver, disabled, mailbox full, outside and not secure, "
	  "a list and how many it reaches.", "size=", 1, -1, cli_mailtips },

	{ "auth check", "--ip IP --helo NAME --mail-from ADDR "
	  "[--authserv-id ID] [< MESSAGE]",
	  "Checks SPF, DKIM and DMARC as inbound mail is judged and prints "
	  "them as JSON with the Authentication-Results field.",
	  "ip=! helo=! mail-from=! authserv-id=", 0, 0, cli_auth_check },
	{ "dns lookup", "TYPE NAME",
	  "Looks up MX, A, AAAA, TXT, TLSA or PTR records as outbound mail sees "
	  "them, with their DNSSEC state; exits 1 when the DNS gave no answer.",
	  "", 2, 2, cli_dns_lookup },
	{ "dkim keygen", "--domain D [--algorithm rsa|ed25519] [--selector S]",
	  "Makes a DKIM key for a hosted domain (the first one signs at once).",
	  "domain=! algorithm= selector=", 0, 0, cli_dkim_keygen },
	{ "dkim activate", "--domain D --selector S",
	  "Makes a domain's key with that selector the one that signs.",
	  "domain=! selector=!", 0, 0, cli_dkim_activate },
	{ "dkim show", "--domain D [--selector S]",
	  "Prints a domain's DKIM selector and the TXT record to publish.",
	  "domain=! selector=", 0, 0, cli_dkim_show },
	{ "dkim sign", "--domain D [--selector S]",
	  "Reads a message on stdin and writes it DKIM-signed to stdout.",
	  "domain=! selector=", 0, 0, cli_dkim_sign },
	{ "dns records", "--domain D",
	  "Prints every DNS record to publish for a hosted domain, as a zone.",
	  "domain=!", 0, 0, cli_dns_records },
	{ "smtp send", "--to-host ADDRESS:PORT --from SENDER RECIPIENT... "
	  "[--tls none|opportunistic|required] [--tls-name NAME] [--ca FILE] "
	  "[--helo NAME] [--auth-user USER] [--ret FULL|HDRS] [--envid ID] "
	  "[--notify LIST] [--orcpt] [--repeat N] "
	  "[--mta-sts DOMAIN] [--dane] [--secure-domain] < MESSAGE",
	  "Sends one message from stdin to one server and prints each "
	  "recipient's result.",
	  "to-host=! from=! tls= tls-name= ca= helo= auth-user= ret= envid= "
	  "notify= orcpt repeat= mta-sts= dane secure-domain", 1, -1,
	  cli_smtp_send },
	{ "mta-sts show", "DOMAIN",
	  "Fetches a recipient domain's MTA-STS policy (or reads the cache) "
	  "and says what it means for our mail.",
	  "", 1, 1, cli_mta_sts_show },
	{ "tlsrpt report", "--day YYYY-MM-DD [--domain D]",
	  "Prints the day's TLS-RPT reports (RFC 8460 JSON), one per "
	  "recipient domain.",
	  "day=! domain=", 0, 0, cli_tlsrpt_report },

	{ "dlp scan", "FILE|-",
	  "Scans a message (a file, or - for stdin) for NHS numbers as the "
	  "DLP policy does and prints the tier, counts and masked samples; "
	  "exits 3 when a number is found, 4 when part of the message "
	  "cannot be read.",
	  "", 1, 1, cli_dlp_scan },

	{ "help", "[COMMAND]", "Lists commands, or shows one.", "", 0, -1,
	  cli_help },
	{ "version", "", "Prints the version.", "", 0, 0, cli_version },
};

static const struct cli_table cli_table = {
	cli_commands, sizeof(cli_commands) / sizeof(*cli_commands)
};

int
cli_main(int argc, char **argv)
{
	struct cli_args args;
	struct error err;
	error_clear(&err);
	int rc = cli_args_parse(argc, argv, &cli_table, &args, &err);
	if (rc == 0 && (args.help || args.command == NULL))
		cli_help_print(stdout, &cli_table, args.command != NULL ?
			args.command->name : NULL);
	else if (rc == 0)
		rc = args.command->run(&args, &err);
	/* A command may end with a status of its own: dlp scan's 3 and 4. */
	int status = rc > 0 ? rc : CLI_EXIT_OK;
	if (rc < 0) {
		cli_print_error(&args, &err);
		status = args.usage_error ? CLI_EXIT_USAGE : CLI_EXIT_FAILURE;
	}
	/* A result that could not be written is no result: 3 and 4 too. */
	if (fflush(stdout) != 0 && status != CLI_EXIT_FAILURE &&
		status != CLI_EXIT_USAGE) {
		fprintf(stderr, "caremail: cannot write the output.\n");
		status = CLI_EXIT_FAILURE;
	}
	cli_args_free(&args);
	return status;
}
