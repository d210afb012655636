/*
 * detach.h — run work in a detached background process
 */
#ifndef WALSHIP_COMMON_DETACH_H
#define WALSHIP_COMMON_DETACH_H

#include "common/error.h"

/*
 * Double fork: body(arg) runs in a grandchild re-parented to init, in its
 * own session, so the caller (and PostgreSQL waiting for the caller)
 * never waits for it and no zombie is left. Returns once the intermediate
 * child has exited.
 */
int ws_run_detached(void (*body)(void *arg), void *arg, struct ws_error *err);

#endif
