/*
 * test_manifest.c — unit tests for src/backup/manifest.c
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backup/manifest.h"
#include "common/str.h"

#define SHA_A "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define SHA_B "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"
#define SHA_PG "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

static void
set_file(struct ws_backup_manifest *m, size_t i, uint64_t stored, const char *sha)
{
	m->entries[i].stored = stored;
	ws_strlcpy(m->entries[i].sha256, sha, sizeof(m->entries[i].sha256));
}

/* A manifest with every kind of entry, spaces in names and targets. */
static void
make_sample(struct ws_backup_manifest *m)
{
	struct ws_error err;
	size_t i;

	ws_backup_manifest_init(m);
	ws_strlcpy(m->label, "20261126-153000F", sizeof(m->label));
	ws_strlcpy(m->type, "full", sizeof(m->type));
	m->db_id = 2;
	m->system_id = 7312345678901234567ULL;
	m->pg_version = 15;
	m->start_lsn = 0x2000028;
	m->stop_lsn = 0x1A2000100ULL;
	m->timeline = 1;
	m->stop_timeline = 2;
	m->start_time = 1795707000;
	m->stop_time = -5;
	ws_strlcpy(m->wal_start, "000000010000000000000002", sizeof(m->wal_start));
	ws_strlcpy(m->wal_stop, "00000002000000010000001A", sizeof(m->wal_stop));
	ws_strlcpy(m->compress, "zstd", sizeof(m->compress));
	m->encrypted = true;
	m->from_standby = false;
	m->original_bytes = 123;
	m->stored_bytes = UINT64_MAX;
	m->pg_manifest_size = 4096;
	m->pg_manifest_stored = 900;
	ws_strlcpy(m->pg_manifest_sha256, SHA_PG, sizeof(m->pg_manifest_sha256));
	assert_int_equal(ws_backup_manifest_add_tablespace(m, 16385, "/mnt/ts with  spaces/x", &err), WS_OK);
	assert_int_equal(ws_backup_manifest_add_tablespace(m, 4294967295u, "relative ", &err), WS_OK);

	assert_int_equal(ws_backup_manifest_add(m, WS_ENTRY_DIR, "base", NULL, 0700, 1, 0, &i, &err), WS_OK);
	assert_int_equal(i, 0);
	assert_int_equal(ws_backup_manifest_add(m, WS_ENTRY_FILE, "base/1/1234", NULL, 0600,
											1795706999, 8192, &i, &err), WS_OK);
	assert_int_equal(i, 1);
	set_file(m, i, 100, SHA_A);
	assert_int_equal(ws_backup_manifest_add(m, WS_ENTRY_FILE, "my dir/a file  with spaces ", "",
											04755, INT64_MIN, UINT64_MAX, &i, &err), WS_OK);
	set_file(m, i, 0, SHA_B);
	assert_int_equal(ws_backup_manifest_add(m, WS_ENTRY_LINK, "pg_tblspc/16385",
											"/mnt/ts with  spaces/x", 0777, INT64_MAX, 0, &i, &err),
					 WS_OK);
	assert_int_equal(ws_backup_manifest_add(m, WS_ENTRY_LINK, "pg wal", "../some where/=x", 0,
											-1, 0, NULL, &err), WS_OK);
	assert_int_equal(ws_backup_manifest_add(m, WS_ENTRY_DIR, "a..b/..c/d..", NULL, 07777, 0, 0,
											NULL, &err), WS_OK);
	assert_int_equal(ws_backup_manifest_add(m, WS_ENTRY_FILE, "empty", NULL, 0600, 0, 0, &i,
											&err), WS_OK);
	set_file(m, i, 0, SHA_PG);
}

static void
format_sample(struct ws_buf *text)
{
	struct ws_backup_manifest m;
	struct ws_error err;

	make_sample(&m);
	ws_buf_init(text, WS_BACKUP_MANIFEST_MAX);
	assert_int_equal(ws_backup_manifest_format(&m, text, &err), WS_OK);
	ws_backup_manifest_free(&m);
}

