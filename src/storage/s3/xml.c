/*
 * xml.c — parsing of S3's XML answers (see xml.h)
 *
 * One pass over the input. The parser keeps the names of the open elements
 * (pointers into the input) and the decoded text of the innermost element,
 * and reports each element's end with its path and text to a small handler
 * per document type. An element that has child elements keeps no text:
 * S3's documents have no mixed content, only indentation between tags.
 */
#include "storage/s3/xml.h"

#include <stdlib.h>
#include <string.h>

#include "common/str.h"

struct xml_name {
	const char *s;
	size_t len;
};

struct xml_parser {
	const char *start;
	const char *p;
	const char *end;
	struct xml_name path[WS_S3_XML_MAX_DEPTH];
	bool has_children[WS_S3_XML_MAX_DEPTH];
	int depth;
	bool root_seen;
	bool root_closed;
	struct ws_buf text;
	/* called at each element's end; path[depth - 1] is the element */
	int (*on_end)(void *arg, const struct xml_name *path, int depth,
				  const char *text, size_t len);
	/* called at each element's start, may be NULL */
	int (*on_start)(void *arg, const struct xml_name *path, int depth);
	void *arg;
	struct ws_error *err;
};

static int
xml_fail(struct xml_parser *x, int status, const char *what)
{
	return ws_error_set(x->err, status, "invalid XML in S3 response: %s at byte %zu",
						what, (size_t) (x->p - x->start));
}

/* an append to the element text failed */
static int
text_fail(struct xml_parser *x, int rc)
{
	if (rc == WS_ERR_NOMEM)
		return ws_error_set(x->err, rc, "out of memory");
	return xml_fail(x, WS_ERR_TOO_LARGE, "element text too long");
}

static bool
name_is(const struct xml_name *n, const char *s)
{
	return n->len == strlen(s) && memcmp(n->s, s, n->len) == 0;
}

/* path is exactly the given names (NULL-terminated list) */
static bool
path_is(const struct xml_name *path, int depth, const char *const *names)
{
	int i;

	for (i = 0; names[i] != NULL; i++)
		if (i >= depth || !name_is(&path[i], names[i]))
			return false;
	return i == depth;
}

static bool
starts_with(const struct xml_parser *x, const char *s)
{
	size_t n = strlen(s);

	return (size_t) (x->end - x->p) >= n && memcmp(x->p, s, n) == 0;
}

/* advance past the next occurrence of s; false if there is none */
static bool
skip_past(struct xml_parser *x, const char *s)
{
	size_t n = strlen(s);

	for (const char *q = x->p; (size_t) (x->end - q) >= n; q++) {
		if (memcmp(q, s, n) == 0) {
			x->p = q + n;
			return true;
		}
	}
	return false;
}

static bool
is_xml_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool
is_name_start(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' || c == ':' ||
		c >= 0x80;
}

