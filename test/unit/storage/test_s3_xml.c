/*
 * test_s3_xml.c — unit tests for src/storage/s3/xml.c
 *
 * Link with -Wl,--wrap=malloc,--wrap=realloc,--wrap=calloc: the allocation
 * "torture" test fails each allocation of a parse in turn.
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

#include "common/buf.h"
#include "common/error.h"
#include "storage/s3/xml.h"

#include "../alloc_torture.h"

/* A ListObjectsV2 page as S3 writes it (indented, namespaced, an ETag). */
static const char list_doc[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	"<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
	"<Name>bucket</Name><Prefix>repo/</Prefix><KeyCount>3</KeyCount>"
	"<MaxKeys>3</MaxKeys><IsTruncated>true</IsTruncated>\n"
	"  <Contents>\n"
	"    <Key>repo/archive/000000010000000000000001</Key>\n"
	"    <LastModified>2009-10-12T17:50:30.000Z</LastModified>\n"
	"    <ETag>&quot;fba9dede5f27731c9771645a39863328&quot;</ETag>\n"
	"    <Size>16777216</Size>\n"
	"    <StorageClass>STANDARD</StorageClass>\n"
	"  </Contents>\n"
	"  <Contents><Key>repo/a&amp;b &lt;c&gt; &apos;d&apos; &#65;&#x42;&#x1234;</Key>"
	"<Size>0</Size><LastModified>1970-01-01T00:00:00Z</LastModified></Contents>\n"
	"  <Contents><Key>repo/c<!-- comment -->d<![CDATA[<e>&amp;]]></Key><Size>1</Size></Contents>\n"
	"  <CommonPrefixes><Prefix>repo/x/</Prefix></CommonPrefixes>\n"
	"<NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>"
	"<EncodingType/></ListBucketResult>";

static void
test_list_page(void **state)
{
	struct ws_s3_list_page page;
	struct ws_error err;

	(void) state;
	assert_int_equal(ws_s3_xml_parse_list(list_doc, strlen(list_doc), &page, &err), WS_OK);
	assert_int_equal(page.count, 3);
	assert_true(page.truncated);
	assert_string_equal(page.next_token, "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=");

	assert_string_equal(page.objects[0].key, "repo/archive/000000010000000000000001");
	assert_int_equal(page.objects[0].size, 16777216);
	assert_int_equal(page.objects[0].mtime, 1255369830);

	assert_string_equal(page.objects[1].key, "repo/a&b <c> 'd' AB\xe1\x88\xb4");
	assert_int_equal(page.objects[1].size, 0);
	assert_int_equal(page.objects[1].mtime, 0);

	assert_string_equal(page.objects[2].key, "repo/cd<e>&amp;");
	assert_int_equal(page.objects[2].size, 1);
	ws_s3_list_page_free(&page);
	assert_null(page.objects);
	assert_int_equal(page.count, 0);
	ws_s3_list_page_free(&page);
}

static void
test_list_empty(void **state)
{
	static const char doc[] =
		"<ListBucketResult><Name>b</Name><Prefix/><KeyCount>0</KeyCount>"
		"<IsTruncated>false</IsTruncated></ListBucketResult>\n";
	static const char self_closing[] = "<ListBucketResult/>";
	struct ws_s3_list_page page;
	struct ws_error err;

	(void) state;
	assert_int_equal(ws_s3_xml_parse_list(doc, strlen(doc), &page, &err), WS_OK);
	assert_int_equal(page.count, 0);
	assert_false(page.truncated);
	assert_null(page.next_token);
	ws_s3_list_page_free(&page);

	assert_int_equal(ws_s3_xml_parse_list(self_closing, strlen(self_closing), &page, &err), WS_OK);
	assert_int_equal(page.count, 0);
	ws_s3_list_page_free(&page);
}

/* Every strict prefix of a valid document is refused, without leaks. */
static void
test_list_truncated_everywhere(void **state)
{
	size_t len = strlen(list_doc);

	(void) state;
	for (size_t n = 0; n < len; n++) {
		struct ws_s3_list_page page;
		struct ws_error err;
		/* a copy of exactly n bytes, so ASan sees any read past the end */
		char *copy = malloc(n > 0 ? n : 1);
		int rc;

		assert_non_null(copy);
		memcpy(copy, list_doc, n);
		rc = ws_s3_xml_parse_list(copy, n, &page, &err);
		if (rc != WS_ERR_CORRUPT)
			fail_msg("prefix of %zu bytes: status %d, message \"%s\"", n, rc, err.message);
		assert_null(page.objects);
		assert_null(page.next_token);
		free(copy);
	}
}

static void
assert_list_fails(const char *doc, int want, const char *msg_part)
{
	struct ws_s3_list_page page;
	struct ws_error err;
	int rc;

	ws_error_clear(&err);
	rc = ws_s3_xml_parse_list(doc, strlen(doc), &page, &err);
	if (rc != want)
		fail_msg("document %s: got status %d (%s), expected %d", doc, rc, err.message, want);
	if (msg_part != NULL && strstr(err.message, msg_part) == NULL)
		fail_msg("document %s: message \"%s\" lacks \"%s\"", doc, err.message, msg_part);
	assert_int_equal(page.count, 0);
	assert_null(page.objects);
}

#define LB(x) "<ListBucketResult>" x "</ListBucketResult>"

static void
test_list_malformed(void **state)
{
	(void) state;
	assert_list_fails("", WS_ERR_CORRUPT, "no root element");
	assert_list_fails("   \n", WS_ERR_CORRUPT, "no root element");
	assert_list_fails("not xml", WS_ERR_CORRUPT, "text outside the root element");
	assert_list_fails("<Other/>", WS_ERR_CORRUPT, "not a ListBucketResult");
	assert_list_fails(LB("<Name>b</Nam>"), WS_ERR_CORRUPT, "mismatched end tag");
	assert_list_fails(LB("<a><b></a></b>"), WS_ERR_CORRUPT, "mismatched end tag");
	assert_list_fails(LB("") "</x>", WS_ERR_CORRUPT, "end tag without start tag");
	assert_list_fails(LB("") "<ListBucketResult/>", WS_ERR_CORRUPT, "second root element");
	assert_list_fails(LB("") "junk", WS_ERR_CORRUPT, "text outside the root element");
	assert_list_fails(LB("<Name>&foo;</Name>"), WS_ERR_CORRUPT, "unknown entity");
	assert_list_fails(LB("<Name>a & b</Name>"), WS_ERR_CORRUPT, "entity");
	assert_list_fails(LB("<Name>&amp</Name>"), WS_ERR_CORRUPT, "entity");
	assert_list_fails(LB("<Name>&#0;</Name>"), WS_ERR_CORRUPT, "character reference");
	assert_list_fails(LB("<Name>&#1;</Name>"), WS_ERR_CORRUPT, "character reference");
	assert_list_fails(LB("<Name>&#xD800;</Name>"), WS_ERR_CORRUPT, "character reference");
	assert_list_fails(LB("<Name>&#x110000;</Name>"), WS_ERR_CORRUPT, "character reference");
	assert_list_fails(LB("<Name>&#xFFFFFFFFFF;</Name>"), WS_ERR_CORRUPT, "entity");
	assert_list_fails(LB("<Name>&#;</Name>"), WS_ERR_CORRUPT, "character reference");
	assert_list_fails(LB("<Name>&#x;</Name>"), WS_ERR_CORRUPT, "character reference");
	assert_list_fails(LB("<Name>&#12a;</Name>"), WS_ERR_CORRUPT, "character reference");
	assert_list_fails(LB("<Name>a\001b</Name>"), WS_ERR_CORRUPT, "control character");
	assert_list_fails("<!DOCTYPE x [<!ENTITY a \"b\">]>" LB(""), WS_ERR_CORRUPT, "DOCTYPE");
	assert_list_fails(LB("<!ENTITY a \"b\">"), WS_ERR_CORRUPT, "DOCTYPE");
	assert_list_fails(LB("<!-- open"), WS_ERR_CORRUPT, "unterminated comment");
	assert_list_fails(LB("<Name><![CDATA[x</Name>"), WS_ERR_CORRUPT, "unterminated CDATA");
	assert_list_fails("<![CDATA[x]]>" LB(""), WS_ERR_CORRUPT, "CDATA outside");
	assert_list_fails(LB("<?pi x?>"), WS_ERR_CORRUPT, "processing instruction");
	assert_list_fails("<?xml version=\"1.0\"" LB(""), WS_ERR_CORRUPT, "unterminated processing");
	assert_list_fails("<ListBucketResult a=b></ListBucketResult>", WS_ERR_CORRUPT, "attribute");
	assert_list_fails("<ListBucketResult a=\"<\"></ListBucketResult>", WS_ERR_CORRUPT, "attribute");
	assert_list_fails("<ListBucketResult a=\"x\"b=\"y\"></ListBucketResult>", WS_ERR_CORRUPT,
					  "invalid start tag");
	assert_list_fails("<ListBucketResult a></ListBucketResult>", WS_ERR_CORRUPT, "attribute");
	assert_list_fails("<ListBucketResult/ >", WS_ERR_CORRUPT, "invalid start tag");
	assert_list_fails("<1a/>", WS_ERR_CORRUPT, "invalid element name");
	assert_list_fails("< a/>", WS_ERR_CORRUPT, "invalid element name");
	assert_list_fails(LB("</ >"), WS_ERR_CORRUPT, "invalid element name");
	assert_list_fails(LB("<a></a x>"), WS_ERR_CORRUPT, "invalid end tag");

	/* S3 semantics */
	assert_list_fails(LB("<Contents><Key>k</Key></Contents>"), WS_ERR_CORRUPT,
					  "without Key or Size");
	assert_list_fails(LB("<Contents><Size>1</Size></Contents>"), WS_ERR_CORRUPT,
					  "without Key or Size");
	assert_list_fails(LB("<Contents><Key></Key><Size>1</Size></Contents>"), WS_ERR_CORRUPT,
					  "empty or repeated Key");
	assert_list_fails(LB("<Contents><Key>a</Key><Key>b</Key><Size>1</Size></Contents>"),
					  WS_ERR_CORRUPT, "empty or repeated Key");
	assert_list_fails(LB("<Contents><Key>a&#x0;</Key><Size>1</Size></Contents>"),
					  WS_ERR_CORRUPT, "character reference");
	assert_list_fails(LB("<Contents><Key>k</Key><Size>-1</Size></Contents>"), WS_ERR_CORRUPT,
					  "bad Size");
	assert_list_fails(LB("<Contents><Key>k</Key><Size> 1</Size></Contents>"), WS_ERR_CORRUPT,
					  "bad Size");
	assert_list_fails(LB("<Contents><Key>k</Key><Size>99999999999999999999</Size></Contents>"),
					  WS_ERR_CORRUPT, "bad Size");
	assert_list_fails(LB("<Contents><Key>k</Key><Size>1234567890123456789012345678901234</Size>"
						 "</Contents>"), WS_ERR_CORRUPT, "bad Size");
	assert_list_fails(LB("<Contents><Key>k</Key><Size>1</Size>"
						 "<LastModified>yesterday</LastModified></Contents>"),
					  WS_ERR_CORRUPT, "bad LastModified");
	assert_list_fails(LB("<IsTruncated>yes</IsTruncated>"), WS_ERR_CORRUPT, "bad IsTruncated");
	assert_list_fails(LB("<IsTruncated>true</IsTruncated>"), WS_ERR_CORRUPT,
					  "without NextContinuationToken");
}

static void
test_list_limits(void **state)
{
	struct ws_buf doc;
	struct ws_s3_list_page page;
	struct ws_error err;
	char *huge;

	(void) state;
	/* nesting */
	ws_buf_init(&doc, 1 << 20);
	assert_int_equal(ws_buf_append_str(&doc, "<ListBucketResult>"), WS_OK);
	for (int i = 0; i < WS_S3_XML_MAX_DEPTH; i++)
		assert_int_equal(ws_buf_append_str(&doc, "<a>"), WS_OK);
	assert_int_equal(ws_s3_xml_parse_list(doc.data, doc.len, &page, &err), WS_ERR_TOO_LARGE);
	assert_non_null(strstr(err.message, "nested too deep"));
	ws_buf_free(&doc);

	/* one element's text: the limit itself passes, one more byte fails */
	for (int extra = 0; extra <= 1; extra++) {
		ws_buf_init(&doc, 1 << 20);
		assert_int_equal(ws_buf_append_str(&doc, "<ListBucketResult><Name>"), WS_OK);
		for (int i = 0; i < WS_S3_XML_TEXT_MAX + extra; i++)
			assert_int_equal(ws_buf_append(&doc, "x", 1), WS_OK);
		assert_int_equal(ws_buf_append_str(&doc, "</Name></ListBucketResult>"), WS_OK);
		assert_int_equal(ws_s3_xml_parse_list(doc.data, doc.len, &page, &err),
						 extra ? WS_ERR_TOO_LARGE : WS_OK);
		ws_s3_list_page_free(&page);
		ws_buf_free(&doc);
	}

	/* whitespace between elements does not count against the text limit */
	ws_buf_init(&doc, 1 << 20);
	assert_int_equal(ws_buf_append_str(&doc, "<ListBucketResult><Name>b</Name>"), WS_OK);
	for (int i = 0; i < 2 * WS_S3_XML_TEXT_MAX; i++)
		assert_int_equal(ws_buf_append(&doc, " ", 1), WS_OK);
	assert_int_equal(ws_buf_append_str(&doc, "</ListBucketResult>"), WS_OK);
	assert_int_equal(ws_s3_xml_parse_list(doc.data, doc.len, &page, &err), WS_OK);
	ws_s3_list_page_free(&page);
	ws_buf_free(&doc);

	/* objects per page */
	ws_buf_init(&doc, 1 << 24);
	assert_int_equal(ws_buf_append_str(&doc, "<ListBucketResult>"), WS_OK);
	for (int i = 0; i <= WS_S3_XML_MAX_OBJECTS; i++)
		assert_int_equal(ws_buf_appendf(&doc, "<Contents><Key>k%d</Key><Size>%d</Size></Contents>",
										i, i), WS_OK);
	assert_int_equal(ws_buf_append_str(&doc, "</ListBucketResult>"), WS_OK);
	assert_int_equal(ws_s3_xml_parse_list(doc.data, doc.len, &page, &err), WS_ERR_TOO_LARGE);
	ws_buf_free(&doc);

	/* the whole document */
	huge = malloc(WS_S3_XML_MAX_INPUT + 1);
	assert_non_null(huge);
	memset(huge, ' ', WS_S3_XML_MAX_INPUT + 1);
	assert_int_equal(ws_s3_xml_parse_list(huge, WS_S3_XML_MAX_INPUT + 1, &page, &err),
					 WS_ERR_TOO_LARGE);
	free(huge);
	assert_int_equal(ws_s3_xml_parse_list(NULL, 0, &page, &err), WS_ERR_CORRUPT);
}

static void
test_list_alloc_failures(void **state)
{
	struct ws_s3_list_page page;
	struct ws_error err;
	unsigned long n;

	(void) state;
	for (n = 1;; n++) {
		int rc;

		alloc_ctl.calls = 0;
		alloc_ctl.failed = 0;
		alloc_ctl.fail_at = n;
		rc = ws_s3_xml_parse_list(list_doc, strlen(list_doc), &page, &err);
		alloc_ctl.fail_at = 0;
		if (alloc_ctl.failed == 0) {
			assert_int_equal(rc, WS_OK);
			assert_int_equal(page.count, 3);
			ws_s3_list_page_free(&page);
			break;
		}
		assert_int_equal(rc, WS_ERR_NOMEM);
		assert_string_equal(err.message, "out of memory");
		assert_null(page.objects);
	}
	assert_true(n > 5);
}

static void
test_upload_id(void **state)
{
	static const char ok[] =
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<InitiateMultipartUploadResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
		"<Bucket>example-bucket</Bucket><Key>example-object</Key>"
		"<UploadId>VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA</UploadId>"
		"</InitiateMultipartUploadResult>";
	static const char none[] = "<InitiateMultipartUploadResult><Key>k</Key>"
		"</InitiateMultipartUploadResult>";
	static const char two[] = "<InitiateMultipartUploadResult><UploadId>a</UploadId>"
		"<UploadId>b</UploadId></InitiateMultipartUploadResult>";
	static const char wrong[] = "<Error><Code>InternalError</Code></Error>";
	static const char deep[] = "<InitiateMultipartUploadResult><x><UploadId>a</UploadId></x>"
		"</InitiateMultipartUploadResult>";
	struct ws_error err;
	char *id = NULL;

	(void) state;
	assert_int_equal(ws_s3_xml_parse_upload_id(ok, strlen(ok), &id, &err), WS_OK);
	assert_string_equal(id, "VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA");
	free(id);
	assert_int_equal(ws_s3_xml_parse_upload_id(none, strlen(none), &id, &err), WS_ERR_CORRUPT);
	assert_null(id);
	assert_int_equal(ws_s3_xml_parse_upload_id(deep, strlen(deep), &id, &err), WS_ERR_CORRUPT);
	assert_int_equal(ws_s3_xml_parse_upload_id(two, strlen(two), &id, &err), WS_ERR_CORRUPT);
	assert_null(id);
	assert_int_equal(ws_s3_xml_parse_upload_id(wrong, strlen(wrong), &id, &err), WS_ERR_CORRUPT);
	assert_int_equal(ws_s3_xml_parse_upload_id(ok, 40, &id, &err), WS_ERR_CORRUPT);
	assert_null(id);
}

static void
test_error_doc(void **state)
{
	static const char doc[] =
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<Error>\n  <Code>NoSuchKey</Code>\n"
		"  <Message>The resource you requested does not exist</Message>\n"
		"  <Resource>/mybucket/myfoto.jpg</Resource>\n"
		"  <RequestId>4442587FB7D0A2F9</RequestId>\n</Error>";
	static const char other[] = "<CompleteMultipartUploadResult><ETag>x</ETag>"
		"</CompleteMultipartUploadResult>";
	static const char ctl[] = "<Error><Code>A&#9;B</Code><Message>line1\nline2</Message></Error>";
	struct ws_s3_error_doc e;
	struct ws_buf big;
	struct ws_error err;

	(void) state;
	assert_int_equal(ws_s3_xml_parse_error(doc, strlen(doc), &e, &err), WS_OK);
	assert_string_equal(e.code, "NoSuchKey");
	assert_string_equal(e.message, "The resource you requested does not exist");

	assert_int_equal(ws_s3_xml_parse_error(other, strlen(other), &e, &err), WS_ERR_NOT_FOUND);
	assert_string_equal(e.code, "");
	assert_int_equal(ws_s3_xml_parse_error("<Error>", 7, &e, &err), WS_ERR_CORRUPT);
	assert_string_equal(e.code, "");
	assert_int_equal(ws_s3_xml_parse_error("", 0, &e, &err), WS_ERR_CORRUPT);
	assert_int_equal(ws_s3_xml_parse_error("<html>oops</html>", 17, &e, &err), WS_ERR_NOT_FOUND);

	/* control characters cannot reach an error message */
	assert_int_equal(ws_s3_xml_parse_error(ctl, strlen(ctl), &e, &err), WS_OK);
	assert_string_equal(e.code, "A B");
	assert_string_equal(e.message, "line1 line2");

	/* long texts are cut */
	ws_buf_init(&big, 1 << 20);
	assert_int_equal(ws_buf_append_str(&big, "<Error><Code>C</Code><Message>"), WS_OK);
	for (int i = 0; i < 2000; i++)
		assert_int_equal(ws_buf_append(&big, "m", 1), WS_OK);
	assert_int_equal(ws_buf_append_str(&big, "</Message></Error>"), WS_OK);
	assert_int_equal(ws_s3_xml_parse_error(big.data, big.len, &e, &err), WS_OK);
	assert_int_equal(strlen(e.message), sizeof(e.message) - 1);
	ws_buf_free(&big);
}

static void
assert_iso(const char *text, int want_rc, long long want)
{
	time_t t = 12345;
	int rc = ws_s3_parse_iso8601(text, strlen(text), &t);

	if (rc != want_rc)
		fail_msg("\"%s\": status %d, expected %d", text, rc, want_rc);
	if (rc == WS_OK)
		assert_int_equal((long long) t, want);
	else
		assert_int_equal((long long) t, 12345);
}

static void
test_iso8601(void **state)
{
	(void) state;
	assert_iso("2009-10-12T17:50:30.000Z", WS_OK, 1255369830);
	assert_iso("2009-10-12T17:50:30Z", WS_OK, 1255369830);
	assert_iso("2009-10-12T17:50:30.123456789Z", WS_OK, 1255369830);
	assert_iso("1970-01-01T00:00:00Z", WS_OK, 0);
	assert_iso("2024-02-29T12:00:00Z", WS_OK, 1709208000);
	assert_iso("2023-02-29T12:00:00Z", WS_ERR_INVALID, 0);
	assert_iso("2009-10-12T17:50:30", WS_ERR_INVALID, 0);
	assert_iso("2009-10-12T17:50:30.Z", WS_ERR_INVALID, 0);
	assert_iso("2009-10-12 17:50:30Z", WS_ERR_INVALID, 0);
	assert_iso("2009-13-12T17:50:30Z", WS_ERR_INVALID, 0);
	assert_iso("2009-10-12T24:50:30Z", WS_ERR_INVALID, 0);
	assert_iso("2009-10-12T17:50:30+01:00", WS_ERR_INVALID, 0);
	assert_iso("2009-10-12T17:50:30ZZ", WS_ERR_INVALID, 0);
	assert_iso("20091012T175030Z", WS_ERR_INVALID, 0);
	assert_iso("", WS_ERR_INVALID, 0);
}

static void
test_escape(void **state)
{
	struct ws_buf b;

	(void) state;
	ws_buf_init(&b, 1024);
	assert_int_equal(ws_s3_xml_escape(&b, "\"etag\" & <x> 'y'"), WS_OK);
	assert_string_equal(ws_buf_str(&b), "&quot;etag&quot; &amp; &lt;x&gt; &apos;y&apos;");
	ws_buf_reset(&b);
	assert_int_equal(ws_s3_xml_escape(&b, ""), WS_OK);
	assert_string_equal(ws_buf_str(&b), "");
	ws_buf_free(&b);

	ws_buf_init(&b, 4);
	assert_int_equal(ws_s3_xml_escape(&b, "&"), WS_ERR_TOO_LARGE);
	ws_buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_list_page),
		cmocka_unit_test(test_list_empty),
		cmocka_unit_test(test_list_truncated_everywhere),
		cmocka_unit_test(test_list_malformed),
		cmocka_unit_test(test_list_limits),
		cmocka_unit_test(test_list_alloc_failures),
		cmocka_unit_test(test_upload_id),
		cmocka_unit_test(test_error_doc),
		cmocka_unit_test(test_iso8601),
		cmocka_unit_test(test_escape),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
