/* The checker's overload table: every operator and library function the engine evaluates, with its signatures as
 * cel-go and the Kubernetes libraries declare them (plus the few extra argument types the engine accepts, such as
 * list[uint] and duration(int)). Written as text, parsed once per process. */
#include <pthread.h>
#include <stdio.h>

#include "internal.h"

/* name, receiver style (1) or global (0), "(params) -> result"; a receiver call's first parameter is its receiver.
 * Capital letters are type parameters. Overloads of one name are contiguous. */
static const struct {
    const char *name;
    uint8_t receiver;
    const char *sig;
} table[] = {
    /* operators and macro helpers */
    {"_?_:_", 0, "(bool, A, A) -> A"},
    {"_&&_", 0, "(bool, bool) -> bool"},
    {"_||_", 0, "(bool, bool) -> bool"},
    {"!_", 0, "(bool) -> bool"},
    {"@not_strictly_false", 0, "(bool) -> bool"},
    {"-_", 0, "(int) -> int"},
    {"-_", 0, "(double) -> double"},
    {"-_", 0, "(duration) -> duration"},
    {"_==_", 0, "(A, A) -> bool"},
    {"_!=_", 0, "(A, A) -> bool"},
    {"_+_", 0, "(int, int) -> int"},
    {"_+_", 0, "(uint, uint) -> uint"},
    {"_+_", 0, "(double, double) -> double"},
    {"_+_", 0, "(string, string) -> string"},
    {"_+_", 0, "(bytes, bytes) -> bytes"},
    {"_+_", 0, "(list(A), list(A)) -> list(A)"},
    {"_+_", 0, "(timestamp, duration) -> timestamp"},
    {"_+_", 0, "(duration, timestamp) -> timestamp"},
    {"_+_", 0, "(duration, duration) -> duration"},
    {"_-_", 0, "(int, int) -> int"},
    {"_-_", 0, "(uint, uint) -> uint"},
    {"_-_", 0, "(double, double) -> double"},
    {"_-_", 0, "(timestamp, timestamp) -> duration"},
    {"_-_", 0, "(timestamp, duration) -> timestamp"},
    {"_-_", 0, "(duration, duration) -> duration"},
    {"_*_", 0, "(int, int) -> int"},
    {"_*_", 0, "(uint, uint) -> uint"},
    {"_*_", 0, "(double, double) -> double"},
    {"_/_", 0, "(int, int) -> int"},
    {"_/_", 0, "(uint, uint) -> uint"},
    {"_/_", 0, "(double, double) -> double"},
    {"_%_", 0, "(int, int) -> int"},
    {"_%_", 0, "(uint, uint) -> uint"},
#define ORDER(op)                                                                                                      \
    {op, 0, "(bool, bool) -> bool"}, {op, 0, "(int, int) -> bool"}, {op, 0, "(int, uint) -> bool"},                    \
        {op, 0, "(int, double) -> bool"}, {op, 0, "(uint, uint) -> bool"}, {op, 0, "(uint, int) -> bool"},             \
        {op, 0, "(uint, double) -> bool"}, {op, 0, "(double, double) -> bool"}, {op, 0, "(double, int) -> bool"},      \
        {op, 0, "(double, uint) -> bool"}, {op, 0, "(string, string) -> bool"}, {op, 0, "(bytes, bytes) -> bool"},     \
        {op, 0, "(timestamp, timestamp) -> bool"},                                                                     \
    {                                                                                                                  \
        op, 0, "(duration, duration) -> bool"                                                                          \
    }
    ORDER("_<_"),
    ORDER("_<=_"),
    ORDER("_>_"),
    ORDER("_>=_"),
#undef ORDER
    {"@in", 0, "(A, list(A)) -> bool"},
    {"@in", 0, "(A, map(A, B)) -> bool"},
    {"_[_]", 0, "(list(A), int) -> A"},
    {"_[_]", 0, "(list(A), uint) -> A"},
    {"_[_]", 0, "(map(A, B), A) -> B"},
    {"_[_]", 0, "(optional_type(list(A)), int) -> optional_type(A)"},
    {"_[_]", 0, "(optional_type(map(A, B)), A) -> optional_type(B)"},
    {"_[?_]", 0, "(list(A), int) -> optional_type(A)"},
    {"_[?_]", 0, "(map(A, B), A) -> optional_type(B)"},
    {"_[?_]", 0, "(optional_type(list(A)), int) -> optional_type(A)"},
    {"_[?_]", 0, "(optional_type(map(A, B)), A) -> optional_type(B)"},
    /* core */
    {"size", 0, "(string) -> int"},
    {"size", 0, "(bytes) -> int"},
    {"size", 0, "(list(A)) -> int"},
    {"size", 0, "(map(A, B)) -> int"},
    {"size", 1, "(string) -> int"},
    {"size", 1, "(bytes) -> int"},
    {"size", 1, "(list(A)) -> int"},
    {"size", 1, "(map(A, B)) -> int"},
    {"type", 0, "(A) -> type(A)"},
    {"dyn", 0, "(A) -> dyn"},
    {"int", 0, "(int) -> int"},
    {"int", 0, "(uint) -> int"},
    {"int", 0, "(double) -> int"},
    {"int", 0, "(string) -> int"},
    {"int", 0, "(timestamp) -> int"},
    {"int", 0, "(duration) -> int"},
    {"uint", 0, "(uint) -> uint"},
    {"uint", 0, "(int) -> uint"},
    {"uint", 0, "(double) -> uint"},
    {"uint", 0, "(string) -> uint"},
    {"double", 0, "(double) -> double"},
    {"double", 0, "(int) -> double"},
    {"double", 0, "(uint) -> double"},
    {"double", 0, "(string) -> double"},
    {"string", 0, "(string) -> string"},
    {"string", 0, "(int) -> string"},
    {"string", 0, "(uint) -> string"},
    {"string", 0, "(double) -> string"},
    {"string", 0, "(bool) -> string"},
    {"string", 0, "(bytes) -> string"},
    {"string", 0, "(timestamp) -> string"},
    {"string", 0, "(duration) -> string"},
    {"bytes", 0, "(bytes) -> bytes"},
    {"bytes", 0, "(string) -> bytes"},
    {"bool", 0, "(bool) -> bool"},
    {"bool", 0, "(string) -> bool"},
    {"contains", 1, "(string, string) -> bool"},
    {"startsWith", 1, "(string, string) -> bool"},
    {"endsWith", 1, "(string, string) -> bool"},
    {"matches", 1, "(string, string) -> bool"},
    {"matches", 0, "(string, string) -> bool"},
    /* time */
    {"timestamp", 0, "(string) -> timestamp"},
    {"timestamp", 0, "(timestamp) -> timestamp"},
    {"timestamp", 0, "(int) -> timestamp"},
    {"duration", 0, "(string) -> duration"},
    {"duration", 0, "(duration) -> duration"},
    {"duration", 0, "(int) -> duration"},
#define TS_GET(name)                                                                                                   \
    {name, 1, "(timestamp) -> int"},                                                                                   \
    {                                                                                                                  \
        name, 1, "(timestamp, string) -> int"                                                                          \
    }
#define TIME_GET(name)                                                                                                 \
    TS_GET(name),                                                                                                      \
    {                                                                                                                  \
        name, 1, "(duration) -> int"                                                                                   \
    }
    TS_GET("getFullYear"),
    TS_GET("getMonth"),
    TS_GET("getDayOfYear"),
    TS_GET("getDayOfMonth"),
    TS_GET("getDate"),
    TS_GET("getDayOfWeek"),
    TIME_GET("getHours"),
    TIME_GET("getMinutes"),
    TIME_GET("getSeconds"),
    TIME_GET("getMilliseconds"),
#undef TIME_GET
#undef TS_GET
    /* strings extension */
    {"charAt", 1, "(string, int) -> string"},
    {"indexOf", 1, "(string, string) -> int"},
    {"indexOf", 1, "(string, string, int) -> int"},
    {"indexOf", 1, "(list(A), A) -> int"},
    {"lastIndexOf", 1, "(string, string) -> int"},
    {"lastIndexOf", 1, "(string, string, int) -> int"},
    {"lastIndexOf", 1, "(list(A), A) -> int"},
    {"lowerAscii", 1, "(string) -> string"},
    {"upperAscii", 1, "(string) -> string"},
    {"replace", 1, "(string, string, string) -> string"},
    {"replace", 1, "(string, string, string, int) -> string"},
    {"split", 1, "(string, string) -> list(string)"},
    {"split", 1, "(string, string, int) -> list(string)"},
    {"substring", 1, "(string, int) -> string"},
    {"substring", 1, "(string, int, int) -> string"},
    {"trim", 1, "(string) -> string"},
    {"join", 1, "(list(string)) -> string"},
    {"join", 1, "(list(string), string) -> string"},
    {"format", 1, "(string, list(dyn)) -> string"},
    {"strings.quote", 0, "(string) -> string"},
    {"reverse", 1, "(string) -> string"},
/* Kubernetes lists and sets */
#define LIST_OF_COMPARABLE(name, result)                                                                               \
    {name, 1, "(list(int)) -> " result}, {name, 1, "(list(uint)) -> " result}, {name, 1, "(list(double)) -> " result}, \
        {name, 1, "(list(bool)) -> " result}, {name, 1, "(list(string)) -> " result},                                  \
        {name, 1, "(list(bytes)) -> " result}, {name, 1, "(list(duration)) -> " result},                               \
    {                                                                                                                  \
        name, 1, "(list(timestamp)) -> " result                                                                        \
    }
    LIST_OF_COMPARABLE("isSorted", "bool"),
#undef LIST_OF_COMPARABLE
    {"sum", 1, "(list(int)) -> int"},
    {"sum", 1, "(list(uint)) -> uint"},
    {"sum", 1, "(list(double)) -> double"},
    {"sum", 1, "(list(duration)) -> duration"},
#define EXTREME(name)                                                                                                  \
    {name, 1, "(list(int)) -> int"}, {name, 1, "(list(uint)) -> uint"}, {name, 1, "(list(double)) -> double"},         \
        {name, 1, "(list(bool)) -> bool"}, {name, 1, "(list(string)) -> string"}, {name, 1, "(list(bytes)) -> bytes"}, \
        {name, 1, "(list(duration)) -> duration"},                                                                     \
    {                                                                                                                  \
        name, 1, "(list(timestamp)) -> timestamp"                                                                      \
    }
    EXTREME("min"),
    EXTREME("max"),
#undef EXTREME
    {"sets.contains", 0, "(list(A), list(A)) -> bool"},
    {"sets.equivalent", 0, "(list(A), list(A)) -> bool"},
    {"sets.intersects", 0, "(list(A), list(A)) -> bool"},
    /* optionals */
    {"optional.of", 0, "(A) -> optional_type(A)"},
    {"optional.none", 0, "() -> optional_type(A)"},
    {"optional.ofNonZeroValue", 0, "(A) -> optional_type(A)"},
    {"hasValue", 1, "(optional_type(A)) -> bool"},
    {"value", 1, "(optional_type(A)) -> A"},
    {"or", 1, "(optional_type(A), optional_type(A)) -> optional_type(A)"},
    {"orValue", 1, "(optional_type(A), A) -> A"},
};

