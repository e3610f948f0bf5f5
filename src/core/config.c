/*
 * The settings table and the config file parser. Layer: core. The parser is
 * fuzzed (tests/fuzz/fuzz_config.c): it bounds line length and file size and
 * applies a file all or nothing.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "str.h"
#include "xmalloc.h"

#define CONFIG_MAX_FILE (1024 * 1024)
#define CONFIG_MAX_NAME 64
/* Leaves room for `key = "value"` so every line config_write makes re-reads. */
#define CONFIG_MAX_VALUE (CONFIG_MAX_LINE - CONFIG_MAX_NAME - 8)

enum config_type {
	CONFIG_TYPE_STRING,
	CONFIG_TYPE_INT,
	CONFIG_TYPE_BOOL,
	CONFIG_TYPE_LISTEN,	/* "ADDRESS:PORT", "[V6]:PORT" or "off" */
	CONFIG_TYPE_LIST,	/* comma-separated items */
	CONFIG_TYPE_CHOICE,	/* one of `choices` */
};

struct config_setting {
	const char *name;	/* "section.key" */
	enum config_type type;
	const char *default_value;
	/*
	 * CONFIG_TYPE_INT: the range. CONFIG_TYPE_LIST: max is the longest
	 * item in bytes (0: any), so no reader finds one it cannot hold.
	 */
	int64_t min, max;
	const char *choices;	/* for CONFIG_TYPE_CHOICE: "a,b,c" */
	const char *help;
};

