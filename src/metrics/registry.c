/* Registries, families and series. Registration and series creation take a mutex; everything they create is
 * published on append-only lists with release stores and never moves, so updates and rendering need no lock. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <storygate/error.h>
#include <storygate/utf8.h>

#include "internal.h"

const double sg_metrics_buckets_webhook[12] = {1e-08, 1e-07, 1e-06, 1e-05, 0.0001, 0.001, 0.01, 0.1, 1, 10, 100, 1000};
const double sg_metrics_buckets_reconcile[40] = {
    0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9, 1,  1.25, 1.5,
    1.75,  2,    2.5,   3,    3.5, 4,    4.5, 5,    6,   7,    8,   9,    10,  15,  20,  25,  30,  40, 50,   60};

static void *zalloc_aligned(size_t n)
{
    n = (n + SG_METRICS__CACHELINE - 1) / SG_METRICS__CACHELINE * SG_METRICS__CACHELINE;
    /* Cache-line alignment keeps two hot series from sharing a line. */
    void *p = aligned_alloc(SG_METRICS__CACHELINE, n);
    if (p != NULL)
        memset(p, 0, n);
    return p;
}

static int valid_name(const char *s, int allow_colon)
{
    if (s == NULL || *s == '\0')
        return 0;
    for (size_t i = 0; s[i] != '\0'; i++) {
        char c = s[i];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (allow_colon && c == ':') ||
                 (i > 0 && c >= '0' && c <= '9');
        if (!ok)
            return 0;
    }
    return 1;
}

