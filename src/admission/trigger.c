/* The one place a StoryTrigger's fields are read out of its JSON object: type checks with the offending path,
 * null treated as absent (as Go's decoder does), trimming of the identity fields and story namespace resolution.
 * The webhook and the reconciler both start from this view. */
#include <stdio.h>
#include <string.h>

#include <storygate/admission.h>
#include <storygate/identity.h>

typedef struct st_decoder_t {
    const char *path; /* prefix, "" for the object itself */
    sg_error_t *err;
} decoder_t;

static int type_error(decoder_t *d, const char *field, const sg_json_t *v, const char *want)
{
    return sg_error_setloc(d->err, SG_EINVALID, field, 0, 0, "%s%s%s: expected %s, got %s", d->path,
                           d->path[0] != '\0' ? "." : "", field, want, sg_json_type_name(v->type));
}

/* An object member that must be an object; NULL when absent or null. */
static int get_object(decoder_t *d, const sg_json_t *parent, const char *key, const char *field, const sg_json_t **out)
{
    const sg_json_t *v = sg_json_get(parent, key);
    *out = NULL;
    if (v == NULL || v->type == SG_JSON_NULL)
        return SG_OK;
    if (v->type != SG_JSON_OBJECT)
        return type_error(d, field, v, "object");
    *out = v;
    return SG_OK;
}

/* A string member; the empty span when absent or null; *present says whether it was there. */
static int get_string(decoder_t *d, const sg_json_t *parent, const char *key, const char *field, sg_span_t *out,
                      int *present)
{
    const sg_json_t *v = sg_json_get(parent, key);
    *out = sg_span_make("", 0);
    if (present != NULL)
        *present = 0;
    if (v == NULL || v->type == SG_JSON_NULL)
        return SG_OK;
    if (v->type != SG_JSON_STRING)
        return type_error(d, field, v, "string");
    out->ptr = v->u.string.ptr;
    out->len = v->u.string.len;
    if (present != NULL)
        *present = 1;
    return SG_OK;
}

/* The field paths of one reference object, spelled out so decoding formats nothing unless a type is wrong. */
typedef struct st_ref_fields_t {
    const char *key;
    const char *self, *name, *namespace_, *version, *uid;
} ref_fields_t;

static const ref_fields_t story_ref_fields = {
    "storyRef",         "spec.storyRef", "spec.storyRef.name", "spec.storyRef.namespace", "spec.storyRef.version",
    "spec.storyRef.uid"};
static const ref_fields_t impulse_ref_fields = {"impulseRef",
                                                "spec.impulseRef",
                                                "spec.impulseRef.name",
                                                "spec.impulseRef.namespace",
                                                "spec.impulseRef.version",
                                                "spec.impulseRef.uid"};

static int decode_ref(decoder_t *d, const sg_json_t *spec, const ref_fields_t *f, sg_trigger_ref_t *ref)
{
    const sg_json_t *o;
    int ret;
    memset(ref, 0, sizeof(*ref));
    ref->name = ref->namespace_ = ref->version = ref->uid = sg_span_make("", 0);
    if ((ret = get_object(d, spec, f->key, f->self, &o)) < 0 || o == NULL)
        return ret;
    ref->present = 1;
    if ((ret = get_string(d, o, "name", f->name, &ref->name, NULL)) < 0 ||
        (ret = get_string(d, o, "namespace", f->namespace_, &ref->namespace_, NULL)) < 0 ||
        (ret = get_string(d, o, "version", f->version, &ref->version, NULL)) < 0)
        return ret;
    return get_string(d, o, "uid", f->uid, &ref->uid, NULL);
}

