/* The function registry: every library function by name, how it may be called (receiver or global style) and its
 * argument counts. Overloads of one name share an entry whose implementation dispatches on argument types. */
#include "std.h"

static const sg_cel_func_t funcs[] = {
    /* name, receiver, global, min args, max args (receiver included) */
    {"size", 1, 1, 1, 1, sg_cel__fn_size},
    {"type", 0, 1, 1, 1, sg_cel__fn_type},
    {"dyn", 0, 1, 1, 1, sg_cel__fn_dyn},
    {"int", 0, 1, 1, 1, sg_cel__fn_int},
    {"uint", 0, 1, 1, 1, sg_cel__fn_uint},
    {"double", 0, 1, 1, 1, sg_cel__fn_double},
    {"string", 0, 1, 1, 1, sg_cel__fn_string},
    {"bytes", 0, 1, 1, 1, sg_cel__fn_bytes},
    {"bool", 0, 1, 1, 1, sg_cel__fn_bool},
    {"contains", 1, 0, 2, 2, sg_cel__fn_contains},
    {"startsWith", 1, 0, 2, 2, sg_cel__fn_starts_with},
    {"endsWith", 1, 0, 2, 2, sg_cel__fn_ends_with},
    {"matches", 1, 1, 2, 2, sg_cel__fn_matches},
    {"timestamp", 0, 1, 1, 1, sg_cel__fn_timestamp},
    {"duration", 0, 1, 1, 1, sg_cel__fn_duration},
    {"getFullYear", 1, 0, 1, 2, sg_cel__fn_time_get},
    {"getMonth", 1, 0, 1, 2, sg_cel__fn_time_get},
    {"getDayOfYear", 1, 0, 1, 2, sg_cel__fn_time_get},
    {"getDayOfMonth", 1, 0, 1, 2, sg_cel__fn_time_get},
    {"getDate", 1, 0, 1, 2, sg_cel__fn_time_get},
    {"getDayOfWeek", 1, 0, 1, 2, sg_cel__fn_time_get},
    {"getHours", 1, 0, 1, 2, sg_cel__fn_time_get},
    {"getMinutes", 1, 0, 1, 2, sg_cel__fn_time_get},
    {"getSeconds", 1, 0, 1, 2, sg_cel__fn_time_get},
    {"getMilliseconds", 1, 0, 1, 2, sg_cel__fn_time_get},
    {"charAt", 1, 0, 2, 2, sg_cel__fn_char_at},
    {"indexOf", 1, 0, 2, 3, sg_cel__fn_index_of},
    {"lastIndexOf", 1, 0, 2, 3, sg_cel__fn_last_index_of},
    {"lowerAscii", 1, 0, 1, 1, sg_cel__fn_lower_ascii},
    {"upperAscii", 1, 0, 1, 1, sg_cel__fn_upper_ascii},
    {"replace", 1, 0, 3, 4, sg_cel__fn_replace},
    {"split", 1, 0, 2, 3, sg_cel__fn_split},
    {"substring", 1, 0, 2, 3, sg_cel__fn_substring},
    {"trim", 1, 0, 1, 1, sg_cel__fn_trim},
    {"join", 1, 0, 1, 2, sg_cel__fn_join},
    {"format", 1, 0, 2, 2, sg_cel__fn_format},
    {"strings.quote", 0, 1, 1, 1, sg_cel__fn_quote},
    {"reverse", 1, 0, 1, 1, sg_cel__fn_reverse},
    {"isSorted", 1, 0, 1, 1, sg_cel__fn_is_sorted},
    {"sum", 1, 0, 1, 1, sg_cel__fn_sum},
    {"min", 1, 0, 1, 1, sg_cel__fn_min},
    {"max", 1, 0, 1, 1, sg_cel__fn_max},
    {"sets.contains", 0, 1, 2, 2, sg_cel__fn_sets_contains},
    {"sets.equivalent", 0, 1, 2, 2, sg_cel__fn_sets_equivalent},
    {"sets.intersects", 0, 1, 2, 2, sg_cel__fn_sets_intersects},
    {"optional.of", 0, 1, 1, 1, sg_cel__fn_optional_of},
    {"optional.none", 0, 1, 0, 0, sg_cel__fn_optional_none},
    {"optional.ofNonZeroValue", 0, 1, 1, 1, sg_cel__fn_optional_of_non_zero},
    {"hasValue", 1, 0, 1, 1, sg_cel__fn_has_value},
    {"value", 1, 0, 1, 1, sg_cel__fn_value},
};

const sg_cel_func_t *sg_cel__lookup_func(const char *name, int receiver)
{
    for (size_t i = 0; i < sizeof(funcs) / sizeof(funcs[0]); i++)
        if (strcmp(funcs[i].name, name) == 0 && (receiver ? funcs[i].receiver : funcs[i].global))
            return &funcs[i];
    return NULL;
}
