/*
 * sigv4.c — AWS Signature Version 4 (see sigv4.h)
 */
#include "storage/s3/sigv4.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "common/error.h"

#define WS_SIGV4_SCOPE_TERMINATOR "aws4_request"

/* a query parameter, both halves already in AWS encoding */
struct query_param {
	struct ws_buf name;
	struct ws_buf value;
};

/* a header, name lowercased, value trimmed; pos keeps duplicates in order */
struct canon_header {
	struct ws_buf name;
	struct ws_buf value;
	size_t pos;
};

static const char hexdigits_upper[] = "0123456789ABCDEF";
static const char hexdigits_lower[] = "0123456789abcdef";

static bool
is_unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		(c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
}

static int
hex_value(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static void
hex_lower(const unsigned char *in, size_t len, char *out)
{
	for (size_t i = 0; i < len; i++) {
		out[2 * i] = hexdigits_lower[in[i] >> 4];
		out[2 * i + 1] = hexdigits_lower[in[i] & 0x0F];
	}
	out[2 * len] = '\0';
}

int
ws_sigv4_uri_encode(struct ws_buf *out, const char *s, size_t len, bool keep_slash)
{
	size_t run = 0;             /* bytes at the end of s[0..i) that need no escape */
	int rc;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char) s[i];
		char esc[3];

		if (is_unreserved(c) || (keep_slash && c == '/')) {
			run++;
			continue;
		}
		rc = ws_buf_append(out, s + i - run, run);
		if (rc != WS_OK)
			return rc;
		run = 0;
		esc[0] = '%';
		esc[1] = hexdigits_upper[c >> 4];
		esc[2] = hexdigits_upper[c & 0x0F];
		rc = ws_buf_append(out, esc, sizeof(esc));
		if (rc != WS_OK)
			return rc;
	}
	return ws_buf_append(out, s + len - run, run);
}

/* Percent-decode len bytes of s into out; WS_ERR_INVALID on a bad escape. */
static int
uri_decode(struct ws_buf *out, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char) s[i];
		int rc;

		if (c == '%') {
			int hi;
			int lo;

			if (len - i < 3)
				return WS_ERR_INVALID;
			hi = hex_value((unsigned char) s[i + 1]);
			lo = hex_value((unsigned char) s[i + 2]);
			if (hi < 0 || lo < 0)
				return WS_ERR_INVALID;
			c = (unsigned char) (hi * 16 + lo);
			i += 2;
		}
		rc = ws_buf_append(out, &c, 1);
		if (rc != WS_OK)
			return rc;
	}
	return WS_OK;
}

/* Decode and encode again: any input form gives the one AWS form. */
static int
reencode(struct ws_buf *out, const char *s, size_t len)
{
	struct ws_buf raw;
	int rc;

	ws_buf_init(&raw, out->max);
	rc = uri_decode(&raw, s, len);
	if (rc == WS_OK)
		rc = ws_sigv4_uri_encode(out, ws_buf_str(&raw), raw.len, false);
	ws_buf_free(&raw);
	return rc;
}

int
ws_sigv4_sha256_hex(const void *data, size_t len, char hex[WS_SIGV4_SHA256_HEX_LEN + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32) {
		hex[0] = '\0';
		return WS_ERR_INVALID;
	}
	hex_lower(md, mdlen, hex);
	return WS_OK;
}

static int
compare_query_params(const void *a, const void *b)
{
	const struct query_param *pa = a;
	const struct query_param *pb = b;
	int c = strcmp(ws_buf_str(&pa->name), ws_buf_str(&pb->name));

	return c != 0 ? c : strcmp(ws_buf_str(&pa->value), ws_buf_str(&pb->value));
}

/* Parameters sorted by encoded name, then value, joined by '&'. */
static int
canonical_query(const char *query, struct ws_buf *out)
{
	struct query_param *params = NULL;
	size_t nparams = 0;
	size_t maxparams = 1;
	int rc = WS_OK;

	if (query == NULL || query[0] == '\0')
		return WS_OK;

	for (const char *p = query; *p != '\0'; p++)
		if (*p == '&')
			maxparams++;
	params = calloc(maxparams, sizeof(*params));
	if (params == NULL)
		return WS_ERR_NOMEM;

	for (const char *p = query; *p != '\0';) {
		const char *amp = strchr(p, '&');
		size_t plen = amp != NULL ? (size_t) (amp - p) : strlen(p);
		const char *eq = memchr(p, '=', plen);
		size_t nlen = eq != NULL ? (size_t) (eq - p) : plen;

		if (plen > 0) {
			struct query_param *qp = &params[nparams++];

			ws_buf_init(&qp->name, out->max);
			ws_buf_init(&qp->value, out->max);
			rc = reencode(&qp->name, p, nlen);
			if (rc == WS_OK && eq != NULL)
				rc = reencode(&qp->value, eq + 1, plen - nlen - 1);
			if (rc != WS_OK)
				goto cleanup;
		}
		if (amp == NULL)
			break;
		p = amp + 1;
	}

	if (nparams > 1)
		qsort(params, nparams, sizeof(*params), compare_query_params);
	for (size_t i = 0; i < nparams && rc == WS_OK; i++)
		rc = ws_buf_appendf(out, "%s%s=%s", i > 0 ? "&" : "",
							ws_buf_str(&params[i].name), ws_buf_str(&params[i].value));

cleanup:
	for (size_t i = 0; i < nparams; i++) {
		ws_buf_free(&params[i].name);
		ws_buf_free(&params[i].value);
	}
	free(params);
	return rc;
}

