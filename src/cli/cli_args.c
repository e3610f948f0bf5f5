/*
 * The command line: the command's name words, then options and positional
 * arguments in any order. Layer: front end. Each command declares the
 * options it takes, so a mistyped option is an error, never silently
 * ignored; --dir, --json, --set and --help go with every command.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_internal.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/error.h"
#include "core/str.h"
#include "core/xmalloc.h"

int
cli_usage(struct cli_args *args, struct error *err, const char *fmt, ...)
{
	args->usage_error = true;
	char msg[sizeof(err->msg)];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return error_set(err, ERROR_INVALID, "%s", msg);
}

const char *
cli_opt(const struct cli_args *args, const char *name)
{
	for (size_t i = 0; i < args->opt_count; i++) {
		if (strcmp(args->opts[i].name, name) == 0)
			return args->opts[i].value;
	}
	return NULL;
}

bool
cli_flag(const struct cli_args *args, const char *name)
{
	return cli_opt(args, name) != NULL;
}

int
cli_opt_int(struct cli_args *args, const char *name, int64_t min,
	int64_t max, int64_t *value_r, struct error *err)
{
	const char *text = cli_opt(args, name);
	if (text == NULL)
		return 0;
	uint64_t value;
	if (!span_to_u64(span_from_cstr(text), &value) ||
	    value < (uint64_t)min || value > (uint64_t)max)
		return cli_usage(args, err,
			"--%s must be a whole number from %lld to %lld, "
			"not '%s'", name, (long long)min, (long long)max, text);
	*value_r = (int64_t)value;
	return 0;
}

int
cli_opt_time(struct cli_args *args, const char *name, int64_t *t_r,
	struct error *err)
{
	const char *text = cli_opt(args, name);
	if (text == NULL)
		return 0;
	if (!clock_parse(span_from_cstr(text), t_r))
		return cli_usage(args, err, "--%s takes a time as "
			"YYYY-MM-DDTHH:MM:SSZ, YYYY-MM-DD or epoch seconds, "
			"not '%s'", name, text);
	return 0;
}

int
cli_parse_id(struct cli_args *args, const char *text, const char *what,
	int64_t *id_r, struct error *err)
{
	uint64_t v;
	if (!span_to_u64(span_from_cstr(text), &v) || v == 0 ||
	    v > INT64_MAX)
		return cli_usage(args, err, "'%s' is not a %s id (a whole "
			"number from caremail %s list)", text, what, what);
	*id_r = (int64_t)v;
	return 0;
}

/* How many of the command's name words start argv[i..]; 0 if not all. */
static size_t
name_matches(const char *name, int argc, char **argv, int i)
{
	struct span rest = span_from_cstr(name);
	struct span word;
	size_t words = 0;
	while (span_split(&rest, ' ', &word)) {
		if (i >= argc || !span_eq(word, argv[i]))
			return 0;
		i++;
		words++;
	}
	return words;
}

static const struct cli_command *
find_command(const struct cli_table *t, int argc, char **argv, int i,
	size_t *words_r)
{
	const struct cli_command *best = NULL;
	*words_r = 0;
	for (size_t c = 0; c < t->count; c++) {
		size_t words = name_matches(t->commands[c].name, argc, argv,
			i);
		if (words > *words_r) {
			best = &t->commands[c];
			*words_r = words;
		}
	}
	return best;
}

/*
 * Looks name up in the command's option spec. Returns false when the
 * command does not take it; *takes_value_r says whether it needs a value.
 */
static bool
spec_lookup(const char *spec, const char *name, bool *takes_value_r,
	bool *required_r)
{
	struct span rest = span_from_cstr(spec != NULL ? spec : "");
	struct span token;
	size_t len = strlen(name);
	while (span_split(&rest, ' ', &token)) {
		if (token.len < len || memcmp(token.p, name, len) != 0)
			continue;
		struct span tail = span_make(token.p + len, token.len - len);
		if (tail.len == 0 || tail.p[0] == '=') {
			*takes_value_r = tail.len > 0;
			*required_r = tail.len > 1 && tail.p[1] == '!';
			return true;
		}
	}
	return false;
}

static int
check_set(struct cli_args *args, const char *assignment, struct error *err)
{
	/* Checked against a scratch config so a typo is a usage error. */
	struct config *scratch = config_new();
	struct error inner;
	int rc = config_set(scratch, assignment, &inner);
	config_free(&scratch);
	if (rc < 0)
		return cli_usage(args, err, "--set %s: %s", assignment,
			inner.msg);
	return 0;
}

