/*
 * config_file.c — read a libconfig file into a ws_config
 *
 * Every setting is turned into text and goes through the same parser as
 * environment variables and flags, so all sources accept the same values.
 */
#include "config/config.h"

#include <errno.h>
#include <inttypes.h>
#include <libconfig.h>
#include <string.h>

#include "common/str.h"

static int
setting_text(const config_setting_t *s, char *buf, size_t size, struct ws_error *err)
{
	switch (config_setting_type(s)) {
	case CONFIG_TYPE_STRING:
		if (ws_snprintf(buf, size, "%s", config_setting_get_string(s)) != WS_OK)
			return ws_error_set(err, WS_ERR_CONFIG, "value for option \"%s\" is too long",
								config_setting_name(s));
		return WS_OK;
	case CONFIG_TYPE_INT:
		snprintf(buf, size, "%d", config_setting_get_int(s));
		return WS_OK;
	case CONFIG_TYPE_INT64:
		snprintf(buf, size, "%lld", config_setting_get_int64(s));
		return WS_OK;
	case CONFIG_TYPE_BOOL:
		snprintf(buf, size, "%s", config_setting_get_bool(s) ? "on" : "off");
		return WS_OK;
	case CONFIG_TYPE_FLOAT:
		return ws_error_set(err, WS_ERR_CONFIG,
							"invalid value for option \"%s\": decimal numbers are not accepted",
							config_setting_name(s));
	default:
		return ws_error_set(err, WS_ERR_CONFIG,
							"option \"%s\" must be a single value, not a group, array or list",
							config_setting_name(s));
	}
}

static int
apply_settings(struct ws_config *cfg, config_t *lc, const char *path, struct ws_error *err)
{
	config_setting_t *root = config_root_setting(lc);
	char text[WS_CONFIG_VALUE_MAX];
	int count = config_setting_length(root);

	for (int i = 0; i < count; i++) {
		config_setting_t *s = config_setting_get_elem(root, (unsigned int) i);
		int line = (int) config_setting_source_line(s);
		const char *name = config_setting_name(s);
		int rc;

		rc = setting_text(s, text, sizeof(text), err);
		if (rc == WS_OK)
			rc = ws_config_set(cfg, name, text, WS_SRC_FILE, line, err);
		if (rc != WS_OK)
			return ws_error_prefix(err, "%s:%d", path, line);
	}
	return WS_OK;
}

int
ws_config_load_file(struct ws_config *cfg, const char *path, bool required,
					struct ws_error *err)
{
	config_t lc;
	FILE *fp;
	int rc;

	fp = fopen(path, "re");
	if (fp == NULL) {
		if (errno == ENOENT && !required)
			return WS_OK;
		return ws_error_set(err, errno == ENOENT ? WS_ERR_NOT_FOUND : WS_ERR_CONFIG,
							"could not open configuration file \"%s\": %m", path);
	}
	config_init(&lc);
	if (config_read(&lc, fp) != CONFIG_TRUE) {
		rc = ws_error_set(err, WS_ERR_CONFIG, "%s:%d: could not parse configuration file: %s", path,
						  config_error_line(&lc), config_error_text(&lc));
		goto cleanup;
	}
	if (ws_strlcpy(cfg->file, path, sizeof(cfg->file)) >= sizeof(cfg->file)) {
		rc = ws_error_set(err, WS_ERR_CONFIG, "configuration file path is too long");
		goto cleanup;
	}
	rc = apply_settings(cfg, &lc, path, err);

cleanup:
	config_destroy(&lc);
	fclose(fp);
	return rc;
}
