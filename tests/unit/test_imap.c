/*
 * The IMAP command parser as tables (RFC 3501 §9, RFC 7888): the argument
 * tree, literal announcements, sequence sets, FETCH items, SEARCH keys,
 * flags, dates, and the hostile inputs of SECURITY.md items 31 and 32.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/str.h"
#include "imap/imap_parse.h"

/* The tree as text: atoms bare, strings "q", literals {n}q, lists (...). */
static void
render(const struct imap_arg *args, size_t count, struct str *out)
{
	for (size_t i = 0; i < count; i++) {
		const struct imap_arg *arg = &args[i];
		if (i > 0)
			str_append_char(out, ' ');
		switch (arg->type) {
		case IMAP_ARG_ATOM:
			str_append(out, arg->text.p, arg->text.len);
			break;
		case IMAP_ARG_STRING:
			str_appendf(out, "\"%.*s\"", (int)arg->text.len,
				arg->text.p);
			break;
		case IMAP_ARG_LITERAL:
			str_appendf(out, "{%zu}%.*s", arg->text.len,
				(int)arg->text.len, arg->text.p);
			break;
		case IMAP_ARG_LIST:
			str_append_char(out, '(');
			render(arg->items, arg->count, out);
			str_append_char(out, ')');
			break;
		}
	}
}

struct command_case {
	const char *in;
	size_t len; /* 0: strlen(in) */
	int rc;
	const char *tag;
	const char *name;
	bool uid;
	const char *tree; /* rendered arguments */
};

static const struct command_case command_cases[] = {
	{ "a1 NOOP", 0, 0, "a1", "NOOP", false, "" },
	{ "a1 noop", 0, 0, "a1", "noop", false, "" },
	{ "A001 LOGIN jo \"pass word\"", 0, 0, "A001", "LOGIN", false,
		"jo \"pass word\"" },
	{ "a UID FETCH 1:* (FLAGS UID)", 0, 0, "a", "FETCH", true,
		"1:* (FLAGS UID)" },
	{ "a uid search 1", 0, 0, "a", "search", true, "1" },
	{ "a FETCH 1 (BODY.PEEK[HEADER.FIELDS (SUBJECT FROM)]<0.100>)", 0, 0,
		"a", "FETCH", false,
		"1 (BODY.PEEK[HEADER.FIELDS (SUBJECT FROM)]<0.100>)" },
	{ "a LOGIN {2}\r\njo {3+}\r\npwd", 0, 0, "a", "LOGIN", false,
		"{2}jo {3}pwd" },
	{ "a X {0}\r\n", 0, 0, "a", "X", false, "{0}" },
	{ "a X \"a\\\"b\\\\c\"", 0, 0, "a", "X", false, "\"a\"b\\c\"" },
	{ "a X ((a) () (b (c)))", 0, 0, "a", "X", false, "((a) () (b (c)))" },
	{ "a X NIL \"\"", 0, 0, "a", "X", false, "NIL \"\"" },
	{ "a X y ", 0, 0, "a", "X", false, "y" },
	{ "a LIST \"\" %", 0, 0, "a", "LIST", false, "\"\" %" },
	{ "a STORE 1 +FLAGS (\\Seen $Work)", 0, 0, "a", "STORE", false,
		"1 +FLAGS (\\Seen $Work)" },
	/*
	 * "[" is an ATOM-CHAR (RFC 3501 §9): only after a FETCH item that
	 * takes a section does it open one, spaces and all.
	 */
	{ "a SELECT foo[bar", 0, 0, "a", "SELECT", false, "foo[bar" },
	{ "a CREATE [x] y", 0, 0, "a", "CREATE", false, "[x] y" },
	{ "a LIST \"\" a[b (c)", 0, 0, "a", "LIST", false, "\"\" a[b (c)" },
	{ "a X [", 0, 0, "a", "X", false, "[" },
	{ "a X BODY[a (b)]", 0, 0, "a", "X", false, "BODY[a (b)]" },
	{ "a X x[a (b)]", 0, -1, "a", "X", false, NULL },
	{ "a FETCH 1 body[text] binary.peek[1]<0.5>", 0, 0, "a", "FETCH",
		false, "1 body[text] binary.peek[1]<0.5>" },
	{ "a FETCH 1 (BODY.PEEK[HEADER.FIELDS (A B)] BODY[1.MIME])", 0, 0,
		"a", "FETCH", false,
		"1 (BODY.PEEK[HEADER.FIELDS (A B)] BODY[1.MIME])" },
	/* Bad syntax: BAD, never a crash. */
	{ "", 0, -1, "", "", false, NULL },
	{ "a", 0, -1, "", "", false, NULL },
	{ " NOOP", 0, -1, "", "", false, NULL },
	{ "a+b NOOP", 0, -1, "", "", false, NULL },
	{ "* NOOP", 0, -1, "", "", false, NULL },
	{ "a 123", 0, -1, "a", "", false, NULL },
	{ "a UID", 0, -1, "a", "", false, NULL },
	{ "a X (a", 0, -1, "a", "X", false, NULL },
	{ "a X a)", 0, -1, "a", "X", false, NULL },
	{ "a X  a", 0, -1, "a", "X", false, NULL },
	{ "a X (a )", 0, -1, "a", "X", false, NULL },
	{ "a X \"abc", 0, -1, "a", "X", false, NULL },
	{ "a X \"a\\b\"", 0, -1, "a", "X", false, NULL },
	{ "a X \"caf\xc3\xa9\"", 0, -1, "a", "X", false, NULL },
	{ "a X caf\xc3\xa9", 0, -1, "a", "X", false, NULL },
	{ "a X \"a\rb\"", 0, -1, "a", "X", false, NULL },
	{ "a X {5}\r\nab", 0, -1, "a", "X", false, NULL },
	{ "a X {2}ab", 0, -1, "a", "X", false, NULL },
	{ "a X {}\r\n", 0, -1, "a", "X", false, NULL },
	{ "a X {4294967296}\r\n", 0, -1, "a", "X", false, NULL },
	{ "a X {99999999999999999999}\r\n", 0, -1, "a", "X", false, NULL },
	{ "a X {2}\r\nabc", 0, -1, "a", "X", false, NULL },
	{ "a X BODY[HEADER", 0, -1, "a", "X", false, NULL },
	{ "a X BODY[a[b]]", 0, -1, "a", "X", false, NULL },
	{ "a X ((((((((((((((((((x))))))))))))))))))", 0, -1, "a", "X", false,
		NULL },
};

