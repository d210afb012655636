/*
 * stanza.c — stanza.info: parse, format, load, save
 */
#include "archive/stanza.h"

#include <inttypes.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>

#include "common/str.h"

#define WS_STANZA_INFO_MAX (64 * 1024)
#define WS_STANZA_LINE_MAX 512

int
ws_stanza_name_check(const char *name, struct ws_error *err)
{
	size_t len = strlen(name);

	if (len == 0 || len >= WS_STANZA_NAME_MAX || name[0] == '.')
		goto bad;
	for (size_t i = 0; i < len; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			  c == '_' || c == '-' || c == '.'))
			goto bad;
	}
	return WS_OK;

bad:
	return ws_error_set(err, WS_ERR_CONFIG,
						"invalid stanza name \"%s\": use 1 to %d letters, digits, '_', '-' or '.', not starting with '.'",
						name, WS_STANZA_NAME_MAX - 1);
}

static int
hex_decode(const char *hex, uint8_t *out, size_t outlen)
{
	if (strlen(hex) != outlen * 2)
		return WS_ERR_INVALID;
	for (size_t i = 0; i < outlen; i++) {
		unsigned int byte;

		if (sscanf(hex + 2 * i, "%2x", &byte) != 1 ||
			!strchr("0123456789abcdef", hex[2 * i]) || !strchr("0123456789abcdef", hex[2 * i + 1]))
			return WS_ERR_INVALID;
		out[i] = (uint8_t) byte;
	}
	return WS_OK;
}

/* "db=ID:SYSID:VERSION:SEGSIZE" */
static int
parse_db(const char *value, struct ws_stanza_db *db)
{
	char sysid[32];
	char extra;

	if (sscanf(value, "%d:%31[0-9]:%d:%" SCNu32 "%c", &db->id, sysid, &db->pg_version,
			   &db->wal_segment_size, &extra) != 4)
		return WS_ERR_INVALID;
	if (ws_parse_uint64(sysid, &db->system_id) != WS_OK || db->id < 1 || db->pg_version < 10 ||
		db->wal_segment_size == 0)
		return WS_ERR_INVALID;
	return WS_OK;
}

static int
parse_line(char *line, int lineno, struct ws_stanza_info *info, bool *saw_format,
		   struct ws_error *err)
{
	char *eq = strchr(line, '=');
	const char *key = line;
	const char *value;

	if (line[0] == '\0' || line[0] == '#')
		return WS_OK;
	if (eq == NULL)
		goto bad;
	*eq = '\0';
	value = eq + 1;
	if (strcmp(key, "format") == 0) {
		if (strcmp(value, "1") != 0)
			return ws_error_set(err, WS_ERR_CORRUPT,
								"stanza.info has format %s, this walship reads format %d: upgrade walship",
								value, WS_STANZA_FORMAT);
		*saw_format = true;
	} else if (strcmp(key, "stanza") == 0) {
		if (ws_strlcpy(info->name, value, sizeof(info->name)) >= sizeof(info->name))
			goto bad;
	} else if (strcmp(key, "cipher") == 0) {
		if (strcmp(value, "none") == 0)
			info->encrypted = false;
		else if (strcmp(value, "aes-256-gcm") == 0)
			info->encrypted = true;
		else
			goto bad;
	} else if (strcmp(key, "cipher-salt") == 0) {
		if (hex_decode(value, info->salt, sizeof(info->salt)) != WS_OK)
			goto bad;
	} else if (strcmp(key, "cipher-key-check") == 0) {
		if (strlen(value) != 64 || strspn(value, "0123456789abcdef") != 64)
			goto bad;
		memcpy(info->key_check, value, 65);
	} else if (strcmp(key, "db") == 0) {
		if (info->ndbs >= WS_STANZA_MAX_DBS || parse_db(value, &info->dbs[info->ndbs]) != WS_OK)
			goto bad;
		if (info->dbs[info->ndbs].id != info->ndbs + 1)
			goto bad;
		info->ndbs++;
	}
	/* unknown keys are kept for newer writers of the same format */
	return WS_OK;

bad:
	return ws_error_set(err, WS_ERR_CORRUPT, "stanza.info is corrupt at line %d", lineno);
}

int
ws_stanza_info_parse(const char *text, size_t len, struct ws_stanza_info *info,
					 struct ws_error *err)
{
	char line[WS_STANZA_LINE_MAX];
	bool saw_format = false;
	int lineno = 0;
	size_t pos = 0;
	int rc;

	memset(info, 0, sizeof(*info));
	if (len > WS_STANZA_INFO_MAX || memchr(text, '\0', len) != NULL)
		return ws_error_set(err, WS_ERR_CORRUPT, "stanza.info is corrupt: not a text file");
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl != NULL ? (size_t) (nl - (text + pos)) : len - pos;

		lineno++;
		if (n >= sizeof(line))
			return ws_error_set(err, WS_ERR_CORRUPT, "stanza.info is corrupt at line %d", lineno);
		memcpy(line, text + pos, n);
		line[n] = '\0';
		pos += n + 1;
		if ((rc = parse_line(line, lineno, info, &saw_format, err)) != WS_OK)
			return rc;
	}
	if (!saw_format || info->name[0] == '\0' || info->ndbs == 0 ||
		(info->encrypted && info->key_check[0] == '\0'))
		return ws_error_set(err, WS_ERR_CORRUPT,
							"stanza.info is corrupt: format, stanza or db line missing");
	return WS_OK;
}

int
ws_stanza_info_format(const struct ws_stanza_info *info, struct ws_buf *out,
					  struct ws_error *err)
{
	int rc;

