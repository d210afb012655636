/*
 * log.c — line-oriented logging (see log.h)
 */
#include "common/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "common/str.h"

/* longer lines are cut and marked with "..." rather than allocated for */
#define WS_LOG_LINE_MAX 8192

void
ws_log_init_stderr(struct ws_log *log, enum ws_log_level level)
{
	log->level = level;
	log->stream = stderr;
	log->owns_stream = false;
}

int
ws_log_open_file(struct ws_log *log, const char *path, struct ws_error *err)
{
	FILE *f;
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
	if (fd < 0)
		return ws_error_set(err, WS_ERR_IO,
							"could not open log file \"%s\": %m", path);
	f = fdopen(fd, "a");
	if (f == NULL) {
		int saved_errno = errno;

		close(fd);
		errno = saved_errno;
		return ws_error_set(err, WS_ERR_IO,
							"could not open log file \"%s\": %m", path);
	}
	setvbuf(f, NULL, _IOLBF, 0);

	ws_log_close(log);
	log->stream = f;
	log->owns_stream = true;
	return WS_OK;
}

void
ws_log_close(struct ws_log *log)
{
	if (log->owns_stream && log->stream != NULL)
		fclose(log->stream);
	log->stream = stderr;
	log->owns_stream = false;
}

/* level as it appears in a log line, padded to a fixed width */
static const char *
level_tag(enum ws_log_level level)
{
	switch (level) {
	case WS_LOG_ERROR: return "ERROR";
	case WS_LOG_WARN: return "WARN ";
	case WS_LOG_INFO: return "INFO ";
	case WS_LOG_DEBUG: return "DEBUG";
	case WS_LOG_TRACE: return "TRACE";
	case WS_LOG_OFF: break;
	}
	return "?????";
}

void
ws_log_write(struct ws_log *log, enum ws_log_level level,
			 const char *component, const char *fmt, ...)
{
	int saved_errno = errno;
	char line[WS_LOG_LINE_MAX];
	struct timespec ts;
	struct tm tm;
	size_t len;
	size_t msg_start;
	size_t avail;
	va_list ap;
	int n;

	if (log == NULL || log->stream == NULL || level == WS_LOG_OFF ||
		level > log->level)
		return;

	if (clock_gettime(CLOCK_REALTIME, &ts) != 0 ||
		gmtime_r(&ts.tv_sec, &tm) == NULL) {
		memset(&tm, 0, sizeof(tm));
		ts.tv_nsec = 0;
	}
	len = strftime(line, sizeof(line), "%Y-%m-%d %H:%M:%S", &tm);
	n = snprintf(line + len, sizeof(line) - len, ".%03ld UTC [%ld] %s %s%s",
				 (long) (ts.tv_nsec / 1000000), (long) getpid(),
				 level_tag(level),
				 component != NULL ? component : "",
				 component != NULL ? ": " : "");
	if (n < 0)
		goto out;
	/* an absurdly long component is cut, leaving room for the newline */
	if ((size_t) n > sizeof(line) - len - 2)
		n = (int) (sizeof(line) - len - 2);
	len += (size_t) n;
	msg_start = len;

	/* one byte stays reserved for the newline */
	avail = sizeof(line) - len - 1;
	errno = saved_errno;
	va_start(ap, fmt);
	n = vsnprintf(line + len, avail, fmt, ap);
	va_end(ap);
	if (n < 0) {
		ws_strlcpy(line + len, "(unprintable log message)", avail);
		len += strlen(line + len);
	} else if ((size_t) n >= avail) {
		len += avail - 1;
		if (len - msg_start >= 3)
			memcpy(line + len - 3, "...", 3);
	} else {
		len += (size_t) n;
	}

	while (len > msg_start && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	for (size_t i = msg_start; i < len; i++) {
		if (line[i] == '\n' || line[i] == '\r')
			line[i] = ' ';
	}
	line[len++] = '\n';

	/* one fwrite per line so concurrent writers' lines do not interleave */
	fwrite(line, 1, len, log->stream);
	fflush(log->stream);

out:
	errno = saved_errno;
}

int
ws_log_level_parse(const char *name, enum ws_log_level *out)
{
	static const struct {
		const char *name;
		enum ws_log_level level;
	} names[] = {
		{"off", WS_LOG_OFF},
		{"error", WS_LOG_ERROR},
		{"warn", WS_LOG_WARN},
		{"warning", WS_LOG_WARN},
		{"info", WS_LOG_INFO},
		{"debug", WS_LOG_DEBUG},
		{"trace", WS_LOG_TRACE},
	};

	if (name == NULL)
		return WS_ERR_INVALID;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcasecmp(name, names[i].name) == 0) {
			*out = names[i].level;
			return WS_OK;
		}
	}
	return WS_ERR_INVALID;
}

const char *
ws_log_level_name(enum ws_log_level level)
{
	switch (level) {
	case WS_LOG_OFF: return "off";
	case WS_LOG_ERROR: return "error";
	case WS_LOG_WARN: return "warn";
	case WS_LOG_INFO: return "info";
	case WS_LOG_DEBUG: return "debug";
	case WS_LOG_TRACE: return "trace";
	}
	return "unknown";
}
