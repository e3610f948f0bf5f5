/*
 * The IMAP command parser: a whole command (its literals inline) into a tree
 * of arguments, and the typed readings of those arguments that commands use:
 * sequence sets, FETCH items, SEARCH keys, flags, dates. Layer: front end.
 * RFC 3501 §9 (formal syntax), RFC 7888 (LITERAL+), RFC 4315 (UIDPLUS).
 * SECURITY: pure functions on a span, no I/O; every size is checked before
 * anything is allocated, quoted strings refuse NUL and 8-bit bytes
 * (CVE-2019-11500, SECURITY.md item 32), nesting and counts are capped.
 */
#ifndef IMAP_IMAP_PARSE_H
#define IMAP_IMAP_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/str.h"

struct arena;
struct error;

/* Parenthesised lists nest at most this deep: BODY[...] needs 2. */
#define IMAP_LIST_DEPTH_MAX 16
/* Arguments in one command, all lists counted: a bound on the tree. */
#define IMAP_ARGS_MAX 65536
/* A literal announces at most a 32-bit size (RFC 3501 §9 "number"). */
#define IMAP_LITERAL_SIZE_MAX UINT32_MAX
/* Search keys nest (NOT, OR, parentheses) at most this deep. */
#define IMAP_SEARCH_DEPTH_MAX 32

enum imap_arg_type {
	IMAP_ARG_ATOM,	  /* also NIL, numbers, flags, sets, BODY[...]<> */
	IMAP_ARG_STRING,  /* a quoted string, unescaped */
	IMAP_ARG_LITERAL, /* {n} or {n+} and its n bytes */
	IMAP_ARG_LIST,	  /* ( ... ) */
};

struct imap_arg {
	enum imap_arg_type type;
	/*
	 * ATOM and LITERAL point into the command buffer and are not
	 * NUL-terminated; STRING is an unescaped, NUL-terminated copy.
	 */
	struct span text;
	const struct imap_arg *items; /* LIST: its arguments */
	size_t count;		      /* LIST: how many */
	bool has_nul;		      /* LITERAL: holds a NUL byte */
};

struct imap_command {
	struct span tag;
	struct span name; /* "FETCH"; after "UID " for UID commands */
	bool uid;	  /* UID FETCH, UID STORE, ... */
	const struct imap_arg *args;
	size_t count;
};

/*
 * Reads the tag and command name from the first line of a command, before
 * any literal is read, so the session can answer a refused literal with the
 * right tag and pick the literal limit by command (APPEND). -1 with
 * ERROR_INVALID when there is no valid tag (*tag_r is then empty) or no
 * command name (*tag_r is set).
 */
int imap_parse_head(struct span line, struct span *tag_r, struct span *name_r,
	bool *uid_r, struct error *err);

enum imap_literal_kind {
	IMAP_LITERAL_NONE,
	IMAP_LITERAL_SYNC,    /* {n}: the client waits for "+" */
	IMAP_LITERAL_NONSYNC, /* {n+}: RFC 7888, the bytes follow at once */
};

/*
 * Whether a line (without its CRLF) ends in a literal announcement. A size
 * past IMAP_LITERAL_SIZE_MAX, or one with too many digits to be a number,
 * is ERROR_LIMIT, found without converting or allocating anything
 * (SECURITY.md item 31). "{}" or "{x}" is no announcement: the command
 * parser refuses it.
 */
int imap_parse_literal_suffix(struct span line, enum imap_literal_kind *kind_r,
	uint64_t *size_r, struct error *err);

/*
 * Parses one whole command: tag SP [UID SP] name [SP arguments]. buf holds
 * the lines joined by CRLF, each literal's bytes straight after its
 * announcement's CRLF, and no final CRLF. The tree is in arena a and points
 * into buf. ERROR_INVALID (answer BAD) for bad syntax; ERROR_LIMIT past the
 * caps or the arena's.
 */
int imap_parse_command(struct span buf, struct arena *a,
	struct imap_command *cmd_r, struct error *err);

/* Whether arg is an atom equal to name, ignoring ASCII case. */
bool imap_arg_is_atom(const struct imap_arg *arg, const char *name);

/*
 * An astring (atom, quoted or literal) as a NUL-terminated string in arena
 * a; ERROR_INVALID for a list, NIL is the atom "NIL", a literal with a NUL.
 */
int imap_arg_string(const struct imap_arg *arg, struct arena *a,
	const char **s_r, struct error *err);

