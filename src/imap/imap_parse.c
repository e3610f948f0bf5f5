/*
 * The IMAP command parser: commands into argument trees, and the typed
 * readings commands make of them. Layer: front end. RFC 3501 §9, RFC 7888.
 * SECURITY: no I/O and no trust in the input: sizes are checked before use,
 * quoted strings refuse NUL, CR, LF and 8-bit bytes (CVE-2019-11500),
 * nesting and counts are capped, and everything goes in a capped arena.
 */
#include "imap/imap_parse.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/arena.h"
#include "core/error.h"

/* ---- the argument tree ---- */

struct parser {
	const char *p;
	size_t len, pos;
	struct arena *a;
	size_t args; /* made so far, against IMAP_ARGS_MAX */
	struct error *err;
};

/* RFC 3501 ATOM-CHAR, with resp-specials "]" and list-wildcards allowed. */
static bool
is_atom_char(unsigned char c)
{
	if (c <= 0x20 || c >= 0x7f)
		return false;
	return c != '(' && c != ')' && c != '{' && c != '"';
}

/* A tag is 1*<ASTRING-CHAR except "+"> (RFC 3501 §9). */
static bool
is_tag_char(unsigned char c)
{
	return is_atom_char(c) && c != '+' && c != '%' && c != '*' &&
		c != '\\' && c != '[';
}

static int
parse_fail(struct parser *ps, const char *what)
{
	return error_set(ps->err, ERROR_INVALID, "%s at byte %zu", what,
		ps->pos);
}

/*
 * Whether the atom so far names a FETCH item that takes a section (RFC
 * 3501 §9 fetch-att, RFC 3516 BINARY): only there does "[" open one.
 */
static bool
opens_section(struct span atom)
{
	static const char *const names[] = { "BODY", "BODY.PEEK", "BINARY",
		"BINARY.PEEK", "BINARY.SIZE" };
	for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++) {
		if (span_eq_nocase(atom, names[i]))
			return true;
	}
	return false;
}

/*
 * An atom. After BODY, BODY.PEEK and the BINARY items, "[" opens a section
 * that runs to "]" and may hold spaces and parentheses, so
 * BODY[HEADER.FIELDS (FROM TO)]<0.100> is one atom, as in Dovecot's
 * parser; the FETCH reading parses what is inside. Anywhere else "[" is an
 * ordinary ATOM-CHAR (RFC 3501 §9): "a[b" is a mailbox name.
 */
static int
parse_atom(struct parser *ps, struct imap_arg *arg)
{
	size_t start = ps->pos;
	while (ps->pos < ps->len) {
		unsigned char c = (unsigned char)ps->p[ps->pos];
		if (c == '[' &&
			opens_section(span_make(ps->p + start,
				ps->pos - start))) {
			ps->pos++;
			while (ps->pos < ps->len && ps->p[ps->pos] != ']') {
				unsigned char in = (unsigned char)
							   ps->p[ps->pos];
				if (in < 0x20 || in >= 0x7f || in == '[' ||
					in == '{')
					return parse_fail(ps,
						"a section holds a bad byte");
				ps->pos++;
			}
			if (ps->pos == ps->len)
				return parse_fail(ps, "a section has no ]");
			ps->pos++;
			continue;
		}
		if (!is_atom_char(c))
			break;
		ps->pos++;
	}
	if (ps->pos == start) {
		unsigned char c = (unsigned char)ps->p[ps->pos];
		return parse_fail(ps,
			c >= 0x80 ? "8-bit bytes are allowed only in literals" :
				    "an argument was expected");
	}
	arg->type = IMAP_ARG_ATOM;
	arg->text = span_make(ps->p + start, ps->pos - start);
	return 0;
}

/* A quoted string (RFC 3501 §9 quoted): only \" and \\ escapes. */
static int
parse_quoted(struct parser *ps, struct imap_arg *arg)
{
	size_t start = ++ps->pos, out_len = 0;
	for (;;) {
		if (ps->pos >= ps->len)
			return parse_fail(ps, "a quoted string has no end");
		unsigned char c = (unsigned char)ps->p[ps->pos];
		if (c == '"')
			break;
		if (c == '\0' || c == '\r' || c == '\n' || c >= 0x80)
			return parse_fail(ps,
				"a quoted string holds NUL, CR, "
				"LF or an 8-bit byte; use a literal");
		if (c == '\\') {
			if (ps->pos + 1 >= ps->len ||
				(ps->p[ps->pos + 1] != '"' &&
					ps->p[ps->pos + 1] != '\\'))
				return parse_fail(ps,
					"only \\\" and \\\\ may be escaped");
			ps->pos++;
		}
		ps->pos++;
		out_len++;
	}
	char *out = arena_alloc(ps->a, out_len + 1);
	if (out == NULL)
		return error_set(ps->err, ERROR_LIMIT,
			"the command is too big");
	size_t n = 0;
	for (size_t i = start; i < ps->pos; i++) {
		if (ps->p[i] == '\\')
			i++;
		out[n++] = ps->p[i];
	}
	ps->pos++; /* the closing quote */
	arg->type = IMAP_ARG_STRING;
	arg->text = span_make(out, n);
	return 0;
}

/* Digits of a number no bigger than max; false for none or too many. */
static bool
parse_number(const char *p, size_t len, size_t *used_r, uint64_t max,
	uint64_t *value_r)
{
	uint64_t v = 0;
	size_t i = 0;
	while (i < len && str_is_ascii_digit(p[i])) {
		unsigned d = (unsigned)(p[i] - '0');
		if (v > (max - d) / 10)
			return false;
		v = v * 10 + d;
		i++;
	}
	if (i == 0)
		return false;
	*used_r = i;
	*value_r = v;
	return true;
}

static int
parse_literal(struct parser *ps, struct imap_arg *arg)
{
	size_t used;
	uint64_t n;
	ps->pos++;
	if (!parse_number(ps->p + ps->pos, ps->len - ps->pos, &used,
		    IMAP_LITERAL_SIZE_MAX, &n))
		return parse_fail(ps, "a literal's size is missing or too big");
	ps->pos += used;
	if (ps->pos < ps->len && ps->p[ps->pos] == '+')
		ps->pos++;
	if (ps->len - ps->pos < 3 || memcmp(ps->p + ps->pos, "}\r\n", 3) != 0)
		return parse_fail(ps, "a literal's size must end the line");
	ps->pos += 3;
	if (n > ps->len - ps->pos)
		return parse_fail(ps, "a literal is shorter than announced");
	arg->type = IMAP_ARG_LITERAL;
	arg->text = span_make(ps->p + ps->pos, (size_t)n);
	arg->has_nul = memchr(arg->text.p, '\0', arg->text.len) != NULL;
	ps->pos += (size_t)n;
	return 0;
}

