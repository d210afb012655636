/*
 * text_table.h — rows of text cells in aligned columns, for `walship
 * status` and `walship slot list`
 *
 *      name    | host      | state
 *     ---------+-----------+----------
 *      standby | 127.0.0.1 | streaming
 *
 * The last column is not padded, so no line ends in spaces.
 */
#ifndef WALSHIP_STATUS_TEXT_TABLE_H
#define WALSHIP_STATUS_TEXT_TABLE_H

#include <stdio.h>

#define WS_TABLE_CELL_MAX 72
#define WS_TABLE_COLS_MAX 16

/* Fill the ncols cells of row number row from rows. */
typedef void (*ws_table_row_fn)(const void *rows, int row, char cells[][WS_TABLE_CELL_MAX]);

/*
 * Print the header line, a rule and nrows rows. fill is called twice per
 * row: once to measure the columns, once to print.
 */
void ws_table_print(FILE *out, int ncols, const char *const *headers, int nrows,
					ws_table_row_fn fill, const void *rows);

#endif
