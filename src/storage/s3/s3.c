/*
 * s3.c — storage driver for Amazon S3 and S3-compatible object stores
 *
 * An object "a/b/c" is the key "<prefix>/a/b/c" in the bucket. Requests
 * are signed with SigV4 (sigv4.c) and sent with one libcurl easy handle
 * kept for the life of the storage, so that connections are reused.
 *
 * Writes are buffered up to part_size bytes. An object that fits is sent
 * with one PutObject at commit, signed with the SHA-256 of its bytes (S3
 * checks it, so a corrupted body is refused). A larger one becomes a
 * multipart upload: CreateMultipartUpload at the first full buffer, one
 * UploadPart per part_size bytes, and CompleteMultipartUpload at commit;
 * abort sends AbortMultipartUpload. Either way the object appears whole,
 * and only at commit.
 *
 * no_overwrite: open_write asks HeadObject first and refuses an existing
 * object with WS_ERR_EXISTS; the final PutObject or CompleteMultipartUpload
 * also carries "If-None-Match: *", which AWS S3 honours (412 →
 * WS_ERR_EXISTS). Stores that ignore that header (s3rver, older MinIO)
 * leave a race between the HEAD and the write: two writers of the same
 * new object can both succeed, the last one winning.
 *
 * Reads GET the whole object into memory (a list of chunks, at most
 * WS_S3_GET_MAX bytes) and serve read() from there.
 *
 * Requests are retried with exponential backoff and jitter (s3.h) on
 * connection failures, timeouts, 5xx and 429, up to max_retries times;
 * never on other 4xx answers. Retrying CreateMultipartUpload can leave an
 * unused upload behind; a bucket lifecycle rule
 * (AbortIncompleteMultipartUpload) cleans those up.
 *
 * The secret key is used only to derive signing keys; it never appears in
 * a message, and is wiped from memory when the storage is freed.
 *
 * Test knob: WALSHIP_S3_MAX_KEYS=N (1..1000), read when the storage is
 * created, makes list ask for pages of N keys, so that pagination can be
 * exercised with few objects.
 */
#include "storage/storage.h"
#include "storage/s3/s3.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/crypto.h>

#include "common/str.h"
#include "storage/s3/sigv4.h"
#include "storage/s3/xml.h"

#define WS_S3_MIN_PART_SIZE ((uint64_t) 5 * 1024 * 1024)
/* S3's own limits on a part */
#define WS_S3_MAX_PART_SIZE ((uint64_t) 5 * 1024 * 1024 * 1024)
#define WS_S3_DEFAULT_PART_SIZE ((size_t) 16 * 1024 * 1024)
#define WS_S3_MAX_PARTS 10000
#define WS_S3_DEFAULT_TIMEOUT_MS 60000
/* the largest object open_read holds in memory */
#define WS_S3_GET_MAX ((uint64_t) 2 * 1024 * 1024 * 1024)
/* first and largest chunk of a GET's memory */
#define WS_S3_CHUNK_MIN ((size_t) 64 * 1024)
#define WS_S3_CHUNK_MAX ((size_t) 4 * 1024 * 1024)
/* what we keep of an error answer's body */
#define WS_S3_ERROR_BODY_MAX 65536
#define WS_S3_ETAG_MAX 256
/* request and header texts: keys are at most 1 KiB, tokens a few KiB */
#define WS_S3_TEXT_MAX 65536
#define WS_S3_SERVICE "s3"
#define WS_S3_DEFAULT_REGION "us-east-1"

struct s3_driver {
	char *bucket;
	char *endpoint;
	char *region;
	char *key;
	char *secret;
	char *token;                /* NULL: none */
	char *root;                 /* key prefix ending in '/', or "" */
	char *host;                 /* Host header: endpoint, or bucket.endpoint */
	bool path_style;
	bool tls;
	bool verify_tls;
	char *ca_file;
	char *ca_path;
	size_t part_size;
	int max_retries;
	long timeout_ms;
	int list_max_keys;          /* 0: the server's default (1000) */
	uint64_t rng;               /* jitter */
	CURL *curl;
	char errbuf[CURL_ERROR_SIZE];
};

/* Memory of a GET: chunks growing from WS_S3_CHUNK_MIN to WS_S3_CHUNK_MAX. */
struct chunk {
	struct chunk *next;
	size_t len;
	size_t cap;
	char data[];
};

struct chunk_list {
	struct chunk *head;
	struct chunk *tail;
	uint64_t total;
};

struct s3_req {
	enum ws_s3_op op;
	const char *method;
	const char *key;            /* full object key; NULL: the bucket */
	const char *query;          /* encoded, without '?'; NULL: none */
	const char *data;           /* request body; NULL: none */
	size_t len;
	const char *content_type;   /* NULL: none */
	bool if_none_match;         /* send "If-None-Match: *" */
	struct ws_buf *out;         /* 2xx body (XML answers); NULL: discard */
	struct chunk_list *chunks;  /* 2xx body of an object GET, instead of out */
};

struct s3_res {
	CURLcode cc;
	long status;
	char etag[WS_S3_ETAG_MAX];
	curl_off_t length;          /* Content-Length; -1 unknown */
	time_t mtime;               /* Last-Modified; -1 unknown */
	struct ws_buf errbody;      /* body of a non-2xx answer, cut */
	int local;                  /* what stopped a transfer on our side */
	int attempts;
	/* for the callbacks */
	const struct s3_req *req;
	CURL *curl;
};

struct upload_src {
	const char *data;
	size_t len;
	size_t pos;
};

struct ws_storage_write {
	struct ws_storage *s;
	struct s3_driver *d;
	char *key;
	bool no_overwrite;
	struct ws_buf buf;          /* at most part_size bytes not yet sent */
	char *upload_id;            /* NULL until multipart */
	char **etags;               /* one per part sent */
	int nparts;
	int alloc_parts;
};

struct ws_storage_read {
	struct chunk_list chunks;
	struct chunk *cur;
	size_t off;
};

static const char *const op_what[] = {
	[WS_S3_OP_PUT] = "could not upload object",
	[WS_S3_OP_GET] = "could not read object",
	[WS_S3_OP_HEAD] = "could not stat object",
	[WS_S3_OP_LIST] = "could not list objects under",
	[WS_S3_OP_DELETE] = "could not remove object",
	[WS_S3_OP_CREATE_UPLOAD] = "could not start multipart upload of object",
	[WS_S3_OP_UPLOAD_PART] = "could not upload part of object",
	[WS_S3_OP_COMPLETE_UPLOAD] = "could not complete multipart upload of object",
	[WS_S3_OP_ABORT_UPLOAD] = "could not abort multipart upload of object"
};

/* ---- policy (s3.h) ---- */

bool
ws_s3_retryable(CURLcode cc, long status)
{
	switch (cc) {
	case CURLE_OK:
		return status >= 500 || status == 429;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
	case CURLE_SSL_CONNECT_ERROR:
		return true;
	default:
		/* local failures, bad options, certificate problems */
		return false;
	}
}

