/*
 * s3.h — the S3 driver's policy functions, exposed for unit tests
 *
 * The driver itself is reached through ws_storage_s3_new() (storage.h).
 * What is here has no network and no state: when to retry, how long to
 * wait, and how an S3 error answer becomes a walship error.
 */
#ifndef WALSHIP_STORAGE_S3_S3_H
#define WALSHIP_STORAGE_S3_S3_H

#include <stdbool.h>
#include <stdint.h>

#include <curl/curl.h>

#include "common/error.h"
#include "storage/s3/xml.h"

/* first retry after about this long, doubling up to the maximum */
#define WS_S3_BACKOFF_BASE_MS 100
#define WS_S3_BACKOFF_MAX_MS 10000

/*
 * Whether a request that ended with curl code cc and (when cc is CURLE_OK)
 * HTTP status is worth sending again: connection failures, timeouts,
 * broken transfers, 5xx and 429 are; 4xx and local errors are not.
 */
bool ws_s3_retryable(CURLcode cc, long status);

/*
 * Milliseconds to wait before retry number attempt (1 for the first):
 * "equal jitter" — half of min(max_ms, base_ms * 2^(attempt-1)) plus a
 * random part of up to the other half, taken from random.
 */
unsigned int ws_s3_backoff_ms(int attempt, unsigned int base_ms, unsigned int max_ms,
							  uint64_t random);

/* What the failed request was doing, for the message and the mapping. */
enum ws_s3_op {
	WS_S3_OP_PUT,               /* PutObject */
	WS_S3_OP_GET,               /* GetObject */
	WS_S3_OP_HEAD,              /* HeadObject */
	WS_S3_OP_LIST,              /* ListObjectsV2 */
	WS_S3_OP_DELETE,            /* DeleteObject */
	WS_S3_OP_CREATE_UPLOAD,     /* CreateMultipartUpload */
	WS_S3_OP_UPLOAD_PART,       /* UploadPart */
	WS_S3_OP_COMPLETE_UPLOAD,   /* CompleteMultipartUpload */
	WS_S3_OP_ABORT_UPLOAD       /* AbortMultipartUpload */
};

/*
 * Turn an unsuccessful HTTP answer into err and return its status:
 *   403                      WS_ERR_IO  access denied to bucket "b": Code: Message
 *   404 NoSuchBucket         WS_ERR_IO  bucket "b" does not exist
 *   404 on GET/HEAD          WS_ERR_NOT_FOUND
 *   412 on PUT/COMPLETE      WS_ERR_EXISTS (If-None-Match refused)
 *   anything else            WS_ERR_IO  naming the operation, the HTTP
 *                                       status, Code and Message
 * doc may be NULL (no or unparsable body). name is the object key or the
 * listed prefix.
 */
int ws_s3_http_error(enum ws_s3_op op, const char *bucket, const char *name, long status,
					 const struct ws_s3_error_doc *doc, struct ws_error *err);

#endif
