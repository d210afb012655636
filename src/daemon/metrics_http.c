/*
 * metrics_http.c — the metrics endpoint's server thread (see metrics_http.h)
 *
 * Each connection goes READ (until the request head is complete) → WRITE
 * (the whole response) → DRAIN (our side shut down; what the client still
 * sends is read and dropped for a moment, so that closing with unread
 * bytes does not reset the connection before the client has read the
 * response) → closed. A connection past its deadline is closed in any
 * state.
 */
#include "daemon/metrics_http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/clock.h"
#include "daemon/http.h"

/* after the response: how long the client's leftovers are read and dropped */
#define DRAIN_MS 500
/* accept() ran out of descriptors or memory: wait this long before again */
#define ACCEPT_PAUSE_MS 100

enum client_state {
	CLIENT_FREE,
	CLIENT_READ,
	CLIENT_WRITE,
	CLIENT_DRAIN
};

struct client {
	enum client_state state;
	int fd;
	long deadline_ms;
	char in[WS_HTTP_HEAD_MAX];
	size_t inlen;
	struct ws_buf out;
	size_t sent;
};

struct ws_metrics_http {
	int listen_fd;
	int port;
	int timeout_ms;
	long accept_pause_until;
	atomic_bool stop;
	pthread_t thread;
	bool thread_started;
	pthread_mutex_t lock;          /* guards snapshot and published */
	bool lock_ready;
	struct ws_buf snapshot;
	bool published;
	struct client clients[WS_METRICS_HTTP_CLIENTS];
};

static void
client_close(struct client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->state = CLIENT_FREE;
	c->inlen = 0;
	c->sent = 0;
	ws_buf_free(&c->out);
}

/* Prepare the response and switch to writing it; close on failure. */
static void
client_respond(struct ws_metrics_http *srv, struct client *c, int status, bool head_only)
{
	int rc;

	ws_buf_reset(&c->out);
	pthread_mutex_lock(&srv->lock);
	if (status == 200 && !srv->published)
		status = 503;
	rc = ws_http_build_response(status, head_only, ws_buf_str(&srv->snapshot), srv->snapshot.len, &c->out);
	pthread_mutex_unlock(&srv->lock);
	if (rc != WS_OK) {
		client_close(c);
		return;
	}
	c->state = CLIENT_WRITE;
	c->sent = 0;
}

static void
client_read(struct ws_metrics_http *srv, struct client *c)
{
	struct ws_http_request req;
	enum ws_http_parse parsed;
	ssize_t n;

	n = recv(c->fd, c->in + c->inlen, sizeof(c->in) - c->inlen, 0);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	if (n <= 0) {
		/* gone before a complete request: nobody to answer */
		client_close(c);
		return;
	}
	c->inlen += (size_t) n;
	parsed = ws_http_parse_request(c->in, c->inlen, &req);
	if (parsed == WS_HTTP_INCOMPLETE)
		return;
	if (parsed == WS_HTTP_BAD) {
		client_respond(srv, c, 400, false);
		return;
	}
	/* client_respond turns the 200 into a 503 while nothing was published */
	client_respond(srv, c, ws_http_status_for(&req, true), strcmp(req.method, "HEAD") == 0);
}

static void
client_write(struct client *c, long now)
{
	ssize_t n = send(c->fd, c->out.data + c->sent, c->out.len - c->sent, MSG_NOSIGNAL);

	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	if (n < 0) {
		client_close(c);
		return;
	}
	c->sent += (size_t) n;
	if (c->sent < c->out.len)
		return;
	if (shutdown(c->fd, SHUT_WR) != 0) {
		client_close(c);
		return;
	}
	ws_buf_free(&c->out);
	c->state = CLIENT_DRAIN;
	if (c->deadline_ms > now + DRAIN_MS)
		c->deadline_ms = now + DRAIN_MS;
}