/* Sections appear in the written file in the order of their first setting. */
static const struct config_setting config_settings[] = {
	{ "mail.domains", CONFIG_TYPE_LIST, "", 0, 253, NULL,
	  "Mail domains this instance hosts, comma-separated. New addresses are made in the first." },
	{ "mail.spoof_mode", CONFIG_TYPE_CHOICE, "junk", 0, 0, "tag,junk,reject",
	  "Mail from the internet (not signed in, not a registered relay, not from mail.trusted_networks) whose envelope sender or From is in a hosted domain, or under one, and that cannot prove it (SPEC M9): tag puts the external-sender banner at the top of its text, junk files it in Junk E-mail, reject refuses it with 550. Each is logged and audited." },
	{ "mail.trusted_networks", CONFIG_TYPE_LIST, "", 0, 0, NULL,
	  "Networks whose mail is not from the internet (e.g. the HSCN ranges of your own servers), comma-separated addresses or CIDR blocks: mail from them claiming a hosted domain is delivered as it is. serve refuses to start with an entry that is neither." },
	{ "mail.shared_sent_copies", CONFIG_TYPE_BOOL, "true", 0, 0, NULL,
	  "Mail a person sends as, or on behalf of, a shared mailbox is also filed, marked read, in that mailbox's Sent Items, so everyone who works from it sees what went out in its name (SPEC M12a). false: only the sender's mail client keeps a copy." },
	{ "mail.sender_auth", CONFIG_TYPE_BOOL, "true", 0, 0, NULL,
	  "Check mail from the internet with SPF, DKIM and DMARC (through dns.servers) and record the results in an Authentication-Results field at the top of the message: a DMARC failure under the sender's p=reject is refused at DATA, under p=quarantine filed in Junk E-mail, and a claim to a hosted domain signed with its DKIM key is delivered as it is." },
	{ "mail.sender_auth_budget_ms", CONFIG_TYPE_INT, "4000", 100, 60000, NULL,
	  "Milliseconds the sender checks of one message may take in all; once spent, the remaining lookups count as temporary errors (temperror), so a slow or dead DNS delays a message by about this much and never stops intake." },
	{ "mail.dlp_high", CONFIG_TYPE_CHOICE, "block", 0, 0, "none,audit,encrypt,block",
	  "Data loss prevention (SPEC M12, docs/dlp.md) for mail to recipients outside the platform and the secure domains: what an NHS number found with a keyword such as 'NHS number' nearby does. block: not sent to them, the sender told why in a report naming only the masked number; encrypt: sent to them encrypted, read in the secure message portal as with [secure]; audit: sent, the find logged and audited; none: nothing. The strongest action among the tiers found decides; a message that cannot all be read is blocked when any tier blocks, else encrypted when any tier encrypts." },
	{ "mail.dlp_medium", CONFIG_TYPE_CHOICE, "block", 0, 0, "none,audit,encrypt,block",
	  "The same for a number written 3-3-4 in an issued range, with no keyword nearby." },
	{ "mail.dlp_low", CONFIG_TYPE_CHOICE, "audit", 0, 0, "none,audit,encrypt,block",
	  "The same for any other ten digits with a valid check digit (one reference number in eleven passes the check)." },
	{ "mail.dlp_alert", CONFIG_TYPE_CHOICE, "block", 0, 0, "none,block,all",
	  "Which NHS number finds are mailed to the Local Administrators of the sender's organisation (the number masked, nothing else of the message): block: the messages stopped; all: also those encrypted or only audited; none: the audit only." },
	{ "mail.send_limits", CONFIG_TYPE_BOOL, "true", 0, 0, NULL,
	  "Sending limits for people (SPEC M7, docs/outbound.md): a person who has not accepted the Acceptable Use Policy (auth.aup_version) and set their three security questions in the portal can send to no one, and the others are held to mail.send_limit_message and mail.send_limit_day. A message over a limit is accepted and every recipient stopped, the sender told why in a report. Applications (API tokens, registered relays) are not limited. false: no limits." },
	{ "mail.send_limit_message", CONFIG_TYPE_INT, "500", 1, 1000000, NULL,
	  "Recipients one message a person sends may have (each address as given: a list counts once). An organisation may have its own (caremail org policy)." },
	{ "mail.send_limit_day", CONFIG_TYPE_INT, "10000", 1, 1000000, NULL,
	  "Recipients a person may send to in a UTC day, counted over the messages accepted since 00:00 UTC. An organisation may have its own (caremail org policy)." },
	{ "store.backend", CONFIG_TYPE_CHOICE, "sqlite", 0, 0, "sqlite,postgresql",
	  "Storage backend. sqlite keeps everything in one file in the instance directory; postgresql keeps it in a PostgreSQL database that several nodes can share (docs/postgresql.md)." },
	{ "store.path", CONFIG_TYPE_STRING, "caremail.db", 0, 0, NULL,
	  "sqlite: the database file, relative to the instance directory. postgresql: the connection URL (postgresql://USER@HOST:PORT/DATABASE); keep its password out of it, in the user's ~/.pgpass or PGPASSFILE." },
	{ "store.busy_timeout_ms", CONFIG_TYPE_INT, "5000", 0, 600000, NULL,
	  "How long a writer waits for another writer before giving up, in milliseconds." },
	{ "store.finder_copy", CONFIG_TYPE_STRING, "auto", 0, 0, NULL,
	  "postgresql: where this node keeps its own copy of the People Finder's data (a SQLite file, answering searches without the database: docs/postgresql.md). auto: people-finder.db in the instance directory (people-finder-2.db, ... for further nodes started from the same directory); off: none, every search asks the database; else a file, relative to the instance directory or absolute, that no other node's process uses. sqlite: not used." },
	{ "store.search_cache_mb", CONFIG_TYPE_INT, "32", 0, 4096, NULL,
	  "sqlite: megabytes of the store's pages each People Finder search connection keeps (one for each request thread, and a few more while many requests wait), so a search reads the cards and keys it read before from memory, not the file (docs/design.md). 0: SQLite's own 2 MB. postgresql: not used (a node's copy has its own)." },
	{ "store.session_cache_s", CONFIG_TYPE_INT, "10", 0, 300, NULL,
	  "postgresql: seconds this node may answer a signed-in request that changes nothing (GET, HEAD) from a session it read from the database before, without asking the database again (docs/postgresql.md); a write always reads its session. Whatever ends or changes a session, its person or their roles is announced by the database at commit and forgotten by this node at once for its own commits, and within milliseconds for other nodes'; nothing is used while the node's listener has lost the database. 0: every request reads its session from the database. sqlite: not used." },
	{ "blobs.backend", CONFIG_TYPE_CHOICE, "database", 0, 0, "database,directory,s3",
	  "Where message bodies are kept (docs/blobs.md). database: in the store, beside their rows (one node). directory: one file per body under blobs.path, a directory every node mounts. s3: objects in an S3-compatible store (blobs.s3_url). Each body is kept once, named by its SHA-256, and checked against it when read. Bodies already stored stay where they are; caremail blobs check reads them all." },
	{ "blobs.path", CONFIG_TYPE_STRING, "blobs", 0, 0, NULL,
	  "directory: the blob directory, relative to the instance directory or absolute. Several nodes must all name the same shared directory." },
	{ "blobs.s3_url", CONFIG_TYPE_STRING, "", 0, 0, NULL,
	  "s3: the bucket's URL, path style: https://HOST[:PORT]/BUCKET. http:// only for a store on this machine's loopback." },
	{ "blobs.s3_prefix", CONFIG_TYPE_STRING, "", 0, 0, NULL,
	  "s3: text put before each object's name (bodies/, say), so one bucket can hold several instances." },
	{ "blobs.s3_region", CONFIG_TYPE_STRING, "us-east-1", 0, 0, NULL,
	  "s3: the region named in each request's signature (AWS Signature Version 4)." },
	{ "blobs.s3_access_key", CONFIG_TYPE_STRING, "", 0, 0, NULL,
	  "s3: the access key id." },
	{ "blobs.s3_secret_file", CONFIG_TYPE_STRING, "", 0, 0, NULL,
	  "s3: a file holding the secret access key alone (mode 0600), relative to the instance directory or absolute; the secret is never in this file or the logs." },
	{ "blobs.s3_ca_file", CONFIG_TYPE_STRING, "", 0, 0, NULL,
	  "s3: CA certificates (PEM) for a store with a private certificate authority; empty: the system's." },
	{ "blobs.timeout_ms", CONFIG_TYPE_INT, "10000", 100, 600000, NULL,
	  "s3: milliseconds one request may take, connecting included; a store that does not answer in time defers the mail, which is retried." },
	{ "tls.cert", CONFIG_TYPE_STRING, "tls/cert.pem", 0, 0, NULL,
	  "TLS certificate chain (PEM), relative to the instance directory." },
	{ "tls.key", CONFIG_TYPE_STRING, "tls/key.pem", 0, 0, NULL,
	  "TLS private key (PEM), relative to the instance directory." },
	{ "http.listen", CONFIG_TYPE_LISTEN, "127.0.0.1:8080", 0, 0, NULL,
	  "Address and port of the portal, API and health check, or off." },
	{ "http.tls", CONFIG_TYPE_BOOL, "on", 0, 0, NULL,
	  "Serve HTTPS with the instance certificate. off serves plain HTTP: for loopback tests only." },
	{ "http.max_connections", CONFIG_TYPE_INT, "256", 1, 100000, NULL,
	  "Concurrent HTTP connections; more are refused." },
	{ "http.max_per_ip", CONFIG_TYPE_INT, "64", 0, 100000, NULL,
	  "Concurrent HTTP connections from one client IP address; more are refused, so one address cannot take every connection. Behind a reverse proxy every client has the proxy's address: cap clients in the proxy and set 0 here. 0: no limit." },
	{ "http.timeout_s", CONFIG_TYPE_INT, "30", 1, 3600, NULL,
	  "Seconds an idle HTTP connection is kept open while a request is handled or its reply is read." },
	{ "http.header_timeout_s", CONFIG_TYPE_INT, "20", 1, 3600, NULL,
	  "Seconds a client has to send a request's whole headers, counted from connecting or from the previous reply however slowly the bytes come; an idle keep-alive connection is closed then too." },
	{ "http.body_timeout_s", CONFIG_TYPE_INT, "60", 1, 3600, NULL,
	  "Seconds a client has to send a request's whole body once its headers are in." },
	{ "http.max_body_kb", CONFIG_TYPE_INT, "1024", 1, 65536, NULL,
	  "Largest request body in KiB from a signed-in session or an API token; larger gets 413." },
	{ "http.max_body_unauthenticated_kb", CONFIG_TYPE_INT, "8", 1, 1024, NULL,
	  "Largest request body in KiB before the request is known to be signed in (sign-in and recovery send under 2 KiB). Connections not signed in hold at most http.max_connections x (32 KiB + this)." },
	{ "http.public_url", CONFIG_TYPE_STRING, "", 0, 0, NULL,
	  "Address people reach the portal at (such as https://mail.example.nhs.uk), for links in the mail caremail sends (the secure message portal's). Empty: https:// then smtp.hostname (or the first mail domain) and http.listen's port." },
	{ "http.web_root", CONFIG_TYPE_STRING, "", 0, 0, NULL,
	  "Directory of the built web pages (make builds them into build/web; docs/web.md), relative to the instance directory, served at / beside the API. Empty: no pages." },
	{ "http.threads", CONFIG_TYPE_INT, "0", 0, 1024, NULL,
	  "Threads reading HTTP requests and answering reads (GET, HEAD; not the exports and secure-message bodies, which wait apart), each serving many connections; 0: one for each core this process may use (its CPU affinity, and no more than a CPU quota on its cgroup allows: a container's --cpus, systemd's CPUQuota=), on either store. More makes searches take turns on the cores, and the slowest answers slower." },
	{ "http.wait_threads", CONFIG_TYPE_INT, "8", 0, 1024, NULL,
	  "Threads answering the HTTP requests that may wait (every method but GET and HEAD: a write waits for its commit, a sign-in for its password hash; and the exports and secure-message bodies), so none holds up the reads; at most this many sign-ins hash at once, each with 19 MiB. 0: they are answered on the request threads." },
	{ "http.metrics_allow", CONFIG_TYPE_LIST, "127.0.0.1, ::1", 0, 79, NULL,
	  "Client addresses or CIDR blocks, comma-separated, that may read GET /metrics (Prometheus metrics, docs/operations.md); every other client gets 403. Empty: nobody. Behind a reverse proxy every client has the proxy's address, so keep /metrics off the proxy or list only the Prometheus server." },
	{ "smtp.listen", CONFIG_TYPE_LISTEN, "127.0.0.1:2525", 0, 0, NULL,
	  "Inbound mail (MX) listener, ADDRESS:PORT or off. Offers STARTTLS; never relays." },
	{ "submission.listen", CONFIG_TYPE_LISTEN, "127.0.0.1:5587", 0, 0, NULL,
	  "Mail submission with STARTTLS (port 587 in production), or off. Sign-in required." },
	{ "submission.greet_pause_ms", CONFIG_TYPE_INT, "200", 0, 30000, NULL,
	  "As smtp.greet_pause_ms, for the submission listeners (shorter: people wait on it)." },
	{ "submissions.listen", CONFIG_TYPE_LISTEN, "127.0.0.1:4465", 0, 0, NULL,
	  "Mail submission over implicit TLS (port 465 in production), or off." },
	{ "relay.listen", CONFIG_TYPE_LISTEN, "127.0.0.1:5025", 0, 0, NULL,
	  "Relay for organisations' application servers (SPEC M3), or off. Only addresses an org has registered (caremail relay add) may send, from that org's addresses, without signing in." },
	{ "relay.require_tls", CONFIG_TYPE_BOOL, "on", 0, 0, NULL,
	  "Whether an application server must STARTTLS on the relay listener before MAIL." },
	{ "smtp.hostname", CONFIG_TYPE_STRING, "", 0, 0, NULL,
	  "Name the SMTP listeners greet with and stamp in Received headers; empty: the first mail domain." },
	{ "smtp.max_message_size_mb", CONFIG_TYPE_INT, "35", 1, 2048, NULL,
	  "Largest message accepted, in MiB (advertised as SIZE)." },
	{ "smtp.max_recipients", CONFIG_TYPE_INT, "1000", 100, 100000, NULL,
	  "Recipients one message may have; RFC 5321 requires at least 100." },
	{ "smtp.max_line_length", CONFIG_TYPE_INT, "2048", 1000, 65536, NULL,
	  "Longest line of message text accepted, in bytes with its CRLF." },
	{ "smtp.timeout_s", CONFIG_TYPE_INT, "300", 1, 3600, NULL,
	  "Seconds a client may stay silent before the session is closed (RFC 5321 4.5.3.2)." },
	{ "smtp.max_sessions", CONFIG_TYPE_INT, "256", 1, 100000, NULL,
	  "Concurrent sessions per SMTP listener; more are told to try later." },
	{ "smtp.max_per_ip", CONFIG_TYPE_INT, "50", 0, 100000, NULL,
	  "Concurrent sessions per SMTP listener from one client IP address (Postfix's smtpd_client_connection_count_limit is 50); 0: no limit." },
	{ "smtp.max_errors", CONFIG_TYPE_INT, "20", 1, 1000, NULL,
	  "Errors a client may make in one session before it is disconnected." },
	{ "smtp.greet_pause_ms", CONFIG_TYPE_INT, "1000", 0, 30000, NULL,
	  "Milliseconds the MX listener waits before its 220 greeting; a client that talks first is refused (Postfix's pregreet test); 0: no wait." },
	{ "smtp.min_free_mb", CONFIG_TYPE_INT, "100", 0, 1048576, NULL,
	  "MiB that must stay free on the store's disk; MAIL is answered 452 4.3.1 below it, or below 1.5 times the largest message allowed." },
	{ "imap.listen", CONFIG_TYPE_LISTEN, "127.0.0.1:1143", 0, 0, NULL,
	  "IMAP listener with STARTTLS (port 143 in production), or off. Sign-in only after TLS." },
	{ "imap.timeout_s", CONFIG_TYPE_INT, "1800", 60, 86400, NULL,
	  "Seconds a signed-in IMAP client may stay silent, IDLE included (RFC 9051: at least 30 minutes)." },
	{ "imap.max_sessions", CONFIG_TYPE_INT, "1000", 1, 100000, NULL,
	  "Concurrent sessions per IMAP listener; more are told to try later." },
	{ "imap.max_per_ip", CONFIG_TYPE_INT, "100", 0, 100000, NULL,
	  "Concurrent sessions per IMAP listener from one client IP address (generous: a practice's staff may share one NAT address); 0: no limit." },
	{ "imap.max_per_user", CONFIG_TYPE_INT, "50", 0, 100000, NULL,
	  "Concurrent signed-in IMAP sessions per person, over every listener (a desktop client opens several; phones and tablets add theirs); 0: no limit." },
	{ "imap.user_literal_budget_mb", CONFIG_TYPE_INT, "128", 1, 65536, NULL,
	  "MB of literals (mostly APPENDed messages on their way in) one person's IMAP sessions may have in flight at once; a literal past it is refused before the server takes any of it." },
	{ "imaps.listen", CONFIG_TYPE_LISTEN, "127.0.0.1:1993", 0, 0, NULL,
	  "IMAP over implicit TLS (port 993 in production), or off." },
	{ "pop3.listen", CONFIG_TYPE_LISTEN, "127.0.0.1:1110", 0, 0, NULL,
	  "POP3 listener with STLS (port 110 in production), or off." },
	{ "pop3s.listen", CONFIG_TYPE_LISTEN, "127.0.0.1:1995", 0, 0, NULL,
	  "POP3 over implicit TLS (port 995 in production), or off." },
	{ "pop3.timeout_s", CONFIG_TYPE_INT, "600", 1, 3600, NULL,
	  "Seconds a POP3 client may stay silent (RFC 1939 asks for at least 600)." },
	{ "pop3.max_sessions", CONFIG_TYPE_INT, "256", 1, 100000, NULL,
	  "Concurrent sessions per POP3 listener." },
	{ "pop3.max_per_ip", CONFIG_TYPE_INT, "100", 0, 100000, NULL,
	  "Concurrent sessions per POP3 listener from one client IP address (as for IMAP); 0: no limit." },
	{ "pop3.max_per_user", CONFIG_TYPE_INT, "10", 0, 100000, NULL,
	  "Concurrent signed-in POP3 sessions per person, over every listener; 0: no limit." },
	{ "outbound.connect_timeout_s", CONFIG_TYPE_INT, "30", 1, 600, NULL,
	  "Seconds outbound delivery waits for a remote server to accept the TCP connection." },
	{ "outbound.greeting_timeout_s", CONFIG_TYPE_INT, "300", 1, 3600, NULL,
	  "Seconds to wait for a remote server's greeting, and for its replies to EHLO, STARTTLS, AUTH and RSET (RFC 5321 4.5.3.2: 5 minutes)." },
	{ "outbound.mail_timeout_s", CONFIG_TYPE_INT, "300", 1, 3600, NULL,
	  "Seconds to wait for the reply to MAIL FROM (RFC 5321 4.5.3.2: 5 minutes)." },
	{ "outbound.rcpt_timeout_s", CONFIG_TYPE_INT, "300", 1, 3600, NULL,
	  "Seconds to wait for the reply to each RCPT TO (RFC 5321 4.5.3.2: 5 minutes)." },
	{ "outbound.data_init_timeout_s", CONFIG_TYPE_INT, "120", 1, 3600, NULL,
	  "Seconds to wait for the go-ahead (354) to DATA (RFC 5321 4.5.3.2: 2 minutes)." },
	{ "outbound.data_block_timeout_s", CONFIG_TYPE_INT, "180", 1, 3600, NULL,
	  "Seconds a remote server may take to accept each block of the message text (RFC 5321 4.5.3.2: 3 minutes)." },
	{ "outbound.data_end_timeout_s", CONFIG_TYPE_INT, "600", 1, 7200, NULL,
	  "Seconds to wait for the reply to the message's final dot (RFC 5321 4.5.3.2: 10 minutes)." },
	{ "outbound.tls_ca_file", CONFIG_TYPE_STRING, "", 0, 0, NULL,
	  "PEM file of CAs a remote server's certificate must chain to where TLS is required, relative to the instance directory; empty: the system's CAs." },
	{ "outbound.mta_sts_fetch_timeout_s", CONFIG_TYPE_INT, "60", 1, 600, NULL,
	  "Seconds fetching a recipient domain's MTA-STS policy over HTTPS may take, connecting included (RFC 8461 3.3)." },
	{ "outbound.mta_sts_ca_file", CONFIG_TYPE_STRING, "", 0, 0, NULL,
	  "PEM file of CAs an MTA-STS policy server's certificate must chain to, relative to the instance directory; empty: the system's CAs (as RFC 8461 asks)." },
	{ "outbound.mta_sts_connect_to", CONFIG_TYPE_STRING, "", 0, 0, NULL,
	  "For tests: ADDRESS:PORT every MTA-STS policy fetch connects to instead of the policy host's address; the certificate is still checked for mta-sts.DOMAIN. Empty: the DNS says." },
	{ "outbound.retry_schedule_min", CONFIG_TYPE_LIST, "5, 10, 20, 40, 60", 0, 31, NULL,
	  "Minutes to wait after each failed attempt, in order; the last repeats until the message's lifetime ends." },
	{ "outbound.retry_jitter_percent", CONFIG_TYPE_INT, "10", 0, 50, NULL,
	  "Each wait is moved by up to this many percent either way, so messages deferred together do not all retry at once." },
	{ "outbound.lifetime_h", CONFIG_TYPE_INT, "96", 1, 720, NULL,
	  "Hours a message keeps being retried before it is given up and its sender told (4 days: organisations must ride out 4 days of outage)." },
	{ "outbound.delay_notice_h", CONFIG_TYPE_LIST, "4, 24", 0, 31, NULL,
	  "Hours after queueing when the sender is told a message is still not delivered, comma-separated; each notice is sent once; empty: none." },
	{ "outbound.report_return_max_kb", CONFIG_TYPE_INT, "1024", 0, 102400, NULL,
	  "KB of message a non-delivery report returns whole when the sender asked for it (RFC 3461 RET=FULL); a larger message gets only its header back, with a sentence saying why. 0: headers only, always." },
	{ "outbound.workers", CONFIG_TYPE_INT, "16", 0, 256, NULL,
	  "Threads serve delivers outbound mail with: at most this many connections to other servers at once. 0: serve sends nothing (caremail queue run still does)." },
	{ "outbound.max_per_destination", CONFIG_TYPE_INT, "2", 1, 100, NULL,
	  "Connections at once to one destination domain; its other mail waits for one of them." },
	{ "outbound.messages_per_connection", CONFIG_TYPE_INT, "50", 1, 1000, NULL,
	  "Messages one connection carries, one after another, before it is closed." },
	{ "outbound.poll_s", CONFIG_TYPE_INT, "10", 1, 3600, NULL,
	  "Seconds between serve's looks for mail whose retry is due; it also looks at start-up and as soon as mail for another domain is queued." },
	{ "outbound.lease_s", CONFIG_TYPE_INT, "300", 3, 86400, NULL,
	  "Seconds a runner's hold on the recipients it claimed lasts; a runner at work renews it every third of this, so after a crash they are tried again once this has passed." },
	{ "outbound.shutdown_grace_s", CONFIG_TYPE_INT, "30", 0, 3600, NULL,
	  "Seconds serve waits on SIGTERM for deliveries in progress to finish; then it cuts them, and their recipients are tried again at the next start." },
	{ "outbound.port", CONFIG_TYPE_INT, "25", 1, 65535, NULL,
	  "Port of the mail servers MX records name (25; tests point it at a loopback sink). Static routes give their own." },
	{ "outbound.routes", CONFIG_TYPE_LIST, "", 0, 2047, NULL,
	  "Static routes, comma-separated, each DOMAIN=HOST[:PORT] [tls=none|opportunistic|required] [auth=USER password_file=FILE]; DOMAIN * is every other domain (a smarthost). Empty: MX for every domain." },
	{ "outbound.secure_domains", CONFIG_TYPE_LIST, "nhs.net, secure.nhs.uk, gov.uk, cjsm.net, pnn.police.uk, mod.uk, parliament.uk", 0, 511, NULL,
	  "Secure domains (SPEC M10): mail to them or their subdomains goes only over verified TLS 1.2 or later, else waits in the queue and the operator is alerted; never in clear." },
	{ "outbound.legacy_secure_domains", CONFIG_TYPE_LIST, "gcsx.gov.uk, gsi.gov.uk, gsx.gov.uk", 0, 511, NULL,
	  "Legacy secure domains, treated as secure until outbound.legacy_secure_until." },
	{ "outbound.legacy_secure_until", CONFIG_TYPE_STRING, "2019-03-31", 0, 0, NULL,
	  "Last day (YYYY-MM-DD, UTC) the legacy secure domains count as secure; empty: never." },
	{ "outbound.tls_alert_interval_min", CONFIG_TYPE_INT, "60", 1, 10080, NULL,
	  "Minutes between alerts (log outbound.tls_required and an audit row) for one destination whose server offers no valid TLS where TLS is required." },
	{ "log.level", CONFIG_TYPE_CHOICE, "info", 0, 0, "error,warn,info,debug",
	  "Least severe log level written to stderr." },
	{ "dir.site_types", CONFIG_TYPE_LIST,
	  "pharmacy, gp_practice, nhs_trust_site, care_home, other", 0, 0, NULL,
	  "Site types a site may have, comma-separated." },
	{ "dir.default_quota_mb", CONFIG_TYPE_INT, "4096", 1, 10485760, NULL,
	  "Mailbox quota in MiB for organisations that set none of their own." },
	{ "dir.list_max_owners", CONFIG_TYPE_INT, "25", 1, 1000, NULL,
	  "Most owners a distribution list or shared mailbox may have." },
	{ "dir.people_search_limit", CONFIG_TYPE_INT, "100", 1, 10000, NULL,
	  "Most people one People Finder page may hold (the most a request's limit= may ask for)." },
	{ "dir.people_search_page", CONFIG_TYPE_INT, "25", 1, 10000, NULL,
	  "People on a People Finder page when the request names no limit (at most dir.people_search_limit); past the page the answer asks to refine the search and gives next_cursor for the next page." },
	{ "dir.deleted_retention_days", CONFIG_TYPE_INT, "30", 1, 3650, NULL,
	  "Days after deletion when a Global Admin can still restore a person." },
	{ "guests.first_attestation_days", CONFIG_TYPE_INT, "30", 1, 3650, NULL,
	  "Days after a guest is invited (and attested by the inviter) when the inviter must attest them again (SPEC L8, docs/guests.md)." },
	{ "guests.attestation_days", CONFIG_TYPE_INT, "180", 1, 3650, NULL,
	  "Days after each later attestation when the inviter must attest the guest again; a guest not attested by then is removed." },
	{ "guests.request_days", CONFIG_TYPE_INT, "14", 0, 365, NULL,
	  "Days before an attestation is due when the inviter is asked for it by mail." },
	{ "guests.orphan_days", CONFIG_TYPE_INT, "14", 0, 365, NULL,
	  "Days a guest whose inviter left, moved organisation or was disabled has to be attested by a new inviter before removal (the old inviter loses the right at once)." },
	{ "licences.notice_days", CONFIG_TYPE_LIST, "60, 30, 7, 0, -23, -83", 0, 0, NULL,
	  "Days before an add-on licence expires (negative: after) when its organisation's Local Administrators are told, comma-separated, latest last (SPEC L9, docs/licences.md)." },
	{ "dir.sync_leavers", CONFIG_TYPE_BOOL, "true", 0, 0, NULL,
	  "Whether a directory sync marks as leavers the org's synced people "
	  "its list no longer holds." },
	{ "dir.sync_max_leaver_percent", CONFIG_TYPE_INT, "10", 0, 100, NULL,
	  "Most of an org's synced people, in percent, one sync may mark as "
	  "leavers; a sync that would mark more is refused whole." },
	{ "session.idle_timeout_s", CONFIG_TYPE_INT, "1800", 1, 86400, NULL,
	  "Seconds a portal or API session may sit unused before it ends." },
	{ "session.absolute_timeout_s", CONFIG_TYPE_INT, "43200", 1, 604800,
	  NULL, "Seconds after sign-in when a session ends however busy it is." },
	{ "auth.lockout_failures", CONFIG_TYPE_INT, "12", 1, 1000, NULL,
	  "Consecutive failed sign-ins that lock an account at once." },
	{ "auth.password_max_age_days", CONFIG_TYPE_INT, "90", 0, 3650, NULL,
	  "Days before a password must be changed at the next sign-in (0: never)." },
	{ "lifecycle.inactive_after_days", CONFIG_TYPE_INT, "90", 0, 3650, NULL,
	  "Days with no sign-in and no password change before an account becomes inactive (0: never)." },
	{ "lifecycle.delete_after_days", CONFIG_TYPE_INT, "180", 0, 3650, NULL,
	  "Days with no sign-in and no password change, in all, before an inactive account is deleted (0: never)." },
	{ "lifecycle.purge_after_days", CONFIG_TYPE_INT, "30", 0, 3650, NULL,
	  "Days after deletion before an account's mail is destroyed; its address stays reserved (0: never)." },
	{ "lifecycle.disabled_delete_after_months", CONFIG_TYPE_INT, "18", 0, 240, NULL,
	  "Calendar months an account disabled by an administrator stays before it is deleted (0: never)." },
	{ "lifecycle.leaver_delete_after_days", CONFIG_TYPE_INT, "30", 0, 3650, NULL,
	  "Days a leaver has to join another organisation before the account is deleted (0: never)." },
	{ "lifecycle.warn_days", CONFIG_TYPE_LIST, "14, 1", 0, 8, NULL,
	  "Days before each lifecycle step when the person is warned by email, comma-separated." },
	{ "lifecycle.shared_inactive_days", CONFIG_TYPE_INT, "180", 0, 3650, NULL,
	  "Days a shared mailbox may go unused before its owners are told it will be deleted unless one confirms it is still needed (0: never)." },
	{ "lifecycle.shared_confirm_days", CONFIG_TYPE_INT, "30", 1, 3650, NULL,
	  "Days after that notice an owner has to confirm a shared mailbox is still needed before it is deleted." },
	{ "jobs.interval_s", CONFIG_TYPE_INT, "3600", 0, 604800, NULL,
	  "Seconds between the scheduled jobs runs serve makes (the account lifecycle and its notices), the first at start; 0: none (caremail jobs run still works)." },
	{ "jobs.text_index_interval_s", CONFIG_TYPE_INT, "60", 0, 86400, NULL,
	  "Seconds between serve's runs of the text-index step alone, which indexes the messages stored since its last run for IMAP SEARCH BODY and TEXT (until then a search reads those messages whole, so its answers are the same, only slower), the first at start; 0: only with the scheduled jobs runs." },
	{ "auth.security_questions", CONFIG_TYPE_LIST,
	  "What was the name of your first pet?, What is your mother's maiden name?, "
	  "In which town were you born?, What was the name of your first school?, "
	  "What was the make of your first car?, What is your favourite book?, "
	  "What was your childhood nickname?, In which street did you grow up?",
	  0, 0, NULL,
	  "Security questions a person picks three of for self-service recovery, comma-separated." },
	{ "auth.aup_version", CONFIG_TYPE_STRING, "1", 0, 0, NULL,
	  "Version of the Acceptable Use Policy people accept; recorded with each acceptance." },
	{ "auth.recovery_code_ttl_s", CONFIG_TYPE_INT, "600", 30, 600, NULL,
	  "Seconds a recovery code sent by SMS stays valid (at most 10 minutes)." },
	{ "auth.recovery_code_attempts", CONFIG_TYPE_INT, "5", 1, 20, NULL,
	  "Wrong tries (code or answers) after which a recovery code stops working." },
	{ "sms.gateway", CONFIG_TYPE_CHOICE, "file", 0, 0, "file,https",
	  "How SMS messages are sent: file appends them to sms.outbox; https posts JSON {to, text} to sms.url." },
	{ "sms.outbox", CONFIG_TYPE_STRING, "sms-outbox.log", 0, 0, NULL,
	  "File the file gateway appends one line per SMS to, relative to the instance directory." },
	{ "sms.url", CONFIG_TYPE_STRING, "", 0, 0, NULL,
	  "HTTPS URL the https gateway posts each SMS to." },
	{ "sms.token", CONFIG_TYPE_STRING, "", 0, 0, NULL,
	  "Bearer token the https gateway sends; empty sends none." },
	{ "sms.ca_file", CONFIG_TYPE_STRING, "", 0, 0, NULL,
	  "PEM file of CAs the https gateway trusts, relative to the instance directory; empty: the system's CAs." },
	{ "ratelimit.window_s", CONFIG_TYPE_INT, "60", 1, 86400, NULL,
	  "Length in seconds of the window the rate limits below count in." },
	{ "ratelimit.signin_per_ip", CONFIG_TYPE_INT, "60", 1, 1000000, NULL,
	  "Sign-in attempts one client IP address may make per window; more get 429." },
	{ "ratelimit.recovery_per_ip", CONFIG_TYPE_INT, "20", 1, 1000000, NULL,
	  "Recovery requests (start, complete, unlock) one client IP address may make per window." },
	{ "ratelimit.recovery_per_address", CONFIG_TYPE_INT, "5", 1, 1000000, NULL,
	  "Recovery requests for one account address per window, from anywhere." },
	{ "ratelimit.token_failures_per_ip", CONFIG_TYPE_INT, "20", 1, 1000000,
	  NULL, "Failed API token authentications one client IP address may make per window." },
	{ "ratelimit.search_per_person", CONFIG_TYPE_INT, "120", 1, 1000000,
	  NULL, "People Finder searches one signed-in person may make per window; a harvest of the directory gets 429." },
	{ "tokens.max_days", CONFIG_TYPE_INT, "365", 1, 3650, NULL,
	  "Longest lifetime in days an API token may be given." },
	{ "audit.key", CONFIG_TYPE_STRING, "audit.key", 0, 0, NULL,
	  "Key that chains the audit rows (made by init, mode 0600), relative to the instance directory. Never in the database: keep it out of database backups and keep a copy of it safe." },
	{ "audit.anchor", CONFIG_TYPE_STRING, "audit.anchor", 0, 0, NULL,
	  "File holding the newest audit row a check has seen whole, so rows cut from the end are noticed; relative to the instance directory." },
	{ "secure.key", CONFIG_TYPE_STRING, "secure.key", 0, 0, NULL,
	  "Key that wraps each encrypted message's own key ([secure] mail and DLP encrypt, SPEC M10), made when first needed (mode 0600), relative to the instance directory. Never in the database: a copy of the database alone opens no message. Keep a copy of it safe; without it no encrypted message can be read." },
	{ "secure.expiry_days", CONFIG_TYPE_INT, "90", 1, 3650, NULL,
	  "Days an encrypted message can be read in the secure message portal; after that it is destroyed (its key forgotten) and its link refused." },
	{ "audit.verify_interval_s", CONFIG_TYPE_INT, "300", 0, 86400, NULL,
	  "Seconds between serve's checks of the audit rows written since the last check (every row is checked at start-up); 0: only at start-up." },
	{ "dkim.dir", CONFIG_TYPE_STRING, "dkim", 0, 0, NULL,
	  "Directory of the DKIM private keys, one subdirectory per domain (mode 0700, keys 0600), relative to the instance directory. Never in the database." },
	{ "dkim.algorithm", CONFIG_TYPE_CHOICE, "rsa", 0, 0, "rsa,ed25519",
	  "Key type caremail dkim keygen makes when not told: rsa (RSA-2048, which every verifier reads) or ed25519 (RFC 8463)." },
	{ "dns.servers", CONFIG_TYPE_LIST, "", 0, 0, NULL,
	  "DNS resolvers to ask, comma-separated, each ADDRESS or ADDRESS@PORT; they must pass DNSSEC records through. Empty: those in /etc/resolv.conf. recursive: ask the root servers directly." },
	{ "dns.trust_anchor", CONFIG_TYPE_STRING, "/usr/share/dns/root.key", 0, 0, NULL,
	  "File of DNSSEC trust anchors (DS or DNSKEY records); the default is the root key of Debian's dns-root-data. Empty: nothing is validated, so every answer is insecure and DANE never applies." },
	{ "dns.timeout_ms", CONFIG_TYPE_INT, "10000", 100, 120000, NULL,
	  "Milliseconds one DNS lookup may take, retries included; past it the lookup is a temporary failure." },
	{ "dns.dmarc_policy", CONFIG_TYPE_CHOICE, "reject", 0, 0, "reject,quarantine",
	  "What caremail dns records asks receivers to do with mail that fails DMARC: reject, or quarantine at the least (SECURITY.md 7)." },
	{ "dns.dmarc_report_address", CONFIG_TYPE_STRING, "", 0, 0, NULL,
	  "Where DMARC aggregate reports (rua) go; empty: postmaster@ the domain." },
	{ "dns.tlsrpt_report_address", CONFIG_TYPE_STRING, "", 0, 0, NULL,
	  "Where TLS-RPT reports (RFC 8460) go; empty: postmaster@ the domain." },
	{ "dns.mta_sts_max_age_s", CONFIG_TYPE_INT, "604800", 86400, 31557600, NULL,
	  "Seconds senders may cache the MTA-STS policy (RFC 8461 max_age); a week by default." },
};

