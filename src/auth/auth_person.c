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
	const char *address, const struct dir_person_fields *changes,
	struct store_person *p_r, struct error *err)
{
	struct store_person before;
	if (dir_person_get(ctx, address, &before, err) < 0 ||
	    dir_person_edit(ctx, address, changes, p_r, err) < 0)
		return -1;
	if (before.mobile[0] != '\0' && strcmp(before.mobile, p_r->mobile) != 0)
		auth_sms_notify(sms, before.mobile, p_r->address,
			"The mobile number on your caremail account was just "
			"changed. If this was not you, call your local IT "
			"helpdesk now.");
	return 0;
}
