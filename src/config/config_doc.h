/*
 * config_doc.h — documentation generated from the option table
 */
#ifndef WALSHIP_CONFIG_CONFIG_DOC_H
#define WALSHIP_CONFIG_CONFIG_DOC_H

#include <stdio.h>

#include "config/config.h"

void ws_config_doc_text(FILE *out);    /* walship help config */
void ws_config_doc_man(FILE *out);     /* OPTIONS section of walship.conf(5) */
void ws_config_doc_sample(FILE *out);  /* etc/walship.conf.sample */

#endif
