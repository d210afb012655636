/*
 * test_s3.c — unit tests for src/storage/s3/s3.c without a server
 *
 * The retry decision, the backoff schedule, how S3 error answers become
 * walship errors, configuration checks, and the parts of a write that
 * need no network (fault injection, abort before anything was sent).
 * Requests against a real server are in test/integration/t_s3_storage.sh.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "storage/s3/s3.h"
#include "storage/storage.h"

#define SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"

static void
test_retryable(void **state)
{
	(void) state;
	/* answers */
	assert_false(ws_s3_retryable(CURLE_OK, 200));
	assert_false(ws_s3_retryable(CURLE_OK, 204));
	assert_false(ws_s3_retryable(CURLE_OK, 301));
	assert_false(ws_s3_retryable(CURLE_OK, 400));
	assert_false(ws_s3_retryable(CURLE_OK, 403));
	assert_false(ws_s3_retryable(CURLE_OK, 404));
	assert_false(ws_s3_retryable(CURLE_OK, 409));
	assert_false(ws_s3_retryable(CURLE_OK, 412));
	assert_true(ws_s3_retryable(CURLE_OK, 429));
	assert_true(ws_s3_retryable(CURLE_OK, 500));
	assert_true(ws_s3_retryable(CURLE_OK, 502));
	assert_true(ws_s3_retryable(CURLE_OK, 503));
	assert_true(ws_s3_retryable(CURLE_OK, 504));

	/* no answer */
	assert_true(ws_s3_retryable(CURLE_COULDNT_CONNECT, 0));
	assert_true(ws_s3_retryable(CURLE_COULDNT_RESOLVE_HOST, 0));
	assert_true(ws_s3_retryable(CURLE_OPERATION_TIMEDOUT, 0));
	assert_true(ws_s3_retryable(CURLE_SEND_ERROR, 0));
	assert_true(ws_s3_retryable(CURLE_RECV_ERROR, 0));
	assert_true(ws_s3_retryable(CURLE_GOT_NOTHING, 0));
	assert_true(ws_s3_retryable(CURLE_PARTIAL_FILE, 0));
	assert_true(ws_s3_retryable(CURLE_SSL_CONNECT_ERROR, 0));

	/* our own or permanent failures */
	assert_false(ws_s3_retryable(CURLE_WRITE_ERROR, 200));
	assert_false(ws_s3_retryable(CURLE_OUT_OF_MEMORY, 0));
	assert_false(ws_s3_retryable(CURLE_URL_MALFORMAT, 0));
	assert_false(ws_s3_retryable(CURLE_PEER_FAILED_VERIFICATION, 0));
	assert_false(ws_s3_retryable(CURLE_UNSUPPORTED_PROTOCOL, 0));
}

static void
test_backoff_schedule(void **state)
{
	(void) state;
	/* no randomness: the lower bound, half of the cap */
	assert_int_equal(ws_s3_backoff_ms(1, 100, 10000, 0), 50);
	assert_int_equal(ws_s3_backoff_ms(2, 100, 10000, 0), 100);
	assert_int_equal(ws_s3_backoff_ms(3, 100, 10000, 0), 200);
	assert_int_equal(ws_s3_backoff_ms(4, 100, 10000, 0), 400);
	/* the upper bound is the cap itself */
	assert_int_equal(ws_s3_backoff_ms(1, 100, 10000, 50), 100);
	assert_int_equal(ws_s3_backoff_ms(3, 100, 10000, 200), 400);
	assert_int_equal(ws_s3_backoff_ms(3, 100, 10000, 201), 200);
	/* capped, and no overflow however many attempts */
	assert_int_equal(ws_s3_backoff_ms(8, 100, 10000, 0), 5000);
	assert_int_equal(ws_s3_backoff_ms(1000, 100, 10000, 5000), 10000);
	assert_int_equal(ws_s3_backoff_ms(INT32_MAX, 100, 10000, UINT64_MAX), 5000 + UINT64_MAX % 5001);
	/* nonsense attempt numbers count as the first */
	assert_int_equal(ws_s3_backoff_ms(0, 100, 10000, 0), 50);
	assert_int_equal(ws_s3_backoff_ms(-5, 100, 10000, 0), 50);

	/* every delay lies in [cap/2, cap] whatever the random input */
	for (int attempt = 1; attempt <= 12; attempt++) {
		unsigned int cap = 100;

		for (int i = 1; i < attempt && cap < 10000; i++)
			cap *= 2;
		if (cap > 10000)
			cap = 10000;
		for (uint64_t r = 0; r < 100000; r += 997) {
			unsigned int ms = ws_s3_backoff_ms(attempt, 100, 10000, r * 0x9E3779B97F4A7C15u);

			assert_true(ms >= cap - cap / 2);
			assert_true(ms <= cap);
		}
	}
}