static void
test_command_table(void **state)
{
	for (size_t i = 0; i < sizeof(command_cases) / sizeof(*command_cases);
		i++) {
		const struct command_case *c = &command_cases[i];
		struct arena *a = arena_new(1 << 20);
		struct imap_command cmd;
		struct error err;
		size_t len = c->len != 0 ? c->len : strlen(c->in);
		int rc = imap_parse_command(span_make(c->in, len), a, &cmd,
			&err);
		if (rc != c->rc)
			fail_msg("case %zu \"%s\": rc %d (%s)", i, c->in, rc,
				rc < 0 ? err.msg : "");
		if (rc == 0) {
			struct str out;
			str_init(&out, a, 4096);
			str_append_cstr(&out, "");
			render(cmd.args, cmd.count, &out);
			if (strcmp(str_cstr(&out), c->tree) != 0)
				fail_msg("case %zu \"%s\": tree '%s'", i, c->in,
					str_cstr(&out));
			assert_true(span_eq(cmd.tag, c->tag));
			assert_true(span_eq(cmd.name, c->name));
			assert_int_equal(cmd.uid, c->uid);
		} else {
			assert_true(err.code == ERROR_INVALID ||
				err.code == ERROR_LIMIT);
		}
		arena_free(&a);
	}
}

static void
test_nul_in_quoted(void **state)
{
	/* CVE-2019-11500: a NUL inside a quoted string is BAD. */
	static const char in[] = "a LOGIN \"jo\0x\" y";
	struct arena *a = arena_new(1 << 16);
	struct imap_command cmd;
	struct error err;
	assert_int_equal(imap_parse_command(span_make(in, sizeof(in) - 1), a,
				 &cmd, &err),
		-1);
	assert_int_equal(err.code, ERROR_INVALID);
	/* In a literal a NUL is data, but not usable as a string. */
	static const char lit[] = "a LOGIN {3}\r\nj\0o y";
	assert_int_equal(imap_parse_command(span_make(lit, sizeof(lit) - 1), a,
				 &cmd, &err),
		0);
	assert_true(cmd.args[0].has_nul);
	const char *s;
	assert_int_equal(imap_arg_string(&cmd.args[0], a, &s, &err), -1);
	arena_free(&a);
}

static void
test_arena_cap(void **state)
{
	/* Many small arguments in a tiny arena end in LIMIT, not a crash. */
	char buf[8192];
	size_t n = (size_t)snprintf(buf, sizeof(buf), "a X (");
	while (n < sizeof(buf) - 4) {
		buf[n++] = 'x';
		buf[n++] = ' ';
	}
	buf[n++] = 'x';
	buf[n++] = ')';
	struct arena *a = arena_new(4096);
	struct imap_command cmd;
	struct error err;
	assert_int_equal(imap_parse_command(span_make(buf, n), a, &cmd, &err),
		-1);
	assert_int_equal(err.code, ERROR_LIMIT);
	arena_free(&a);
}

