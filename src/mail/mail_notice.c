/*
 * Notices by email from templates (mail_notice.h). A template is read at
 * each send, so an operator's edit takes effect without a restart; the
 * fields are substituted once, left to right, so a value holding
 * "{{...}}" is never expanded again. Layer: domain.
 */
#include "mail/mail_notice.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/file.h"
#include "core/str.h"
#include "dir/dir.h"
#include "mail/mail.h"

#define TEMPLATE_MAX (64 * 1024)

const struct mail_notice_template mail_notice_templates[] = {
	{ "inactive",
	  "Subject: Your account is now inactive\n\n"
	  "Dear {{name}},\n\n"
	  "Your account {{address}} has not been used for a long time, so it "
	  "is now inactive.\nSign in to make it active again at once. If you "
	  "do not, it will be deleted on {{date}}.\n\n"
	  "If you no longer need it, you need do nothing.\n",
	  NULL },
	{ "warning",
	  "Subject: Your account will be {{step}} on {{date}}\n\n"
	  "Dear {{name}},\n\n"
	  "Your account {{address}} will be {{step}} on {{date}}, in "
	  "{{lead_days}} day(s): {{reason}}.\n\n"
	  "To keep it, sign in before then. If you think this is wrong, ask "
	  "your local administrator.\n",
	  NULL },
	{ "leaver",
	  "Subject: You have been marked as leaving {{org}}\n\n"
	  "Dear {{name}},\n\n"
	  "{{org}} has marked you as a leaver. Your account {{address}} stays "
	  "yours until {{date}}: if you join another organisation on this "
	  "service before then, ask its local administrator to add you, and "
	  "you keep your address and your mail.\n\n"
	  "If nobody adds you by {{date}}, the account is deleted, and its "
	  "mail is destroyed 30 days later. Save anything you need to keep "
	  "before you go.\n",
	  "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	  "<title>You have been marked as leaving {{org}}</title></head>\n"
	  "<body style=\"font-family: Arial, sans-serif; color: #212b32\">\n"
	  "<p>Dear {{name}},</p>\n"
	  "<p><strong>{{org}}</strong> has marked you as a leaver. Your "
	  "account <strong>{{address}}</strong> stays yours until "
	  "<strong>{{date}}</strong>: if you join another organisation on "
	  "this service before then, ask its local administrator to add you, "
	  "and you keep your address and your mail.</p>\n"
	  "<p>If nobody adds you by {{date}}, the account is deleted, and its "
	  "mail is destroyed 30 days later. Save anything you need to keep "
	  "before you go.</p>\n</body></html>\n" },
	{ "digest",
	  "Subject: Accounts that changed in {{org}}\n\n"
	  "The scheduled jobs changed these accounts of {{org}} on {{date}}:\n\n"
	  "{{changes}}\n"
	  "You are told because you are a local administrator of {{org}}. "
	  "An account made inactive comes back when its owner signs in; you "
	  "can restore a deleted one until it is purged.\n",
	  NULL },
	/* Guests and add-on licences (mail_guest_jobs.c, SPEC L8, L9). */
	{ "guest-confirm",
	  "Subject: Please confirm your guest {{guest}} still needs access\n\n"
	  "You invited {{guest_name}} ({{guest}}) into {{ods}} as a guest. "
	  "Confirm by {{due}} that they still need access: in the portal's "
	  "Guests page, or ask a Local Administrator.\n\n"
	  "If nobody confirms by then, the guest is removed.\n",
	  NULL },
	{ "guest-orphan",
	  "Subject: Guest {{guest}} needs a new inviter\n\n"
	  "{{inviter}}, who invited the guest {{guest_name}} ({{guest}}) into "
	  "{{ods}}, has left, moved organisation or been disabled, and can no "
	  "longer answer for them. Give the guest a new inviter, who must "
	  "confirm by {{due}}, or the guest is removed then.\n",
	  NULL },
	{ "guest-removed",
	  "Subject: Guest {{guest}} was removed\n\n"
	  "The guest {{guest_name}} ({{guest}}) of {{ods}} was removed: nobody "
	  "confirmed by {{due}} that they still need access. An eligible "
	  "person of the organisation may invite them again.\n",
	  NULL },
	{ "licence-expiry",
	  "Subject: {{addon}} licences for {{ods}}: {{when}}\n\n"
	  "The {{addon}} add-on of {{ods}} {{when}}. {{used}} of its {{quota}} "
	  "licences are held.\n\n"
	  "Renew it, or free the licences of people who no longer need it. "
	  "You are told because you are a Local Administrator of {{ods}}.\n",
	  NULL },
	/* Lists that wait for approval (mail_list_approval.c, SPEC P6). */
	{ "list-approval",
	  "Subject: Approval asked for the list {{name}} ({{list}})\n\n"
	  "{{requested_by}} asks for {{request}} {{name}} ({{list}}) in "
	  "{{org}}:\n\n{{change}}\n\n"
	  "Until a Local Administrator approves, mail to a new list is "
	  "refused and a changed list works as it was approved. Approve or "
	  "reject it on the list approvals page:\n{{url}}\n\n"
	  "You are told because you are a Local Administrator of {{org}}. "
	  "More changes asked for while this one waits join it without "
	  "another mail: the page shows the request as it stands.\n",
	  NULL },
	{ "list-decision",
	  "Subject: Your request for the list {{name}} was {{decision}}\n\n"
	  "{{decided_by}} {{decision}} your request for {{request}} {{name}} "
	  "({{list}}) in {{org}}:\n\n{{change}}\n\n"
	  "{{result}}\n\n"
	  "The list: {{url}}\n",
	  NULL },
	{ "shared-inactive",
	  "Subject: The shared mailbox {{mailbox}} will be deleted on {{date}} "
	  "unless you keep it\n\n"
	  "Dear {{name}},\n\n"
	  "The shared mailbox {{mailbox_name}} ({{mailbox}}) of {{org}} has not "
	  "been used since {{last_used}}. A shared mailbox unused for {{days}} "
	  "days is deleted unless someone confirms it is still needed, so it "
	  "will be deleted on {{date}}.\n\n"
	  "To keep it, open this link and press \"Keep this mailbox\":\n"
	  "{{link}}\n\n"
	  "You are told because {{why}}. If it is no longer needed, you need "
	  "do nothing. Its address is never given to anything else.\n",
	  "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	  "<title>The shared mailbox {{mailbox}} will be deleted on {{date}}"
	  "</title></head>\n"
	  "<body style=\"font-family: Arial, sans-serif; color: #212b32\">\n"
	  "<p>Dear {{name}},</p>\n"
	  "<p>The shared mailbox <strong>{{mailbox_name}}</strong> "
	  "({{mailbox}}) of {{org}} has not been used since {{last_used}}. A "
	  "shared mailbox unused for {{days}} days is deleted unless someone "
	  "confirms it is still needed, so it will be deleted on "
	  "<strong>{{date}}</strong>.</p>\n"
	  "<p><a href=\"{{link}}\">Keep this mailbox</a> (the page that opens "
	  "has one button to press).</p>\n"
	  "<p>You are told because {{why}}. If it is no longer needed, you need "
	  "do nothing. Its address is never given to anything else.</p>\n"
	  "</body></html>\n" },
	{ "shared-deleted",
	  "Subject: The shared mailbox {{mailbox}} has been deleted\n\n"
	  "Dear {{name}},\n\n"
	  "The shared mailbox {{mailbox_name}} ({{mailbox}}) of {{org}} was "
	  "deleted on {{date}}: it had not been used since {{last_used}}, and "
	  "nobody confirmed it was still needed after the notice of "
	  "{{noticed}}.\n\n"
	  "You are told because {{why}}. Its address is never given to "
	  "anything else. If it is needed after all, ask a local "
	  "administrator of {{org}}.\n",
	  NULL },
	{ NULL, NULL, NULL },
};

