/*
 * The IMAP listeners: IMAP4rev1 with STARTTLS on imap.listen and implicit
 * TLS on imaps.listen (SPEC A1, A3; RFC 3501, 8314). Layer: front end.
 */
#ifndef IMAP_IMAP_H
#define IMAP_IMAP_H

struct error;
struct imap_server;
struct instance;
struct net_tls;
struct store_writer;

/*
 * Starts the IMAP listeners the config enables (imap.listen, imaps.listen;
 * "off" disables one). Changes go through `writer`; TLS uses `tls`. Both
 * must outlive the server. ERROR_EXISTS when an address is in use.
 */
struct imap_server *imap_server_start(const struct instance *inst,
	struct store_writer *writer, struct net_tls *tls, struct error *err);

/* Stops the listeners, waiting for sessions to end; sets *s to NULL. */
void imap_server_stop(struct imap_server **s);

#endif
