/*
 * fuzz_repo.c — fuzz target for what walship reads back from a repository
 *
 * A repository is not trusted: stanza.info, archive objects and S3's XML
 * replies are parsed defensively. The first byte picks the parser. Built
 * with libFuzzer by `configure --enable-fuzzing`, and replayed over the
 * corpus in test/fuzz/corpus/repo by `make check`.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "archive/object.h"
#include "archive/stanza.h"
#include "storage/s3/xml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *) data + 1;
	struct ws_error err;

	if (size < 1)
		return 0;
	switch (data[0] % 4) {
	case 0: {
		struct ws_stanza_info info;

		(void) ws_stanza_info_parse(text, size - 1, &info, &err);
		break;
	}
	case 1: {
		struct ws_object_header h;
		struct ws_buf out;

		ws_buf_init(&out, 1024 * 1024);
		(void) ws_object_decode(data + 1, size - 1, NULL, 1024 * 1024, &out, &h, &err);
		ws_buf_free(&out);
		break;
	}
	case 2: {
		struct ws_s3_list_page page;

		if (ws_s3_xml_parse_list(text, size - 1, &page, &err) == WS_OK)
			ws_s3_list_page_free(&page);
		break;
	}
	case 3: {
		struct ws_s3_error_doc doc;
		char *upload_id = NULL;

		(void) ws_s3_xml_parse_error(text, size - 1, &doc, &err);
		if (ws_s3_xml_parse_upload_id(text, size - 1, &upload_id, &err) == WS_OK)
			free(upload_id);
		break;
	}
	}
	return 0;
}
