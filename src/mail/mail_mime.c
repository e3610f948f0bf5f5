/*
 * The summary of a message stored with each index row: IMAP strings from the
 * part tree, and header fields decoded for SEARCH (addresses read by the
 * ENVELOPE's parser, encoded words and charsets by GMime). Layer: mail.
 * RFC 3501 §6.4.4 (SEARCH), §7.4.2 (FETCH); RFC 2047 (encoded words), RFC
 * 5322 §3.3 (dates), §3.4 (addresses).
 */
#include "mail/mail_mime.h"

#include <gmime/gmime.h>
#include <pthread.h>
#include <string.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/str.h"
#include "mail/mail_mime_internal.h"

static pthread_once_t gmime_once = PTHREAD_ONCE_INIT;

static void
gmime_init(void)
{
	g_mime_init();
}

void
mail_mime_gmime_init(void)
{
	pthread_once(&gmime_once, gmime_init);
}

static int
arena_full(struct error *err)
{
	return error_set(err, ERROR_LIMIT,
		"the message summary outgrew its memory arena");
}

/*
 * Copies GMime's string into the arena and frees it. Control characters
 * that decoding may bring out of an encoded word ("=0D") become spaces, so
 * a decoded field is one line of text.
 */
static const char *
gmime_take(char *text, struct arena *a)
{
	if (text == NULL)
		return arena_strdup(a, "");
	char *copy = arena_strdup(a, text);
	g_free(text);
	for (char *p = copy; p != NULL && *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	}
	return copy;
}

/*
 * Cuts text to MAIL_MIME_DECODE_MAX bytes, not inside a UTF-8 sequence:
 * what is handed to GMime is bounded whatever the sender wrote.
 */
static void
decode_bound(char *text)
{
	size_t len = strlen(text);
	if (len <= MAIL_MIME_DECODE_MAX)
		return;
	len = MAIL_MIME_DECODE_MAX;
	while (len > 0 && ((unsigned char)text[len] & 0xc0) == 0x80)
		len--;
	text[len] = '\0';
}

/*
 * The unfolded raw value of a field, cut to MAIL_MIME_DECODE_MAX bytes, or
 * NULL in *text_r when absent.
 */
static int
field_raw(struct span header, const char *name, struct arena *a,
	const char **text_r, struct error *err)
{
	struct span raw;
	*text_r = NULL;
	if (!mail_mime_header_find(header, name, &raw))
		return 0;
	char *text = mail_mime_header_unfold(raw, a);
	if (text == NULL)
		return arena_full(err);
	decode_bound(text);
	*text_r = text;
	return 0;
}

const char *
mail_mime_decode_text(struct span text, struct arena *a)
{
	char *raw = span_dup(text, a);
	if (raw == NULL)
		return NULL;
	decode_bound(raw);
	pthread_once(&gmime_once, gmime_init);
	return gmime_take(g_mime_utils_header_decode_text(NULL, raw), a);
}

/* RFC 2047 words decoded; 8-bit text converted to UTF-8 from its charset. */
static int
field_text(struct span header, const char *name, struct arena *a,
	const char **text_r, struct error *err)
{
	const char *raw;
	if (field_raw(header, name, a, &raw, err) < 0)
		return -1;
	if (raw == NULL)
		return 0;
	*text_r = gmime_take(g_mime_utils_header_decode_text(NULL, raw), a);
	return *text_r != NULL ? 0 : arena_full(err);
}

/*
 * A display name as a person reads it, RFC 2047 words decoded, quoted
 * again when it holds a special (RFC 5322 §3.2.3), as "Smith, Jo" is.
 */
static int
name_append(struct str *out, const char *name, struct arena *a)
{
	const char *text = gmime_take(g_mime_utils_header_decode_text(NULL,
		name), a);
	if (text == NULL)
		return -1;
	bool quote = strpbrk(text, "()<>[]:;@\\,.\"") != NULL;
	if (!quote)
		return str_append_cstr(out, text);
	return str_append_quoted(out, text);
}

/* One entry of the list: a group's start or end, or a mailbox. */
static int
address_append(struct str *out, const struct mail_mime_address *addr,
	struct arena *a)
{
	if (addr->host == NULL && addr->mailbox == NULL)
		return str_append_char(out, ';');	/* a group's end */
	if (addr->host == NULL)
		return name_append(out, addr->mailbox, a) < 0 ||
			str_append_char(out, ':') < 0 ? -1 : 0;
	bool named = addr->name != NULL && addr->name[0] != '\0';
	if (named && (name_append(out, addr->name, a) < 0 ||
		    str_append_cstr(out, " <") < 0))
		return -1;
	if (str_append_cstr(out, addr->mailbox) < 0 ||
	    (addr->host[0] != '\0' && (str_append_char(out, '@') < 0 ||
		    str_append_cstr(out, addr->host) < 0)))
		return -1;
	return named ? str_append_char(out, '>') : 0;
}

