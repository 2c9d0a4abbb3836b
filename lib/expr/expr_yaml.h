/*
 * expr_yaml.h - expressions written in the YAML files (graphs' monitors,
 * contracts, fault specs), for their loaders.
 * Internal names start with agrp_.
 */
#ifndef AGRP_EXPR_YAML_H
#define AGRP_EXPR_YAML_H

#include "base/yaml_int.h"

/* An expression, compiled; errors point at its column in the file. */
agr_expr *agrp_yaml_expr(agrp_yaml *L, yaml_node_t *n, const char *what);

#endif
