/* The decision procedure of spec §4.2 for one StoryTrigger, with the §8 improvements: Pending + acceptedAt when first
 * seen, permanent failures decided as Rejected instead of retried forever, an existing StoryRun looked up before any
 * offload, name collisions between identities reported, and StoryNotFound re-decided once the Story exists.
 *
 * DESIGN. A pass re-reads the trigger from the store and is idempotent: every step derives from the stored trigger
 * and the deterministic StoryRun name, so a pass cut short anywhere (crash, store error) is simply run again and
 * lands in the "recovered" branch if its StoryRun was already created. Only retryable failures (store I/O, offload
 * I/O) return an error; everything the trigger itself causes ends in a written decision. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <storygate/log.h>

#include "internal.h"

typedef struct {
    sg_reconciler_t *r;
    const char *ns, *name;
    sg_arena_t *a;
    const sg_json_t *obj;
    sg_trigger_t t;
    int64_t generation;
    const sg_json_t *status;  /* the status as last written */
    double accepted;          /* when the trigger was accepted, to the sub-second, when known; else 0 */
    sg_reconcile__job_t *job; /* a worker's pass: the decision write is queued, not awaited */
    int deferred;             /* the decision write was queued: the job belongs to its completion */
    sg_error_t *err;
} pass_t;

#define SPAN_ARGS(s) (int)(s).len, (s).ptr

static const char *dup_span(sg_arena_t *a, sg_span_t s)
{
    return sg_arena_strndup(a, s.ptr ? s.ptr : "", s.len);
}

/* Go's %q of "a/b". */
static const char *quote2(sg_arena_t *a, const char *x, size_t xl, const char *y, size_t yl)
{
    sg_buf_t in = SG_BUF_INIT, out = SG_BUF_INIT;
    sg_buf_append(&in, x, xl);
    sg_buf_putc(&in, '/');
    sg_buf_append(&in, y, yl);
    char *r = NULL;
    if (!in.oom && sg_go_quote(&out, in.base, in.len) == SG_OK)
        r = sg_arena_strndup(a, out.base, out.len);
    sg_buf_dispose(&in);
    sg_buf_dispose(&out);
    return r ? r : "\"\"";
}

static const char *quote1(sg_arena_t *a, const char *x, size_t xl)
{
    sg_buf_t out = SG_BUF_INIT;
    char *r = NULL;
    if (sg_go_quote(&out, x, xl) == SG_OK)
        r = sg_arena_strndup(a, out.base, out.len);
    sg_buf_dispose(&out);
    return r ? r : "\"\"";
}

static double parse_time(const char *s)
{
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    if (s == NULL || strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm) == NULL)
        return 0;
    return (double)timegm(&tm);
}

/* When the trigger was accepted, to the sub-second when known, as the decision latency's start; 0 when unknown. */
static double accepted_at(const pass_t *p, const sg_json_t *st)
{
    return p->accepted > 0 ? p->accepted : parse_time(sg_json_string(sg_json_get(st, "acceptedAt"), NULL));
}

/* Makes the final write of a worker's pass asynchronous: its completion records decision `d` and finishes the job.
 * A pass without a job awaits the write instead. */
static void defer_to(pass_t *p, const sg_reconcile__decision_t *d, const sg_json_t *st, sg_store_write_opts_t *o)
{
    if (p->job == NULL)
        return;
    snprintf(p->job->decision, sizeof(p->job->decision), "%s", d->decision);
    snprintf(p->job->reason, sizeof(p->job->reason), "%s", d->reason);
    p->job->decided_from = accepted_at(p, st);
    o->done = sg_reconcile__written;
    o->done_ctx = p->job;
}

/* After the final write of decision `d` with status `st` returned `rc`: SG_OK once queued (the job is then the
 * completion's) or written and recorded, else `rc`. */
static int written(pass_t *p, const sg_reconcile__decision_t *d, const sg_json_t *st, const sg_store_write_opts_t *o,
                   int rc)
{
    if (rc != SG_OK)
        return rc;
    if (o->done != NULL) {
        p->deferred = 1;
        return SG_OK;
    }
    p->status = st;
    sg_reconcile__record(p->r, p->ns, p->name, d->decision, d->reason, accepted_at(p, st));
    return SG_OK;
}