unsigned int
ws_s3_backoff_ms(int attempt, unsigned int base_ms, unsigned int max_ms, uint64_t random)
{
	uint64_t cap = base_ms;
	uint64_t half;

	if (attempt < 1)
		attempt = 1;
	for (int i = 1; i < attempt && cap < max_ms; i++)
		cap *= 2;
	if (cap > max_ms)
		cap = max_ms;
	half = cap / 2;
	return (unsigned int) (cap - half + random % (half + 1));
}

int
ws_s3_http_error(enum ws_s3_op op, const char *bucket, const char *name, long status,
				 const struct ws_s3_error_doc *doc, struct ws_error *err)
{
	const char *code = (doc != NULL && doc->code[0] != '\0') ? doc->code : NULL;
	const char *msg = (doc != NULL && doc->message[0] != '\0') ? doc->message : NULL;

	if (code != NULL && strcmp(code, "NoSuchBucket") == 0)
		return ws_error_set(err, WS_ERR_IO, "bucket \"%s\" does not exist", bucket);
	if (status == 403) {
		if (code == NULL)
			return ws_error_set(err, WS_ERR_IO, "access denied to bucket \"%s\" (HTTP 403)",
								bucket);
		return ws_error_set(err, WS_ERR_IO, "access denied to bucket \"%s\": %s: %s",
							bucket, code, msg != NULL ? msg : "no message");
	}
	if (status == 404 && (op == WS_S3_OP_GET || op == WS_S3_OP_HEAD) &&
		(code == NULL || strcmp(code, "NoSuchKey") == 0))
		return ws_error_set(err, WS_ERR_NOT_FOUND,
							"object \"%s\" does not exist in bucket \"%s\"", name, bucket);
	if (status == 412 && (op == WS_S3_OP_PUT || op == WS_S3_OP_COMPLETE_UPLOAD))
		return ws_error_set(err, WS_ERR_EXISTS,
							"object \"%s\" already exists in bucket \"%s\"", name, bucket);
	return ws_error_set(err, WS_ERR_IO, "%s \"%s\" in bucket \"%s\": HTTP %ld%s%s%s%s",
						op_what[op], name, bucket, status,
						code != NULL ? " " : "", code != NULL ? code : "",
						msg != NULL ? ": " : "", msg != NULL ? msg : "");
}

/* ---- small helpers ---- */

/* configuration strings: NULL and "" both mean "not set" */
static bool
is_set(const char *s)
{
	return s != NULL && s[0] != '\0';
}

static void
free_secret(char *s)
{
	if (s != NULL) {
		OPENSSL_cleanse(s, strlen(s));
		free(s);
	}
}

/* xorshift64*: jitter needs spread, not secrecy */
static uint64_t
next_random(struct s3_driver *d)
{
	uint64_t x = d->rng;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	d->rng = x;
	return x * UINT64_C(0x2545F4914F6CDD1D);
}

static void
sleep_ms(unsigned int ms)
{
	struct timespec ts;

	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (long) (ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* printable ASCII, no spaces: what may go into a header unquoted */
static bool
is_header_safe(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char) *s <= 0x20 || (unsigned char) *s >= 0x7F)
			return false;
	return true;
}

static void
chunks_free(struct chunk_list *c)
{
	struct chunk *next;

	for (struct chunk *k = c->head; k != NULL; k = next) {
		next = k->next;
		free(k);
	}
	c->head = NULL;
	c->tail = NULL;
	c->total = 0;
}

static int
chunks_append(struct chunk_list *c, const char *p, size_t n)
{
	if (n > WS_S3_GET_MAX - c->total)
		return WS_ERR_TOO_LARGE;
	while (n > 0) {
		struct chunk *t = c->tail;
		size_t take;

		if (t == NULL || t->len == t->cap) {
			size_t cap = t == NULL ? WS_S3_CHUNK_MIN :
				(t->cap >= WS_S3_CHUNK_MAX / 2 ? WS_S3_CHUNK_MAX : t->cap * 2);
			struct chunk *k = malloc(sizeof(*k) + cap);

			if (k == NULL)
				return WS_ERR_NOMEM;
			k->next = NULL;
			k->len = 0;
			k->cap = cap;
			if (t == NULL)
				c->head = k;
			else
				t->next = k;
			c->tail = k;
			t = k;
		}
		take = t->cap - t->len < n ? t->cap - t->len : n;
		memcpy(t->data + t->len, p, take);
		t->len += take;
		c->total += take;
		p += take;
		n -= take;
	}
	return WS_OK;
}

/* ---- libcurl callbacks ---- */

static size_t
write_cb(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct s3_res *res = arg;
	size_t len = size * nmemb;
	long status = 0;
	int rc;

	curl_easy_getinfo(res->curl, CURLINFO_RESPONSE_CODE, &status);
	if (status < 200 || status > 299) {
		/* keep the start of an error answer: the XML is short */
		size_t room = res->errbody.max - res->errbody.len;

		if (ws_buf_append(&res->errbody, ptr, len < room ? len : room) == WS_ERR_NOMEM) {
			res->local = WS_ERR_NOMEM;
			return 0;
		}
		return len;
	}
	if (res->req->chunks != NULL)
		rc = chunks_append(res->req->chunks, ptr, len);
	else if (res->req->out != NULL)
		rc = ws_buf_append(res->req->out, ptr, len);
	else
		rc = WS_OK;
	if (rc != WS_OK) {
		res->local = rc;
		return 0;               /* ends the transfer: CURLE_WRITE_ERROR */
	}
	return len;
}

static size_t
header_cb(char *buf, size_t size, size_t nitems, void *arg)
{
	struct s3_res *res = arg;
	size_t len = size * nitems;

	/* a new status line: headers of an earlier (interim) answer are void */
	if (len >= 5 && memcmp(buf, "HTTP/", 5) == 0) {
		res->etag[0] = '\0';
	} else if (len > 5 && strncasecmp(buf, "etag:", 5) == 0) {
		const char *v = buf + 5;
		const char *end = buf + len;

		while (v < end && (*v == ' ' || *v == '\t'))
			v++;
		while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ' ||
						   end[-1] == '\t'))
			end--;
		if ((size_t) (end - v) < sizeof(res->etag)) {
			memcpy(res->etag, v, (size_t) (end - v));
			res->etag[end - v] = '\0';
		}
	}
	return len;
}

static size_t
read_cb(char *dst, size_t size, size_t nitems, void *arg)
{
	struct upload_src *src = arg;
	size_t want = size * nitems;
	size_t left = src->len - src->pos;
	size_t n = want < left ? want : left;

	if (n > 0)
		memcpy(dst, src->data + src->pos, n);
	src->pos += n;
	return n;
}

/* libcurl rewinds when it resends on a connection that turned out dead */
static int
seek_cb(void *arg, curl_off_t offset, int origin)
{
	struct upload_src *src = arg;

	if (origin != SEEK_SET || offset < 0 || (uint64_t) offset > src->len)
		return CURL_SEEKFUNC_FAIL;
	src->pos = (size_t) offset;
	return CURL_SEEKFUNC_OK;
}

/* ---- one request ---- */

/* "/bucket/key" or "/key" (decoded) and the full URL */
static int
build_target(struct s3_driver *d, const struct s3_req *req, struct ws_buf *path,
			 struct ws_buf *url)
{
	int rc;