/* RFC 7230 token characters: what a header name may contain */
static bool
is_token_char(unsigned char c)
{
	if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
		return true;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static bool
is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Lowercase name; value without leading/trailing spaces, runs made one. */
static int
canonical_header(const struct ws_sigv4_header *h, struct canon_header *out)
{
	const unsigned char *v;
	bool pending_space = false;
	int rc;

	if (h->name == NULL || h->name[0] == '\0' || h->value == NULL)
		return WS_ERR_INVALID;
	for (const unsigned char *n = (const unsigned char *) h->name; *n != '\0'; n++) {
		char c = (char) ((*n >= 'A' && *n <= 'Z') ? *n - 'A' + 'a' : *n);

		if (!is_token_char(*n))
			return WS_ERR_INVALID;
		rc = ws_buf_append(&out->name, &c, 1);
		if (rc != WS_OK)
			return rc;
	}

	for (v = (const unsigned char *) h->value; *v != '\0'; v++) {
		if (is_space(*v)) {
			pending_space = out->value.len > 0;
			continue;
		}
		/* other control characters would end the header early */
		if (*v < 0x20 || *v == 0x7F)
			return WS_ERR_INVALID;
		if (pending_space) {
			rc = ws_buf_append(&out->value, " ", 1);
			if (rc != WS_OK)
				return rc;
			pending_space = false;
		}
		rc = ws_buf_append(&out->value, v, 1);
		if (rc != WS_OK)
			return rc;
	}
	/* "" until something was appended; make it a real string */
	return ws_buf_append(&out->value, "", 0);
}

static int
compare_headers(const void *a, const void *b)
{
	const struct canon_header *ha = a;
	const struct canon_header *hb = b;
	int c = strcmp(ws_buf_str(&ha->name), ws_buf_str(&hb->name));

	if (c != 0)
		return c;
	return ha->pos < hb->pos ? -1 : (ha->pos > hb->pos ? 1 : 0);
}

static bool
valid_method(const char *m)
{
	if (m == NULL || m[0] == '\0')
		return false;
	for (; *m != '\0'; m++)
		if (*m < 'A' || *m > 'Z')
			return false;
	return true;
}

static bool
valid_payload_hash(const char *h)
{
	size_t len;

	if (h == NULL)
		return false;
	if (strcmp(h, "UNSIGNED-PAYLOAD") == 0)
		return true;
	len = strlen(h);
	if (len != WS_SIGV4_SHA256_HEX_LEN)
		return false;
	for (size_t i = 0; i < len; i++)
		if (strchr(hexdigits_lower, h[i]) == NULL)
			return false;
	return true;
}

int
ws_sigv4_canonical_request(const struct ws_sigv4_request *req, struct ws_buf *creq,
						   struct ws_buf *signed_headers)
{
	struct canon_header *hs = NULL;
	const char *path = req->path;
	int rc;

	if (!valid_method(req->method) || !valid_payload_hash(req->payload_hash) ||
		(req->nheaders > 0 && req->headers == NULL))
		return WS_ERR_INVALID;
	if (path == NULL || path[0] == '\0')
		path = "/";
	if (path[0] != '/')
		return WS_ERR_INVALID;

	rc = ws_buf_appendf(creq, "%s\n", req->method);
	if (rc == WS_OK)
		rc = ws_sigv4_uri_encode(creq, path, strlen(path), true);
	if (rc == WS_OK)
		rc = ws_buf_append(creq, "\n", 1);
	if (rc == WS_OK)
		rc = canonical_query(req->query, creq);
	if (rc == WS_OK)
		rc = ws_buf_append(creq, "\n", 1);
	if (rc != WS_OK)
		return rc;

	if (req->nheaders > 0) {
		hs = calloc(req->nheaders, sizeof(*hs));
		if (hs == NULL)
			return WS_ERR_NOMEM;
	}
	for (size_t i = 0; i < req->nheaders; i++) {
		ws_buf_init(&hs[i].name, creq->max);
		ws_buf_init(&hs[i].value, creq->max);
		hs[i].pos = i;
	}
	for (size_t i = 0; i < req->nheaders && rc == WS_OK; i++)
		rc = canonical_header(&req->headers[i], &hs[i]);
	if (rc != WS_OK)
		goto cleanup;
	if (req->nheaders > 1)
		qsort(hs, req->nheaders, sizeof(*hs), compare_headers);

	/* "name:v1,v2\n" per distinct name; "a;b;c" for the signed list */
	for (size_t i = 0; i < req->nheaders && rc == WS_OK; i++) {
		bool first = i == 0 || strcmp(ws_buf_str(&hs[i].name), ws_buf_str(&hs[i - 1].name)) != 0;
		bool last = i + 1 == req->nheaders ||
			strcmp(ws_buf_str(&hs[i].name), ws_buf_str(&hs[i + 1].name)) != 0;

		if (first) {
			rc = ws_buf_appendf(creq, "%s:", ws_buf_str(&hs[i].name));
			if (rc == WS_OK)
				rc = ws_buf_appendf(signed_headers, "%s%s", i > 0 ? ";" : "",
									ws_buf_str(&hs[i].name));
		} else {
			rc = ws_buf_append(creq, ",", 1);
		}
		if (rc == WS_OK)
			rc = ws_buf_append_str(creq, ws_buf_str(&hs[i].value));
		if (rc == WS_OK && last)
			rc = ws_buf_append(creq, "\n", 1);
	}
	/* a request without headers still gets a defined, empty list */
	if (rc == WS_OK)
		rc = ws_buf_append(signed_headers, "", 0);
	if (rc == WS_OK)
		rc = ws_buf_appendf(creq, "\n%s\n%s", ws_buf_str(signed_headers), req->payload_hash);

cleanup:
	for (size_t i = 0; hs != NULL && i < req->nheaders; i++) {
		ws_buf_free(&hs[i].name);
		ws_buf_free(&hs[i].value);
	}
	free(hs);
	return rc;
}

static bool
valid_datetime(const char *dt)
{
	if (dt == NULL || strlen(dt) != WS_SIGV4_DATETIME_LEN)
		return false;
	for (int i = 0; i < WS_SIGV4_DATETIME_LEN; i++) {
		if (i == 8) {
			if (dt[i] != 'T')
				return false;
		} else if (i == 15) {
			if (dt[i] != 'Z')
				return false;
		} else if (dt[i] < '0' || dt[i] > '9') {
			return false;
		}
	}
	return true;
}

/* a credential scope part: printable, no '/', no space, not empty */
static bool
valid_scope_part(const char *s)
{
	if (s == NULL || s[0] == '\0')
		return false;
	for (; *s != '\0'; s++)
		if ((unsigned char) *s <= 0x20 || (unsigned char) *s >= 0x7F || *s == '/' || *s == ',')
			return false;
	return true;
}

int
ws_sigv4_string_to_sign(const char *datetime, const char *region, const char *service,
						const char *creq, size_t creq_len, struct ws_buf *out)
{
	char hash[WS_SIGV4_SHA256_HEX_LEN + 1];
	int rc;

	if (!valid_datetime(datetime) || !valid_scope_part(region) || !valid_scope_part(service))
		return WS_ERR_INVALID;
	rc = ws_sigv4_sha256_hex(creq, creq_len, hash);
	if (rc != WS_OK)
		return rc;
	return ws_buf_appendf(out, "%s\n%s\n%.8s/%s/%s/%s\n%s", WS_SIGV4_ALGORITHM, datetime,
						  datetime, region, service, WS_SIGV4_SCOPE_TERMINATOR, hash);
}

/* out = HMAC-SHA256(key, data); out may alias key */
static int
hmac_sha256(const unsigned char *key, size_t keylen, const char *data,
			unsigned char out[WS_SIGV4_KEY_LEN])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (keylen > INT32_MAX ||
		HMAC(EVP_sha256(), key, (int) keylen, (const unsigned char *) data, strlen(data),
			 md, &mdlen) == NULL || mdlen != WS_SIGV4_KEY_LEN) {
		OPENSSL_cleanse(md, sizeof(md));
		return WS_ERR_INVALID;
	}
	memcpy(out, md, WS_SIGV4_KEY_LEN);
	OPENSSL_cleanse(md, sizeof(md));
	return WS_OK;
}