static const struct mail_notice_template *
find_default(const char *name)
{
	for (const struct mail_notice_template *t = mail_notice_templates;
	     t->name != NULL; t++) {
		if (strcmp(t->name, name) == 0)
			return t;
	}
	return NULL;
}

/* The file's text, or def when it is absent; NULL with err otherwise. */
static const char *
load(const struct dir_ctx *ctx, const char *name, const char *ext,
	const char *def, struct error *err)
{
	if (ctx->instance_dir == NULL)
		return def;
	char *path = arena_printf(ctx->arena, "%s/templates/%s.%s",
		ctx->instance_dir, name, ext);
	if (path == NULL)
		return (error_set(err, ERROR_LIMIT, "no memory for a template"),
			NULL);
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		if (errno == ENOENT)
			return def;
		return (error_set(err, ERROR_INTERNAL, "cannot read %s: %s",
			path, strerror(errno)), NULL);
	}
	char *buf = arena_alloc(ctx->arena, TEMPLATE_MAX + 1);
	size_t n = buf != NULL ? fread(buf, 1, TEMPLATE_MAX + 1, f) : 0;
	fclose(f);
	if (buf == NULL || n > TEMPLATE_MAX)
		return (error_set(err, ERROR_LIMIT, "the template %s is longer "
			"than %d bytes", path, TEMPLATE_MAX), NULL);
	buf[n] = '\0';
	return buf;
}

