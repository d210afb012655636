/*
 * test_sigv4.c — unit tests for src/storage/s3/sigv4.c
 *
 * The main test replays the cases in test/unit/storage/sigv4/ (AWS's
 * Signature Version 4 test suite requests; see the README there): parse
 * NAME.req, compute the canonical request, the string to sign and the
 * Authorization value, and compare them byte for byte with NAME.creq,
 * NAME.sts and NAME.authz. The directory is found through $top_srcdir (set
 * by make check) or $WS_SIGV4_DIR, else relative to the current directory.
 *
 * Link with -Wl,--wrap=malloc,--wrap=realloc,--wrap=calloc: the allocation
 * "torture" test fails each allocation of a signature in turn.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/error.h"
#include "common/fileio.h"
#include "common/str.h"
#include "storage/s3/sigv4.h"

#define SUITE_KEY "AKIDEXAMPLE"
#define SUITE_SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define SUITE_DATE "20150830T123600Z"
#define MAX_HEADERS 16
#define FILE_MAX (1024 * 1024)

/* the cases this file must find, at least; more are welcome */
static const char *const required_cases[] = {
	"get-vanilla", "post-vanilla", "get-vanilla-query-order-key-case",
	"get-vanilla-query-unreserved", "get-header-value-trim",
	"get-header-key-duplicate", "post-x-www-form-urlencoded", "get-utf8"
};

/*
 * Allocation failure injection (test-only state): fail_at = N makes the Nth
 * counted allocation return NULL; 0 disables injection.
 */
#include "../alloc_torture.h"

/* ---- the test-suite cases ---- */

static const char *
suite_dir(char *buf, size_t size)
{
	const char *dir = getenv("WS_SIGV4_DIR");
	const char *top = getenv("top_srcdir");

	if (dir != NULL && dir[0] != '\0')
		return dir;
	if (top == NULL || top[0] == '\0')
		top = ".";
	assert_int_equal(ws_snprintf(buf, size, "%s/test/unit/storage/sigv4", top), WS_OK);
	return buf;
}

static void
read_whole(const char *path, struct ws_buf *out)
{
	FILE *f = fopen(path, "rb");
	char chunk[4096];
	size_t n;

	if (f == NULL)
		fail_msg("could not open \"%s\": %s", path, strerror(errno));
	ws_buf_init(out, FILE_MAX);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		assert_int_equal(ws_buf_append(out, chunk, n), WS_OK);
	assert_false(ferror(f));
	fclose(f);
	assert_int_equal(ws_buf_append(out, "", 0), WS_OK);
}

/* one parsed .req; the strings point into text, which parsing cuts up */
struct suite_req {
	struct ws_buf text;
	char *method;
	char *path;
	char *query;
	struct ws_sigv4_header headers[MAX_HEADERS];
	size_t nheaders;
	const char *body;
	size_t body_len;
};

/*
 * "METHOD target HTTP/1.1\nName:value\n...\n\nbody". The target may hold
 * spaces ("/example space/"), so it ends at the last space of the line.
 */
static void
parse_req(const char *file, struct suite_req *r)
{
	char *p;
	char *eol;
	char *sp;

	memset(r, 0, sizeof(*r));
	read_whole(file, &r->text);
	p = r->text.data;

	eol = strchr(p, '\n');
	assert_non_null(eol);
	*eol = '\0';
	sp = strchr(p, ' ');
	assert_non_null(sp);
	*sp = '\0';
	r->method = p;
	r->path = sp + 1;
	sp = strrchr(r->path, ' ');
	assert_non_null(sp);
	assert_true(ws_str_has_prefix(sp + 1, "HTTP/"));
	*sp = '\0';
	sp = strchr(r->path, '?');
	if (sp != NULL) {
		*sp = '\0';
		r->query = sp + 1;
	}

	r->body = "";
	for (p = eol + 1; *p != '\0'; p = eol + 1) {
		char *colon;

		eol = strchr(p, '\n');
		if (eol != NULL)
			*eol = '\0';
		if (*p == '\0') {
			/* blank line: the body follows */
			if (eol != NULL) {
				r->body = eol + 1;
				r->body_len = strlen(eol + 1);
			}
			break;
		}
		colon = strchr(p, ':');
		assert_non_null(colon);
		*colon = '\0';
		assert_true(r->nheaders < MAX_HEADERS);
		r->headers[r->nheaders].name = p;
		r->headers[r->nheaders].value = colon + 1;
		r->nheaders++;
		if (eol == NULL)
			break;
	}
}