struct head_case {
	const char *line;
	int rc;
	const char *tag;
	const char *name;
	bool uid;
};

static const struct head_case head_cases[] = {
	{ "a1 APPEND INBOX {10}", 0, "a1", "APPEND", false },
	{ "x UID MOVE 1 Trash", 0, "x", "MOVE", true },
	{ "x.y] LOGIN", 0, "x.y]", "LOGIN", false },
	{ "a1", -1, "", "", false },
	{ "", -1, "", "", false },
	{ "a1 ", -1, "a1", "", false },
	{ "a1 {5}", -1, "a1", "", false },
};

static void
test_head_table(void **state)
{
	for (size_t i = 0; i < sizeof(head_cases) / sizeof(*head_cases); i++) {
		const struct head_case *c = &head_cases[i];
		struct span tag, name;
		bool uid;
		struct error err;
		int rc = imap_parse_head(span_from_cstr(c->line), &tag, &name,
			&uid, &err);
		if (rc != c->rc)
			fail_msg("case %zu \"%s\": rc %d", i, c->line, rc);
		assert_true(span_eq(tag, c->tag));
		if (rc == 0) {
			assert_true(span_eq(name, c->name));
			assert_int_equal(uid, c->uid);
		}
	}
}

struct literal_case {
	const char *line;
	int rc;
	enum imap_literal_kind kind;
	uint64_t size;
};

static const struct literal_case literal_cases[] = {
	{ "a APPEND INBOX {310}", 0, IMAP_LITERAL_SYNC, 310 },
	{ "a APPEND INBOX {310+}", 0, IMAP_LITERAL_NONSYNC, 310 },
	{ "a LOGIN {0}", 0, IMAP_LITERAL_SYNC, 0 },
	{ "a LOGIN {4294967295}", 0, IMAP_LITERAL_SYNC, 4294967295u },
	{ "a NOOP", 0, IMAP_LITERAL_NONE, 0 },
	{ "a X }", 0, IMAP_LITERAL_NONE, 0 },
	{ "a X {}", 0, IMAP_LITERAL_NONE, 0 },
	{ "a X {+}", 0, IMAP_LITERAL_NONE, 0 },
	{ "a X {1a}", 0, IMAP_LITERAL_NONE, 0 },
	{ "a X 5}", 0, IMAP_LITERAL_NONE, 0 },
	{ "{5}", 0, IMAP_LITERAL_SYNC, 5 },
	/* SECURITY.md item 31: refused before any "+", nothing allocated. */
	{ "a APPEND INBOX {4294967296}", -1, IMAP_LITERAL_NONE, 0 },
	{ "a APPEND INBOX {99999999999999999999}", -1, IMAP_LITERAL_NONE, 0 },
	{ "a APPEND INBOX {99999999999999999999+}", -1, IMAP_LITERAL_NONE, 0 },
	{ "a APPEND INBOX {00000000000000000001}", -1, IMAP_LITERAL_NONE, 0 },
};

static void
test_literal_table(void **state)
{
	for (size_t i = 0; i < sizeof(literal_cases) / sizeof(*literal_cases);
		i++) {
		const struct literal_case *c = &literal_cases[i];
		enum imap_literal_kind kind;
		uint64_t size;
		struct error err;
		int rc = imap_parse_literal_suffix(span_from_cstr(c->line),
			&kind, &size, &err);
		if (rc != c->rc || kind != c->kind || size != c->size)
			fail_msg("case %zu \"%s\": rc %d kind %d size %llu", i,
				c->line, rc, kind, (unsigned long long)size);
		if (rc < 0)
			assert_int_equal(err.code, ERROR_LIMIT);
	}
}

struct seqset_case {
	const char *in;
	int rc;
	uint64_t star;
	const char *members; /* numbers 1..12 in the set, as a string */
};