int
ws_sigv4_signing_key(const char *secret, const char *date, const char *region,
					 const char *service, unsigned char key[WS_SIGV4_KEY_LEN])
{
	unsigned char k[WS_SIGV4_KEY_LEN];
	unsigned char *first = NULL;
	size_t secret_len;
	size_t first_len;
	int rc;

	if (secret == NULL || date == NULL || strlen(date) != 8 ||
		strspn(date, "0123456789") != 8 ||
		!valid_scope_part(region) || !valid_scope_part(service))
		return WS_ERR_INVALID;

	/* "AWS4" + secret: the key of the first HMAC */
	secret_len = strlen(secret);
	if (secret_len > SIZE_MAX - 4)
		return WS_ERR_INVALID;
	first_len = secret_len + 4;
	first = malloc(first_len);
	if (first == NULL)
		return WS_ERR_NOMEM;
	memcpy(first, "AWS4", 4);
	memcpy(first + 4, secret, secret_len);

	rc = hmac_sha256(first, first_len, date, k);
	if (rc == WS_OK)
		rc = hmac_sha256(k, sizeof(k), region, k);
	if (rc == WS_OK)
		rc = hmac_sha256(k, sizeof(k), service, k);
	if (rc == WS_OK)
		rc = hmac_sha256(k, sizeof(k), WS_SIGV4_SCOPE_TERMINATOR, k);
	if (rc == WS_OK)
		memcpy(key, k, sizeof(k));

	OPENSSL_cleanse(first, first_len);
	free(first);
	OPENSSL_cleanse(k, sizeof(k));
	return rc;
}

