/*
 * MIME structure of a message, worked out once at delivery and stored with
 * each index row: IMAP ENVELOPE, BODY and BODYSTRUCTURE (RFC 3501 §7.4.2),
 * decoded fields for SEARCH, and byte ranges for FETCH BODY[section] (RFC
 * 3501 §6.4.5). Layer: mail. RFC 5322, 2045-2047, 2183, 2231. SECURITY: input
 * is whatever a sender wrote; depth and part counts are capped while scanning.
 */
#ifndef MAIL_MAIL_MIME_H
#define MAIL_MAIL_MIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/str.h"

struct arena;
struct error;

/*
 * Messages nested deeper or split into more parts than this are refused with
 * ERROR_LIMIT, as Dovecot did after CVE-2020-12100: no real mail comes close,
 * and every level and part costs parsing work on each FETCH.
 */
#define MAIL_MIME_MAX_DEPTH 32
#define MAIL_MIME_MAX_PARTS 1000

/*
 * What IMAP and SEARCH need of a message, computed once. The three IMAP
 * strings are ready to send after "ENVELOPE ", "BODYSTRUCTURE " or "BODY ".
 * Their strings are quoted ("..." with \" and \\ escaped) when 7-bit without
 * CR or LF, and literals ({n}CRLF then n bytes) otherwise: 8-bit header text
 * stays as the sender wrote it. A NUL byte becomes U+FFFD, since IMAP allows
 * NUL nowhere. Absent fields are NIL.
 */
struct mail_summary {
	/*
	 * ("date" "subject" (from) (sender) (reply-to) (to) (cc) (bcc)
	 * "in-reply-to" "message-id"): header values unfolded but not decoded,
	 * as RFC 3501 asks; an address is (name adl mailbox host) with the
	 * display name as written (RFC 2047 words kept); groups as RFC 3501
	 * describes; sender and reply-to fall back to from when absent or
	 * empty. A missing mailbox or domain shows as Dovecot shows it,
	 * "MISSING_MAILBOX" or "MISSING_DOMAIN": NIL there marks a group.
	 */
	const char *envelope;
	/*
	 * With extension data: multipart subtype, parameters, disposition,
	 * language, location; other parts MD5, disposition, language,
	 * location. Type, subtype, encoding, disposition type and parameter
	 * names are upper case; text parts always carry a CHARSET.
	 */
	const char *bodystructure;
	const char *body;	/* BODYSTRUCTURE without extension data */
	/*
	 * For SEARCH, NULL when the field is absent: the subject RFC 2047
	 * decoded to UTF-8 and unfolded; addresses decoded the same way as
	 * "Name <mailbox@host>, ...". Control characters become spaces.
	 */
	const char *subject;
	const char *from;
	const char *to;
	const char *cc;
	const char *bcc;
	const char *message_id;	/* as written, unfolded; NULL if absent */
	int64_t date;		/* Date: in UTC seconds; 0 if absent or bad */
	size_t header_size;	/* header and blank line: BODY[HEADER] */
	unsigned part_count;	/* the message, multiparts, leaves: all */
};

/*
 * At most this many bytes of one header field are handed to GMime to
 * decode (longer ones are cut for SEARCH). GMime allocates through GLib,
 * which aborts the process when an allocation fails, so what it is asked
 * to decode is bounded here rather than by the message size (docs/design.md,
 * "Libraries that abort").
 */
#define MAIL_MIME_DECODE_MAX (256 * 1024)

/*
 * text with its RFC 2047 encoded words decoded to UTF-8 and other 8-bit
 * text converted from its charset (GMime), control characters made spaces;
 * only its first MAIL_MIME_DECODE_MAX bytes. A C string in arena a, or
 * NULL past its cap.
 */
const char *mail_mime_decode_text(struct span text, struct arena *a);

/*
 * Summarizes a whole RFC 5322 message of len bytes (CRLF line ends; a bare LF
 * is also taken as one). Every string is in arena a. Malformed MIME never
 * fails, as IMAP must still serve the message: a missing or invalid
 * Content-Type means text/plain (RFC 2045 §5.2), a header without a blank
 * line after it runs to the end. Fails with ERROR_LIMIT when nesting passes
 * MAIL_MIME_MAX_DEPTH, parts pass MAIL_MIME_MAX_PARTS or the arena is full.
 * Memory: about 12 KiB for a plain message, 1.5 KiB more per part, and up
 * to ten times the size of a very long From, as the ENVELOPE may show it
 * three times (sender and reply-to fall back to it).
 */