static const struct seqset_case seqset_cases[] = {
	{ "1", 0, 10, "1" },
	{ "1:3,5", 0, 10, "1 2 3 5" },
	{ "3:1", 0, 10, "1 2 3" },
	{ "8:*", 0, 10, "8 9 10" },
	{ "*:8", 0, 10, "8 9 10" },
	{ "*", 0, 10, "10" },
	{ "12:*", 0, 10, "10 11 12" },
	{ "1,1,1", 0, 10, "1" },
	{ "4294967295", 0, 10, "" },
	{ "0", -1, 0, NULL },
	{ "01", -1, 0, NULL },
	{ "", -1, 0, NULL },
	{ "1,", -1, 0, NULL },
	{ ",1", -1, 0, NULL },
	{ "1:", -1, 0, NULL },
	{ "1::2", -1, 0, NULL },
	{ "$", -1, 0, NULL },
	{ "a", -1, 0, NULL },
	{ "4294967296", -1, 0, NULL },
	{ "1:2:3", -1, 0, NULL },
};

static void
test_seqset_table(void **state)
{
	for (size_t i = 0; i < sizeof(seqset_cases) / sizeof(*seqset_cases);
		i++) {
		const struct seqset_case *c = &seqset_cases[i];
		struct arena *a = arena_new(1 << 16);
		struct imap_seqset set;
		struct error err;
		int rc = imap_parse_seqset(span_from_cstr(c->in), a, &set,
			&err);
		if (rc != c->rc)
			fail_msg("case %zu \"%s\": rc %d", i, c->in, rc);
		if (rc == 0) {
			char got[128] = "";
			size_t n = 0;
			for (uint64_t k = 1; k <= 12; k++) {
				if (imap_seqset_contains(&set, k, c->star))
					n += (size_t)snprintf(got + n,
						sizeof(got) - n, "%s%llu",
						n > 0 ? " " : "",
						(unsigned long long)k);
			}
			if (strcmp(got, c->members) != 0)
				fail_msg("case %zu \"%s\": members '%s'", i,
					c->in, got);
		}
		arena_free(&a);
	}
}

struct fetch_case {
	const char *args; /* what follows "a FETCH 1 " */
	int rc;
	unsigned items;
	const char *sections; /* "label|mime|peek;..." */
};

static const struct fetch_case fetch_cases[] = {
	{ "ALL", 0,
		IMAP_FETCH_FLAGS | IMAP_FETCH_INTERNALDATE |
			IMAP_FETCH_RFC822_SIZE | IMAP_FETCH_ENVELOPE,
		"" },
	{ "fast", 0,
		IMAP_FETCH_FLAGS | IMAP_FETCH_INTERNALDATE |
			IMAP_FETCH_RFC822_SIZE,
		"" },
	{ "FULL", 0,
		IMAP_FETCH_FLAGS | IMAP_FETCH_INTERNALDATE |
			IMAP_FETCH_RFC822_SIZE | IMAP_FETCH_ENVELOPE |
			IMAP_FETCH_BODY,
		"" },
	{ "(UID FLAGS)", 0, IMAP_FETCH_UID | IMAP_FETCH_FLAGS, "" },
	{ "BODYSTRUCTURE", 0, IMAP_FETCH_BODYSTRUCTURE, "" },
	{ "(BODY ENVELOPE RFC822.SIZE INTERNALDATE)", 0,
		IMAP_FETCH_BODY | IMAP_FETCH_ENVELOPE | IMAP_FETCH_RFC822_SIZE |
			IMAP_FETCH_INTERNALDATE,
		"" },
	{ "BODY[]", 0, 0, "BODY[]||0;" },
	{ "BODY.PEEK[]", 0, 0, "BODY[]||1;" },
	{ "body[text]", 0, 0, "BODY[TEXT]|TEXT|0;" },
	{ "BODY[1.2]", 0, 0, "BODY[1.2]|1.2|0;" },
	{ "BODY[1.2.MIME]", 0, 0, "BODY[1.2.MIME]|1.2.MIME|0;" },
	{ "BODY[3.HEADER]", 0, 0, "BODY[3.HEADER]|3.HEADER|0;" },
	{ "BODY[]<0.100>", 0, 0, "BODY[]<0>||0;" },
	{ "BODY.PEEK[TEXT]<10.5>", 0, 0, "BODY[TEXT]<10>|TEXT|1;" },
	{ "BODY.PEEK[HEADER.FIELDS (Subject From)]", 0, 0,
		"BODY[HEADER.FIELDS (Subject From)]|HEADER|1;" },
	{ "BODY[HEADER.FIELDS.NOT (\"X-A\" B)]", 0, 0,
		"BODY[HEADER.FIELDS.NOT (X-A B)]|HEADER|0;" },
	{ "BODY[2.HEADER.FIELDS (To)]", 0, 0,
		"BODY[2.HEADER.FIELDS (To)]|2.HEADER|0;" },
	{ "(RFC822 RFC822.HEADER RFC822.TEXT)", 0, 0,
		"RFC822||0;RFC822.HEADER|HEADER|1;RFC822.TEXT|TEXT|0;" },
	{ "(FLAGS BODY.PEEK[1])", 0, IMAP_FETCH_FLAGS, "BODY[1]|1|1;" },
	{ "()", -1, 0, NULL },
	{ "(ALL)", -1, 0, NULL },
	{ "FOO", -1, 0, NULL },
	{ "\"FLAGS\"", -1, 0, NULL },
	{ "BODY[MIME]", -1, 0, NULL },
	{ "BODY[0]", -1, 0, NULL },
	{ "BODY[1.]", -1, 0, NULL },
	{ "BODY[1..2]", -1, 0, NULL },
	{ "BODY[HEADER.FIELDS]", -1, 0, NULL },
	{ "BODY[HEADER.FIELDS ()]", -1, 0, NULL },
	{ "BODY[HEADER.FIELDS (A:B)]", -1, 0, NULL },
	{ "BODY[HEADER.FIELDS (A  B)]", -1, 0, NULL },
	{ "BODY[TEXT (A)]", -1, 0, NULL },
	{ "BODY[TEXT]<0>", -1, 0, NULL },
	{ "BODY[TEXT]<0.0>", -1, 0, NULL },
	{ "BODY[TEXT]<a.1>", -1, 0, NULL },
	{ "BODY[TEXT]<1.99999999999>", -1, 0, NULL },
	{ "BODY[TEXT]x", -1, 0, NULL },
	{ "FLAGS UID", -1, 0, NULL },
};