static void
assert_manifests_equal(const struct ws_backup_manifest *a, const struct ws_backup_manifest *b)
{
	assert_string_equal(a->label, b->label);
	assert_string_equal(a->type, b->type);
	assert_int_equal(a->db_id, b->db_id);
	assert_true(a->system_id == b->system_id);
	assert_int_equal(a->pg_version, b->pg_version);
	assert_true(a->start_lsn == b->start_lsn);
	assert_true(a->stop_lsn == b->stop_lsn);
	assert_int_equal(a->timeline, b->timeline);
	assert_int_equal(a->stop_timeline, b->stop_timeline);
	assert_true(a->start_time == b->start_time);
	assert_true(a->stop_time == b->stop_time);
	assert_string_equal(a->wal_start, b->wal_start);
	assert_string_equal(a->wal_stop, b->wal_stop);
	assert_string_equal(a->compress, b->compress);
	assert_int_equal(a->encrypted, b->encrypted);
	assert_int_equal(a->from_standby, b->from_standby);
	assert_true(a->original_bytes == b->original_bytes);
	assert_true(a->stored_bytes == b->stored_bytes);
	assert_true(a->pg_manifest_size == b->pg_manifest_size);
	assert_true(a->pg_manifest_stored == b->pg_manifest_stored);
	assert_string_equal(a->pg_manifest_sha256, b->pg_manifest_sha256);
	assert_int_equal(a->ntablespaces, b->ntablespaces);
	for (int i = 0; i < a->ntablespaces; i++) {
		assert_int_equal(a->tablespaces[i].oid, b->tablespaces[i].oid);
		assert_string_equal(a->tablespaces[i].location, b->tablespaces[i].location);
	}
	assert_int_equal(a->nentries, b->nentries);
	for (size_t i = 0; i < a->nentries; i++) {
		const struct ws_backup_entry *x = &a->entries[i];
		const struct ws_backup_entry *y = &b->entries[i];

		assert_int_equal(x->type, y->type);
		assert_string_equal(x->path, y->path);
		if (x->link == NULL)
			assert_null(y->link);
		else
			assert_string_equal(x->link, y->link);
		assert_int_equal(x->mode, y->mode);
		assert_true(x->mtime == y->mtime);
		assert_true(x->size == y->size);
		assert_true(x->stored == y->stored);
		assert_string_equal(x->sha256, y->sha256);
	}
}

static void
test_round_trip(void **state)
{
	struct ws_backup_manifest m;
	struct ws_backup_manifest back;
	struct ws_error err;
	struct ws_buf text;
	struct ws_buf again;

	(void) state;
	make_sample(&m);
	ws_buf_init(&text, WS_BACKUP_MANIFEST_MAX);
	assert_int_equal(ws_backup_manifest_format(&m, &text, &err), WS_OK);
	assert_true(ws_str_has_prefix(text.data, "# walship backup manifest: written by walship, do not edit\nformat=1\n"));
	assert_non_null(strstr(text.data, "\nstart-lsn=0/2000028\nstop-lsn=1/A2000100\n"));
	assert_non_null(strstr(text.data, "\nstop-time=-5\n"));
	assert_non_null(strstr(text.data, "\npg-manifest=4096 900 " SHA_PG "\n"));
	assert_non_null(strstr(text.data, "\ntablespace=16385 /mnt/ts with  spaces/x\n"));
	assert_non_null(strstr(text.data, "\nfile=d 0700 1 0 0 - base\n"));
	assert_non_null(strstr(text.data, "\nfile=f 0600 1795706999 8192 100 " SHA_A " base/1/1234\n"));
	assert_non_null(strstr(text.data, "\nfile=l 0777 9223372036854775807 0 0 - pg_tblspc/16385\t/mnt/ts with  spaces/x\n"));
	assert_non_null(strstr(text.data, "\nfile=f 4755 -9223372036854775808 18446744073709551615 0 " SHA_B " my dir/a file  with spaces \n"));

	assert_int_equal(ws_backup_manifest_parse(text.data, text.len, &back, &err), WS_OK);
	assert_manifests_equal(&m, &back);
	assert_null(back.entries[0].link);
	assert_string_equal(back.entries[4].link, "../some where/=x");

	/* formatting what was parsed gives the same bytes */
	ws_buf_init(&again, WS_BACKUP_MANIFEST_MAX);
	assert_int_equal(ws_backup_manifest_format(&back, &again, &err), WS_OK);
	assert_int_equal(again.len, text.len);
	assert_memory_equal(again.data, text.data, text.len);

	ws_backup_manifest_free(&m);
	ws_backup_manifest_free(&back);
	ws_buf_free(&text);
	ws_buf_free(&again);
}

static void
test_minimal_and_defaults(void **state)
{
	static const char text[] =
		"# a comment\n"
		"\n"
		"format=1\n"
		"label=20261126-153000F_2\n"
		"type=full\n"
		"system-id=42\n"
		"pg-version=16\n"
		"start-lsn=0/2000028\n"
		"stop-lsn=0/2000028\n"
		"timeline=3\n"
		"wal-start=000000030000000000000002\n"
		"wal-stop=000000030000000000000002\n"
		"compress=none\n"
		"# trailing comment\n";
	struct ws_backup_manifest m;
	struct ws_error err;

	(void) state;
	assert_int_equal(ws_backup_manifest_parse(text, strlen(text), &m, &err), WS_OK);
	assert_string_equal(m.label, "20261126-153000F_2");
	assert_int_equal(m.timeline, 3);
	assert_int_equal(m.stop_timeline, 3);
	assert_int_equal(m.db_id, 0);
	assert_string_equal(m.pg_manifest_sha256, "");
	assert_int_equal(m.nentries, 0);
	assert_int_equal(m.ntablespaces, 0);
	ws_backup_manifest_free(&m);
}

