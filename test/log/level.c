/* Tests for log levels: filtering, parsing and names. */
#include <criterion/criterion.h>
#include <string.h>

#include <storygate/log.h>

#include "capture.h"

static size_t count_lines(const sg_buf_t *b)
{
    size_t n = 0;
    for (size_t i = 0; i < b->len; i++)
        n += b->base[i] == '\n';
    return n;
}

Test(log_level, default_is_info_and_debug_is_dropped)
{
    cr_assert_eq(sg_log_get_level(), SG_LOG_INFO);
    capture_start();
    sg_log_debug("hidden", NULL);
    sg_logf(SG_LOG_DEBUG, "hidden %d", 1);
    sg_log_info("shown", NULL);
    sg_log_warn("shown", NULL);
    sg_log_error("shown", NULL);
    sg_buf_t b = capture_stop();
    cr_assert_eq(count_lines(&b), 3, "%s", b.base);
    cr_assert_null(strstr(b.base, "hidden"));
    sg_buf_dispose(&b);
}

Test(log_level, set_level_changes_the_filter)
{
    sg_log_set_level(SG_LOG_ERROR);
    cr_assert_not(sg_log_enabled(SG_LOG_WARN));
    cr_assert(sg_log_enabled(SG_LOG_ERROR));
    capture_start();
    sg_log_warn("hidden", NULL);
    sg_log_error("shown", NULL);
    sg_log_set_level(SG_LOG_DEBUG);
    sg_log_debug("shown", NULL);
    sg_buf_t b = capture_stop();
    cr_assert_eq(count_lines(&b), 2, "%s", b.base);
    cr_assert_not_null(strstr(b.base, "\"level\":\"debug\""));
    cr_assert_null(strstr(b.base, "hidden"));
    sg_buf_dispose(&b);
}

Test(log_level, parse_accepts_names_case_insensitively)
{
    struct {
        const char *name;
        sg_log_level_t want;
    } cases[] = {{"debug", SG_LOG_DEBUG},
                 {"INFO", SG_LOG_INFO},
                 {"warn", SG_LOG_WARN},
                 {"Warning", SG_LOG_WARN},
                 {"error", SG_LOG_ERROR}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        sg_log_level_t l = (sg_log_level_t)-1;
        cr_assert_eq(sg_log_parse_level(&l, cases[i].name, NULL), SG_OK, "%s", cases[i].name);
        cr_assert_eq(l, cases[i].want, "%s", cases[i].name);
    }
}

Test(log_level, parse_rejects_unknown_names)
{
    const char *bad[] = {"", "verbose", "info ", "err", "5"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        sg_log_level_t l = SG_LOG_ERROR;
        sg_error_t err = SG_ERROR_INIT;
        cr_assert_eq(sg_log_parse_level(&l, bad[i], &err), SG_EINVALID, "%s", bad[i]);
        cr_assert_eq(l, SG_LOG_ERROR, "output untouched on failure");
        cr_assert_not_null(strstr(err.message, "log level"));
    }
    sg_log_level_t l;
    cr_assert_eq(sg_log_parse_level(&l, NULL, NULL), SG_EINVALID);
}

Test(log_level, names_round_trip)
{
    for (int i = SG_LOG_DEBUG; i <= SG_LOG_ERROR; i++) {
        sg_log_level_t l;
        cr_assert_eq(sg_log_parse_level(&l, sg_log_level_name((sg_log_level_t)i), NULL), SG_OK);
        cr_assert_eq((int)l, i);
    }
    cr_assert_str_eq(sg_log_level_name((sg_log_level_t)9), "unknown");
}