static int parse_args(struct parser *ps, int depth, bool in_list,
	const struct imap_arg **items_r, size_t *count_r);

static int
parse_one(struct parser *ps, int depth, struct imap_arg *arg)
{
	if (++ps->args > IMAP_ARGS_MAX)
		return error_set(ps->err, ERROR_LIMIT,
			"a command may have at most %d arguments",
			IMAP_ARGS_MAX);
	switch (ps->p[ps->pos]) {
	case '"':
		return parse_quoted(ps, arg);
	case '{':
		return parse_literal(ps, arg);
	case '(':
		if (depth + 1 > IMAP_LIST_DEPTH_MAX)
			return error_set(ps->err, ERROR_LIMIT,
				"lists nest at most %d deep",
				IMAP_LIST_DEPTH_MAX);
		ps->pos++;
		arg->type = IMAP_ARG_LIST;
		return parse_args(ps, depth + 1, true, &arg->items,
			&arg->count);
	default:
		return parse_atom(ps, arg);
	}
}

/* Arguments separated by one space, up to ")" in a list or the end. */
static int
parse_args(struct parser *ps, int depth, bool in_list,
	const struct imap_arg **items_r, size_t *count_r)
{
	struct imap_arg *items = NULL;
	size_t count = 0, capacity = 0;
	for (;;) {
		if (ps->pos == ps->len) {
			if (in_list)
				return parse_fail(ps, "a list has no )");
			break;
		}
		if (ps->p[ps->pos] == ')') {
			if (!in_list)
				return parse_fail(ps, "a ) closes no list");
			ps->pos++;
			break;
		}
		if (count > 0) {
			if (ps->p[ps->pos] != ' ')
				return parse_fail(ps,
					"arguments are separated by a space");
			ps->pos++;
			/* Trailing spaces end a command harmlessly. */
			if (!in_list && ps->pos == ps->len)
				break;
		}
		struct imap_arg *arg = arena_array_push(ps->a, (void **)&items,
			&count, &capacity, sizeof(*arg));
		if (arg == NULL)
			return error_set(ps->err, ERROR_LIMIT,
				"the command is too big");
		if (ps->pos == ps->len)
			return parse_fail(ps, "an argument was expected");
		if (parse_one(ps, depth, arg) < 0)
			return -1;
		if (ps->pos < ps->len && ps->p[ps->pos] != ' ' &&
			ps->p[ps->pos] != ')')
			return parse_fail(ps,
				"arguments are separated by a space");
	}
	*items_r = items;
	*count_r = count;
	return 0;
}

/* The tag and command name; *pos_r is left after the name. */
static int
parse_head_at(struct span line, struct span *tag_r, struct span *name_r,
	bool *uid_r, size_t *pos_r, struct error *err)
{
	size_t i = 0;
	*tag_r = span_make(line.p, 0);
	*name_r = span_make(line.p, 0);
	*uid_r = false;
	while (i < line.len && is_tag_char((unsigned char)line.p[i]))
		i++;
	if (i == 0 || i == line.len || line.p[i] != ' ')
		return error_set(err, ERROR_INVALID,
			"a command starts with a tag and a space");
	*tag_r = span_make(line.p, i);
	for (int word = 0; word < 2; word++) {
		size_t start = ++i;
		while (i < line.len && str_is_ascii_alpha(line.p[i]))
			i++;
		if (i == start || (i < line.len && line.p[i] != ' '))
			return error_set(err, ERROR_INVALID,
				"the command name is missing or malformed");
		*name_r = span_make(line.p + start, i - start);
		if (word == 1 || !span_eq_nocase(*name_r, "UID"))
			break;
		if (i == line.len)
			return error_set(err, ERROR_INVALID,
				"UID needs a command after it");
		*uid_r = true;
	}
	*pos_r = i;
	return 0;
}

int
imap_parse_head(struct span line, struct span *tag_r, struct span *name_r,
	bool *uid_r, struct error *err)
{
	size_t pos;
	return parse_head_at(line, tag_r, name_r, uid_r, &pos, err);
}

int
imap_parse_literal_suffix(struct span line, enum imap_literal_kind *kind_r,
	uint64_t *size_r, struct error *err)
{
	*kind_r = IMAP_LITERAL_NONE;
	*size_r = 0;
	if (line.len < 3 || line.p[line.len - 1] != '}')
		return 0;
	size_t end = line.len - 1; /* at the '}' */
	bool nonsync = line.p[end - 1] == '+';
	if (nonsync)
		end--;
	size_t start = end;
	while (start > 0 && str_is_ascii_digit(line.p[start - 1]))
		start--;
	if (start == end || start == 0 || line.p[start - 1] != '{')
		return 0;
	size_t used;
	uint64_t n;
	/* Counted before converting: no digit string can overflow here. */
	if (end - start > 10 ||
		!parse_number(line.p + start, end - start, &used,
			IMAP_LITERAL_SIZE_MAX, &n))
		return error_set(err, ERROR_LIMIT,
			"a literal may be at most %u bytes",
			IMAP_LITERAL_SIZE_MAX);
	*kind_r = nonsync ? IMAP_LITERAL_NONSYNC : IMAP_LITERAL_SYNC;
	*size_r = n;
	return 0;
}

int
imap_parse_command(struct span buf, struct arena *a, struct imap_command *cmd_r,
	struct error *err)
{
	size_t pos;
	memset(cmd_r, 0, sizeof(*cmd_r));
	if (parse_head_at(buf, &cmd_r->tag, &cmd_r->name, &cmd_r->uid, &pos,
		    err) < 0)
		return -1;
	struct parser ps = { .p = buf.p,
		.len = buf.len,
		.pos = pos,
		.a = a,
		.err = err };
	if (pos == buf.len)
		return 0;
	ps.pos++; /* the space after the name */
	return parse_args(&ps, 0, false, &cmd_r->args, &cmd_r->count);
}

bool
imap_arg_is_atom(const struct imap_arg *arg, const char *name)
{
	return arg->type == IMAP_ARG_ATOM && span_eq_nocase(arg->text, name);
}