	if (d->path_style)
		rc = ws_buf_appendf(path, "/%s%s%s", d->bucket, req->key != NULL ? "/" : "",
							req->key != NULL ? req->key : "");
	else
		rc = ws_buf_appendf(path, "/%s", req->key != NULL ? req->key : "");
	if (rc == WS_OK)
		rc = ws_buf_appendf(url, "%s://%s", d->tls ? "https" : "http", d->host);
	if (rc == WS_OK)
		rc = ws_sigv4_uri_encode(url, ws_buf_str(path), path->len, true);
	if (rc == WS_OK && req->query != NULL && req->query[0] != '\0')
		rc = ws_buf_appendf(url, "?%s", req->query);
	return rc;
}

static int
add_header(struct curl_slist **list, struct ws_buf *line, const char *name, const char *value)
{
	struct curl_slist *l;
	int rc;

	ws_buf_reset(line);
	rc = ws_buf_appendf(line, "%s: %s", name, value);
	if (rc != WS_OK)
		return rc;
	l = curl_slist_append(*list, ws_buf_str(line));
	if (l == NULL)
		return WS_ERR_NOMEM;
	*list = l;
	return WS_OK;
}

static CURLcode
set_method(CURL *c, const struct s3_req *req, struct upload_src *src)
{
	CURLcode cc;

	if (strcmp(req->method, "GET") == 0)
		return curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
	if (strcmp(req->method, "HEAD") == 0)
		return curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	if (strcmp(req->method, "DELETE") == 0)
		return curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "DELETE");
	if (strcmp(req->method, "POST") == 0) {
		cc = curl_easy_setopt(c, CURLOPT_POST, 1L);
		if (cc == CURLE_OK)
			cc = curl_easy_setopt(c, CURLOPT_POSTFIELDS, req->data != NULL ? req->data : "");
		if (cc == CURLE_OK)
			cc = curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) req->len);
		return cc;
	}
	/* PUT: the body streams from memory */
	src->data = req->data != NULL ? req->data : "";
	src->len = req->len;
	src->pos = 0;
	cc = curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	if (cc == CURLE_OK)
		cc = curl_easy_setopt(c, CURLOPT_READFUNCTION, read_cb);
	if (cc == CURLE_OK)
		cc = curl_easy_setopt(c, CURLOPT_READDATA, src);
	if (cc == CURLE_OK)
		cc = curl_easy_setopt(c, CURLOPT_SEEKFUNCTION, seek_cb);
	if (cc == CURLE_OK)
		cc = curl_easy_setopt(c, CURLOPT_SEEKDATA, src);
	if (cc == CURLE_OK)
		cc = curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t) req->len);
	return cc;
}

static CURLcode
set_options(struct s3_driver *d, const struct s3_req *req, const char *url,
			struct curl_slist *headers, struct s3_res *res, struct upload_src *src)
{
	CURL *c = d->curl;
	CURLcode cc;

	cc = curl_easy_setopt(c, CURLOPT_URL, url);
#if LIBCURL_VERSION_NUM >= 0x075500
	if (cc == CURLE_OK)
		cc = curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, d->tls ? "https" : "http");
#endif
	if (cc == CURLE_OK)
		cc = curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
	if (cc == CURLE_OK)
		cc = curl_easy_setopt(c, CURLOPT_ERRORBUFFER, d->errbuf);
	if (cc == CURLE_OK)
		cc = curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, d->timeout_ms);
	if (cc == CURLE_OK)
		cc = curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, d->timeout_ms);
	if (cc == CURLE_OK)
		cc = curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
	if (cc == CURLE_OK)
		cc = curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_cb);
	if (cc == CURLE_OK)
		cc = curl_easy_setopt(c, CURLOPT_WRITEDATA, res);
	if (cc == CURLE_OK)
		cc = curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, header_cb);
	if (cc == CURLE_OK)
		cc = curl_easy_setopt(c, CURLOPT_HEADERDATA, res);
	if (cc == CURLE_OK)
		cc = curl_easy_setopt(c, CURLOPT_FILETIME, 1L);
	if (cc == CURLE_OK)
		cc = curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, d->verify_tls ? 1L : 0L);
	if (cc == CURLE_OK)
		cc = curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, d->verify_tls ? 2L : 0L);
	if (cc == CURLE_OK && d->ca_file != NULL)
		cc = curl_easy_setopt(c, CURLOPT_CAINFO, d->ca_file);
	if (cc == CURLE_OK && d->ca_path != NULL)
		cc = curl_easy_setopt(c, CURLOPT_CAPATH, d->ca_path);
	if (cc == CURLE_OK)
		cc = set_method(c, req, src);
	return cc;
}

/*
 * Sign and send req once; res gets libcurl's code, the HTTP status and
 * what came back. An error return means the request could not be made at
 * all (it is not retried).
 */
static int
perform_once(struct s3_driver *d, const struct s3_req *req, const char *payload_hash,
			 struct s3_res *res, struct ws_error *err)
{
	struct ws_buf path, url, authz, line;
	struct curl_slist *headers = NULL;
	struct ws_sigv4_header sh[4];
	struct ws_sigv4_request sreq;
	struct ws_sigv4_credentials cred;
	struct upload_src src = {NULL, 0, 0};
	char datetime[WS_SIGV4_DATETIME_LEN + 1];
	size_t nsh = 0;
	curl_off_t filetime = -1;
	CURLcode cc;
	int rc;

	ws_buf_init(&path, WS_S3_TEXT_MAX);
	ws_buf_init(&url, WS_S3_TEXT_MAX);
	ws_buf_init(&authz, WS_S3_TEXT_MAX);
	ws_buf_init(&line, WS_S3_TEXT_MAX);

	rc = build_target(d, req, &path, &url);
	if (rc != WS_OK) {
		ws_error_set(err, rc, "could not build the URL of S3 object \"%s\"",
					 req->key != NULL ? req->key : "");
		goto cleanup;
	}

	rc = ws_sigv4_format_datetime(time(NULL), datetime);
	if (rc != WS_OK) {
		ws_error_set(err, rc, "could not format the current time");
		goto cleanup;
	}
	sh[nsh++] = (struct ws_sigv4_header) {"host", d->host};
	sh[nsh++] = (struct ws_sigv4_header) {"x-amz-content-sha256", payload_hash};
	sh[nsh++] = (struct ws_sigv4_header) {"x-amz-date", datetime};
	if (d->token != NULL)
		sh[nsh++] = (struct ws_sigv4_header) {"x-amz-security-token", d->token};
	sreq.method = req->method;
	sreq.path = ws_buf_str(&path);
	sreq.query = req->query;
	sreq.headers = sh;
	sreq.nheaders = nsh;
	sreq.payload_hash = payload_hash;
	cred.key = d->key;
	cred.secret = d->secret;
	cred.region = d->region;
	cred.service = WS_S3_SERVICE;
	rc = ws_sigv4_sign(&sreq, &cred, datetime, &authz, NULL, NULL);
	if (rc != WS_OK) {
		ws_error_set(err, rc, "could not sign S3 request for \"%s\"", ws_buf_str(&path));
		goto cleanup;
	}

