/*
 * options.c — the option table, built from options.def
 */
#include "config/config.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

static const char *const ws_repo_types[] = {"posix", "s3", NULL};
static const char *const ws_replication_modes[] = {"async", "sync", "semi-sync", NULL};
static const char *const ws_s3_uri_styles[] = {"host", "path", NULL};
static const char *const ws_cipher_types[] = {"none", "aes-256-gcm", NULL};
static const char *const ws_compress_types[] = {"none", "zlib", "zstd", NULL};
static const char *const ws_log_levels[] = {"off", "error", "warn", "info", "debug", "trace", NULL};

static const struct ws_option option_table[WS_OPT__COUNT] = {
#define WS_OPTION(id, name, type, def, min, max, allowed, section, help) \
	[WS_OPT_##id] = {WS_OPT_##id, name, type, def, min, max, allowed, section, help},
#include "config/options.def"
#undef WS_OPTION
};

const struct ws_option *
ws_option_get(enum ws_option_id id)
{
	if ((int) id < 0 || id >= WS_OPT__COUNT)
		return NULL;
	return &option_table[id];
}

const struct ws_option *
ws_option_find(const char *name)
{
	for (int i = 0; i < WS_OPT__COUNT; i++) {
		if (strcmp(option_table[i].name, name) == 0)
			return &option_table[i];
	}
	return NULL;
}

const char *
ws_opt_type_name(enum ws_opt_type type)
{
	switch (type) {
	case WS_OPT_STRING: return "string";
	case WS_OPT_PATH: return "path";
	case WS_OPT_INT: return "integer";
	case WS_OPT_BOOL: return "boolean";
	case WS_OPT_ENUM: return "enum";
	case WS_OPT_SIZE: return "size";
	}
	return "unknown";
}

void
ws_option_env_name(const struct ws_option *opt, char *buf, size_t size)
{
	size_t prefix = strlen(WS_CONFIG_ENV_PREFIX);
	size_t i;

	if (size == 0)
		return;
	if (size <= prefix) {
		buf[0] = '\0';
		return;
	}
	memcpy(buf, WS_CONFIG_ENV_PREFIX, prefix);
	for (i = 0; opt->name[i] != '\0' && prefix + i + 1 < size; i++) {
		char c = opt->name[i];

		buf[prefix + i] = (c == '-') ? '_' : (char) toupper((unsigned char) c);
	}
	buf[prefix + i] = '\0';
}

void
ws_option_join_allowed(const struct ws_option *opt, const char *sep, char *buf, size_t size)
{
	size_t used = 0;

	if (size == 0)
		return;
	buf[0] = '\0';
	for (int i = 0; opt->allowed != NULL && opt->allowed[i] != NULL; i++) {
		int n = snprintf(buf + used, size - used, "%s%s", i ? sep : "", opt->allowed[i]);

		if (n < 0 || (size_t) n >= size - used)
			return;
		used += (size_t) n;
	}
}