static void
assert_same_text(const char *what, const char *name, const struct ws_buf *got,
				 const struct ws_buf *want)
{
	if (got->len != want->len || memcmp(ws_buf_str(got), ws_buf_str(want), got->len) != 0)
		fail_msg("%s: %s differs\n--- expected ---\n%s\n--- got ---\n%s\n",
				 name, what, ws_buf_str(want), ws_buf_str(got));
}

static void
run_case(const char *dir, const char *name)
{
	char base[1024];
	char file[1100];
	char payload_hash[WS_SIGV4_SHA256_HEX_LEN + 1];
	struct suite_req r;
	struct ws_sigv4_request req;
	struct ws_sigv4_credentials cred = {
		.key = SUITE_KEY, .secret = SUITE_SECRET,
		.region = "us-east-1", .service = "service"
	};
	struct ws_buf creq, sts, authz, want;

	assert_int_equal(ws_snprintf(base, sizeof(base), "%s/%s", dir, name), WS_OK);
	assert_int_equal(ws_snprintf(file, sizeof(file), "%s.req", base), WS_OK);
	parse_req(file, &r);

	assert_int_equal(ws_sigv4_sha256_hex(r.body, r.body_len, payload_hash), WS_OK);
	req.method = r.method;
	req.path = r.path;
	req.query = r.query;
	req.headers = r.headers;
	req.nheaders = r.nheaders;
	req.payload_hash = payload_hash;

	ws_buf_init(&creq, FILE_MAX);
	ws_buf_init(&sts, FILE_MAX);
	ws_buf_init(&authz, FILE_MAX);
	assert_int_equal(ws_sigv4_sign(&req, &cred, SUITE_DATE, &authz, &creq, &sts), WS_OK);

	assert_int_equal(ws_snprintf(file, sizeof(file), "%s.creq", base), WS_OK);
	read_whole(file, &want);
	assert_same_text("canonical request", name, &creq, &want);
	ws_buf_free(&want);

	assert_int_equal(ws_snprintf(file, sizeof(file), "%s.sts", base), WS_OK);
	read_whole(file, &want);
	assert_same_text("string to sign", name, &sts, &want);
	ws_buf_free(&want);

	assert_int_equal(ws_snprintf(file, sizeof(file), "%s.authz", base), WS_OK);
	read_whole(file, &want);
	assert_same_text("authorization", name, &authz, &want);
	ws_buf_free(&want);

	ws_buf_free(&creq);
	ws_buf_free(&sts);
	ws_buf_free(&authz);
	ws_buf_free(&r.text);
}

static void
test_aws_suite(void **state)
{
	char dirbuf[1024];
	const char *dir = suite_dir(dirbuf, sizeof(dirbuf));
	bool found[sizeof(required_cases) / sizeof(required_cases[0])] = {false};
	struct dirent *de;
	DIR *d;
	int ran = 0;

	(void) state;
	d = opendir(dir);
	if (d == NULL)
		fail_msg("could not open directory \"%s\": %s (set top_srcdir or WS_SIGV4_DIR)",
				 dir, strerror(errno));
	while ((de = readdir(d)) != NULL) {
		char name[256];
		size_t len = strlen(de->d_name);

		if (len <= 4 || !ws_str_has_suffix(de->d_name, ".req"))
			continue;
		assert_true(len - 4 < sizeof(name));
		memcpy(name, de->d_name, len - 4);
		name[len - 4] = '\0';
		run_case(dir, name);
		ran++;
		for (size_t i = 0; i < sizeof(required_cases) / sizeof(required_cases[0]); i++)
			if (strcmp(name, required_cases[i]) == 0)
				found[i] = true;
	}
	closedir(d);

	for (size_t i = 0; i < sizeof(required_cases) / sizeof(required_cases[0]); i++)
		if (!found[i])
			fail_msg("case \"%s\" is missing from \"%s\"", required_cases[i], dir);
	print_message("[          ] %d signature test-suite cases\n", ran);
	assert_true(ran >= 20);
}

/* ---- single functions ---- */

static void
assert_encodes(const char *in, bool keep_slash, const char *want)
{
	struct ws_buf b;

	ws_buf_init(&b, 1024);
	assert_int_equal(ws_sigv4_uri_encode(&b, in, strlen(in), keep_slash), WS_OK);
	assert_int_equal(ws_buf_append(&b, "", 0), WS_OK);
	assert_string_equal(ws_buf_str(&b), want);
	ws_buf_free(&b);
}