/* Writes the status for `d`, failures described in `err`. `queued`: a Pending note, queued and not awaited (ordered
 * before this pass's later writes); otherwise the pass's final decision. */
static int write_status_err(pass_t *p, const sg_reconcile__decision_t *d, int queued, sg_error_t *err)
{
    char now[32];
    double now_epoch;
    sg_reconcile__now(now, &now_epoch);
    sg_json_t *st = sg_reconcile__status(p->a, p->status, p->generation, d, now);
    if (st == NULL)
        return sg_error_set(err, SG_ENOMEM, "out of memory building the status");
    if (sg_json_get(p->status, "acceptedAt") == NULL)
        p->accepted = now_epoch;
    sg_store_write_opts_t o = SG_STORE_WRITE_OPTS_INIT;
    o.origin = p->r;
    o.no_wait = queued;
    if (!queued)
        defer_to(p, d, st, &o);
    int rc = sg_store_update_status(p->r->opts.store, NULL, SG_KIND_STORYTRIGGER, p->ns, p->name, st, &o, err);
    if (rc == SG_ENOTFOUND)
        return SG_OK; /* deleted meanwhile: nothing left to decide */
    if (queued) {
        if (rc == SG_OK)
            p->status = st;
        return rc;
    }
    return written(p, d, st, &o, rc);
}

static int write_status(pass_t *p, const sg_reconcile__decision_t *d)
{
    return write_status_err(p, d, 0, p->err);
}

static int reject(pass_t *p, const char *reason, const char *message)
{
    sg_reconcile__decision_t d = {"Rejected", reason, message, NULL, NULL, NULL};
    return write_status(p, &d);
}

/* --- §4.6: an existing StoryRun --- */

static sg_span_t jspan(const sg_json_t *v)
{
    size_t n = 0;
    const char *s = sg_json_string(v, &n);
    return sg_span_make(s ? s : "", s ? n : 0);
}

static int impulse_matches(pass_t *p, const sg_json_t *run, const char *run_ns)
{
    const sg_json_t *ir = sg_json_path(run, "spec.impulseRef");
    int run_has = ir != NULL && ir->type != SG_JSON_NULL;
    if (!run_has && !p->t.impulse_ref.present)
        return 1;
    if (run_has != p->t.impulse_ref.present)
        return 0;
    sg_span_t rns = jspan(sg_json_get(ir, "namespace")), tns = p->t.impulse_ref.namespace_;
    if (rns.len == 0)
        rns = sg_span_cstr(run_ns);
    if (tns.len == 0)
        tns = sg_span_cstr(p->ns);
    return sg_span_eq(rns, tns) && sg_span_eq(jspan(sg_json_get(ir, "name")), p->t.impulse_ref.name) &&
           sg_span_eq(sg_go_trim_space(jspan(sg_json_get(ir, "version"))),
                      sg_go_trim_space(p->t.impulse_ref.version)) &&
           sg_span_eq(jspan(sg_json_get(ir, "uid")), p->t.impulse_ref.uid);
}

/* The input hash of an existing StoryRun: its annotation, else the hash of its inputs. 0 when it has none. */
static int run_hash(pass_t *p, const sg_json_t *run, char out[SG_IDENTITY_INPUT_HASH_LEN + 1], int *annotated)
{
    sg_span_t ann =
        sg_go_trim_space(jspan(sg_json_path(run, "metadata.annotations")
                                   ? sg_json_get(sg_json_path(run, "metadata.annotations"), SG_RECONCILE_ANN_INPUT_HASH)
                                   : NULL));
    *annotated = ann.len > 0;
    if (ann.len > 0) {
        if (ann.len > SG_IDENTITY_INPUT_HASH_LEN)
            return 0;
        memcpy(out, ann.ptr, ann.len);
        out[ann.len] = '\0';
        return 1;
    }
    const sg_json_t *in = sg_json_path(run, "spec.inputs");
    const char *raw = in && in->type != SG_JSON_NULL ? in->raw : NULL;
    size_t len = raw ? in->raw_len : 0;
    return sg_identity_input_hash(out, raw, len, p->a, NULL, NULL) == SG_OK;
}

/* The dehydrated form this trigger's inputs would take in a StoryRun named `run_name`, or NULL when they stay
 * inline (or cannot move). No file is written. */
