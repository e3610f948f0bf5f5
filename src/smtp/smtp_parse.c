/*
 * SMTP command parser. Layer: front end (pure). RFC 5321 §4.1.1 and
 * §4.1.2; path and parameter grammar, with the leniency real clients need
 * (a space after "FROM:") and none that could change what a path means.
 * RFC 1870, 6152, 6531 and 3461 parameters; the DSN values are read by
 * the domain's rules (mail_dsn.h), so the queue reads them back alike.
 */
#include "smtp/smtp_parse.h"

#include <string.h>

#include "core/error.h"

static const struct {
	const char *name;
	enum smtp_verb verb;
} smtp_verbs[] = {
	{ "HELO", SMTP_VERB_HELO }, { "EHLO", SMTP_VERB_EHLO },
	{ "MAIL", SMTP_VERB_MAIL }, { "RCPT", SMTP_VERB_RCPT },
	{ "DATA", SMTP_VERB_DATA }, { "RSET", SMTP_VERB_RSET },
	{ "NOOP", SMTP_VERB_NOOP }, { "QUIT", SMTP_VERB_QUIT },
	{ "VRFY", SMTP_VERB_VRFY }, { "HELP", SMTP_VERB_HELP },
	{ "STARTTLS", SMTP_VERB_STARTTLS }, { "AUTH", SMTP_VERB_AUTH },
};

static int
syntax(struct error *err, const char *status, const char *sentence)
{
	return error_set_field(err, ERROR_INVALID, status, "%s", sentence);
}

static bool
has_control(struct span s)
{
	for (size_t i = 0; i < s.len; i++) {
		unsigned char c = (unsigned char)s.p[i];
		if (c < 0x20 || c == 0x7f)
			return true;
	}
	return false;
}

/* Drops an RFC 5321 §4.1.2 source route "@a,@b:" in front of a mailbox. */
static struct span
drop_source_route(struct span path)
{
	if (path.len == 0 || path.p[0] != '@')
		return path;
	const char *colon = memchr(path.p, ':', path.len);
	if (colon == NULL)
		return path;
	size_t skip = (size_t)(colon - path.p) + 1;
	return span_make(path.p + skip, path.len - skip);
}

/* Parses "<path>" at the start of *rest, advancing past it. */
static int
parse_path(struct span *rest, struct smtp_command *cmd, bool null_allowed,
	struct error *err)
{
	*rest = span_trim(*rest);
	if (rest->len == 0 || rest->p[0] != '<')
		return syntax(err, "5.5.2",
			"the address must be written in angle brackets, like "
			"<name@example.org>");
	const char *close = memchr(rest->p, '>', rest->len);
	if (close == NULL)
		return syntax(err, "5.5.2", "the address has no closing >");
	struct span inner = span_make(rest->p + 1, (size_t)(close - rest->p) - 1);
	rest->len -= (size_t)(close - rest->p) + 1;
	rest->p = close + 1;
	if (inner.len + 2 > SMTP_PATH_MAX)
		return syntax(err, "5.1.3", "the address is too long");
	inner = drop_source_route(inner);
	if (inner.len == 0) {
		if (!null_allowed)
			return syntax(err, "5.1.3", "an empty address is not "
						    "allowed here");
		cmd->null_path = true;
		cmd->path[0] = '\0';
		return 0;
	}
	if (memchr(inner.p, '"', inner.len) != NULL ||
	    memchr(inner.p, '\\', inner.len) != NULL)
		return syntax(err, "5.1.3",
			"quoted addresses are not accepted here");
	if (memchr(inner.p, '<', inner.len) != NULL || has_control(inner) ||
	    memchr(inner.p, ' ', inner.len) != NULL)
		return syntax(err, "5.1.3", "the address has characters that "
					    "are not allowed");
	memcpy(cmd->path, inner.p, inner.len);
	cmd->path[inner.len] = '\0';
	return 0;
}