int
imap_arg_string(const struct imap_arg *arg, struct arena *a, const char **s_r,
	struct error *err)
{
	if (arg->type == IMAP_ARG_LIST)
		return error_set(err, ERROR_INVALID, "a string was expected");
	if (arg->type == IMAP_ARG_LITERAL && arg->has_nul)
		return error_set(err, ERROR_INVALID,
			"a string may not hold a NUL byte");
	if (arg->type == IMAP_ARG_STRING) {
		*s_r = arg->text.p;
		return 0;
	}
	char *s = span_dup(arg->text, a);
	if (s == NULL)
		return error_set(err, ERROR_LIMIT, "the command is too big");
	*s_r = s;
	return 0;
}

/* ---- sequence sets ---- */

static bool
parse_seq_number(const char *p, size_t len, uint64_t *n_r)
{
	if (len == 1 && p[0] == '*') {
		*n_r = IMAP_SEQ_STAR;
		return true;
	}
	size_t used;
	/* nz-number: no zero, no leading zero. */
	if (len == 0 || p[0] == '0' ||
		!parse_number(p, len, &used, UINT32_MAX, n_r))
		return false;
	return used == len;
}

int
imap_parse_seqset(struct span s, struct arena *a, struct imap_seqset *r,
	struct error *err)
{
	size_t items = 1;
	for (size_t i = 0; i < s.len; i++)
		items += s.p[i] == ',';
	struct imap_seq_range *ranges = arena_alloc(a, items * sizeof(*ranges));
	if (ranges == NULL)
		return error_set(err, ERROR_LIMIT, "the set is too big");
	size_t n = 0;
	struct span rest = s, item;
	if (s.len == 0)
		return error_set(err, ERROR_INVALID, "the set is empty");
	while (n < items) {
		if (!span_split(&rest, ',', &item))
			item = span_make("", 0);
		const char *colon = memchr(item.p, ':', item.len);
		size_t first_len = colon != NULL ? (size_t)(colon - item.p) :
						   item.len;
		uint64_t lo, hi;
		if (!parse_seq_number(item.p, first_len, &lo))
			return error_set(err, ERROR_INVALID,
				"'%.*s' is not a number, range or *",
				(int)(item.len > 40 ? 40 : item.len), item.p);
		hi = lo;
		if (colon != NULL &&
			!parse_seq_number(colon + 1, item.len - first_len - 1,
				&hi))
			return error_set(err, ERROR_INVALID,
				"'%.*s' is not a valid range",
				(int)(item.len > 40 ? 40 : item.len), item.p);
		ranges[n++] = (struct imap_seq_range){ lo, hi };
	}
	r->ranges = ranges;
	r->count = n;
	return 0;
}

void
imap_seqset_range(const struct imap_seqset *set, size_t i, uint64_t star,
	uint64_t *lo_r, uint64_t *hi_r)
{
	uint64_t lo = set->ranges[i].lo == IMAP_SEQ_STAR ? star :
							    set->ranges[i].lo;
	uint64_t hi = set->ranges[i].hi == IMAP_SEQ_STAR ? star :
							    set->ranges[i].hi;
	*lo_r = lo < hi ? lo : hi;
	*hi_r = lo < hi ? hi : lo;
}

bool
imap_seqset_contains(const struct imap_seqset *set, uint64_t n, uint64_t star)
{
	for (size_t i = 0; i < set->count; i++) {
		uint64_t lo, hi;
		imap_seqset_range(set, i, star, &lo, &hi);
		if (n >= lo && n <= hi)
			return true;
	}
	return false;
}

/* ---- flags ---- */

static const struct {
	const char *name;
	unsigned bit;
} imap_system_flags[] = {
	{ "\\Seen", IMAP_FLAG_SEEN },
	{ "\\Answered", IMAP_FLAG_ANSWERED },
	{ "\\Flagged", IMAP_FLAG_FLAGGED },
	{ "\\Deleted", IMAP_FLAG_DELETED },
	{ "\\Draft", IMAP_FLAG_DRAFT },
};

unsigned
imap_flag_from_name(struct span name)
{
	for (size_t i = 0;
		i < sizeof(imap_system_flags) / sizeof(*imap_system_flags);
		i++) {
		if (span_eq_nocase(name, imap_system_flags[i].name))
			return imap_system_flags[i].bit;
	}
	return 0;
}

/* flag-keyword = atom: no list-wildcards, quoted- or resp-specials. */
static bool
is_keyword(struct span s)
{
	if (s.len == 0 || s.len > IMAP_KEYWORD_LEN_MAX)
		return false;
	for (size_t i = 0; i < s.len; i++) {
		unsigned char c = (unsigned char)s.p[i];
		if (!is_atom_char(c) || c == '%' || c == '*' || c == ']' ||
			c == '[' || c == '\\')
			return false;
	}
	return true;
}

static int
add_flag(const struct imap_arg *arg, struct arena *a, struct imap_flags *r,
	size_t *capacity, struct error *err)
{
	if (arg->type != IMAP_ARG_ATOM)
		return error_set(err, ERROR_INVALID, "a flag is an atom");
	if (arg->text.len > 0 && arg->text.p[0] == '\\') {
		unsigned bit = imap_flag_from_name(arg->text);
		if (bit == 0)
			return error_set(err, ERROR_INVALID,
				"'%.*s' is not a flag that can be set",
				(int)(arg->text.len > 40 ? 40 : arg->text.len),
				arg->text.p);
		r->system |= bit;
		return 0;
	}
	if (!is_keyword(arg->text))
		return error_set(err, ERROR_INVALID,
			"'%.*s' is not a valid keyword",
			(int)(arg->text.len > 40 ? 40 : arg->text.len),
			arg->text.p);
	for (size_t i = 0; i < r->keyword_count; i++) {
		if (span_eq_nocase(arg->text, r->keywords[i]))
			return 0;
	}
	if (r->keyword_count >= IMAP_KEYWORDS_MAX)
		return error_set(err, ERROR_LIMIT,
			"a message may have at most %d keywords",
			IMAP_KEYWORDS_MAX);
	const char **slot = arena_array_push(a, (void **)&r->keywords,
		&r->keyword_count, capacity, sizeof(*slot));
	char *copy = span_dup(arg->text, a);
	if (slot == NULL || copy == NULL)
		return error_set(err, ERROR_LIMIT, "the command is too big");
	*slot = copy;
	return 0;
}