static const sg_json_t *planned_inputs(pass_t *p, const char *run_name, const sg_json_t *go_inputs)
{
    if (go_inputs == NULL || p->t.inputs == NULL || p->t.inputs->raw_len <= p->r->offload.max_inline)
        return NULL;
    const sg_json_t *out = NULL;
    int permanent;
    if (sg_reconcile__offload(&out, p->a, go_inputs, run_name, &p->r->offload, 1, &permanent, NULL) != SG_OK)
        return NULL;
    return out != go_inputs ? out : NULL;
}

static int examine_existing(pass_t *p, const char *run_name, const char *hash, const sg_json_t *go_inputs,
                            const char *json, size_t len)
{
    sg_json_t *run = NULL;
    sg_json_parse_opts_t po = SG_JSON_PARSE_OPTS_INIT;
    if (sg_json_parse(&run, p->a, json, len, &po, p->err) != SG_OK)
        return sg_error_wrap(p->err, "existing StoryRun is unreadable");
    const char *run_ns = sg_json_string(sg_json_path(run, "metadata.namespace"), NULL);
    const char *run_uid = sg_json_string(sg_json_path(run, "metadata.uid"), NULL);
    if (run_ns == NULL)
        run_ns = p->ns;
    const char *key = quote2(p->a, p->ns, strlen(p->ns), run_name, strlen(run_name));
    const sg_json_t *ann = sg_json_path(run, "metadata.annotations");

    /* §8.12: the StoryRun name is a 64-bit hash; a different identity behind the same name is a collision */
    sg_span_t token = sg_go_trim_space(jspan(sg_json_get(ann, SG_RECONCILE_ANN_TOKEN)));
    if (token.len > 0 && !sg_span_eq(token, p->t.identity))
        return reject(p, SG_RECONCILE_REASON_NAME_COLLISION,
                      sg_arena_printf(p->a,
                                      "StoryRun %s already exists for a different delivery identity (StoryRun name "
                                      "collision); use another key or submissionId",
                                      key));

    sg_span_t rsns = jspan(sg_json_path(run, "spec.storyRef.namespace"));
    if (rsns.len == 0)
        rsns = sg_span_cstr(run_ns);
    int match = sg_span_eq(rsns, p->t.story_ns) &&
                sg_span_eq(jspan(sg_json_path(run, "spec.storyRef.name")), p->t.story_name) &&
                sg_span_eq(sg_go_trim_space(jspan(sg_json_path(run, "spec.storyRef.version"))),
                           sg_go_trim_space(p->t.story_ref.version)) &&
                impulse_matches(p, run, run_ns);
    if (match) {
        char rh[SG_IDENTITY_INPUT_HASH_LEN + 1];
        int annotated = 0;
        int have = run_hash(p, run, rh, &annotated);
        match = have && strcmp(rh, hash) == 0;
        if (!match && have && !annotated) {
            /* A run without the hash annotation carrying offloaded inputs: compare with what this trigger's inputs
             * dehydrate to (content-addressed names make that deterministic). */
            const sg_json_t *planned = planned_inputs(p, run_name, go_inputs);
            char ph[SG_IDENTITY_INPUT_HASH_LEN + 1];
            match = planned != NULL && sg_identity_input_hash_value(ph, planned, NULL) == SG_OK && strcmp(ph, rh) == 0;
        }
    }
    sg_span_t rname = sg_go_trim_space(jspan(sg_json_get(ann, SG_RECONCILE_ANN_REQUEST_NAME)));
    sg_span_t ruid = sg_go_trim_space(jspan(sg_json_get(ann, SG_RECONCILE_ANN_REQUEST_UID)));
    int origin = ann != NULL && ann->type == SG_JSON_OBJECT && ann->u.object.len > 0 && sg_span_eq(rname, p->t.name) &&
                 ruid.len > 0 && sg_span_eq(ruid, p->t.uid);
    sg_reconcile__decision_t d = {NULL, NULL, NULL, run_name, run_ns, run_uid};
    if (match && origin) {
        d.decision = "Created";
        d.reason = "StoryRunCreated";
        d.message = sg_arena_printf(p->a, "recovered previously created StoryRun %s", key);
    } else if (match) {
        d.decision = "Reused";
        d.reason = "StoryRunReused";
        d.message = sg_arena_printf(p->a, "reused existing StoryRun %s", key);
    } else {
        d.decision = "Rejected";
        d.reason = "StoryRunConflict";
        d.message = sg_arena_printf(p->a, "existing StoryRun %s does not match StoryTrigger storyRef and inputs", key);
    }
    if (d.message == NULL)
        return sg_error_set(p->err, SG_ENOMEM, "out of memory");
    return write_status(p, &d);
}