static void
test_fetch_table(void **state)
{
	for (size_t i = 0; i < sizeof(fetch_cases) / sizeof(*fetch_cases);
		i++) {
		const struct fetch_case *c = &fetch_cases[i];
		struct arena *a = arena_new(1 << 16);
		char line[512];
		snprintf(line, sizeof(line), "a FETCH 1 %s", c->args);
		struct imap_command cmd;
		struct imap_fetch f;
		struct error err;
		int rc = imap_parse_command(span_from_cstr(line), a, &cmd,
			&err);
		if (rc == 0)
			rc = imap_parse_fetch(cmd.args + 1, cmd.count - 1, a,
				&f, &err);
		if (rc != c->rc)
			fail_msg("case %zu \"%s\": rc %d (%s)", i, c->args, rc,
				rc < 0 ? err.msg : "");
		if (rc == 0) {
			assert_int_equal(f.items, c->items);
			char got[512] = "";
			size_t n = 0;
			for (size_t k = 0; k < f.section_count; k++)
				n += (size_t)snprintf(got + n, sizeof(got) - n,
					"%s|%s|%d;", f.sections[k].label,
					f.sections[k].mime, f.sections[k].peek);
			if (strcmp(got, c->sections) != 0)
				fail_msg("case %zu \"%s\": sections '%s'", i,
					c->args, got);
		}
		arena_free(&a);
	}
}

static void
test_fetch_partial_and_fields(void **state)
{
	struct arena *a = arena_new(1 << 16);
	struct imap_command cmd;
	struct imap_fetch f;
	struct error err;
	assert_int_equal(
		imap_parse_command(
			span_from_cstr("a FETCH 1 (BODY.PEEK[HEADER.FIELDS "
				       "(SUBJECT \"From\")]<3.7>)"),
			a, &cmd, &err),
		0);
	assert_int_equal(imap_parse_fetch(cmd.args + 1, 1, a, &f, &err), 0);
	assert_int_equal(f.section_count, 1);
	const struct imap_fetch_section *s = &f.sections[0];
	assert_int_equal(s->text, IMAP_SECTION_HEADER_FIELDS);
	assert_int_equal(s->field_count, 2);
	assert_string_equal(s->fields[0], "SUBJECT");
	assert_string_equal(s->fields[1], "From");
	assert_true(s->partial);
	assert_int_equal(s->offset, 3);
	assert_int_equal(s->length, 7);
	assert_false(imap_fetch_sets_seen(&f));
	arena_free(&a);
}

