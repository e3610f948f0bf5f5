/*
 * Fuzz target for a stored folder view's bytes (mail_view.c, migration
 * 32): whatever the folder_views row holds, from an older or newer
 * version, a damaged page or anyone who can write the database. Beyond
 * not crashing: a view read is whole (UIDs ascending, every list named
 * exists and is not empty, flags within the stored bits), and written
 * back it reads the same, byte for byte.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mail/mail_folder.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 1 << 20)
		return 0;
	struct mail_folder_view v;
	if (mail_view_decode(data, size, &v) < 0)
		return 0;
	for (size_t i = 0; i < v.count; i++) {
		if ((i > 0 && v.uids[i] <= v.uids[i - 1]) || v.uids[i] == 0 ||
		    (v.flags[i] & ~0x1fu) != 0 || v.list_of[i] > v.list_count)
			abort();
	}
	for (size_t i = 0; i < v.list_count; i++) {
		if (v.lists[i] == NULL || v.lists[i][0] == '\0')
			abort();
	}
	size_t again_size;
	unsigned char *again = mail_view_encode(&v, &again_size);
	struct mail_folder_view w;
	if (mail_view_decode(again, again_size, &w) < 0 ||
	    w.count != v.count || w.list_count != v.list_count ||
	    (v.count > 0 &&
		    (memcmp(w.uids, v.uids, v.count * sizeof(*v.uids)) != 0 ||
			    memcmp(w.flags, v.flags, v.count) != 0 ||
			    memcmp(w.list_of, v.list_of,
				    v.count * sizeof(*v.list_of)) != 0)))
		abort();
	for (size_t i = 0; i < v.list_count; i++) {
		if (strcmp(w.lists[i], v.lists[i]) != 0)
			abort();
	}
	free(again);
	mail_folder_view_free(&w);
	mail_folder_view_free(&v);
	return 0;
}
