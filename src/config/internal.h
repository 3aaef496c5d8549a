/* Private parts of the config module: the key table shared by the YAML, environment and flag readers. */
#ifndef STORYGATE_CONFIG_INTERNAL_H
#define STORYGATE_CONFIG_INTERNAL_H

#include <stddef.h>

#include <storygate/config.h>

typedef enum en_sg_config__kind_t {
    SG_CONFIG__STRING,  /* any non-empty text; empty clears optional keys */
    SG_CONFIG__ADDR,    /* host:port */
    SG_CONFIG__URLPATH, /* "/..." */
    SG_CONFIG__UINT,    /* unsigned, within [min, max] */
    SG_CONFIG__SIZE,    /* size_t, within [min, max] */
    SG_CONFIG__BOOL,
    SG_CONFIG__ENUM,     /* one of `names`, stored as its index */
    SG_CONFIG__LOGLEVEL, /* debug|info|warn|error */
    SG_CONFIG__TLSVER,   /* "1.2" | "1.3" */
    SG_CONFIG__LIST,     /* names: a YAML sequence or comma-separated text, stored as "a,b" */
} sg_config__kind_t;

typedef struct st_sg_config__key_t {
    const char *name; /* dotted, as in the file */
    sg_config__kind_t kind;
    size_t offset; /* into sg_config_t */
    unsigned long long min, max;
    const char *const *names; /* ENUM */
    int required;             /* checked by sg_config_validate */
} sg_config__key_t;

/** The key named `name` (dotted), or NULL. */
const sg_config__key_t *sg_config__find(const char *name, size_t len);
/** 1 when some key starts with "`prefix`." (a section such as "tls"). */
int sg_config__is_section(const char *prefix, size_t len);
/** Stores `text` into the field of `k`. On failure fills `why` (no key name, no location) and returns SG_EINVALID. */
int sg_config__assign(sg_config_t *c, const sg_config__key_t *k, const char *text, char *why, size_t why_size);
/** The table, ended by a NULL name. */
extern const sg_config__key_t sg_config__keys[];

#endif