/* The key tree as text: "AND(FLAG:1,NOT(SUBJECT:x))". */
static void
render_key(const struct imap_search_key *k, struct str *out)
{
	static const char *const names[] = { "ALL", "AND", "OR", "NOT", "SEQ",
		"UID", "FLAG", "NOFLAG", "KEYWORD", "UNKEYWORD", "NEW", "OLD",
		"RECENT", "LARGER", "SMALLER", "BEFORE", "ON", "SINCE",
		"SENTBEFORE", "SENTON", "SENTSINCE", "HEADER", "BCC", "CC",
		"FROM", "SUBJECT", "TO", "BODY", "TEXT" };
	str_append_cstr(out, names[k->type]);
	switch (k->type) {
	case IMAP_SEARCH_AND:
	case IMAP_SEARCH_OR:
	case IMAP_SEARCH_NOT:
		str_append_char(out, '(');
		for (size_t i = 0; i < k->count; i++) {
			if (i > 0)
				str_append_char(out, ',');
			render_key(&k->children[i], out);
		}
		str_append_char(out, ')');
		break;
	case IMAP_SEARCH_FLAG:
	case IMAP_SEARCH_NOFLAG:
		str_appendf(out, ":%u", k->flag);
		break;
	case IMAP_SEARCH_LARGER:
	case IMAP_SEARCH_SMALLER:
	case IMAP_SEARCH_BEFORE:
	case IMAP_SEARCH_ON:
	case IMAP_SEARCH_SINCE:
	case IMAP_SEARCH_SENTBEFORE:
	case IMAP_SEARCH_SENTON:
	case IMAP_SEARCH_SENTSINCE:
		str_appendf(out, ":%lld", (long long)k->number);
		break;
	case IMAP_SEARCH_HEADER:
		str_appendf(out, ":%s=%s", k->field, k->value);
		break;
	case IMAP_SEARCH_SEQSET:
	case IMAP_SEARCH_UID:
		str_appendf(out, ":%zu", k->set.count);
		break;
	default:
		if (k->value != NULL)
			str_appendf(out, ":%s", k->value);
		break;
	}
}

struct search_case {
	const char *args; /* what follows "a SEARCH " */
	int rc;
	const char *tree;
	enum error_code code;
};

static const struct search_case search_cases[] = {
	{ "ALL", 0, "ALL", 0 },
	{ "UNSEEN", 0, "NOFLAG:1", 0 },
	{ "SEEN FLAGGED", 0, "AND(FLAG:1,FLAG:4)", 0 },
	{ "SUBJECT hello", 0, "SUBJECT:hello", 0 },
	{ "FROM \"Ann One\"", 0, "FROM:Ann One", 0 },
	{ "TEXT {5}\r\nhello", 0, "TEXT:hello", 0 },
	{ "CHARSET UTF-8 BODY {4}\r\ncaf\xc3", 0, "BODY:caf\xc3", 0 },
	{ "charset us-ascii ALL", 0, "ALL", 0 },
	{ "NOT DELETED", 0, "NOT(FLAG:8)", 0 },
	{ "OR SEEN (FROM a TO b)", 0, "OR(FLAG:1,AND(FROM:a,TO:b))", 0 },
	{ "OR OR a b c", -1, NULL, ERROR_INVALID },
	{ "1:5,7 UID 3:*", 0, "AND(SEQ:2,UID:1)", 0 },
	{ "HEADER X-Mailer \"\"", 0, "HEADER:X-Mailer=", 0 },
	{ "LARGER 100 SMALLER 2000", 0, "AND(LARGER:100,SMALLER:2000)", 0 },
	{ "SINCE 1-Feb-1994", 0, "SINCE:760060800", 0 },
	{ "BEFORE \"01-Jan-1970\"", 0, "BEFORE:0", 0 },
	{ "SENTON 29-Feb-2024", 0, "SENTON:1709164800", 0 },
	{ "KEYWORD $Work UNKEYWORD Todo", 0,
		"AND(KEYWORD:$Work,UNKEYWORD:Todo)", 0 },
	{ "NEW OLD RECENT", 0, "AND(NEW,OLD,RECENT)", 0 },
	{ "(ANSWERED)", 0, "FLAG:2", 0 },
	{ "", -1, NULL, ERROR_INVALID },
	{ "()", -1, NULL, ERROR_INVALID },
	{ "FOO", -1, NULL, ERROR_INVALID },
	{ "SUBJECT", -1, NULL, ERROR_INVALID },
	{ "NOT", -1, NULL, ERROR_INVALID },
	{ "OR SEEN", -1, NULL, ERROR_INVALID },
	{ "SINCE 30-Feb-2024", -1, NULL, ERROR_INVALID },
	{ "SINCE 1-Foo-2024", -1, NULL, ERROR_INVALID },
	{ "SINCE 2024-01-01", -1, NULL, ERROR_INVALID },
	{ "LARGER x", -1, NULL, ERROR_INVALID },
	{ "LARGER 99999999999", -1, NULL, ERROR_INVALID },
	{ "KEYWORD \\Seen", -1, NULL, ERROR_INVALID },
	{ "UID x", -1, NULL, ERROR_INVALID },
	{ "CHARSET KOI8-R ALL", -1, NULL, ERROR_NOT_FOUND },
	{ "SUBJECT (a)", -1, NULL, ERROR_INVALID },
	{ "NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT "
	  "NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT "
	  "NOT NOT ALL",
		-1, NULL, ERROR_LIMIT },
};