	for (size_t i = 0; i < nsh && rc == WS_OK; i++)
		rc = add_header(&headers, &line, sh[i].name, sh[i].value);
	if (rc == WS_OK)
		rc = add_header(&headers, &line, "Authorization", ws_buf_str(&authz));
	if (rc == WS_OK && req->if_none_match)
		rc = add_header(&headers, &line, "If-None-Match", "*");
	/* libcurl would label a POST as a form, and S3 keeps the type it is given */
	if (rc == WS_OK && (req->content_type != NULL || strcmp(req->method, "POST") == 0))
		rc = add_header(&headers, &line, "Content-Type",
						req->content_type != NULL ? req->content_type :
						"application/octet-stream");
	/* no "Expect: 100-continue" round trip before each upload */
	if (rc == WS_OK) {
		struct curl_slist *l = curl_slist_append(headers, "Expect:");

		if (l == NULL)
			rc = WS_ERR_NOMEM;
		else
			headers = l;
	}
	if (rc != WS_OK) {
		ws_error_set(err, rc, "out of memory");
		goto cleanup;
	}

	curl_easy_reset(d->curl);  /* keeps the connection cache */
	d->errbuf[0] = '\0';
	res->req = req;
	res->curl = d->curl;
	cc = set_options(d, req, ws_buf_str(&url), headers, res, &src);
	if (cc != CURLE_OK) {
		rc = ws_error_set(err, WS_ERR_IO, "could not set up S3 request: %s",
						  curl_easy_strerror(cc));
		goto cleanup;
	}

	res->cc = curl_easy_perform(d->curl);
	curl_easy_getinfo(d->curl, CURLINFO_RESPONSE_CODE, &res->status);
	curl_easy_getinfo(d->curl, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &res->length);
	curl_easy_getinfo(d->curl, CURLINFO_FILETIME_T, &filetime);
	res->mtime = filetime >= 0 ? (time_t) filetime : (time_t) -1;
	rc = WS_OK;

cleanup:
	curl_slist_free_all(headers);
	ws_buf_free(&path);
	ws_buf_free(&url);
	ws_buf_free(&authz);
	ws_buf_free(&line);
	return rc;
}

static int
transport_error(struct s3_driver *d, const struct s3_res *res, struct ws_error *err)
{
	const char *detail = d->errbuf[0] != '\0' ? d->errbuf : curl_easy_strerror(res->cc);
	char tries[48] = "";

	if (res->attempts > 1)
		snprintf(tries, sizeof(tries), " (%d attempts)", res->attempts);
	switch (res->cc) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
		return ws_error_set(err, WS_ERR_IO, "could not connect to S3 endpoint \"%s\": %s%s",
							d->endpoint, detail, tries);
	case CURLE_OPERATION_TIMEDOUT:
		return ws_error_set(err, WS_ERR_IO, "request to S3 endpoint \"%s\" timed out: %s%s",
							d->endpoint, detail, tries);
	default:
		return ws_error_set(err, WS_ERR_IO, "request to S3 endpoint \"%s\" failed: %s%s",
							d->endpoint, detail, tries);
	}
}

/*
 * Send req, retrying what is worth retrying. WS_OK means an HTTP answer
 * arrived (res->status says which); otherwise err tells why none did.
 * The caller frees res->errbody.
 */
static int
s3_request(struct s3_driver *d, const struct s3_req *req, struct s3_res *res,
		   struct ws_error *err)
{
	char hash[WS_SIGV4_SHA256_HEX_LEN + 1];
	int rc;

	ws_buf_init(&res->errbody, WS_S3_ERROR_BODY_MAX);
	rc = ws_sigv4_sha256_hex(req->data != NULL ? req->data : "", req->len, hash);
	if (rc != WS_OK)
		return ws_error_set(err, rc, "could not hash S3 request body");

	for (res->attempts = 1;; res->attempts++) {
		res->cc = CURLE_OK;
		res->status = 0;
		res->etag[0] = '\0';
		res->length = -1;
		res->mtime = -1;
		res->local = WS_OK;
		ws_buf_reset(&res->errbody);
		if (req->out != NULL)
			ws_buf_reset(req->out);
		if (req->chunks != NULL)
			chunks_free(req->chunks);

		rc = perform_once(d, req, hash, res, err);
		if (rc != WS_OK)
			return rc;
		if (res->local == WS_ERR_NOMEM)
			return ws_error_set(err, WS_ERR_NOMEM, "out of memory");
		if (res->local == WS_ERR_TOO_LARGE)
			return ws_error_set(err, WS_ERR_TOO_LARGE,
								"%s \"%s\" in bucket \"%s\": the answer is too large",
								op_what[req->op], req->key != NULL ? req->key : "",
								d->bucket);
		if (!ws_s3_retryable(res->cc, res->status) || res->attempts > d->max_retries)
			break;
		sleep_ms(ws_s3_backoff_ms(res->attempts, WS_S3_BACKOFF_BASE_MS,
								  WS_S3_BACKOFF_MAX_MS, next_random(d)));
	}
	if (res->cc != CURLE_OK)
		return transport_error(d, res, err);
	return WS_OK;
}

static bool
is_2xx(long status)
{
	return status >= 200 && status <= 299;
}

/* the S3 error document of a failed answer, if it has one */
static bool
error_doc(const struct s3_res *res, struct ws_s3_error_doc *doc)
{
	struct ws_error ignored;

	return res->errbody.len > 0 &&
		ws_s3_xml_parse_error(ws_buf_str(&res->errbody), res->errbody.len, doc,
							  &ignored) == WS_OK;
}

static int
http_failure(struct s3_driver *d, enum ws_s3_op op, const char *name,
			 const struct s3_res *res, struct ws_error *err)
{
	struct ws_s3_error_doc doc;

	return ws_s3_http_error(op, d->bucket, name, res->status,
							error_doc(res, &doc) ? &doc : NULL, err);
}

/* "<root><path>" */
static int
object_key(struct s3_driver *d, const char *path, char **out, struct ws_error *err)
{
	struct ws_buf k;
	int rc;

	*out = NULL;
	rc = ws_storage_path_check(path, err);
	if (rc != WS_OK)
		return rc;
	ws_buf_init(&k, WS_S3_TEXT_MAX);
	rc = ws_buf_appendf(&k, "%s%s", d->root, path);
	if (rc != WS_OK) {
		ws_buf_free(&k);
		return ws_error_set(err, rc == WS_ERR_NOMEM ? rc : WS_ERR_INVALID,
							rc == WS_ERR_NOMEM ? "out of memory" :
							"S3 object key for \"%s\" is too long", path);
	}
	*out = k.data;
	return WS_OK;
}

/* ---- info ---- */

static int
head_object(struct s3_driver *d, const char *key, struct ws_storage_info *info,
			struct ws_error *err)
{
	struct s3_req req = {.op = WS_S3_OP_HEAD, .method = "HEAD", .key = key};
	struct s3_res res;
	int rc;

	info->exists = false;
	info->size = 0;
	info->mtime = 0;
	rc = s3_request(d, &req, &res, err);
	if (rc == WS_OK) {
		if (is_2xx(res.status)) {
			info->exists = true;
			info->size = res.length > 0 ? (uint64_t) res.length : 0;
			info->mtime = res.mtime > 0 ? res.mtime : 0;
		} else if (res.status != 404) {
			/* a HEAD answer has no body: a missing bucket is a 404 too */
			rc = http_failure(d, WS_S3_OP_HEAD, key, &res, err);
		}
	}
	ws_buf_free(&res.errbody);
	return rc;
}