static void free_strings(char **v, size_t n)
{
    if (v == NULL)
        return;
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

static void series_free(sg_series_t *s, size_t nlabels)
{
    if (s == NULL)
        return;
    free((void *)s->counts);
    free_strings(s->values, nlabels);
    free(s);
}

static void family_free(sg_metric_t *m)
{
    if (m == NULL)
        return;
    sg_series_t *s = atomic_load(&m->head);
    while (s != NULL) {
        sg_series_t *next = atomic_load(&s->next);
        series_free(s, m->nlabels);
        s = next;
    }
    pthread_mutex_destroy(&m->lock);
    free(m->table);
    free(m->name);
    free(m->help);
    free_strings(m->labels, m->nlabels);
    free(m->buckets);
    free(m);
}

sg_metrics_t *sg_metrics_new(void)
{
    sg_metrics_t *r = calloc(1, sizeof(*r));
    if (r == NULL)
        return NULL;
    pthread_mutex_init(&r->lock, NULL);
    atomic_init(&r->head, NULL);
    return r;
}

void sg_metrics_free(sg_metrics_t *r)
{
    if (r == NULL)
        return;
    sg_metric_t *m = atomic_load(&r->head);
    while (m != NULL) {
        sg_metric_t *next = atomic_load(&m->next);
        family_free(m);
        m = next;
    }
    pthread_mutex_destroy(&r->lock);
    free(r);
}

static sg_metrics_t *g_default;
static pthread_once_t g_default_once = PTHREAD_ONCE_INIT;

static void default_init(void)
{
    g_default = sg_metrics_new();
}

sg_metrics_t *sg_metrics_default(void)
{
    pthread_once(&g_default_once, default_init);
    return g_default;
}

static size_t count_labels(const char *const *label_names)
{
    size_t n = 0;
    while (label_names != NULL && label_names[n] != NULL)
        n++;
    return n;
}

/* Whether an existing family matches a new registration exactly. */
static int same_shape(const sg_metric_t *m, sg_metric_type_t type, const char *const *label_names,
                      const double *buckets, size_t nbuckets)
{
    if (m->type != type || m->nlabels != count_labels(label_names))
        return 0;
    for (size_t i = 0; i < m->nlabels; i++)
        if (strcmp(m->labels[i], label_names[i]) != 0)
            return 0;
    if (type == SG_METRIC_HISTOGRAM) {
        if (m->nbuckets != nbuckets)
            return 0;
        for (size_t i = 0; i < nbuckets; i++)
            if (m->buckets[i] != buckets[i])
                return 0;
    }
    return 1;
}

static int valid_shape(sg_metric_type_t type, const char *name, const char *const *label_names, const double *buckets,
                       size_t nbuckets)
{
    if (type != SG_METRIC_COUNTER && type != SG_METRIC_GAUGE && type != SG_METRIC_HISTOGRAM)
        return 0;
    if (!valid_name(name, 1))
        return 0;
    size_t n = count_labels(label_names);
    if (n > SG_METRICS_LABELS_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (!valid_name(label_names[i], 0) || strncmp(label_names[i], "__", 2) == 0)
            return 0;
        if (type == SG_METRIC_HISTOGRAM && strcmp(label_names[i], "le") == 0)
            return 0;
        for (size_t j = 0; j < i; j++)
            if (strcmp(label_names[i], label_names[j]) == 0)
                return 0;
    }
    if (type == SG_METRIC_HISTOGRAM) {
        if (nbuckets > 0 && buckets == NULL)
            return 0;
        for (size_t i = 0; i < nbuckets; i++) {
            if (!isfinite(buckets[i]) || (i > 0 && !(buckets[i] > buckets[i - 1])))
                return 0;
        }
    }
    return 1;
}

static sg_metric_t *family_new(sg_metrics_t *r, sg_metric_type_t type, const char *name, const char *help,
                               const char *const *label_names, const double *buckets, size_t nbuckets)
{
    sg_metric_t *m = calloc(1, sizeof(*m));
    if (m == NULL)
        return NULL;
    pthread_mutex_init(&m->lock, NULL);
    atomic_init(&m->head, NULL);
    atomic_init(&m->next, NULL);
    m->registry = r;
    m->type = type;
    m->name = strdup(name);
    m->help = strdup(help != NULL ? help : "");
    m->nlabels = count_labels(label_names);
    if (m->name == NULL || m->help == NULL)
        goto fail;
    if (m->nlabels > 0) {
        if ((m->labels = calloc(m->nlabels, sizeof(char *))) == NULL)
            goto fail;
        for (size_t i = 0; i < m->nlabels; i++)
            if ((m->labels[i] = strdup(label_names[i])) == NULL)
                goto fail;
    }
    if (type == SG_METRIC_HISTOGRAM) {
        m->nbuckets = nbuckets;
        if (nbuckets > 0) {
            if ((m->buckets = malloc(nbuckets * sizeof(double))) == NULL)
                goto fail;
            memcpy(m->buckets, buckets, nbuckets * sizeof(double));
        }
    }
    return m;
fail:
    family_free(m);
    return NULL;
}

sg_metric_t *sg_metrics_register(sg_metrics_t *r, sg_metric_type_t type, const char *name, const char *help,
                                 const char *const *label_names, const double *buckets, size_t nbuckets)
{
    if (r == NULL || !valid_shape(type, name, label_names, buckets, nbuckets))
        return NULL;
    sg_metric_t *m = NULL;
    pthread_mutex_lock(&r->lock);
    for (sg_metric_t *it = atomic_load(&r->head); it != NULL; it = atomic_load(&it->next)) {
        if (strcmp(it->name, name) == 0) {
            m = same_shape(it, type, label_names, buckets, nbuckets) ? it : NULL;
            goto done;
        }
    }
    if ((m = family_new(r, type, name, help, label_names, buckets, nbuckets)) == NULL)
        goto done;
    /* A family without labels has exactly one series, shown at 0 from the start as client_golang does. */
    if (m->nlabels == 0 && sg_metric_with(m, NULL) == NULL) {
        family_free(m);
        m = NULL;
        goto done;
    }
    if (r->tail == NULL)
        atomic_store_explicit(&r->head, m, memory_order_release);
    else
        atomic_store_explicit(&r->tail->next, m, memory_order_release);
    r->tail = m;
done:
    pthread_mutex_unlock(&r->lock);
    return m;
}

/* FNV-1a over the values with a separator that cannot occur in UTF-8. */
static uint64_t hash_values(const char *const *values, size_t n)
{
    uint64_t h = 14695981039346656037ull;
    for (size_t i = 0; i < n; i++) {
        for (const unsigned char *p = (const unsigned char *)values[i]; *p != '\0'; p++) {
            h ^= *p;
            h *= 1099511628211ull;
        }
        h ^= 0xff;
        h *= 1099511628211ull;
    }
    return h;
}

static int rehash(sg_metric_t *m)
{
    size_t size = m->table_size ? m->table_size * 2 : 16;
    sg_series_t **table = calloc(size, sizeof(*table));
    if (table == NULL)
        return -1;
    for (sg_series_t *s = atomic_load_explicit(&m->head, memory_order_relaxed); s != NULL;
         s = atomic_load_explicit(&s->next, memory_order_relaxed)) {
        size_t b = s->hash & (size - 1);
        s->hnext = table[b];
        table[b] = s;
    }
    free(m->table);
    m->table = table;
    m->table_size = size;
    return 0;
}

/* A label value fit for exposition: at most SG_METRICS_LABEL_MAX bytes of valid UTF-8 (U+FFFD for bad bytes).
 * Returns `v` itself when already fine, else a heap copy in *owned. */
static const char *clean_value(const char *v, char **owned)
{
    *owned = NULL;
    const unsigned char *u = (const unsigned char *)v;
    size_t len = strlen(v), i = 0;
    while (i < SG_METRICS_LABEL_MAX && v[i] != '\0') {
        size_t k = sg_utf8_seq_len(u + i, len - i);
        if (k == 0 || i + k > SG_METRICS_LABEL_MAX)
            break;
        i += k;
    }
    if (v[i] == '\0')
        return v;
    char *out = malloc(SG_METRICS_LABEL_MAX + 1);
    if (out == NULL)
        return NULL;
    size_t o = 0;
    for (i = 0; v[i] != '\0';) {
        size_t k = sg_utf8_seq_len(u + i, len - i);
        const char *src = v + i;
        size_t n = k;
        if (k == 0) {
            src = "\xef\xbf\xbd";
            n = 3;
            k = 1;
        }
        if (o + n > SG_METRICS_LABEL_MAX)
            break;
        memcpy(out + o, src, n);
        o += n;
        i += k;
    }
    out[o] = '\0';
    *owned = out;
    return out;
}

static sg_series_t *series_new(sg_metric_t *m, const char *const *values, uint64_t hash)
{
    sg_series_t *s = zalloc_aligned(sizeof(*s));
    if (s == NULL)
        return NULL;
    s->family = m;
    s->hash = hash;
    if (m->type == SG_METRIC_HISTOGRAM) {
        s->counts = zalloc_aligned((m->nbuckets + 1) * sizeof(uint64_t));
        if (s->counts == NULL)
            goto fail;
    }
    if (m->nlabels > 0) {
        if ((s->values = calloc(m->nlabels, sizeof(char *))) == NULL)
            goto fail;
        for (size_t i = 0; i < m->nlabels; i++)
            if ((s->values[i] = strdup(values[i])) == NULL)
                goto fail;
    }
    return s;
fail:
    series_free(s, m->nlabels);
    return NULL;
}

sg_series_t *sg_metric_with(sg_metric_t *m, const char *const *label_values)
{
    if (m == NULL)
        return NULL;
    const char *vals[SG_METRICS_LABELS_MAX];
    char *owned[SG_METRICS_LABELS_MAX];
    size_t n = m->nlabels;
    if (n > SG_METRICS_LABELS_MAX)
        return NULL;
    int ended = label_values == NULL;
    for (size_t i = 0; i < n; i++) {
        owned[i] = NULL;
        const char *v = ended ? NULL : label_values[i];
        if (v == NULL) {
            ended = 1;
            v = "";
        }
        vals[i] = clean_value(v, &owned[i]);
        if (vals[i] == NULL) {
            for (size_t j = 0; j < i; j++)
                free(owned[j]);
            return NULL;
        }
    }
    uint64_t h = hash_values(vals, n);
    sg_series_t *found = NULL;
    pthread_mutex_lock(&m->lock);
    if (m->table != NULL) {
        for (sg_series_t *s = m->table[h & (m->table_size - 1)]; s != NULL; s = s->hnext) {
            size_t i = 0;
            if (s->hash != h)
                continue;
            while (i < n && strcmp(s->values[i], vals[i]) == 0)
                i++;
            if (i == n) {
                found = s;
                goto done;
            }
        }
    }
    if (m->nseries >= SG_METRICS_SERIES_MAX)
        goto done;
    if ((m->nseries + 1) * 4 > m->table_size * 3 && rehash(m) < 0)
        goto done;
    if ((found = series_new(m, vals, h)) == NULL)
        goto done;
    size_t b = h & (m->table_size - 1);
    found->hnext = m->table[b];
    m->table[b] = found;
    m->nseries++;
    if (m->tail == NULL)
        atomic_store_explicit(&m->head, found, memory_order_release);
    else
        atomic_store_explicit(&m->tail->next, found, memory_order_release);
    m->tail = found;
done:
    pthread_mutex_unlock(&m->lock);
    for (size_t i = 0; i < n; i++)
        free(owned[i]);
    return found;
}

sg_series_t *sg_metric_with4(sg_metric_t *m, const char *v0, const char *v1, const char *v2, const char *v3)
{
    if (m == NULL || m->nlabels > 4)
        return NULL;
    const char *v[5] = {v0, v1, v2, v3, NULL};
    v[m->nlabels] = NULL;
    return sg_metric_with(m, v);
}