#define CONFIG_COUNT (sizeof(config_settings) / sizeof(*config_settings))

struct config_value {
	char *text;	/* owned; as given, validated */
	int64_t number;	/* parsed INT or BOOL */
};

struct config {
	struct config_value values[CONFIG_COUNT];
};

/*
 * The settings' indexes in name order, made once, so a lookup is a binary
 * search: requests read settings by name (a dozen per People Finder
 * search), and a walk of the table's 150-odd names with strcmp was 2 % of
 * a search's instructions (bench B5, callgrind).
 */
static unsigned short config_by_name[CONFIG_COUNT];
static pthread_once_t config_by_name_once = PTHREAD_ONCE_INIT;

static int
config_name_cmp(const void *a, const void *b)
{
	return strcmp(config_settings[*(const unsigned short *)a].name,
		config_settings[*(const unsigned short *)b].name);
}

static void
config_sort_names(void)
{
	for (size_t i = 0; i < CONFIG_COUNT; i++)
		config_by_name[i] = (unsigned short)i;
	qsort(config_by_name, CONFIG_COUNT, sizeof(config_by_name[0]),
		config_name_cmp);
}

static int
config_index(const char *name)
{
	pthread_once(&config_by_name_once, config_sort_names);
	size_t lo = 0, hi = CONFIG_COUNT;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int cmp = strcmp(config_settings[config_by_name[mid]].name, name);
		if (cmp == 0)
			return config_by_name[mid];
		if (cmp < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

static bool
parse_bool(const char *v, int64_t *out)
{
	static const char *const yes[] = { "on", "true", "yes", "1" };
	static const char *const no[] = { "off", "false", "no", "0" };
	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(v, yes[i]) == 0) {
			*out = 1;
			return true;
		}
		if (strcasecmp(v, no[i]) == 0) {
			*out = 0;
			return true;
		}
	}
	return false;
}