/* The sample's text with the line starting with "key=" removed. */
static char *
without_key(const char *text, const char *key)
{
	size_t klen = strlen(key);
	char *copy = malloc(strlen(text) + 1);
	const char *p = text;
	size_t o = 0;
	int removed = 0;

	assert_non_null(copy);
	while (*p != '\0') {
		const char *nl = strchr(p, '\n');
		size_t n = nl != NULL ? (size_t) (nl - p) + 1 : strlen(p);

		if (strncmp(p, key, klen) == 0 && p[klen] == '=')
			removed++;
		else {
			memcpy(copy + o, p, n);
			o += n;
		}
		p += n;
	}
	copy[o] = '\0';
	assert_int_equal(removed, 1);
	return copy;
}

static void
test_required_keys(void **state)
{
	static const char *const required[] = {
		"format", "label", "type", "system-id", "pg-version", "start-lsn", "stop-lsn",
		"timeline", "wal-start", "wal-stop", "compress",
	};
	static const char *const optional[] = {
		"db-id", "stop-timeline", "start-time", "stop-time", "encrypted", "from-standby",
		"original-bytes", "stored-bytes", "pg-manifest", "part-size", "entries",
	};
	struct ws_backup_manifest m;
	struct ws_error err;
	struct ws_buf text;

	(void) state;
	format_sample(&text);
	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
		char *cut = without_key(text.data, required[i]);
		char quoted[64];

		assert_int_equal(ws_backup_manifest_parse(cut, strlen(cut), &m, &err), WS_ERR_CORRUPT);
		snprintf(quoted, sizeof(quoted), "\"%s\"", required[i]);
		if (strstr(err.message, quoted) == NULL)
			fail_msg("without %s: \"%s\"", required[i], err.message);
		assert_int_equal(m.nentries, 0);
		assert_null(m.entries);
		ws_backup_manifest_free(&m);
		free(cut);
	}
	for (size_t i = 0; i < sizeof(optional) / sizeof(optional[0]); i++) {
		char *cut = without_key(text.data, optional[i]);

		if (ws_backup_manifest_parse(cut, strlen(cut), &m, &err) != WS_OK)
			fail_msg("without %s: \"%s\"", optional[i], err.message);
		ws_backup_manifest_free(&m);
		free(cut);
	}
	ws_buf_free(&text);
}

#define HEAD                                                                                  \
	"format=1\nlabel=20261126-153000F\ntype=full\nsystem-id=1\npg-version=15\n"              \
	"start-lsn=0/2000028\nstop-lsn=0/2000100\ntimeline=1\nwal-start=000000010000000000000002\n" \
	"wal-stop=000000010000000000000002\ncompress=zstd\n"
/* HEAD is lines 1 to 11 */

static void
expect_corrupt_len(const char *text, size_t len, const char *fragment)
{
	struct ws_backup_manifest m;
	struct ws_error err;

	assert_int_equal(ws_backup_manifest_parse(text, len, &m, &err), WS_ERR_CORRUPT);
	if (strstr(err.message, fragment) == NULL)
		fail_msg("\"%s\" lacks \"%s\"", err.message, fragment);
	assert_int_equal(m.nentries, 0);
	assert_int_equal(m.ntablespaces, 0);
	ws_backup_manifest_free(&m);
}

static void
expect_corrupt(const char *text, const char *fragment)
{
	expect_corrupt_len(text, strlen(text), fragment);
}

static void
expect_ok(const char *text)
{
	struct ws_backup_manifest m;
	struct ws_error err;

	if (ws_backup_manifest_parse(text, strlen(text), &m, &err) != WS_OK)
		fail_msg("%s", err.message);
	ws_backup_manifest_free(&m);
}

static void
test_parse_errors(void **state)
{
	(void) state;
	expect_ok(HEAD);
	expect_corrupt("", "required key \"format\" is missing");
	expect_corrupt("# only a comment\n", "required key \"format\" is missing");
	expect_corrupt(HEAD "colour=blue\n", "line 12: unknown key \"colour\"");
	expect_corrupt(HEAD "=x\n", "line 12: unknown key \"\"");
	expect_corrupt(HEAD "no equals sign\n", "line 12: expected key=value");
	expect_corrupt("format=2\nlabel=x\nfuture-key=1\n", "written by a newer walship");
	expect_corrupt("format=2\n", "format 2");
	expect_corrupt("format=0\n", "line 1: invalid format");
	expect_corrupt("format=x\n", "line 1: invalid format");
	expect_corrupt("label=20261126-153000F\nformat=1\n", "line 1: expected \"format\" before");
	expect_corrupt("# x\ncolour=blue\n", "line 2: expected \"format\" before");
	expect_corrupt(HEAD "label=20261126-153000F\n", "line 12: key \"label\" appears twice");
	expect_corrupt(HEAD "format=1\n", "line 12: key \"format\" appears twice");
	/* the last line must be complete */
	expect_corrupt(HEAD "db-id=1", "last line is incomplete");
	/* an embedded NUL */
	expect_corrupt_len("format=1\n\0x\n", 12, "not a text file");
	/* overlong line */
	{
		char *big = malloc(64 * 1024);

		assert_non_null(big);
		memset(big, 'a', 64 * 1024 - 1);
		memcpy(big, HEAD "file=d 0700 0 0 0 - ", strlen(HEAD "file=d 0700 0 0 0 - "));
		big[64 * 1024 - 2] = '\n';
		big[64 * 1024 - 1] = '\0';
		expect_corrupt(big, "line 12: line is too long");
		free(big);
	}
}

