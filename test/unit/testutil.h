/*
 * testutil.h — small helpers shared by unit tests
 */
#ifndef WALSHIP_TEST_TESTUTIL_H
#define WALSHIP_TEST_TESTUTIL_H

#include <ftw.h>
#include <stdio.h>

static int
testutil_remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void) st;
	(void) flag;
	(void) ftw;
	return remove(path);
}

/* rm -rf dir; 0 on success */
static inline int
testutil_rmtree(const char *dir)
{
	return nftw(dir, testutil_remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

#endif