static bool
is_name_char(unsigned char c)
{
	return is_name_start(c) || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

static int
parse_name(struct xml_parser *x, struct xml_name *out)
{
	out->s = x->p;
	out->len = 0;
	if (x->p >= x->end)
		return xml_fail(x, WS_ERR_CORRUPT, "unexpected end of document");
	if (!is_name_start((unsigned char) *x->p))
		return xml_fail(x, WS_ERR_CORRUPT, "invalid element name");
	out->s = x->p;
	while (x->p < x->end && is_name_char((unsigned char) *x->p))
		x->p++;
	out->len = (size_t) (x->p - out->s);
	return WS_OK;
}

static void
skip_space(struct xml_parser *x)
{
	while (x->p < x->end && is_xml_space(*x->p))
		x->p++;
}

/* code point to UTF-8 */
static int
append_utf8(struct ws_buf *b, unsigned long cp)
{
	unsigned char u[4];
	size_t n;

	if (cp < 0x80) {
		u[0] = (unsigned char) cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (unsigned char) (0xC0 | (cp >> 6));
		u[1] = (unsigned char) (0x80 | (cp & 0x3F));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (unsigned char) (0xE0 | (cp >> 12));
		u[1] = (unsigned char) (0x80 | ((cp >> 6) & 0x3F));
		u[2] = (unsigned char) (0x80 | (cp & 0x3F));
		n = 3;
	} else {
		u[0] = (unsigned char) (0xF0 | (cp >> 18));
		u[1] = (unsigned char) (0x80 | ((cp >> 12) & 0x3F));
		u[2] = (unsigned char) (0x80 | ((cp >> 6) & 0x3F));
		u[3] = (unsigned char) (0x80 | (cp & 0x3F));
		n = 4;
	}
	return ws_buf_append(b, u, n);
}

/* x->p is at '&': decode one reference into out (or just check it) */
static int
parse_reference(struct xml_parser *x, struct ws_buf *out)
{
	static const struct {
		const char *name;
		char c;
	} predefined[] = {
		{"amp;", '&'}, {"lt;", '<'}, {"gt;", '>'}, {"quot;", '"'}, {"apos;", '\''}
	};
	const char *semi;
	unsigned long cp = 0;
	int rc;

	x->p++;
	semi = memchr(x->p, ';', (size_t) (x->end - x->p) < 12 ? (size_t) (x->end - x->p) : 12);
	if (semi == NULL)
		return xml_fail(x, WS_ERR_CORRUPT, "unterminated or unknown entity");

	for (size_t i = 0; i < sizeof(predefined) / sizeof(predefined[0]); i++) {
		size_t n = strlen(predefined[i].name);

		if ((size_t) (semi + 1 - x->p) == n && memcmp(x->p, predefined[i].name, n) == 0) {
			x->p = semi + 1;
			if (out == NULL)
				return WS_OK;
			rc = ws_buf_append(out, &predefined[i].c, 1);
			return rc == WS_OK ? WS_OK : text_fail(x, rc);
		}
	}

	if (*x->p != '#')
		return xml_fail(x, WS_ERR_CORRUPT, "unknown entity");
	x->p++;
	if (x->p < semi && *x->p == 'x') {
		x->p++;
		if (x->p == semi)
			return xml_fail(x, WS_ERR_CORRUPT, "invalid character reference");
		for (; x->p < semi; x->p++) {
			char c = *x->p;
			int v = (c >= '0' && c <= '9') ? c - '0' :
				(c >= 'a' && c <= 'f') ? c - 'a' + 10 :
				(c >= 'A' && c <= 'F') ? c - 'A' + 10 : -1;

			if (v < 0 || cp > 0x10FFFF)
				return xml_fail(x, WS_ERR_CORRUPT, "invalid character reference");
			cp = cp * 16 + (unsigned long) v;
		}
	} else {
		if (x->p == semi)
			return xml_fail(x, WS_ERR_CORRUPT, "invalid character reference");
		for (; x->p < semi; x->p++) {
			if (*x->p < '0' || *x->p > '9' || cp > 0x10FFFF)
				return xml_fail(x, WS_ERR_CORRUPT, "invalid character reference");
			cp = cp * 10 + (unsigned long) (*x->p - '0');
		}
	}
	/* XML 1.0 Char: no NUL, no surrogates, nothing past U+10FFFF */
	if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF) ||
		cp == 0xFFFE || cp == 0xFFFF ||
		(cp < 0x20 && cp != 0x09 && cp != 0x0A && cp != 0x0D))
		return xml_fail(x, WS_ERR_CORRUPT, "invalid character reference");
	x->p = semi + 1;
	if (out == NULL)
		return WS_OK;
	rc = append_utf8(out, cp);
	return rc == WS_OK ? WS_OK : text_fail(x, rc);
}

/* character data up to the next '<' */
static int
parse_text(struct xml_parser *x)
{
	bool keep = x->depth > 0 && !x->has_children[x->depth - 1];

	while (x->p < x->end && *x->p != '<') {
		unsigned char c = (unsigned char) *x->p;
		int rc;

		if (c == '&') {
			if (x->depth == 0)
				return xml_fail(x, WS_ERR_CORRUPT, "text outside the root element");
			rc = parse_reference(x, keep ? &x->text : NULL);
			if (rc != WS_OK)
				return rc;
			continue;
		}
		if (c < 0x20 && !is_xml_space((char) c))
			return xml_fail(x, WS_ERR_CORRUPT, "control character");
		if (x->depth == 0 && !is_xml_space((char) c))
			return xml_fail(x, WS_ERR_CORRUPT, "text outside the root element");
		if (keep) {
			rc = ws_buf_append(&x->text, &c, 1);
			if (rc != WS_OK)
				return text_fail(x, rc);
		}
		x->p++;
	}
	return WS_OK;
}

static int
end_element(struct xml_parser *x)
{
	int rc = WS_OK;

	if (x->on_end != NULL)
		rc = x->on_end(x->arg, x->path, x->depth, ws_buf_str(&x->text), x->text.len);
	ws_buf_reset(&x->text);
	x->depth--;
	if (x->depth == 0)
		x->root_closed = true;
	return rc;
}