static void
test_parse_bad_values(void **state)
{
	(void) state;
	expect_corrupt("format=1\nlabel=2026-11-26\n", "line 2: invalid label \"2026-11-26\"");
	expect_corrupt("format=1\ntype=diff\n", "line 2: invalid type");
	expect_corrupt("format=1\ndb-id=0\n", "line 2: invalid db-id");
	expect_corrupt("format=1\nsystem-id=-1\n", "line 2: invalid system-id");
	expect_corrupt("format=1\nsystem-id=18446744073709551616\n", "line 2: invalid system-id");
	expect_corrupt("format=1\npg-version=9\n", "line 2: invalid pg-version");
	expect_corrupt("format=1\nstart-lsn=0/XYZ\n", "line 2: invalid start-lsn \"0/XYZ\"");
	expect_corrupt("format=1\nstop-lsn=2000100\n", "line 2: invalid stop-lsn");
	expect_corrupt("format=1\nstop-lsn= 0/1\n", "line 2: invalid stop-lsn");
	expect_corrupt("format=1\ntimeline=0\n", "line 2: invalid timeline");
	expect_corrupt("format=1\nstop-timeline=4294967296\n", "line 2: invalid stop-timeline");
	expect_corrupt("format=1\nstart-time=1.5\n", "line 2: invalid start-time");
	expect_corrupt("format=1\nwal-start=000000010000000000000002.partial\n", "line 2: invalid wal-start");
	expect_corrupt("format=1\nwal-stop=00000001000000000000000a\n", "line 2: invalid wal-stop");
	expect_corrupt("format=1\nwal-stop=00000001000000000000000\n", "line 2: invalid wal-stop");
	expect_corrupt("format=1\ncompress=lz4\n", "line 2: invalid compress");
	expect_corrupt("format=1\nencrypted=yes\n", "line 2: invalid encrypted");
	expect_corrupt("format=1\nfrom-standby=2\n", "line 2: invalid from-standby");
	expect_corrupt("format=1\noriginal-bytes=+1\n", "line 2: invalid original-bytes");
	expect_corrupt("format=1\nstored-bytes=\n", "line 2: invalid stored-bytes");
	expect_corrupt("format=1\npg-manifest=1 2\n", "line 2: invalid pg-manifest");
	expect_corrupt("format=1\npg-manifest=1 2 " SHA_A " \n", "line 2: invalid pg-manifest");
	expect_corrupt("format=1\npg-manifest=1 2 0123\n", "line 2: invalid pg-manifest");
	expect_corrupt("format=1\ntablespace=0 /x\n", "line 2: invalid tablespace");
	expect_corrupt("format=1\ntablespace=16385\n", "line 2: invalid tablespace");
	expect_corrupt("format=1\ntablespace=16385 \n", "line 2: invalid location of tablespace 16385");
	expect_corrupt("format=1\ntablespace=1 /a\ntablespace=1 /b\n", "line 3: tablespace 1 is listed twice");
	expect_corrupt("format=1\ntablespace=1 /a\tb\n", "control character");
	expect_corrupt(HEAD "stop-lsn=0/2000027\n", "line 12: key \"stop-lsn\" appears twice");
	expect_corrupt("format=1\nlabel=20261126-153000F\ntype=full\nsystem-id=1\npg-version=15\n"
				   "start-lsn=0/2000028\nstop-lsn=0/2000027\ntimeline=1\n"
				   "wal-start=000000010000000000000002\nwal-stop=000000010000000000000002\n"
				   "compress=zstd\n", "stop-lsn is before start-lsn");
}

