/*
 * config.h — walship configuration
 *
 * Values come, in increasing precedence, from the defaults in options.def,
 * the configuration file (libconfig syntax), WALSHIP_* environment variables
 * and --option flags. Each value remembers where it came from, so errors and
 * `walship help config` can say so.
 */
#ifndef WALSHIP_CONFIG_CONFIG_H
#define WALSHIP_CONFIG_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/error.h"

#define WS_CONFIG_DEFAULT_FILE "/etc/walship/walship.conf"
#define WS_CONFIG_ENV_PREFIX "WALSHIP_"
#define WS_CONFIG_VALUE_MAX 4096

enum ws_opt_type {
	WS_OPT_STRING,
	WS_OPT_PATH,   /* a string that must be an absolute path */
	WS_OPT_INT,
	WS_OPT_BOOL,
	WS_OPT_ENUM,
	WS_OPT_SIZE    /* bytes: an integer, optionally with a unit (16MB, see size.h) */
};

enum ws_option_id {
#define WS_OPTION(id, ...) WS_OPT_##id,
#include "config/options.def"
#undef WS_OPTION
	WS_OPT__COUNT
};

struct ws_option {
	enum ws_option_id id;
	const char *name;
	enum ws_opt_type type;
	const char *default_value;   /* text form; NULL means unset */
	int64_t min;                 /* WS_OPT_INT and WS_OPT_SIZE (bytes) only */
	int64_t max;
	const char *const *allowed;  /* WS_OPT_ENUM only, NULL-terminated */
	const char *section;
	const char *help;
};

enum ws_config_source {
	WS_SRC_UNSET,
	WS_SRC_DEFAULT,
	WS_SRC_FILE,
	WS_SRC_ENV,
	WS_SRC_CLI
};

struct ws_config_value {
	char *text;                  /* normalised text; NULL when unset */
	int64_t number;              /* INT value, SIZE bytes, BOOL 0/1, ENUM index */
	enum ws_config_source source;
	int line;                    /* line in the file when source is FILE */
};

struct ws_config {
	struct ws_config_value values[WS_OPT__COUNT];
	char file[1024];             /* file that was loaded, "" if none */
};

/* An option given on the command line (--name=value). */
struct ws_config_setting {
	const char *name;
	const char *value;
};

/* Where a full configuration comes from, lowest precedence first. */
struct ws_config_sources {
	const char *file;              /* NULL means WS_CONFIG_DEFAULT_FILE */
	bool file_required;            /* false: a missing file is fine */
	char *const *envp;
	const struct ws_config_setting *cli;
	int ncli;
};

/* Option table access. */
const struct ws_option *ws_option_get(enum ws_option_id id);
const struct ws_option *ws_option_find(const char *name);
const char *ws_opt_type_name(enum ws_opt_type type);
/* An enum option's values joined by sep, e.g. "posix, s3". */
void ws_option_join_allowed(const struct ws_option *opt, const char *sep, char *buf, size_t size);

/* Lifecycle: init sets the defaults; free releases strings. */
int ws_config_init(struct ws_config *cfg, struct ws_error *err);
void ws_config_free(struct ws_config *cfg);

/*
 * Set one option from text. `where` prefixes error messages (for example
 * "environment variable WALSHIP_LOG_LEVEL"); line is recorded for FILE.
 */
int ws_config_set(struct ws_config *cfg, const char *name, const char *text,
				  enum ws_config_source source, int line, struct ws_error *err);

/*
 * Read a libconfig file. With required false a missing file is not an
 * error (the default location need not exist).
 */
int ws_config_load_file(struct ws_config *cfg, const char *path, bool required,
						struct ws_error *err);

/* Apply WALSHIP_<NAME> variables from envp (NULL-terminated "K=V" list). */
int ws_config_load_env(struct ws_config *cfg, char *const *envp, struct ws_error *err);

/*
 * defaults, file, environment, flags, then validate: the one way every
 * program builds its configuration (walshipd again on SIGHUP). On failure
 * cfg is left freed.
 */
int ws_config_load_all(struct ws_config *cfg, const struct ws_config_sources *src,
					   struct ws_error *err);

/* Checks between options, after every source was applied. */
int ws_config_validate(const struct ws_config *cfg, struct ws_error *err);

/* Typed access. Strings are NULL when unset; ws_config_int gives a SIZE in bytes. */
const char *ws_config_str(const struct ws_config *cfg, enum ws_option_id id);
int64_t ws_config_int(const struct ws_config *cfg, enum ws_option_id id);
bool ws_config_bool(const struct ws_config *cfg, enum ws_option_id id);

/* "file line 3", "environment", "command line", "default" */
void ws_config_describe_source(const struct ws_config *cfg, enum ws_option_id id,
							   char *buf, size_t size);

/* Environment variable name for an option: log-level -> WALSHIP_LOG_LEVEL. */
void ws_option_env_name(const struct ws_option *opt, char *buf, size_t size);

#endif
