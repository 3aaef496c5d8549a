/* YAML streams (libyaml) read into the JSON value model, typed by the YAML 1.2 core schema, with source positions. */
#ifndef STORYGATE_YAML_H
#define STORYGATE_YAML_H

#include <stddef.h>
#include <stdint.h>

#include <storygate/arena.h>
#include <storygate/error.h>
#include <storygate/json.h>

/* Bounds on untrusted YAML. Aliases are always rejected, so a document can never expand beyond its own size. */
typedef struct st_sg_yaml_opts_t {
    size_t max_bytes; /* input size; 0 = 16 MiB */
    size_t max_depth; /* nested sequences/mappings; 0 = 128 */
    size_t max_nodes; /* nodes over the whole stream; 0 = 1,000,000 */
    size_t max_docs;  /* documents in the stream; 0 = 10,000 */
} sg_yaml_opts_t;

#define SG_YAML_OPTS_INIT                                                                                              \
    {                                                                                                                  \
        0, 0, 0, 0                                                                                                     \
    }

/** Parses every document of the YAML stream `buf[0..len)` into `*docs` (an array of `*ndocs` roots; an empty document
 * is a NULL-typed node). Everything is allocated in `arena` (owned by the caller); nothing borrows `buf`. Every node
 * has 1-based `line`/`column`. Plain scalars follow the YAML 1.2 core schema (null/~/empty, true/false, decimal, 0o
 * and 0x integers, floats); quoted and block scalars are strings; duplicate keys, non-scalar keys, aliases, unknown
 * tags and non-finite floats are errors. On failure returns SG_EINVALID, SG_ELIMIT or SG_ENOMEM and `err->message` is
 * "`filename`:line:column: message" (with `path`/`line`/`column` set too). Thread-safe. */
int sg_yaml_parse(sg_json_t ***docs, size_t *ndocs, sg_arena_t *arena, const char *buf, size_t len,
                  const char *filename, sg_error_t *err);
/** sg_yaml_parse with explicit limits (`opts` NULL = defaults). Thread-safe. */
int sg_yaml_parse_opts(sg_json_t ***docs, size_t *ndocs, sg_arena_t *arena, const char *buf, size_t len,
                       const char *filename, const sg_yaml_opts_t *opts, sg_error_t *err);
/** Reads the file at `path` (bounded by `opts->max_bytes`; `opts` may be NULL) and parses it as sg_yaml_parse_opts
 * does. SG_EIO with "path: strerror" when it cannot be read. Thread-safe. */
int sg_yaml_load_file(sg_json_t ***docs, size_t *ndocs, sg_arena_t *arena, const char *path, const sg_yaml_opts_t *opts,
                      sg_error_t *err);
/** The 1-based position of a mapping key, for members of mappings produced by sg_yaml_parse only (not clones or
 * builders). Thread-safe. */
void sg_yaml_key_position(const sg_json_member_t *member, uint32_t *line, uint32_t *column);

#endif
