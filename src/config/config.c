/*
 * config.c — option values, their validation and their sources
 */
#include "config/config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/listen_addr.h"
#include "common/str.h"
#include "config/size.h"

static void
value_clear(struct ws_config_value *v)
{
	free(v->text);
	v->text = NULL;
	v->number = 0;
	v->source = WS_SRC_UNSET;
	v->line = 0;
}

/* A size in bytes within the option's range (see size.h). */
static int
parse_size(const struct ws_option *opt, const char *text, int64_t *number,
		   struct ws_error *err)
{
	char min[WS_SIZE_STRLEN];
	char max[WS_SIZE_STRLEN];
	int64_t bytes;
	int rc;

	rc = ws_size_parse(text, &bytes);
	ws_size_format(opt->min, min, sizeof(min));
	ws_size_format(opt->max, max, sizeof(max));
	if (rc == WS_OK && (bytes < opt->min || bytes > opt->max))
		rc = WS_ERR_TOO_LARGE;
	if (rc == WS_ERR_TOO_LARGE)
		return ws_error_set(err, WS_ERR_CONFIG,
							"invalid value \"%s\" for option \"%s\": must be between %s and %s",
							text, opt->name, min, max);
	if (rc != WS_OK)
		return ws_error_set(err, WS_ERR_CONFIG,
							"invalid value \"%s\" for option \"%s\": expected a whole number of bytes, optionally with a unit (" WS_SIZE_UNITS_HINT "), e.g. 16MB",
							text, opt->name);
	*number = bytes;
	return WS_OK;
}

/*
 * Parse text for opt into number; on failure fill err with why (the caller
 * adds where the value came from).
 */
static int
parse_value(const struct ws_option *opt, const char *text, int64_t *number,
			struct ws_error *err)
{
	char allowed[256];
	bool b;
	int rc;

	if (strlen(text) >= WS_CONFIG_VALUE_MAX)
		return ws_error_set(err, WS_ERR_CONFIG, "value for option \"%s\" is too long (at most %d bytes)",
							opt->name, WS_CONFIG_VALUE_MAX - 1);
	switch (opt->type) {
	case WS_OPT_STRING:
		*number = 0;
		return WS_OK;
	case WS_OPT_PATH:
		*number = 0;
		if (text[0] != '/')
			return ws_error_set(err, WS_ERR_CONFIG,
								"invalid value \"%s\" for option \"%s\": expected an absolute path",
								text, opt->name);
		return WS_OK;
	case WS_OPT_INT:
		rc = ws_parse_int64(text, opt->min, opt->max, number);
		if (rc == WS_ERR_TOO_LARGE)
			return ws_error_set(err, WS_ERR_CONFIG,
								"invalid value \"%s\" for option \"%s\": must be between %lld and %lld",
								text, opt->name, (long long) opt->min, (long long) opt->max);
		if (rc != WS_OK)
			return ws_error_set(err, WS_ERR_CONFIG,
								"invalid value \"%s\" for option \"%s\": expected an integer",
								text, opt->name);
		return WS_OK;
	case WS_OPT_SIZE:
		return parse_size(opt, text, number, err);
	case WS_OPT_BOOL:
		if (!ws_parse_bool(text, &b))
			return ws_error_set(err, WS_ERR_CONFIG,
								"invalid value \"%s\" for option \"%s\": expected on or off",
								text, opt->name);
		*number = b;
		return WS_OK;
	case WS_OPT_ENUM:
		for (int i = 0; opt->allowed[i] != NULL; i++) {
			if (strcasecmp(opt->allowed[i], text) == 0) {
				*number = i;
				return WS_OK;
			}
		}
		ws_option_join_allowed(opt, ", ", allowed, sizeof(allowed));
		return ws_error_set(err, WS_ERR_CONFIG,
							"invalid value \"%s\" for option \"%s\": expected one of %s",
							text, opt->name, allowed);
	}
	return ws_error_set(err, WS_ERR_CONFIG, "option \"%s\" has an unknown type", opt->name);
}

