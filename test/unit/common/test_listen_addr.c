/*
 * test_listen_addr.c — unit tests for src/common/listen_addr.c
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>
#include <sys/socket.h>

#include "common/error.h"
#include "common/listen_addr.h"

static void
check_ok(const char *text, int family, const char *host, int port, const char *formatted)
{
	struct ws_listen_addr addr;
	struct ws_error err;
	char buf[64];

	ws_error_clear(&err);
	if (ws_listen_addr_parse(text, &addr, &err) != WS_OK)
		fail_msg("\"%s\" refused: %s", text, err.message);
	assert_int_equal(addr.family, family);
	assert_string_equal(addr.host, host);
	assert_int_equal(addr.port, port);
	ws_listen_addr_format(&addr, buf, sizeof(buf));
	assert_string_equal(buf, formatted);
}

static void
check_bad(const char *text, const char *message_part)
{
	struct ws_listen_addr addr;
	struct ws_error err;

	ws_error_clear(&err);
	assert_int_equal(ws_listen_addr_parse(text, &addr, &err), WS_ERR_INVALID);
	if (strstr(err.message, message_part) == NULL)
		fail_msg("\"%s\": message \"%s\" lacks \"%s\"", text, err.message, message_part);
}

static void
test_accepted(void **state)
{
	(void) state;
	check_ok("127.0.0.1:9187", AF_INET, "127.0.0.1", 9187, "127.0.0.1:9187");
	check_ok("0.0.0.0:1", AF_INET, "0.0.0.0", 1, "0.0.0.0:1");
	check_ok("localhost:65535", AF_INET, "127.0.0.1", 65535, "127.0.0.1:65535");
	check_ok("[::1]:9187", AF_INET6, "::1", 9187, "[::1]:9187");
	check_ok("[::]:80", AF_INET6, "::", 80, "[::]:80");
	/* the canonical spelling */
	check_ok("[0:0:0:0:0:0:0:1]:9187", AF_INET6, "::1", 9187, "[::1]:9187");
}

static void
test_refused(void **state)
{
	(void) state;
	check_bad("", "expected host:port");
	check_bad("9187", "no port");
	check_bad("127.0.0.1", "no port");
	check_bad(":9187", "expected host:port");
	check_bad("127.0.0.1:", "port must be a number from 1 to 65535");
	check_bad("127.0.0.1:0", "from 1 to 65535");
	check_bad("127.0.0.1:65536", "from 1 to 65535");
	check_bad("127.0.0.1:-1", "from 1 to 65535");
	check_bad("127.0.0.1:91x", "from 1 to 65535");
	check_bad("127.0.0.1: 9187", "from 1 to 65535");
	check_bad("127.0.0.256:9187", "\"127.0.0.256\" is not an IP address");
	check_bad("example.com:9187", "\"example.com\" is not an IP address");
	check_bad("::1:9187", "must be in brackets");
	check_bad("[::1]9187", "expected host:port");
	check_bad("[::1:9187", "expected host:port");
	check_bad("[]:9187", "expected host:port");
	check_bad("[127.0.0.1]:9187", "is not an IP address");
	check_bad("[localhost]:9187", "is not an IP address");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accepted),
		cmocka_unit_test(test_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