static void
assert_error(enum ws_s3_op op, long status, const char *code, const char *message,
			 int want_status, const char *want_message)
{
	struct ws_s3_error_doc doc;
	struct ws_error err;
	int rc;

	snprintf(doc.code, sizeof(doc.code), "%s", code != NULL ? code : "");
	snprintf(doc.message, sizeof(doc.message), "%s", message != NULL ? message : "");
	ws_error_clear(&err);
	rc = ws_s3_http_error(op, "bkt", "repo/obj", status, code != NULL ? &doc : NULL, &err);
	assert_int_equal(rc, want_status);
	assert_int_equal(err.status, want_status);
	assert_string_equal(err.message, want_message);
}

static void
test_http_errors(void **state)
{
	(void) state;
	assert_error(WS_S3_OP_PUT, 403, "AccessDenied", "Access Denied", WS_ERR_IO,
				 "access denied to bucket \"bkt\": AccessDenied: Access Denied");
	assert_error(WS_S3_OP_LIST, 403, "InvalidAccessKeyId",
				 "The AWS Access Key Id you provided does not exist in our records.", WS_ERR_IO,
				 "access denied to bucket \"bkt\": InvalidAccessKeyId: The AWS Access Key Id "
				 "you provided does not exist in our records.");
	assert_error(WS_S3_OP_HEAD, 403, NULL, NULL, WS_ERR_IO,
				 "access denied to bucket \"bkt\" (HTTP 403)");
	assert_error(WS_S3_OP_GET, 403, "SignatureDoesNotMatch", NULL, WS_ERR_IO,
				 "access denied to bucket \"bkt\": SignatureDoesNotMatch: no message");

	assert_error(WS_S3_OP_GET, 404, "NoSuchBucket", "The specified bucket does not exist",
				 WS_ERR_IO, "bucket \"bkt\" does not exist");
	assert_error(WS_S3_OP_LIST, 404, "NoSuchBucket", "x", WS_ERR_IO,
				 "bucket \"bkt\" does not exist");
	assert_error(WS_S3_OP_PUT, 404, "NoSuchBucket", "x", WS_ERR_IO,
				 "bucket \"bkt\" does not exist");

	assert_error(WS_S3_OP_GET, 404, "NoSuchKey", "The specified key does not exist.",
				 WS_ERR_NOT_FOUND, "object \"repo/obj\" does not exist in bucket \"bkt\"");
	assert_error(WS_S3_OP_HEAD, 404, NULL, NULL, WS_ERR_NOT_FOUND,
				 "object \"repo/obj\" does not exist in bucket \"bkt\"");
	/* a 404 on an upload is not "not found" for the caller */
	assert_error(WS_S3_OP_UPLOAD_PART, 404, "NoSuchUpload", "gone", WS_ERR_IO,
				 "could not upload part of object \"repo/obj\" in bucket \"bkt\": "
				 "HTTP 404 NoSuchUpload: gone");

	assert_error(WS_S3_OP_PUT, 412, "PreconditionFailed", "At least one of the preconditions "
				 "you specified did not hold", WS_ERR_EXISTS,
				 "object \"repo/obj\" already exists in bucket \"bkt\"");
	assert_error(WS_S3_OP_COMPLETE_UPLOAD, 412, NULL, NULL, WS_ERR_EXISTS,
				 "object \"repo/obj\" already exists in bucket \"bkt\"");
	assert_error(WS_S3_OP_GET, 412, NULL, NULL, WS_ERR_IO,
				 "could not read object \"repo/obj\" in bucket \"bkt\": HTTP 412");

	assert_error(WS_S3_OP_PUT, 500, "InternalError", "We encountered an internal error.",
				 WS_ERR_IO, "could not upload object \"repo/obj\" in bucket \"bkt\": "
				 "HTTP 500 InternalError: We encountered an internal error.");
	assert_error(WS_S3_OP_DELETE, 503, "SlowDown", NULL, WS_ERR_IO,
				 "could not remove object \"repo/obj\" in bucket \"bkt\": HTTP 503 SlowDown");
	assert_error(WS_S3_OP_LIST, 301, "PermanentRedirect", "use the right endpoint", WS_ERR_IO,
				 "could not list objects under \"repo/obj\" in bucket \"bkt\": "
				 "HTTP 301 PermanentRedirect: use the right endpoint");
	assert_error(WS_S3_OP_CREATE_UPLOAD, 400, "InvalidRequest", "bad", WS_ERR_IO,
				 "could not start multipart upload of object \"repo/obj\" in bucket \"bkt\": "
				 "HTTP 400 InvalidRequest: bad");
	assert_error(WS_S3_OP_ABORT_UPLOAD, 502, NULL, NULL, WS_ERR_IO,
				 "could not abort multipart upload of object \"repo/obj\" in bucket \"bkt\": "
				 "HTTP 502");
}

