/*
 * archive.c — opening the archive, keys and object paths
 */
#include "archive/archive.h"

#include <stdlib.h>
#include <string.h>

#include "common/fileio.h"
#include "common/str.h"
#include "storage/storage_config.h"
#include "wal/page.h"
#include "wal/segment.h"
#include "wal/timeline.h"

#define WS_KEY_FILE_MAX 4096

int
ws_archive_cipher_key(const struct ws_config *cfg, const struct ws_stanza_info *stanza,
					  uint8_t key[WS_AES_KEY_LEN], struct ws_error *err)
{
	const char *pass = ws_config_str(cfg, WS_OPT_REPO_CIPHER_PASS);
	const char *file = ws_config_str(cfg, WS_OPT_REPO_CIPHER_KEY_FILE);
	struct ws_buf text;
	int rc;

	if (pass != NULL)
		return ws_kdf_derive(pass, stanza->salt, key, err);
	if (file == NULL)
		return ws_error_set(err, WS_ERR_CONFIG,
							"stanza \"%s\" is encrypted: set repo-cipher-pass or repo-cipher-key-file",
							stanza->name);
	ws_buf_init(&text, WS_KEY_FILE_MAX);
	rc = ws_read_file(file, WS_KEY_FILE_MAX, &text, err);
	if (rc == WS_OK) {
		/* the first line is the passphrase */
		text.data[strcspn(text.data, "\r\n")] = '\0';
		rc = ws_kdf_derive(text.data, stanza->salt, key, err);
	}
	ws_buf_free(&text);
	if (rc != WS_OK)
		return ws_error_prefix(err, "could not read repo-cipher-key-file");
	return WS_OK;
}

void
ws_archive_params_from_config(const struct ws_config *cfg, struct ws_object_params *params)
{
	memset(params, 0, sizeof(*params));
	params->compress = (enum ws_compress_type) ws_config_int(cfg, WS_OPT_COMPRESS_TYPE);
	params->level = (int) ws_config_int(cfg, WS_OPT_COMPRESS_LEVEL);
	/* one segment may use every core we are allowed; pools lower it */
	params->threads = (int) ws_config_int(cfg, WS_OPT_PROCESS_MAX);
}

int
ws_archive_open(const struct ws_config *cfg, struct ws_log *log, struct ws_archive *a,
				struct ws_error *err)
{
	bool want_cipher = strcmp(ws_config_str(cfg, WS_OPT_REPO_CIPHER_TYPE), "none") != 0;
	int rc;

	memset(a, 0, sizeof(*a));
	a->log = log;
	ws_archive_params_from_config(cfg, &a->params);
	rc = ws_storage_open_repo(cfg, &a->repo, err);
	if (rc == WS_OK)
		rc = ws_stanza_load(a->repo, ws_config_str(cfg, WS_OPT_STANZA), &a->stanza, err);
	if (rc == WS_OK && want_cipher != a->stanza.encrypted)
		rc = ws_error_set(err, WS_ERR_CONFIG,
						  "repo-cipher-type is %s but stanza \"%s\" was created %s encryption",
						  ws_config_str(cfg, WS_OPT_REPO_CIPHER_TYPE), a->stanza.name,
						  a->stanza.encrypted ? "with" : "without");
	if (rc == WS_OK && a->stanza.encrypted) {
		rc = ws_archive_cipher_key(cfg, &a->stanza, a->key, err);
		if (rc == WS_OK)
			rc = ws_stanza_check_key(&a->stanza, a->key, err);
		a->params.key = a->key;
	}
	if (rc != WS_OK)
		ws_archive_close(a);
	return rc;
}

bool
ws_archive_is_wal_name(const char *name)
{
	return ws_wal_is_segment_name(name) || ws_wal_is_partial_name(name) ||
		ws_wal_is_history_name(name) || ws_wal_is_backup_history_name(name);
}

const char *
ws_archive_base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash != NULL ? slash + 1 : path;
}

size_t
ws_archive_object_max(const struct ws_stanza_db *db)
{
	size_t max = db->wal_segment_size > WS_SMALL_WAL_FILE_MAX ? db->wal_segment_size
		: WS_SMALL_WAL_FILE_MAX;

	/* incompressible data grows a little; the header and cipher add bytes */
	return max + max / 8 + 1024 * 1024;
}

void
ws_archive_close(struct ws_archive *a)
{
	ws_storage_free(a->repo);
	a->repo = NULL;
	memset(a->key, 0, sizeof(a->key));
}