/* x->p is just past '<' of a start tag */
static int
parse_start_tag(struct xml_parser *x)
{
	struct xml_name name;
	int rc;

	if (x->root_closed)
		return xml_fail(x, WS_ERR_CORRUPT, "second root element");
	if (x->depth >= WS_S3_XML_MAX_DEPTH)
		return xml_fail(x, WS_ERR_TOO_LARGE, "elements nested too deep");
	rc = parse_name(x, &name);
	if (rc != WS_OK)
		return rc;

	/* attributes: name="value" or name='value', skipped */
	for (;;) {
		bool had_space = x->p < x->end && is_xml_space(*x->p);
		struct xml_name attr;
		char quote;

		skip_space(x);
		if (x->p >= x->end)
			return xml_fail(x, WS_ERR_CORRUPT, "unexpected end of document");
		if (*x->p == '>' || *x->p == '/')
			break;
		if (!had_space)
			return xml_fail(x, WS_ERR_CORRUPT, "invalid start tag");
		rc = parse_name(x, &attr);
		if (rc != WS_OK)
			return rc;
		skip_space(x);
		if (x->p >= x->end || *x->p != '=')
			return xml_fail(x, WS_ERR_CORRUPT, "invalid attribute");
		x->p++;
		skip_space(x);
		if (x->p >= x->end || (*x->p != '"' && *x->p != '\''))
			return xml_fail(x, WS_ERR_CORRUPT, "invalid attribute");
		quote = *x->p++;
		while (x->p < x->end && *x->p != quote) {
			if (*x->p == '<')
				return xml_fail(x, WS_ERR_CORRUPT, "invalid attribute");
			if (*x->p == '&') {
				rc = parse_reference(x, NULL);
				if (rc != WS_OK)
					return rc;
				continue;
			}
			x->p++;
		}
		if (x->p >= x->end)
			return xml_fail(x, WS_ERR_CORRUPT, "unexpected end of document");
		x->p++;
	}

	if (x->depth > 0)
		x->has_children[x->depth - 1] = true;
	x->path[x->depth] = name;
	x->has_children[x->depth] = false;
	x->depth++;
	x->root_seen = true;
	ws_buf_reset(&x->text);
	if (x->on_start != NULL) {
		rc = x->on_start(x->arg, x->path, x->depth);
		if (rc != WS_OK)
			return rc;
	}

	if (*x->p == '/') {
		x->p++;
		if (x->p >= x->end || *x->p != '>')
			return xml_fail(x, WS_ERR_CORRUPT, "invalid start tag");
		x->p++;
		return end_element(x);
	}
	x->p++;                     /* '>' */
	return WS_OK;
}

/* x->p is just past "</" */
static int
parse_end_tag(struct xml_parser *x)
{
	struct xml_name name;
	int rc;

	rc = parse_name(x, &name);
	if (rc != WS_OK)
		return rc;
	skip_space(x);
	if (x->p >= x->end || *x->p != '>')
		return xml_fail(x, WS_ERR_CORRUPT, "invalid end tag");
	x->p++;
	if (x->depth == 0)
		return xml_fail(x, WS_ERR_CORRUPT, "end tag without start tag");
	if (name.len != x->path[x->depth - 1].len ||
		memcmp(name.s, x->path[x->depth - 1].s, name.len) != 0)
		return xml_fail(x, WS_ERR_CORRUPT, "mismatched end tag");
	return end_element(x);
}

