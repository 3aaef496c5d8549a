/* Tests for registration: idempotence, conflicts, invalid shapes, series identity and limits. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>

#include <storygate/metrics.h>

static const char *const two[] = {"name", "controller", NULL};

Test(metrics_register, same_name_and_shape_returns_same_family)
{
    sg_metrics_t *r = sg_metrics_new();
    sg_metric_t *a = sg_metrics_register(r, SG_METRIC_COUNTER, "workqueue_adds_total", "Adds.", two, NULL, 0);
    sg_metric_t *b = sg_metrics_register(r, SG_METRIC_COUNTER, "workqueue_adds_total", "Other help.", two, NULL, 0);
    cr_assert_not_null(a);
    cr_assert_eq(a, b);
    sg_metrics_free(r);
}

Test(metrics_register, conflicting_type_labels_or_buckets_return_null)
{
    sg_metrics_t *r = sg_metrics_new();
    static const char *const one[] = {"name", NULL};
    static const char *const swapped[] = {"controller", "name", NULL};
    static const double b1[] = {1, 2}, b2[] = {1, 3};
    cr_assert_not_null(sg_metrics_register(r, SG_METRIC_COUNTER, "x_total", "X.", two, NULL, 0));
    cr_assert_null(sg_metrics_register(r, SG_METRIC_GAUGE, "x_total", "X.", two, NULL, 0));
    cr_assert_null(sg_metrics_register(r, SG_METRIC_COUNTER, "x_total", "X.", one, NULL, 0));
    cr_assert_null(sg_metrics_register(r, SG_METRIC_COUNTER, "x_total", "X.", swapped, NULL, 0));
    cr_assert_null(sg_metrics_register(r, SG_METRIC_COUNTER, "x_total", "X.", NULL, NULL, 0));
    cr_assert_not_null(sg_metrics_register(r, SG_METRIC_HISTOGRAM, "h", "H.", NULL, b1, 2));
    cr_assert_null(sg_metrics_register(r, SG_METRIC_HISTOGRAM, "h", "H.", NULL, b2, 2));
    cr_assert_null(sg_metrics_register(r, SG_METRIC_HISTOGRAM, "h", "H.", NULL, b1, 1));
    sg_metrics_free(r);
}

Test(metrics_register, invalid_names_labels_and_buckets_are_refused)
{
    sg_metrics_t *r = sg_metrics_new();
    static const char *const dup[] = {"a", "a", NULL};
    static const char *const reserved[] = {"__name", NULL};
    static const char *const le[] = {"le", NULL};
    static const char *const bad[] = {"a-b", NULL};
    static const double desc[] = {2, 1}, same[] = {1, 1}, inf[] = {1, INFINITY};
    cr_assert_null(sg_metrics_register(r, SG_METRIC_GAUGE, "", "E.", NULL, NULL, 0));
    cr_assert_null(sg_metrics_register(r, SG_METRIC_GAUGE, "9lives", "E.", NULL, NULL, 0));
    cr_assert_null(sg_metrics_register(r, SG_METRIC_GAUGE, "has space", "E.", NULL, NULL, 0));
    cr_assert_null(sg_metrics_register(r, SG_METRIC_GAUGE, NULL, "E.", NULL, NULL, 0));
    cr_assert_not_null(sg_metrics_register(r, SG_METRIC_GAUGE, "ns:sub_name2", "ok", NULL, NULL, 0));
    cr_assert_null(sg_metrics_register(r, SG_METRIC_GAUGE, "g1", "E.", dup, NULL, 0));
    cr_assert_null(sg_metrics_register(r, SG_METRIC_GAUGE, "g2", "E.", reserved, NULL, 0));
    cr_assert_null(sg_metrics_register(r, SG_METRIC_GAUGE, "g3", "E.", bad, NULL, 0));
    cr_assert_not_null(sg_metrics_register(r, SG_METRIC_GAUGE, "g4", "le is fine on gauges", le, NULL, 0));
    cr_assert_null(sg_metrics_register(r, SG_METRIC_HISTOGRAM, "h1", "E.", le, desc, 0));
    cr_assert_null(sg_metrics_register(r, SG_METRIC_HISTOGRAM, "h2", "E.", NULL, desc, 2));
    cr_assert_null(sg_metrics_register(r, SG_METRIC_HISTOGRAM, "h3", "E.", NULL, same, 2));
    cr_assert_null(sg_metrics_register(r, SG_METRIC_HISTOGRAM, "h4", "E.", NULL, inf, 2));
    cr_assert_null(sg_metrics_register(r, (sg_metric_type_t)42, "t", "E.", NULL, NULL, 0));
    cr_assert_null(sg_metrics_register(NULL, SG_METRIC_GAUGE, "n", "E.", NULL, NULL, 0));
    sg_metrics_free(r);
}

Test(metrics_register, series_are_identified_by_label_values)
{
    sg_metrics_t *r = sg_metrics_new();
    sg_metric_t *m = sg_metrics_register(r, SG_METRIC_COUNTER, "y_total", "Y.", two, NULL, 0);
    sg_series_t *a = sg_metric_with4(m, "q", "c", NULL, NULL);
    static const char *const vals[] = {"q", "c", NULL};
    cr_assert_eq(sg_metric_with(m, vals), a);
    cr_assert_neq(sg_metric_with4(m, "qc", "", NULL, NULL), a);
    cr_assert_neq(sg_metric_with4(m, "", "qc", NULL, NULL), a);
    cr_assert_neq(sg_metric_with4(m, "c", "q", NULL, NULL), a);
    /* Missing values read as empty. */
    cr_assert_eq(sg_metric_with4(m, "q", NULL, NULL, NULL), sg_metric_with4(m, "q", "", NULL, NULL));
    cr_assert_null(sg_metric_with(NULL, vals));
    sg_metrics_free(r);
}