static int
store_value(struct ws_config *cfg, const struct ws_option *opt, const char *text,
			enum ws_config_source source, int line, struct ws_error *err)
{
	struct ws_config_value *v = &cfg->values[opt->id];
	int64_t number = 0;
	char *copy;
	int rc;

	rc = parse_value(opt, text, &number, err);
	if (rc != WS_OK)
		return rc;
	/* enum values are stored in their canonical spelling */
	copy = strdup(opt->type == WS_OPT_ENUM ? opt->allowed[number] : text);
	if (copy == NULL)
		return ws_error_set(err, WS_ERR_NOMEM, "out of memory");
	value_clear(v);
	v->text = copy;
	v->number = number;
	v->source = source;
	v->line = line;
	return WS_OK;
}

int
ws_config_init(struct ws_config *cfg, struct ws_error *err)
{
	memset(cfg, 0, sizeof(*cfg));
	for (int i = 0; i < WS_OPT__COUNT; i++) {
		const struct ws_option *opt = ws_option_get((enum ws_option_id) i);
		int rc;

		if (opt->default_value == NULL)
			continue;
		rc = store_value(cfg, opt, opt->default_value, WS_SRC_DEFAULT, 0, err);
		if (rc != WS_OK) {
			ws_config_free(cfg);
			return ws_error_prefix(err, "built-in default");
		}
	}
	return WS_OK;
}

void
ws_config_free(struct ws_config *cfg)
{
	for (int i = 0; i < WS_OPT__COUNT; i++)
		value_clear(&cfg->values[i]);
}

int
ws_config_set(struct ws_config *cfg, const char *name, const char *text,
			  enum ws_config_source source, int line, struct ws_error *err)
{
	const struct ws_option *opt = ws_option_find(name);

	if (opt == NULL)
		return ws_error_set(err, WS_ERR_CONFIG, "unknown option \"%s\"", name);
	return store_value(cfg, opt, text, source, line, err);
}

int
ws_config_load_env(struct ws_config *cfg, char *const *envp, struct ws_error *err)
{
	char envname[128];

	for (int i = 0; i < WS_OPT__COUNT; i++) {
		const struct ws_option *opt = ws_option_get((enum ws_option_id) i);
		size_t namelen;

		ws_option_env_name(opt, envname, sizeof(envname));
		namelen = strlen(envname);
		for (char *const *e = envp; e != NULL && *e != NULL; e++) {
			int rc;

			if (strncmp(*e, envname, namelen) != 0 || (*e)[namelen] != '=')
				continue;
			rc = store_value(cfg, opt, *e + namelen + 1, WS_SRC_ENV, 0, err);
			if (rc != WS_OK)
				return ws_error_prefix(err, "environment variable %s", envname);
		}
	}
	return WS_OK;
}

/* metrics-listen is empty or a host:port (listen_addr.h) */
static int
validate_metrics_listen(const struct ws_config *cfg, struct ws_error *err)
{
	const char *text = ws_config_str(cfg, WS_OPT_METRICS_LISTEN);
	struct ws_listen_addr addr;
	char where[1100];

	if (text == NULL || text[0] == '\0' || ws_listen_addr_parse(text, &addr, err) == WS_OK)
		return WS_OK;
	ws_config_describe_source(cfg, WS_OPT_METRICS_LISTEN, where, sizeof(where));
	ws_error_prefix(err, "%s: invalid value \"%s\" for option \"metrics-listen\"", where, text);
	err->status = WS_ERR_CONFIG;
	return WS_ERR_CONFIG;
}

