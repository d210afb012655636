/*
 * listen_addr.h — the host:port a server listens on
 *
 * Accepted: an IPv4 literal ("127.0.0.1:9187", "0.0.0.0:9187"), an IPv6
 * literal in brackets ("[::1]:9187", "[::]:9187") or "localhost" (the IPv4
 * loopback, 127.0.0.1), then a port from 1 to 65535. No name lookup: a
 * daemon's listen address should not depend on DNS at start.
 */
#ifndef WALSHIP_COMMON_LISTEN_ADDR_H
#define WALSHIP_COMMON_LISTEN_ADDR_H

#include <netinet/in.h>

#include "common/error.h"

struct ws_listen_addr {
	int family;                      /* AF_INET or AF_INET6 */
	char host[INET6_ADDRSTRLEN];     /* the numeric address, without brackets */
	int port;                        /* 1-65535; 0 (any free port) only when set by hand */
};

/*
 * Parse text. WS_ERR_INVALID with a message that says what is expected
 * (the caller adds which option and where it came from).
 */
int ws_listen_addr_parse(const char *text, struct ws_listen_addr *addr, struct ws_error *err);

/* "127.0.0.1:9187" or "[::1]:9187" */
void ws_listen_addr_format(const struct ws_listen_addr *addr, char *buf, size_t size);

#endif
