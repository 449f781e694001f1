/*
 * Minimal JSON output helpers for the reports (schemas in docs/json.md).
 */
#ifndef STRATA_JSON_H
#define STRATA_JSON_H

#include <stddef.h>
#include <stdio.h>

/* Writes s as a JSON string (quoted, escaped), or null when s is NULL. Bytes that are not
 * valid UTF-8 (a file name in another encoding) are written as \ufffd, never copied. */
void strata_json_string(FILE *out, const char *s);
/* Writes ,"key": (comma unless first) then the value by the matching helper. */
void strata_json_key(FILE *out, int *first, const char *key);
void strata_json_kv_string(FILE *out, int *first, const char *key, const char *value);
void strata_json_kv_int(FILE *out, int *first, const char *key, long long value);
void strata_json_kv_bool(FILE *out, int *first, const char *key, int value);
/* Writes ,"key":[...] of the n strings items (each as strata_json_string writes it). */
void strata_json_kv_strings(FILE *out, int *first, const char *key, const char *const *items,
                            size_t n);

#endif
