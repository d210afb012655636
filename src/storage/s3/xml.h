/*
 * xml.h — the few S3 XML documents walship reads, parsed with hard limits
 *
 * Not a general XML parser: elements, attributes (skipped), character data,
 * the five predefined entities and numeric character references, comments,
 * processing instructions and CDATA. A DOCTYPE (and so any entity
 * definition) is refused, as are documents over WS_S3_XML_MAX_INPUT bytes,
 * nested deeper than WS_S3_XML_MAX_DEPTH or with an element text over
 * WS_S3_XML_TEXT_MAX bytes. Malformed or truncated input is WS_ERR_CORRUPT,
 * a limit exceeded WS_ERR_TOO_LARGE; nothing is read past len.
 */
#ifndef WALSHIP_STORAGE_S3_XML_H
#define WALSHIP_STORAGE_S3_XML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "common/buf.h"
#include "common/error.h"

#define WS_S3_XML_MAX_INPUT (16u * 1024 * 1024)
#define WS_S3_XML_MAX_DEPTH 16
#define WS_S3_XML_TEXT_MAX 8192
/* objects in one ListObjectsV2 page (S3 sends at most 1000) */
#define WS_S3_XML_MAX_OBJECTS 10000

struct ws_s3_object {
	char *key;                  /* full key, entities decoded */
	uint64_t size;
	time_t mtime;               /* LastModified, 0 if absent */
};

/* One page of a ListObjectsV2 answer (<ListBucketResult>). */
struct ws_s3_list_page {
	struct ws_s3_object *objects;
	size_t count;
	bool truncated;             /* IsTruncated: ask again with next_token */
	char *next_token;           /* NextContinuationToken or NULL */
};

/* <Error><Code/><Message/></Error>; texts cut to fit, "" when absent */
struct ws_s3_error_doc {
	char code[128];
	char message[512];
};

int ws_s3_xml_parse_list(const char *xml, size_t len, struct ws_s3_list_page *out,
						 struct ws_error *err);
void ws_s3_list_page_free(struct ws_s3_list_page *page);

/* UploadId of an <InitiateMultipartUploadResult>; *upload_id is malloc'd. */
int ws_s3_xml_parse_upload_id(const char *xml, size_t len, char **upload_id,
							  struct ws_error *err);

/*
 * WS_OK and out filled when the document is an <Error>; WS_ERR_NOT_FOUND
 * when it is well-formed but something else (a CompleteMultipartUpload
 * answer can be a 200 with either); other statuses for bad input.
 */
int ws_s3_xml_parse_error(const char *xml, size_t len, struct ws_s3_error_doc *out,
						  struct ws_error *err);

/* ISO 8601 "2009-10-12T17:50:30.000Z" (fraction optional) to time_t. */
int ws_s3_parse_iso8601(const char *text, size_t len, time_t *out);

/* Append s with & < > " ' escaped, for element text we send. */
int ws_s3_xml_escape(struct ws_buf *out, const char *s);

#endif