static bool
parse_int(const char *v, int64_t *out)
{
	struct span s = span_from_cstr(v);
	bool negative = s.len > 0 && s.p[0] == '-';
	if (negative) {
		s.p++;
		s.len--;
	}
	uint64_t u;
	if (!span_to_u64(s, &u) || u > INT64_MAX)
		return false;
	*out = negative ? -(int64_t)u : (int64_t)u;
	return true;
}

static bool
is_valid_listen(const char *v)
{
	if (strcmp(v, "off") == 0)
		return true;
	const char *colon = strrchr(v, ':');
	if (colon == NULL || colon == v)
		return false;
	uint64_t port;
	if (!span_to_u64(span_from_cstr(colon + 1), &port) || port == 0 ||
	    port > 65535)
		return false;
	if (v[0] == '[')
		return colon[-1] == ']' && colon - v > 2;
	for (const char *p = v; p < colon; p++) {
		if (!str_is_ascii_digit(*p) && !str_is_ascii_alpha(*p) &&
		    *p != '.' && *p != '-')
			return false;
	}
	return true;
}

static bool
is_choice(const char *choices, const char *v)
{
	struct span rest = span_from_cstr(choices);
	struct span item;
	while (span_split(&rest, ',', &item)) {
		if (span_eq(item, v))
			return true;
	}
	return false;
}

