/*
 * Amounts held per key with a cap: connections per signed-in person,
 * literal bytes per person waiting in the IMAP server (SECURITY.md 31,
 * 35). Layer: core. Thread-safe. Only keys with something held take
 * memory, and the keys are signed-in people, never a client's input
 * before sign-in, so the table cannot be flooded.
 */
#ifndef CORE_TALLY_H
#define CORE_TALLY_H

#include <stdbool.h>
#include <stdint.h>

struct tally;

struct tally *tally_new(void);
/* Frees the table; every amount must have been released. */
void tally_free(struct tally **t);

/*
 * Takes `amount` more for key if what key holds stays at or under cap (a
 * cap of 0 means no cap); false, taking nothing, when it would not.
 */
bool tally_take(struct tally *t, const char *key, int64_t amount,
	int64_t cap);

/* Gives back an amount taken for key. */
void tally_give(struct tally *t, const char *key, int64_t amount);

/* What key holds now. */
int64_t tally_held(struct tally *t, const char *key);

#endif
