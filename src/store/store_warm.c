/*
 * A new connection made ready before the sessions come: the reads a mail
 * client's first commands make (sign-in, SELECT, FETCH, SEARCH), each run
 * once with keys no row has. On PostgreSQL a new connection's server
 * process loads each table's and index's description from the catalogs
 * the first time a statement names it, and plans each statement the
 * first time it runs: in B3, 2-3 ms of a first SELECT's 5 after a
 * restart (a second SELECT on the same connection: 0.5-1 ms). On SQLite
 * it prepares the same statements, a few microseconds each. Layer: store.
 */
#include "store/store.h"

#include "core/arena.h"
#include "core/error.h"
#include "store/store_address.h"
#include "store/store_folder.h"
#include "store/store_internal.h"
#include "store/store_mail.h"
#include "store/store_person.h"

/* What the reads below fill: a few rows' worth, none found. */
#define WARM_ARENA (64 * 1024)

void
store_warm(struct store *st)
{
	struct arena *a = arena_new(WARM_ARENA);
	if (a == NULL)
		return;
	/* No row has these keys: each read finds nothing, and says so. */
	struct error ignored;
	struct store_address address;
	struct store_person person;
	struct store_folder folder;
	struct store_folder_view view;
	struct store_summary_pack *packs;
	struct store_message *messages;
	struct store_message_flag_row *flags;
	int64_t n;
	size_t count;
	(void)store_address_get(st, "", a, &address, &ignored);
	(void)store_person_get(st, 0, a, &person, &ignored);
	int64_t changes;
	(void)store_folder_get_state(st, 0, "INBOX", a, &folder, &changes, &n,
		&ignored);
	(void)store_folder_by_id(st, 0, a, &folder, &ignored);
	(void)store_folder_changes(st, 0, &n, &ignored);
	(void)store_folder_view_get(st, 0, a, &view, &ignored);
	int64_t recent;
	(void)store_folder_open_state(st, 0, &n, &recent, &ignored);
	(void)store_folder_packs_get(st, 0, 0, ~0u, a, &packs, &count,
		&ignored);
	(void)store_message_flag_rows(st, 0, 0, 1, a, &flags, &count,
		&ignored);
	static const enum store_message_columns columns[] = {
		STORE_MESSAGE_COLUMNS_FLAGS,
		STORE_MESSAGE_COLUMNS_SEARCH,
		STORE_MESSAGE_COLUMNS_ENVELOPE,
		STORE_MESSAGE_COLUMNS_ALL,
	};
	for (size_t i = 0; i < sizeof(columns) / sizeof(*columns); i++)
		(void)store_folder_messages(st, 0, 1, 1, 1, columns[i], a,
			&messages, &count, &ignored);
	arena_free(&a);
}
