/* Private parts of the store: the stored record layout (shared by backends that keep objects as bytes), object
 * encoding with spliceable resourceVersion and status, selectors, and Kubernetes-style error messages. */
#ifndef STORYGATE_STORE_INTERNAL_H
#define STORYGATE_STORE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <storygate/store.h>

/* A stored record is this header followed by the object's compact JSON. The JSON is laid out by
 * sg_store__encode so that metadata.resourceVersion's digits sit at `rv_off` and the status member (when present,
 * `,"status":{...}`) runs from `status_off` to the closing brace: the writer can stamp a new resourceVersion or swap
 * the status by splicing bytes, without parsing. Offsets are relative to the JSON. */
typedef struct st_sg_store__hdr_t {
    uint64_t rv;
    uint32_t rv_off;
    uint32_t rv_len;
    uint32_t status_off;
    uint32_t _reserved;
} sg_store__hdr_t;

#define SG_STORE__HDR_SIZE sizeof(sg_store__hdr_t)

/* Identity fields the store assigns; strings are NUL-terminated. */
typedef struct st_sg_store__meta_t {
    const char *name;
    const char *namespace_;
    const char *uid;
    const char *created; /* RFC 3339 */
    int64_t generation;
} sg_store__meta_t;

/** Appends header + JSON of `obj` (apiVersion, kind, metadata with `meta` stamped in, then other top-level members,
 * then status when `keep_status`) to `out`. resourceVersion is left empty for sg_store__splice. Returns 0 or
 * SG_ENOMEM. */
int sg_store__encode(sg_buf_t *out, sg_store_kind_t kind, const sg_store__meta_t *meta, const sg_json_t *obj,
                     int keep_status);

/** Appends to `out` a record built from `rec[0..len)` with resourceVersion `rv` and, when `status` is not NULL, the
 * status member replaced by `status[0..status_len)` (status_len 0 = removed). Returns 0, SG_ENOMEM or SG_EIO when the
 * record is corrupt. */
int sg_store__splice(sg_buf_t *out, const void *rec, size_t len, uint64_t rv, const char *status, size_t status_len,
                     int replace_status);

/** The header of a record (copied out: records in LMDB are not aligned). 0 or SG_EIO when too short. */
int sg_store__hdr(sg_store__hdr_t *hdr, const void *rec, size_t len);

/** A fresh UUID v4 (36 chars + NUL) from OpenSSL's RAND. */
int sg_store__uuid(char out[37]);
/** Now as RFC 3339 UTC with whole seconds (20 chars + NUL). */
void sg_store__now(char out[32]);

/** Kubernetes-style messages: `storyruns.runs.bubustack.io "x" not found` / `... already exists` / conflict. */
int sg_store__err_notfound(sg_error_t *err, sg_store_kind_t kind, const char *name);
int sg_store__err_exists(sg_error_t *err, sg_store_kind_t kind, const char *name);
int sg_store__err_conflict(sg_error_t *err, sg_store_kind_t kind, const char *name);

/** 1 when matching needs only metadata.name/namespace (`name`,`ns`), answered in `*match` without parsing. */
int sg_store__selector_match_key(const sg_store_selector_t *sel, const char *ns, const char *name, int *match);

#endif
