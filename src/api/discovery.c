/* Discovery documents kubectl reads before anything else: /version, /api and /api/v1 (the core group: namespaces),
 * /apis, /apis/<group> and the resource list of /apis/<group>/v1alpha1 with short names, categories, verbs and status
 * subresources. */
#include <string.h>

#include "internal.h"

int sg_api__discovery_version(sg_buf_t *out)
{
    sg_buf_puts(out, "{\"major\":\"1\",\"minor\":\"32\",\"gitVersion\":\"v1.32.0+storygate-" SG_VERSION
                     "\",\"gitCommit\":\"\",\"gitTreeState\":\"clean\",\"buildDate\":\"\",\"goVersion\":\"\","
                     "\"compiler\":\"c\",\"platform\":\"linux/amd64\"}\n");
    return out->oom ? SG_ENOMEM : SG_OK;
}

int sg_api__discovery_core(sg_buf_t *out)
{
    sg_buf_puts(out, "{\"kind\":\"APIVersions\",\"versions\":[\"v1\"],\"serverAddressByClientCIDRs\":[]}\n");
    return out->oom ? SG_ENOMEM : SG_OK;
}

/* One APIResource entry (and its status subresource) of `r`. */
static void resource_entry(sg_buf_t *out, const sg_api__resource_t *r, int first)
{
    const char *verbs =
        r->writable ? "[\"create\",\"delete\",\"get\",\"list\",\"watch\"]" : "[\"get\",\"list\",\"watch\"]";
    const char *namespaced = r->namespaced ? "true" : "false";
    sg_buf_printf(out,
                  "%s{\"name\":\"%s\",\"singularName\":\"%s\",\"namespaced\":%s,\"kind\":\"%s\",\"verbs\":%s,"
                  "\"shortNames\":[\"%s\"]",
                  first ? "" : ",", r->plural, r->singular, namespaced, r->kind_name, verbs, r->short_name);
    if (r->categories[0] != NULL) {
        sg_buf_puts(out, ",\"categories\":[");
        for (size_t c = 0; r->categories[c] != NULL; c++)
            sg_buf_printf(out, "%s\"%s\"", c ? "," : "", r->categories[c]);
        sg_buf_putc(out, ']');
    }
    sg_buf_putc(out, '}');
    if (r->has_status)
        sg_buf_printf(out,
                      ",{\"name\":\"%s/status\",\"singularName\":\"\",\"namespaced\":%s,\"kind\":\"%s\","
                      "\"verbs\":[\"get\"]}",
                      r->plural, namespaced, r->kind_name);
}

int sg_api__discovery_core_v1(sg_buf_t *out)
{
    sg_buf_puts(out, "{\"kind\":\"APIResourceList\",\"apiVersion\":\"v1\",\"groupVersion\":\"v1\",\"resources\":[");
    int first = 1;
    for (size_t i = 0; i < SG_KIND__COUNT; i++) {
        if (sg_api__resources[i].group[0] != '\0')
            continue;
        resource_entry(out, &sg_api__resources[i], first);
        first = 0;
    }
    sg_buf_puts(out, "]}\n");
    return out->oom ? SG_ENOMEM : SG_OK;
}

static void group_body(sg_buf_t *out, const char *group)
{
    sg_buf_printf(out,
                  "{\"name\":\"%s\",\"versions\":[{\"groupVersion\":\"%s/v1alpha1\",\"version\":\"v1alpha1\"}],"
                  "\"preferredVersion\":{\"groupVersion\":\"%s/v1alpha1\",\"version\":\"v1alpha1\"}}",
                  group, group, group);
}

/* The distinct named groups in table order (the core group is discovered under /api). */
static size_t groups(const char *out[SG_KIND__COUNT])
{
    size_t n = 0;
    for (size_t i = 0; i < SG_KIND__COUNT; i++) {
        if (sg_api__resources[i].group[0] == '\0')
            continue;
        size_t j = 0;
        while (j < n && strcmp(out[j], sg_api__resources[i].group) != 0)
            j++;
        if (j == n)
            out[n++] = sg_api__resources[i].group;
    }
    return n;
}

