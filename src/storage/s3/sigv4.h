/*
 * sigv4.h — AWS Signature Version 4, header-based, as pure functions
 *
 * No network and no clock: the caller gives the request's parts and the
 * time, and gets back the canonical request, the string to sign and the
 * value of the Authorization header. This is what AWS's published test
 * suite checks, one step at a time (test/unit/storage/test_sigv4.c).
 *
 * S3 rules, which differ from other services: the path is not normalized
 * ("a//b" and "./" stay as they are) and is URI-encoded once.
 *
 * Reference: "Create a signed AWS API request" and "Authenticating Requests
 * (AWS Signature Version 4)" in the AWS documentation.
 */
#ifndef WALSHIP_STORAGE_S3_SIGV4_H
#define WALSHIP_STORAGE_S3_SIGV4_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "common/buf.h"

#define WS_SIGV4_ALGORITHM "AWS4-HMAC-SHA256"
/* "YYYYMMDDTHHMMSSZ" */
#define WS_SIGV4_DATETIME_LEN 16
#define WS_SIGV4_SHA256_HEX_LEN 64
#define WS_SIGV4_KEY_LEN 32

/* SHA-256 of the empty string, the payload hash of a request without body */
#define WS_SIGV4_EMPTY_SHA256 \
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

struct ws_sigv4_header {
	const char *name;           /* any case; signed lowercased */
	const char *value;          /* trimmed and its space runs collapsed */
};

struct ws_sigv4_request {
	const char *method;         /* "GET", "PUT" ... */
	/*
	 * The path as a decoded string, e.g. "/bucket/my key": every byte but
	 * the unreserved ones and '/' is percent-encoded when signing. Build
	 * the URL from ws_sigv4_uri_encode() of the same string so the two
	 * agree.
	 */
	const char *path;
	/*
	 * The query string as sent, without '?', or NULL/"" for none, e.g.
	 * "prefix=a%2Fb&list-type=2". Each name and value is percent-decoded
	 * and encoded again the AWS way, so raw and encoded forms both work;
	 * a parameter without '=' has an empty value.
	 */
	const char *query;
	/* Every header given is signed; a name may repeat (values join by ','). */
	const struct ws_sigv4_header *headers;
	size_t nheaders;
	/* Lowercase hex SHA-256 of the body, or "UNSIGNED-PAYLOAD". */
	const char *payload_hash;
};

struct ws_sigv4_credentials {
	const char *key;            /* access key id */
	const char *secret;         /* secret access key */
	const char *region;         /* "us-east-1" */
	const char *service;        /* "s3" */
};

/*
 * Append the AWS URI encoding of len bytes of s to out: A-Z a-z 0-9 - . _ ~
 * stay, '/' stays when keep_slash, every other byte becomes %XX (uppercase
 * hex). Returns WS_OK or the ws_buf error.
 */
int ws_sigv4_uri_encode(struct ws_buf *out, const char *s, size_t len, bool keep_slash);

/* Lowercase hex SHA-256 of data into hex (65 bytes with the NUL). */
int ws_sigv4_sha256_hex(const void *data, size_t len, char hex[WS_SIGV4_SHA256_HEX_LEN + 1]);

/*
 * The canonical request into creq and the signed header list ("host;x-amz-
 * date") into signed_headers (both appended to). WS_ERR_INVALID for a bad
 * method, path, header name, or an invalid percent escape in the query.
 */
int ws_sigv4_canonical_request(const struct ws_sigv4_request *req, struct ws_buf *creq,
							   struct ws_buf *signed_headers);

/*
 * "AWS4-HMAC-SHA256\n<datetime>\n<date>/<region>/<service>/aws4_request\n
 * <hex sha256 of creq>" into out. WS_ERR_INVALID for a malformed datetime
 * or a region or service containing '/' or control characters.
 */
int ws_sigv4_string_to_sign(const char *datetime, const char *region, const char *service,
							const char *creq, size_t creq_len, struct ws_buf *out);

/*
 * kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service),
 * "aws4_request"); date is "YYYYMMDD". The intermediate keys are wiped.
 */
int ws_sigv4_signing_key(const char *secret, const char *date, const char *region,
						 const char *service, unsigned char key[WS_SIGV4_KEY_LEN]);

/*
 * The whole signature: the Authorization header value (without the
 * "Authorization: " name) appended to authz. creq and sts, when not NULL,
 * receive the canonical request and the string to sign (for tests and
 * debugging; they hold no secret). datetime is "YYYYMMDDTHHMMSSZ" and must
 * also be in the signed headers as x-amz-date.
 */
int ws_sigv4_sign(const struct ws_sigv4_request *req, const struct ws_sigv4_credentials *cred,
				  const char *datetime, struct ws_buf *authz, struct ws_buf *creq,
				  struct ws_buf *sts);

/* "YYYYMMDDTHHMMSSZ" of t (UTC) into out (17 bytes with the NUL). */
int ws_sigv4_format_datetime(time_t t, char out[WS_SIGV4_DATETIME_LEN + 1]);

#endif