static void
test_uri_encode(void **state)
{
	(void) state;
	assert_encodes("", true, "");
	assert_encodes("AZaz09-._~", false, "AZaz09-._~");
	assert_encodes("a b/c", true, "a%20b/c");
	assert_encodes("a b/c", false, "a%20b%2Fc");
	assert_encodes("+*=&?%", false, "%2B%2A%3D%26%3F%25");
	assert_encodes("\xe1\x88\xb4", true, "%E1%88%B4");
	assert_encodes("\x7f\x01", true, "%7F%01");
	assert_encodes("archive/db/000000010000000000000001.zst", true,
				   "archive/db/000000010000000000000001.zst");
}

/* the canonical request of a GET / with the given query and no headers */
static int
creq_of_query(const char *query, struct ws_buf *creq)
{
	struct ws_sigv4_request req = {
		.method = "GET", .path = "/", .query = query,
		.headers = NULL, .nheaders = 0, .payload_hash = WS_SIGV4_EMPTY_SHA256
	};
	struct ws_buf signed_headers;
	int rc;

	ws_buf_init(&signed_headers, 1024);
	ws_buf_init(creq, 4096);
	rc = ws_sigv4_canonical_request(&req, creq, &signed_headers);
	ws_buf_free(&signed_headers);
	return rc;
}

/* the query line (the third) of a canonical request */
static void
assert_query_line(const char *query, const char *want)
{
	struct ws_buf creq;
	const char *line;
	const char *end;

	assert_int_equal(creq_of_query(query, &creq), WS_OK);
	line = strchr(strchr(ws_buf_str(&creq), '\n') + 1, '\n') + 1;
	end = strchr(line, '\n');
	assert_non_null(end);
	if ((size_t) (end - line) != strlen(want) || memcmp(line, want, strlen(want)) != 0)
		fail_msg("query \"%s\": got \"%.*s\", expected \"%s\"", query,
				 (int) (end - line), line, want);
	ws_buf_free(&creq);
}

static void
test_canonical_query(void **state)
{
	struct ws_buf creq;

	(void) state;
	assert_query_line(NULL, "");
	assert_query_line("", "");
	assert_query_line("b=2&a=1", "a=1&b=2");
	/* a parameter without '=' has an empty value; empty ones vanish */
	assert_query_line("uploads", "uploads=");
	assert_query_line("b&&a=", "a=&b=");
	/* encoded and raw forms give the same, AWS-encoded, result */
	assert_query_line("prefix=a%2fb%20c", "prefix=a%2Fb%20c");
	assert_query_line("prefix=a/b c", "prefix=a%2Fb%20c");
	assert_query_line("continuation-token=1%2B2%3D%3D&list-type=2",
					  "continuation-token=1%2B2%3D%3D&list-type=2");
	/* sorted by encoded name, then by value; byte order, not case */
	assert_query_line("a=2&B=1&a=1", "B=1&a=1&a=2");

	/* invalid escapes */
	assert_int_equal(creq_of_query("a=%zz", &creq), WS_ERR_INVALID);
	ws_buf_free(&creq);
	assert_int_equal(creq_of_query("a=%4", &creq), WS_ERR_INVALID);
	ws_buf_free(&creq);
	assert_int_equal(creq_of_query("%=1", &creq), WS_ERR_INVALID);
	ws_buf_free(&creq);
}

static int
creq_with(const char *method, const char *path, const struct ws_sigv4_header *h, size_t nh,
		  const char *payload_hash, struct ws_buf *creq, struct ws_buf *sh)
{
	struct ws_sigv4_request req = {
		.method = method, .path = path, .query = NULL,
		.headers = h, .nheaders = nh, .payload_hash = payload_hash
	};

	ws_buf_init(creq, 4096);
	ws_buf_init(sh, 1024);
	return ws_sigv4_canonical_request(&req, creq, sh);
}