static void
test_parse_bad_files(void **state)
{
	(void) state;
	expect_ok(HEAD "file=f 0600 0 1 1 " SHA_A " a\n"
			  "file=d 0700 -1 0 0 - b\n"
			  "file=l 0777 5 0 0 - c\t/x y\n");
	/* sha */
	expect_corrupt(HEAD "file=f 0600 0 1 1 " SHA_B "0 a\n", "line 12: invalid SHA-256");
	expect_corrupt(HEAD "file=f 0600 0 1 1 0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef a\n",
				   "line 12: invalid SHA-256");
	expect_corrupt(HEAD "file=f 0600 0 1 1 - a\n", "line 12: invalid SHA-256 \"-\"");
	expect_corrupt(HEAD "file=d 0700 0 0 0 " SHA_A " a\n", "line 12: invalid SHA-256");
	/* type */
	expect_corrupt(HEAD "file=x 0600 0 1 1 " SHA_A " a\n", "line 12: invalid file type \"x\"");
	expect_corrupt(HEAD "file=ff 0600 0 1 1 " SHA_A " a\n", "line 12: invalid file type");
	expect_corrupt(HEAD "file= 0600 0 1 1 " SHA_A " a\n", "line 12: invalid file type");
	/* mode */
	expect_corrupt(HEAD "file=f 600 0 1 1 " SHA_A " a\n", "line 12: invalid file mode \"600\"");
	expect_corrupt(HEAD "file=f 0800 0 1 1 " SHA_A " a\n", "line 12: invalid file mode");
	expect_corrupt(HEAD "file=f 00600 0 1 1 " SHA_A " a\n", "line 12: invalid file mode");
	expect_corrupt(HEAD "file=f -600 0 1 1 " SHA_A " a\n", "line 12: invalid file mode");
	/* numbers */
	expect_corrupt(HEAD "file=f 0600 x 1 1 " SHA_A " a\n", "line 12: invalid modification time");
	expect_corrupt(HEAD "file=f 0600 9223372036854775808 1 1 " SHA_A " a\n",
				   "line 12: invalid modification time");
	expect_corrupt(HEAD "file=f 0600 0 -1 1 " SHA_A " a\n", "line 12: invalid file size");
	expect_corrupt(HEAD "file=f 0600 0 1  1 " SHA_A " a\n", "line 12: invalid stored size");
	expect_corrupt(HEAD "file=d 0700 0 1 0 - a\n", "line 12: a directory or link with a size");
	expect_corrupt(HEAD "file=l 0777 0 0 1 - a\tb\n", "line 12: a directory or link with a size");
	/* shape */
	expect_corrupt(HEAD "file=f 0600 0 1 1 " SHA_A "\n", "line 12: file entry has fewer than seven fields");
	expect_corrupt(HEAD "file=\n", "line 12: file entry has fewer");
	/* paths */
	expect_corrupt(HEAD "file=f 0600 0 1 1 " SHA_A " \n", "line 12: invalid path \"\": it is empty");
	expect_corrupt(HEAD "file=f 0600 0 1 1 " SHA_A " /etc/passwd\n", "it is absolute");
	expect_corrupt(HEAD "file=f 0600 0 1 1 " SHA_A " a/../../b\n", "has a \"..\" component");
	expect_corrupt(HEAD "file=d 0700 0 0 0 - ..\n", "has a \"..\" component");
	expect_corrupt(HEAD "file=d 0700 0 0 0 - a/..\n", "has a \"..\" component");
	expect_corrupt(HEAD "file=d 0700 0 0 0 - a\rb\n", "control character");
	expect_corrupt(HEAD "file=d 0700 0 0 0 - a\x7f\n", "control character");
	/* links */
	expect_corrupt(HEAD "file=f 0600 0 1 1 " SHA_A " a\tb\n", "\"a\" is not a symbolic link but has a target");
	expect_corrupt(HEAD "file=l 0777 0 0 0 - a\n", "invalid target of symbolic link \"a\": it is empty");
	expect_corrupt(HEAD "file=l 0777 0 0 0 - a\t\n", "it is empty");
	expect_corrupt(HEAD "file=l 0777 0 0 0 - a\tb\tc\n", "control character");
	/* duplicates, reported at the second one */
	expect_corrupt(HEAD "file=d 0700 0 0 0 - a\n"
				   "file=d 0700 0 0 0 - b\n"
				   "# c\n"
				   "file=f 0600 0 1 1 " SHA_A " a\n",
				   "line 15: path \"a\" appears twice");
}