static int
list_items_fit(const struct config_setting *s, const char *v,
	struct error *err)
{
	struct span rest = span_from_cstr(v), item;
	size_t i = 0;
	while (s->max > 0 && span_split(&rest, ',', &item)) {
		item = span_trim(item);
		if (item.len == 0)
			continue;
		i++;
		if (item.len > (size_t)s->max)
			return error_set_field(err, ERROR_INVALID, s->name,
				"%s: item %zu is longer than %lld bytes",
				s->name, i, (long long)s->max);
	}
	return 0;
}

static int
config_validate(const struct config_setting *s, const char *v,
	int64_t *number_r, struct error *err)
{
	*number_r = 0;
	switch (s->type) {
	case CONFIG_TYPE_STRING:
		return 0;
	case CONFIG_TYPE_LIST:
		return list_items_fit(s, v, err);
	case CONFIG_TYPE_INT:
		if (!parse_int(v, number_r) || *number_r < s->min ||
		    *number_r > s->max)
			return error_set_field(err, ERROR_INVALID, s->name,
				"%s must be a whole number from %lld to %lld, not '%s'",
				s->name, (long long)s->min, (long long)s->max, v);
		return 0;
	case CONFIG_TYPE_BOOL:
		if (!parse_bool(v, number_r))
			return error_set_field(err, ERROR_INVALID, s->name,
				"%s must be on or off, not '%s'", s->name, v);
		return 0;
	case CONFIG_TYPE_LISTEN:
		if (!is_valid_listen(v))
			return error_set_field(err, ERROR_INVALID, s->name,
				"%s must be ADDRESS:PORT or off, not '%s'",
				s->name, v);
		return 0;
	case CONFIG_TYPE_CHOICE:
		if (!is_choice(s->choices, v))
			return error_set_field(err, ERROR_INVALID, s->name,
				"%s must be one of %s, not '%s'", s->name,
				s->choices, v);
		return 0;
	}
	return error_set(err, ERROR_INTERNAL, "unknown setting type");
}

