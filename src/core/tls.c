int tls_placeholder(void); int tls_placeholder(void) { return 0; }
