/*
 * MailTips (SPEC M13): what a person should know about each recipient
 * before sending — unknown, closed, a leaver, disabled, mailbox full,
 * outside the platform and not secure (with the [secure] hint), a list
 * and how many it reaches. Layer: domain. The answers follow the rules
 * mail is delivered by (mail_route, the quota rule, mail_secure), so a
 * tip never says mail will be refused when it would be taken, or the
 * other way round.
 */
#ifndef MAIL_MAIL_TIPS_H
#define MAIL_MAIL_TIPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct dir_ctx;
struct error;

/* The most recipients one question may name. */
#define MAIL_TIPS_MAX 64

enum mail_tip_kind {
	MAIL_TIP_INVALID,	/* not an address */
	MAIL_TIP_UNKNOWN,	/* a hosted domain, no such mailbox or list */
	MAIL_TIP_PERSON,
	MAIL_TIP_SHARED,
	MAIL_TIP_RESOURCE,
	MAIL_TIP_LIST,
	MAIL_TIP_EXTERNAL,	/* another domain */
};

/* Each thing worth saying, as a code the client can act on. */
enum mail_tip_code {
	MAIL_TIP_CODE_INVALID,
	MAIL_TIP_CODE_UNKNOWN,
	MAIL_TIP_CODE_DELETED,
	MAIL_TIP_CODE_LEAVER,
	MAIL_TIP_CODE_DISABLED,
	MAIL_TIP_CODE_MAILBOX_FULL,
	MAIL_TIP_CODE_LIST,
	MAIL_TIP_CODE_LIST_CLOSED,
	MAIL_TIP_CODE_EXTERNAL,
	MAIL_TIP_CODE_NOT_SECURE,
};

#define MAIL_TIP_NOTES_MAX 3

struct mail_tip_note {
	enum mail_tip_code code;
	const char *message;	/* one or two sentences, plain words */
};

/* What is known about one recipient. */
struct mail_tip {
	const char *address;	/* normalised; as asked when invalid */
	enum mail_tip_kind kind;
	bool deliverable;	/* mail sent now would be taken */
	bool secure;		/* EXTERNAL: in the secure domains */
	int64_t member_count;	/* LIST: how many it reaches; else -1 */
	struct mail_tip_note notes[MAIL_TIP_NOTES_MAX];
	size_t note_count;
};

/*
 * The tips for each of count addresses (at most MAIL_TIPS_MAX), into
 * tips_r (count entries, the caller's), allocated in ctx->arena. size:
 * the message's size in bytes when known (the mailbox-full tip is then
 * whether it fits), else 0 (whether the mailbox has any room). A bad
 * address is a tip, not an error; ERROR_LIMIT past MAIL_TIPS_MAX, or an
 * error reading the directory.
 */
int mail_tips(const struct dir_ctx *ctx, const char *const *addresses,
	size_t count, int64_t size, struct mail_tip *tips_r,
	struct error *err);

/* One recipient's tips as the API and the CLI show them. */
json_t *mail_tip_json(const struct mail_tip *t);

#endif
