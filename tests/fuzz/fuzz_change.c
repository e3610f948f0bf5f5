/*
 * Fuzz target for the change payloads nodes on a shared store send each
 * other (store_change.c, issue 14): whatever a NOTIFY on the channel
 * carries, from another node or from anyone who can reach the database.
 * Beyond not crashing: a payload read is whole (a node token within its
 * room, at least one change, "any" alone, no negative ids), and written
 * back in the same form it reads the same.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_change.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_CHANGES 8

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 8192)
		return 0;
	char *payload = malloc(size + 1);
	if (payload == NULL)
		return 0;
	memcpy(payload, data, size);
	payload[size] = '\0';
	char node[32];
	struct store_change c[MAX_CHANGES];
	size_t n = 99;
	if (store_change_parse(payload, node, sizeof(node), c, MAX_CHANGES,
		    &n) < 0) {
		free(payload);
		return 0;
	}
	if (n == 0 || n > MAX_CHANGES || node[0] == '\0' ||
	    strlen(node) >= sizeof(node) || strchr(node, ' ') != NULL)
		abort();
	for (size_t i = 0; i < n; i++) {
		if (c[i].mailbox_id < 0 || c[i].folder_id < 0 ||
		    (c[i].mailbox_id == STORE_CHANGE_ANY && n != 1))
			abort();
	}
	/* Written back as a node would write it, it reads the same. */
	char again[1024];
	size_t len = (size_t)snprintf(again, sizeof(again), "%s", node);
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(again + len, sizeof(again) - len,
			" %" PRId64 ":%" PRId64, c[i].mailbox_id, c[i].folder_id);
	char node2[32];
	struct store_change c2[MAX_CHANGES];
	size_t n2;
	if (store_change_parse(again, node2, sizeof(node2), c2, MAX_CHANGES,
		    &n2) < 0 || n2 != n || strcmp(node, node2) != 0 ||
	    memcmp(c, c2, n * sizeof(c[0])) != 0)
		abort();
	free(payload);
	return 0;
}