/* --- §4.5: the StoryRun to create --- */

static void put_str(sg_buf_t *b, const char *key, sg_span_t v)
{
    sg_json_write_string(b, key, strlen(key));
    sg_buf_putc(b, ':');
    sg_json_write_string(b, v.ptr ? v.ptr : "", v.len);
}

/* A reference object, {"name":...} plus whichever of namespace, version and uid are set. */
static void put_ref_object(sg_buf_t *b, const sg_trigger_ref_t *ref)
{
    sg_buf_putc(b, '{');
    put_str(b, "name", ref->name);
    if (ref->namespace_.len) {
        sg_buf_putc(b, ',');
        put_str(b, "namespace", ref->namespace_);
    }
    if (ref->version.len) {
        sg_buf_putc(b, ',');
        put_str(b, "version", ref->version);
    }
    if (ref->uid.len) {
        sg_buf_putc(b, ',');
        put_str(b, "uid", ref->uid);
    }
    sg_buf_putc(b, '}');
}

static void put_ref(sg_buf_t *b, const char *member, const sg_trigger_ref_t *ref)
{
    sg_buf_printf(b, ",\"%s\":", member);
    put_ref_object(b, ref);
}

static int build_run(pass_t *p, sg_buf_t *b, const char *run_name, const char *hash, const sg_json_t *dehydrated)
{
    sg_buf_puts(b, "{\"apiVersion\":\"runs.bubustack.io/v1alpha1\",\"kind\":\"StoryRun\",\"metadata\":{");
    put_str(b, "name", sg_span_cstr(run_name));
    sg_buf_putc(b, ',');
    put_str(b, "namespace", sg_span_cstr(p->ns));
    sg_buf_puts(b, ",\"annotations\":{");
    put_str(b, SG_RECONCILE_ANN_REQUEST_NAME, p->t.name);
    sg_buf_putc(b, ',');
    put_str(b, SG_RECONCILE_ANN_REQUEST_UID, p->t.uid);
    if (p->t.key.len > 0) {
        sg_buf_putc(b, ',');
        put_str(b, SG_RECONCILE_ANN_TOKEN, p->t.key);
        sg_buf_putc(b, ',');
        put_str(b, SG_RECONCILE_ANN_INPUT_HASH, sg_span_cstr(hash));
    }
    sg_buf_puts(b, "}},\"spec\":{\"storyRef\":");
    put_ref_object(b, &p->t.story_ref);
    if (p->t.impulse_ref.present)
        put_ref(b, "impulseRef", &p->t.impulse_ref);
    if (dehydrated != NULL) {
        sg_buf_puts(b, ",\"inputs\":");
        sg_json_encode_go(b, dehydrated);
    } else if (p->t.inputs != NULL) {
        sg_buf_puts(b, ",\"inputs\":");
        if (p->t.inputs->raw != NULL)
            sg_buf_append(b, p->t.inputs->raw, p->t.inputs->raw_len);
        else
            sg_json_encode(b, p->t.inputs);
    }
    sg_buf_puts(b, "}}");
    return b->oom ? SG_ENOMEM : SG_OK;
}

/* Rebuilds the trigger's status to Pending with the reason a pass is being retried (best effort). */
static void note_retry(pass_t *p, const char *why)
{
    const char *decision = sg_json_string(sg_json_get(p->status, "decision"), NULL);
    if (p->r->opts.no_pending || decision == NULL || strcmp(decision, SG_RECONCILE_REASON_PENDING) != 0)
        return;
    sg_error_t ignored = SG_ERROR_INIT;
    sg_reconcile__decision_t d = {SG_RECONCILE_REASON_PENDING,
                                  SG_RECONCILE_REASON_PENDING,
                                  sg_arena_printf(p->a, "StoryTrigger is waiting for a decision; retrying: %s", why),
                                  NULL,
                                  NULL,
                                  NULL};
    if (d.message != NULL) /* a worker does not wait for it; a synchronous pass leaves it visible when it returns */
        write_status_err(p, &d, p->job != NULL, &ignored);
}

