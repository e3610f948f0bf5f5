/*
 * The POP3 listeners: STLS on pop3.listen and implicit TLS on pop3s.listen
 * (SPEC A2; RFC 1939, RFC 2449 CAPA, RFC 2595 STLS, RFC 8314). Layer:
 * front end.
 */
#ifndef POP3_POP3_H
#define POP3_POP3_H

struct error;
struct instance;
struct net_tls;
struct pop3_server;
struct store_writer;

/* Starts the POP3 listeners the config enables ("off" disables one). */
struct pop3_server *pop3_server_start(const struct instance *inst,
	struct store_writer *writer, struct net_tls *tls, struct error *err);

/* Stops the listeners, waiting for sessions to end; sets *s to NULL. */
void pop3_server_stop(struct pop3_server **s);

#endif
