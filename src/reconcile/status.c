/* The StoryTrigger status of spec §4.4 (plus the Pending state of §8.5), with texts cut to the CRD's CEL limits by
 * code points (§8.6) so a status write can never be refused by the CRD's own rules. */
#include <string.h>
#include <time.h>

#include "internal.h"

#define CONDITION_REASON_MAX 64
#define CONDITION_MESSAGE_MAX 2048
#define STATUS_MESSAGE_MAX 32768

void sg_reconcile__now(char out[32], double *epoch)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
    if (epoch != NULL)
        *epoch = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

char *sg_reconcile__truncate(sg_arena_t *arena, const char *s, size_t len, size_t max)
{
    sg_buf_t b = SG_BUF_INIT;
    size_t cps = 0, i = 0;
    /* count code points first: cut only when over the limit */
    for (size_t j = 0; j < len; cps++) {
        size_t w;
        sg_go_decode_rune(s + j, len - j, &w);
        j += w;
    }
    size_t keep = cps <= max ? cps : max - 1;
    for (size_t n = 0; n < keep && i < len; n++) {
        size_t w;
        uint32_t cp = sg_go_decode_rune(s + i, len - i, &w);
        if (cp == 0xFFFD && w == 1)
            sg_buf_append(&b, "\xEF\xBF\xBD", 3);
        else
            sg_buf_append(&b, s + i, w);
        i += w;
    }
    if (cps > max)
        sg_buf_append(&b, "\xE2\x80\xA6", 3); /* U+2026 */
    char *r = b.oom ? NULL : sg_arena_strndup(arena, b.base ? b.base : "", b.len);
    sg_buf_dispose(&b);
    return r;
}

static sg_json_t *str(sg_arena_t *a, const char *s)
{
    return sg_json_new_string(a, s, strlen(s));
}

/* One condition object in metav1.Condition's field order. */
static sg_json_t *condition(sg_arena_t *a, const char *type, const char *status, int64_t gen, const char *ltt,
                            const char *reason, const char *message)
{
    sg_json_t *c = sg_json_new_object(a);
    if (c == NULL || sg_json_object_set(a, c, "type", str(a, type)) != SG_OK ||
        sg_json_object_set(a, c, "status", str(a, status)) != SG_OK ||
        sg_json_object_set(a, c, "observedGeneration", sg_json_new_int(a, gen)) != SG_OK ||
        sg_json_object_set(a, c, "lastTransitionTime", str(a, ltt)) != SG_OK ||
        sg_json_object_set(a, c, "reason", str(a, reason)) != SG_OK ||
        sg_json_object_set(a, c, "message", str(a, message)) != SG_OK)
        return NULL;
    return c;
}

/* meta.SetStatusCondition: keep lastTransitionTime when the status is unchanged, else now; append when absent. */
static int set_condition(sg_arena_t *a, sg_json_t *conds, const char *type, const char *status, int64_t gen,
                         const char *reason, const char *message, const char *now)
{
    for (size_t i = 0; i < conds->u.array.len; i++) {
        sg_json_t *c = conds->u.array.items[i];
        if (!sg_json_string_eq(sg_json_get(c, "type"), type))
            continue;
        const char *ltt = now;
        const char *old_ltt = sg_json_string(sg_json_get(c, "lastTransitionTime"), NULL);
        if (sg_json_string_eq(sg_json_get(c, "status"), status) && old_ltt != NULL)
            ltt = old_ltt;
        sg_json_t *n = condition(a, type, status, gen, ltt, reason, message);
        if (n == NULL)
            return SG_ENOMEM;
        conds->u.array.items[i] = n;
        return SG_OK;
    }
    sg_json_t *n = condition(a, type, status, gen, now, reason, message);
    return n == NULL ? SG_ENOMEM : sg_json_array_push(a, conds, n);
}

