/* Stored records: objects encoded with their metadata in a fixed place so resourceVersion and status can be spliced
 * in by the writer without parsing (see the layout in internal.h). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

static int is_assigned_meta(const char *key)
{
    static const char *const assigned[] = {"name",       "namespace",         "uid", "resourceVersion",
                                           "generation", "creationTimestamp", NULL};
    for (int i = 0; assigned[i] != NULL; i++)
        if (strcmp(key, assigned[i]) == 0)
            return 1;
    return 0;
}

static int put_member(sg_buf_t *out, const char *key, size_t key_len, const sg_json_t *v)
{
    sg_buf_putc(out, ',');
    sg_json_write_string(out, key, key_len);
    sg_buf_putc(out, ':');
    return sg_json_encode(out, v);
}

int sg_store__encode(sg_buf_t *out, sg_store_kind_t kind, const sg_store__meta_t *meta, const sg_json_t *obj,
                     int keep_status)
{
    sg_store__hdr_t hdr = {0, 0, 0, 0, 0};
    size_t hdr_at = out->len;
    sg_buf_append(out, &hdr, sizeof(hdr));
    size_t base = out->len;

    sg_buf_puts(out, "{\"apiVersion\":");
    sg_json_write_string(out, sg_store_kind_api_version(kind), strlen(sg_store_kind_api_version(kind)));
    sg_buf_puts(out, ",\"kind\":");
    sg_json_write_string(out, sg_store_kind_name(kind), strlen(sg_store_kind_name(kind)));
    sg_buf_puts(out, ",\"metadata\":{\"name\":");
    sg_json_write_string(out, meta->name, strlen(meta->name));
    if (sg_store_kind_namespaced(kind)) {
        sg_buf_puts(out, ",\"namespace\":");
        sg_json_write_string(out, meta->namespace_, strlen(meta->namespace_));
    }
    sg_buf_puts(out, ",\"uid\":");
    sg_json_write_string(out, meta->uid, strlen(meta->uid));
    sg_buf_puts(out, ",\"resourceVersion\":\"");
    hdr.rv_off = (uint32_t)(out->len - base);
    sg_buf_printf(out, "\",\"generation\":%" PRId64 ",\"creationTimestamp\":", meta->generation);
    sg_json_write_string(out, meta->created, strlen(meta->created));
    const sg_json_t *md = sg_json_get(obj, "metadata");
    if (md != NULL && md->type == SG_JSON_OBJECT) {
        for (size_t i = 0; i < md->u.object.len; i++) {
            const sg_json_member_t *m = &md->u.object.members[i];
            if (!is_assigned_meta(m->key))
                put_member(out, m->key, m->key_len, m->value);
        }
    }
    sg_buf_putc(out, '}');
    const sg_json_t *status = NULL;
    if (obj != NULL && obj->type == SG_JSON_OBJECT) {
        for (size_t i = 0; i < obj->u.object.len; i++) {
            const sg_json_member_t *m = &obj->u.object.members[i];
            if (strcmp(m->key, "status") == 0)
                status = m->value;
            else if (strcmp(m->key, "apiVersion") != 0 && strcmp(m->key, "kind") != 0 &&
                     strcmp(m->key, "metadata") != 0)
                put_member(out, m->key, m->key_len, m->value);
        }
    }
    hdr.status_off = (uint32_t)(out->len - base);
    if (keep_status && status != NULL && status->type != SG_JSON_NULL)
        put_member(out, "status", 6, status);
    sg_buf_putc(out, '}');
    if (out->oom)
        return SG_ENOMEM;
    if (out->len - base > UINT32_MAX)
        return SG_ELIMIT;
    memcpy(out->base + hdr_at, &hdr, sizeof(hdr));
    return SG_OK;
}

int sg_store__hdr(sg_store__hdr_t *hdr, const void *rec, size_t len)
{
    if (len < SG_STORE__HDR_SIZE + 2)
        return SG_EIO;
    memcpy(hdr, rec, sizeof(*hdr));
    size_t jlen = len - SG_STORE__HDR_SIZE;
    if ((size_t)hdr->rv_off + hdr->rv_len > hdr->status_off || hdr->status_off > jlen - 1)
        return SG_EIO;
    return SG_OK;
}

int sg_store__splice(sg_buf_t *out, const void *rec, size_t len, uint64_t rv, const char *status, size_t status_len,
                     int replace_status)
{
    sg_store__hdr_t old, hdr;
    if (sg_store__hdr(&old, rec, len) != SG_OK)
        return SG_EIO;
    const char *json = (const char *)rec + SG_STORE__HDR_SIZE;
    size_t jlen = len - SG_STORE__HDR_SIZE;
    char digits[24];
    int nd = snprintf(digits, sizeof(digits), "%" PRIu64, rv);
    hdr = old;
    hdr.rv = rv;
    hdr.rv_len = (uint32_t)nd;
    hdr.status_off = old.status_off - old.rv_len + (uint32_t)nd;
    sg_buf_append(out, &hdr, sizeof(hdr));
    sg_buf_append(out, json, old.rv_off);
    sg_buf_append(out, digits, (size_t)nd);
    sg_buf_append(out, json + old.rv_off + old.rv_len, old.status_off - old.rv_off - old.rv_len);
    if (!replace_status) {
        sg_buf_append(out, json + old.status_off, jlen - old.status_off);
    } else {
        if (status != NULL && status_len > 0) {
            sg_buf_puts(out, ",\"status\":");
            sg_buf_append(out, status, status_len);
        }
        sg_buf_putc(out, '}');
    }
    return out->oom ? SG_ENOMEM : SG_OK;
}