int
imap_parse_flags(const struct imap_arg *args, size_t count, bool allow_bare,
	struct arena *a, struct imap_flags *r, struct error *err)
{
	memset(r, 0, sizeof(*r));
	size_t capacity = 0;
	if (count == 1 && args[0].type == IMAP_ARG_LIST) {
		count = args[0].count;
		args = args[0].items;
	} else if (!allow_bare) {
		return error_set(err, ERROR_INVALID,
			"flags are given as a list: (\\Seen ...)");
	} else if (count == 0) {
		return error_set(err, ERROR_INVALID, "flags are missing");
	}
	for (size_t i = 0; i < count; i++) {
		if (add_flag(&args[i], a, r, &capacity, err) < 0)
			return -1;
	}
	return 0;
}

/* ---- STORE ---- */

int
imap_parse_store(const struct imap_arg *args, size_t count, struct arena *a,
	struct imap_store *r, struct error *err)
{
	memset(r, 0, sizeof(*r));
	if (count < 3 || args[0].type != IMAP_ARG_ATOM ||
		args[1].type != IMAP_ARG_ATOM)
		return error_set(err, ERROR_INVALID,
			"STORE takes a set, [+-]FLAGS and flags");
	if (imap_parse_seqset(args[0].text, a, &r->set, err) < 0)
		return -1;
	struct span item = args[1].text;
	r->mode = IMAP_STORE_REPLACE;
	if (item.len > 0 && (item.p[0] == '+' || item.p[0] == '-')) {
		r->mode = item.p[0] == '+' ? IMAP_STORE_ADD : IMAP_STORE_REMOVE;
		item = span_make(item.p + 1, item.len - 1);
	}
	if (span_eq_nocase(item, "FLAGS.SILENT"))
		r->silent = true;
	else if (!span_eq_nocase(item, "FLAGS"))
		return error_set(err, ERROR_INVALID,
			"STORE changes FLAGS, +FLAGS or -FLAGS (.SILENT)");
	return imap_parse_flags(args + 2, count - 2, true, a, &r->flags, err);
}

/* ---- FETCH ---- */

#define FETCH_SECTIONS_MAX 64
#define HEADER_FIELDS_MAX 100
#define SECTION_PARTS_MAX 64

/* A header field name: printable, no colon, nothing that needs quoting. */
static bool
is_field_char(unsigned char c)
{
	return is_atom_char(c) && c != ':' && c != '%' && c != '*' &&
		c != '[' && c != ']' && c != '\\';
}

/* "(FROM "To" X-Y)" inside a section: names into *fields_r. */
static int
parse_header_list(struct span s, struct arena *a, const char ***fields_r,
	size_t *count_r, struct error *err)
{
	if (s.len < 2 || s.p[0] != '(' || s.p[s.len - 1] != ')')
		return error_set(err, ERROR_INVALID,
			"HEADER.FIELDS takes a list of field names");
	const char **fields = NULL;
	size_t count = 0, capacity = 0, i = 1;
	while (i < s.len - 1) {
		if (count > 0) {
			if (s.p[i] != ' ')
				return error_set(err, ERROR_INVALID,
					"field names are separated by a space");
			i++;
		}
		bool quoted = i < s.len - 1 && s.p[i] == '"';
		size_t start = i += quoted;
		while (i < s.len - 1 && is_field_char((unsigned char)s.p[i]))
			i++;
		size_t end = i;
		if (quoted) {
			if (i >= s.len - 1 || s.p[i] != '"')
				return error_set(err, ERROR_INVALID,
					"a field name holds a byte it may not");
			i++;
		}
		if (end == start || (i < s.len - 1 && s.p[i] != ' '))
			return error_set(err, ERROR_INVALID,
				"a field name is missing or malformed");
		if (count >= HEADER_FIELDS_MAX)
			return error_set(err, ERROR_LIMIT,
				"at most %d field names", HEADER_FIELDS_MAX);
		const char **slot = arena_array_push(a, (void **)&fields,
			&count, &capacity, sizeof(*slot));
		char *name = span_dup(span_make(s.p + start, end - start), a);
		if (slot == NULL || name == NULL)
			return error_set(err, ERROR_LIMIT,
				"the command is too big");
		*slot = name;
	}
	if (count == 0)
		return error_set(err, ERROR_INVALID,
			"HEADER.FIELDS needs at least one field name");
	*fields_r = fields;
	*count_r = count;
	return 0;
}

/* Appends a field list to a label: " (A B)". */
static int
label_fields(struct str *label, const struct imap_fetch_section *sec)
{
	if (str_append_cstr(label, " (") < 0)
		return -1;
	for (size_t i = 0; i < sec->field_count; i++) {
		if ((i > 0 && str_append_char(label, ' ') < 0) ||
			str_append_cstr(label, sec->fields[i]) < 0)
			return -1;
	}
	return str_append_char(label, ')');
}

/*
 * The inside of BODY[...]: section-spec of RFC 3501 §9. Fills mime, text,
 * fields; the label's section text goes into *norm.
 */