static int
xml_parse(struct xml_parser *x, const char *xml, size_t len, struct ws_error *err)
{
	int rc = WS_OK;

	x->err = err;
	x->start = xml;
	x->p = xml;
	x->end = xml + len;
	x->depth = 0;
	x->root_seen = false;
	x->root_closed = false;
	ws_buf_init(&x->text, WS_S3_XML_TEXT_MAX);

	if (xml == NULL)
		return ws_error_set(err, WS_ERR_CORRUPT, "invalid XML in S3 response: empty document");
	if (len > WS_S3_XML_MAX_INPUT)
		return ws_error_set(err, WS_ERR_TOO_LARGE,
							"S3 response is too large: %zu bytes (limit %u)",
							len, WS_S3_XML_MAX_INPUT);
	/* a UTF-8 byte order mark may start the document */
	if (starts_with(x, "\xEF\xBB\xBF"))
		x->p += 3;

	while (rc == WS_OK && x->p < x->end) {
		if (*x->p != '<') {
			rc = parse_text(x);
		} else if (starts_with(x, "<?")) {
			if (x->root_seen && !x->root_closed)
				rc = xml_fail(x, WS_ERR_CORRUPT, "processing instruction in an element");
			else if (!skip_past(x, "?>"))
				rc = xml_fail(x, WS_ERR_CORRUPT, "unterminated processing instruction");
		} else if (starts_with(x, "<!--")) {
			if (!skip_past(x, "-->"))
				rc = xml_fail(x, WS_ERR_CORRUPT, "unterminated comment");
		} else if (starts_with(x, "<![CDATA[")) {
			const char *from = x->p + 9;

			if (x->depth == 0)
				rc = xml_fail(x, WS_ERR_CORRUPT, "CDATA outside the root element");
			else if (!skip_past(x, "]]>"))
				rc = xml_fail(x, WS_ERR_CORRUPT, "unterminated CDATA section");
			else if (!x->has_children[x->depth - 1] &&
					 (rc = ws_buf_append(&x->text, from, (size_t) (x->p - 3 - from))) != WS_OK)
				rc = text_fail(x, rc);
		} else if (starts_with(x, "<!")) {
			rc = xml_fail(x, WS_ERR_CORRUPT, "DOCTYPE and declarations are not accepted");
		} else if (starts_with(x, "</")) {
			x->p += 2;
			rc = parse_end_tag(x);
		} else {
			x->p++;
			rc = parse_start_tag(x);
		}
	}

	if (rc == WS_OK && (!x->root_seen || x->depth > 0))
		rc = xml_fail(x, WS_ERR_CORRUPT, x->root_seen ? "unexpected end of document"
					  : "no root element");
	ws_buf_free(&x->text);
	return rc;
}

/* ---- ListBucketResult ---- */

struct list_state {
	struct ws_s3_list_page *page;
	size_t alloc;
	struct ws_s3_object cur;
	bool have_key;
	bool have_size;
	bool root_ok;
	struct ws_error *err;
};

static const char *const list_root[] = {"ListBucketResult", NULL};
static const char *const list_contents[] = {"ListBucketResult", "Contents", NULL};

static int
list_start(void *arg, const struct xml_name *path, int depth)
{
	struct list_state *st = arg;

	if (depth == 1) {
		if (!name_is(&path[0], "ListBucketResult"))
			return ws_error_set(st->err, WS_ERR_CORRUPT,
								"unexpected S3 response: not a ListBucketResult");
		st->root_ok = true;
	}
	if (path_is(path, depth, list_contents)) {
		free(st->cur.key);
		memset(&st->cur, 0, sizeof(st->cur));
		st->have_key = false;
		st->have_size = false;
	}
	return WS_OK;
}

static char *
dup_text(const char *text, size_t len)
{
	char *s = malloc(len + 1);

	if (s != NULL) {
		memcpy(s, text, len);
		s[len] = '\0';
	}
	return s;
}

/* a field of <Contents> */
static int
list_contents_field(struct list_state *st, const struct xml_name *field, const char *text,
					size_t len)
{
	char num[32];

	if (name_is(field, "Key")) {
		if (st->have_key || len == 0 || memchr(text, '\0', len) != NULL)
			return ws_error_set(st->err, WS_ERR_CORRUPT,
								"invalid S3 listing: empty or repeated Key");
		st->cur.key = dup_text(text, len);
		if (st->cur.key == NULL)
			return ws_error_set(st->err, WS_ERR_NOMEM, "out of memory");
		st->have_key = true;
	} else if (name_is(field, "Size")) {
		if (len >= sizeof(num))
			return ws_error_set(st->err, WS_ERR_CORRUPT, "invalid S3 listing: bad Size");
		memcpy(num, text, len);
		num[len] = '\0';
		if (ws_parse_uint64(num, &st->cur.size) != WS_OK)
			return ws_error_set(st->err, WS_ERR_CORRUPT,
								"invalid S3 listing: bad Size \"%s\"", num);
		st->have_size = true;
	} else if (name_is(field, "LastModified")) {
		if (ws_s3_parse_iso8601(text, len, &st->cur.mtime) != WS_OK)
			return ws_error_set(st->err, WS_ERR_CORRUPT,
								"invalid S3 listing: bad LastModified");
	}
	return WS_OK;
}

