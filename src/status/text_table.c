/*
 * text_table.c — rows of text cells in aligned columns (see text_table.h)
 */
#include "status/text_table.h"

#include <string.h>

static void
print_row(FILE *out, int ncols, const int *width, const char *const *cells)
{
	for (int c = 0; c < ncols; c++)
		fprintf(out, "%s %-*s", c ? " |" : "", c == ncols - 1 ? 0 : width[c], cells[c]);
	fputc('\n', out);
}

void
ws_table_print(FILE *out, int ncols, const char *const *headers, int nrows,
			   ws_table_row_fn fill, const void *rows)
{
	char cells[WS_TABLE_COLS_MAX][WS_TABLE_CELL_MAX];
	const char *ptrs[WS_TABLE_COLS_MAX];
	int width[WS_TABLE_COLS_MAX] = {0};

	if (ncols > WS_TABLE_COLS_MAX)
		ncols = WS_TABLE_COLS_MAX;
	for (int c = 0; c < ncols; c++) {
		width[c] = (int) strlen(headers[c]);
		ptrs[c] = cells[c];
	}
	for (int i = 0; i < nrows; i++) {
		fill(rows, i, cells);
		for (int c = 0; c < ncols; c++) {
			if ((int) strlen(cells[c]) > width[c])
				width[c] = (int) strlen(cells[c]);
		}
	}
	print_row(out, ncols, width, headers);
	for (int c = 0; c < ncols; c++) {
		fprintf(out, "%s", c ? "+" : "");
		for (int k = 0; k < width[c] + (c == ncols - 1 ? 1 : 2); k++)
			fputc('-', out);
	}
	fputc('\n', out);
	for (int i = 0; i < nrows; i++) {
		fill(rows, i, cells);
		print_row(out, ncols, width, ptrs);
	}
}