static int
s3_info(struct ws_storage *s, const char *path, struct ws_storage_info *info,
		struct ws_error *err)
{
	struct s3_driver *d = s->driver;
	char *key;
	int rc;

	info->exists = false;
	info->size = 0;
	info->mtime = 0;
	rc = object_key(d, path, &key, err);
	if (rc != WS_OK)
		return rc;
	rc = head_object(d, key, info, err);
	free(key);
	return rc;
}

/* ---- write ---- */

static int
simple_request(struct s3_driver *d, struct s3_req *req, struct s3_res *res,
			   struct ws_error *err)
{
	int rc = s3_request(d, req, res, err);

	if (rc == WS_OK && !is_2xx(res->status))
		rc = http_failure(d, req->op, req->key, res, err);
	return rc;
}

static int
create_upload(struct ws_storage_write *w, struct ws_error *err)
{
	struct ws_buf out;
	struct s3_req req = {
		.op = WS_S3_OP_CREATE_UPLOAD, .method = "POST", .key = w->key,
		.query = "uploads", .out = &out
	};
	struct s3_res res;
	int rc;

	ws_buf_init(&out, WS_S3_XML_MAX_INPUT);
	rc = simple_request(w->d, &req, &res, err);
	if (rc == WS_OK) {
		rc = ws_s3_xml_parse_upload_id(ws_buf_str(&out), out.len, &w->upload_id, err);
		if (rc != WS_OK)
			ws_error_prefix(err, "%s \"%s\" in bucket \"%s\"", op_what[req.op], w->key,
							w->d->bucket);
	}
	ws_buf_free(&res.errbody);
	ws_buf_free(&out);
	return rc;
}

/* send the buffer as the next part */
static int
flush_part(struct ws_storage_write *w, struct ws_error *err)
{
	struct s3_driver *d = w->d;
	struct ws_buf query;
	struct s3_req req = {
		.op = WS_S3_OP_UPLOAD_PART, .method = "PUT", .key = w->key,
		.data = w->buf.data, .len = w->buf.len
	};
	struct s3_res res;
	char *etag;
	int rc;

	if (w->nparts >= WS_S3_MAX_PARTS)
		return ws_error_set(err, WS_ERR_TOO_LARGE,
							"object \"%s\" is too large for S3: more than %d parts of %zu bytes",
							w->key, WS_S3_MAX_PARTS, d->part_size);
	if (w->upload_id == NULL) {
		rc = create_upload(w, err);
		if (rc != WS_OK)
			return rc;
	}
	if (w->nparts == w->alloc_parts) {
		int n = w->alloc_parts == 0 ? 16 : w->alloc_parts * 2;
		char **e = realloc(w->etags, (size_t) n * sizeof(*e));

		if (e == NULL)
			return ws_error_set(err, WS_ERR_NOMEM, "out of memory");
		w->etags = e;
		w->alloc_parts = n;
	}

	ws_buf_init(&query, WS_S3_TEXT_MAX);
	rc = ws_buf_appendf(&query, "partNumber=%d&uploadId=", w->nparts + 1);
	if (rc == WS_OK)
		rc = ws_sigv4_uri_encode(&query, w->upload_id, strlen(w->upload_id), false);
	if (rc != WS_OK) {
		ws_buf_free(&query);
		return ws_error_set(err, rc, "out of memory");
	}
	req.query = ws_buf_str(&query);
	rc = simple_request(d, &req, &res, err);
	if (rc == WS_OK && res.etag[0] == '\0')
		rc = ws_error_set(err, WS_ERR_IO,
						  "could not upload part %d of object \"%s\" in bucket \"%s\": "
						  "no ETag in the answer", w->nparts + 1, w->key, d->bucket);
	if (rc == WS_OK) {
		etag = strdup(res.etag);
		if (etag == NULL)
			rc = ws_error_set(err, WS_ERR_NOMEM, "out of memory");
		else
			w->etags[w->nparts++] = etag;
	}
	ws_buf_free(&res.errbody);
	ws_buf_free(&query);
	if (rc == WS_OK)
		ws_buf_reset(&w->buf);
	return rc;
}

