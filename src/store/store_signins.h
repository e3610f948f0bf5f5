/*
 * What a node has heard of sign-in times over a store several nodes
 * share (PostgreSQL migration 40): the part of a person's record its
 * People Finder copy (store_finder.c) has not yet taken. Layer: store,
 * private to store_finder.c, the PostgreSQL driver and its listener.
 *
 * Why: a record shows when its person last signed in, and every sign-in
 * (IMAP, POP3, SMTP AUTH, the portal) writes that time. The feed a copy
 * follows is kept for a week and would grow by each one, so a sign-in is
 * announced at commit instead (STORE_SIGNIN_CHANNEL), to every node's
 * listener, and told at once to the connection that wrote it. A node
 * keeps what it hears here; the copy's thread takes it into the copy
 * now and then (store_finder.c: each write to the copy costs its
 * readers).
 *
 * Announcements are not durable. The copy with what is heard holds every
 * sign-in only while the listener has been connected since the copy last
 * caught up (read from the database every sign-in since the time it is
 * known complete to): "complete". Each connection of the listener is
 * numbered; a lost one, or a copy made again, leaves the copy behind
 * until its thread catches up under the listener's current connection.
 * Records are read from the copy only while it is complete.
 */
#ifndef STORE_STORE_SIGNINS_H
#define STORE_STORE_SIGNINS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct signin_heard {
	int64_t person_id;
	int64_t at;
};

/*
 * Whether anything is kept (a People Finder copy takes it: store_finder.c
 * turns it on at start, off at stop, which forgets all); until then
 * nothing heard is.
 */
void signins_keep(bool on);

/* A sign-in committed (another node's announcement, or this node's). */
void signins_heard(int64_t person_id, int64_t at);
/*
 * An announcement's payload ("id time": each 1 to 18 decimal digits, and
 * above 0) into *h_r; false when it is not one.
 */
bool signins_parse(const char *payload, struct signin_heard *h_r);
/*
 * One announcement heard: signins_parse, then signins_heard; a time more
 * than five minutes ahead of this node's clock is refused (anyone who may
 * connect to the database may NOTIFY).
 */
bool signins_heard_text(const char *payload);

/* The newest sign-in heard for the person and not yet taken, or 0. */
int64_t signins_of(int64_t person_id);

/*
 * Moves whenever heard times are forgotten (taken into the copy): a
 * reader that read the copy and then what is heard, with this unmoved
 * across both, missed nothing between them.
 */
uint64_t signins_epoch(void);

/* The listener is connected and LISTENing (true), or not (false). */
void signins_listening(bool connected);

/* Whether the copy and what is heard hold every sign-in committed. */
bool signins_complete(void);

/*
 * The listener's connection the copy must catch up under (its number),
 * or 0: none is connected, or the copy has caught up under it.
 */
uint64_t signins_behind(void);

/*
 * The copy holds every sign-in committed before connection `number`
 * was listening (it read them from the database since).
 */
void signins_caught_up(uint64_t number);

/* The copy was made again: behind until it catches up. */
void signins_uncaught(void);

/* How many are held. */
size_t signins_count(void);

/*
 * Every heard time, copied into *items_r (freed by the caller), sorted by
 * person: what the copy's thread writes into the copy.
 */
size_t signins_take(struct signin_heard **items_r);

/*
 * Those taken are in the copy: each forgotten, unless heard anew since.
 * Moves the epoch first.
 */
void signins_taken(const struct signin_heard *items, size_t count);

#endif
