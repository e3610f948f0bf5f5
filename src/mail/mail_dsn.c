/*
 * Builds delivery status notifications, and reads a remote's reply for
 * them. Layer: domain, pure. RFC 3464 §2 (fields), RFC 6522 (the report),
 * RFC 3461 §4.3 (what is returned), RFC 6533 (the global report about
 * internationalised mail), RFC 3834 §5 (Auto-Submitted), RFC 2047 (a
 * non-ASCII subject), RFC 5322. SPEC M8: the words say what happened and
 * what to do. SECURITY: remote text is bounded and made printable.
 */
#include "mail/mail_dsn.h"

#include <sodium.h>
#include <string.h>
#include <time.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/fold.h"
#include "mail/mail_smtp_client.h"

/* The original's header returned is cut at a line boundary past this. */
#define DSN_MAX_HEADER (64 * 1024)
/* The subject quoted from the original, in bytes. */
#define DSN_MAX_SUBJECT 200
/* Header lines are folded before this many columns (RFC 5322 §2.1.1). */
#define DSN_FOLD 76

/* What each action is called: in the report, the subject, for people. */
static const struct {
	const char *name;	/* RFC 3464 §2.3.3 "Action: failed" */
	const char *head;	/* "Not delivered: <subject>" */
	const char *what;	/* "Your message to X <what>." */
} action_words[] = {
	[MAIL_DSN_FAILED] = { "failed", "Not delivered",
		"could not be delivered" },
	[MAIL_DSN_DELAYED] = { "delayed", "Delayed",
		"has not been delivered yet" },
	[MAIL_DSN_DELIVERED] = { "delivered", "Delivered", "was delivered" },
	[MAIL_DSN_RELAYED] = { "relayed", "Relayed", "was passed on" },
	[MAIL_DSN_EXPANDED] = { "expanded", "Delivered to list",
		"was delivered to the list" },
};

const char *
mail_dsn_action_name(enum mail_dsn_action action)
{
	if ((size_t)action >= sizeof(action_words) / sizeof(action_words[0]))
		return "failed";
	return action_words[action].name;
}

/* ---- the remote's reply ---- */

void
mail_dsn_diagnostic_parse(struct span text, struct mail_dsn_diagnostic *d)
{
	memset(d, 0, sizeof(*d));
	/* As the client reads replies, line by line, when it is one. */
	struct mail_smtp_reply r;
	mail_smtp_reply_init(&r);
	struct span rest = text;
	struct span line;
	bool is_reply = text.len > 0;
	while (is_reply && !r.complete && span_split(&rest, '\n', &line)) {
		if (line.len > 0 && line.p[line.len - 1] == '\r')
			line.len--;
		if (line.len > MAIL_SMTP_REPLY_LINE_MAX ||
		    mail_smtp_reply_add_line(&r, line, NULL) < 0)
			is_reply = false;
	}
	if (is_reply && r.complete && span_trim(rest).len == 0) {
		d->code = r.code;
		str_copy(d->status, sizeof(d->status), r.enhanced);
		str_copy(d->text, sizeof(d->text), r.text);
		return;
	}
	/* Not a reply: words, each run of blanks and controls one space. */
	size_t n = 0;
	bool space = false;
	for (size_t i = 0; i < text.len && n + 1 < sizeof(d->text); i++) {
		unsigned char ch = (unsigned char)text.p[i];
		if (ch <= 0x20 || ch == 0x7f) {
			space = n > 0;
			continue;
		}
		if (space && n + 2 < sizeof(d->text))
			d->text[n++] = ' ';
		space = false;
		d->text[n++] = ch < 0x7f ? (char)ch : '?';
	}
	d->text[n] = '\0';
}

/* ---- words for people (SPEC M8) ---- */