static int
parse_section(struct span s, struct arena *a, struct imap_fetch_section *sec,
	struct str *norm, struct error *err)
{
	size_t i = 0, parts = 0;
	struct str mime;
	str_init(&mime, a, 4096);
	/* section-part: nz-number *("." nz-number) */
	while (i < s.len && str_is_ascii_digit(s.p[i])) {
		size_t used;
		uint64_t n;
		if (s.p[i] == '0' ||
			!parse_number(s.p + i, s.len - i, &used, UINT32_MAX,
				&n) ||
			++parts > SECTION_PARTS_MAX)
			return error_set(err, ERROR_INVALID,
				"a section part number is not valid");
		if (str_append(&mime, s.p + i, used) < 0)
			return error_set(err, ERROR_LIMIT,
				"the command is too big");
		i += used;
		if (i == s.len)
			break;
		if (s.p[i] != '.')
			return error_set(err, ERROR_INVALID,
				"part numbers are separated by dots");
		i++;
		if (i < s.len && !str_is_ascii_digit(s.p[i]))
			break;
		if (str_append_char(&mime, '.') < 0)
			return error_set(err, ERROR_LIMIT,
				"the command is too big");
	}
	if (i > 0 && i == s.len && s.p[i - 1] == '.')
		return error_set(err, ERROR_INVALID,
			"a section ends with a dot");
	struct span text = span_make(s.p + i, s.len - i);
	struct span rest = span_make("", 0);
	const char *sp = memchr(text.p, ' ', text.len);
	if (sp != NULL) {
		rest = span_make(sp + 1, text.len - (size_t)(sp + 1 - text.p));
		text.len = (size_t)(sp - text.p);
	}
	sec->text = IMAP_SECTION_ALL;
	const char *name = "";
	if (text.len == 0 && parts == 0 && i == 0) {
		sec->text = IMAP_SECTION_ALL;
	} else if (text.len == 0 && parts > 0) {
		sec->text = IMAP_SECTION_ALL;
	} else if (span_eq_nocase(text, "HEADER")) {
		sec->text = IMAP_SECTION_HEADER;
		name = "HEADER";
	} else if (span_eq_nocase(text, "HEADER.FIELDS")) {
		sec->text = IMAP_SECTION_HEADER_FIELDS;
		name = "HEADER.FIELDS";
	} else if (span_eq_nocase(text, "HEADER.FIELDS.NOT")) {
		sec->text = IMAP_SECTION_HEADER_FIELDS_NOT;
		name = "HEADER.FIELDS.NOT";
	} else if (span_eq_nocase(text, "TEXT")) {
		sec->text = IMAP_SECTION_TEXT;
		name = "TEXT";
	} else if (span_eq_nocase(text, "MIME") && parts > 0) {
		sec->text = IMAP_SECTION_MIME;
		name = "MIME";
	} else {
		return error_set(err, ERROR_INVALID, "'%.*s' is not a section",
			(int)(s.len > 60 ? 60 : s.len), s.p);
	}
	bool fields = sec->text == IMAP_SECTION_HEADER_FIELDS ||
		sec->text == IMAP_SECTION_HEADER_FIELDS_NOT;
	if (fields != (sp != NULL))
		return error_set(err, ERROR_INVALID,
			fields ? "HEADER.FIELDS takes a list of field names" :
				 "a section has text after it");
	if (fields) {
		const char **names;
		if (parse_header_list(rest, a, &names, &sec->field_count, err) <
			0)
			return -1;
		sec->fields = names;
	}
	/* What mail_mime_section is asked: fields are filtered from HEADER. */
	const char *mime_text = fields ? "HEADER" : name;
	if (parts > 0 && mime_text[0] != '\0' &&
		str_append_char(&mime, '.') < 0)
		return error_set(err, ERROR_LIMIT, "the command is too big");
	if (str_append_cstr(&mime, mime_text) < 0 ||
		str_append(norm, mime.p != NULL ? mime.p : "", mime.len) < 0)
		return error_set(err, ERROR_LIMIT, "the command is too big");
	if (fields) {
		/* The label keeps .FIELDS[.NOT]: the HEADER part is in mime. */
		if (str_append_cstr(norm, name + strlen("HEADER")) < 0 ||
			label_fields(norm, sec) < 0)
			return error_set(err, ERROR_LIMIT,
				"the command is too big");
	}
	sec->mime = str_cstr(&mime);
	return 0;
}

/* "<0.100>" after a section. */
static int
parse_partial(struct span s, struct imap_fetch_section *sec, struct error *err)
{
	size_t used, used2;
	uint64_t offset, length;
	if (s.len < 5 || s.p[0] != '<' || s.p[s.len - 1] != '>' ||
		!parse_number(s.p + 1, s.len - 2, &used, UINT32_MAX, &offset) ||
		1 + used >= s.len - 1 || s.p[1 + used] != '.' ||
		s.p[2 + used] == '0' ||
		!parse_number(s.p + 2 + used, s.len - 3 - used, &used2,
			UINT32_MAX, &length) ||
		2 + used + used2 != s.len - 1)
		return error_set(err, ERROR_INVALID,
			"a partial fetch is <offset.length>");
	sec->partial = true;
	sec->offset = (uint32_t)offset;
	sec->length = (uint32_t)length;
	return 0;
}

/* BODY[...]<...> or BODY.PEEK[...]<...> */
static int
parse_body_section(struct span item, struct arena *a,
	struct imap_fetch_section *sec, struct error *err)
{
	size_t prefix = span_starts_with_nocase(item, "BODY.PEEK[") ? 10 : 5;
	sec->peek = prefix == 10;
	const char *close = memchr(item.p + prefix, ']', item.len - prefix);
	if (close == NULL)
		return error_set(err, ERROR_INVALID, "a section has no ]");
	struct span inside = span_make(item.p + prefix,
		(size_t)(close - item.p) - prefix);
	struct span after = span_make(close + 1,
		item.len - (size_t)(close + 1 - item.p));
	struct str label;
	str_init(&label, a, 8192);
	if (str_append_cstr(&label, "BODY[") < 0)
		return error_set(err, ERROR_LIMIT, "the command is too big");
	if (parse_section(inside, a, sec, &label, err) < 0)
		return -1;
	if (after.len > 0 && parse_partial(after, sec, err) < 0)
		return -1;
	if (str_append_char(&label, ']') < 0 ||
		(sec->partial && str_appendf(&label, "<%u>", sec->offset) < 0))
		return error_set(err, ERROR_LIMIT, "the command is too big");
	sec->label = str_cstr(&label);
	return 0;
}

static const struct {
	const char *name;
	unsigned items;
} fetch_simple[] = {
	{ "FLAGS", IMAP_FETCH_FLAGS },
	{ "INTERNALDATE", IMAP_FETCH_INTERNALDATE },
	{ "RFC822.SIZE", IMAP_FETCH_RFC822_SIZE },
	{ "ENVELOPE", IMAP_FETCH_ENVELOPE },
	{ "BODY", IMAP_FETCH_BODY },
	{ "BODYSTRUCTURE", IMAP_FETCH_BODYSTRUCTURE },
	{ "UID", IMAP_FETCH_UID },
};

static const struct {
	const char *name;
	const char *mime;
	enum imap_section_text text;
	bool peek;
} fetch_rfc822[] = {
	{ "RFC822", "", IMAP_SECTION_ALL, false },
	{ "RFC822.HEADER", "HEADER", IMAP_SECTION_HEADER, true },
	{ "RFC822.TEXT", "TEXT", IMAP_SECTION_TEXT, false },
};