static int
take_global(struct cli_args *args, const char *name, const char *value,
	struct error *err)
{
	if (strcmp(name, "dir") == 0) {
		if (value[0] == '\0')
			return cli_usage(args, err,
				"--dir needs an instance directory");
		args->dir = value;
		return 0;
	}
	if (check_set(args, value, err) < 0)
		return -1;
	args->sets[args->set_count++] = value;
	return 0;
}

static bool
is_global_valued(const char *name)
{
	return strcmp(name, "dir") == 0 || strcmp(name, "set") == 0;
}

static bool
take_global_flag(struct cli_args *args, const char *name)
{
	if (strcmp(name, "json") == 0) {
		args->json = true;
		return true;
	}
	if (strcmp(name, "help") == 0) {
		args->help = true;
		return true;
	}
	return false;
}

/*
 * Takes the option at argv[*i] ("--name", "--name=value" or "--name
 * value"), advancing *i past any value it consumed.
 */
static int
take_option(struct cli_args *args, int argc, char **argv, int *i,
	struct error *err)
{
	const char *arg = argv[*i] + 2;
	const char *eq = strchr(arg, '=');
	char name[64];
	size_t len = eq != NULL ? (size_t)(eq - arg) : strlen(arg);
	if (len == 0 || len >= sizeof(name))
		return cli_usage(args, err, "'%s' is not an option", argv[*i]);
	memcpy(name, arg, len);
	name[len] = '\0';
	if (eq == NULL && take_global_flag(args, name))
		return 0;
	bool takes_value = is_global_valued(name), required;
	const struct cli_command *cmd = args->command;
	if (!takes_value && (cmd == NULL ||
		    !spec_lookup(cmd->options, name, &takes_value, &required)))
		return cli_usage(args, err, "%s does not take --%s",
			cmd != NULL ? cmd->name : "caremail", name);
	const char *value = "";
	if (takes_value && eq != NULL)
		value = eq + 1;
	else if (takes_value && *i + 1 < argc)
		value = argv[++*i];
	else if (takes_value)
		return cli_usage(args, err, "--%s needs a value", name);
	else if (eq != NULL)
		return cli_usage(args, err, "--%s takes no value", name);
	if (is_global_valued(name))
		return take_global(args, name, value, err);
	if (cli_opt(args, name) != NULL)
		return cli_usage(args, err, "--%s is given twice", name);
	args->opts[args->opt_count].name = xstrdup(name);
	args->opts[args->opt_count++].value = value;
	return 0;
}

static int
check_required(struct cli_args *args, struct error *err)
{
	struct span rest = span_from_cstr(args->command->options != NULL ?
		args->command->options : "");
	struct span token;
	while (span_split(&rest, ' ', &token)) {
		if (token.len < 2 || token.p[token.len - 1] != '!')
			continue;
		char name[64];
		size_t len = token.len - 2;	/* drops "=!" */
		if (len >= sizeof(name))
			continue;
		memcpy(name, token.p, len);
		name[len] = '\0';
		if (cli_opt(args, name) == NULL)
			return cli_usage(args, err, "%s needs --%s",
				args->command->name, name);
	}
	return 0;
}

static int
check_counts(struct cli_args *args, struct error *err)
{
	const struct cli_command *cmd = args->command;
	if (args->pos_count < (size_t)cmd->min_args)
		return cli_usage(args, err, "%s needs %s",
			cmd->name, cmd->usage);
	if (cmd->max_args >= 0 && args->pos_count > (size_t)cmd->max_args)
		return cli_usage(args, err,
			"%s takes no argument '%s'", cmd->name,
			args->pos[cmd->max_args]);
	return 0;
}

/* Global options may come before the command's name. */
static int
take_leading_options(struct cli_args *args, int argc, char **argv, int *i,
	struct error *err)
{
	while (*i < argc && strncmp(argv[*i], "--", 2) == 0) {
		if (take_option(args, argc, argv, i, err) < 0)
			return -1;
		(*i)++;
	}
	if (*i < argc && argv[*i][0] == '-' && strcmp(argv[*i], "-h") != 0)
		return cli_usage(args, err, "'%s' is not an option", argv[*i]);
	return 0;
}