/* The parameters MAIL and RCPT take, each at most once. */
enum smtp_param {
	SMTP_PARAM_SIZE = 1u << 0,
	SMTP_PARAM_BODY = 1u << 1,
	SMTP_PARAM_SMTPUTF8 = 1u << 2,
	SMTP_PARAM_RET = 1u << 3,
	SMTP_PARAM_ENVID = 1u << 4,
	SMTP_PARAM_NOTIFY = 1u << 5,
	SMTP_PARAM_ORCPT = 1u << 6,
};

static const struct {
	const char *name;
	enum smtp_verb verb;
	enum smtp_param param;
} smtp_params[] = {
	{ "SIZE", SMTP_VERB_MAIL, SMTP_PARAM_SIZE },
	{ "BODY", SMTP_VERB_MAIL, SMTP_PARAM_BODY },
	{ "SMTPUTF8", SMTP_VERB_MAIL, SMTP_PARAM_SMTPUTF8 },
	{ "RET", SMTP_VERB_MAIL, SMTP_PARAM_RET },
	{ "ENVID", SMTP_VERB_MAIL, SMTP_PARAM_ENVID },
	{ "NOTIFY", SMTP_VERB_RCPT, SMTP_PARAM_NOTIFY },
	{ "ORCPT", SMTP_VERB_RCPT, SMTP_PARAM_ORCPT },
};

/* A sentence the domain wrote into err, sent with status 5.5.4. */
static int
param_error(struct error *err)
{
	char msg[sizeof(err->msg)];
	str_copy(msg, sizeof(msg), err->msg);
	return syntax(err, "5.5.4", msg);
}

/* One RFC 3461 parameter, read by the domain's rules (mail_dsn.h). */
static int
parse_dsn_param(enum smtp_param param, struct span value,
	struct smtp_command *cmd, struct error *err)
{
	int rc = 0;
	switch (param) {
	case SMTP_PARAM_RET:
		rc = mail_dsn_ret_parse(value, &cmd->ret, err);
		break;
	case SMTP_PARAM_ENVID:
		rc = mail_dsn_envid_parse(value, cmd->envid,
			sizeof(cmd->envid), err);
		break;
	case SMTP_PARAM_NOTIFY:
		rc = mail_dsn_notify_parse(value, &cmd->notify, err);
		break;
	case SMTP_PARAM_ORCPT:
		rc = mail_dsn_orcpt_parse(value, cmd->orcpt,
			sizeof(cmd->orcpt), err);
		break;
	default:
		break;
	}
	return rc < 0 ? param_error(err) : 0;
}

static int
parse_param(struct span param, struct smtp_command *cmd, unsigned *seen,
	struct error *err)
{
	struct span key = param, value = { "", 0 };
	const char *eq = memchr(param.p, '=', param.len);
	if (eq != NULL) {
		key.len = (size_t)(eq - param.p);
		value = span_make(eq + 1, param.len - key.len - 1);
	}
	size_t i = 0, n = sizeof(smtp_params) / sizeof(*smtp_params);
	while (i < n && (smtp_params[i].verb != cmd->verb ||
			    !span_eq_nocase(key, smtp_params[i].name)))
		i++;
	if (i == n)
		return syntax(err, "5.5.4", cmd->verb == SMTP_VERB_MAIL ?
			"that MAIL parameter is not supported" :
			"that RCPT parameter is not supported (NOTIFY and "
			"ORCPT are)");
	/* A parameter given twice has no one meaning: refused, not guessed. */
	enum smtp_param p = smtp_params[i].param;
	if (*seen & p)
		return error_set_field(err, ERROR_INVALID, "5.5.4",
			"%s is given twice", smtp_params[i].name);
	*seen |= p;
	switch (p) {
	case SMTP_PARAM_SIZE:
		if (!span_to_u64(value, &cmd->size))
			return syntax(err, "5.5.4", "SIZE needs a number of bytes");
		cmd->has_size = true;
		return 0;
	case SMTP_PARAM_BODY:
		if (span_eq_nocase(value, "7BIT"))
			cmd->body = SMTP_BODY_7BIT;
		else if (span_eq_nocase(value, "8BITMIME"))
			cmd->body = SMTP_BODY_8BITMIME;
		else
			return syntax(err, "5.5.4",
				"BODY must be 7BIT or 8BITMIME");
		return 0;
	case SMTP_PARAM_SMTPUTF8:
		if (eq != NULL)
			return syntax(err, "5.5.4", "SMTPUTF8 takes no value");
		cmd->smtputf8 = true;
		return 0;
	default:
		return parse_dsn_param(p, value, cmd, err);
	}
}

