/*
 * Shared within mail/'s MIME files: GMime is started once per process,
 * whichever file needs it first. Layer: mail, private.
 */
#ifndef MAIL_MAIL_MIME_INTERNAL_H
#define MAIL_MAIL_MIME_INTERNAL_H

/* Initialises GMime once; safe from any thread, any number of times. */
void mail_mime_gmime_init(void);

#endif
