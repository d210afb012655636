/*
 * lazylib.h — load a shared library on its first use
 *
 * libpq and libcurl pull in some thirty more libraries (Kerberos, LDAP,
 * GnuTLS, p11-kit) whose loading and constructors cost about 3.5 ms per
 * process. That is most of the time archive-get and archive-push spend on
 * a segment in a local repository, where neither library is used. So the
 * binaries do not link them: src/pg/libpq_lazy.c and
 * src/storage/s3/curl_lazy.c define their functions, and the first call
 * loads the real library.
 *
 * A library that cannot be loaded is a broken installation: both functions
 * print what is missing and which package provides it, and exit with
 * exit_code.
 */
#ifndef WALSHIP_COMMON_LAZYLIB_H
#define WALSHIP_COMMON_LAZYLIB_H

#include <pthread.h>

struct ws_lazylib {
	const char *soname;			/* e.g. "libpq.so.5" */
	const char *package;		/* the Debian package that provides it */
	int exit_code;				/* exit status when it cannot be loaded */
	pthread_once_t once;		/* PTHREAD_ONCE_INIT */
	void *handle;
};

/* dlopen lib->soname into lib->handle. Not thread-safe: call under lib->once. */
void ws_lazylib_open(struct ws_lazylib *lib);

/* The address of a function in the opened library. */
void *ws_lazylib_sym(const struct ws_lazylib *lib, const char *name);

/*
 * Expanded over a list of X(return type, name, (parameters), (arguments))
 * entries (WS_LAZY_*_VOID for functions returning void), these declare a
 * pointer real_<name> per function, resolve them all, and define each
 * function as a forwarder. The including file names its library `lazy_lib`
 * and its loader (open, then WS_LAZY_RESOLVE over the list) `lazy_load`.
 */
#define WS_LAZY_POINTER(ret, name, params, args) static ret (*real_##name) params;
#define WS_LAZY_POINTER_VOID(name, params, args) static void (*real_##name) params;

#define WS_LAZY_RESOLVE(ret, name, params, args) \
	real_##name = (ret (*) params) ws_lazylib_sym(&lazy_lib, #name);
#define WS_LAZY_RESOLVE_VOID(name, params, args) \
	real_##name = (void (*) params) ws_lazylib_sym(&lazy_lib, #name);

#define WS_LAZY_FORWARD(ret, name, params, args) \
	ret name params \
	{ \
		pthread_once(&lazy_lib.once, lazy_load); \
		return real_##name args; \
	}
#define WS_LAZY_FORWARD_VOID(name, params, args) \
	void name params \
	{ \
		pthread_once(&lazy_lib.once, lazy_load); \
		real_##name args; \
	}

#endif