static void
test_search_table(void **state)
{
	for (size_t i = 0; i < sizeof(search_cases) / sizeof(*search_cases);
		i++) {
		const struct search_case *c = &search_cases[i];
		struct arena *a = arena_new(1 << 16);
		char line[512];
		snprintf(line, sizeof(line), "a SEARCH %s", c->args);
		struct imap_command cmd;
		struct imap_search_key key;
		struct error err;
		int rc = imap_parse_command(span_from_cstr(line), a, &cmd,
			&err);
		if (rc == 0)
			rc = imap_parse_search(cmd.args, cmd.count, a, &key,
				&err);
		if (rc != c->rc)
			fail_msg("case %zu \"%s\": rc %d (%s)", i, c->args, rc,
				rc < 0 ? err.msg : "");
		if (rc == 0) {
			struct str out;
			str_init(&out, a, 4096);
			str_append_cstr(&out, "");
			render_key(&key, &out);
			if (strcmp(str_cstr(&out), c->tree) != 0)
				fail_msg("case %zu \"%s\": tree '%s'", i,
					c->args, str_cstr(&out));
		} else if (err.code != c->code) {
			fail_msg("case %zu \"%s\": code %s", i, c->args,
				error_code_name(err.code));
		}
		arena_free(&a);
	}
}

struct store_case {
	const char *args; /* what follows "a STORE " */
	int rc;
	enum imap_store_mode mode;
	bool silent;
	unsigned flags;
	size_t keywords;
};

static const struct store_case store_cases[] = {
	{ "1 FLAGS (\\Seen)", 0, IMAP_STORE_REPLACE, false, IMAP_FLAG_SEEN, 0 },
	{ "1:* +FLAGS.SILENT (\\Deleted \\seen)", 0, IMAP_STORE_ADD, true,
		IMAP_FLAG_DELETED | IMAP_FLAG_SEEN, 0 },
	{ "2 -FLAGS \\Flagged $Work", 0, IMAP_STORE_REMOVE, false,
		IMAP_FLAG_FLAGGED, 1 },
	{ "1 FLAGS ()", 0, IMAP_STORE_REPLACE, false, 0, 0 },
	{ "1 +FLAGS (a A b)", 0, IMAP_STORE_ADD, false, 0, 2 },
	{ "1 FLAGS (\\Recent)", -1, 0, false, 0, 0 },
	{ "1 FLAGS (\\*)", -1, 0, false, 0, 0 },
	{ "1 FLAGS (\\Foo)", -1, 0, false, 0, 0 },
	{ "1 FLAGS (a%b)", -1, 0, false, 0, 0 },
	{ "1 FLAGS (\"x\")", -1, 0, false, 0, 0 },
	{ "1 +FLAGS", -1, 0, false, 0, 0 },
	{ "1 LABELS (x)", -1, 0, false, 0, 0 },
	{ "0 FLAGS ()", -1, 0, false, 0, 0 },
	{ "1 FLAGS () ()", -1, 0, false, 0, 0 },
};

static void
test_store_table(void **state)
{
	for (size_t i = 0; i < sizeof(store_cases) / sizeof(*store_cases);
		i++) {
		const struct store_case *c = &store_cases[i];
		struct arena *a = arena_new(1 << 16);
		char line[256];
		snprintf(line, sizeof(line), "a STORE %s", c->args);
		struct imap_command cmd;
		struct imap_store st;
		struct error err;
		int rc = imap_parse_command(span_from_cstr(line), a, &cmd,
			&err);
		if (rc == 0)
			rc = imap_parse_store(cmd.args, cmd.count, a, &st,
				&err);
		if (rc != c->rc)
			fail_msg("case %zu \"%s\": rc %d (%s)", i, c->args, rc,
				rc < 0 ? err.msg : "");
		if (rc == 0) {
			assert_int_equal(st.mode, c->mode);
			assert_int_equal(st.silent, c->silent);
			assert_int_equal(st.flags.system, c->flags);
			assert_int_equal(st.flags.keyword_count, c->keywords);
		}
		arena_free(&a);
	}
}

struct date_case {
	const char *in;
	bool datetime;
	bool ok;
	int64_t t;
};