static void
test_canonical_request_rules(void **state)
{
	const struct ws_sigv4_header ok_headers[] = {
		{"X-Amz-Date", "20150830T123600Z"},
		{"Host", "  bucket.s3.amazonaws.com\t"},
		{"x-amz-meta-a", "one  \t two"},
		{"X-AMZ-META-A", "three"},
		{"x-amz-meta-empty", "   "}
	};
	const struct ws_sigv4_header bad_name[] = {{"X Amz", "v"}};
	const struct ws_sigv4_header colon_name[] = {{"a:b", "v"}};
	const struct ws_sigv4_header empty_name[] = {{"", "v"}};
	const struct ws_sigv4_header ctl_value[] = {{"a", "x\001y"}};
	struct ws_buf creq, sh;

	(void) state;
	assert_int_equal(creq_with("PUT", "/bucket/a b//c/./d", ok_headers, 5,
							   "UNSIGNED-PAYLOAD", &creq, &sh), WS_OK);
	/* S3: the path is encoded once and not normalized */
	assert_string_equal(ws_buf_str(&creq),
						"PUT\n/bucket/a%20b//c/./d\n\n"
						"host:bucket.s3.amazonaws.com\n"
						"x-amz-date:20150830T123600Z\n"
						"x-amz-meta-a:one two,three\n"
						"x-amz-meta-empty:\n"
						"\nhost;x-amz-date;x-amz-meta-a;x-amz-meta-empty\nUNSIGNED-PAYLOAD");
	assert_string_equal(ws_buf_str(&sh), "host;x-amz-date;x-amz-meta-a;x-amz-meta-empty");
	ws_buf_free(&creq);
	ws_buf_free(&sh);

	/* an empty path is "/" */
	assert_int_equal(creq_with("GET", "", NULL, 0, WS_SIGV4_EMPTY_SHA256, &creq, &sh), WS_OK);
	assert_true(ws_str_has_prefix(ws_buf_str(&creq), "GET\n/\n\n\n\n"));
	ws_buf_free(&creq);
	ws_buf_free(&sh);

	assert_int_equal(creq_with("GET", "relative", NULL, 0, WS_SIGV4_EMPTY_SHA256, &creq, &sh),
					 WS_ERR_INVALID);
	ws_buf_free(&creq);
	ws_buf_free(&sh);
	assert_int_equal(creq_with("get", "/", NULL, 0, WS_SIGV4_EMPTY_SHA256, &creq, &sh),
					 WS_ERR_INVALID);
	ws_buf_free(&creq);
	ws_buf_free(&sh);
	assert_int_equal(creq_with("GET /x\nHost", "/", NULL, 0, WS_SIGV4_EMPTY_SHA256, &creq, &sh),
					 WS_ERR_INVALID);
	ws_buf_free(&creq);
	ws_buf_free(&sh);
	assert_int_equal(creq_with("GET", "/", NULL, 0, "E3B0", &creq, &sh), WS_ERR_INVALID);
	ws_buf_free(&creq);
	ws_buf_free(&sh);
	assert_int_equal(creq_with("GET", "/", NULL, 0, NULL, &creq, &sh), WS_ERR_INVALID);
	ws_buf_free(&creq);
	ws_buf_free(&sh);

	assert_int_equal(creq_with("GET", "/", bad_name, 1, WS_SIGV4_EMPTY_SHA256, &creq, &sh),
					 WS_ERR_INVALID);
	ws_buf_free(&creq);
	ws_buf_free(&sh);
	assert_int_equal(creq_with("GET", "/", colon_name, 1, WS_SIGV4_EMPTY_SHA256, &creq, &sh),
					 WS_ERR_INVALID);
	ws_buf_free(&creq);
	ws_buf_free(&sh);
	assert_int_equal(creq_with("GET", "/", empty_name, 1, WS_SIGV4_EMPTY_SHA256, &creq, &sh),
					 WS_ERR_INVALID);
	ws_buf_free(&creq);
	ws_buf_free(&sh);
	assert_int_equal(creq_with("GET", "/", ctl_value, 1, WS_SIGV4_EMPTY_SHA256, &creq, &sh),
					 WS_ERR_INVALID);
	ws_buf_free(&creq);
	ws_buf_free(&sh);
}

static void
test_canonical_request_cap(void **state)
{
	struct ws_sigv4_request req = {
		.method = "GET", .path = "/a-rather-long-path-name", .query = NULL,
		.headers = NULL, .nheaders = 0, .payload_hash = WS_SIGV4_EMPTY_SHA256
	};
	struct ws_buf creq, sh;

	(void) state;
	ws_buf_init(&creq, 16);
	ws_buf_init(&sh, 16);
	assert_int_equal(ws_sigv4_canonical_request(&req, &creq, &sh), WS_ERR_TOO_LARGE);
	ws_buf_free(&creq);
	ws_buf_free(&sh);
}

