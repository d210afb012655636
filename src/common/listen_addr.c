/*
 * listen_addr.c — parse host:port for a listening socket (see listen_addr.h)
 */
#include "common/listen_addr.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "common/str.h"

#define EXPECTED "expected host:port with an IPv4 address, \"localhost\" or an IPv6 address in brackets, e.g. 127.0.0.1:9187 or [::1]:9187"

int
ws_listen_addr_parse(const char *text, struct ws_listen_addr *addr, struct ws_error *err)
{
	char host[INET6_ADDRSTRLEN];
	unsigned char bin[sizeof(struct in6_addr)];
	const char *colon;
	const char *host_start = text;
	size_t host_len;
	int64_t port;

	if (text[0] == '[') {
		const char *close = strchr(text, ']');

		if (close == NULL || close[1] != ':')
			return ws_error_set(err, WS_ERR_INVALID, EXPECTED);
		host_start = text + 1;
		host_len = (size_t) (close - host_start);
		colon = close + 1;
		addr->family = AF_INET6;
	} else {
		colon = strrchr(text, ':');
		if (colon == NULL)
			return ws_error_set(err, WS_ERR_INVALID, "no port: " EXPECTED);
		host_len = (size_t) (colon - text);
		addr->family = AF_INET;
	}
	if (host_len == 0 || host_len >= sizeof(host))
		return ws_error_set(err, WS_ERR_INVALID, EXPECTED);
	memcpy(host, host_start, host_len);
	host[host_len] = '\0';
	if (addr->family == AF_INET && strchr(host, ':') != NULL)
		return ws_error_set(err, WS_ERR_INVALID, "an IPv6 address must be in brackets, e.g. [::1]:9187");
	if (addr->family == AF_INET && strcmp(host, "localhost") == 0)
		ws_strlcpy(host, "127.0.0.1", sizeof(host));
	if (inet_pton(addr->family, host, bin) != 1)
		return ws_error_set(err, WS_ERR_INVALID, "\"%s\" is not an IP address: " EXPECTED, host);
	if (ws_parse_int64(colon + 1, 1, 65535, &port) != WS_OK)
		return ws_error_set(err, WS_ERR_INVALID, "the port must be a number from 1 to 65535");
	/* the canonical spelling, for messages and comparisons */
	if (inet_ntop(addr->family, bin, addr->host, sizeof(addr->host)) == NULL)
		return ws_error_set(err, WS_ERR_INVALID, EXPECTED);
	addr->port = (int) port;
	return WS_OK;
}

void
ws_listen_addr_format(const struct ws_listen_addr *addr, char *buf, size_t size)
{
	if (addr->family == AF_INET6)
		snprintf(buf, size, "[%s]:%d", addr->host, addr->port);
	else
		snprintf(buf, size, "%s:%d", addr->host, addr->port);
}
