/*
 * The SMTP listeners: inbound mail (MX), submission with STARTTLS and
 * submission over implicit TLS (SPEC M1, M2; RFC 5321, 3207, 4954, 8314).
 * Layer: front end.
 */
#ifndef SMTP_SMTP_H
#define SMTP_SMTP_H

struct error;
struct instance;
struct net_tls;
struct smtp_server;
struct store_writer;

/*
 * Starts every SMTP listener the config enables (smtp.listen,
 * submission.listen, submissions.listen; "off" disables one). Deliveries
 * go through `writer`; TLS uses `tls`. Both must outlive the server.
 */
struct smtp_server *smtp_server_start(const struct instance *inst,
	struct store_writer *writer, struct net_tls *tls, struct error *err);

/* Stops the listeners, waiting for sessions to end; sets *s to NULL. */
void smtp_server_stop(struct smtp_server **s);

#endif
