/*
 * s3_client.c — a small command line over the S3 storage driver, for
 * test/integration/t_s3_storage.sh
 *
 *     s3_client put KEY FILE [--no-overwrite]   FILE "-" is stdin
 *     s3_client get KEY FILE                    FILE "-" is stdout
 *     s3_client info KEY                        "SIZE MTIME", or "absent"
 *     s3_client list [PREFIX]                   "PATH SIZE MTIME" per object
 *     s3_client rm KEY
 *
 * Everything goes through the driver's streaming ops (in 64 KiB pieces, so
 * put exercises buffering and multipart uploads). Configuration comes from
 * the environment:
 *
 *     WS_S3_ENDPOINT, WS_S3_BUCKET, WS_S3_KEY, WS_S3_SECRET   required
 *     WS_S3_REGION (us-east-1), WS_S3_PREFIX (""), WS_S3_URI_STYLE
 *     (path|host, path), WS_S3_TLS (0|1, 0), WS_S3_VERIFY_TLS (0|1, 1),
 *     WS_S3_CA_FILE, WS_S3_PART_SIZE (bytes), WS_S3_MAX_RETRIES (3),
 *     WS_S3_TIMEOUT_MS (30000)
 *
 * Exit status: 0 done, 1 error, 2 usage, 3 not found, 4 exists already.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/str.h"
#include "storage/storage.h"

#define CHUNK 65536

enum {
	EXIT_OK = 0,
	EXIT_ERROR = 1,
	EXIT_USAGE = 2,
	EXIT_NOT_FOUND = 3,
	EXIT_EXISTS = 4
};

static int
exit_code(int status)
{
	switch (status) {
	case WS_OK: return EXIT_OK;
	case WS_ERR_NOT_FOUND: return EXIT_NOT_FOUND;
	case WS_ERR_EXISTS: return EXIT_EXISTS;
	default: return EXIT_ERROR;
	}
}

static const char *
env_or(const char *name, const char *dflt)
{
	const char *v = getenv(name);

	return (v != NULL && v[0] != '\0') ? v : dflt;
}

static int
env_int(const char *name, int64_t min, int64_t max, int64_t dflt, int64_t *out,
		struct ws_error *err)
{
	const char *v = getenv(name);

	*out = dflt;
	if (v == NULL || v[0] == '\0')
		return WS_OK;
	if (ws_parse_int64(v, min, max, out) != WS_OK)
		return ws_error_set(err, WS_ERR_CONFIG, "invalid %s value \"%s\"", name, v);
	return WS_OK;
}

static int
env_bool(const char *name, bool dflt, bool *out, struct ws_error *err)
{
	const char *v = getenv(name);

	*out = dflt;
	if (v == NULL || v[0] == '\0')
		return WS_OK;
	if (!ws_parse_bool(v, out))
		return ws_error_set(err, WS_ERR_CONFIG, "invalid %s value \"%s\"", name, v);
	return WS_OK;
}

static int
open_storage(struct ws_storage **s, struct ws_error *err)
{
	struct ws_s3_config cfg;
	const char *style = env_or("WS_S3_URI_STYLE", "path");
	int64_t part_size, retries, timeout;
	int rc;

	memset(&cfg, 0, sizeof(cfg));
	cfg.endpoint = env_or("WS_S3_ENDPOINT", NULL);
	cfg.bucket = env_or("WS_S3_BUCKET", NULL);
	cfg.key = env_or("WS_S3_KEY", NULL);
	cfg.secret = env_or("WS_S3_SECRET", NULL);
	cfg.token = env_or("WS_S3_TOKEN", NULL);
	cfg.region = env_or("WS_S3_REGION", "us-east-1");
	cfg.prefix = env_or("WS_S3_PREFIX", "");
	cfg.ca_file = env_or("WS_S3_CA_FILE", NULL);
	if (strcmp(style, "path") == 0)
		cfg.uri_style = WS_S3_URI_PATH;
	else if (strcmp(style, "host") == 0)
		cfg.uri_style = WS_S3_URI_HOST;
	else
		return ws_error_set(err, WS_ERR_CONFIG, "invalid WS_S3_URI_STYLE value \"%s\"", style);

	rc = env_bool("WS_S3_TLS", false, &cfg.tls, err);
	if (rc == WS_OK)
		rc = env_bool("WS_S3_VERIFY_TLS", true, &cfg.verify_tls, err);
	if (rc == WS_OK)
		rc = env_int("WS_S3_PART_SIZE", 0, INT64_MAX, 0, &part_size, err);
	if (rc == WS_OK)
		rc = env_int("WS_S3_MAX_RETRIES", 0, 100, 3, &retries, err);
	if (rc == WS_OK)
		rc = env_int("WS_S3_TIMEOUT_MS", 1, 3600000, 30000, &timeout, err);
	if (rc != WS_OK)
		return rc;
	cfg.part_size = (size_t) part_size;
	cfg.max_retries = (int) retries;
	cfg.timeout_ms = (int) timeout;
	return ws_storage_s3_new(&cfg, s, err);
}

static int
cmd_put(struct ws_storage *s, const char *key, const char *file, bool no_overwrite,
		struct ws_error *err)
{
	struct ws_storage_write_opts opts = {.no_overwrite = no_overwrite};
	struct ws_storage_write *w = NULL;
	FILE *in;
	char *buf;
	int rc;

	in = strcmp(file, "-") == 0 ? stdin : fopen(file, "rb");
	if (in == NULL)
		return ws_error_set(err, WS_ERR_IO, "could not open file \"%s\": %m", file);
	buf = malloc(CHUNK);
	if (buf == NULL) {
		rc = ws_error_set(err, WS_ERR_NOMEM, "out of memory");
		goto cleanup;
	}
	rc = s->ops->open_write(s, key, &opts, &w, err);
	if (rc != WS_OK)
		goto cleanup;
	for (;;) {
		size_t n = fread(buf, 1, CHUNK, in);

		if (n > 0) {
			rc = s->ops->write(w, buf, n, err);
			if (rc != WS_OK)
				break;
		}
		if (n < CHUNK) {
			if (ferror(in))
				rc = ws_error_set(err, WS_ERR_IO, "could not read file \"%s\"", file);
			break;
		}
	}
	if (rc != WS_OK)
		s->ops->abort(w);
	else
		rc = s->ops->commit(w, err);

cleanup:
	free(buf);
	if (in != stdin)
		fclose(in);
	return rc;
}

static int
cmd_get(struct ws_storage *s, const char *key, const char *file, struct ws_error *err)
{
	struct ws_storage_read *r = NULL;
	FILE *out = NULL;
	char *buf;
	int rc;

	buf = malloc(CHUNK);
	if (buf == NULL)
		return ws_error_set(err, WS_ERR_NOMEM, "out of memory");
	rc = s->ops->open_read(s, key, &r, err);
	if (rc != WS_OK)
		goto cleanup;
	out = strcmp(file, "-") == 0 ? stdout : fopen(file, "wb");
	if (out == NULL) {
		rc = ws_error_set(err, WS_ERR_IO, "could not open file \"%s\": %m", file);
		goto cleanup;
	}
	for (;;) {
		size_t got = 0;

		rc = s->ops->read(r, buf, CHUNK, &got, err);
		if (rc != WS_OK || got == 0)
			break;
		if (fwrite(buf, 1, got, out) != got) {
			rc = ws_error_set(err, WS_ERR_IO, "could not write file \"%s\": %m", file);
			break;
		}
	}
	if (fflush(out) != 0 && rc == WS_OK)
		rc = ws_error_set(err, WS_ERR_IO, "could not write file \"%s\": %m", file);

cleanup:
	if (out != NULL && out != stdout && fclose(out) != 0 && rc == WS_OK)
		rc = ws_error_set(err, WS_ERR_IO, "could not close file \"%s\": %m", file);
	if (r != NULL)
		s->ops->close_read(r);
	free(buf);
	return rc;
}

static int
print_entry(const char *path, const struct ws_storage_info *info, void *arg,
			struct ws_error *err)
{
	(void) arg;
	if (printf("%s %llu %lld\n", path, (unsigned long long) info->size,
			   (long long) info->mtime) < 0)
		return ws_error_set(err, WS_ERR_IO, "could not write to standard output: %m");
	return WS_OK;
}

static int
usage(void)
{
	fprintf(stderr,
			"usage: s3_client put KEY FILE [--no-overwrite] | get KEY FILE | info KEY |\n"
			"                 list [PREFIX] | rm KEY\n");
	return EXIT_USAGE;
}

int
main(int argc, char **argv)
{
	struct ws_storage *s = NULL;
	struct ws_error err;
	const char *cmd;
	int rc;

	ws_error_clear(&err);
	if (argc < 2)
		return usage();
	cmd = argv[1];
	if (!((strcmp(cmd, "put") == 0 && (argc == 4 ||
									   (argc == 5 && strcmp(argv[4], "--no-overwrite") == 0))) ||
		  (strcmp(cmd, "get") == 0 && argc == 4) ||
		  (strcmp(cmd, "info") == 0 && argc == 3) ||
		  (strcmp(cmd, "list") == 0 && argc <= 3) ||
		  (strcmp(cmd, "rm") == 0 && argc == 3)))
		return usage();

	rc = open_storage(&s, &err);
	if (rc == WS_OK) {
		if (strcmp(cmd, "put") == 0) {
			rc = cmd_put(s, argv[2], argv[3], argc == 5, &err);
		} else if (strcmp(cmd, "get") == 0) {
			rc = cmd_get(s, argv[2], argv[3], &err);
		} else if (strcmp(cmd, "info") == 0) {
			struct ws_storage_info info;

			rc = s->ops->info(s, argv[2], &info, &err);
			if (rc == WS_OK && info.exists)
				printf("%llu %lld\n", (unsigned long long) info.size, (long long) info.mtime);
			else if (rc == WS_OK) {
				printf("absent\n");
				rc = WS_ERR_NOT_FOUND;
				ws_error_set(&err, rc, "object \"%s\" does not exist", argv[2]);
			}
		} else if (strcmp(cmd, "list") == 0) {
			rc = s->ops->list(s, argc == 3 ? argv[2] : "", print_entry, NULL, &err);
		} else {
			rc = s->ops->remove(s, argv[2], &err);
		}
	}
	ws_storage_free(s);
	if (fflush(stdout) != 0 && rc == WS_OK)
		rc = ws_error_set(&err, WS_ERR_IO, "could not write to standard output: %m");
	if (rc != WS_OK)
		fprintf(stderr, "s3_client: error: %s\n", err.message);
	return exit_code(rc);
}