static void
config_value_assign(struct config_value *slot, const char *text,
	int64_t number)
{
	free(slot->text);
	slot->text = xstrdup(text);
	slot->number = number;
}

struct config *
config_new(void)
{
	struct config *c = xcalloc(1, sizeof(*c));
	for (size_t i = 0; i < CONFIG_COUNT; i++) {
		int64_t number;
		if (config_validate(&config_settings[i],
			config_settings[i].default_value, &number, NULL) < 0)
			abort();	/* a default that fails its own rule */
		config_value_assign(&c->values[i],
			config_settings[i].default_value, number);
	}
	return c;
}

void
config_free(struct config **cp)
{
	if (cp == NULL || *cp == NULL)
		return;
	for (size_t i = 0; i < CONFIG_COUNT; i++)
		free((*cp)->values[i].text);
	free(*cp);
	*cp = NULL;
}

int
config_set_value(struct config *c, const char *name, const char *value,
	struct error *err)
{
	int i = config_index(name);
	if (i < 0)
		return error_set_field(err, ERROR_INVALID, name,
			"there is no setting named '%s'", name);
	if (strlen(value) > CONFIG_MAX_VALUE)
		return error_set_field(err, ERROR_INVALID, name,
			"the value of %s is longer than %d bytes", name,
			CONFIG_MAX_VALUE);
	/* A file value is one line; a newline from --set would forge more. */
	if (strchr(value, '\n') != NULL)
		return error_set_field(err, ERROR_INVALID, name,
			"the value of %s must be a single line", name);
	int64_t number;
	if (config_validate(&config_settings[i], value, &number, err) < 0)
		return -1;
	config_value_assign(&c->values[i], value, number);
	return 0;
}