static void
test_string_to_sign_checks(void **state)
{
	struct ws_buf out;

	(void) state;
	ws_buf_init(&out, 4096);
	assert_int_equal(ws_sigv4_string_to_sign("20150830T123600Z", "us-east-1", "s3", "x", 1, &out),
					 WS_OK);
	assert_string_equal(ws_buf_str(&out),
						"AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/s3/aws4_request\n"
						"2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881");
	ws_buf_reset(&out);
	assert_int_equal(ws_sigv4_string_to_sign("20150830T123600", "us-east-1", "s3", "x", 1, &out),
					 WS_ERR_INVALID);
	assert_int_equal(ws_sigv4_string_to_sign("20150830 123600Z", "us-east-1", "s3", "x", 1, &out),
					 WS_ERR_INVALID);
	assert_int_equal(ws_sigv4_string_to_sign("2015083OT123600Z", "us-east-1", "s3", "x", 1, &out),
					 WS_ERR_INVALID);
	assert_int_equal(ws_sigv4_string_to_sign(NULL, "us-east-1", "s3", "x", 1, &out),
					 WS_ERR_INVALID);
	assert_int_equal(ws_sigv4_string_to_sign("20150830T123600Z", "us/east", "s3", "x", 1, &out),
					 WS_ERR_INVALID);
	assert_int_equal(ws_sigv4_string_to_sign("20150830T123600Z", "", "s3", "x", 1, &out),
					 WS_ERR_INVALID);
	assert_int_equal(ws_sigv4_string_to_sign("20150830T123600Z", "us-east-1", "s 3", "x", 1, &out),
					 WS_ERR_INVALID);
	assert_int_equal(out.len, 0);
	ws_buf_free(&out);
}

/* AWS documentation, "Examples of how to derive a signing key" */
static void
test_signing_key(void **state)
{
	unsigned char key[WS_SIGV4_KEY_LEN];
	char hex[2 * WS_SIGV4_KEY_LEN + 1];

	(void) state;
	assert_int_equal(ws_sigv4_signing_key(SUITE_SECRET, "20120215", "us-east-1", "iam", key),
					 WS_OK);
	for (int i = 0; i < WS_SIGV4_KEY_LEN; i++)
		snprintf(hex + 2 * i, 3, "%02x", key[i]);
	assert_string_equal(hex, "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d");

	assert_int_equal(ws_sigv4_signing_key(SUITE_SECRET, "2012021", "us-east-1", "iam", key),
					 WS_ERR_INVALID);
	assert_int_equal(ws_sigv4_signing_key(SUITE_SECRET, "2012021x", "us-east-1", "iam", key),
					 WS_ERR_INVALID);
	assert_int_equal(ws_sigv4_signing_key(NULL, "20120215", "us-east-1", "iam", key),
					 WS_ERR_INVALID);
}

/*
 * Amazon S3 API reference, "Signature Calculations for the Authorization
 * Header", example "GET Object": a ranged GET of examplebucket/test.txt.
 */