static void
test_add_rejects(void **state)
{
	static const char *const bad_paths[] = {
		"", "/abs", "..", "../x", "a/../b", "a/..", "a\nb", "a\tb", "a\rb", "x\x01", "x\x7f",
		"new\nfile=f 0600 0 1 1 - evil",
	};
	struct ws_backup_manifest m;
	struct ws_error err;
	char longpath[WS_BACKUP_PATH_MAX + 1];
	size_t index = 99;

	(void) state;
	ws_backup_manifest_init(&m);
	for (size_t i = 0; i < sizeof(bad_paths) / sizeof(bad_paths[0]); i++) {
		assert_int_equal(ws_backup_manifest_add(&m, WS_ENTRY_FILE, bad_paths[i], NULL, 0600, 0,
												0, &index, &err), WS_ERR_INVALID);
		assert_non_null(strstr(err.message, "invalid path \""));
	}
	assert_int_equal(ws_backup_manifest_add(&m, WS_ENTRY_DIR, "a\nb", NULL, 0700, 0, 0, NULL,
											&err), WS_ERR_INVALID);
	assert_non_null(strstr(err.message, "\"a\\x0Ab\""));
	assert_non_null(strstr(err.message, "control character"));
	assert_int_equal(ws_backup_manifest_add(&m, WS_ENTRY_DIR, "a/../b", NULL, 0700, 0, 0, NULL,
											&err), WS_ERR_INVALID);
	assert_non_null(strstr(err.message, "\"..\" component"));
	assert_int_equal(ws_backup_manifest_add(&m, WS_ENTRY_FILE, NULL, NULL, 0600, 0, 0, NULL,
											&err), WS_ERR_INVALID);
	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[sizeof(longpath) - 1] = '\0';
	assert_int_equal(ws_backup_manifest_add(&m, WS_ENTRY_FILE, longpath, NULL, 0600, 0, 0, NULL,
											&err), WS_ERR_INVALID);
	assert_non_null(strstr(err.message, "too long"));

	/* link targets */
	assert_int_equal(ws_backup_manifest_add(&m, WS_ENTRY_LINK, "l", "a\tb", 0777, 0, 0, NULL,
											&err), WS_ERR_INVALID);
	assert_non_null(strstr(err.message, "control character"));
	assert_int_equal(ws_backup_manifest_add(&m, WS_ENTRY_LINK, "l", "a\nb", 0777, 0, 0, NULL,
											&err), WS_ERR_INVALID);
	assert_int_equal(ws_backup_manifest_add(&m, WS_ENTRY_LINK, "l", NULL, 0777, 0, 0, NULL,
											&err), WS_ERR_INVALID);
	assert_int_equal(ws_backup_manifest_add(&m, WS_ENTRY_LINK, "l", "", 0777, 0, 0, NULL,
											&err), WS_ERR_INVALID);
	assert_int_equal(ws_backup_manifest_add(&m, WS_ENTRY_FILE, "f", "target", 0600, 0, 0, NULL,
											&err), WS_ERR_INVALID);
	assert_non_null(strstr(err.message, "not a symbolic link"));
	/* sizes, modes, types */
	assert_int_equal(ws_backup_manifest_add(&m, WS_ENTRY_DIR, "d", NULL, 0700, 0, 1, NULL,
											&err), WS_ERR_INVALID);
	assert_int_equal(ws_backup_manifest_add(&m, WS_ENTRY_LINK, "l", "t", 0777, 0, 1, NULL,
											&err), WS_ERR_INVALID);
	assert_int_equal(ws_backup_manifest_add(&m, WS_ENTRY_FILE, "f", NULL, 010000, 0, 0, NULL,
											&err), WS_ERR_INVALID);
	assert_int_equal(ws_backup_manifest_add(&m, (enum ws_backup_entry_type) 7, "f", NULL, 0600,
											0, 0, NULL, &err), WS_ERR_INVALID);
	assert_int_equal(m.nentries, 0);
	assert_int_equal(index, 99);

	/* what is allowed */
	assert_int_equal(ws_backup_manifest_add(&m, WS_ENTRY_LINK, "l", "/abs/../x y", 0777, 0, 0,
											&index, &err), WS_OK);
	assert_int_equal(index, 0);
	assert_int_equal(ws_backup_manifest_add(&m, WS_ENTRY_FILE, "f", "", 0600, 0, 5, &index,
											&err), WS_OK);
	assert_int_equal(index, 1);
	assert_null(m.entries[1].link);
	ws_backup_manifest_free(&m);
}

static void
test_tablespaces(void **state)
{
	struct ws_backup_manifest m;
	struct ws_error err;

	(void) state;
	ws_backup_manifest_init(&m);
	assert_int_equal(ws_backup_manifest_add_tablespace(&m, 0, "/x", &err), WS_ERR_INVALID);
	assert_int_equal(ws_backup_manifest_add_tablespace(&m, 5, "", &err), WS_ERR_INVALID);
	assert_int_equal(ws_backup_manifest_add_tablespace(&m, 5, NULL, &err), WS_ERR_INVALID);
	assert_int_equal(ws_backup_manifest_add_tablespace(&m, 5, "/a\nb", &err), WS_ERR_INVALID);
	assert_non_null(strstr(err.message, "control character"));
	for (uint32_t oid = 1; oid <= WS_BACKUP_MAX_TABLESPACES; oid++)
		assert_int_equal(ws_backup_manifest_add_tablespace(&m, oid, "/t s", &err), WS_OK);
	assert_int_equal(ws_backup_manifest_add_tablespace(&m, 1, "/t", &err), WS_ERR_INVALID);
	assert_non_null(strstr(err.message, "already"));
	assert_int_equal(ws_backup_manifest_add_tablespace(&m, 1000, "/t", &err), WS_ERR_TOO_LARGE);
	assert_int_equal(m.ntablespaces, WS_BACKUP_MAX_TABLESPACES);
	ws_backup_manifest_free(&m);
	assert_int_equal(m.ntablespaces, 0);
}