int
config_set(struct config *c, const char *assignment, struct error *err)
{
	const char *eq = strchr(assignment, '=');
	if (eq == NULL || eq == assignment || eq - assignment >= CONFIG_MAX_NAME)
		return error_set(err, ERROR_INVALID,
			"--set takes section.key=value, not '%s'", assignment);
	char name[CONFIG_MAX_NAME];
	memcpy(name, assignment, (size_t)(eq - assignment));
	name[eq - assignment] = '\0';
	return config_set_value(c, name, eq + 1, err);
}

/* Strips one pair of surrounding double quotes, which the file allows. */
static struct span
unquote(struct span v)
{
	if (v.len >= 2 && v.p[0] == '"' && v.p[v.len - 1] == '"')
		return span_make(v.p + 1, v.len - 2);
	return v;
}

static int
config_parse_line(struct config *c, struct span line, char *section,
	size_t section_size, const char *origin, unsigned lineno,
	struct error *err)
{
	line = span_trim(line);
	if (line.len == 0 || line.p[0] == '#')
		return 0;
	if (line.p[0] == '[') {
		if (line.p[line.len - 1] != ']' || line.len < 3 ||
		    line.len - 2 >= section_size)
			return error_set(err, ERROR_INVALID,
				"%s line %u: a section header is [name]", origin,
				lineno);
		memcpy(section, line.p + 1, line.len - 2);
		section[line.len - 2] = '\0';
		return 0;
	}
	if (memchr(line.p, '=', line.len) == NULL)
		return error_set(err, ERROR_INVALID,
			"%s line %u: expected key = value", origin, lineno);
	struct span key;
	struct span rest = line;
	span_split(&rest, '=', &key);
	key = span_trim(key);
	if (section[0] == '\0')
		return error_set(err, ERROR_INVALID,
			"%s line %u: a setting must follow a [section] header",
			origin, lineno);
	char name[CONFIG_MAX_NAME];
	char value[CONFIG_MAX_LINE];
	struct span v = unquote(span_trim(rest));
	if (key.len == 0 ||
	    snprintf(name, sizeof(name), "%s.%.*s", section, (int)key.len,
		key.p) >= (int)sizeof(name))
		return error_set(err, ERROR_INVALID,
			"%s line %u: the setting name is missing or too long",
			origin, lineno);
	memcpy(value, v.p, v.len);
	value[v.len] = '\0';
	struct error inner;
	if (config_set_value(c, name, value, &inner) < 0)
		return error_set_field(err, inner.code, inner.field,
			"%s line %u: %s", origin, lineno, inner.msg);
	return 0;
}

