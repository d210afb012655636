/*
 * storage_config.h — open the repository the configuration describes
 */
#ifndef WALSHIP_STORAGE_STORAGE_CONFIG_H
#define WALSHIP_STORAGE_STORAGE_CONFIG_H

#include "config/config.h"
#include "storage/storage.h"

int ws_storage_open_repo(const struct ws_config *cfg, struct ws_storage **out,
						 struct ws_error *err);

#endif
