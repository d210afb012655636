/*
 * storage.h — where repository bytes go: one small interface, many drivers
 *
 * The archive and backup code never knows whether it writes to a directory
 * or to S3. A driver fills struct ws_storage_ops and says in `features`
 * what it guarantees; the safe behaviour (atomic, durable) is the default
 * and the only one offered.
 *
 * Paths are relative to the storage root, '/'-separated, no "..".
 *
 * Writes are streams: open_write, write*, then commit (the object appears
 * whole, durable, under its final name) or abort (nothing appears). An
 * object is never visible half-written, whatever happens to the process.
 */
#ifndef WALSHIP_STORAGE_STORAGE_H
#define WALSHIP_STORAGE_STORAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "common/buf.h"
#include "common/error.h"

enum ws_storage_feature {
	WS_STORAGE_APPEND = 1u << 0,        /* objects can grow in place (.partial) */
	WS_STORAGE_NO_OVERWRITE = 1u << 1,  /* commit can refuse to replace atomically */
	WS_STORAGE_LOCAL = 1u << 2          /* a local file system path (spool use) */
};

struct ws_storage_info {
	bool exists;
	uint64_t size;
	time_t mtime;
};

/* Called for each object under a prefix, in no particular order. */
typedef int (*ws_storage_list_cb)(const char *path, const struct ws_storage_info *info,
								  void *arg, struct ws_error *err);

struct ws_storage;
struct ws_storage_write;
struct ws_storage_read;

struct ws_storage_write_opts {
	/* Fail with WS_ERR_EXISTS instead of replacing an existing object. */
	bool no_overwrite;
	/*
	 * A hint that may be lost in a crash: posix skips the fsyncs (the
	 * object still appears whole or not at all to a running system).
	 */
	bool no_sync;
	/*
	 * With no_overwrite: the caller has just seen that the object does not
	 * exist, so a driver that would ask first (S3's HEAD) need not.
	 * Stores that honour S3's If-None-Match still refuse a replacement.
	 */
	bool known_absent;
};

struct ws_storage_ops {
	const char *name;
	unsigned int features;

	int (*open_write)(struct ws_storage *s, const char *path,
					  const struct ws_storage_write_opts *opts,
					  struct ws_storage_write **out, struct ws_error *err);
	int (*write)(struct ws_storage_write *w, const void *data, size_t len, struct ws_error *err);
	/* Make the object visible and durable. Frees w, also on failure. */
	int (*commit)(struct ws_storage_write *w, struct ws_error *err);
	/* Drop everything written. Frees w. Never fails. */
	void (*abort)(struct ws_storage_write *w);

	/* WS_ERR_NOT_FOUND when the object does not exist. */
	int (*open_read)(struct ws_storage *s, const char *path,
					 struct ws_storage_read **out, struct ws_error *err);
	/* Up to len bytes; *got == 0 at the end. */
	int (*read)(struct ws_storage_read *r, void *buf, size_t len, size_t *got,
				struct ws_error *err);
	void (*close_read)(struct ws_storage_read *r);

	/* info->exists false (and WS_OK) when absent. */
	int (*info)(struct ws_storage *s, const char *path, struct ws_storage_info *info,
				struct ws_error *err);
	int (*list)(struct ws_storage *s, const char *prefix, ws_storage_list_cb cb,
				void *arg, struct ws_error *err);
	/* Removing an absent object is not an error. */
	int (*remove)(struct ws_storage *s, const char *path, struct ws_error *err);
	void (*free)(struct ws_storage *s);
};

/*
 * Fault injection for tests: set from the WALSHIP_FAULT environment
 * variable when a storage is created, e.g.
 *     WALSHIP_FAULT=write-enospc-after:1000   writes fail with ENOSPC
 *     WALSHIP_FAULT=write-kill-after:1000     the process SIGKILLs itself
 * once that many bytes were written through this storage.
 */
enum ws_fault_kind {
	WS_FAULT_NONE,
	WS_FAULT_WRITE_ENOSPC,
	WS_FAULT_WRITE_KILL
};

struct ws_storage_faults {
	enum ws_fault_kind kind;
	uint64_t after_bytes;
	uint64_t written;
};

struct ws_storage {
	const struct ws_storage_ops *ops;
	struct ws_storage_faults faults;
	void *driver;               /* the driver's own state */
};

/* Parse WALSHIP_FAULT's value; NULL or "" means none. */
int ws_storage_faults_parse(const char *text, struct ws_storage_faults *out, struct ws_error *err);
/*
 * Called by drivers before writing len bytes; applies the fault. An
 * injected ENOSPC returns WS_ERR_IO with errno set to ENOSPC and the
 * message "No space left on device (injected fault)"; the driver prefixes
 * it with what it was writing (ws_error_prefix).
 */
int ws_storage_fault_check(struct ws_storage *s, size_t len, struct ws_error *err);

/*
 * Check an object path as described above: not empty, no leading '/', no
 * empty, "." or ".." component, no control characters. WS_ERR_INVALID
 * otherwise. Every driver checks each path it is given.
 */
int ws_storage_path_check(const char *path, struct ws_error *err);

/* Convenience over the ops. */
int ws_storage_put(struct ws_storage *s, const char *path, const void *data, size_t len,
				   const struct ws_storage_write_opts *opts, struct ws_error *err);
/* Whole object into out (appended); WS_ERR_TOO_LARGE past out's cap. */
int ws_storage_get(struct ws_storage *s, const char *path, struct ws_buf *out,
				   struct ws_error *err);
void ws_storage_free(struct ws_storage *s);

/* Drivers. */
int ws_storage_posix_new(const char *root, struct ws_storage **out, struct ws_error *err);

enum ws_s3_uri_style {
	WS_S3_URI_HOST,     /* https://bucket.endpoint/key (AWS default) */
	WS_S3_URI_PATH      /* https://endpoint/bucket/key (MinIO, s3rver) */
};

struct ws_s3_config {
	const char *bucket;
	const char *endpoint;       /* host or host:port, e.g. s3.eu-west-1.amazonaws.com */
	const char *region;         /* e.g. us-east-1 */
	const char *key;            /* access key id */
	const char *secret;         /* secret access key */
	const char *token;          /* session token or NULL */
	const char *prefix;         /* key prefix: the repository path without leading '/' */
	enum ws_s3_uri_style uri_style;
	bool tls;                   /* https (default) or http */
	bool verify_tls;            /* verify the server certificate (default) */
	const char *ca_file;        /* NULL: system default */
	const char *ca_path;
	size_t part_size;           /* multipart above this size; >= 5 MiB */
	int max_retries;            /* on 5xx, 429, timeouts, connection errors */
	int timeout_ms;             /* per request */
};

int ws_storage_s3_new(const struct ws_s3_config *cfg, struct ws_storage **out,
					  struct ws_error *err);

#endif