static void
test_free_and_growth(void **state)
{
	struct ws_backup_manifest m;
	struct ws_backup_manifest back;
	struct ws_error err;
	struct ws_buf text;
	char path[64];

	(void) state;
	/* free is safe on an empty manifest and twice in a row */
	ws_backup_manifest_init(&m);
	ws_backup_manifest_free(&m);
	ws_backup_manifest_free(&m);

	make_sample(&m);
	for (int i = 0; i < 5000; i++) {
		size_t index;

		snprintf(path, sizeof(path), "base/5/%d", i);
		assert_int_equal(ws_backup_manifest_add(&m, WS_ENTRY_FILE, path, NULL, 0600, i,
												(uint64_t) i, &index, &err), WS_OK);
		assert_int_equal(index, 7 + (size_t) i);
		set_file(&m, index, (uint64_t) i / 2, SHA_A);
	}
	assert_int_equal(m.nentries, 5007);
	assert_true(m.cap_entries >= m.nentries && m.cap_entries < 2 * m.nentries);
	assert_string_equal(m.entries[4000 + 7].path, "base/5/4000");
	ws_buf_init(&text, WS_BACKUP_MANIFEST_MAX);
	assert_int_equal(ws_backup_manifest_format(&m, &text, &err), WS_OK);
	assert_int_equal(ws_backup_manifest_parse(text.data, text.len, &back, &err), WS_OK);
	assert_manifests_equal(&m, &back);
	ws_backup_manifest_free(&m);
	ws_backup_manifest_free(&m);
	assert_null(m.entries);
	assert_int_equal(m.nentries, 0);
	assert_int_equal(m.cap_entries, 0);
	ws_backup_manifest_free(&back);
	ws_buf_free(&text);
}

static void
test_format_refuses(void **state)
{
	struct ws_backup_manifest m;
	struct ws_error err;
	struct ws_buf text;
	size_t index;

	(void) state;
	ws_buf_init(&text, WS_BACKUP_MANIFEST_MAX);

	/* a file whose SHA-256 was never set */
	make_sample(&m);
	assert_int_equal(ws_backup_manifest_add(&m, WS_ENTRY_FILE, "base/1/9", NULL, 0600, 0, 1,
											&index, &err), WS_OK);
	assert_int_equal(ws_backup_manifest_format(&m, &text, &err), WS_ERR_INVALID);
	assert_non_null(strstr(err.message, "\"base/1/9\" in backup manifest has no SHA-256"));
	assert_int_equal(text.len, 0);
	ws_backup_manifest_free(&m);

	/* a path twice */
	make_sample(&m);
	assert_int_equal(ws_backup_manifest_add(&m, WS_ENTRY_DIR, "base", NULL, 0700, 0, 0, NULL,
											&err), WS_OK);
	assert_int_equal(ws_backup_manifest_format(&m, &text, &err), WS_ERR_INVALID);
	assert_non_null(strstr(err.message, "path \"base\" is twice"));
	ws_backup_manifest_free(&m);

	/* header fields */
	make_sample(&m);
	m.label[0] = '\0';
	assert_int_equal(ws_backup_manifest_format(&m, &text, &err), WS_ERR_INVALID);
	ws_backup_manifest_free(&m);
	make_sample(&m);
	m.db_id = 0;
	assert_int_equal(ws_backup_manifest_format(&m, &text, &err), WS_ERR_INVALID);
	ws_backup_manifest_free(&m);
	make_sample(&m);
	ws_strlcpy(m.compress, "lz4", sizeof(m.compress));
	assert_int_equal(ws_backup_manifest_format(&m, &text, &err), WS_ERR_INVALID);
	ws_backup_manifest_free(&m);
	make_sample(&m);
	m.stop_lsn = m.start_lsn - 1;
	assert_int_equal(ws_backup_manifest_format(&m, &text, &err), WS_ERR_INVALID);
	ws_backup_manifest_free(&m);
	assert_int_equal(text.len, 0);

	/* the buffer's cap */
	make_sample(&m);
	ws_buf_free(&text);
	ws_buf_init(&text, 100);
	assert_int_equal(ws_backup_manifest_format(&m, &text, &err), WS_ERR_TOO_LARGE);
	assert_non_null(strstr(err.message, "could not format backup manifest of \"20261126-153000F\""));
	ws_backup_manifest_free(&m);
	ws_buf_free(&text);
}