static int
list_end(void *arg, const struct xml_name *path, int depth, const char *text, size_t len)
{
	struct list_state *st = arg;
	struct ws_s3_list_page *page = st->page;

	if (depth == 3 && path_is(path, 2, list_contents))
		return list_contents_field(st, &path[2], text, len);

	if (path_is(path, depth, list_contents)) {
		if (!st->have_key || !st->have_size)
			return ws_error_set(st->err, WS_ERR_CORRUPT,
								"invalid S3 listing: Contents without Key or Size");
		if (page->count >= WS_S3_XML_MAX_OBJECTS)
			return ws_error_set(st->err, WS_ERR_TOO_LARGE,
								"S3 listing has more than %d objects in one page",
								WS_S3_XML_MAX_OBJECTS);
		if (page->count == st->alloc) {
			size_t n = st->alloc == 0 ? 64 : st->alloc * 2;
			struct ws_s3_object *o = realloc(page->objects, n * sizeof(*o));

			if (o == NULL)
				return ws_error_set(st->err, WS_ERR_NOMEM, "out of memory");
			page->objects = o;
			st->alloc = n;
		}
		page->objects[page->count++] = st->cur;
		memset(&st->cur, 0, sizeof(st->cur));
		return WS_OK;
	}

	if (depth == 2 && path_is(path, 1, list_root)) {
		if (name_is(&path[1], "IsTruncated")) {
			if (len == 4 && memcmp(text, "true", 4) == 0)
				page->truncated = true;
			else if (len == 5 && memcmp(text, "false", 5) == 0)
				page->truncated = false;
			else
				return ws_error_set(st->err, WS_ERR_CORRUPT,
									"invalid S3 listing: bad IsTruncated");
		} else if (name_is(&path[1], "NextContinuationToken") && len > 0) {
			free(page->next_token);
			page->next_token = dup_text(text, len);
			if (page->next_token == NULL)
				return ws_error_set(st->err, WS_ERR_NOMEM, "out of memory");
		}
	}
	return WS_OK;
}

int
ws_s3_xml_parse_list(const char *xml, size_t len, struct ws_s3_list_page *out,
					 struct ws_error *err)
{
	struct xml_parser x;
	struct list_state st;
	int rc;

	memset(out, 0, sizeof(*out));
	memset(&st, 0, sizeof(st));
	st.page = out;
	st.err = err;
	x.on_start = list_start;
	x.on_end = list_end;
	x.arg = &st;

	rc = xml_parse(&x, xml, len, err);
	free(st.cur.key);
	if (rc == WS_OK && out->truncated && out->next_token == NULL)
		rc = ws_error_set(err, WS_ERR_CORRUPT,
						  "invalid S3 listing: truncated without NextContinuationToken");
	if (rc != WS_OK)
		ws_s3_list_page_free(out);
	return rc;
}

void
ws_s3_list_page_free(struct ws_s3_list_page *page)
{
	if (page == NULL)
		return;
	for (size_t i = 0; i < page->count; i++)
		free(page->objects[i].key);
	free(page->objects);
	free(page->next_token);
	memset(page, 0, sizeof(*page));
}

/* ---- InitiateMultipartUploadResult ---- */

struct upload_state {
	char *upload_id;
	struct ws_error *err;
};

static int
upload_start(void *arg, const struct xml_name *path, int depth)
{
	struct upload_state *st = arg;

	if (depth == 1 && !name_is(&path[0], "InitiateMultipartUploadResult"))
		return ws_error_set(st->err, WS_ERR_CORRUPT,
							"unexpected S3 response: not an InitiateMultipartUploadResult");
	return WS_OK;
}

static int
upload_end(void *arg, const struct xml_name *path, int depth, const char *text, size_t len)
{
	static const char *const id_path[] = {"InitiateMultipartUploadResult", "UploadId", NULL};
	struct upload_state *st = arg;

	if (!path_is(path, depth, id_path))
		return WS_OK;
	if (st->upload_id != NULL || len == 0 || memchr(text, '\0', len) != NULL)
		return ws_error_set(st->err, WS_ERR_CORRUPT,
							"invalid S3 response: empty or repeated UploadId");
	st->upload_id = dup_text(text, len);
	if (st->upload_id == NULL)
		return ws_error_set(st->err, WS_ERR_NOMEM, "out of memory");
	return WS_OK;
}

int
ws_s3_xml_parse_upload_id(const char *xml, size_t len, char **upload_id,
						  struct ws_error *err)
{
	struct xml_parser x;
	struct upload_state st = {NULL, err};
	int rc;

