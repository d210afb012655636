/*
 * curl_lazy.c — libcurl, loaded on the first call (see common/lazylib.h)
 *
 * Each libcurl function walship uses is defined here with curl.h's own
 * prototype and forwards to the real one; a function used in src/ must be
 * added here, or the link fails. The two variadic ones forward their one
 * extra argument by the type its option or info code says it has, as
 * libcurl itself reads it.
 */
#define CURL_DISABLE_TYPECHECK		/* curl.h's checking macros would rename ours */
#include <curl/curl.h>
#include <stdarg.h>

#include "cmd/exit_codes.h"
#include "common/lazylib.h"

#define CURL_FUNCTIONS(X, XV) \
	X(CURLcode, curl_global_init, (long flags), (flags)) \
	XV(curl_global_cleanup, (void), ()) \
	X(CURL *, curl_easy_init, (void), ()) \
	XV(curl_easy_reset, (CURL *curl), (curl)) \
	XV(curl_easy_cleanup, (CURL *curl), (curl)) \
	X(CURLcode, curl_easy_perform, (CURL *curl), (curl)) \
	X(const char *, curl_easy_strerror, (CURLcode code), (code)) \
	X(struct curl_slist *, curl_slist_append, (struct curl_slist *list, const char *data), \
	  (list, data)) \
	XV(curl_slist_free_all, (struct curl_slist *list), (list))

CURL_FUNCTIONS(WS_LAZY_POINTER, WS_LAZY_POINTER_VOID)
static CURLcode (*real_curl_easy_setopt)(CURL *curl, CURLoption option, ...);
static CURLcode (*real_curl_easy_getinfo)(CURL *curl, CURLINFO info, ...);

static struct ws_lazylib lazy_lib = {
	.soname = "libcurl.so.4", .package = "libcurl4", .exit_code = WS_EXIT_STORAGE,
	.once = PTHREAD_ONCE_INIT,
};

static void
lazy_load(void)
{
	ws_lazylib_open(&lazy_lib);
	CURL_FUNCTIONS(WS_LAZY_RESOLVE, WS_LAZY_RESOLVE_VOID)
	real_curl_easy_setopt = (CURLcode (*)(CURL *, CURLoption, ...))
		ws_lazylib_sym(&lazy_lib, "curl_easy_setopt");
	real_curl_easy_getinfo = (CURLcode (*)(CURL *, CURLINFO, ...))
		ws_lazylib_sym(&lazy_lib, "curl_easy_getinfo");
}

CURL_FUNCTIONS(WS_LAZY_FORWARD, WS_LAZY_FORWARD_VOID)

/* The option number says the value's type: curl.h's CURLOPTTYPE_* ranges. */
CURLcode
curl_easy_setopt(CURL *curl, CURLoption option, ...)
{
	va_list ap;
	CURLcode rc;

	pthread_once(&lazy_lib.once, lazy_load);
	va_start(ap, option);
	if (option < CURLOPTTYPE_OBJECTPOINT)
		rc = real_curl_easy_setopt(curl, option, va_arg(ap, long));
	else if (option < CURLOPTTYPE_FUNCTIONPOINT)
		rc = real_curl_easy_setopt(curl, option, va_arg(ap, void *));
	else if (option < CURLOPTTYPE_OFF_T)
		rc = real_curl_easy_setopt(curl, option, va_arg(ap, void (*)(void)));
	else if (option < CURLOPTTYPE_BLOB)
		rc = real_curl_easy_setopt(curl, option, va_arg(ap, curl_off_t));
	else
		rc = real_curl_easy_setopt(curl, option, va_arg(ap, void *));
	va_end(ap);
	return rc;
}

/* Every CURLINFO_* takes a pointer to where the answer goes. */
CURLcode
curl_easy_getinfo(CURL *curl, CURLINFO info, ...)
{
	va_list ap;
	CURLcode rc;

	pthread_once(&lazy_lib.once, lazy_load);
	va_start(ap, info);
	rc = real_curl_easy_getinfo(curl, info, va_arg(ap, void *));
	va_end(ap);
	return rc;
}
