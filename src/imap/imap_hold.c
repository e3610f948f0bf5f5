/*
 * What an IMAP session holds between commands: its pooled store connection
 * (taken at sign-in, given back while IDLE waits), its scratch arenas, and
 * one of the person's session slots. Called by the session and by the
 * commands that sign in and wait; it calls neither. Layer: front end.
 * SECURITY: imap.max_per_user sessions per person (SECURITY.md item 17);
 * the command arena is a wiping one, as it may hold a password.
 */
#include <string.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/log.h"
#include "core/net.h"
#include "core/tally.h"
#include "imap/imap_internal.h"
#include "instance/instance.h"

int
imap_store_open(struct imap_session *s, struct error *err)
{
	if (s->store != NULL)
		return 0;
	s->store = instance_store_borrow(s->server->inst, err);
	if (s->store == NULL) {
		log_error("imap.store", "peer=%s reason=\"%s\"",
			net_peer(s->conn), err->msg);
		return error_set(err, ERROR_TEMPORARY,
			"mail cannot be read just now; try again later");
	}
	s->ctx.store = s->store;
	return 0;
}

void
imap_session_release(struct imap_session *s)
{
	instance_store_return(s->server->inst, &s->store);
	s->ctx.store = NULL;
	arena_free(&s->page);
	arena_free(&s->msg);
	s->page = arena_new(IMAP_PAGE_ARENA_CAP);
	s->msg = arena_new(IMAP_MSG_ARENA_CAP(s->server));
	if (s->tag.len >= sizeof(s->tag_kept))
		return; /* a tag this long keeps its arena */
	memcpy(s->tag_kept, s->tag.p, s->tag.len);
	s->tag = span_make(s->tag_kept, s->tag.len);
	arena_free(&s->cmd);
	s->cmd = arena_new_wiping(IMAP_CMD_ARENA_CAP(s->server));
	s->ctx.arena = s->cmd;
}

bool
imap_session_claim(struct imap_session *s)
{
	if (s->claimed)
		return true;
	s->claimed = tally_take(s->server->sessions, s->user.address, 1,
		s->server->max_per_user);
	return s->claimed;
}