enum escape { ESCAPE_TEXT, ESCAPE_HTML, ESCAPE_LINE };

static int
put_value(struct str *out, const char *v, enum escape how)
{
	for (const char *p = v; *p != '\0'; p++) {
		int rc;
		switch (how == ESCAPE_HTML ? *p : 0) {
		case '<':
			rc = str_append_cstr(out, "&lt;");
			break;
		case '>':
			rc = str_append_cstr(out, "&gt;");
			break;
		case '&':
			rc = str_append_cstr(out, "&amp;");
			break;
		case '"':
			rc = str_append_cstr(out, "&quot;");
			break;
		case '\'':
			rc = str_append_cstr(out, "&#39;");
			break;
		default: {
			char c = *p;
			/* A subject stays one line whatever a value holds. */
			if (how == ESCAPE_LINE && (c == '\r' || c == '\n' ||
				    (unsigned char)c < 0x20))
				c = ' ';
			rc = str_append(out, &c, 1);
		}
		}
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* {{name}} replaced by its field's value; an unknown name by nothing. */
static const char *
render(struct arena *a, const char *tpl, size_t len,
	const struct mail_notice_field *fields, size_t count, enum escape how)
{
	/* Room for every value used a few times, escaped (at most 6 bytes). */
	size_t values = 0;
	for (size_t f = 0; f < count; f++)
		values += fields[f].value != NULL ? strlen(fields[f].value) : 0;
	struct str out;
	str_init(&out, a, len + 4 * 6 * values + 1024);
	size_t i = 0;
	while (i < len) {
		const char *open = i + 1 < len ?
			memmem(tpl + i, len - i, "{{", 2) : NULL;
		const char *close = open != NULL ?
			memmem(open + 2, len - (size_t)(open + 2 - tpl), "}}", 2) :
			NULL;
		if (open == NULL || close == NULL) {
			if (str_append(&out, tpl + i, len - i) < 0)
				return NULL;
			break;
		}
		if (str_append(&out, tpl + i, (size_t)(open - (tpl + i))) < 0)
			return NULL;
		size_t nlen = (size_t)(close - open - 2);
		for (size_t f = 0; f < count; f++) {
			if (strlen(fields[f].name) == nlen &&
			    memcmp(fields[f].name, open + 2, nlen) == 0 &&
			    put_value(&out, fields[f].value != NULL ?
				    fields[f].value : "", how) < 0)
				return NULL;
		}
		i = (size_t)(close + 2 - tpl);
	}
	return str_cstr(&out);
}

int
mail_notice_render(const struct dir_ctx *ctx, const char *name,
	const struct mail_notice_field *fields, size_t count,
	const char **subject_r, const char **text_r, const char **html_r,
	struct error *err)
{
	const struct mail_notice_template *def = find_default(name);
	const char *text = load(ctx, name, "txt", def != NULL ? def->text :
		NULL, err);
	const char *html = text == NULL ? NULL : load(ctx, name, "html",
		def != NULL ? def->html : NULL, err);
	if (text == NULL)
		return def == NULL && err->code != ERROR_LIMIT ?
			error_set(err, ERROR_NOT_FOUND, "there is no notice "
				"template %s", name) : -1;
	/* "Subject: ..." then a blank line, as a message's header would. */
	if (strncmp(text, "Subject:", 8) != 0)
		return error_set(err, ERROR_INVALID, "the template %s.txt must "
			"start with a Subject: line", name);
	const char *eol = strchr(text, '\n');
	const char *subj = text + 8;
	size_t slen = eol != NULL ? (size_t)(eol - subj) : strlen(subj);
	while (slen > 0 && (*subj == ' ' || *subj == '\t')) {
		subj++;
		slen--;
	}
	while (slen > 0 && (subj[slen - 1] == '\r' || subj[slen - 1] == ' '))
		slen--;
	const char *body = eol != NULL ? eol + 1 : "";
	while (*body == '\r' || *body == '\n')
		body++;
	*subject_r = render(ctx->arena, subj, slen, fields, count,
		ESCAPE_LINE);
	*text_r = render(ctx->arena, body, strlen(body), fields, count,
		ESCAPE_TEXT);
	*html_r = html == NULL ? NULL : render(ctx->arena, html, strlen(html),
		fields, count, ESCAPE_HTML);
	if (*subject_r == NULL || *text_r == NULL ||
	    (html != NULL && *html_r == NULL))
		return error_set(err, ERROR_LIMIT, "no memory for the notice");
	return 0;
}

int
mail_notice_send(struct store_writer *w, const struct dir_ctx *ctx,
	const char *name, const struct mail_notice_field *fields, size_t count,
	const char *to_address, int64_t to_mailbox_id, struct error *err)
{
	const char *subject, *text, *html;
	if (mail_notice_render(ctx, name, fields, count, &subject, &text, &html,
		    err) < 0)
		return -1;
	const struct mail_postmaster_mail pm = { .subject = subject,
		.text = text, .html = html };
	/* Straight to the mailbox: an Inactive or leaving person's too. */
	struct mail_recipient to = { .kind = MAIL_ROUTE_LOCAL,
		.address = to_address, .mailbox_id = to_mailbox_id };
	return mail_postmaster_deliver(w, ctx, &pm, &to, 1, err);
}

int
mail_notice_send_to(struct store_writer *w, const struct dir_ctx *ctx,
	const char *name, const struct mail_notice_field *fields, size_t count,
	const char *const *to, size_t n, size_t *sent_r, struct error *err)
{
	const char *subject, *text, *html;
	if (sent_r != NULL)
		*sent_r = 0;
	if (mail_notice_render(ctx, name, fields, count, &subject, &text, &html,
		    err) < 0)
		return -1;
	const struct mail_postmaster_mail pm = { .subject = subject,
		.text = text, .html = html };
	return mail_postmaster_send(w, ctx, &pm, to, n, sent_r, err);
}

static int
write_new(const char *path, const char *text, struct error *err)
{
	FILE *f = fopen(path, "wx");
	if (f == NULL)
		return errno == EEXIST ? 0 : error_set(err, ERROR_INTERNAL,
			"cannot write %s: %s", path, strerror(errno));
	bool ok = fputs(text, f) >= 0;
	if (fclose(f) != 0 || !ok)
		return error_set(err, ERROR_INTERNAL, "cannot write %s", path);
	return 0;
}

int
mail_notice_write_defaults(const char *dir, struct error *err)
{
	if (mkdir(dir, 0750) < 0 && errno != EEXIST)
		return error_set(err, ERROR_INTERNAL, "cannot make %s: %s", dir,
			strerror(errno));
	char path[4096];
	for (const struct mail_notice_template *t = mail_notice_templates;
	     t->name != NULL; t++) {
		snprintf(path, sizeof(path), "%s/%s.txt", dir, t->name);
		if (write_new(path, t->text, err) < 0)
			return -1;
		if (t->html == NULL)
			continue;
		snprintf(path, sizeof(path), "%s/%s.html", dir, t->name);
		if (write_new(path, t->html, err) < 0)
			return -1;
	}
	return 0;
}
