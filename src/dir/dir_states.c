/*
 * The states as names: one parse and one name function for each of a
 * person's status, a mailbox's kind and status, a grant's right and a
 * list's kind and state (the enums of store_types.h), and the status half
 * of the sign-in rule. The one place outside the store's edge where the
 * names are read. Layer: domain; reads nothing.
 */
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "dir/dir_internal.h"

/* ---- a person's status ---- */

static const char *const person_status_names[] = {
	[STORE_PERSON_ACTIVE] = "active",
	[STORE_PERSON_DISABLED] = "disabled",
	[STORE_PERSON_LEAVER] = "leaver",
	[STORE_PERSON_DELETED] = "deleted",
	[STORE_PERSON_INACTIVE] = "inactive",
};
#define PERSON_STATUS_COUNT \
	(sizeof(person_status_names) / sizeof(*person_status_names))

bool
dir_person_status_parse(const char *name, enum store_person_status *status_r)
{
	for (size_t i = 0; name != NULL && i < PERSON_STATUS_COUNT; i++) {
		if (strcmp(name, person_status_names[i]) == 0) {
			*status_r = (enum store_person_status)i;
			return true;
		}
	}
	return false;
}

const char *
dir_person_status_name(enum store_person_status status)
{
	return (size_t)status < PERSON_STATUS_COUNT ? person_status_names[status] :
		"unknown";
}

bool
dir_person_can_sign_in(enum store_person_status status)
{
	return status == STORE_PERSON_ACTIVE;
}

const char *
dir_status_words(enum store_person_status status)
{
	return status == STORE_PERSON_LEAVER ? "a leaver" :
		dir_person_status_name(status);
}

/* ---- a mailbox's kind and status ---- */

static const char *const mailbox_kind_names[] = {
	[STORE_MAILBOX_USER] = "user",
	[STORE_MAILBOX_SHARED] = "shared",
	[STORE_MAILBOX_RESOURCE] = "resource",
};
#define MAILBOX_KIND_COUNT \
	(sizeof(mailbox_kind_names) / sizeof(*mailbox_kind_names))

bool
dir_mailbox_kind_parse(const char *name, enum store_mailbox_kind *kind_r)
{
	for (size_t i = 0; name != NULL && i < MAILBOX_KIND_COUNT; i++) {
		if (strcmp(name, mailbox_kind_names[i]) == 0) {
			*kind_r = (enum store_mailbox_kind)i;
			return true;
		}
	}
	return false;
}

const char *
dir_mailbox_kind_name(enum store_mailbox_kind kind)
{
	return (size_t)kind < MAILBOX_KIND_COUNT ? mailbox_kind_names[kind] :
		"unknown";
}

static const char *const mailbox_status_names[] = {
	[STORE_MAILBOX_ACTIVE] = "active",
	[STORE_MAILBOX_DELETED] = "deleted",
};
#define MAILBOX_STATUS_COUNT \
	(sizeof(mailbox_status_names) / sizeof(*mailbox_status_names))

bool
dir_mailbox_status_parse(const char *name,
	enum store_mailbox_status *status_r)
{
	for (size_t i = 0; name != NULL && i < MAILBOX_STATUS_COUNT; i++) {
		if (strcmp(name, mailbox_status_names[i]) == 0) {
			*status_r = (enum store_mailbox_status)i;
			return true;
		}
	}
	return false;
}

const char *
dir_mailbox_status_name(enum store_mailbox_status status)
{
	return (size_t)status < MAILBOX_STATUS_COUNT ? mailbox_status_names[status] :
		"unknown";
}

/* ---- a grant's right ---- */

static const char *const right_names[] = {
	[STORE_GRANT_FULL_ACCESS] = "full_access",
	[STORE_GRANT_SEND_AS] = "send_as",
	[STORE_GRANT_SEND_ON_BEHALF] = "send_on_behalf",
};
#define RIGHT_COUNT \
	(sizeof(right_names) / sizeof(*right_names))

bool
dir_grant_right_parse(const char *name, enum store_grant_right *right_r)
{
	for (size_t i = 0; name != NULL && i < RIGHT_COUNT; i++) {
		if (strcmp(name, right_names[i]) == 0) {
			*right_r = (enum store_grant_right)i;
			return true;
		}
	}
	return false;
}

const char *
dir_grant_right_name(enum store_grant_right right)
{
	return (size_t)right < RIGHT_COUNT ? right_names[right] :
		"unknown";
}

/* ---- a list's kind and state ---- */

static const char *const list_kind_names[] = {
	[STORE_LIST_STATIC] = "static",
	[STORE_LIST_DYNAMIC] = "dynamic",
};
#define LIST_KIND_COUNT \
	(sizeof(list_kind_names) / sizeof(*list_kind_names))

static const char *const list_state_names[] = {
	[STORE_LIST_APPROVED] = "approved",
	[STORE_LIST_PENDING] = "pending",
	[STORE_LIST_REJECTED] = "rejected",
};
#define LIST_STATE_COUNT \
	(sizeof(list_state_names) / sizeof(*list_state_names))

bool
dir_list_kind_parse(const char *name, enum store_list_kind *kind_r)
{
	for (size_t i = 0; name != NULL && i < LIST_KIND_COUNT; i++) {
		if (strcmp(name, list_kind_names[i]) == 0) {
			*kind_r = (enum store_list_kind)i;
			return true;
		}
	}
	return false;
}

bool
dir_list_state_parse(const char *name, enum store_list_state *state_r)
{
	for (size_t i = 0; name != NULL && i < LIST_STATE_COUNT; i++) {
		if (strcmp(name, list_state_names[i]) == 0) {
			*state_r = (enum store_list_state)i;
			return true;
		}
	}
	return false;
}

const char *
dir_list_kind_name(enum store_list_kind kind)
{
	return (size_t)kind < LIST_KIND_COUNT ? list_kind_names[kind] :
		"unknown";
}

const char *
dir_list_state_name(enum store_list_state state)
{
	return (size_t)state < LIST_STATE_COUNT ? list_state_names[state] :
		"unknown";
}