const char *
mail_dsn_advice(enum mail_dsn_action action, const char *status)
{
	if (action == MAIL_DSN_DELIVERED)
		return "It is in the recipient's mailbox. You do not need to "
			"do anything.";
	if (action == MAIL_DSN_RELAYED)
		return "It was handed to the recipient's mail server, which "
			"does not send delivery confirmations, so this is the "
			"last confirmation you will get. You do not need to do "
			"anything.";
	if (action == MAIL_DSN_EXPANDED)
		return "It was delivered to the list, which sends a copy to "
			"each of its members. You do not need to do anything.";
	if (action == MAIL_DSN_DELAYED)
		return "We are still trying to deliver it and will keep "
			"trying until the time shown below. You do not need to "
			"do anything now: you will be told if it cannot be "
			"delivered. If it is urgent, contact the recipient "
			"another way.";
	/*
	 * Given up while a TLS rule held it back (a secure domain's server
	 * without verified TLS, MTA-STS, DANE, a route requiring TLS: 4.7.x):
	 * the server was reached, so "could not reach" would send the sender
	 * checking the address for nothing.
	 */
	if (status != NULL && strncmp(status, "4.7.", 4) == 0)
		return "We tried for several days but could not send it with "
			"the protection mail to this organisation requires: "
			"its mail server did not offer a verified, encrypted "
			"connection (or its security policy could not be read), "
			"and such mail is never sent without one. Contact the "
			"recipient another way, and let their IT team know "
			"their mail server's encryption needs attention.";
	if (status == NULL || status[0] == '4')
		return "We tried for several days but could not reach the "
			"recipient's mail server, so we have stopped trying. "
			"Check the address is right; if it is, their mail "
			"system may be down: send the message again later or "
			"contact them another way.";
	static const struct {
		const char *prefix;
		const char *advice;
	} table[] = {
		{ "5.1.1", "The address does not exist at the receiving "
		  "organisation. Check it for typing mistakes, or ask the "
		  "person for their current email address." },
		{ "5.1.10", "The receiving organisation does not accept mail "
		  "(it publishes a null MX). Ask the person for another "
		  "address." },
		{ "5.1.2", "The part of the address after the @ does not "
		  "receive email. Check it for typing mistakes." },
		{ "5.1.", "The address is not valid at the receiving "
		  "organisation. Check it, or ask the person for their "
		  "current email address." },
		{ "5.2.2", "The recipient's mailbox is full. Try again in a "
		  "few days, or contact them another way." },
		{ "5.2.3", "The message is larger than the receiving server "
		  "accepts. Send the attachments another way, or make them "
		  "smaller, and send it again." },
		{ "5.3.4", "The message is larger than the receiving server "
		  "accepts. Send the attachments another way, or make them "
		  "smaller, and send it again." },
		{ "5.2.", "The recipient's mailbox cannot take mail at the "
		  "moment. Contact them another way." },
		{ "5.4.", "The recipient's mail server could not be found or "
		  "reached. Check the part of the address after the @." },
		{ "5.6.", "The receiving server cannot accept this message's "
		  "format (international characters in the text or the "
		  "address). Send it again in plain English characters, or "
		  "contact the recipient another way." },
		{ "5.7.", "The receiving server refused the message because "
		  "of its own rules (it may think it is spam, or not accept "
		  "mail from you). Contact the recipient another way, and "
		  "forward this report to your IT service desk if it keeps "
		  "happening." },
	};
	for (size_t i = 0; i < sizeof(table) / sizeof(*table); i++) {
		size_t n = strlen(table[i].prefix);
		bool whole = table[i].prefix[n - 1] != '.';
		if (strncmp(status, table[i].prefix, n) == 0 &&
		    (!whole || status[n] == '\0'))
			return table[i].advice;
	}
	return "The receiving server refused the message. Check the address; "
		"if it is right, contact the recipient another way, and "
		"forward this report to your IT service desk.";
}

/* ---- writing ---- */

struct out {
	struct str s;
	bool failed;
	/* RFC 6533 §6: a global report, whose addresses may be UTF-8 */
	bool global;
};

static void
put(struct out *o, const char *text)
{
	if (!o->failed && str_append_cstr(&o->s, text) < 0)
		o->failed = true;
}

static void
putn(struct out *o, const char *p, size_t n)
{
	if (!o->failed && str_append(&o->s, p, n) < 0)
		o->failed = true;
}

static void putf(struct out *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
putf(struct out *o, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(buf))
		o->failed = true;
	else
		putn(o, buf, (size_t)n);
}

/* RFC 5322 §3.3 date-time, in UTC. */
static void
format_date(int64_t t, char *buf, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(buf, size, "%a, %d %b %Y %H:%M:%S +0000", &tm);
}