/*
 * An address field as "Name <mailbox@host>, ..." with names decoded, for
 * SEARCH FROM and friends, read by the parser the ENVELOPE is made with
 * (mail_mime_address.c), so both see the same addresses. A field with no
 * address in it is decoded as plain text so that a search can still find
 * it.
 */
static int
field_addresses(struct span header, const char *name, struct arena *a,
	const char **text_r, struct error *err)
{
	const char *raw;
	if (field_raw(header, name, a, &raw, err) < 0)
		return -1;
	if (raw == NULL)
		return 0;
	struct mail_mime_address *list;
	size_t count;
	if (mail_mime_address_parse(span_from_cstr(raw), a, &list, &count,
		    err) < 0)
		return -1;
	if (count == 0) {
		*text_r = gmime_take(g_mime_utils_header_decode_text(NULL,
			raw), a);
		return *text_r != NULL ? 0 : arena_full(err);
	}
	struct str out;
	str_init(&out, a, SIZE_MAX);
	bool in_group_start = false;
	for (size_t i = 0; i < count; i++) {
		const struct mail_mime_address *addr = &list[i];
		bool group_end = addr->host == NULL && addr->mailbox == NULL;
		/* ", " between entries, but not after "Team:" nor before ";". */
		const char *sep = i == 0 || group_end ? "" :
			in_group_start ? " " : ", ";
		if (str_append_cstr(&out, sep) < 0 ||
		    address_append(&out, addr, a) < 0)
			return arena_full(err);
		in_group_start = addr->host == NULL && addr->mailbox != NULL;
	}
	*text_r = str_cstr(&out);
	return *text_r != NULL ? 0 : arena_full(err);
}

/* The Date field in UTC seconds; 0 when absent or unreadable. */
static int
field_date(struct span header, struct arena *a, int64_t *date_r,
	struct error *err)
{
	const char *raw;
	*date_r = 0;
	if (field_raw(header, "Date", a, &raw, err) < 0)
		return -1;
	GDateTime *date = raw != NULL ? g_mime_utils_header_decode_date(raw)
				      : NULL;
	if (date != NULL) {
		*date_r = g_date_time_to_unix(date);
		g_date_time_unref(date);
	}
	return 0;
}

static int
search_fields(struct span header, struct arena *a, struct mail_summary *s,
	struct error *err)
{
	if (field_text(header, "Subject", a, &s->subject, err) < 0 ||
	    field_addresses(header, "From", a, &s->from, err) < 0 ||
	    field_addresses(header, "To", a, &s->to, err) < 0 ||
	    field_addresses(header, "Cc", a, &s->cc, err) < 0 ||
	    field_addresses(header, "Bcc", a, &s->bcc, err) < 0 ||
	    field_raw(header, "Message-ID", a, &s->message_id, err) < 0)
		return -1;
	return field_date(header, a, &s->date, err);
}

static unsigned
parts_count(const struct mail_mime_part *part)
{
	unsigned count = 1;
	for (const struct mail_mime_part *c = part->children; c != NULL;
	     c = c->next)
		count += parts_count(c);
	return count;
}

/* The three IMAP strings; each str is capped only by the arena. */
static int
imap_fields(const char *msg, const struct mail_mime_part *root,
	struct arena *a, struct mail_summary *s, struct error *err)
{
	struct str envelope, bodystructure, body;
	str_init(&envelope, a, SIZE_MAX);
	str_init(&bodystructure, a, SIZE_MAX);
	str_init(&body, a, SIZE_MAX);
	if (mail_mime_envelope(msg, root, &envelope, err) < 0 ||
	    mail_mime_bodystructure(msg, root, true, &bodystructure, err) < 0 ||
	    mail_mime_bodystructure(msg, root, false, &body, err) < 0)
		return -1;
	s->envelope = str_cstr(&envelope);
	s->bodystructure = str_cstr(&bodystructure);
	s->body = str_cstr(&body);
	return 0;
}

int
mail_mime_summarize(const char *msg, size_t len, struct arena *a,
	struct mail_summary *s_r, struct error *err)
{
	struct mail_mime_part *root;
	if (msg == NULL)
		msg = "";
	if (mail_mime_parse(msg, len, a, &root, err) < 0)
		return -1;
	mail_mime_gmime_init();
	struct mail_summary s = { 0 };
	struct span header = span_make(msg, root->header_size);
	if (imap_fields(msg, root, a, &s, err) < 0 ||
	    search_fields(header, a, &s, err) < 0)
		return -1;
	s.header_size = root->header_size;
	s.part_count = parts_count(root);
	*s_r = s;
	return 0;
}