int mail_mime_summarize(const char *msg, size_t len, struct arena *a,
	struct mail_summary *s_r, struct error *err);

/*
 * The byte range of FETCH BODY[section] in msg (RFC 3501 §6.4.5): section is
 * "" (the whole message), "HEADER", "TEXT", or part numbers such as "1.2"
 * optionally followed by ".HEADER", ".TEXT" or ".MIME" (any case). For
 * "HEADER.FIELDS (...)" the caller asks for the HEADER range and filters it.
 * Parses msg again into arena a. Fails with ERROR_NOT_FOUND for a part the
 * message does not have (IMAP then sends an empty string), ERROR_INVALID for
 * a malformed section, and as mail_mime_parse.
 */
int mail_mime_section(const char *msg, size_t len, const char *section,
	struct arena *a, size_t *offset_r, size_t *length_r, struct error *err);

/*
 * The parts of a message as a tree, for callers that need more than the
 * summary (a webmail listing attachments, several sections of one message).
 */
enum mail_mime_kind {
	MAIL_MIME_LEAF,		/* one body: text, image, application, ... */
	MAIL_MIME_MULTIPART,	/* children are its body parts, in order */
	MAIL_MIME_MESSAGE,	/* message/rfc822: one child, the message */
};

struct mail_mime_param {
	const char *name;	/* as written; RFC 2231 continuations joined */
	const char *value;	/* unquoted; a "name*" value stays %-encoded */
};

struct mail_mime_part {
	enum mail_mime_kind kind;
	/*
	 * A message/rfc822 in base64 or quoted-printable: it cannot be
	 * parsed in place, so it is a leaf shown as application/octet-stream.
	 */
	bool encoded_message;
	const char *type;	/* lower case, defaults applied: "text" */
	const char *subtype;	/* lower case: "plain" */
	const struct mail_mime_param *params;	/* of Content-Type */
	size_t param_count;
	const char *encoding;	/* transfer encoding, lower case; NULL: 7bit */
	const char *id;		/* Content-ID as written, or NULL */
	const char *description;	/* Content-Description, or NULL */
	const char *md5;	/* Content-MD5, or NULL */
	const char *disposition;	/* "attachment", lower case, or NULL */
	const struct mail_mime_param *disposition_params;
	size_t disposition_param_count;
	const char *language;	/* Content-Language as written, or NULL */
	const char *location;	/* Content-Location, or NULL */
	size_t header_offset;	/* where the header starts in the message */
	size_t header_size;	/* with its blank line; the body follows */
	size_t body_size;	/* to the line break before a boundary */
	size_t body_lines;	/* LFs in the body, as BODYSTRUCTURE counts */
	struct mail_mime_part *children;	/* first child, or NULL */
	struct mail_mime_part *next;	/* next sibling in a multipart */
};

/*
 * Parses msg into a tree of parts in arena a, without copying bodies; the
 * root's header is the message header. Strings in the tree are unfolded
 * header text. Fails as mail_mime_summarize does, and only then.
 */
int mail_mime_parse(const char *msg, size_t len, struct arena *a,
	struct mail_mime_part **root_r, struct error *err);

/* As mail_mime_section, on a tree mail_mime_parse made. */
int mail_mime_part_section(const struct mail_mime_part *root,
	const char *section, size_t *offset_r, size_t *length_r,
	struct error *err);

/*
 * The size of the header block msg[len] starts with, through the empty
 * line that ends it (RFC 5322 §2.1): where the body starts; len when
 * there is no empty line. A line ends at LF, with or without a CR.
 */
size_t mail_mime_header_size(const char *msg, size_t len);

/*
 * The first field called name (any case) in a header block: its raw value,
 * from after the colon to the line break ending the field, folds included.
 */
bool mail_mime_header_find(struct span header, const char *name,
	struct span *value_r);

/*
 * The next field of a header block, advancing header past it: its name
 * (before the colon, blanks and all; empty for a line without one) and its
 * raw value with the folded lines after it, their line breaks included.
 * false at the blank line that ends the header, or at its end.
 */
bool mail_mime_field_next(struct span *header, struct span *name_r,
	struct span *value_r);

/*
 * If the header line at p (up to end) starts the field called name, in any
 * case and with blanks allowed before the colon ("From :", RFC 5322
 * §4.5.3), where its value starts; otherwise NULL.
 */
