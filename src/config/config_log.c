/*
 * config_log.c — apply log-level and log-file to a logger
 */
#include "config/config_log.h"

int
ws_config_apply_log(const struct ws_config *cfg, struct ws_log *log, struct ws_error *err)
{
	const char *file = ws_config_str(cfg, WS_OPT_LOG_FILE);
	enum ws_log_level level;

	if (ws_log_level_parse(ws_config_str(cfg, WS_OPT_LOG_LEVEL), &level) != WS_OK)
		return ws_error_set(err, WS_ERR_CONFIG, "invalid log-level \"%s\"",
							ws_config_str(cfg, WS_OPT_LOG_LEVEL));
	if (file != NULL) {
		int rc = ws_log_open_file(log, file, err);

		if (rc != WS_OK)
			return rc;
	} else if (log->owns_stream) {
		ws_log_close(log);
	}
	log->level = level;
	return WS_OK;
}