/* ---- sequence sets (RFC 3501 §9 sequence-set) ---- */

/* "*": the largest number in use, known only when the set is applied. */
#define IMAP_SEQ_STAR UINT64_MAX

struct imap_seq_range {
	uint64_t lo, hi; /* as written: either may be STAR, lo > hi */
};

struct imap_seqset {
	const struct imap_seq_range *ranges;
	size_t count;
};

/* Parses "1:4,7,9:*"; zero, "$" and empty items are ERROR_INVALID. */
int imap_parse_seqset(struct span s, struct arena *a, struct imap_seqset *r,
	struct error *err);

/*
 * Range i of set with "*" standing for `star`, as lo <= hi (RFC 3501 §9:
 * "4:2" is the same as "2:4").
 */
void imap_seqset_range(const struct imap_seqset *set, size_t i, uint64_t star,
	uint64_t *lo_r, uint64_t *hi_r);

/* Whether n is in the set once "*" means star. */
bool imap_seqset_contains(const struct imap_seqset *set, uint64_t n,
	uint64_t star);

/* ---- flags (RFC 3501 §2.3.2) ---- */

/* The same bits as the store's enum store_flag. */
enum imap_flag {
	IMAP_FLAG_SEEN = 1 << 0,
	IMAP_FLAG_ANSWERED = 1 << 1,
	IMAP_FLAG_FLAGGED = 1 << 2,
	IMAP_FLAG_DELETED = 1 << 3,
	IMAP_FLAG_DRAFT = 1 << 4,
	/*
	 * \Recent (RFC 3501 §2.3.2) is the session's, never stored and
	 * never set by a client: only responses carry it.
	 */
	IMAP_FLAG_RECENT = 1 << 5,
};

/* Keywords a message may carry, and the longest keyword. */
#define IMAP_KEYWORDS_MAX 64
#define IMAP_KEYWORD_LEN_MAX 100

struct imap_flags {
	unsigned system;       /* enum imap_flag bits */
	const char **keywords; /* as written; no duplicates (any case) */
	size_t keyword_count;
};

/*
 * A flag list "(\Seen $Label)" or, when `allow_bare`, flags as separate atom
 * arguments (STORE allows both). \Recent, \* and unknown system flags are
 * ERROR_INVALID, as are keywords with characters atoms may not hold.
 */
int imap_parse_flags(const struct imap_arg *args, size_t count, bool allow_bare,
	struct arena *a, struct imap_flags *r, struct error *err);

/* The system flag a name ("\Seen", any case) stands for, or 0. */
unsigned imap_flag_from_name(struct span name);

/* ---- STORE (RFC 3501 §6.4.6) ---- */

enum imap_store_mode {
	IMAP_STORE_REPLACE, /* FLAGS */
	IMAP_STORE_ADD,	    /* +FLAGS */
	IMAP_STORE_REMOVE,  /* -FLAGS */
};

struct imap_store {
	struct imap_seqset set;
	enum imap_store_mode mode;
	bool silent; /* .SILENT: no FETCH responses */
	struct imap_flags flags;
};

int imap_parse_store(const struct imap_arg *args, size_t count, struct arena *a,
	struct imap_store *r, struct error *err);

/* ---- FETCH (RFC 3501 §6.4.5) ---- */

enum imap_fetch_item {
	IMAP_FETCH_FLAGS = 1 << 0,
	IMAP_FETCH_INTERNALDATE = 1 << 1,
	IMAP_FETCH_RFC822_SIZE = 1 << 2,
	IMAP_FETCH_ENVELOPE = 1 << 3,
	IMAP_FETCH_BODY = 1 << 4, /* BODY without a section */
	IMAP_FETCH_BODYSTRUCTURE = 1 << 5,
	IMAP_FETCH_UID = 1 << 6,
};

enum imap_section_text {
	IMAP_SECTION_ALL, /* the whole part, or the message for "" */
	IMAP_SECTION_HEADER,
	IMAP_SECTION_HEADER_FIELDS,
	IMAP_SECTION_HEADER_FIELDS_NOT,
	IMAP_SECTION_TEXT,
	IMAP_SECTION_MIME,
};

struct imap_fetch_section {
	const char *label; /* the response's item name: "BODY[1.TEXT]<0>" */
	const char *mime;  /* for mail_mime_section: "", "1.HEADER", "TEXT" */
	enum imap_section_text text;
	const char *const *fields; /* HEADER.FIELDS[.NOT]: names */
	size_t field_count;
	bool peek;    /* BODY.PEEK, RFC822.HEADER: \Seen stays */
	bool partial; /* <offset.length> */
	uint32_t offset, length;
};