int sg_api__discovery_groups(sg_buf_t *out)
{
    const char *g[SG_KIND__COUNT] = {NULL};
    size_t n = groups(g);
    sg_buf_puts(out, "{\"kind\":\"APIGroupList\",\"apiVersion\":\"v1\",\"groups\":[");
    for (size_t i = 0; i < n; i++) {
        if (i)
            sg_buf_putc(out, ',');
        group_body(out, g[i]);
    }
    sg_buf_puts(out, "]}\n");
    return out->oom ? SG_ENOMEM : SG_OK;
}

int sg_api__discovery_group(sg_buf_t *out, const char *group)
{
    sg_buf_puts(out, "{\"kind\":\"APIGroup\",\"apiVersion\":\"v1\",");
    size_t mark = out->len;
    group_body(out, group);
    /* splice: drop the '{' of the group body so its members join the envelope */
    if (!out->oom) {
        memmove(out->base + mark, out->base + mark + 1, out->len - mark - 1);
        out->len--;
        out->base[out->len] = '\0';
    }
    sg_buf_putc(out, '\n');
    return out->oom ? SG_ENOMEM : SG_OK;
}

int sg_api__discovery_resources(sg_buf_t *out, const char *group)
{
    sg_buf_printf(
        out, "{\"kind\":\"APIResourceList\",\"apiVersion\":\"v1\",\"groupVersion\":\"%s/v1alpha1\",\"resources\":[",
        group);
    int first = 1;
    for (size_t i = 0; i < SG_KIND__COUNT; i++) {
        const sg_api__resource_t *r = &sg_api__resources[i];
        if (strcmp(r->group, group) != 0)
            continue;
        resource_entry(out, r, first);
        first = 0;
    }
    sg_buf_puts(out, "]}\n");
    return out->oom ? SG_ENOMEM : SG_OK;
}

int sg_api__openapi_root(sg_buf_t *out)
{
    const char *g[SG_KIND__COUNT] = {NULL};
    size_t n = groups(g);
    sg_buf_puts(out, "{\"paths\":{\"api/v1\":{\"serverRelativeURL\":\"/openapi/v3/api/v1?hash=sg" SG_VERSION "\"}");
    for (size_t i = 0; i < n; i++)
        sg_buf_printf(out, ",\"apis/%s/v1alpha1\":{\"serverRelativeURL\":\"/openapi/v3/apis/%s/v1alpha1?hash=%s\"}",
                      g[i], g[i], "sg" SG_VERSION);
    sg_buf_puts(out, "}}\n");
    return out->oom ? SG_ENOMEM : SG_OK;
}

int sg_api__openapi_group(sg_buf_t *out, const char *group)
{
    /* Just enough for kubectl's query-parameter check (a PATCH operation per kind that names fieldValidation), so it
     * leaves validation to the server instead of downloading schemas. group "" is the core group (/api/v1). */
    sg_buf_printf(out, "{\"openapi\":\"3.0.0\",\"info\":{\"title\":\"storygate\",\"version\":\"%s\"},\"paths\":{",
                  SG_VERSION);
    int first = 1;
    for (size_t i = 0; i < SG_KIND__COUNT; i++) {
        const sg_api__resource_t *r = &sg_api__resources[i];
        if (strcmp(r->group, group) != 0)
            continue;
        if (r->namespaced)
            sg_buf_printf(out, "%s\"/apis/%s/namespaces/{namespace}/%s/{name}\"", first ? "" : ",", r->api_version,
                          r->plural);
        else
            sg_buf_printf(out, "%s\"/api/%s/%s/{name}\"", first ? "" : ",", r->api_version, r->plural);
        sg_buf_printf(
            out,
            ":{\"patch\":{\"operationId\":\"patch%s\",\"x-kubernetes-action\":\"patch\","
            "\"x-kubernetes-group-version-kind\":{\"group\":\"%s\",\"version\":\"%s\",\"kind\":\"%s\"},"
            "\"parameters\":[{\"name\":\"fieldValidation\",\"in\":\"query\",\"schema\":{\"type\":\"string\"}}],"
            "\"responses\":{}}}",
            r->kind_name, r->group, r->version, r->kind_name);
        first = 0;
    }
    sg_buf_puts(out, "}}\n");
    return out->oom ? SG_ENOMEM : SG_OK;
}