static int is_decided(const char *d)
{
    return d != NULL && (strcmp(d, "Created") == 0 || strcmp(d, "Reused") == 0 || strcmp(d, "Rejected") == 0);
}

static int64_t int_of(const sg_json_t *v, int64_t dflt)
{
    return v != NULL && v->type == SG_JSON_NUMBER ? (int64_t)v->u.number.value : dflt;
}

static int decide(pass_t *p)
{
    sg_reconciler_t *r = p->r;
    sg_store_t *store = r->opts.store;
    const sg_json_t *md = sg_json_get(p->obj, "metadata");
    const sg_json_t *dts = sg_json_get(md, "deletionTimestamp");
    if (dts != NULL && dts->type != SG_JSON_NULL)
        return SG_OK;
    p->generation = int_of(sg_json_get(md, "generation"), 0);
    p->status = sg_json_get(p->obj, "status");
    if (p->status != NULL && p->status->type != SG_JSON_OBJECT)
        p->status = NULL;
    const char *decision = sg_json_string(sg_json_get(p->status, "decision"), NULL);
    int64_t observed = int_of(sg_json_get(p->status, "observedGeneration"), -1);
    sg_error_t derr = SG_ERROR_INIT;
    int decoded = sg_admission_trigger_decode(&p->t, p->obj, "", &derr) == SG_OK;
    const char *story_ns = decoded ? dup_span(p->a, p->t.story_ns) : "";
    const char *story_name = decoded ? dup_span(p->a, p->t.story_name) : "";
    if (story_ns == NULL || story_name == NULL)
        return sg_error_set(p->err, SG_ENOMEM, "out of memory");
    const char *story_key = sg_arena_printf(p->a, "%s/%s", story_ns, story_name);
    char *self_key = sg_arena_printf(p->a, "%s/%s", p->ns, p->name);
    if (story_key == NULL || self_key == NULL)
        return sg_error_set(p->err, SG_ENOMEM, "out of memory");

    /* 2. already decided for this generation; StoryNotFound is reconsidered once the Story exists (§8.8) */
    if (is_decided(decision) && observed == p->generation) {
        const char *reason = sg_json_string(sg_json_get(p->status, "reason"), NULL);
        if (!decoded || strcmp(decision, "Rejected") != 0 || reason == NULL || strcmp(reason, "StoryNotFound") != 0)
            return SG_OK;
        int rc = sg_store_get(store, NULL, NULL, SG_KIND_STORY, story_ns, story_name, p->err);
        if (rc == SG_ENOTFOUND || rc == SG_EINVALID) {
            sg_reconcile__nf_add(r, story_key, self_key);
            return SG_OK;
        }
        if (rc != SG_OK)
            return rc;
    }

    /* §8.5: Pending with acceptedAt as soon as the trigger is first seen */
    if (!r->opts.no_pending && (decision == NULL || *decision == '\0')) {
        sg_reconcile__decision_t d = {
            SG_RECONCILE_REASON_PENDING, SG_RECONCILE_REASON_PENDING, SG_RECONCILE__PENDING_MESSAGE, NULL, NULL, NULL};
        /* queued, not awaited: the store applies it before this pass's decision, in the same or an earlier commit */
        int rc = write_status_err(p, &d, 1, p->err);
        if (rc != SG_OK)
            return rc;
    }

    if (!decoded)
        return reject(p, "ValidationFailed", derr.message);

    /* 3. the webhook's checks again (not the hash, not the Story) */
    sg_admission_verdict_t v;
    sg_admission_verdict_init(&v, p->a);
    sg_refs_snapshot_t *snap = NULL;
    if (r->opts.cross_namespace_policy == SG_REFS_POLICY_GRANT) {
        sg_span_t to = sg_go_trim_space(p->t.story_ns), from = sg_go_trim_space(p->t.namespace_);
        if (to.len > 0 && from.len > 0 && !sg_span_eq(to, from)) {
            sg_store_list_t grants;
            sg_store_list_init(&grants);
            const char *to_ns = dup_span(p->a, to);
            int rc = sg_store_list(store, &grants, SG_KIND_REFERENCEGRANT, to_ns, NULL, p->err);
            if (rc == SG_EINVALID) {
                rc = SG_OK; /* a namespace that cannot exist holds no grants */
            }
            if (rc != SG_OK) { /* a store failure is retried, not decided */
                sg_store_list_dispose(&grants);
                return sg_error_wrap(p->err, "failed to evaluate ReferenceGrant for StoryRef");
            }
            snap = sg_refs_snapshot_new();
            for (size_t i = 0; snap != NULL && i < grants.len; i++) {
                sg_json_t *g = NULL;
                sg_json_parse_opts_t po = SG_JSON_PARSE_OPTS_INIT;
                if (sg_json_parse(&g, p->a, grants.items[i].json, grants.items[i].len, &po, NULL) == SG_OK)
                    sg_refs_snapshot_put_grant_json(snap, g, NULL);
            }
            /* a read of the store's current grants (the Go operator's uncached LIST), not the admission snapshot */
            if (snap != NULL)
                sg_refs_snapshot_set_synced(snap, 1);
            int vr = sg_admission_validate_trigger(&v, &p->t, SG_TRIGGER_CHECKS_RECONCILE,
                                                   r->opts.cross_namespace_policy, snap);
            sg_refs_snapshot_release(snap);
            sg_store_list_dispose(&grants);
            if (snap == NULL || vr != SG_OK)
                return sg_error_set(p->err, SG_ENOMEM, "out of memory");
            goto validated;
        }
    }
    if (sg_admission_validate_trigger(&v, &p->t, SG_TRIGGER_CHECKS_RECONCILE, r->opts.cross_namespace_policy, NULL) !=
        SG_OK)
        return sg_error_set(p->err, SG_ENOMEM, "out of memory");
validated:
    if (!v.allowed)
        return reject(p, "ValidationFailed", v.message ? v.message : "validation failed");

    /* 4. the Story */
    sg_buf_t sbuf = SG_BUF_INIT;
    int rc = sg_store_get(store, &sbuf, NULL, SG_KIND_STORY, story_ns, story_name, p->err);
    if (rc == SG_ENOTFOUND || rc == SG_EINVALID) {
        sg_buf_dispose(&sbuf);
        sg_reconcile__nf_add(r, story_key, self_key);
        return reject(p, "StoryNotFound",
                      sg_arena_printf(p->a, "referenced Story %s was not found",
                                      quote2(p->a, story_ns, strlen(story_ns), story_name, strlen(story_name))));
    }
    if (rc != SG_OK) {
        sg_buf_dispose(&sbuf);
        return rc;
    }
    sg_json_t *story = NULL;
    sg_json_parse_opts_t po = SG_JSON_PARSE_OPTS_INIT;
    rc = sg_json_parse(&story, p->a, sg_arena_strndup(p->a, sbuf.base, sbuf.len), sbuf.len, &po, p->err);
    sg_buf_dispose(&sbuf);
    if (rc != SG_OK)
        return rc;

    /* 5. version pin */
    sg_span_t want = sg_go_trim_space(p->t.story_ref.version);
    sg_span_t have = jspan(sg_json_path(story, "spec.version"));
    if (want.len > 0 && !sg_span_eq(want, sg_go_trim_space(have)))
        return reject(p, "StoryVersionMismatch",
                      sg_arena_printf(p->a, "referenced Story %s has version %s, expected %s",
                                      quote2(p->a, story_ns, strlen(story_ns), story_name, strlen(story_name)),
                                      quote1(p->a, have.ptr, have.len), quote1(p->a, want.ptr, want.len)));

    /* 6. input hash */
    char hash[SG_IDENTITY_INPUT_HASH_LEN + 1];
    sg_error_t herr = SG_ERROR_INIT;
    const char *raw = p->t.inputs ? p->t.inputs->raw : NULL;
    size_t raw_len = raw ? p->t.inputs->raw_len : 0;
    rc = sg_identity_input_hash(hash, raw, raw_len, p->a, NULL, &herr);
    if (rc == SG_ENOMEM)
        return sg_error_set(p->err, rc, "out of memory");
    if (rc != SG_OK)
        return reject(p, "InputHashMismatch",
                      sg_arena_printf(p->a, "failed to compute trigger input hash: %s", herr.message));
    if (p->t.input_hash.len > 0 && !sg_span_eq_cstr(p->t.input_hash, hash))
        return reject(p, "InputHashMismatch", "spec.deliveryIdentity.inputHash does not match spec.inputs");

    /* 7. the StoryRun: look for an existing one before offloading anything (§8.2) */
    char run_name[SG_IDENTITY_NAME_MAX + 1];
    sg_identity_run_name(run_name, p->t.story_ns, p->t.story_name, p->t.identity);
    const sg_json_t *go_inputs = NULL;
    if (raw != NULL && raw_len > 0) {
        sg_json_parse_opts_t go = SG_JSON_PARSE_OPTS_INIT;
        go.dialect = SG_JSON_GO;
        sg_json_t *gi = NULL;
        if (sg_json_parse(&gi, p->a, raw, raw_len, &go, NULL) == SG_OK)
            go_inputs = gi;
    }
    sg_buf_t rbuf = SG_BUF_INIT;
    rc = sg_store_get(store, &rbuf, NULL, SG_KIND_STORYRUN, p->ns, run_name, p->err);
    if (rc == SG_OK) {
        rc = examine_existing(p, run_name, hash, go_inputs, sg_arena_strndup(p->a, rbuf.base, rbuf.len), rbuf.len);
        sg_buf_dispose(&rbuf);
        return rc;
    }
    if (rc != SG_ENOTFOUND && rc != SG_EINVALID) {
        sg_buf_dispose(&rbuf);
        return rc;
    }

    const sg_json_t *dehydrated = NULL;
    if (raw_len > r->offload.max_inline) {
        if (go_inputs == NULL)
            return reject(p, SG_RECONCILE_REASON_INPUT_TOO_LARGE,
                          "failed to decode StoryTrigger inputs for StoryRun offload");
        int permanent = 1;
        sg_error_t oerr = SG_ERROR_INIT;
        rc = sg_reconcile__offload(&dehydrated, p->a, go_inputs, run_name, &r->offload, 0, &permanent, &oerr);
        if (rc != SG_OK) {
            if (!permanent) {
                sg_buf_dispose(&rbuf);
                return sg_error_set(p->err, rc, "%s", oerr.message);
            }
            sg_buf_dispose(&rbuf);
            const char *reason =
                go_inputs->type != SG_JSON_OBJECT ? "ValidationFailed" : SG_RECONCILE_REASON_INPUT_TOO_LARGE;
            return reject(p, reason, oerr.message);
        }
        if (dehydrated == go_inputs)
            dehydrated = NULL;
    }

    /* 8. CREATE */
    sg_buf_reset(&rbuf);
    if ((rc = build_run(p, &rbuf, run_name, hash, dehydrated)) != SG_OK) {
        sg_buf_dispose(&rbuf);
        return sg_error_set(p->err, rc, "out of memory");
    }
    sg_store_write_opts_t o = SG_STORE_WRITE_OPTS_INIT;
    o.origin = r;
    sg_error_t cerr = SG_ERROR_INIT;
    sg_buf_t created = SG_BUF_INIT;
    const char *run_key = quote2(p->a, p->ns, strlen(p->ns), run_name, strlen(run_name));

    /* The StoryRun and the decision in one atomic commit when the store can: no "created but undecided" window. */
    char uid[37];
    sg_json_t *run_obj = NULL;
    if (sg_store_new_uid(uid) == SG_OK &&
        sg_json_parse(&run_obj, p->a, sg_arena_strndup(p->a, rbuf.base, rbuf.len), rbuf.len, &po, NULL) == SG_OK) {
        sg_reconcile__decision_t d = {
            "Created", "StoryRunCreated", sg_arena_printf(p->a, "created StoryRun %s", run_key), run_name, p->ns, uid};
        char now[32];
        double now_epoch;
        sg_reconcile__now(now, &now_epoch);
        sg_json_t *st = d.message ? sg_reconcile__status(p->a, p->status, p->generation, &d, now) : NULL;
        if (st == NULL) {
            sg_buf_dispose(&rbuf);
            return sg_error_set(p->err, SG_ENOMEM, "out of memory");
        }
        sg_store_op_t ops[2] = {
            {SG_STORE_OP_CREATE, SG_KIND_STORYRUN, p->ns, NULL, run_obj, uid, 0, NULL},
            {SG_STORE_OP_UPDATE_STATUS, SG_KIND_STORYTRIGGER, p->ns, p->name, st, NULL, 0, NULL},
        };
        size_t failed = 0;
        sg_store_write_opts_t go = o;
        defer_to(p, &d, st, &go);
        rc = sg_store_apply(store, ops, 2, &go, &failed, &cerr);
        if (rc == SG_OK) {
            sg_buf_dispose(&rbuf);
            return written(p, &d, st, &go, rc);
        }
        if (rc != SG_EUNSUPPORTED) {
            sg_buf_dispose(&rbuf);
            if (failed == 1 && rc == SG_ENOTFOUND)
                return SG_OK; /* the trigger was deleted meanwhile; nothing was created */
            if (failed == 1) {
                return sg_error_set(p->err, rc, "%s", cerr.message);
            }
            goto create_failed;
        }
    }
    rc = sg_store_create(store, &created, SG_KIND_STORYRUN, p->ns, rbuf.base, rbuf.len, &o, &cerr);
    sg_buf_dispose(&rbuf);
    if (rc == SG_OK) {
        sg_json_t *run = NULL;
        sg_json_parse(&run, p->a, sg_arena_strndup(p->a, created.base, created.len), created.len, &po, NULL);
        sg_buf_dispose(&created);
        sg_reconcile__decision_t d = {"Created",
                                      "StoryRunCreated",
                                      sg_arena_printf(p->a, "created StoryRun %s", run_key),
                                      run_name,
                                      p->ns,
                                      sg_json_string(sg_json_path(run, "metadata.uid"), NULL)};
        return write_status(p, &d);
    }
create_failed:
    sg_buf_dispose(&created);
    if (rc == SG_ECONFLICT) {
        /* created meanwhile (another replica, or an earlier pass of ours) */
        sg_buf_t again = SG_BUF_INIT;
        rc = sg_store_get(store, &again, NULL, SG_KIND_STORYRUN, p->ns, run_name, p->err);
        if (rc == SG_OK)
            rc = examine_existing(p, run_name, hash, go_inputs, sg_arena_strndup(p->a, again.base, again.len),
                                  again.len);
        sg_buf_dispose(&again);
        return rc;
    }
    if (rc == SG_EINVALID)
        return reject(p, "ValidationFailed",
                      sg_arena_printf(p->a, "StoryRun admission rejected the request: %s", cerr.message));
    return sg_error_set(p->err, rc, "%s", cerr.message);
}

