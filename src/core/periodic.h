/*
 * A thread that runs one job now and again every interval until stopped:
 * serve's sweeps and watches (the secure purge, the audit chain's check).
 * Layer: core. Stopping wakes the thread from its wait; a run under way
 * finishes first, so a job is never cut in the middle.
 */
#ifndef CORE_PERIODIC_H
#define CORE_PERIODIC_H

struct periodic;

/*
 * Runs run(arg) at once, then every interval_s seconds; with interval_s
 * 0 or less, only the once. Aborts when no thread can be made: a sweep
 * that silently never ran would be worse than no start.
 */
struct periodic *periodic_start(int interval_s, void (*run)(void *arg),
	void *arg);

/* Wakes the thread, waits for a run under way, frees; *p becomes NULL. */
void periodic_stop(struct periodic **p);

#endif