const char *mail_mime_field_value(const char *p, const char *end,
	const char *name);

/*
 * Where the text from p (up to end) goes on after blanks and comments
 * (RFC 5322 §3.2.2 CFWS): comments nest and may hold quoted pairs, and
 * CR and LF count as blanks, so a value may be folded or unfolded. end
 * when nothing else follows or a comment is not closed.
 */
const char *mail_mime_skip_cfws(const char *p, const char *end);

/*
 * value unfolded (RFC 5322 §2.2.3) with every CR and LF dropped, a NUL
 * turned into U+FFFD, and blanks trimmed at both ends: a C string in arena
 * a, or NULL past its cap.
 */
char *mail_mime_header_unfold(struct span value, struct arena *a);

/*
 * One address of an RFC 5322 address list in RFC 3501 ENVELOPE terms. A
 * group is a start entry (mailbox the group name, host NULL), its members,
 * and an end entry (mailbox and host NULL).
 */
struct mail_mime_address {
	const char *name;	/* display name as written, unquoted, or NULL */
	const char *route;	/* obsolete source route "@a,@b", or NULL */
	const char *mailbox;	/* local part as written; "" when missing */
	const char *host;	/* "" when missing; NULL in a group mark */
};

/*
 * Parses an unfolded address list leniently (RFC 5322 §3.4 with its obsolete
 * forms): what cannot be an address is skipped. A comment stands in for a
 * missing display name, as in "jo@example.org (Jo Bloggs)". The array is in
 * arena a; fails with ERROR_LIMIT past its cap.
 */
int mail_mime_address_parse(struct span value, struct arena *a,
	struct mail_mime_address **list_r, size_t *count_r, struct error *err);

/*
 * Appends len bytes as one IMAP string, quoted or literal as described at
 * struct mail_summary. Returns -1 past the cap of out.
 */
int mail_mime_imap_string(struct str *out, const char *s, size_t len);

/* As mail_mime_imap_string for a C string; NULL appends NIL. */
int mail_mime_imap_nstring(struct str *out, const char *s);

/*
 * Appends the ENVELOPE of a message whose header is that of part (the root,
 * or the child of a MAIL_MIME_MESSAGE part), taking scratch memory from
 * out's arena. ERROR_LIMIT past the cap of out or its arena.
 */
int mail_mime_envelope(const char *msg, const struct mail_mime_part *part,
	struct str *out, struct error *err);

/*
 * The date an ENVELOPE (as mail_mime_envelope wrote it) starts with: the
 * Date field's value as written, into *date_r (an unescaped copy in arena
 * a, or a span into envelope). False when it is NIL or the text is not an
 * envelope.
 */
bool mail_mime_envelope_date(const char *envelope, struct arena *a,
	struct span *date_r);

/*
 * A header field's value as a person reads it, in arena a: unfolded, RFC
 * 2047 encoded words decoded, raw 8-bit text converted to UTF-8 (UTF-8 if
 * it is, else ISO-8859-1). NULL past the arena's cap.
 */
const char *mail_mime_header_decode(struct span value, struct arena *a);

/*
 * Appends the BODYSTRUCTURE of part, or its BODY when extended is false.
 * ERROR_LIMIT past the cap of out or its arena.
 */
int mail_mime_bodystructure(const char *msg, const struct mail_mime_part *part,
	bool extended, struct str *out, struct error *err);

/* ---- search (mail_mime_search.c) ---- */

/*
 * The most text mail_mime_search_text gives for a message's body and for
 * its header: words past these are not found (about a thousand pages of
 * text, and a header far longer than any client writes).
 */
#define MAIL_SEARCH_BODY_MAX (4 * 1024 * 1024)
#define MAIL_SEARCH_HEADER_MAX (256 * 1024)

/*
 * What SEARCH BODY and TEXT look in (RFC 3501 §6.4.4), as UTF-8 with each
 * run of blanks, line breaks and control characters made one space.
 */
struct mail_search_text {
	/*
	 * The message's own header as "Name: value" fields, RFC 2047 words
	 * and raw 8-bit text decoded: TEXT looks here and in body.
	 */
	const char *header;
	size_t header_len;
	/*
	 * Every text part (text/plain, text/html, attachments too), decoded from base64 or
	 * quoted-printable (soft line breaks joined) and from its charset
	 * (windows-1252 for ISO-8859-1 and for 8-bit text that is not
	 * UTF-8), with the MIME header of every body part and of every
	 * attached message decoded as the header is, its RFC 2231 parameters
	 * (file names) too. Other parts' bodies are left out. BODY looks here.
	 */
	const char *body;
	size_t body_len;
	bool truncated; /* a text reached its cap and was cut */
};

