/*
 * lazylib.c — load a shared library on its first use (see lazylib.h)
 */
#include "common/lazylib.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

static _Noreturn void
fail(const struct ws_lazylib *lib, const char *what)
{
	fprintf(stderr, "walship: %s (is the Debian package %s installed?)\n", what, lib->package);
	exit(lib->exit_code);
}

void
ws_lazylib_open(struct ws_lazylib *lib)
{
	lib->handle = dlopen(lib->soname, RTLD_NOW | RTLD_LOCAL);
	if (lib->handle == NULL)
		fail(lib, dlerror());
}

void *
ws_lazylib_sym(const struct ws_lazylib *lib, const char *name)
{
	void *fn = dlsym(lib->handle, name);

	if (fn == NULL)
		fail(lib, dlerror());
	return fn;
}