struct imap_fetch {
	unsigned items; /* enum imap_fetch_item bits */
	const struct imap_fetch_section *sections;
	size_t section_count;
};

/*
 * The arguments after the sequence set: a macro (ALL, FAST, FULL), one item
 * or a list of items. A section is ERROR_INVALID unless RFC 3501 allows it:
 * "1.2.MIME", "HEADER.FIELDS (A B)", "TEXT", partials "<0.100>".
 */
int imap_parse_fetch(const struct imap_arg *args, size_t count, struct arena *a,
	struct imap_fetch *r, struct error *err);

/* Whether any item sets \Seen (BODY[...] without PEEK, RFC822, .TEXT). */
bool imap_fetch_sets_seen(const struct imap_fetch *f);

/* ---- SEARCH (RFC 3501 §6.4.4) ---- */

enum imap_search_type {
	IMAP_SEARCH_ALL,
	IMAP_SEARCH_AND, /* every child; a parenthesised list */
	IMAP_SEARCH_OR,	 /* two children */
	IMAP_SEARCH_NOT, /* one child */
	IMAP_SEARCH_SEQSET,
	IMAP_SEARCH_UID,
	IMAP_SEARCH_FLAG,   /* flag set: ANSWERED, DELETED, ... */
	IMAP_SEARCH_NOFLAG, /* flag clear: UNANSWERED, UNSEEN, ... */
	IMAP_SEARCH_KEYWORD,
	IMAP_SEARCH_UNKEYWORD,
	IMAP_SEARCH_NEW, /* RECENT UNSEEN */
	IMAP_SEARCH_OLD,
	IMAP_SEARCH_RECENT,
	IMAP_SEARCH_LARGER,
	IMAP_SEARCH_SMALLER,
	IMAP_SEARCH_BEFORE, /* internal date */
	IMAP_SEARCH_ON,
	IMAP_SEARCH_SINCE,
	IMAP_SEARCH_SENTBEFORE, /* Date: header */
	IMAP_SEARCH_SENTON,
	IMAP_SEARCH_SENTSINCE,
	IMAP_SEARCH_HEADER,
	IMAP_SEARCH_BCC,
	IMAP_SEARCH_CC,
	IMAP_SEARCH_FROM,
	IMAP_SEARCH_SUBJECT,
	IMAP_SEARCH_TO,
	IMAP_SEARCH_BODY,
	IMAP_SEARCH_TEXT,
};

struct imap_search_key {
	enum imap_search_type type;
	unsigned flag;	   /* FLAG, NOFLAG: an enum imap_flag bit */
	const char *field; /* HEADER: the field name */
	const char *value; /* strings and keywords */
	int64_t number;	   /* LARGER, SMALLER: bytes; dates: UTC day start */
	struct imap_seqset set;		  /* SEQSET, UID */
	struct imap_search_key *children; /* AND, OR, NOT */
	size_t count;
};

/*
 * The search program after SEARCH: an optional CHARSET (US-ASCII or UTF-8;
 * another is ERROR_NOT_FOUND, answered NO [BADCHARSET]) and keys, ANDed.
 */
int imap_parse_search(const struct imap_arg *args, size_t count,
	struct arena *a, struct imap_search_key *root_r, struct error *err);

/* Whether evaluating the key needs the stored header or body text. */
bool imap_search_needs_body(const struct imap_search_key *key);

/* ---- dates (RFC 3501 §9 date, date-time) ---- */

/* "1-Feb-1994": the UTC start of that day, as seconds since 1970. */
bool imap_parse_date(struct span s, int64_t *t_r);

/* "17-Jul-1996 02:44:25 -0700" as UTC seconds since 1970. */
bool imap_parse_datetime(struct span s, int64_t *t_r);

/* UTC seconds as "17-Jul-1996 09:44:25 +0000" into buf[size >= 27]. */
void imap_format_datetime(int64_t t, char *buf, size_t size);

/* ---- APPEND (RFC 3501 §6.3.11) ---- */

struct imap_append {
	const char *mailbox;
	struct imap_flags flags;
	bool has_date;
	int64_t date;	     /* UTC seconds */
	struct span message; /* the literal's bytes */
	bool message_has_nul;
};

int imap_parse_append(const struct imap_arg *args, size_t count,
	struct arena *a, struct imap_append *r, struct error *err);

#endif