static int
parse_params(struct span rest, struct smtp_command *cmd, struct error *err)
{
	struct span param;
	unsigned seen = 0;
	rest = span_trim(rest);
	while (span_split(&rest, ' ', &param)) {
		if (param.len == 0)
			continue;
		if (parse_param(param, cmd, &seen, err) < 0)
			return -1;
	}
	return 0;
}

/* "FROM:" or "TO:", then optional spaces, then the path and parameters. */
static int
parse_envelope(struct span arg, const char *keyword, struct smtp_command *cmd,
	struct error *err)
{
	size_t n = strlen(keyword);
	if (arg.len < n || !span_eq_nocase(span_make(arg.p, n), keyword))
		return syntax(err, "5.5.2",
			cmd->verb == SMTP_VERB_MAIL ?
				"the command is MAIL FROM:<address>" :
				"the command is RCPT TO:<address>");
	struct span rest = span_make(arg.p + n, arg.len - n);
	if (parse_path(&rest, cmd, cmd->verb == SMTP_VERB_MAIL, err) < 0)
		return -1;
	if (rest.len > 0 && rest.p[0] != ' ')
		return syntax(err, "5.5.2",
			"parameters must follow the address after a space");
	return parse_params(rest, cmd, err);
}

static enum smtp_verb
find_verb(struct span word)
{
	for (size_t i = 0; i < sizeof(smtp_verbs) / sizeof(*smtp_verbs); i++) {
		if (span_eq_nocase(word, smtp_verbs[i].name))
			return smtp_verbs[i].verb;
	}
	return SMTP_VERB_UNKNOWN;
}

static bool
takes_no_argument(enum smtp_verb verb)
{
	return verb == SMTP_VERB_DATA || verb == SMTP_VERB_RSET ||
		verb == SMTP_VERB_QUIT || verb == SMTP_VERB_STARTTLS;
}

int
smtp_parse_command(struct span line, struct smtp_command *cmd,
	struct error *err)
{
	memset(cmd, 0, sizeof(*cmd));
	cmd->arg = span_make("", 0);
	if (memchr(line.p, '\0', line.len) != NULL)
		return syntax(err, "5.5.2", "the command contains a NUL byte");
	struct span rest = line, word;
	if (!span_split(&rest, ' ', &word))
		return syntax(err, "5.5.2", "the command is empty");
	cmd->verb = find_verb(word);
	cmd->arg = span_trim(rest);
	if (cmd->verb == SMTP_VERB_UNKNOWN)
		return 0;
	if (takes_no_argument(cmd->verb) && cmd->arg.len > 0)
		return syntax(err, "5.5.4", "this command takes no argument");
	if ((cmd->verb == SMTP_VERB_HELO || cmd->verb == SMTP_VERB_EHLO) &&
	    (cmd->arg.len == 0 || has_control(cmd->arg)))
		return syntax(err, "5.5.2", "say hello with your host name");
	if (cmd->verb == SMTP_VERB_MAIL)
		return parse_envelope(cmd->arg, "FROM:", cmd, err);
	if (cmd->verb == SMTP_VERB_RCPT)
		return parse_envelope(cmd->arg, "TO:", cmd, err);
	return 0;
}