/*
 * "Name: value" folded at spaces before DSN_FOLD columns (RFC 5322
 * §2.2.3), the value printable ASCII only, or when utf8 (an address in a
 * global report) also printable UTF-8 (RFC 6532 §3.2); anything else
 * becomes "?".
 */
static void
put_field_text(struct out *o, const char *name, const char *value, bool utf8)
{
	size_t col = strlen(name) + 2;
	bool first = true;
	put(o, name);
	put(o, ":");
	const char *p = value;
	while (*p == ' ')
		p++;
	while (*p != '\0') {
		const char *word = p;
		while (*p != '\0' && *p != ' ')
			p++;
		size_t len = (size_t)(p - word);
		/* The space before a word becomes the fold when it is long. */
		if (!first && col + 1 + len > DSN_FOLD) {
			put(o, "\r\n ");
			col = 1;
		} else {
			put(o, " ");
			col++;
		}
		first = false;
		for (size_t i = 0; i < len; i++) {
			unsigned char ch = (unsigned char)word[i];
			uint32_t cp = 0;
			size_t n = 0;
			if (ch >= 0x80 && utf8)
				n = fold_utf8_decode((const unsigned char *)word
					+ i, len - i, &cp);
			/* C1 controls are no more welcome than C0 ones. */
			if (n > 0 && cp >= 0xa0) {
				putn(o, word + i, n);
				i += n - 1;
				continue;
			}
			char c = ch > 0x20 && ch < 0x7f ? (char)ch : '?';
			putn(o, &c, 1);
		}
		col += len;
		while (*p == ' ')
			p++;
	}
	put(o, "\r\n");
}

static void
put_field(struct out *o, const char *name, const char *value)
{
	put_field_text(o, name, value, false);
}

/* Where the original's header ends: after its blank line, or the end. */
static size_t
header_length(struct span m)
{
	for (size_t i = 0; i < m.len; i++) {
		if (m.p[i] != '\n')
			continue;
		if (i + 1 < m.len && m.p[i + 1] == '\n')
			return i + 2;
		if (i + 2 < m.len && m.p[i + 1] == '\r' && m.p[i + 2] == '\n')
			return i + 3;
	}
	return m.len;
}

/* The original's header as a report returns it: cut at a line boundary. */
static struct span
returned_header(struct span original)
{
	struct span header = span_make(original.p, header_length(original));
	if (header.len > DSN_MAX_HEADER) {
		size_t cut = DSN_MAX_HEADER;
		while (cut > 0 && header.p[cut - 1] != '\n')
			cut--;
		header.len = cut;
	}
	return header;
}

/* An address or text beyond ASCII: what SMTPUTF8 is needed for. */
static bool
is_utf8_text(const char *text)
{
	return text != NULL && mail_smtp_needs_smtputf8(text);
}

bool
mail_dsn_is_global(const struct mail_dsn_report *r)
{
	if (is_utf8_text(r->original_sender))
		return true;
	for (size_t i = 0; i < r->recipient_count; i++) {
		const struct mail_dsn_recipient *rc = &r->recipients[i];
		/* A kept ORCPT is decoded: a utf-8 one's UTF-8 shows. */
		if (is_utf8_text(rc->final_recipient) ||
		    is_utf8_text(rc->original_recipient))
			return true;
	}
	/*
	 * RFC 6532 §3.7: a header with UTF-8 is not message/rfc822's to
	 * carry. Only the header counts: an 8-bit body is 8BITMIME's, which
	 * message/rfc822 allows.
	 */
	return mail_smtp_needs_8bitmime(returned_header(r->original));
}

/* The original's Subject, unfolded and bounded, into buf. */
static void
original_subject(struct span header, char *buf, size_t size)
{
	buf[0] = '\0';
	size_t i = 0, n = 0;
	while (i < header.len) {
		size_t end = i;
		while (end < header.len && header.p[end] != '\n')
			end++;
		struct span line = span_make(header.p + i, end - i);
		if (span_starts_with_nocase(line, "subject:")) {
			size_t j = i + 8;
			/* The field and its continuation lines. */
			for (;;) {
				for (; j < end && n + 1 < size; j++) {
					char ch = header.p[j];
					if (ch == '\r' || ch == '\t')
						ch = ' ';
					if (ch == ' ' && (n == 0 ||
						    buf[n - 1] == ' '))
						continue;
					buf[n++] = ch;
				}
				if (end + 1 >= header.len ||
				    (header.p[end + 1] != ' ' &&
					header.p[end + 1] != '\t'))
					break;
				j = end + 1;
				end = j;
				while (end < header.len &&
				       header.p[end] != '\n')
					end++;
			}
			while (n > 0 && buf[n - 1] == ' ')
				n--;
			buf[n] = '\0';
			return;
		}
		i = end + 1;
	}
}

