/* Declarations of the library function implementations, grouped by the file that defines them. */
#ifndef STORYGATE_CEL_STD_H
#define STORYGATE_CEL_STD_H

#include "internal.h"

#define SG_CEL_FN(name)                                                                                                \
    void name(sg_cel_ctx_t *c, sg_cel_value_t *out, const sg_cel_value_t *a, int n, const sg_cel_node_t *call)

/* std_core.c */
SG_CEL_FN(sg_cel__fn_size);
SG_CEL_FN(sg_cel__fn_type);
SG_CEL_FN(sg_cel__fn_dyn);
SG_CEL_FN(sg_cel__fn_int);
SG_CEL_FN(sg_cel__fn_uint);
SG_CEL_FN(sg_cel__fn_double);
SG_CEL_FN(sg_cel__fn_string);
SG_CEL_FN(sg_cel__fn_bytes);
SG_CEL_FN(sg_cel__fn_bool);
SG_CEL_FN(sg_cel__fn_contains);
SG_CEL_FN(sg_cel__fn_starts_with);
SG_CEL_FN(sg_cel__fn_ends_with);
/* std_regex.c */
SG_CEL_FN(sg_cel__fn_matches);
/* std_time.c */
SG_CEL_FN(sg_cel__fn_timestamp);
SG_CEL_FN(sg_cel__fn_duration);
SG_CEL_FN(sg_cel__fn_time_get);
/* std_strings.c */
SG_CEL_FN(sg_cel__fn_char_at);
SG_CEL_FN(sg_cel__fn_index_of);
SG_CEL_FN(sg_cel__fn_last_index_of);
SG_CEL_FN(sg_cel__fn_lower_ascii);
SG_CEL_FN(sg_cel__fn_upper_ascii);
SG_CEL_FN(sg_cel__fn_replace);
SG_CEL_FN(sg_cel__fn_split);
SG_CEL_FN(sg_cel__fn_substring);
SG_CEL_FN(sg_cel__fn_trim);
SG_CEL_FN(sg_cel__fn_join);
SG_CEL_FN(sg_cel__fn_quote);
SG_CEL_FN(sg_cel__fn_reverse);
/* std_format.c */
SG_CEL_FN(sg_cel__fn_format);
/* std_lists.c */
SG_CEL_FN(sg_cel__fn_is_sorted);
SG_CEL_FN(sg_cel__fn_sum);
SG_CEL_FN(sg_cel__fn_min);
SG_CEL_FN(sg_cel__fn_max);
SG_CEL_FN(sg_cel__fn_list_index_of);
SG_CEL_FN(sg_cel__fn_list_last_index_of);
SG_CEL_FN(sg_cel__fn_sets_contains);
SG_CEL_FN(sg_cel__fn_sets_equivalent);
SG_CEL_FN(sg_cel__fn_sets_intersects);
/* std_optional.c */
SG_CEL_FN(sg_cel__fn_optional_of);
SG_CEL_FN(sg_cel__fn_optional_none);
SG_CEL_FN(sg_cel__fn_optional_of_non_zero);
SG_CEL_FN(sg_cel__fn_has_value);
SG_CEL_FN(sg_cel__fn_value);

#endif