int sg_reconcile__decide(sg_reconciler_t *r, const char *ns, const char *name, double accepted,
                         sg_reconcile__job_t *job, int *gone, sg_error_t *err)
{
    sg_arena_t arena;
    sg_arena_init(&arena, 0);
    sg_buf_t tb = SG_BUF_INIT;
    int rc = sg_store_get(r->opts.store, &tb, NULL, SG_KIND_STORYTRIGGER, ns, name, err);
    if (gone != NULL)
        *gone = rc == SG_ENOTFOUND;
    if (rc == SG_ENOTFOUND || rc == SG_EINVALID) {
        rc = SG_OK; /* gone: nothing to decide */
        goto done;
    }
    if (rc != SG_OK)
        goto done;
    pass_t p = {.r = r, .ns = ns, .name = name, .a = &arena, .job = job, .err = err};
    sg_json_t *obj = NULL;
    sg_json_parse_opts_t po = SG_JSON_PARSE_OPTS_INIT;
    char *copy = sg_arena_strndup(&arena, tb.base, tb.len);
    if (copy == NULL || sg_json_parse(&obj, &arena, copy, tb.len, &po, err) != SG_OK) {
        sg_log_error("unreadable StoryTrigger in the store", "namespace", SG_LOG_STR, ns, "name", SG_LOG_STR, name,
                     NULL);
        rc = SG_OK;
        goto done;
    }
    p.obj = obj;
    /* acceptedAt has whole seconds; the acceptance time the queue carries refines it when it falls in that second */
    double stored = parse_time(sg_json_string(sg_json_path(obj, "status.acceptedAt"), NULL));
    if (stored > 0 && accepted >= stored && accepted < stored + 1)
        p.accepted = accepted;
    rc = decide(&p);
    if (p.deferred)
        rc = SG_RECONCILE__DEFERRED; /* the job, ns and name are the completion's now */
    else if (rc != SG_OK)
        note_retry(&p, err != NULL && err->message[0] ? err->message : sg_error_name(rc));
done:
    sg_buf_dispose(&tb);
    sg_arena_dispose(&arena);
    return rc;
}
