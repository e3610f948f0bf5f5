/*
 * Lists that wait for approval, told by mail (SPEC P6, P12): the
 * directory's list calls (dir_list_create, dir_list_change,
 * dir_list_approve, dir_list_reject) with the mails that go with them.
 * When a list made by an owner without an admin role becomes Pending, or
 * an owner's change to an approved list starts to wait, the Local
 * Administrators of the list's org get one mail (template list-approval)
 * naming the list, who asked, what is asked and the portal's approvals
 * page. One mail per request: more changes asked for while it waits join
 * it without another mail. When an admin decides, the person who asked
 * gets the decision and the reason (template list-decision). Each mail
 * sent is audited on the list. A mail that cannot be sent does not undo
 * the change, which is committed first: it is logged, and the approvals
 * page still shows the request. Layer: domain.
 */
#ifndef MAIL_MAIL_LIST_APPROVAL_H
#define MAIL_MAIL_LIST_APPROVAL_H

#include <stdbool.h>

struct dir_ctx;
struct dir_list_change;
struct dir_list_new;
struct error;
struct store_list;
struct store_writer;

/*
 * dir_list_create, then, when the list starts Pending (in->requested_by),
 * the mail to the org's LAs. w NULL: no delivery here, no mail.
 */
int mail_list_approval_create(struct store_writer *w,
	const struct dir_ctx *ctx, const struct dir_list_new *in,
	struct store_list *l_r, struct error *err);

/*
 * dir_list_change, then the mail to the org's LAs when the change opens a
 * request: an owner's first change waiting on an approved list, or one
 * that sends a rejected list back to Pending.
 */
int mail_list_approval_change(struct store_writer *w,
	const struct dir_ctx *ctx, const char *address,
	const struct dir_list_change *c, const char *requested_by,
	bool *waiting_r, struct error *err);

/*
 * dir_list_approve (approve) or dir_list_reject (with reason), then the
 * decision mailed to the person who asked.
 */
int mail_list_approval_decide(struct store_writer *w,
	const struct dir_ctx *ctx, const char *address, bool approve,
	const char *reason, struct error *err);

#endif
