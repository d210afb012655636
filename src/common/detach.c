/*
 * detach.c — run work in a detached background process (detach.h)
 */
#include "common/detach.h"

#include <sys/wait.h>
#include <unistd.h>

int
ws_run_detached(void (*body)(void *arg), void *arg, struct ws_error *err)
{
	pid_t child;
	int status;

	child = fork();
	if (child < 0)
		return ws_error_set(err, WS_ERR_IO, "could not start a background process: %m");
	if (child == 0) {
		pid_t worker;

		setsid();
		worker = fork();
		if (worker != 0)
			_exit(worker < 0 ? 1 : 0);
		body(arg);
		_exit(0);
	}
	if (waitpid(child, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return ws_error_set(err, WS_ERR_IO, "could not start a background process");
	return WS_OK;
}