/* The status with its known members in the CRD's field order, then any others as they were. */
static sg_json_t *in_crd_order(sg_arena_t *a, sg_json_t *st)
{
    static const char *const order[] = {"observedGeneration", "decision",    "reason",     "message", "storyRunRef",
                                        "acceptedAt",         "completedAt", "conditions", NULL};
    sg_json_t *out = sg_json_new_object(a);
    if (out == NULL)
        return NULL;
    for (int i = 0; order[i] != NULL; i++) {
        sg_json_t *v = sg_json_get(st, order[i]);
        if (v != NULL && sg_json_object_set(a, out, order[i], v) != SG_OK)
            return NULL;
    }
    for (size_t i = 0; i < st->u.object.len; i++) {
        const sg_json_member_t *m = &st->u.object.members[i];
        if (sg_json_getn(out, m->key, m->key_len) == NULL && strlen(m->key) == m->key_len &&
            sg_json_object_set(a, out, m->key, m->value) != SG_OK)
            return NULL;
    }
    return out;
}

sg_json_t *sg_reconcile__status(sg_arena_t *a, const sg_json_t *old, int64_t generation,
                                const sg_reconcile__decision_t *d, const char *now)
{
    sg_json_t *st = old != NULL && old->type == SG_JSON_OBJECT ? sg_json_clone(a, old) : sg_json_new_object(a);
    if (st == NULL)
        return NULL;
    int pending = strcmp(d->decision, SG_RECONCILE_REASON_PENDING) == 0;
    int ok = strcmp(d->decision, "Created") == 0 || strcmp(d->decision, "Reused") == 0;
    const char *reason = sg_reconcile__truncate(a, d->reason, strlen(d->reason), CONDITION_REASON_MAX);
    const char *cmsg = sg_reconcile__truncate(a, d->message, strlen(d->message), CONDITION_MESSAGE_MAX);
    const char *smsg = sg_reconcile__truncate(a, d->message, strlen(d->message), STATUS_MESSAGE_MAX);
    if (reason == NULL || cmsg == NULL || smsg == NULL)
        return NULL;
    /* members of a fresh status come in the CRD's field order; an existing status keeps its order */
    int rc = SG_OK;
    rc |= sg_json_object_set(a, st, "observedGeneration", sg_json_new_int(a, generation));
    rc |= sg_json_object_set(a, st, "decision", str(a, d->decision));
    rc |= sg_json_object_set(a, st, "reason", str(a, reason));
    rc |= sg_json_object_set(a, st, "message", str(a, smsg));
    if (ok && d->run_name != NULL) {
        sg_json_t *ref = sg_json_new_object(a);
        if (ref == NULL)
            return NULL;
        rc |= sg_json_object_set(a, ref, "name", str(a, d->run_name));
        if (d->run_namespace != NULL && *d->run_namespace)
            rc |= sg_json_object_set(a, ref, "namespace", str(a, d->run_namespace));
        if (d->run_uid != NULL && *d->run_uid)
            rc |= sg_json_object_set(a, ref, "uid", str(a, d->run_uid));
        rc |= sg_json_object_set(a, st, "storyRunRef", ref);
    } else {
        sg_json_object_remove(st, "storyRunRef");
    }
    if (sg_json_string(sg_json_get(st, "acceptedAt"), NULL) == NULL)
        rc |= sg_json_object_set(a, st, "acceptedAt", str(a, now));
    if (!pending)
        rc |= sg_json_object_set(a, st, "completedAt", str(a, now));
    sg_json_t *conds = sg_json_get(st, "conditions");
    if (conds == NULL || conds->type != SG_JSON_ARRAY) {
        conds = sg_json_new_array(a);
        if (conds == NULL)
            return NULL;
        rc |= sg_json_object_set(a, st, "conditions", conds);
    }
    const char *ready = ok ? "True" : "False";
    const char *progressing = pending ? "True" : "False";
    const char *degraded = ok || pending ? "False" : "True";
    rc |= set_condition(a, conds, "Ready", ready, generation, reason, cmsg, now);
    rc |= set_condition(a, conds, "Progressing", progressing, generation, reason, cmsg, now);
    rc |= set_condition(a, conds, "Degraded", degraded, generation, reason, cmsg, now);
    return rc == SG_OK ? in_crd_order(a, st) : NULL;
}