static int
take_rest(struct cli_args *args, int argc, char **argv, int i,
	struct error *err)
{
	bool options_done = false;
	for (; i < argc; i++) {
		const char *arg = argv[i];
		if (!options_done && strcmp(arg, "--") == 0)
			options_done = true;
		else if (!options_done && strcmp(arg, "-h") == 0)
			args->help = true;
		else if (!options_done && strncmp(arg, "--", 2) == 0) {
			if (take_option(args, argc, argv, &i, err) < 0)
				return -1;
		} else if (!options_done && arg[0] == '-' && arg[1] != '\0')
			return cli_usage(args, err, "'%s' is not an option; "
				"options start with --", arg);
		else
			args->pos[args->pos_count++] = arg;
	}
	return 0;
}

/* Whether some command's name starts with the words of prefix. */
static bool
is_group(const struct cli_table *t, const char *prefix)
{
	size_t len = strlen(prefix);
	for (size_t c = 0; c < t->count; c++) {
		if (strncmp(t->commands[c].name, prefix, len) == 0 &&
		    t->commands[c].name[len] == ' ')
			return true;
	}
	return false;
}

/* Whether the comma-separated list holds word. */
static bool
has_word(const char *list, const char *word)
{
	struct span rest = span_from_cstr(list);
	struct span item;
	while (span_split(&rest, ',', &item)) {
		if (span_eq(span_trim(item), word))
			return true;
	}
	return false;
}

/* Lists the word after prefix in each command's name, once each. */
static void
next_words(const struct cli_table *t, const char *prefix, char *buf,
	size_t size)
{
	size_t len = strlen(prefix);
	buf[0] = '\0';
	for (size_t c = 0; c < t->count; c++) {
		const char *name = t->commands[c].name;
		if (strncmp(name, prefix, len) != 0 || name[len] != ' ')
			continue;
		char word[40];
		snprintf(word, sizeof(word), "%.*s",
			(int)strcspn(name + len + 1, " "), name + len + 1);
		if (has_word(buf, word))
			continue;
		size_t used = strlen(buf);
		snprintf(buf + used, size - used, "%s%s",
			used > 0 ? ", " : "", word);
	}
}

/* "caremail org" alone: names what may follow, rather than "unknown". */
static int
unknown_command(struct cli_args *args, int argc, char **argv, int i,
	struct error *err)
{
	char prefix[128] = "";
	for (int k = i; k < argc && argv[k][0] != '-'; k++) {
		char longer[128];
		snprintf(longer, sizeof(longer), "%s%s%s", prefix,
			prefix[0] != '\0' ? " " : "", argv[k]);
		if (!is_group(args->table, longer))
			break;
		str_copy(prefix, sizeof(prefix), longer);
	}
	if (prefix[0] == '\0')
		return cli_usage(args, err, "'%s' is not a caremail command",
			argv[i]);
	char words[200];
	next_words(args->table, prefix, words, sizeof(words));
	return cli_usage(args, err, "after '%s' comes one of: %s", prefix,
		words);
}

int
cli_args_parse(int argc, char **argv, const struct cli_table *table,
	struct cli_args *args, struct error *err)
{
	memset(args, 0, sizeof(*args));
	args->table = table;
	size_t n = argc > 0 ? (size_t)argc : 1;
	args->sets = xcalloc(n, sizeof(*args->sets));
	args->pos = xcalloc(n, sizeof(*args->pos));
	args->opts = xcalloc(n, sizeof(*args->opts));
	args->dir = getenv("CAREMAIL_DIR");
	int i = 1;
	if (take_leading_options(args, argc, argv, &i, err) < 0)
		return -1;
	if (i < argc && strcmp(argv[i], "-h") == 0) {
		args->help = true;
		i++;
	}
	if (i >= argc) {
		/* A bare `caremail --help` asks for the list of commands. */
		if (!args->help)
			return cli_usage(args, err, "no command given");
		return 0;
	}
	size_t words;
	args->command = find_command(table, argc, argv, i, &words);
	if (args->command == NULL)
		return unknown_command(args, argc, argv, i, err);
	if (take_rest(args, argc, argv, i + (int)words, err) < 0)
		return -1;
	if (args->help)
		return 0;
	return check_required(args, err) < 0 ? -1 : check_counts(args, err);
}

void
cli_args_free(struct cli_args *args)
{
	for (size_t i = 0; i < args->opt_count; i++)
		free(args->opts[i].name);
	free(args->opts);
	free(args->pos);
	free(args->sets);
	memset(args, 0, sizeof(*args));
}