static int
parse_fetch_item(const struct imap_arg *arg, struct arena *a,
	struct imap_fetch *r, struct imap_fetch_section **sections,
	size_t *capacity, struct error *err)
{
	if (arg->type != IMAP_ARG_ATOM)
		return error_set(err, ERROR_INVALID, "a fetch item is an atom");
	struct span item = arg->text;
	for (size_t i = 0; i < sizeof(fetch_simple) / sizeof(*fetch_simple);
		i++) {
		if (span_eq_nocase(item, fetch_simple[i].name)) {
			r->items |= fetch_simple[i].items;
			return 0;
		}
	}
	struct imap_fetch_section sec = { 0 };
	bool found = false;
	for (size_t i = 0; i < sizeof(fetch_rfc822) / sizeof(*fetch_rfc822);
		i++) {
		if (span_eq_nocase(item, fetch_rfc822[i].name)) {
			sec.label = fetch_rfc822[i].name;
			sec.mime = fetch_rfc822[i].mime;
			sec.text = fetch_rfc822[i].text;
			sec.peek = fetch_rfc822[i].peek;
			found = true;
		}
	}
	if (!found) {
		if (!span_starts_with_nocase(item, "BODY[") &&
			!span_starts_with_nocase(item, "BODY.PEEK["))
			return error_set(err, ERROR_INVALID,
				"'%.*s' is not a fetch item",
				(int)(item.len > 40 ? 40 : item.len), item.p);
		if (parse_body_section(item, a, &sec, err) < 0)
			return -1;
	}
	if (r->section_count >= FETCH_SECTIONS_MAX)
		return error_set(err, ERROR_LIMIT,
			"at most %d sections in one FETCH", FETCH_SECTIONS_MAX);
	struct imap_fetch_section *slot = arena_array_push(a, (void **)sections,
		&r->section_count, capacity, sizeof(*slot));
	if (slot == NULL)
		return error_set(err, ERROR_LIMIT, "the command is too big");
	*slot = sec;
	return 0;
}

int
imap_parse_fetch(const struct imap_arg *args, size_t count, struct arena *a,
	struct imap_fetch *r, struct error *err)
{
	memset(r, 0, sizeof(*r));
	if (count != 1)
		return error_set(err, ERROR_INVALID,
			"FETCH takes a set and one item or a list of items");
	const struct imap_arg *arg = &args[0];
	if (imap_arg_is_atom(arg, "ALL")) {
		r->items = IMAP_FETCH_FLAGS | IMAP_FETCH_INTERNALDATE |
			IMAP_FETCH_RFC822_SIZE | IMAP_FETCH_ENVELOPE;
		return 0;
	}
	if (imap_arg_is_atom(arg, "FAST")) {
		r->items = IMAP_FETCH_FLAGS | IMAP_FETCH_INTERNALDATE |
			IMAP_FETCH_RFC822_SIZE;
		return 0;
	}
	if (imap_arg_is_atom(arg, "FULL")) {
		r->items = IMAP_FETCH_FLAGS | IMAP_FETCH_INTERNALDATE |
			IMAP_FETCH_RFC822_SIZE | IMAP_FETCH_ENVELOPE |
			IMAP_FETCH_BODY;
		return 0;
	}
	struct imap_fetch_section *sections = NULL;
	size_t capacity = 0;
	const struct imap_arg *items = arg;
	size_t n = 1;
	if (arg->type == IMAP_ARG_LIST) {
		items = arg->items;
		n = arg->count;
		if (n == 0)
			return error_set(err, ERROR_INVALID,
				"the list of fetch items is empty");
	}
	for (size_t i = 0; i < n; i++) {
		if (parse_fetch_item(&items[i], a, r, &sections, &capacity,
			    err) < 0)
			return -1;
	}
	r->sections = sections;
	return 0;
}

bool
imap_fetch_sets_seen(const struct imap_fetch *f)
{
	for (size_t i = 0; i < f->section_count; i++) {
		if (!f->sections[i].peek)
			return true;
	}
	return false;
}

/* ---- dates ---- */

static const char *const imap_months[] = { "Jan", "Feb", "Mar", "Apr", "May",
	"Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

/* Days since 1970-01-01 of a civil date (H. Hinnant's algorithm). */
static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static bool
is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* "d-Mon-yyyy" at s; *used_r is what it took. */
static bool
parse_date_text(struct span s, size_t *used_r, int64_t *day_r)
{
	static const unsigned mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30,
		31, 30, 31 };
	size_t i = 0;
	unsigned day = 0;
	if (i < s.len && s.p[i] == ' ')
		i++; /* date-day-fixed: SP DIGIT */
	size_t start = i;
	while (i < s.len && i - start < 2 && str_is_ascii_digit(s.p[i]))
		day = day * 10 + (unsigned)(s.p[i++] - '0');
	if (i == start || i + 9 > s.len || s.p[i] != '-' || s.p[i + 4] != '-')
		return false;
	unsigned month = 0;
	for (unsigned m = 0; m < 12; m++) {
		if (span_eq_nocase(span_make(s.p + i + 1, 3), imap_months[m]))
			month = m + 1;
	}
	i += 5;
	int64_t year = 0;
	for (size_t k = 0; k < 4; k++) {
		if (!str_is_ascii_digit(s.p[i + k]))
			return false;
		year = year * 10 + (s.p[i + k] - '0');
	}
	i += 4;
	if (month == 0 || day == 0 || year < 1)
		return false;
	unsigned max = mdays[month - 1] + (month == 2 && is_leap(year));
	if (day > max)
		return false;
	*used_r = i;
	*day_r = days_from_civil(year, month, day);
	return true;
}

bool
imap_parse_date(struct span s, int64_t *t_r)
{
	size_t used;
	int64_t day;
	if (s.len > 0 && s.p[0] == ' ')
		return false;
	if (!parse_date_text(s, &used, &day) || used != s.len)
		return false;
	*t_r = day * 86400;
	return true;
}

static bool
two_digits(const char *p, unsigned *v)
{
	if (!str_is_ascii_digit(p[0]) || !str_is_ascii_digit(p[1]))
		return false;
	*v = (unsigned)(p[0] - '0') * 10 + (unsigned)(p[1] - '0');
	return true;
}

bool
imap_parse_datetime(struct span s, int64_t *t_r)
{
	size_t used;
	int64_t day;
	if (!parse_date_text(s, &used, &day))
		return false;
	/* SP hh:mm:ss SP +zzzz */
	if (s.len - used != 15 || s.p[used] != ' ' || s.p[used + 3] != ':' ||
		s.p[used + 6] != ':' || s.p[used + 9] != ' ' ||
		(s.p[used + 10] != '+' && s.p[used + 10] != '-'))
		return false;
	const char *p = s.p + used;
	unsigned hh, mm, ss, zh, zm;
	if (!two_digits(p + 1, &hh) || !two_digits(p + 4, &mm) ||
		!two_digits(p + 7, &ss) || !two_digits(p + 11, &zh) ||
		!two_digits(p + 13, &zm) || hh > 23 || mm > 59 || ss > 60 ||
		zm > 59)
		return false;
	int64_t zone = ((int64_t)zh * 60 + zm) * 60;
	if (p[10] == '-')
		zone = -zone;
	*t_r = day * 86400 + (int64_t)hh * 3600 + mm * 60 + ss - zone;
	return true;
}

