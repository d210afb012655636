/*
 * zstd_mem.h — memory for zstd compression contexts, in huge pages where
 * the kernel offers them
 *
 * A compression context with worker threads allocates its buffers and
 * tables afresh in every archive-push process and touches each page once:
 * with 4 KiB pages that was 8,300 page faults per 16 MB segment, and the
 * kernel's share of the CPU was a quarter. Allocations from 1 MiB up are
 * mapped on their own and marked for transparent huge pages (kernels set
 * to "madvise" or "always"): 2,000 faults, and a synchronous push of 16
 * segments took 0.83 s instead of 1.03 s. Decompression contexts gained
 * nothing measurable and keep zstd's own allocator.
 */
#ifndef WALSHIP_FILTER_ZSTD_MEM_H
#define WALSHIP_FILTER_ZSTD_MEM_H

#define ZSTD_STATIC_LINKING_ONLY	/* ZSTD_customMem, ZSTD_createCCtx_advanced */
#include <zstd.h>

extern const ZSTD_customMem ws_zstd_mem;

#endif