int
ws_config_validate(const struct ws_config *cfg, struct ws_error *err)
{
	const char *compress = ws_config_str(cfg, WS_OPT_COMPRESS_TYPE);
	int64_t level = ws_config_int(cfg, WS_OPT_COMPRESS_LEVEL);

	if (strcmp(compress, "zstd") == 0 && (level < 1 || level > 19))
		return ws_error_set(err, WS_ERR_CONFIG,
							"compress-level %lld is out of range for zstd: must be between 1 and 19",
							(long long) level);
	if (strcmp(compress, "zlib") == 0 && level > 9)
		return ws_error_set(err, WS_ERR_CONFIG,
							"compress-level %lld is out of range for zlib: must be between 0 and 9",
							(long long) level);
	if (strcmp(ws_config_str(cfg, WS_OPT_REPO_TYPE), "s3") == 0) {
		static const enum ws_option_id needed[] = {
			WS_OPT_REPO_S3_BUCKET, WS_OPT_REPO_S3_ENDPOINT, WS_OPT_REPO_S3_KEY,
			WS_OPT_REPO_S3_KEY_SECRET
		};

		for (size_t i = 0; i < sizeof(needed) / sizeof(needed[0]); i++) {
			if (ws_config_str(cfg, needed[i]) == NULL || ws_config_str(cfg, needed[i])[0] == '\0')
				return ws_error_set(err, WS_ERR_CONFIG, "repo-type s3 needs option \"%s\"",
									ws_option_get(needed[i])->name);
		}
	}
	if (strcmp(ws_config_str(cfg, WS_OPT_REPO_CIPHER_TYPE), "none") != 0 &&
		ws_config_str(cfg, WS_OPT_REPO_CIPHER_PASS) == NULL &&
		ws_config_str(cfg, WS_OPT_REPO_CIPHER_KEY_FILE) == NULL)
		return ws_error_set(err, WS_ERR_CONFIG,
							"repo-cipher-type %s needs repo-cipher-pass or repo-cipher-key-file",
							ws_config_str(cfg, WS_OPT_REPO_CIPHER_TYPE));
	return validate_metrics_listen(cfg, err);
}

const char *
ws_config_str(const struct ws_config *cfg, enum ws_option_id id)
{
	return cfg->values[id].text;
}

int64_t
ws_config_int(const struct ws_config *cfg, enum ws_option_id id)
{
	return cfg->values[id].number;
}

bool
ws_config_bool(const struct ws_config *cfg, enum ws_option_id id)
{
	return cfg->values[id].number != 0;
}

void
ws_config_describe_source(const struct ws_config *cfg, enum ws_option_id id,
						  char *buf, size_t size)
{
	const struct ws_config_value *v = &cfg->values[id];

	switch (v->source) {
	case WS_SRC_UNSET:
		snprintf(buf, size, "unset");
		return;
	case WS_SRC_DEFAULT:
		snprintf(buf, size, "default");
		return;
	case WS_SRC_FILE:
		snprintf(buf, size, "%s:%d", cfg->file, v->line);
		return;
	case WS_SRC_ENV:
		snprintf(buf, size, "environment");
		return;
	case WS_SRC_CLI:
		snprintf(buf, size, "command line");
		return;
	}
	snprintf(buf, size, "unknown");
}

int
ws_config_load_all(struct ws_config *cfg, const struct ws_config_sources *src,
				   struct ws_error *err)
{
	const char *file = src->file != NULL ? src->file : WS_CONFIG_DEFAULT_FILE;
	int rc;

	rc = ws_config_init(cfg, err);
	if (rc != WS_OK)
		return rc;
	rc = ws_config_load_file(cfg, file, src->file_required, err);
	if (rc == WS_OK)
		rc = ws_config_load_env(cfg, src->envp, err);
	for (int i = 0; rc == WS_OK && i < src->ncli; i++) {
		rc = ws_config_set(cfg, src->cli[i].name, src->cli[i].value, WS_SRC_CLI, 0, err);
		if (rc != WS_OK)
			ws_error_prefix(err, "command line");
	}
	if (rc == WS_OK)
		rc = ws_config_validate(cfg, err);
	if (rc != WS_OK) {
		ws_config_free(cfg);
		/* every configuration problem is a usage error for the caller */
		err->status = WS_ERR_CONFIG;
		return WS_ERR_CONFIG;
	}
	return WS_OK;
}
