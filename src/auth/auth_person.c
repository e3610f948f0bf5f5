/*
 * Editing a person's record with what the domain adds to the directory's
 * edit: a change of mobile number, where recovery codes go, is told to
 * the old number (SECURITY.md 40), whoever made it. Layer: domain.
 */
#include <string.h>

#include "auth/auth.h"
#include "auth/auth_sms.h"
#include "core/error.h"
#include "dir/dir.h"

int
auth_person_edit(const struct dir_ctx *ctx, struct auth_sms *sms,
	const struct store_person *before,
	const struct dir_person_fields *changes, struct store_person *p_r,
	struct error *err)
{
	/* p_r may be before: keep the old number until it is compared. */
	const char *old_mobile = before->mobile;
	if (dir_person_edit(ctx, before->address, changes, p_r, err) < 0)
		return -1;
	if (old_mobile[0] != '\0' && strcmp(old_mobile, p_r->mobile) != 0)
		auth_sms_notify(sms, old_mobile, p_r->address,
			"The mobile number on your caremail account was just "
			"changed. If this was not you, call your local IT "
			"helpdesk now.");
	return 0;
}