int
ws_sigv4_sign(const struct ws_sigv4_request *req, const struct ws_sigv4_credentials *cred,
			  const char *datetime, struct ws_buf *authz, struct ws_buf *creq_out,
			  struct ws_buf *sts_out)
{
	struct ws_buf creq;
	struct ws_buf signed_headers;
	struct ws_buf sts;
	unsigned char key[WS_SIGV4_KEY_LEN];
	unsigned char sig[EVP_MAX_MD_SIZE];
	unsigned int siglen = 0;
	char sighex[2 * WS_SIGV4_KEY_LEN + 1];
	char date[9];
	int rc;

	ws_buf_init(&creq, authz->max);
	ws_buf_init(&signed_headers, authz->max);
	ws_buf_init(&sts, authz->max);

	if (!valid_scope_part(cred->key)) {
		rc = WS_ERR_INVALID;
		goto cleanup;
	}
	rc = ws_sigv4_canonical_request(req, &creq, &signed_headers);
	if (rc != WS_OK)
		goto cleanup;
	rc = ws_sigv4_string_to_sign(datetime, cred->region, cred->service,
								 ws_buf_str(&creq), creq.len, &sts);
	if (rc != WS_OK)
		goto cleanup;
	memcpy(date, datetime, 8);
	date[8] = '\0';
	rc = ws_sigv4_signing_key(cred->secret, date, cred->region, cred->service, key);
	if (rc != WS_OK)
		goto cleanup;

	if (HMAC(EVP_sha256(), key, (int) sizeof(key), (const unsigned char *) ws_buf_str(&sts),
			 sts.len, sig, &siglen) == NULL || siglen != WS_SIGV4_KEY_LEN) {
		rc = WS_ERR_INVALID;
		goto cleanup;
	}
	hex_lower(sig, siglen, sighex);

	rc = ws_buf_appendf(authz, "%s Credential=%s/%.8s/%s/%s/%s, SignedHeaders=%s, Signature=%s",
						WS_SIGV4_ALGORITHM, cred->key, datetime, cred->region, cred->service,
						WS_SIGV4_SCOPE_TERMINATOR, ws_buf_str(&signed_headers), sighex);
	if (rc == WS_OK && creq_out != NULL)
		rc = ws_buf_append(creq_out, ws_buf_str(&creq), creq.len);
	if (rc == WS_OK && sts_out != NULL)
		rc = ws_buf_append(sts_out, ws_buf_str(&sts), sts.len);

cleanup:
	OPENSSL_cleanse(key, sizeof(key));
	ws_buf_free(&creq);
	ws_buf_free(&signed_headers);
	ws_buf_free(&sts);
	return rc;
}

int
ws_sigv4_format_datetime(time_t t, char out[WS_SIGV4_DATETIME_LEN + 1])
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
		strftime(out, WS_SIGV4_DATETIME_LEN + 1, "%Y%m%dT%H%M%SZ", &tm) != WS_SIGV4_DATETIME_LEN) {
		out[0] = '\0';
		return WS_ERR_INVALID;
	}
	return WS_OK;
}
