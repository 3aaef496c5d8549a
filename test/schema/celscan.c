/* schema module: the lexical scan of CEL expressions for free identifiers (used to reject unknown variables). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include <storygate/schema.h>

TestSuite(schema_celscan);

static int collect(void *ctx, const char *root, size_t rl, const char *f, size_t fl, size_t off)
{
    char *out = ctx;
    (void)off;
    size_t n = strlen(out);
    snprintf(out + n, 512 - n, "%s%.*s%s%.*s", n ? " " : "", (int)rl, root, f ? "." : "", (int)fl, f ? f : "");
    return 0;
}

static const char *scan(const char *src)
{
    static char out[512];
    out[0] = '\0';
    cr_assert_eq(sg_schema_cel_scan(src, strlen(src), collect, out), 0);
    return out;
}

Test(schema_celscan, roots_with_their_first_field)
{
    cr_expect_str_eq(scan("self.a.b > oldSelf.c && variables.x.y == request['k']"),
                     "self.a oldSelf.c variables.x request");
}

Test(schema_celscan, comprehension_variables_are_bound)
{
    cr_expect_str_eq(scan("self.all(x, x > 0) && m.exists(k, v, v == k) && l.map(i, i + z)"), "self m l z");
    cr_expect_str_eq(scan("cel.bind(n, self.a, n + 1)"), "self.a");
}

Test(schema_celscan, literals_functions_and_namespaces_are_not_variables)
{
    cr_expect_str_eq(scan("size(s) + int('1') == 2 && type(x) == string && true != null && 1 in [1] && "
                          "optional.of(1).hasValue() && math.greatest(1, 2) > 0"),
                     "s x");
}

Test(schema_celscan, strings_numbers_and_comments_are_skipped)
{
    cr_expect_str_eq(scan("'a.b' + \"c d\" + r'\\e' + b'f' + '''g\nh''' + x // comment y\n + 1.5e3 + 0x1F + 2u"), "x");
}

Test(schema_celscan, unterminated_input_is_safe)
{
    cr_expect_str_eq(scan("x + 'unterminated"), "x");
    cr_expect_str_eq(scan("`weird"), "");
    cr_expect_str_eq(scan(""), "");
    cr_expect_str_eq(scan("a."), "a");
}