#define NSIGS (sizeof(table) / sizeof(table[0]))

static sg_cel_sig_t sigs[NSIGS];
static sg_arena_t sig_arena;
static int sigs_ok;
static pthread_once_t sigs_once = PTHREAD_ONCE_INIT;

/* Splits "(a, map(b, c)) -> d" into its parameter and result types. */
static int parse_sig(sg_cel_sig_t *out, const char *text)
{
    sg_error_t err = SG_ERROR_INIT;
    const char *arrow = strstr(text, ") -> ");
    if (text[0] != '(' || arrow == NULL)
        return -1;
    const char *p = text + 1;
    out->nparams = 0;
    while (p < arrow) {
        const char *e = p;
        int depth = 0;
        while (e < arrow && (depth > 0 || *e != ',')) {
            depth += *e == '(' ? 1 : *e == ')' ? -1 : 0;
            e++;
        }
        if (out->nparams == SG_CEL_SIG_MAX_PARAMS ||
            sg_cel__type_parse(&out->params[out->nparams], &sig_arena, p, (size_t)(e - p), 1, &err) < 0)
            return -1;
        out->nparams++;
        p = e < arrow ? e + 1 : e;
    }
    const char *r = arrow + 5;
    return sg_cel__type_parse(&out->result, &sig_arena, r, strlen(r), 1, &err) < 0 ? -1 : 0;
}

static void build(void)
{
    sg_arena_init(&sig_arena, 32 * 1024);
    for (size_t i = 0; i < NSIGS; i++) {
        sigs[i].name = table[i].name;
        sigs[i].receiver = table[i].receiver;
        if (parse_sig(&sigs[i], table[i].sig) < 0) {
            fprintf(stderr, "cel checker: bad signature %s %s\n", table[i].name, table[i].sig);
            return;
        }
    }
    sigs_ok = 1;
}

const sg_cel_sig_t *sg_cel__sigs(const char *name, size_t *n)
{
    pthread_once(&sigs_once, build);
    *n = 0;
    if (!sigs_ok)
        return NULL;
    for (size_t i = 0; i < NSIGS; i++) {
        if (strcmp(sigs[i].name, name) != 0)
            continue;
        size_t k = i;
        while (k < NSIGS && strcmp(sigs[k].name, name) == 0)
            k++;
        *n = k - i;
        return &sigs[i];
    }
    return NULL;
}
