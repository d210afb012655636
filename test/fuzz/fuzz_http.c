/*
 * fuzz_http.c — fuzz target for the request parser of walshipd's metrics
 * endpoint (src/daemon/http.c)
 *
 * Anyone who can reach metrics-listen can send anything. The input is a
 * request as received, parsed whole and, as the server does, only its
 * first WS_HTTP_HEAD_MAX bytes; a complete request is answered into a
 * capped buffer. Built with libFuzzer by `configure --enable-fuzzing`, and
 * replayed over the corpus in test/fuzz/corpus/http by `make check`.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "daemon/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
answer(const char *data, size_t size)
{
	struct ws_http_request req;
	struct ws_buf out;
	int status;

	memset(&req, 0, sizeof(req));
	switch (ws_http_parse_request(data, size, &req)) {
	case WS_HTTP_INCOMPLETE:
		if (size >= WS_HTTP_HEAD_MAX)
			abort();  /* the server would wait for ever */
		return;
	case WS_HTTP_BAD:
		status = 400;
		break;
	case WS_HTTP_COMPLETE:
		if (memchr(req.method, '\0', sizeof(req.method)) == NULL ||
			memchr(req.path, '\0', sizeof(req.path)) == NULL)
			abort();
		status = ws_http_status_for(&req, size % 2 == 0);
		break;
	default:
		abort();
	}
	ws_buf_init(&out, 4096);
	if (ws_http_build_response(status, strcmp(req.method, "HEAD") == 0, "walship_up 1\n", 13, &out) != 0)
		abort();
	ws_buf_free(&out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	answer((const char *) data, size);
	if (size > WS_HTTP_HEAD_MAX)
		answer((const char *) data, WS_HTTP_HEAD_MAX);
	return 0;
}