Test(metrics_register, series_pointers_survive_table_growth)
{
    sg_metrics_t *r = sg_metrics_new();
    static const char *const one[] = {"k", NULL};
    sg_metric_t *m = sg_metrics_register(r, SG_METRIC_COUNTER, "z_total", "Z.", one, NULL, 0);
    sg_series_t *first = sg_metric_with4(m, "0", NULL, NULL, NULL);
    sg_series_inc(first);
    char v[16];
    for (int i = 1; i < 2000; i++) {
        snprintf(v, sizeof(v), "%d", i);
        sg_series_add(sg_metric_with4(m, v, NULL, NULL, NULL), i);
    }
    cr_assert_eq(sg_metric_with4(m, "0", NULL, NULL, NULL), first);
    cr_assert_eq(sg_series_value(first), 1);
    cr_assert_eq(sg_series_value(sg_metric_with4(m, "1999", NULL, NULL, NULL)), 1999);
    sg_metrics_free(r);
}

Test(metrics_register, series_count_is_bounded)
{
    sg_metrics_t *r = sg_metrics_new();
    static const char *const one[] = {"k", NULL};
    sg_metric_t *m = sg_metrics_register(r, SG_METRIC_COUNTER, "many_total", "M.", one, NULL, 0);
    char v[16];
    for (int i = 0; i < SG_METRICS_SERIES_MAX; i++) {
        snprintf(v, sizeof(v), "%d", i);
        cr_assert_not_null(sg_metric_with4(m, v, NULL, NULL, NULL));
    }
    cr_assert_null(sg_metric_with4(m, "one-too-many", NULL, NULL, NULL));
    cr_assert_not_null(sg_metric_with4(m, "7", NULL, NULL, NULL), "existing series still found");
    sg_series_inc(NULL); /* updates on a refused series are ignored */
    sg_metrics_free(r);
}

Test(metrics_register, default_registry_is_shared)
{
    cr_assert_not_null(sg_metrics_default());
    cr_assert_eq(sg_metrics_default(), sg_metrics_default());
}

Test(metrics_register, updates_respect_type)
{
    sg_metrics_t *r = sg_metrics_new();
    sg_series_t *c = sg_metric_with(sg_metrics_register(r, SG_METRIC_COUNTER, "c_total", "C.", NULL, NULL, 0), NULL);
    sg_series_t *g = sg_metric_with(sg_metrics_register(r, SG_METRIC_GAUGE, "g", "G.", NULL, NULL, 0), NULL);
    sg_series_add(c, -5);
    sg_series_add(c, NAN);
    sg_series_dec(c);
    sg_series_set(c, 100);
    sg_series_add(c, 0.5);
    sg_series_add(c, 2);
    cr_assert_eq(sg_series_value(c), 2.5);
    sg_series_set(g, 10);
    sg_series_add(g, -12.5);
    sg_series_observe(g, 1);
    cr_assert_eq(sg_series_value(g), -2.5);
    sg_metrics_free(r);
}
