/*
 * `caremail help` and `caremail version`: the command table as text,
 * wrapped to fit a terminal. Layer: front end.
 */
#include <stdio.h>
#include <string.h>

#include "caremail_version.h"
#include "cli/cli_internal.h"
#include "core/error.h"
#include "core/str.h"

#define HELP_WIDTH 78

/* Prints text word-wrapped, every line after the first indented. */
static void
print_wrapped(FILE *out, const char *text, size_t first_indent,
	size_t indent)
{
	size_t col = first_indent;
	struct span rest = span_from_cstr(text);
	struct span word;
	fprintf(out, "%*s", (int)first_indent, "");
	bool line_empty = true;
	while (span_split(&rest, ' ', &word)) {
		if (word.len == 0)
			continue;
		if (!line_empty && col + 1 + word.len > HELP_WIDTH) {
			fprintf(out, "\n%*s", (int)indent, "");
			col = indent;
			line_empty = true;
		}
		if (!line_empty) {
			fputc(' ', out);
			col++;
		}
		fprintf(out, "%.*s", (int)word.len, word.p);
		col += word.len;
		line_empty = false;
	}
	fputc('\n', out);
}

static void
print_command(FILE *out, const struct cli_command *cmd)
{
	char line[1024];
	snprintf(line, sizeof(line), "caremail %s %s", cmd->name, cmd->usage);
	print_wrapped(out, line, 2, 6);
	print_wrapped(out, cmd->summary, 6, 6);
}

static bool
starts_with_words(const char *name, const char *topic)
{
	size_t len = strlen(topic);
	return strncmp(name, topic, len) == 0 &&
	    (name[len] == '\0' || name[len] == ' ');
}

static size_t
print_matching(FILE *out, const struct cli_table *t, const char *topic)
{
	size_t printed = 0;
	for (size_t i = 0; i < t->count; i++) {
		if (topic == NULL || starts_with_words(t->commands[i].name,
					     topic)) {
			print_command(out, &t->commands[i]);
			printed++;
		}
	}
	return printed;
}

void
cli_help_print(FILE *out, const struct cli_table *table, const char *topic)
{
	if (topic != NULL && topic[0] == '\0')
		topic = NULL;
	if (topic == NULL || strcmp(topic, "help") == 0) {
		fputs("Usage: caremail COMMAND [ARGUMENTS] [--dir DIR] "
			"[--json] [--set SECTION.KEY=VALUE]...\n\n"
			"Every command takes --dir DIR (or $CAREMAIL_DIR), "
			"prints JSON with --json,\n"
			"and accepts --set to override a setting of the "
			"instance's config file.\n\n"
			"Commands:\n", out);
		topic = NULL;
	}
	print_matching(out, table, topic);
}

int
cli_help(struct cli_args *args, struct error *err)
{
	char topic[256] = "";
	for (size_t i = 0; i < args->pos_count; i++) {
		size_t len = strlen(topic);
		snprintf(topic + len, sizeof(topic) - len, "%s%s",
			i > 0 ? " " : "", args->pos[i]);
	}
	if (topic[0] != '\0' && strcmp(topic, "help") != 0) {
		bool any = false;
		for (size_t i = 0; i < args->table->count && !any; i++)
			any = starts_with_words(args->table->commands[i].name,
				topic);
		if (!any)
			return cli_usage(args, err,
				"'%s' is not a caremail command", topic);
	}
	cli_help_print(stdout, args->table, topic);
	return 0;
}

int
cli_version(struct cli_args *args, struct error *err)
{
	(void)err;
	if (args->json)
		cli_print(args, json_pack("{s:s}", "version", CAREMAIL_VERSION),
			NULL);
	else
		printf("caremail %s\n", CAREMAIL_VERSION);
	return 0;
}