/* A subject with 8-bit bytes goes as one RFC 2047 encoded word per piece. */
static void
put_subject(struct out *o, const char *head, const char *subject)
{
	bool ascii = true;
	for (const char *p = subject; *p != '\0'; p++)
		ascii = ascii && (unsigned char)*p >= 0x20 &&
			(unsigned char)*p < 0x7f;
	if (subject[0] == '\0') {
		putf(o, "Subject: %s\r\n", head);
		return;
	}
	if (ascii) {
		char value[DSN_MAX_SUBJECT + 64];
		snprintf(value, sizeof(value), "%s: %s", head, subject);
		put_field(o, "Subject", value);
		return;
	}
	putf(o, "Subject: %s:", head);
	/* 30 bytes make 40 base64 characters: each word fits a line. */
	size_t len = strlen(subject);
	size_t i = 0;
	while (i < len) {
		size_t take = len - i < 30 ? len - i : 30;
		/* Never split a UTF-8 sequence between two words. */
		while (i + take < len && take > 1 &&
		       ((unsigned char)subject[i + take] & 0xc0) == 0x80)
			take--;
		char b64[64];
		sodium_bin2base64(b64, sizeof(b64),
			(const unsigned char *)subject + i, take,
			sodium_base64_VARIANT_ORIGINAL);
		putf(o, "%s=?UTF-8?B?%s?=", i == 0 ? " " : "\r\n ", b64);
		i += take;
	}
	put(o, "\r\n");
}

/* The message's text with every line ending CRLF. */
static void
put_crlf(struct out *o, struct span text)
{
	size_t i = 0;
	while (i < text.len) {
		size_t end = i;
		while (end < text.len && text.p[end] != '\r' &&
		       text.p[end] != '\n')
			end++;
		putn(o, text.p + i, end - i);
		if (end == text.len)
			break;
		put(o, "\r\n");
		i = end + 1;
		if (text.p[end] == '\r' && i < text.len && text.p[i] == '\n')
			i++;
	}
	if (text.len > 0 && text.p[text.len - 1] != '\n' &&
	    text.p[text.len - 1] != '\r')
		put(o, "\r\n");
}

static void
put_human(struct out *o, const struct mail_dsn_report *r, const char *subject,
	bool cut)
{
	char date[64];
	put(o, "This is an automatic message from the mail system. Please do "
		"not reply to it.\r\n\r\n");
	bool ascii = true;
	for (const char *p = subject; *p != '\0'; p++)
		ascii = ascii && (unsigned char)*p < 0x7f;
	if (subject[0] != '\0' && ascii)
		putf(o, "About your message \"%s\".\r\n\r\n", subject);
	for (size_t i = 0; i < r->recipient_count; i++) {
		const struct mail_dsn_recipient *rc = &r->recipients[i];
		const char *what = action_words[rc->action].what;
		putf(o, "Your message to %s %s.\r\n", rc->final_recipient,
			what);
		put(o, rc->advice != NULL ? rc->advice :
			mail_dsn_advice(rc->action, rc->status));
		put(o, "\r\n");
		if (rc->action == MAIL_DSN_DELAYED && rc->will_retry_until) {
			format_date(rc->will_retry_until, date, sizeof(date));
			putf(o, "We will keep trying until %s.\r\n", date);
		}
		if (rc->diagnostic != NULL && rc->diagnostic[0] != '\0') {
			struct mail_dsn_diagnostic d;
			mail_dsn_diagnostic_parse(
				span_from_cstr(rc->diagnostic), &d);
			if (rc->diagnostic_is_reply && rc->remote_mta != NULL)
				putf(o, "The receiving server (%s) said: ",
					rc->remote_mta);
			else
				put(o, rc->diagnostic_is_reply ?
					"The receiving server said: " :
					"What happened: ");
			if (d.code != 0)
				putf(o, "%d %s%s", d.code, d.status,
					d.status[0] != '\0' ? " " : "");
			put(o, d.text);
			put(o, "\r\n");
		}
		put(o, "\r\n");
	}
	/* RFC 3461 §4.3 leaves the size to us: say why the body is missing. */
	char limit[48];
	if (r->return_max >= 1024)
		snprintf(limit, sizeof(limit), "%zu KB", r->return_max / 1024);
	else
		snprintf(limit, sizeof(limit), "%zu bytes", r->return_max);
	if (cut && r->return_max == 0)
		put(o, "You asked for the whole message to be returned, but "
			"this mail service returns only its header.\r\n\r\n");
	else if (cut)
		putf(o, "You asked for the whole message to be returned, but "
			"it is larger than the %s a report carries, so only its "
			"header is attached.\r\n\r\n", limit);
	put(o, "The technical details are attached for your IT service "
		"desk.\r\n");
}