int
ws_archive_clone(const struct ws_archive *src, const struct ws_config *cfg, struct ws_archive *dst,
				 struct ws_error *err)
{
	int rc;

	*dst = *src;
	dst->repo = NULL;
	if (src->params.key != NULL)
		dst->params.key = dst->key;
	if ((rc = ws_storage_open_repo(cfg, &dst->repo, err)) != WS_OK)
		ws_archive_close(dst);
	return rc;
}

int
ws_archive_object_path(const struct ws_archive *a, const struct ws_stanza_db *db,
					   const char *walname, char *buf, size_t size, struct ws_error *err)
{
	char dir[256];
	int rc;

	if ((rc = ws_stanza_archive_dir(&a->stanza, db, dir, sizeof(dir), err)) != WS_OK)
		return rc;
	if (ws_wal_is_history_name(walname))
		rc = ws_snprintf(buf, size, "%s/%s%s", dir, walname, WS_OBJECT_SUFFIX);
	else if (ws_wal_is_segment_name(walname) || ws_wal_is_partial_name(walname) ||
			 ws_wal_is_backup_history_name(walname))
		rc = ws_snprintf(buf, size, "%s/%.16s/%s%s", dir, walname, walname, WS_OBJECT_SUFFIX);
	else
		return ws_error_set(err, WS_ERR_INVALID, "\"%s\" is not a WAL file name", walname);
	if (rc != WS_OK)
		return ws_error_set(err, WS_ERR_TOO_LARGE, "archive path is too long");
	return WS_OK;
}

/* A segment (or .partial) must be whole and belong to this cluster. */
static int
check_segment(const struct ws_stanza_db *db, const char *name, const struct ws_buf *data,
			  struct ws_error *err)
{
	return ws_archive_verify_segment_head(db, name, (const unsigned char *) data->data, data->len,
										  data->len, err);
}

void
ws_segment_start_note(struct ws_segment_start *s, const void *data, size_t len)
{
	size_t keep = sizeof(s->head) - s->headlen;

	if (keep > len)
		keep = len;
	memcpy(s->head + s->headlen, data, keep);
	s->headlen += keep;
	s->total += len;
}

int
ws_archive_verify_segment_head(const struct ws_stanza_db *db, const char *name,
							   const unsigned char *head, size_t headlen, uint64_t total,
							   struct ws_error *err)
{
	struct ws_wal_long_header h;
	struct ws_wal_expect expect;
	char segname[WS_WAL_FNAME_BUFLEN];
	uint32_t tli;
	ws_segno segno;
	int rc;

	ws_strlcpy(segname, name, sizeof(segname));
	if ((rc = ws_wal_segment_parse(segname, db->wal_segment_size, &tli, &segno, err)) != WS_OK)
		return rc;
	if (total != db->wal_segment_size)
		return ws_error_set(err, WS_ERR_CORRUPT,
							"it has %llu bytes, but segments of this cluster have %u: truncated or from another cluster",
							(unsigned long long) total, (unsigned int) db->wal_segment_size);
	if ((rc = ws_wal_long_header_decode(head, headlen, &h, err)) != WS_OK)
		return rc;
	memset(&expect, 0, sizeof(expect));
	expect.sysid = db->system_id;
	expect.seg_size = db->wal_segment_size;
	expect.max_tli = tli;
	expect.check_pageaddr = true;
	expect.pageaddr = ws_wal_segno_to_lsn(segno, db->wal_segment_size);
	return ws_wal_long_header_check(&h, &expect, err);
}

static int
check_history(const char *name, const struct ws_buf *data, struct ws_error *err)
{
	struct ws_tli_history hist;
	unsigned long tli = strtoul(name, NULL, 16);
	int rc;

	rc = ws_tli_history_parse(data->data, data->len, (uint32_t) tli, &hist, err);
	if (rc == WS_OK)
		ws_tli_history_free(&hist);
	return rc;
}

int
ws_archive_verify_wal(const struct ws_stanza_db *db, const char *name, const struct ws_buf *data,
		   struct ws_error *err)
{
	if (ws_wal_is_segment_name(name) || ws_wal_is_partial_name(name))
		return check_segment(db, name, data, err);
	if (ws_wal_is_history_name(name))
		return check_history(name, data, err);
	if (ws_wal_is_backup_history_name(name))
		return WS_OK;
	return ws_error_set(err, WS_ERR_INVALID, "\"%s\" is not a WAL file name", name);
}
