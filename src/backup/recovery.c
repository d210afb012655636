/*
 * recovery.c — the recovery settings a restore leaves for PostgreSQL
 */
#include "backup/restore_int.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/fileio.h"
static int
append_setting(struct ws_buf *b, const char *name, const char *value)
{
	int rc = ws_buf_appendf(b, "%s = '", name);

	for (const char *p = value; rc == WS_OK && *p != '\0'; p++)
		rc = ws_buf_append(b, *p == '\'' ? "''" : p, *p == '\'' ? 2 : 1);
	return rc == WS_OK ? ws_buf_append_str(b, "'\n") : rc;
}

/* A word for sh, in single quotes unless plainly safe. */
static int
append_shell_word(struct ws_buf *b, const char *word)
{
	int rc = WS_OK;

	if (word[0] != '\0' && strspn(word, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
								  "0123456789/._-=:,+@%") == strlen(word))
		return ws_buf_append_str(b, word);
	rc = ws_buf_append_str(b, "'");
	for (const char *p = word; rc == WS_OK && *p != '\0'; p++)
		rc = *p == '\'' ? ws_buf_append_str(b, "'\\''") : ws_buf_append(b, p, 1);
	return rc == WS_OK ? ws_buf_append_str(b, "'") : rc;
}

/*
 * walship archive-get with the configuration this restore used: the same
 * file, plus where the repository is when that came from flags or the
 * environment. Secrets stay out of postgresql.auto.conf: they must be in
 * the file or the server's environment.
 */
static int
build_restore_command(const struct ws_config *cfg, struct ws_buf *cmd, struct ws_error *err)
{
	static const enum ws_option_id carried[] = {
		WS_OPT_STANZA, WS_OPT_REPO_TYPE, WS_OPT_REPO_PATH, WS_OPT_REPO_S3_BUCKET,
		WS_OPT_REPO_S3_ENDPOINT, WS_OPT_REPO_S3_REGION, WS_OPT_REPO_S3_URI_STYLE,
		WS_OPT_REPO_S3_TLS, WS_OPT_REPO_STORAGE_VERIFY_TLS, WS_OPT_REPO_STORAGE_CA_FILE,
		WS_OPT_REPO_STORAGE_CA_PATH, WS_OPT_REPO_CIPHER_TYPE, WS_OPT_REPO_CIPHER_KEY_FILE,
		WS_OPT_SPOOL_PATH, WS_OPT_ARCHIVE_GET_QUEUE_MAX
	};
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	int rc;

	if (n <= 0)
		return ws_error_set(err, WS_ERR_IO, "could not find the walship executable: %m");
	exe[n] = '\0';
	rc = append_shell_word(cmd, exe);
	if (rc == WS_OK && cfg->file[0] != '\0') {
		char abs[PATH_MAX];

		/* the server runs it from its data directory: no relative path */
		if (realpath(cfg->file, abs) == NULL)
			return ws_error_set(err, WS_ERR_IO, "could not resolve \"%s\": %m", cfg->file);
		rc = ws_buf_append_str(cmd, " --config ");
		if (rc == WS_OK)
			rc = append_shell_word(cmd, abs);
	}
	for (size_t i = 0; rc == WS_OK && i < sizeof(carried) / sizeof(carried[0]); i++) {
		const struct ws_config_value *v = &cfg->values[carried[i]];
		char word[2048];

		if (v->text == NULL || (v->source != WS_SRC_CLI && v->source != WS_SRC_ENV))
			continue;
		snprintf(word, sizeof(word), "--%s=%s", ws_option_get(carried[i])->name, v->text);
		rc = ws_buf_append_str(cmd, " ");
		if (rc == WS_OK)
			rc = append_shell_word(cmd, word);
	}
	if (rc == WS_OK)
		rc = ws_buf_append_str(cmd, " archive-get %f %p");
	if (rc != WS_OK)
		return ws_error_set(err, rc, "restore_command is too long");
	return WS_OK;
}

int
ws_restore_write_recovery(const struct ws_config *cfg, const struct ws_restore_options *o,
						  const struct ws_backup_manifest *m, struct ws_error *err)
{
	static const char *const target_settings[] = {
		NULL, "recovery_target_time", "recovery_target_lsn", "recovery_target_xid",
		"recovery_target_name", "recovery_target"
	};
	char path[PATH_MAX];
	struct ws_buf conf, cmd;
	int fd, rc;

	ws_buf_init(&conf, 1 << 20);
	ws_buf_init(&cmd, 16384);
	rc = o->restore_command != NULL ? ws_buf_append_str(&cmd, o->restore_command)
		: build_restore_command(cfg, &cmd, err);
	if (rc != WS_OK)
		goto out;
	rc = ws_buf_appendf(&conf, "\n# added by walship restore of backup %s\n", m->label);
	if (rc == WS_OK)
		rc = append_setting(&conf, "restore_command", ws_buf_str(&cmd));
	if (rc == WS_OK && o->target != WS_TARGET_NONE)
		rc = append_setting(&conf, target_settings[o->target],
							o->target == WS_TARGET_IMMEDIATE ? "immediate" : o->target_value);
	if (rc == WS_OK && o->target_action != NULL)
		rc = append_setting(&conf, "recovery_target_action", o->target_action);
	if (rc == WS_OK && o->target_timeline != NULL)
		rc = append_setting(&conf, "recovery_target_timeline", o->target_timeline);
	if (rc == WS_OK && o->standby && o->primary_conninfo != NULL)
		rc = append_setting(&conf, "primary_conninfo", o->primary_conninfo);
	if (rc == WS_OK && o->standby && o->primary_slot != NULL)
		rc = append_setting(&conf, "primary_slot_name", o->primary_slot);
	if (rc != WS_OK) {
		rc = ws_error_set(err, rc, "recovery settings are too long");
		goto out;
	}
	snprintf(path, sizeof(path), "%s/postgresql.auto.conf", o->pgdata);
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 || ws_write_all(fd, conf.data, conf.len) != 0 || fsync(fd) != 0) {
		rc = ws_error_set(err, WS_ERR_IO, "could not write \"%s\": %m", path);
		if (fd >= 0)
			close(fd);
		goto out;
	}
	close(fd);
	snprintf(path, sizeof(path), "%s/%s", o->pgdata, o->standby ? "standby.signal" : "recovery.signal");
	rc = ws_write_file_atomic(path, "", 0, 0600, err);
out:
	ws_buf_free(&conf);
	ws_buf_free(&cmd);
	return rc;
}
