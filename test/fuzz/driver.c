/*
 * driver.c — replay fuzz inputs without libFuzzer
 *
 * `make check` runs every file of the regression corpus through the fuzz
 * target with the normal compiler, so inputs that once crashed stay fixed.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_INPUT (1024 * 1024)

int
main(int argc, char **argv)
{
	static uint8_t buf[MAX_INPUT];
	int ran = 0;

	for (int i = 1; i < argc; i++) {
		FILE *fp = fopen(argv[i], "rb");
		size_t n;

		if (fp == NULL) {
			fprintf(stderr, "could not open \"%s\"\n", argv[i]);
			return 1;
		}
		n = fread(buf, 1, sizeof(buf), fp);
		fclose(fp);
		LLVMFuzzerTestOneInput(buf, n);
		ran++;
	}
	printf("ok - %s: %d corpus inputs replayed without a crash\n", argv[0], ran);
	return ran > 0 ? 0 : 1;
}