int
config_parse(struct config *c, const char *text, size_t len,
	const char *origin, struct error *err)
{
	if (len > CONFIG_MAX_FILE)
		return error_set(err, ERROR_LIMIT, "%s is larger than %d bytes",
			origin, CONFIG_MAX_FILE);
	if (len > 0 && memchr(text, '\0', len) != NULL)
		return error_set(err, ERROR_INVALID,
			"%s contains a NUL byte; it is not a text file", origin);
	/* Parse into a scratch copy so a bad line leaves `c` untouched. */
	struct config *scratch = config_new();
	for (size_t i = 0; i < CONFIG_COUNT; i++)
		config_value_assign(&scratch->values[i], c->values[i].text,
			c->values[i].number);
	char section[CONFIG_MAX_NAME] = "";
	struct span rest = span_make(text, len);
	struct span line;
	unsigned lineno = 0;
	int rc = 0;
	while (rc == 0 && span_split(&rest, '\n', &line)) {
		lineno++;
		if (line.len >= CONFIG_MAX_LINE) {
			rc = error_set(err, ERROR_INVALID,
				"%s line %u is longer than %d bytes", origin,
				lineno, CONFIG_MAX_LINE);
			break;
		}
		rc = config_parse_line(scratch, line, section, sizeof(section),
			origin, lineno, err);
	}
	if (rc == 0) {
		for (size_t i = 0; i < CONFIG_COUNT; i++) {
			struct config_value tmp = c->values[i];
			c->values[i] = scratch->values[i];
			scratch->values[i] = tmp;
		}
	}
	config_free(&scratch);
	return rc;
}

int
config_load_file(struct config *c, const char *path, struct error *err)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return error_set(err,
			errno == ENOENT ? ERROR_NOT_FOUND : ERROR_INVALID,
			"cannot open the config file %s: %s", path,
			strerror(errno));
	char *buf = xmalloc(CONFIG_MAX_FILE + 1);
	size_t n = fread(buf, 1, CONFIG_MAX_FILE + 1, f);
	bool failed = ferror(f) != 0;
	fclose(f);
	int rc = failed ? error_set(err, ERROR_INVALID,
				  "cannot read the config file %s", path)
			: config_parse(c, buf, n, path, err);
	free(buf);
	return rc;
}

static const struct config_value *
config_lookup(const struct config *c, const char *name,
	enum config_type type)
{
	int i = config_index(name);
	if (i < 0 || config_settings[i].type != type) {
		fprintf(stderr, "caremail: bug: setting %s read as wrong type\n",
			name);
		abort();
	}
	return &c->values[i];
}

const char *
config_get_str(const struct config *c, const char *name)
{
	int i = config_index(name);
	if (i < 0 || config_settings[i].type == CONFIG_TYPE_INT ||
	    config_settings[i].type == CONFIG_TYPE_BOOL) {
		fprintf(stderr, "caremail: bug: setting %s read as text\n", name);
		abort();
	}
	return c->values[i].text;
}

char *
config_get_path(const struct config *c, const char *name,
	const char *base_dir)
{
	const char *v = config_get_str(c, name);
	if (v[0] == '\0')
		return NULL;
	if (v[0] == '/' || base_dir == NULL)
		return xstrdup(v);
	size_t len = strlen(base_dir) + strlen(v) + 2;
	char *path = xmalloc(len);
	snprintf(path, len, "%s/%s", base_dir, v);
	return path;
}

int64_t
config_get_int(const struct config *c, const char *name)
{
	return config_lookup(c, name, CONFIG_TYPE_INT)->number;
}

bool
config_get_bool(const struct config *c, const char *name)
{
	return config_lookup(c, name, CONFIG_TYPE_BOOL)->number != 0;
}

int
config_list_get(const struct config *c, const char *name, size_t index,
	char *buf, size_t size, struct error *err)
{
	struct span rest = span_from_cstr(config_get_str(c, name));
	struct span item;
	size_t i = 0;
	while (span_split(&rest, ',', &item)) {
		item = span_trim(item);
		if (item.len == 0)
			continue;
		if (i++ == index) {
			if (item.len >= size)
				return error_set_field(err, ERROR_INVALID, name,
					"%s: item %zu is longer than %zu bytes",
					name, i, size > 0 ? size - 1 : 0);
			memcpy(buf, item.p, item.len);
			buf[item.len] = '\0';
			return 1;
		}
	}
	return 0;
}

bool
config_list_item(const struct config *c, const char *name, size_t index,
	char *buf, size_t size)
{
	struct error ignored;
	return config_list_get(c, name, index, buf, size, &ignored) > 0;
}

/*
 * Whether a value must be written in quotes to read back as itself: the
 * parser trims spaces around a value and strips one pair of quotes.
 */
static bool
config_needs_quotes(const char *v)
{
	size_t n = strlen(v);
	if (n == 0)
		return false;
	if (span_trim(span_make(v, n)).len != n)
		return true;
	return n >= 2 && v[0] == '"' && v[n - 1] == '"';
}

void
config_write(const struct config *c, FILE *out)
{
	fprintf(out, "# caremail configuration. Every setting is listed with "
		     "its default;\n# any can be overridden on the command "
		     "line with --set section.key=value.\n");
	char section[CONFIG_MAX_NAME] = "";
	for (size_t i = 0; i < CONFIG_COUNT; i++) {
		const struct config_setting *s = &config_settings[i];
		const char *dot = strchr(s->name, '.');
		size_t slen = (size_t)(dot - s->name);
		if (strlen(section) != slen ||
		    strncmp(section, s->name, slen) != 0) {
			memcpy(section, s->name, slen);
			section[slen] = '\0';
			fprintf(out, "\n[%s]\n", section);
		}
		fprintf(out, "\n# %s\n", s->help);
		if (strcmp(c->values[i].text, s->default_value) != 0)
			fprintf(out, "# default: %s\n", s->default_value);
		const char *v = c->values[i].text;
		const char *q = config_needs_quotes(v) ? "\"" : "";
		fprintf(out, "%s = %s%s%s\n", dot + 1, q, v, q);
	}
}
