/* Tests for the base module: arena allocation, buffers and errors. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <storygate/arena.h>
#include <storygate/buf.h>
#include <storygate/error.h>

Test(base_arena, allocations_are_aligned_and_distinct)
{
    sg_arena_t a;
    sg_arena_init(&a, 64);
    char *p = sg_arena_alloc(&a, 3), *q = sg_arena_alloc(&a, 100), *r = sg_arena_alloc(&a, 1);
    cr_assert(p && q && r);
    cr_assert_eq((uintptr_t)p % 16, 0);
    cr_assert_eq((uintptr_t)q % 16, 0);
    cr_assert_neq(p, r);
    memset(q, 'x', 100);
    cr_assert_eq(sg_arena_used(&a), 16 + 112 + 16);
    sg_arena_dispose(&a);
}

Test(base_arena, limit_refuses_allocation)
{
    sg_arena_t a;
    sg_arena_init(&a, 0);
    a.limit = 64;
    cr_assert_not_null(sg_arena_alloc(&a, 48));
    cr_assert_null(sg_arena_alloc(&a, 32));
    sg_arena_dispose(&a);
}

Test(base_arena, reset_reuses_memory_and_printf_formats)
{
    sg_arena_t a;
    sg_arena_init(&a, 0);
    for (int i = 0; i < 3; i++) {
        char *s = sg_arena_printf(&a, "%s-%d", "x", i);
        cr_assert_str_eq(s, i == 0 ? "x-0" : i == 1 ? "x-1" : "x-2");
        sg_arena_reset(&a);
        cr_assert_eq(sg_arena_used(&a), 0);
    }
    sg_arena_dispose(&a);
}

Test(base_buf, grows_and_detaches)
{
    sg_buf_t b;
    sg_buf_init(&b);
    for (int i = 0; i < 1000; i++)
        cr_assert_eq(sg_buf_printf(&b, "%04d", i), 0);
    cr_assert_eq(b.len, 4000);
    cr_assert_eq(memcmp(b.base + 3996, "0999", 4), 0);
    size_t len;
    char *p = sg_buf_detach(&b, &len);
    cr_assert_eq(len, 4000);
    cr_assert_eq(b.base, NULL);
    free(p);
}

Test(base_error, wrap_prefixes_and_keeps_code)
{
    sg_error_t e = SG_ERROR_INIT;
    cr_assert_eq(sg_error_set(&e, SG_EINVALID, "bad %s", "thing"), SG_EINVALID);
    sg_error_wrap(&e, "decode %s", "inputs");
    cr_assert_str_eq(e.message, "decode inputs: bad thing");
    cr_assert_eq(e.code, SG_EINVALID);
    cr_assert_str_eq(sg_error_name(SG_ENOTFOUND), "not found");
}