static void
test_s3_get_object_example(void **state)
{
	const struct ws_sigv4_header headers[] = {
		{"Host", "examplebucket.s3.amazonaws.com"},
		{"Range", "bytes=0-9"},
		{"x-amz-content-sha256", WS_SIGV4_EMPTY_SHA256},
		{"x-amz-date", "20130524T000000Z"}
	};
	struct ws_sigv4_request req = {
		.method = "GET", .path = "/test.txt", .query = NULL,
		.headers = headers, .nheaders = 4, .payload_hash = WS_SIGV4_EMPTY_SHA256
	};
	struct ws_sigv4_credentials cred = {
		.key = "AKIAIOSFODNN7EXAMPLE", .secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
		.region = "us-east-1", .service = "s3"
	};
	struct ws_buf authz, sts;

	(void) state;
	ws_buf_init(&authz, 4096);
	ws_buf_init(&sts, 4096);
	assert_int_equal(ws_sigv4_sign(&req, &cred, "20130524T000000Z", &authz, NULL, &sts), WS_OK);
	assert_string_equal(ws_buf_str(&sts),
						"AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
						"7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972");
	assert_string_equal(ws_buf_str(&authz),
						"AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/"
						"aws4_request, SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
						"Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
	ws_buf_free(&authz);
	ws_buf_free(&sts);
}

static void
test_sign_rejects_bad_key(void **state)
{
	const struct ws_sigv4_header headers[] = {{"Host", "h"}};
	struct ws_sigv4_request req = {
		.method = "GET", .path = "/", .query = NULL,
		.headers = headers, .nheaders = 1, .payload_hash = WS_SIGV4_EMPTY_SHA256
	};
	struct ws_sigv4_credentials cred = {
		.key = "AKID, SignedHeaders=x", .secret = "s", .region = "r", .service = "s3"
	};
	struct ws_buf authz;

	(void) state;
	ws_buf_init(&authz, 4096);
	assert_int_equal(ws_sigv4_sign(&req, &cred, SUITE_DATE, &authz, NULL, NULL), WS_ERR_INVALID);
	cred.key = "";
	assert_int_equal(ws_sigv4_sign(&req, &cred, SUITE_DATE, &authz, NULL, NULL), WS_ERR_INVALID);
	cred.key = "AKID";
	assert_int_equal(ws_sigv4_sign(&req, &cred, "yesterday", &authz, NULL, NULL), WS_ERR_INVALID);
	assert_int_equal(authz.len, 0);
	ws_buf_free(&authz);
}

static void
test_format_datetime(void **state)
{
	char out[WS_SIGV4_DATETIME_LEN + 1];

	(void) state;
	assert_int_equal(ws_sigv4_format_datetime(0, out), WS_OK);
	assert_string_equal(out, "19700101T000000Z");
	assert_int_equal(ws_sigv4_format_datetime(1440938160, out), WS_OK);
	assert_string_equal(out, SUITE_DATE);
}

static void
test_sha256_hex(void **state)
{
	char hex[WS_SIGV4_SHA256_HEX_LEN + 1];

	(void) state;
	assert_int_equal(ws_sigv4_sha256_hex("", 0, hex), WS_OK);
	assert_string_equal(hex, WS_SIGV4_EMPTY_SHA256);
	assert_int_equal(ws_sigv4_sha256_hex("abc", 3, hex), WS_OK);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

/* every allocation of a signature fails in turn: NOMEM, never a crash or leak */
static void
test_sign_alloc_failures(void **state)
{
	const struct ws_sigv4_header headers[] = {
		{"Host", "example.amazonaws.com"}, {"My-Header1", "b"}, {"my-header1", "a"},
		{"X-Amz-Date", SUITE_DATE}
	};
	struct ws_sigv4_request req = {
		.method = "GET", .path = "/a b", .query = "z=1&a=%2F",
		.headers = headers, .nheaders = 4, .payload_hash = WS_SIGV4_EMPTY_SHA256
	};
	struct ws_sigv4_credentials cred = {
		.key = SUITE_KEY, .secret = SUITE_SECRET, .region = "us-east-1", .service = "service"
	};
	struct ws_buf authz, want;
	unsigned long n;

	(void) state;
	ws_buf_init(&want, 4096);
	assert_int_equal(ws_sigv4_sign(&req, &cred, SUITE_DATE, &want, NULL, NULL), WS_OK);

	for (n = 1;; n++) {
		int rc;

		ws_buf_init(&authz, 4096);
		alloc_inject(n);
		rc = ws_sigv4_sign(&req, &cred, SUITE_DATE, &authz, NULL, NULL);
		alloc_ctl.fail_at = 0;
		if (alloc_ctl.failed == 0) {
			assert_int_equal(rc, WS_OK);
			assert_string_equal(ws_buf_str(&authz), ws_buf_str(&want));
			ws_buf_free(&authz);
			break;
		}
		assert_int_equal(rc, WS_ERR_NOMEM);
		ws_buf_free(&authz);
	}
	assert_true(n > 5);
	ws_buf_free(&want);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_aws_suite),
		cmocka_unit_test(test_uri_encode),
		cmocka_unit_test(test_canonical_query),
		cmocka_unit_test(test_canonical_request_rules),
		cmocka_unit_test(test_canonical_request_cap),
		cmocka_unit_test(test_string_to_sign_checks),
		cmocka_unit_test(test_signing_key),
		cmocka_unit_test(test_s3_get_object_example),
		cmocka_unit_test(test_sign_rejects_bad_key),
		cmocka_unit_test(test_format_datetime),
		cmocka_unit_test(test_sha256_hex),
		cmocka_unit_test(test_sign_alloc_failures),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
