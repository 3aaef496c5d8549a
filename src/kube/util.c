/* Small helpers of the kube module: clocks, sleeps that notice a stop flag, jittered backoff, resourceVersions and
 * query escaping. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/rand.h>

#include "internal.h"

int64_t sg_kube__now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void sg_kube__sleep(int ms, const volatile int *stop)
{
    while (ms > 0 && (stop == NULL || !*stop)) {
        int step = ms < 50 ? ms : 50;
        struct timespec ts = {step / 1000, (long)(step % 1000) * 1000000L};
        nanosleep(&ts, NULL);
        ms -= step;
    }
}

int sg_kube__backoff_ms(int base, int max, int attempt)
{
    int64_t d = base;
    for (int i = 0; i < attempt && d < max; i++)
        d *= 2;
    if (d > max)
        d = max;
    unsigned r = 0;
    if (RAND_bytes((unsigned char *)&r, sizeof(r)) != 1)
        r = (unsigned)rand();
    /* Jitter in [0.5, 1.0] of the delay spreads out replicas that failed together. */
    return (int)(d / 2 + (int64_t)(r % 1000) * (d - d / 2) / 1000);
}

uint64_t sg_kube__parse_rv(const sg_json_t *v)
{
    size_t n;
    const char *s = sg_json_string(v, &n);
    if (s == NULL || n == 0 || n > 20)
        return 0;
    uint64_t r = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        uint64_t d = (uint64_t)(s[i] - '0');
        if (r > (UINT64_MAX - d) / 10)
            return 0;
        r = r * 10 + d;
    }
    return r;
}

int sg_kube__query_escape(sg_buf_t *out, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (; *s != '\0'; s++) {
        unsigned char ch = (unsigned char)*s;
        if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-' ||
            ch == '_' || ch == '.' || ch == '~') {
            if (sg_buf_putc(out, (char)ch) != 0)
                return SG_ENOMEM;
        } else {
            char e[3] = {'%', hex[ch >> 4], hex[ch & 15]};
            if (sg_buf_append(out, e, 3) != 0)
                return SG_ENOMEM;
        }
    }
    return SG_OK;
}

int sg_kube__append_trimmed(sg_buf_t *out, const char *s, size_t len)
{
    while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == '\r' || s[len - 1] == ' ' || s[len - 1] == '\t'))
        len--;
    return sg_buf_append(out, s, len) == 0 ? SG_OK : SG_ENOMEM;
}