static void
client_drain(struct client *c)
{
	char scratch[4096];
	ssize_t n = recv(c->fd, scratch, sizeof(scratch), 0);

	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	if (n <= 0)
		client_close(c);
}

static struct client *
free_client(struct ws_metrics_http *srv)
{
	for (int i = 0; i < WS_METRICS_HTTP_CLIENTS; i++)
		if (srv->clients[i].state == CLIENT_FREE)
			return &srv->clients[i];
	return NULL;
}

/* Take the waiting connections while there is room. */
static void
accept_clients(struct ws_metrics_http *srv, long now)
{
	struct client *c;

	while ((c = free_client(srv)) != NULL) {
		int fd = accept4(srv->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
				srv->accept_pause_until = now + ACCEPT_PAUSE_MS;
			if (errno == ECONNABORTED || errno == EINTR || errno == EPROTO)
				continue;
			return;
		}
		c->fd = fd;
		c->state = CLIENT_READ;
		c->inlen = 0;
		c->deadline_ms = now + srv->timeout_ms;
		ws_buf_init(&c->out, WS_METRICS_HTTP_BODY_MAX + WS_HTTP_HEAD_MAX);
	}
}

static void
client_event(struct ws_metrics_http *srv, struct client *c, long now)
{
	switch (c->state) {
	case CLIENT_READ:
		client_read(srv, c);
		break;
	case CLIENT_WRITE:
		client_write(c, now);
		break;
	case CLIENT_DRAIN:
		client_drain(c);
		break;
	case CLIENT_FREE:
		break;
	}
}

static void *
serve(void *arg)
{
	struct ws_metrics_http *srv = arg;
	struct pollfd pfd[1 + WS_METRICS_HTTP_CLIENTS];
	int who[1 + WS_METRICS_HTTP_CLIENTS];

	while (!atomic_load(&srv->stop)) {
		long now = ws_clock_ms();
		long timeout = WS_METRICS_HTTP_POLL_MS;
		nfds_t n = 0;
		int ready;

		if (now >= srv->accept_pause_until && free_client(srv) != NULL) {
			pfd[n] = (struct pollfd) {.fd = srv->listen_fd, .events = POLLIN};
			who[n++] = -1;
		}
		for (int i = 0; i < WS_METRICS_HTTP_CLIENTS; i++) {
			struct client *c = &srv->clients[i];

			if (c->state == CLIENT_FREE)
				continue;
			if (c->deadline_ms <= now) {
				client_close(c);
				continue;
			}
			if (c->deadline_ms - now < timeout)
				timeout = c->deadline_ms - now;
			pfd[n] = (struct pollfd) {.fd = c->fd, .events = c->state == CLIENT_WRITE ? POLLOUT : POLLIN};
			who[n++] = i;
		}
		ready = poll(pfd, n, (int) timeout);
		if (ready <= 0)
			continue;
		now = ws_clock_ms();
		for (nfds_t k = 0; k < n; k++) {
			if (pfd[k].revents == 0)
				continue;
			if (who[k] < 0)
				accept_clients(srv, now);
			else
				client_event(srv, &srv->clients[who[k]], now);
		}
	}
	return NULL;
}