static void
base_config(struct ws_s3_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->bucket = "bucket";
	cfg->endpoint = "127.0.0.1:1";
	cfg->region = "us-east-1";
	cfg->key = "AKIDEXAMPLE";
	cfg->secret = SECRET;
	cfg->prefix = "/repo/";
	cfg->uri_style = WS_S3_URI_PATH;
	cfg->tls = false;
	cfg->verify_tls = true;
	cfg->max_retries = 0;
	cfg->timeout_ms = 2000;
}

static void
assert_config_error(const struct ws_s3_config *cfg, const char *want)
{
	struct ws_storage *s = (struct ws_storage *) &s;
	struct ws_error err;
	int rc;

	ws_error_clear(&err);
	rc = ws_storage_s3_new(cfg, &s, &err);
	if (rc == WS_OK)
		fail_msg("configuration accepted, expected \"%s\"", want);
	assert_null(s);
	if (strstr(err.message, want) == NULL)
		fail_msg("message \"%s\" lacks \"%s\"", err.message, want);
	assert_null(strstr(err.message, SECRET));
}

static void
test_config_checks(void **state)
{
	struct ws_s3_config cfg;
	struct ws_storage *s = NULL;
	struct ws_error err;

	(void) state;
	unsetenv("WALSHIP_FAULT");
	unsetenv("WALSHIP_S3_MAX_KEYS");
	base_config(&cfg);
	assert_int_equal(ws_storage_s3_new(&cfg, &s, &err), WS_OK);
	assert_non_null(s);
	assert_string_equal(s->ops->name, "s3");
	assert_true(s->ops->features & WS_STORAGE_NO_OVERWRITE);
	assert_false(s->ops->features & WS_STORAGE_APPEND);
	ws_storage_free(s);

	/* "" is "not set" for the optional strings, as the option table gives them */
	base_config(&cfg);
	cfg.region = "";
	cfg.token = "";
	cfg.ca_file = "";
	cfg.ca_path = "";
	cfg.part_size = (size_t) 5 * 1024 * 1024;
	assert_int_equal(ws_storage_s3_new(&cfg, &s, &err), WS_OK);
	ws_storage_free(s);
	if (sizeof(size_t) > 4) {
		cfg.part_size = (size_t) 5 * 1024 * 1024 * 1024;
		assert_int_equal(ws_storage_s3_new(&cfg, &s, &err), WS_OK);
		ws_storage_free(s);
		cfg.part_size++;
		assert_config_error(&cfg, "must be between 5242880 and 5368709120 bytes");
	}

	base_config(&cfg);
	cfg.bucket = NULL;
	assert_config_error(&cfg, "S3 bucket is not set");
	base_config(&cfg);
	cfg.bucket = "a/b";
	assert_config_error(&cfg, "invalid S3 bucket name \"a/b\"");
	base_config(&cfg);
	cfg.bucket = "Upper_Case";
	cfg.uri_style = WS_S3_URI_HOST;
	assert_config_error(&cfg, "use path style");
	base_config(&cfg);
	cfg.endpoint = "";
	assert_config_error(&cfg, "S3 endpoint is not set");
	base_config(&cfg);
	cfg.endpoint = "https://s3.amazonaws.com";
	assert_config_error(&cfg, "without scheme or path");
	base_config(&cfg);
	cfg.endpoint = "user@host";
	assert_config_error(&cfg, "invalid S3 endpoint");
	base_config(&cfg);
	cfg.region = "us east";
	assert_config_error(&cfg, "invalid S3 region");
	base_config(&cfg);
	cfg.key = NULL;
	assert_config_error(&cfg, "S3 access key is not set");
	base_config(&cfg);
	cfg.key = "AKID\r\nX-Injected: 1";
	assert_config_error(&cfg, "S3 access key contains invalid characters");
	base_config(&cfg);
	cfg.secret = "";
	assert_config_error(&cfg, "S3 secret key is not set");
	base_config(&cfg);
	cfg.token = "tok\nen";
	assert_config_error(&cfg, "S3 session token contains invalid characters");
	base_config(&cfg);
	cfg.part_size = 1024 * 1024;
	assert_config_error(&cfg, "S3 part size 1048576 is out of range");
	base_config(&cfg);
	cfg.max_retries = -1;
	assert_config_error(&cfg, "S3 retry count -1 is out of range");
	base_config(&cfg);
	cfg.timeout_ms = -5;
	assert_config_error(&cfg, "negative");
	base_config(&cfg);
	cfg.prefix = "repo/../x";
	assert_config_error(&cfg, "invalid S3 prefix");

	base_config(&cfg);
	setenv("WALSHIP_S3_MAX_KEYS", "0", 1);
	assert_config_error(&cfg, "invalid WALSHIP_S3_MAX_KEYS value \"0\"");
	setenv("WALSHIP_S3_MAX_KEYS", "100", 1);
	assert_int_equal(ws_storage_s3_new(&cfg, &s, &err), WS_OK);
	ws_storage_free(s);
	unsetenv("WALSHIP_S3_MAX_KEYS");

	setenv("WALSHIP_FAULT", "bogus", 1);
	assert_config_error(&cfg, "invalid WALSHIP_FAULT value");
	unsetenv("WALSHIP_FAULT");
}

