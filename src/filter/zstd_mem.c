/*
 * zstd_mem.c — memory for zstd contexts, in huge pages where offered
 * (see zstd_mem.h)
 */
#include "filter/zstd_mem.h"

#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

#define HUGE_PAGE ((size_t) 2 * 1024 * 1024)
#define MAPPED_MIN ((size_t) 1024 * 1024)

/* Before each block: how to give it back. 64 bytes keep the block aligned. */
struct block_head {
	void *map;					/* NULL: from malloc */
	size_t map_len;
	char pad[64 - sizeof(void *) - sizeof(size_t)];
};

static void *
mem_alloc(void *opaque, size_t size)
{
	struct block_head *h;
	size_t len;
	uintptr_t start;
	char *map;

	(void) opaque;
	if (size > SIZE_MAX - sizeof(*h) - 2 * HUGE_PAGE)
		return NULL;
	if (size < MAPPED_MIN) {
		if ((h = malloc(sizeof(*h) + size)) == NULL)
			return NULL;
		h->map = NULL;
		return h + 1;
	}
	/* one huge page more than needed, so that the block can start on one */
	len = (sizeof(*h) + size + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE + HUGE_PAGE;
	map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (map == MAP_FAILED)
		return NULL;
	start = ((uintptr_t) map + HUGE_PAGE - 1) & ~(uintptr_t) (HUGE_PAGE - 1);
#ifdef MADV_HUGEPAGE
	(void) madvise((void *) start, len - (start - (uintptr_t) map), MADV_HUGEPAGE);
#endif
	h = (struct block_head *) start;
	h->map = map;
	h->map_len = len;
	return h + 1;
}

static void
mem_free(void *opaque, void *address)
{
	struct block_head *h;

	(void) opaque;
	if (address == NULL)
		return;
	h = (struct block_head *) address - 1;
	if (h->map == NULL)
		free(h);
	else
		munmap(h->map, h->map_len);
}

const ZSTD_customMem ws_zstd_mem = {mem_alloc, mem_free, NULL};