static int
open_listener(struct ws_metrics_http *srv, const struct ws_listen_addr *addr, struct ws_error *err)
{
	struct sockaddr_storage ss;
	socklen_t sslen;
	char text[INET6_ADDRSTRLEN + 16];
	int one = 1;

	memset(&ss, 0, sizeof(ss));
	if (addr->family == AF_INET6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *) &ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t) addr->port);
		inet_pton(AF_INET6, addr->host, &sin6->sin6_addr);
		sslen = sizeof(*sin6);
	} else {
		struct sockaddr_in *sin = (struct sockaddr_in *) &ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t) addr->port);
		inet_pton(AF_INET, addr->host, &sin->sin_addr);
		sslen = sizeof(*sin);
	}
	ws_listen_addr_format(addr, text, sizeof(text));
	srv->listen_fd = socket(addr->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (srv->listen_fd < 0)
		return ws_error_set(err, WS_ERR_IO, "could not create a socket for metrics on \"%s\": %m", text);
	/* a restart must not wait for the old connections' TIME_WAIT */
	if (setsockopt(srv->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
		bind(srv->listen_fd, (struct sockaddr *) &ss, sslen) != 0 ||
		listen(srv->listen_fd, 64) != 0)
		return ws_error_set(err, WS_ERR_IO, "could not listen for metrics on \"%s\": %m", text);
	sslen = sizeof(ss);
	if (getsockname(srv->listen_fd, (struct sockaddr *) &ss, &sslen) != 0)
		return ws_error_set(err, WS_ERR_IO, "could not read the address of the metrics socket: %m");
	srv->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *) &ss)->sin6_port
					  : ((struct sockaddr_in *) &ss)->sin_port);
	return WS_OK;
}

/* The thread inherits a full signal mask: signals stay with the main loop. */
static int
start_thread(struct ws_metrics_http *srv, struct ws_error *err)
{
	sigset_t all;
	sigset_t previous;
	int rc;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &previous);
	rc = pthread_create(&srv->thread, NULL, serve, srv);
	pthread_sigmask(SIG_SETMASK, &previous, NULL);
	if (rc != 0) {
		errno = rc;
		return ws_error_set(err, WS_ERR_IO, "could not start the metrics thread: %m");
	}
	srv->thread_started = true;
	return WS_OK;
}

int
ws_metrics_http_start(const struct ws_listen_addr *addr, int timeout_ms,
					  struct ws_metrics_http **out, struct ws_error *err)
{
	struct ws_metrics_http *srv;
	int rc;

	*out = NULL;
	srv = calloc(1, sizeof(*srv));
	if (srv == NULL)
		return ws_error_set(err, WS_ERR_NOMEM, "out of memory");
	srv->listen_fd = -1;
	srv->timeout_ms = timeout_ms;
	atomic_init(&srv->stop, false);
	ws_buf_init(&srv->snapshot, WS_METRICS_HTTP_BODY_MAX);
	for (int i = 0; i < WS_METRICS_HTTP_CLIENTS; i++) {
		srv->clients[i].fd = -1;
		ws_buf_init(&srv->clients[i].out, 0);
	}
	if (pthread_mutex_init(&srv->lock, NULL) != 0) {
		rc = ws_error_set(err, WS_ERR_NOMEM, "could not create a mutex");
		goto cleanup;
	}
	srv->lock_ready = true;
	rc = open_listener(srv, addr, err);
	if (rc == WS_OK)
		rc = start_thread(srv, err);
	if (rc == WS_OK) {
		*out = srv;
		return WS_OK;
	}
cleanup:
	ws_metrics_http_stop(srv);
	return rc;
}

int
ws_metrics_http_port(const struct ws_metrics_http *srv)
{
	return srv->port;
}

void
ws_metrics_http_publish(struct ws_metrics_http *srv, struct ws_buf *text)
{
	struct ws_buf previous;

	pthread_mutex_lock(&srv->lock);
	previous = srv->snapshot;
	srv->snapshot = *text;
	srv->published = true;
	pthread_mutex_unlock(&srv->lock);
	*text = previous;
}

void
ws_metrics_http_stop(struct ws_metrics_http *srv)
{
	if (srv == NULL)
		return;
	if (srv->thread_started) {
		atomic_store(&srv->stop, true);
		pthread_join(srv->thread, NULL);
	}
	for (int i = 0; i < WS_METRICS_HTTP_CLIENTS; i++)
		client_close(&srv->clients[i]);
	if (srv->listen_fd >= 0)
		close(srv->listen_fd);
	if (srv->lock_ready)
		pthread_mutex_destroy(&srv->lock);
	ws_buf_free(&srv->snapshot);
	free(srv);
}