static const struct date_case date_cases[] = {
	{ "1-Jan-1970", false, true, 0 },
	{ "01-jan-1970", false, true, 0 },
	{ "31-Dec-1999", false, true, 946598400 },
	{ "29-Feb-2023", false, false, 0 },
	{ "32-Jan-2000", false, false, 0 },
	{ "0-Jan-2000", false, false, 0 },
	{ "1-Jan-70", false, false, 0 },
	{ " 1-Jan-1970", false, false, 0 },
	{ "17-Jul-1996 02:44:25 -0700", true, true, 837596665 },
	{ " 1-Jan-1970 00:00:00 +0000", true, true, 0 },
	{ "01-Jan-1970 01:00:00 +0100", true, true, 0 },
	{ "01-Jan-1970 24:00:00 +0000", true, false, 0 },
	{ "01-Jan-1970 00:00:00 0000", true, false, 0 },
	{ "01-Jan-1970 00:00:00 +00000", true, false, 0 },
	{ "01-Jan-1970 00:00 +0000", true, false, 0 },
};

static void
test_date_table(void **state)
{
	for (size_t i = 0; i < sizeof(date_cases) / sizeof(*date_cases); i++) {
		const struct date_case *c = &date_cases[i];
		int64_t t = -1;
		bool ok = c->datetime ?
			imap_parse_datetime(span_from_cstr(c->in), &t) :
			imap_parse_date(span_from_cstr(c->in), &t);
		if (ok != c->ok || (ok && t != c->t))
			fail_msg("case %zu \"%s\": ok %d t %lld", i, c->in, ok,
				(long long)t);
	}
	char buf[32];
	imap_format_datetime(837596665, buf, sizeof(buf));
	assert_string_equal(buf, "17-Jul-1996 09:44:25 +0000");
}

struct append_case {
	const char *in;
	size_t len;
	int rc;
	const char *mailbox;
	unsigned flags;
	bool has_date;
	const char *message;
};

static const struct append_case append_cases[] = {
	{ "a APPEND INBOX {5}\r\nhello", 0, 0, "INBOX", 0, false, "hello" },
	{ "a APPEND \"Sent Items\" (\\Seen) {2}\r\nhi", 0, 0, "Sent Items",
		IMAP_FLAG_SEEN, false, "hi" },
	{ "a APPEND Drafts (\\Draft) \"17-Jul-1996 02:44:25 -0700\" {1+}\r\nx",
		0, 0, "Drafts", IMAP_FLAG_DRAFT, true, "x" },
	{ "a APPEND Drafts \" 7-Jul-1996 02:44:25 -0700\" {1}\r\nx", 0, 0,
		"Drafts", 0, true, "x" },
	{ "a APPEND INBOX", 0, -1, NULL, 0, false, NULL },
	{ "a APPEND INBOX hello", 0, -1, NULL, 0, false, NULL },
	{ "a APPEND INBOX (\\Seen) (\\Seen) {1}\r\nx", 0, -1, NULL, 0, false,
		NULL },
	{ "a APPEND INBOX \"yesterday\" {1}\r\nx", 0, -1, NULL, 0, false,
		NULL },
	{ "a APPEND INBOX {1}\r\nx {1}\r\ny", 0, -1, NULL, 0, false, NULL },
};

static void
test_append_table(void **state)
{
	for (size_t i = 0; i < sizeof(append_cases) / sizeof(*append_cases);
		i++) {
		const struct append_case *c = &append_cases[i];
		struct arena *a = arena_new(1 << 16);
		struct imap_command cmd;
		struct imap_append ap;
		struct error err;
		int rc = imap_parse_command(span_from_cstr(c->in), a, &cmd,
			&err);
		if (rc == 0)
			rc = imap_parse_append(cmd.args, cmd.count, a, &ap,
				&err);
		if (rc != c->rc)
			fail_msg("case %zu: rc %d (%s)", i, rc,
				rc < 0 ? err.msg : "");
		if (rc == 0) {
			assert_string_equal(ap.mailbox, c->mailbox);
			assert_int_equal(ap.flags.system, c->flags);
			assert_int_equal(ap.has_date, c->has_date);
			assert_true(span_eq(ap.message, c->message));
		}
		arena_free(&a);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_command_table),
		cmocka_unit_test(test_nul_in_quoted),
		cmocka_unit_test(test_arena_cap),
		cmocka_unit_test(test_head_table),
		cmocka_unit_test(test_literal_table),
		cmocka_unit_test(test_seqset_table),
		cmocka_unit_test(test_fetch_table),
		cmocka_unit_test(test_fetch_partial_and_fields),
		cmocka_unit_test(test_search_table),
		cmocka_unit_test(test_store_table),
		cmocka_unit_test(test_date_table),
		cmocka_unit_test(test_append_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
