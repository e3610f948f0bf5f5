/*
 * Fuzz target for a folder summary pack's bytes (mail_summary.c,
 * migration 37): whatever a folder_summary_packs row holds, from another
 * version, a damaged page or anyone who can write the database. The input
 * is part 0, then (after the first "\n--\n") a subject part, also read as
 * the ENVELOPE part. Beyond not crashing: a run decoded fills only
 * messages of the view (every one of its UIDs from 1 to 64), each with a
 * NUL-ended subject, and the same ENVELOPE but where it is "" (left as the
 * item had it), and written back decodes to the same, byte for byte.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mail/mail_folder.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define VIEW 64

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 1 << 20)
		return 0;
	struct mail_summary_bytes parts[MAIL_SUMMARY_PARTS] = { { 0 } };
	const uint8_t *cut = memmem(data, size, "\n--\n", 4);
	parts[0] = (struct mail_summary_bytes){ data,
		cut != NULL ? (size_t)(cut - data) : size };
	if (cut != NULL)
		parts[MAIL_SUMMARY_SUBJECT] = parts[MAIL_SUMMARY_ENVELOPE] =
			(struct mail_summary_bytes){ cut + 4,
				size - (size_t)(cut + 4 - data) };
	uint32_t uids[VIEW];
	struct mail_packed items[VIEW];
	memset(items, 0, sizeof(items));
	for (uint32_t i = 0; i < VIEW; i++)
		uids[i] = i + 1;
	size_t matched, entries;
	if (mail_summary_decode(parts, uids, items, VIEW, &matched,
		    &entries) < 0) {
		for (size_t i = 0; i < VIEW; i++)
			if (items[i].present)
				abort();
		return 0;
	}
	size_t present = 0;
	for (size_t i = 0; i < VIEW; i++) {
		if (!items[i].present)
			continue;
		present++;
		const char *subject = items[i].text[MAIL_SUMMARY_SUBJECT];
		const char *envelope = items[i].text[MAIL_SUMMARY_ENVELOPE];
		if (cut != NULL && subject == NULL)
			abort();
		if (cut != NULL && (subject[0] != '\0' ?
				envelope == NULL || strcmp(envelope, subject) != 0 :
				envelope != NULL))
			abort();
		if (items[i].size < 0)
			abort();
	}
	if (present != matched || matched > entries)
		abort();
	int part = cut != NULL ? MAIL_SUMMARY_SUBJECT : 0;
	size_t again_size;
	unsigned char *again = mail_summary_encode(items, uids, VIEW, part,
		&again_size);
	struct mail_summary_bytes b[MAIL_SUMMARY_PARTS] = { { 0 } };
	unsigned char *zero = NULL;
	size_t zero_size = 0;
	if (part == 0) {
		b[0] = (struct mail_summary_bytes){ again, again_size };
	} else {
		zero = mail_summary_encode(items, uids, VIEW, 0, &zero_size);
		b[0] = (struct mail_summary_bytes){ zero, zero_size };
		b[part] = (struct mail_summary_bytes){ again, again_size };
	}
	struct mail_packed back[VIEW];
	memset(back, 0, sizeof(back));
	if (mail_summary_decode(b, uids, back, VIEW, &matched, &entries) < 0 ||
	    matched != present)
		abort();
	for (size_t i = 0; i < VIEW; i++) {
		if (back[i].present != items[i].present)
			abort();
		if (!items[i].present)
			continue;
		if (back[i].size != items[i].size ||
		    back[i].internal_date != items[i].internal_date ||
		    (part != 0 &&
			    strcmp(back[i].text[part], items[i].text[part]) !=
				    0))
			abort();
	}
	free(again);
	free(zero);
	return 0;
}