static void
put_recipient(struct out *o, const struct mail_dsn_recipient *rc)
{
	char value[700], date[64];
	put(o, "\r\n");
	/*
	 * RFC 6533 §3: a UTF-8 address is of type utf-8, which only a
	 * global report writes as itself; a report that is not global has
	 * no such address (mail_dsn_is_global).
	 */
	snprintf(value, sizeof(value), "%s; %s",
		is_utf8_text(rc->final_recipient) ? "utf-8" : "rfc822",
		rc->final_recipient);
	put_field_text(o, "Final-Recipient", value, o->global);
	/* RFC 3464 §2.3.1: the ORCPT the sender gave, as given. */
	if (rc->original_recipient != NULL &&
	    rc->original_recipient[0] != '\0' &&
	    mail_dsn_orcpt_field(rc->original_recipient, o->global, value,
		    sizeof(value)))
		put_field_text(o, "Original-Recipient", value, o->global);
	put_field(o, "Action", mail_dsn_action_name(rc->action));
	put_field(o, "Status", rc->status);
	if (rc->remote_mta != NULL && rc->remote_mta[0] != '\0') {
		snprintf(value, sizeof(value), "dns; %s", rc->remote_mta);
		put_field(o, "Remote-MTA", value);
	}
	if (rc->diagnostic != NULL && rc->diagnostic[0] != '\0') {
		struct mail_dsn_diagnostic d;
		mail_dsn_diagnostic_parse(span_from_cstr(rc->diagnostic), &d);
		/* RFC 3464 §2.3.6: "smtp;" only for an SMTP reply. */
		if (rc->diagnostic_is_reply && d.code != 0)
			snprintf(value, sizeof(value), "smtp; %d %s%s%s",
				d.code, d.status, d.status[0] ? " " : "",
				d.text);
		else
			snprintf(value, sizeof(value), "x-caremail; %s",
				d.text);
		put_field(o, "Diagnostic-Code", value);
	}
	if (rc->last_attempt != 0) {
		format_date(rc->last_attempt, date, sizeof(date));
		put_field(o, "Last-Attempt-Date", date);
	}
	if (rc->action == MAIL_DSN_DELAYED && rc->will_retry_until != 0) {
		format_date(rc->will_retry_until, date, sizeof(date));
		put_field(o, "Will-Retry-Until", date);
	}
}

/* The boundary and Message-ID take it as it is: letters and digits. */
static bool
unique_is_safe(const char *unique)
{
	size_t n = 0;
	for (; unique != NULL && unique[n] != '\0'; n++) {
		if (!str_is_ascii_alpha(unique[n]) &&
		    !str_is_ascii_digit(unique[n]))
			return false;
	}
	return n > 0 && n <= 60;
}

static int
check_report(const struct mail_dsn_report *r, struct error *err)
{
	if (r->reporting_mta == NULL || r->reporting_mta[0] == '\0' ||
	    r->postmaster == NULL || r->postmaster[0] == '\0' ||
	    r->original_sender == NULL || r->original_sender[0] == '\0' ||
	    r->recipient_count == 0 || !unique_is_safe(r->unique))
		return error_set(err, ERROR_INVALID, "a delivery report needs "
			"the reporting MTA, the postmaster, the sender, a "
			"recipient and a unique text of 1 to 60 letters and "
			"digits");
	for (size_t i = 0; i < r->recipient_count; i++) {
		const struct mail_dsn_recipient *rc = &r->recipients[i];
		if (rc->final_recipient == NULL || rc->status == NULL ||
		    strlen(rc->status) < 5 ||
		    (unsigned)rc->action > MAIL_DSN_EXPANDED)
			return error_set(err, ERROR_INVALID, "each recipient "
				"of a delivery report needs an address, an "
				"action and a status");
	}
	return 0;
}