void
imap_format_datetime(int64_t t, char *buf, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;
	if (gmtime_r(&tt, &tm) == NULL)
		memset(&tm, 0, sizeof(tm));
	snprintf(buf, size, "%02d-%s-%04d %02d:%02d:%02d +0000", tm.tm_mday,
		imap_months[tm.tm_mon < 0 || tm.tm_mon > 11 ? 0 : tm.tm_mon],
		tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* ---- SEARCH ---- */

struct search_parser {
	const struct imap_arg *args;
	size_t count, pos;
	struct arena *a;
	struct error *err;
};

static const struct {
	const char *name;
	enum imap_search_type type;
	unsigned flag;
} search_flag_keys[] = {
	{ "ANSWERED", IMAP_SEARCH_FLAG, IMAP_FLAG_ANSWERED },
	{ "DELETED", IMAP_SEARCH_FLAG, IMAP_FLAG_DELETED },
	{ "DRAFT", IMAP_SEARCH_FLAG, IMAP_FLAG_DRAFT },
	{ "FLAGGED", IMAP_SEARCH_FLAG, IMAP_FLAG_FLAGGED },
	{ "SEEN", IMAP_SEARCH_FLAG, IMAP_FLAG_SEEN },
	{ "UNANSWERED", IMAP_SEARCH_NOFLAG, IMAP_FLAG_ANSWERED },
	{ "UNDELETED", IMAP_SEARCH_NOFLAG, IMAP_FLAG_DELETED },
	{ "UNDRAFT", IMAP_SEARCH_NOFLAG, IMAP_FLAG_DRAFT },
	{ "UNFLAGGED", IMAP_SEARCH_NOFLAG, IMAP_FLAG_FLAGGED },
	{ "UNSEEN", IMAP_SEARCH_NOFLAG, IMAP_FLAG_SEEN },
	{ "ALL", IMAP_SEARCH_ALL, 0 },
	{ "NEW", IMAP_SEARCH_NEW, 0 },
	{ "OLD", IMAP_SEARCH_OLD, 0 },
	{ "RECENT", IMAP_SEARCH_RECENT, 0 },
};

static const struct {
	const char *name;
	enum imap_search_type type;
} search_string_keys[] = {
	{ "BCC", IMAP_SEARCH_BCC },
	{ "CC", IMAP_SEARCH_CC },
	{ "FROM", IMAP_SEARCH_FROM },
	{ "SUBJECT", IMAP_SEARCH_SUBJECT },
	{ "TO", IMAP_SEARCH_TO },
	{ "BODY", IMAP_SEARCH_BODY },
	{ "TEXT", IMAP_SEARCH_TEXT },
}, search_date_keys[] = {
	{ "BEFORE", IMAP_SEARCH_BEFORE },
	{ "ON", IMAP_SEARCH_ON },
	{ "SINCE", IMAP_SEARCH_SINCE },
	{ "SENTBEFORE", IMAP_SEARCH_SENTBEFORE },
	{ "SENTON", IMAP_SEARCH_SENTON },
	{ "SENTSINCE", IMAP_SEARCH_SENTSINCE },
};

static const struct imap_arg *
search_next(struct search_parser *sp, const char *what)
{
	if (sp->pos >= sp->count) {
		error_set(sp->err, ERROR_INVALID, "SEARCH %s needs an argument",
			what);
		return NULL;
	}
	return &sp->args[sp->pos++];
}

static int
search_string(struct search_parser *sp, const char *what, const char **s_r)
{
	const struct imap_arg *arg = search_next(sp, what);
	if (arg == NULL)
		return -1;
	return imap_arg_string(arg, sp->a, s_r, sp->err);
}

static int parse_search_key(struct search_parser *sp, int depth,
	struct imap_search_key *k);

/* Keys up to the end of sp's arguments, as one AND (or the one key). */
static int
parse_search_keys(struct search_parser *sp, int depth,
	struct imap_search_key *k)
{
	struct imap_search_key *children = NULL;
	size_t count = 0, capacity = 0;
	while (sp->pos < sp->count) {
		struct imap_search_key *c = arena_array_push(sp->a,
			(void **)&children, &count, &capacity, sizeof(*c));
		if (c == NULL)
			return error_set(sp->err, ERROR_LIMIT,
				"the search is too big");
		if (parse_search_key(sp, depth + 1, c) < 0)
			return -1;
	}
	if (count == 0)
		return error_set(sp->err, ERROR_INVALID,
			"a search needs at least one key");
	if (count == 1) {
		*k = children[0];
		return 0;
	}
	*k = (struct imap_search_key){ .type = IMAP_SEARCH_AND,
		.children = children,
		.count = count };
	return 0;
}

static int
search_children(struct search_parser *sp, int depth, struct imap_search_key *k,
	size_t n)
{
	k->children = arena_alloc(sp->a, n * sizeof(*k->children));
	if (k->children == NULL)
		return error_set(sp->err, ERROR_LIMIT, "the search is too big");
	k->count = n;
	for (size_t i = 0; i < n; i++) {
		if (parse_search_key(sp, depth + 1, &k->children[i]) < 0)
			return -1;
	}
	return 0;
}

static int
search_number(struct search_parser *sp, const char *what, int64_t *n_r)
{
	const struct imap_arg *arg = search_next(sp, what);
	size_t used;
	uint64_t n;
	if (arg == NULL)
		return -1;
	if (arg->type != IMAP_ARG_ATOM ||
		!parse_number(arg->text.p, arg->text.len, &used, UINT32_MAX,
			&n) ||
		used != arg->text.len)
		return error_set(sp->err, ERROR_INVALID,
			"SEARCH %s takes a number", what);
	*n_r = (int64_t)n;
	return 0;
}

static int
parse_search_key(struct search_parser *sp, int depth, struct imap_search_key *k)
{
	memset(k, 0, sizeof(*k));
	if (depth > IMAP_SEARCH_DEPTH_MAX)
		return error_set(sp->err, ERROR_LIMIT,
			"search keys nest at most %d deep",
			IMAP_SEARCH_DEPTH_MAX);
	const struct imap_arg *arg = search_next(sp, "NOT, OR or (");
	if (arg == NULL)
		return -1;
	if (arg->type == IMAP_ARG_LIST) {
		struct search_parser inner = { arg->items, arg->count, 0, sp->a,
			sp->err };
		return parse_search_keys(&inner, depth, k);
	}
	if (arg->type != IMAP_ARG_ATOM)
		return error_set(sp->err, ERROR_INVALID,
			"a search key was expected");
	struct span name = arg->text;
	for (size_t i = 0;
		i < sizeof(search_flag_keys) / sizeof(*search_flag_keys); i++) {
		if (span_eq_nocase(name, search_flag_keys[i].name)) {
			k->type = search_flag_keys[i].type;
			k->flag = search_flag_keys[i].flag;
			return 0;
		}
	}
	for (size_t i = 0;
		i < sizeof(search_string_keys) / sizeof(*search_string_keys);
		i++) {
		if (span_eq_nocase(name, search_string_keys[i].name)) {
			k->type = search_string_keys[i].type;
			return search_string(sp, search_string_keys[i].name,
				&k->value);
		}
	}
	for (size_t i = 0;
		i < sizeof(search_date_keys) / sizeof(*search_date_keys); i++) {
		if (!span_eq_nocase(name, search_date_keys[i].name))
			continue;
		k->type = search_date_keys[i].type;
		const struct imap_arg *d = search_next(sp, "date");
		if (d == NULL)
			return -1;
		if (d->type == IMAP_ARG_LIST ||
			!imap_parse_date(d->text, &k->number))
			return error_set(sp->err, ERROR_INVALID,
				"SEARCH %s takes a date such as 1-Feb-2026",
				search_date_keys[i].name);
		return 0;
	}
	if (span_eq_nocase(name, "KEYWORD") ||
		span_eq_nocase(name, "UNKEYWORD")) {
		k->type = name.len == 7 ? IMAP_SEARCH_KEYWORD :
					  IMAP_SEARCH_UNKEYWORD;
		const struct imap_arg *kw = search_next(sp, "KEYWORD");
		if (kw == NULL)
			return -1;
		if (kw->type != IMAP_ARG_ATOM || !is_keyword(kw->text))
			return error_set(sp->err, ERROR_INVALID,
				"KEYWORD takes a keyword");
		k->value = span_dup(kw->text, sp->a);
		return k->value != NULL ? 0 :
					  error_set(sp->err, ERROR_LIMIT,
						  "the search is too big");
	}
	if (span_eq_nocase(name, "HEADER")) {
		k->type = IMAP_SEARCH_HEADER;
		return search_string(sp, "HEADER", &k->field) < 0 ?
			-1 :
			search_string(sp, "HEADER", &k->value);
	}
	if (span_eq_nocase(name, "LARGER") || span_eq_nocase(name, "SMALLER")) {
		k->type = name.len == 6 ? IMAP_SEARCH_LARGER :
					  IMAP_SEARCH_SMALLER;
		return search_number(sp, "LARGER/SMALLER", &k->number);
	}
	if (span_eq_nocase(name, "NOT")) {
		k->type = IMAP_SEARCH_NOT;
		return search_children(sp, depth, k, 1);
	}
	if (span_eq_nocase(name, "OR")) {
		k->type = IMAP_SEARCH_OR;
		return search_children(sp, depth, k, 2);
	}
	if (span_eq_nocase(name, "UID")) {
		k->type = IMAP_SEARCH_UID;
		const struct imap_arg *set = search_next(sp, "UID");
		if (set == NULL)
			return -1;
		if (set->type != IMAP_ARG_ATOM)
			return error_set(sp->err, ERROR_INVALID,
				"UID takes a set");
		return imap_parse_seqset(set->text, sp->a, &k->set, sp->err);
	}
	k->type = IMAP_SEARCH_SEQSET;
	struct error inner;
	if (imap_parse_seqset(name, sp->a, &k->set, &inner) < 0)
		return error_set(sp->err,
			inner.code == ERROR_LIMIT ? ERROR_LIMIT : ERROR_INVALID,
			"'%.*s' is not a search key",
			(int)(name.len > 40 ? 40 : name.len), name.p);
	return 0;
}

int
imap_parse_search(const struct imap_arg *args, size_t count, struct arena *a,
	struct imap_search_key *root_r, struct error *err)
{
	struct search_parser sp = { args, count, 0, a, err };
	if (count > 0 && imap_arg_is_atom(&args[0], "CHARSET")) {
		const char *charset;
		sp.pos = 1;
		if (search_string(&sp, "CHARSET", &charset) < 0)
			return -1;
		if (strcasecmp(charset, "US-ASCII") != 0 &&
			strcasecmp(charset, "UTF-8") != 0)
			return error_set(err, ERROR_NOT_FOUND,
				"the charsets searched are US-ASCII and UTF-8");
	}
	return parse_search_keys(&sp, 0, root_r);
}

bool
imap_search_needs_body(const struct imap_search_key *key)
{
	if (key->type == IMAP_SEARCH_HEADER || key->type == IMAP_SEARCH_BODY ||
		key->type == IMAP_SEARCH_TEXT)
		return true;
	for (size_t i = 0; i < key->count; i++) {
		if (imap_search_needs_body(&key->children[i]))
			return true;
	}
	return false;
}

/* ---- APPEND ---- */

int
imap_parse_append(const struct imap_arg *args, size_t count, struct arena *a,
	struct imap_append *r, struct error *err)
{
	memset(r, 0, sizeof(*r));
	if (count < 2 || count > 4 || args[count - 1].type != IMAP_ARG_LITERAL)
		return error_set(err, ERROR_INVALID,
			"APPEND takes a mailbox, optional flags and date, and "
			"the message as a literal");
	if (imap_arg_string(&args[0], a, &r->mailbox, err) < 0)
		return -1;
	size_t i = 1;
	if (i < count - 1 && args[i].type == IMAP_ARG_LIST) {
		if (imap_parse_flags(&args[i], 1, false, a, &r->flags, err) < 0)
			return -1;
		i++;
	}
	if (i < count - 1) {
		if (args[i].type != IMAP_ARG_STRING ||
			!imap_parse_datetime(args[i].text, &r->date))
			return error_set(err, ERROR_INVALID,
				"the date is \"dd-Mon-yyyy hh:mm:ss +zzzz\"");
		r->has_date = true;
		i++;
	}
	if (i != count - 1)
		return error_set(err, ERROR_INVALID,
			"APPEND takes a mailbox, optional flags and date, and "
			"the message as a literal");
	r->message = args[i].text;
	r->message_has_nul = args[i].has_nul;
	return 0;
}
