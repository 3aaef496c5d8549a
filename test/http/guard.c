/* http module: the HTTP/2 frame tap's RST_STREAM count over complete frames only. */
#include <criterion/criterion.h>
#include <string.h>

#include "../../src/http/internal.h"

/* Appends one frame header of `type` with a payload of `len` zero bytes; returns the new length. */
static size_t put_frame(uint8_t *buf, size_t at, uint8_t type, size_t len)
{
    buf[at] = (uint8_t)(len >> 16);
    buf[at + 1] = (uint8_t)(len >> 8);
    buf[at + 2] = (uint8_t)len;
    buf[at + 3] = type;
    memset(buf + at + 4, 0, 5 + len);
    return at + 9 + len;
}

Test(http_guard, counts_rst_stream_frames_among_others)
{
    uint8_t buf[256];
    size_t n = 0;
    n = put_frame(buf, n, 1, 20); /* HEADERS */
    n = put_frame(buf, n, 3, 4);  /* RST_STREAM */
    n = put_frame(buf, n, 0, 10); /* DATA */
    n = put_frame(buf, n, 3, 4);
    n = put_frame(buf, n, 6, 8); /* PING */
    cr_assert_eq(sg_http__count_resets(buf, n), 2);
}

Test(http_guard, ignores_a_trailing_partial_frame)
{
    uint8_t buf[64];
    size_t n = put_frame(buf, 0, 3, 4);
    n = put_frame(buf, n, 3, 4);
    cr_assert_eq(sg_http__count_resets(buf, n - 1), 1, "the second frame is one byte short");
    cr_assert_eq(sg_http__count_resets(buf, 12), 0, "a header without all of its payload does not count");
    cr_assert_eq(sg_http__count_resets(buf, 5), 0, "half a frame header");
    cr_assert_eq(sg_http__count_resets(buf, 0), 0);
}

Test(http_guard, a_huge_declared_length_does_not_overrun)
{
    uint8_t buf[32];
    size_t n = put_frame(buf, 0, 3, 4);
    buf[n] = 0xff, buf[n + 1] = 0xff, buf[n + 2] = 0xff, buf[n + 3] = 3;
    memset(buf + n + 4, 0, 5);
    cr_assert_eq(sg_http__count_resets(buf, n + 9), 1);
}