static void
test_labels(void **state)
{
	static const char *const good[] = {
		"20261126-153000F", "20261126-153000F_2", "20261126-153000F_10", "20261126-153000F_999",
		"00000000-000000F",
	};
	static const char *const bad[] = {
		"", "20261126-153000", "20261126-153000D", "20261126_153000F", "2026112-1530000F",
		"20261126-153000F_", "20261126-153000F_1000", "20261126-153000F-2", "20261126-153000F_x",
		"20261126-153000F ", " 20261126-153000F", "2026112a-153000F", "20261126-15300aF",
		"20261126-153000F_2a", "../20261126-153000F", "20261126-153000F/..",
		"20261126-153000F_1234567890123456789",
	};
	char label[WS_BACKUP_LABEL_MAX];
	struct ws_error err;

	(void) state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (ws_backup_label_check(good[i], &err) != WS_OK)
			fail_msg("\"%s\": %s", good[i], err.message);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (ws_backup_label_check(bad[i], &err) != WS_ERR_INVALID)
			fail_msg("\"%s\" accepted", bad[i]);
		assert_true(ws_str_has_prefix(err.message, "invalid backup label \""));
	}
	assert_int_equal(ws_backup_label_check("a\"b\n", &err), WS_ERR_INVALID);
	assert_non_null(strstr(err.message, "\"a\\\"b\\x0A\""));
	assert_int_equal(ws_backup_label_check(NULL, &err), WS_ERR_INVALID);

	ws_backup_label_make(1795707000, label);
	assert_string_equal(label, "20261126-153000F");
	ws_backup_label_make(0, label);
	assert_string_equal(label, "19700101-000000F");
	ws_backup_label_make(951825599, label);    /* 2000-02-29 11:59:59 */
	assert_string_equal(label, "20000229-115959F");
	ws_backup_label_make(253402300799, label); /* 9999-12-31 23:59:59 */
	assert_string_equal(label, "99991231-235959F");
	/* out of the shape's range: the epoch rather than a malformed label */
	ws_backup_label_make(253402300800, label);
	assert_string_equal(label, "19700101-000000F");
	ws_backup_label_make(INT64_MAX, label);
	assert_string_equal(label, "19700101-000000F");
	ws_backup_label_make(INT64_MIN, label);
	assert_string_equal(label, "19700101-000000F");
	assert_int_equal(ws_backup_label_check(label, &err), WS_OK);
}

/* Parse a text; it must give WS_OK or WS_ERR_CORRUPT, never anything else. */
static int
parse_any(const char *text, size_t len, struct ws_backup_manifest *m)
{
	struct ws_error err;
	int rc = ws_backup_manifest_parse(text, len, m, &err);

	if (rc != WS_OK && rc != WS_ERR_CORRUPT)
		fail_msg("status %d: %s", rc, err.message);
	if (rc != WS_OK) {
		assert_int_equal(m->nentries, 0);
		assert_null(m->entries);
		assert_int_equal(m->ntablespaces, 0);
	}
	return rc;
}

static void
test_truncated_everywhere(void **state)
{
	struct ws_backup_manifest m;
	struct ws_buf text;
	size_t complete;
	char *copy;

	(void) state;
	format_sample(&text);
	/* "entries=" on the second line counts the entries: only the whole text parses */
	complete = text.len;
	/* a heap copy per length, so valgrind sees any read past the end */
	for (size_t len = 0; len <= text.len; len++) {

		copy = malloc(len > 0 ? len : 1);
		assert_non_null(copy);
		memcpy(copy, text.data, len);
		if (parse_any(copy, len, &m) == WS_OK) {
			if (len != complete)
				fail_msg("cut at %zu parsed", len);
			assert_true(m.nentries <= 7);
		} else if (len == complete) {
			fail_msg("cut at %zu did not parse", len);
		}
		ws_backup_manifest_free(&m);
		free(copy);
	}
	ws_buf_free(&text);
}

static void
test_mutated_everywhere(void **state)
{
	static const char subst[] = {'\n', '\t', ' ', '=', '/', '0', 'f', '-', '\0', '\x7f', '\xff', '.'};
	struct ws_backup_manifest m;
	struct ws_buf text;
	char *copy;

	(void) state;
	format_sample(&text);
	copy = malloc(text.len);
	assert_non_null(copy);
	for (size_t pos = 0; pos < text.len; pos++) {
		for (size_t s = 0; s < sizeof(subst); s++) {
			memcpy(copy, text.data, text.len);
			copy[pos] = subst[s];
			parse_any(copy, text.len, &m);
			ws_backup_manifest_free(&m);
		}
		/* and drop the byte */
		memcpy(copy, text.data, pos);
		memcpy(copy + pos, text.data + pos + 1, text.len - pos - 1);
		parse_any(copy, text.len - 1, &m);
		ws_backup_manifest_free(&m);
	}
	free(copy);
	ws_buf_free(&text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_minimal_and_defaults),
		cmocka_unit_test(test_required_keys),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_parse_bad_values),
		cmocka_unit_test(test_parse_bad_files),
		cmocka_unit_test(test_add_rejects),
		cmocka_unit_test(test_tablespaces),
		cmocka_unit_test(test_free_and_growth),
		cmocka_unit_test(test_format_refuses),
		cmocka_unit_test(test_labels),
		cmocka_unit_test(test_truncated_everywhere),
		cmocka_unit_test(test_mutated_everywhere),
	};

	return cmocka_run_group_tests_name("backup/manifest", tests, NULL, NULL);
}
