/*
 * alloc_torture.h — fail the Nth allocation, for "torture" tests
 *
 * A test that includes this links with
 *     -Wl,--wrap=malloc,--wrap=realloc,--wrap=calloc
 * so every malloc, realloc and calloc of the code under test goes through
 * the wrappers below. alloc_inject(n) makes the nth call from now fail
 * with ENOMEM (0: none fails); alloc_ctl.failed counts failures made.
 */
#ifndef WALSHIP_TEST_ALLOC_TORTURE_H
#define WALSHIP_TEST_ALLOC_TORTURE_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>

static struct {
	unsigned long calls;
	unsigned long fail_at;
	unsigned long failed;
} alloc_ctl;

void *__real_malloc(size_t size);
void *__real_realloc(void *ptr, size_t size);
void *__real_calloc(size_t n, size_t size);
void *__wrap_malloc(size_t size);
void *__wrap_realloc(void *ptr, size_t size);
void *__wrap_calloc(size_t n, size_t size);

static bool
alloc_should_fail(void)
{
	alloc_ctl.calls++;
	if (alloc_ctl.fail_at != 0 && alloc_ctl.calls == alloc_ctl.fail_at) {
		alloc_ctl.failed++;
		errno = ENOMEM;
		return true;
	}
	return false;
}

void *
__wrap_malloc(size_t size)
{
	return alloc_should_fail() ? NULL : __real_malloc(size);
}

void *
__wrap_realloc(void *ptr, size_t size)
{
	return alloc_should_fail() ? NULL : __real_realloc(ptr, size);
}

void *
__wrap_calloc(size_t n, size_t size)
{
	return alloc_should_fail() ? NULL : __real_calloc(n, size);
}

static inline void
alloc_inject(unsigned long fail_at)
{
	alloc_ctl.calls = 0;
	alloc_ctl.fail_at = fail_at;
	alloc_ctl.failed = 0;
}

#endif