	*upload_id = NULL;
	x.on_start = upload_start;
	x.on_end = upload_end;
	x.arg = &st;
	rc = xml_parse(&x, xml, len, err);
	if (rc == WS_OK && st.upload_id == NULL)
		rc = ws_error_set(err, WS_ERR_CORRUPT, "invalid S3 response: no UploadId");
	if (rc != WS_OK) {
		free(st.upload_id);
		return rc;
	}
	*upload_id = st.upload_id;
	return WS_OK;
}

/* ---- Error ---- */

struct error_state {
	struct ws_s3_error_doc *doc;
	bool is_error;
};

static int
error_start(void *arg, const struct xml_name *path, int depth)
{
	struct error_state *st = arg;

	if (depth == 1)
		st->is_error = name_is(&path[0], "Error");
	return WS_OK;
}

/* copy text, cut to fit, with NULs and control characters made '?' */
static void
copy_cut(char *dst, size_t size, const char *text, size_t len)
{
	size_t n = len < size - 1 ? len : size - 1;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char) text[i];

		dst[i] = (c < 0x20 || c == 0x7F) ? (is_xml_space((char) c) ? ' ' : '?') : (char) c;
	}
	dst[n] = '\0';
}

static int
error_end(void *arg, const struct xml_name *path, int depth, const char *text, size_t len)
{
	struct error_state *st = arg;

	if (!st->is_error || depth != 2)
		return WS_OK;
	if (name_is(&path[1], "Code"))
		copy_cut(st->doc->code, sizeof(st->doc->code), text, len);
	else if (name_is(&path[1], "Message"))
		copy_cut(st->doc->message, sizeof(st->doc->message), text, len);
	return WS_OK;
}

int
ws_s3_xml_parse_error(const char *xml, size_t len, struct ws_s3_error_doc *out,
					  struct ws_error *err)
{
	struct xml_parser x;
	struct error_state st = {out, false};
	int rc;

	out->code[0] = '\0';
	out->message[0] = '\0';
	x.on_start = error_start;
	x.on_end = error_end;
	x.arg = &st;
	rc = xml_parse(&x, xml, len, err);
	if (rc != WS_OK) {
		out->code[0] = '\0';
		out->message[0] = '\0';
		return rc;
	}
	return st.is_error ? WS_OK : WS_ERR_NOT_FOUND;
}

/* ---- helpers ---- */

static bool
digits(const char *s, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

int
ws_s3_parse_iso8601(const char *text, size_t len, time_t *out)
{
	struct tm tm;
	int year, mon, day, hour, min, sec;
	size_t i = 19;
	time_t t;

	/* YYYY-MM-DDTHH:MM:SS[.fff...]Z */
	if (len < 20 || text[4] != '-' || text[7] != '-' || text[10] != 'T' ||
		text[13] != ':' || text[16] != ':' ||
		!digits(text, 4, &year) || !digits(text + 5, 2, &mon) ||
		!digits(text + 8, 2, &day) || !digits(text + 11, 2, &hour) ||
		!digits(text + 14, 2, &min) || !digits(text + 17, 2, &sec))
		return WS_ERR_INVALID;
	if (text[i] == '.') {
		i++;
		if (i >= len || text[i] < '0' || text[i] > '9')
			return WS_ERR_INVALID;
		while (i < len && text[i] >= '0' && text[i] <= '9')
			i++;
	}
	if (i + 1 != len || text[i] != 'Z')
		return WS_ERR_INVALID;
	if (mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 23 || min > 59 || sec > 60)
		return WS_ERR_INVALID;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = year - 1900;
	tm.tm_mon = mon - 1;
	tm.tm_mday = day;
	tm.tm_hour = hour;
	tm.tm_min = min;
	tm.tm_sec = sec;
	t = timegm(&tm);
	/* timegm normalizes Feb 30 to Mar 2: refuse what moved */
	if (t == (time_t) -1 || tm.tm_mday != day || tm.tm_mon != mon - 1)
		return WS_ERR_INVALID;
	*out = t;
	return WS_OK;
}

int
ws_s3_xml_escape(struct ws_buf *out, const char *s)
{
	int rc = WS_OK;

	for (; *s != '\0' && rc == WS_OK; s++) {
		switch (*s) {
		case '&': rc = ws_buf_append_str(out, "&amp;"); break;
		case '<': rc = ws_buf_append_str(out, "&lt;"); break;
		case '>': rc = ws_buf_append_str(out, "&gt;"); break;
		case '"': rc = ws_buf_append_str(out, "&quot;"); break;
		case '\'': rc = ws_buf_append_str(out, "&apos;"); break;
		default: rc = ws_buf_append(out, s, 1); break;
		}
	}
	return rc;
}
