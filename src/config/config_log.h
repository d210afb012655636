/*
 * config_log.h — apply log-level and log-file to a logger
 */
#ifndef WALSHIP_CONFIG_CONFIG_LOG_H
#define WALSHIP_CONFIG_CONFIG_LOG_H

#include "common/log.h"
#include "config/config.h"

/* On failure the logger keeps its previous level and stream. */
int ws_config_apply_log(const struct ws_config *cfg, struct ws_log *log, struct ws_error *err);

#endif