static int decode_labels(decoder_t *d, sg_trigger_t *t)
{
    const sg_json_t *labels;
    int ret = get_object(d, t->metadata, "labels", "metadata.labels", &labels);
    if (ret < 0 || labels == NULL)
        return ret;
    for (size_t i = 0; i < labels->u.object.len; i++) {
        const sg_json_member_t *m = &labels->u.object.members[i];
        /* null decodes to "" in Go's map[string]string, so only other types are malformed */
        if (m->value->type != SG_JSON_STRING && m->value->type != SG_JSON_NULL) {
            char f[SG_ERROR_PATH_MAX];
            snprintf(f, sizeof(f), "metadata.labels[%.*s]", (int)(m->key_len > 200 ? 200 : m->key_len), m->key);
            return type_error(d, f, m->value, "string");
        }
    }
    t->labels = labels;
    return SG_OK;
}

int sg_admission_trigger_decode(sg_trigger_t *t, const sg_json_t *object, const char *path, sg_error_t *err)
{
    decoder_t d = {path != NULL ? path : "", err};
    sg_span_t s;
    int ret;
    memset(t, 0, sizeof(*t));
    t->object = object;
    if (object == NULL || object->type != SG_JSON_OBJECT) {
        if (object == NULL)
            return sg_error_setloc(err, SG_EINVALID, "", 0, 0, "%s: expected object, got null",
                                   d.path[0] != '\0' ? d.path : "object");
        return sg_error_setloc(err, SG_EINVALID, "", 0, 0, "%s: expected object, got %s",
                               d.path[0] != '\0' ? d.path : "object", sg_json_type_name(object->type));
    }
    if ((ret = get_object(&d, object, "metadata", "metadata", &t->metadata)) < 0)
        return ret;
    if ((ret = get_string(&d, t->metadata, "name", "metadata.name", &t->name, NULL)) < 0 ||
        (ret = get_string(&d, t->metadata, "namespace", "metadata.namespace", &t->namespace_, NULL)) < 0 ||
        (ret = get_string(&d, t->metadata, "generateName", "metadata.generateName", &t->generate_name, NULL)) < 0 ||
        (ret = get_string(&d, t->metadata, "uid", "metadata.uid", &t->uid, NULL)) < 0 ||
        (ret = get_string(&d, t->metadata, "deletionTimestamp", "metadata.deletionTimestamp", &s, &t->deleting)) < 0)
        return ret;
    if ((ret = decode_labels(&d, t)) < 0)
        return ret;
    if ((ret = get_object(&d, object, "spec", "spec", &t->spec)) < 0)
        return ret;
    if ((ret = decode_ref(&d, t->spec, &story_ref_fields, &t->story_ref)) < 0 ||
        (ret = decode_ref(&d, t->spec, &impulse_ref_fields, &t->impulse_ref)) < 0)
        return ret;
    const sg_json_t *inputs = sg_json_get(t->spec, "inputs");
    t->inputs = inputs != NULL && inputs->type != SG_JSON_NULL ? inputs : NULL;
    if ((ret = get_object(&d, t->spec, "deliveryIdentity", "spec.deliveryIdentity", &t->delivery)) < 0)
        return ret;
    if ((ret = get_string(&d, t->delivery, "mode", "spec.deliveryIdentity.mode", &t->mode, &t->has_mode)) < 0)
        return ret;
    if (t->mode.len == 0)
        t->mode = sg_span_make("none", 4);
    if ((ret = get_string(&d, t->delivery, "key", "spec.deliveryIdentity.key", &s, NULL)) < 0)
        return ret;
    t->key = sg_go_trim_space(s);
    if ((ret = get_string(&d, t->delivery, "inputHash", "spec.deliveryIdentity.inputHash", &s, &t->has_input_hash)) < 0)
        return ret;
    t->input_hash = sg_go_trim_space(s);
    if ((ret = get_string(&d, t->delivery, "submissionId", "spec.deliveryIdentity.submissionId", &s, NULL)) < 0)
        return ret;
    t->submission_id = sg_go_trim_space(s);
    t->identity = sg_identity_of(t->key, t->submission_id);
    t->story_name = t->story_ref.name;
    t->story_ns = t->story_ref.namespace_.len != 0 ? t->story_ref.namespace_ : t->namespace_;
    return SG_OK;
}