static int
complete_upload(struct ws_storage_write *w, struct ws_error *err)
{
	struct s3_driver *d = w->d;
	struct ws_buf body, query, out;
	struct s3_req req = {
		.op = WS_S3_OP_COMPLETE_UPLOAD, .method = "POST", .key = w->key,
		.content_type = "application/xml", .if_none_match = w->no_overwrite
	};
	struct s3_res res;
	struct ws_s3_error_doc doc;
	struct ws_error ignored;
	int rc;

	ws_buf_init(&body, (size_t) WS_S3_MAX_PARTS * (WS_S3_ETAG_MAX * 2 + 128));
	ws_buf_init(&query, WS_S3_TEXT_MAX);
	ws_buf_init(&out, WS_S3_XML_MAX_INPUT);
	ws_buf_init(&res.errbody, WS_S3_ERROR_BODY_MAX);

	rc = ws_buf_append_str(&body, "<CompleteMultipartUpload "
						   "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">");
	for (int i = 0; i < w->nparts && rc == WS_OK; i++) {
		rc = ws_buf_appendf(&body, "<Part><PartNumber>%d</PartNumber><ETag>", i + 1);
		if (rc == WS_OK)
			rc = ws_s3_xml_escape(&body, w->etags[i]);
		if (rc == WS_OK)
			rc = ws_buf_append_str(&body, "</ETag></Part>");
	}
	if (rc == WS_OK)
		rc = ws_buf_append_str(&body, "</CompleteMultipartUpload>");
	if (rc == WS_OK)
		rc = ws_buf_append_str(&query, "uploadId=");
	if (rc == WS_OK)
		rc = ws_sigv4_uri_encode(&query, w->upload_id, strlen(w->upload_id), false);
	if (rc != WS_OK) {
		rc = ws_error_set(err, rc, "out of memory");
		goto cleanup;
	}

	req.data = body.data;
	req.len = body.len;
	req.query = ws_buf_str(&query);
	req.out = &out;
	rc = simple_request(d, &req, &res, err);
	/* a 200 can still carry an <Error>: the upload failed after all */
	if (rc == WS_OK && ws_s3_xml_parse_error(ws_buf_str(&out), out.len, &doc, &ignored) == WS_OK)
		rc = ws_s3_http_error(req.op, d->bucket, w->key, res.status, &doc, err);

cleanup:
	ws_buf_free(&res.errbody);
	ws_buf_free(&body);
	ws_buf_free(&query);
	ws_buf_free(&out);
	return rc;
}

static void
abort_upload(struct ws_storage_write *w)
{
	struct ws_buf query;
	struct s3_req req = {.op = WS_S3_OP_ABORT_UPLOAD, .method = "DELETE", .key = w->key};
	struct s3_res res;
	struct ws_error ignored;

	if (w->upload_id == NULL)
		return;
	ws_buf_init(&query, WS_S3_TEXT_MAX);
	if (ws_buf_append_str(&query, "uploadId=") == WS_OK &&
		ws_sigv4_uri_encode(&query, w->upload_id, strlen(w->upload_id), false) == WS_OK) {
		req.query = ws_buf_str(&query);
		/* best effort: a lifecycle rule cleans up what this misses */
		(void) s3_request(w->d, &req, &res, &ignored);
		ws_buf_free(&res.errbody);
	}
	ws_buf_free(&query);
	free(w->upload_id);
	w->upload_id = NULL;
}

static void
writer_free(struct ws_storage_write *w)
{
	for (int i = 0; i < w->nparts; i++)
		free(w->etags[i]);
	free(w->etags);
	free(w->upload_id);
	free(w->key);
	ws_buf_free(&w->buf);
	free(w);
}

static int
s3_open_write(struct ws_storage *s, const char *path, const struct ws_storage_write_opts *opts,
			  struct ws_storage_write **out, struct ws_error *err)
{
	struct s3_driver *d = s->driver;
	struct ws_storage_write *w;
	int rc;

	*out = NULL;
	w = calloc(1, sizeof(*w));
	if (w == NULL)
		return ws_error_set(err, WS_ERR_NOMEM, "out of memory");
	w->s = s;
	w->d = d;
	w->no_overwrite = opts != NULL && opts->no_overwrite;
	ws_buf_init(&w->buf, d->part_size);
	rc = object_key(d, path, &w->key, err);
	if (rc != WS_OK)
		goto fail;

	if (w->no_overwrite && !opts->known_absent) {
		struct ws_storage_info info;

		rc = head_object(d, w->key, &info, err);
		if (rc == WS_OK && info.exists)
			rc = ws_error_set(err, WS_ERR_EXISTS, "object \"%s\" already exists in bucket \"%s\"",
							  w->key, d->bucket);
		if (rc != WS_OK)
			goto fail;
	}
	*out = w;
	return WS_OK;

fail:
	writer_free(w);
	return rc;
}

static int
s3_write(struct ws_storage_write *w, const void *data, size_t len, struct ws_error *err)
{
	const char *p = data;
	int rc;

	rc = ws_storage_fault_check(w->s, len, err);
	if (rc != WS_OK)
		return ws_error_prefix(err, "could not write object \"%s\"", w->key);

	while (len > 0) {
		size_t room;
		size_t n;

		/* a full buffer goes out only once more data shows it is not the last */
		if (w->buf.len == w->d->part_size) {
			rc = flush_part(w, err);
			if (rc != WS_OK)
				return rc;
		}
		room = w->d->part_size - w->buf.len;
		n = len < room ? len : room;
		rc = ws_buf_append(&w->buf, p, n);
		if (rc != WS_OK)
			return ws_error_set(err, rc, "out of memory");
		p += n;
		len -= n;
	}
	return WS_OK;
}

static int
s3_commit(struct ws_storage_write *w, struct ws_error *err)
{
	int rc;

	if (w->upload_id == NULL) {
		struct s3_req req = {
			.op = WS_S3_OP_PUT, .method = "PUT", .key = w->key,
			.data = w->buf.data, .len = w->buf.len, .if_none_match = w->no_overwrite
		};
		struct s3_res res;

		rc = simple_request(w->d, &req, &res, err);
		ws_buf_free(&res.errbody);
	} else {
		rc = WS_OK;
		if (w->buf.len > 0)
			rc = flush_part(w, err);
		if (rc == WS_OK)
			rc = complete_upload(w, err);
		if (rc != WS_OK)
			abort_upload(w);
	}
	writer_free(w);
	return rc;
}

static void
s3_abort(struct ws_storage_write *w)
{
	if (w == NULL)
		return;
	abort_upload(w);
	writer_free(w);
}

/* ---- read ---- */

static int
s3_open_read(struct ws_storage *s, const char *path, struct ws_storage_read **out,
			 struct ws_error *err)
{
	struct s3_driver *d = s->driver;
	struct ws_storage_read *r;
	struct s3_req req = {.op = WS_S3_OP_GET, .method = "GET"};
	struct s3_res res;
	char *key;
	int rc;

	*out = NULL;
	rc = object_key(d, path, &key, err);
	if (rc != WS_OK)
		return rc;
	r = calloc(1, sizeof(*r));
	if (r == NULL) {
		free(key);
		return ws_error_set(err, WS_ERR_NOMEM, "out of memory");
	}
	req.key = key;
	req.chunks = &r->chunks;
	rc = simple_request(d, &req, &res, err);
	ws_buf_free(&res.errbody);
	free(key);
	if (rc != WS_OK) {
		chunks_free(&r->chunks);
		free(r);
		return rc;
	}
	r->cur = r->chunks.head;
	r->off = 0;
	*out = r;
	return WS_OK;
}

static int
s3_read(struct ws_storage_read *r, void *buf, size_t len, size_t *got, struct ws_error *err)
{
	char *dst = buf;

	(void) err;
	*got = 0;
	while (len > 0 && r->cur != NULL) {
		size_t left = r->cur->len - r->off;
		size_t n = len < left ? len : left;

		memcpy(dst, r->cur->data + r->off, n);
		dst += n;
		len -= n;
		*got += n;
		r->off += n;
		if (r->off == r->cur->len) {
			r->cur = r->cur->next;
			r->off = 0;
		}
	}
	return WS_OK;
}

static void
s3_close_read(struct ws_storage_read *r)
{
	if (r == NULL)
		return;
	chunks_free(&r->chunks);
	free(r);
}

/* ---- list ---- */

static int
list_page(struct s3_driver *d, const char *prefix, const char *token,
		  struct ws_s3_list_page *page, struct ws_error *err)
{
	struct ws_buf query, out;
	struct s3_req req = {.op = WS_S3_OP_LIST, .method = "GET", .key = NULL, .out = &out};
	struct s3_res res;
	int rc;

	memset(page, 0, sizeof(*page));
	ws_buf_init(&query, WS_S3_TEXT_MAX);
	ws_buf_init(&out, WS_S3_XML_MAX_INPUT);
	ws_buf_init(&res.errbody, WS_S3_ERROR_BODY_MAX);

	/* the signer sorts the parameters; the server does not care */
	rc = WS_OK;
	if (token != NULL) {
		rc = ws_buf_append_str(&query, "continuation-token=");
		if (rc == WS_OK)
			rc = ws_sigv4_uri_encode(&query, token, strlen(token), false);
		if (rc == WS_OK)
			rc = ws_buf_append_str(&query, "&");
	}
	if (rc == WS_OK)
		rc = ws_buf_append_str(&query, "list-type=2");
	if (rc == WS_OK && d->list_max_keys > 0)
		rc = ws_buf_appendf(&query, "&max-keys=%d", d->list_max_keys);
	if (rc == WS_OK)
		rc = ws_buf_append_str(&query, "&prefix=");
	if (rc == WS_OK)
		rc = ws_sigv4_uri_encode(&query, prefix, strlen(prefix), false);
	if (rc != WS_OK) {
		rc = ws_error_set(err, rc, rc == WS_ERR_NOMEM ? "out of memory" :
						  "S3 list request for \"%s\" is too long", prefix);
		goto cleanup;
	}

	req.query = ws_buf_str(&query);
	rc = s3_request(d, &req, &res, err);
	if (rc == WS_OK && !is_2xx(res.status))
		rc = http_failure(d, WS_S3_OP_LIST, prefix, &res, err);
	if (rc == WS_OK) {
		rc = ws_s3_xml_parse_list(ws_buf_str(&out), out.len, page, err);
		if (rc != WS_OK)
			ws_error_prefix(err, "%s \"%s\" in bucket \"%s\"", op_what[WS_S3_OP_LIST],
							prefix, d->bucket);
	}

cleanup:
	ws_buf_free(&res.errbody);
	ws_buf_free(&query);
	ws_buf_free(&out);
	return rc;
}

static int
s3_list(struct ws_storage *s, const char *prefix, ws_storage_list_cb cb, void *arg,
		struct ws_error *err)
{
	struct s3_driver *d = s->driver;
	struct ws_s3_list_page page;
	struct ws_buf full;
	size_t root_len = strlen(d->root);
	char *token = NULL;
	int rc;

	if (prefix == NULL)
		prefix = "";
	if (prefix[0] != '\0') {
		rc = ws_storage_path_check(prefix, err);
		if (rc != WS_OK)
			return rc;
	}
	/* "a/b" lists what is under the "directory" a/b, as posix does */
	ws_buf_init(&full, WS_S3_TEXT_MAX);
	rc = ws_buf_appendf(&full, "%s%s%s", d->root, prefix, prefix[0] != '\0' ? "/" : "");
	if (rc != WS_OK) {
		ws_buf_free(&full);
		return ws_error_set(err, rc, rc == WS_ERR_NOMEM ? "out of memory" :
							"S3 prefix for \"%s\" is too long", prefix);
	}

	for (;;) {
		rc = list_page(d, ws_buf_str(&full), token, &page, err);
		if (rc != WS_OK)
			break;
		for (size_t i = 0; i < page.count && rc == WS_OK; i++) {
			const struct ws_s3_object *o = &page.objects[i];
			struct ws_storage_info info;
			struct ws_error ignored;
			const char *rel;

			/* only what we asked for, and only names we could read back */
			if (!ws_str_has_prefix(o->key, ws_buf_str(&full)))
				continue;
			rel = o->key + root_len;
			if (ws_storage_path_check(rel, &ignored) != WS_OK)
				continue;
			info.exists = true;
			info.size = o->size;
			info.mtime = o->mtime;
			rc = cb(rel, &info, arg, err);
		}
		if (rc == WS_OK && page.truncated) {
			/* a token that does not change would loop for ever */
			if (token != NULL && strcmp(token, page.next_token) == 0) {
				rc = ws_error_set(err, WS_ERR_CORRUPT,
								  "%s \"%s\" in bucket \"%s\": the continuation token "
								  "did not change", op_what[WS_S3_OP_LIST],
								  ws_buf_str(&full), d->bucket);
			} else {
				free(token);
				token = page.next_token;
				page.next_token = NULL;
			}
		}
		if (rc != WS_OK || !page.truncated) {
			ws_s3_list_page_free(&page);
			break;
		}
		ws_s3_list_page_free(&page);
	}
	free(token);
	ws_buf_free(&full);
	return rc;
}

/* ---- remove ---- */

static int
s3_remove(struct ws_storage *s, const char *path, struct ws_error *err)
{
	struct s3_driver *d = s->driver;
	struct s3_req req = {.op = WS_S3_OP_DELETE, .method = "DELETE"};
	struct s3_res res;
	struct ws_s3_error_doc doc;
	char *key;
	int rc;

	rc = object_key(d, path, &key, err);
	if (rc != WS_OK)
		return rc;
	req.key = key;
	rc = s3_request(d, &req, &res, err);
	if (rc == WS_OK && !is_2xx(res.status)) {
		bool have_doc = error_doc(&res, &doc);

		/* absent already is fine; a missing bucket is not */
		if (res.status != 404 || (have_doc && strcmp(doc.code, "NoSuchKey") != 0))
			rc = ws_s3_http_error(WS_S3_OP_DELETE, d->bucket, key, res.status,
								  have_doc ? &doc : NULL, err);
	}
	ws_buf_free(&res.errbody);
	free(key);
	return rc;
}

/* ---- life cycle ---- */

static void
driver_free(struct s3_driver *d)
{
	if (d == NULL)
		return;
	if (d->curl != NULL) {
		curl_easy_cleanup(d->curl);
		curl_global_cleanup();
	}
	free(d->bucket);
	free(d->endpoint);
	free(d->region);
	free(d->key);
	free_secret(d->secret);
	free_secret(d->token);
	free(d->root);
	free(d->host);
	free(d->ca_file);
	free(d->ca_path);
	OPENSSL_cleanse(d, sizeof(*d));
	free(d);
}

static void
s3_free(struct ws_storage *s)
{
	if (s == NULL)
		return;
	driver_free(s->driver);
	free(s);
}

static const struct ws_storage_ops s3_ops = {
	.name = "s3",
	.features = WS_STORAGE_NO_OVERWRITE,
	.open_write = s3_open_write,
	.write = s3_write,
	.commit = s3_commit,
	.abort = s3_abort,
	.open_read = s3_open_read,
	.read = s3_read,
	.close_read = s3_close_read,
	.info = s3_info,
	.list = s3_list,
	.remove = s3_remove,
	.free = s3_free
};

/* bucket names: 3-63 of [a-z0-9.-] for virtual hosts; path style allows more */
static bool
valid_bucket(const char *b, bool host_style)
{
	size_t len = strlen(b);

	if (len == 0 || len > 255)
		return false;
	for (const char *p = b; *p != '\0'; p++) {
		unsigned char c = (unsigned char) *p;

		if (host_style ? !((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
						   c == '-' || c == '.')
			: (c <= 0x20 || c >= 0x7F || c == '/' || c == '?' || c == '#' || c == '%'))
			return false;
	}
	return !host_style || (len >= 3 && len <= 63);
}

/* "host" or "host:port", no scheme, path or credentials */
static bool
valid_endpoint(const char *e)
{
	if (e[0] == '\0' || e[0] == ':')
		return false;
	for (const char *p = e; *p != '\0'; p++) {
		unsigned char c = (unsigned char) *p;

		if (c <= 0x20 || c >= 0x7F || strchr("/?#@\\", c) != NULL)
			return false;
	}
	return true;
}

static int
validate_config(const struct ws_s3_config *cfg, struct ws_error *err)
{
	bool host_style = cfg->uri_style == WS_S3_URI_HOST;

	if (!is_set(cfg->bucket))
		return ws_error_set(err, WS_ERR_CONFIG, "S3 bucket is not set");
	if (!valid_bucket(cfg->bucket, host_style))
		return ws_error_set(err, WS_ERR_CONFIG, "invalid S3 bucket name \"%s\"%s", cfg->bucket,
							host_style ? " for host-style addressing (use path style)" : "");
	if (!is_set(cfg->endpoint))
		return ws_error_set(err, WS_ERR_CONFIG, "S3 endpoint is not set");
	if (!valid_endpoint(cfg->endpoint))
		return ws_error_set(err, WS_ERR_CONFIG,
							"invalid S3 endpoint \"%s\": give a host name or host:port, "
							"without scheme or path", cfg->endpoint);
	if (is_set(cfg->region) &&
		(!is_header_safe(cfg->region) || strchr(cfg->region, '/') != NULL))
		return ws_error_set(err, WS_ERR_CONFIG, "invalid S3 region \"%s\"", cfg->region);
	if (!is_set(cfg->key))
		return ws_error_set(err, WS_ERR_CONFIG, "S3 access key is not set");
	if (!is_header_safe(cfg->key) || strchr(cfg->key, '/') != NULL ||
		strchr(cfg->key, ',') != NULL)
		return ws_error_set(err, WS_ERR_CONFIG, "S3 access key contains invalid characters");
	if (!is_set(cfg->secret))
		return ws_error_set(err, WS_ERR_CONFIG, "S3 secret key is not set");
	if (is_set(cfg->token) && !is_header_safe(cfg->token))
		return ws_error_set(err, WS_ERR_CONFIG, "S3 session token contains invalid characters");
	if (cfg->part_size != 0 &&
		((uint64_t) cfg->part_size < WS_S3_MIN_PART_SIZE ||
		 (uint64_t) cfg->part_size > WS_S3_MAX_PART_SIZE))
		return ws_error_set(err, WS_ERR_CONFIG,
							"S3 part size %zu is out of range: must be between %" PRIu64
							" and %" PRIu64 " bytes",
							cfg->part_size, WS_S3_MIN_PART_SIZE, WS_S3_MAX_PART_SIZE);
	if (cfg->max_retries < 0 || cfg->max_retries > 100)
		return ws_error_set(err, WS_ERR_CONFIG,
							"S3 retry count %d is out of range: must be between 0 and 100",
							cfg->max_retries);
	if (cfg->timeout_ms < 0)
		return ws_error_set(err, WS_ERR_CONFIG, "S3 timeout %d ms is negative", cfg->timeout_ms);
	return WS_OK;
}

/* the configured prefix without leading and trailing '/', plus one '/' */
static int
make_root(const char *prefix, char **out, struct ws_error *err)
{
	struct ws_buf b;
	size_t len;
	int rc;

	*out = NULL;
	if (prefix == NULL)
		prefix = "";
	while (*prefix == '/')
		prefix++;
	len = strlen(prefix);
	while (len > 0 && prefix[len - 1] == '/')
		len--;

	ws_buf_init(&b, WS_S3_TEXT_MAX);
	rc = ws_buf_append(&b, prefix, len);
	if (rc == WS_OK && len > 0) {
		rc = ws_storage_path_check(ws_buf_str(&b), err);
		if (rc != WS_OK) {
			ws_buf_free(&b);
			return ws_error_prefix(err, "invalid S3 prefix");
		}
		rc = ws_buf_append(&b, "/", 1);
	}
	if (rc != WS_OK) {
		ws_buf_free(&b);
		return ws_error_set(err, rc == WS_ERR_NOMEM ? rc : WS_ERR_CONFIG,
							rc == WS_ERR_NOMEM ? "out of memory" : "S3 prefix is too long");
	}
	*out = b.data;
	return WS_OK;
}

int
ws_storage_s3_new(const struct ws_s3_config *cfg, struct ws_storage **out,
				  struct ws_error *err)
{
	struct ws_storage *s = NULL;
	struct s3_driver *d = NULL;
	const char *max_keys;
	int rc;

	*out = NULL;
	rc = validate_config(cfg, err);
	if (rc != WS_OK)
		return rc;

	s = calloc(1, sizeof(*s));
	d = calloc(1, sizeof(*d));
	if (s == NULL || d == NULL) {
		rc = ws_error_set(err, WS_ERR_NOMEM, "out of memory");
		goto fail;
	}
	d->bucket = strdup(cfg->bucket);
	d->endpoint = strdup(cfg->endpoint);
	d->region = strdup(is_set(cfg->region) ? cfg->region : WS_S3_DEFAULT_REGION);
	d->key = strdup(cfg->key);
	d->secret = strdup(cfg->secret);
	d->token = is_set(cfg->token) ? strdup(cfg->token) : NULL;
	d->ca_file = is_set(cfg->ca_file) ? strdup(cfg->ca_file) : NULL;
	d->ca_path = is_set(cfg->ca_path) ? strdup(cfg->ca_path) : NULL;
	d->path_style = cfg->uri_style == WS_S3_URI_PATH;
	if (d->bucket == NULL || d->endpoint == NULL || d->region == NULL || d->key == NULL ||
		d->secret == NULL || (is_set(cfg->token) && d->token == NULL) ||
		(is_set(cfg->ca_file) && d->ca_file == NULL) ||
		(is_set(cfg->ca_path) && d->ca_path == NULL)) {
		rc = ws_error_set(err, WS_ERR_NOMEM, "out of memory");
		goto fail;
	}
	if (d->path_style) {
		d->host = strdup(d->endpoint);
	} else {
		struct ws_buf h;

		ws_buf_init(&h, WS_S3_TEXT_MAX);
		if (ws_buf_appendf(&h, "%s.%s", d->bucket, d->endpoint) == WS_OK)
			d->host = h.data;
		else
			ws_buf_free(&h);
	}
	if (d->host == NULL) {
		rc = ws_error_set(err, WS_ERR_NOMEM, "out of memory");
		goto fail;
	}
	rc = make_root(cfg->prefix, &d->root, err);
	if (rc != WS_OK)
		goto fail;

	d->tls = cfg->tls;
	d->verify_tls = cfg->verify_tls;
	d->part_size = cfg->part_size != 0 ? cfg->part_size : WS_S3_DEFAULT_PART_SIZE;
	d->max_retries = cfg->max_retries;
	d->timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : WS_S3_DEFAULT_TIMEOUT_MS;
	d->rng = ((uint64_t) time(NULL) << 20) ^ ((uint64_t) getpid() << 1) ^
		(uint64_t) (uintptr_t) d;
	if (d->rng == 0)
		d->rng = 1;

	max_keys = getenv("WALSHIP_S3_MAX_KEYS");
	if (max_keys != NULL && max_keys[0] != '\0') {
		int64_t n;

		if (ws_parse_int64(max_keys, 1, 1000, &n) != WS_OK) {
			char shown[WS_STR_QUOTE_BUFLEN];

			rc = ws_error_set(err, WS_ERR_CONFIG,
							  "invalid WALSHIP_S3_MAX_KEYS value \"%s\": must be 1 to 1000",
							  ws_str_quote(max_keys, strlen(max_keys), shown, sizeof(shown)));
			goto fail;
		}
		d->list_max_keys = (int) n;
	}

	rc = ws_storage_faults_parse(getenv("WALSHIP_FAULT"), &s->faults, err);
	if (rc != WS_OK)
		goto fail;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		rc = ws_error_set(err, WS_ERR_IO, "could not initialize libcurl");
		goto fail;
	}
	d->curl = curl_easy_init();
	if (d->curl == NULL) {
		curl_global_cleanup();
		rc = ws_error_set(err, WS_ERR_NOMEM, "could not create a libcurl handle");
		goto fail;
	}

	s->ops = &s3_ops;
	s->driver = d;
	*out = s;
	return WS_OK;

fail:
	driver_free(d);
	free(s);
	return rc;
}