int
mail_dsn_build(const struct mail_dsn_report *r, struct arena *a,
	struct span *out_r, struct error *err)
{
	if (check_report(r, err) < 0)
		return -1;
	/* RFC 6533 §6: about internationalised mail, the global types. */
	bool global = mail_dsn_is_global(r);
	struct out o = { .failed = false, .global = global };
	str_init(&o.s, a, SIZE_MAX / 2);
	struct span header = returned_header(r->original);
	char subject[DSN_MAX_SUBJECT + 1], date[64], boundary[128];
	original_subject(header, subject, sizeof(subject));
	enum mail_dsn_action action = r->recipients[0].action;
	const char *head = action_words[action].head;
	bool whole = r->return_full && r->original.len <= r->return_max;
	bool cut = r->return_full && !whole;
	format_date(r->now, date, sizeof(date));
	snprintf(boundary, sizeof(boundary), "=_report_%s", r->unique);

	putf(&o, "From: Mail Delivery System <%s>\r\n", r->postmaster);
	putf(&o, "To: <%s>\r\n", r->original_sender);
	put_subject(&o, head, subject);
	putf(&o, "Date: %s\r\n", date);
	putf(&o, "Message-ID: <dsn.%s@%s>\r\n", r->unique, r->reporting_mta);
	/* RFC 3834 §5: no responder should answer this. */
	put(&o, "Auto-Submitted: auto-replied\r\n");
	put(&o, "MIME-Version: 1.0\r\n");
	putf(&o, "Content-Type: multipart/report; "
		"report-type=%s;\r\n\tboundary=\"%s\"\r\n",
		global ? "global-delivery-status" : "delivery-status",
		boundary);
	put(&o, "\r\nThis is a delivery status notification in MIME "
		"format.\r\n");

	putf(&o, "\r\n--%s\r\n", boundary);
	put(&o, "Content-Type: text/plain; charset=utf-8\r\n"
		"Content-Transfer-Encoding: 8bit\r\n\r\n");
	put_human(&o, r, subject, cut);

	putf(&o, "\r\n--%s\r\n", boundary);
	/* RFC 6533 §6.2: the global status part is 8bit, unencoded. */
	put(&o, global ? "Content-Type: message/global-delivery-status\r\n"
		"Content-Transfer-Encoding: 8bit\r\n\r\n" :
		"Content-Type: message/delivery-status\r\n\r\n");
	char value[600];
	snprintf(value, sizeof(value), "dns; %s", r->reporting_mta);
	put_field(&o, "Reporting-MTA", value);
	if (r->envid != NULL && r->envid[0] != '\0')
		put_field(&o, "Original-Envelope-Id", r->envid);
	if (r->arrival_date != 0) {
		format_date(r->arrival_date, date, sizeof(date));
		put_field(&o, "Arrival-Date", date);
	}
	for (size_t i = 0; i < r->recipient_count; i++)
		put_recipient(&o, &r->recipients[i]);

	putf(&o, "\r\n--%s\r\n", boundary);
	/* RFC 6533 §6.3 and RFC 6532 §3.7 for the global types. */
	if (whole) {
		put(&o, global ? "Content-Type: message/global\r\n"
			"Content-Transfer-Encoding: 8bit\r\n\r\n" :
			"Content-Type: message/rfc822\r\n\r\n");
		put_crlf(&o, r->original);
	} else {
		put(&o, global ? "Content-Type: message/global-headers\r\n"
			"Content-Transfer-Encoding: 8bit\r\n\r\n" :
			"Content-Type: text/rfc822-headers\r\n\r\n");
		put_crlf(&o, header);
	}
	putf(&o, "\r\n--%s--\r\n", boundary);
	if (o.failed)
		return error_set(err, ERROR_LIMIT,
			"the delivery report does not fit in memory");
	*out_r = span_make(o.s.p, o.s.len);
	return 0;
}