/* Nothing is sent before commit, so these run without a server. */
static void
test_write_without_network(void **state)
{
	struct ws_s3_config cfg;
	struct ws_storage *s = NULL;
	struct ws_storage_write *w = NULL;
	struct ws_storage_read *r = NULL;
	struct ws_storage_info info;
	struct ws_error err;
	char data[4096];

	(void) state;
	memset(data, 'x', sizeof(data));
	base_config(&cfg);
	setenv("WALSHIP_FAULT", "write-enospc-after:5000", 1);
	assert_int_equal(ws_storage_s3_new(&cfg, &s, &err), WS_OK);
	unsetenv("WALSHIP_FAULT");

	/* invalid paths never reach the network */
	assert_int_equal(s->ops->open_write(s, "../x", NULL, &w, &err), WS_ERR_INVALID);
	assert_null(w);
	assert_int_equal(s->ops->open_read(s, "/abs", &r, &err), WS_ERR_INVALID);
	assert_null(r);
	assert_int_equal(s->ops->info(s, "a//b", &info, &err), WS_ERR_INVALID);
	assert_false(info.exists);
	assert_int_equal(s->ops->remove(s, "", &err), WS_ERR_INVALID);

	/* the injected fault fires in write, before any byte is sent */
	assert_int_equal(s->ops->open_write(s, "archive/seg", NULL, &w, &err), WS_OK);
	assert_int_equal(s->ops->write(w, data, sizeof(data), &err), WS_OK);
	assert_int_equal(s->ops->write(w, data, sizeof(data), &err), WS_ERR_IO);
	assert_int_equal(errno, ENOSPC);
	assert_string_equal(err.message, "could not write object \"repo/archive/seg\": "
						"No space left on device (injected fault)");
	/* abort before any upload started needs no server */
	s->ops->abort(w);
	s->ops->abort(NULL);
	s->ops->close_read(NULL);
	ws_storage_free(s);
}

/* A refused connection is retried max_retries times, then reported. */
static void
test_connection_refused(void **state)
{
	struct ws_s3_config cfg;
	struct ws_storage *s = NULL;
	struct ws_storage_read *r = NULL;
	struct ws_error err;

	(void) state;
	base_config(&cfg);
	cfg.max_retries = 2;
	assert_int_equal(ws_storage_s3_new(&cfg, &s, &err), WS_OK);
	assert_int_equal(s->ops->open_read(s, "x", &r, &err), WS_ERR_IO);
	assert_null(r);
	assert_non_null(strstr(err.message, "could not connect to S3 endpoint \"127.0.0.1:1\": "));
	assert_non_null(strstr(err.message, "(3 attempts)"));
	assert_null(strstr(err.message, SECRET));
	ws_storage_free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_retryable),
		cmocka_unit_test(test_backoff_schedule),
		cmocka_unit_test(test_http_errors),
		cmocka_unit_test(test_config_checks),
		cmocka_unit_test(test_write_without_network),
		cmocka_unit_test(test_connection_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
