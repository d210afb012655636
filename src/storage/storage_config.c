/*
 * storage_config.c — open the repository the configuration describes
 */
#include "storage/storage_config.h"

#include <string.h>

int
ws_storage_open_repo(const struct ws_config *cfg, struct ws_storage **out,
					 struct ws_error *err)
{
	const char *path = ws_config_str(cfg, WS_OPT_REPO_PATH);
	struct ws_s3_config s3;

	if (strcmp(ws_config_str(cfg, WS_OPT_REPO_TYPE), "posix") == 0)
		return ws_storage_posix_new(path, out, err);

	memset(&s3, 0, sizeof(s3));
	s3.bucket = ws_config_str(cfg, WS_OPT_REPO_S3_BUCKET);
	s3.endpoint = ws_config_str(cfg, WS_OPT_REPO_S3_ENDPOINT);
	s3.region = ws_config_str(cfg, WS_OPT_REPO_S3_REGION);
	s3.key = ws_config_str(cfg, WS_OPT_REPO_S3_KEY);
	s3.secret = ws_config_str(cfg, WS_OPT_REPO_S3_KEY_SECRET);
	/* keys have no leading slash: "/var/lib/walship/repo" -> "var/lib/walship/repo" */
	while (*path == '/')
		path++;
	s3.prefix = path;
	s3.uri_style = strcmp(ws_config_str(cfg, WS_OPT_REPO_S3_URI_STYLE), "path") == 0
		? WS_S3_URI_PATH : WS_S3_URI_HOST;
	s3.tls = ws_config_bool(cfg, WS_OPT_REPO_S3_TLS);
	s3.verify_tls = ws_config_bool(cfg, WS_OPT_REPO_STORAGE_VERIFY_TLS);
	s3.ca_file = ws_config_str(cfg, WS_OPT_REPO_STORAGE_CA_FILE);
	s3.ca_path = ws_config_str(cfg, WS_OPT_REPO_STORAGE_CA_PATH);
	s3.part_size = (size_t) ws_config_int(cfg, WS_OPT_REPO_S3_PART_SIZE) * 1024 * 1024;
	s3.max_retries = (int) ws_config_int(cfg, WS_OPT_REPO_RETRIES);
	s3.timeout_ms = (int) ws_config_int(cfg, WS_OPT_REPO_TIMEOUT) * 1000;
	return ws_storage_s3_new(&s3, out, err);
}