/*
 * The search text of a whole message of len bytes, in arena a. Pure: the
 * same bytes always give the same text, so it may be computed at delivery
 * for an index as well as at search time. Memory: the message's part tree,
 * at most len bytes of decoded transfer encodings, and the two texts (at
 * most 3 * len + 128 bytes, and never past the caps). Fails as
 * mail_mime_parse does (ERROR_LIMIT) or when the arena is full.
 */
int mail_mime_search_text(const char *msg, size_t len, struct arena *a,
	struct mail_search_text *t_r, struct error *err);

/*
 * A leaf's body decoded from its transfer encoding (base64 and
 * quoted-printable as the search text reads them, leniently; anything
 * else as it is), into arena a or pointing into msg: an attachment's
 * bytes. ERROR_LIMIT past a's cap.
 */
int mail_mime_part_bytes(const char *msg, const struct mail_mime_part *part,
	struct arena *a, const char **data_r, size_t *size_r,
	struct error *err);

/*
 * The body of leaf part as UTF-8, whole and as written, for a reader that
 * must see every character of it (the DLP scanner, mail_dlp.h): decoded
 * from its transfer encoding as the search text is (base64, or
 * quoted-printable with soft line breaks joined; 7bit, 8bit and binary
 * as they are) and from its charset as the search text is, unreadable
 * bytes as U+FFFD, but with blanks, line breaks and control characters
 * kept and never cut. *text_r is NUL-terminated, in arena a (at most
 * 5 * body_size + 65 bytes). ERROR_INVALID when the transfer encoding is
 * not one RFC 2045 defines or iconv cannot read the charset (the text
 * would be a guess); ERROR_LIMIT when the arena is full.
 */
int mail_mime_part_text(const char *msg, const struct mail_mime_part *part,
	struct arena *a, struct span *text_r, struct error *err);

/*
 * A Content-Type or Content-Disposition parameter's value as a person
 * reads it, UTF-8 in arena a: an RFC 2231 "name*" value from its charset
 * and %-encoding, any other with its RFC 2047 words decoded. NULL past the
 * arena's cap.
 */
const char *mail_mime_param_text(const struct mail_mime_param *param,
	struct arena *a);

/*
 * text folded for matching, into arena a (at most 3 * len + 1 bytes):
 * each byte of invalid UTF-8 made U+FFFD, every letter lower-cased
 * (Unicode, final sigma as sigma), Latin accents taken off as core/fold.h
 * does ("Grüße" and "GRUSSE" both become "grusse"), runs of blanks and
 * control characters one space. SEARCH folds the words it is given and the
 * text it looks in alike, so a match is a plain substring test. NULL past
 * the arena's cap.
 */
char *mail_search_fold(const char *text, size_t len, struct arena *a);

/* Whether folded_word occurs in folded_text (both from mail_search_fold). */
bool mail_search_contains(const char *folded_text, const char *folded_word);

/*
 * The two folded texts SEARCH BODY and TEXT look in for the stored message
 * msg[len] (RFC 3501 §6.4.4), in arena a: mail_mime_search_text's header
 * and body, each through mail_search_fold. A message the MIME parser
 * refuses (past its limits) is searched as the bytes it is, split at
 * header_size (its body's summary; 0 or past len: all of it is header).
 * SEARCH scans with these and the text index (store_text.h) holds exactly
 * these, so an answer from the index is the scan's. Pure. ERROR_LIMIT when
 * the texts outgrow a (SEARCH then finds nothing in the message).
 */
int mail_search_texts(const char *msg, size_t len, int64_t header_size,
	struct arena *a, const char **header_r, const char **body_r,
	struct error *err);

/*
 * The calendar day a Date field's value names, as written: the time and
 * zone are disregarded, as SENTBEFORE, SENTON and SENTSINCE ask (RFC 3501
 * §6.4.4), so "Tue, 1 Dec 2026 23:30 -0800" is 1 December whatever the
 * hour is in UTC. *day_r gets the UTC start of that day. False for a value
 * that names no day (RFC 5322 §3.3 and its obsolete two-digit years).
 */
bool mail_mime_date_day(struct span value, int64_t *day_r);

#endif