	rc = ws_buf_appendf(out, "# walship stanza information: written by stanza-create, do not edit\n"
						"format=%d\nstanza=%s\ncipher=%s\n",
						WS_STANZA_FORMAT, info->name, info->encrypted ? "aes-256-gcm" : "none");
	if (rc == WS_OK && info->encrypted) {
		rc = ws_buf_append_str(out, "cipher-salt=");
		for (size_t i = 0; rc == WS_OK && i < sizeof(info->salt); i++)
			rc = ws_buf_appendf(out, "%02x", info->salt[i]);
		if (rc == WS_OK)
			rc = ws_buf_appendf(out, "\ncipher-key-check=%s\n", info->key_check);
	}
	for (int i = 0; rc == WS_OK && i < info->ndbs; i++) {
		const struct ws_stanza_db *db = &info->dbs[i];

		rc = ws_buf_appendf(out, "db=%d:%" PRIu64 ":%d:%" PRIu32 "\n", db->id, db->system_id,
							db->pg_version, db->wal_segment_size);
	}
	if (rc != WS_OK)
		return ws_error_set(err, rc, "could not format stanza.info");
	return WS_OK;
}

static void
info_path(const char *name, char *buf, size_t size)
{
	snprintf(buf, size, "%s/stanza.info", name);
}

int
ws_stanza_info_read(struct ws_storage *store, const char *path, struct ws_stanza_info *info,
					struct ws_error *err)
{
	struct ws_buf text;
	int rc;

	ws_buf_init(&text, WS_STANZA_INFO_MAX);
	rc = ws_storage_get(store, path, &text, err);
	if (rc == WS_OK)
		rc = ws_stanza_info_parse(text.data, text.len, info, err);
	ws_buf_free(&text);
	return rc;
}

int
ws_stanza_info_write(struct ws_storage *store, const char *path,
					 const struct ws_stanza_info *info,
					 const struct ws_storage_write_opts *opts, struct ws_error *err)
{
	struct ws_buf text;
	int rc;

	ws_buf_init(&text, WS_STANZA_INFO_MAX);
	rc = ws_stanza_info_format(info, &text, err);
	if (rc == WS_OK)
		rc = ws_storage_put(store, path, text.data, text.len, opts, err);
	ws_buf_free(&text);
	return rc;
}

int
ws_stanza_load(struct ws_storage *repo, const char *name, struct ws_stanza_info *info,
			   struct ws_error *err)
{
	char path[WS_STANZA_NAME_MAX + 16];
	int rc;

	if ((rc = ws_stanza_name_check(name, err)) != WS_OK)
		return rc;
	info_path(name, path, sizeof(path));
	rc = ws_stanza_info_read(repo, path, info, err);
	if (rc == WS_ERR_NOT_FOUND)
		ws_error_set(err, rc, "stanza \"%s\" does not exist in the repository: run \"walship stanza-create\" first",
					 name);
	if (rc == WS_OK && strcmp(info->name, name) != 0)
		rc = ws_error_set(err, WS_ERR_CORRUPT, "stanza.info of \"%s\" names stanza \"%s\"", name,
						  info->name);
	return rc;
}

int
ws_stanza_save(struct ws_storage *repo, const struct ws_stanza_info *info, bool create,
			   struct ws_error *err)
{
	struct ws_storage_write_opts opts = {.no_overwrite = create};
	char path[WS_STANZA_NAME_MAX + 16];

	info_path(info->name, path, sizeof(path));
	return ws_stanza_info_write(repo, path, info, &opts, err);
}

const struct ws_stanza_db *
ws_stanza_current(const struct ws_stanza_info *info)
{
	return info->ndbs > 0 ? &info->dbs[info->ndbs - 1] : NULL;
}

int
ws_stanza_archive_dir(const struct ws_stanza_info *info, const struct ws_stanza_db *db,
					  char *buf, size_t size, struct ws_error *err)
{
	if (ws_snprintf(buf, size, "%s/archive/%d-%d", info->name, db->pg_version, db->id) != WS_OK)
		return ws_error_set(err, WS_ERR_TOO_LARGE, "archive path is too long");
	return WS_OK;
}

int
ws_stanza_init(struct ws_stanza_info *info, const char *name, const struct ws_stanza_db *db,
			   bool encrypted, struct ws_error *err)
{
	int rc;

	memset(info, 0, sizeof(*info));
	if ((rc = ws_stanza_name_check(name, err)) != WS_OK)
		return rc;
	ws_strlcpy(info->name, name, sizeof(info->name));
	info->dbs[0] = *db;
	info->dbs[0].id = 1;
	info->ndbs = 1;
	info->encrypted = encrypted;
	if (encrypted && RAND_bytes(info->salt, sizeof(info->salt)) != 1)
		return ws_error_set(err, WS_ERR_IO, "could not generate a random salt");
	return WS_OK;
}

static void
key_check_hex(const uint8_t key[32], char hex[65])
{
	static const char tag[] = "walship key check v1";
	uint8_t input[32 + sizeof(tag)];
	uint8_t digest[32];
	unsigned int len = 0;

	memcpy(input, key, 32);
	memcpy(input + 32, tag, sizeof(tag));
	EVP_Digest(input, sizeof(input), digest, &len, EVP_sha256(), NULL);
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", digest[i]);
}

void
ws_stanza_set_key(struct ws_stanza_info *info, const uint8_t key[32])
{
	key_check_hex(key, info->key_check);
}

int
ws_stanza_check_key(const struct ws_stanza_info *info, const uint8_t key[32],
					struct ws_error *err)
{
	char hex[65];

	key_check_hex(key, hex);
	if (strcmp(hex, info->key_check) != 0)
		return ws_error_set(err, WS_ERR_CONFIG,
							"the configured passphrase is not the one stanza \"%s\" was created with",
							info->name);
	return WS_OK;
}
