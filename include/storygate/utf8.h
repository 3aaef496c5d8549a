/* Text-encoding primitives for the modules that read escaped text or check and repair text they emit: UTF-8
 * well-formedness as RFC 3629 defines it, and hex digits. */
#ifndef STORYGATE_UTF8_H
#define STORYGATE_UTF8_H

#include <stddef.h>

/** Length (1 to 4) of the well-formed UTF-8 sequence at s[0..n), n >= 1 — no overlong forms, surrogates or code
 * points past U+10FFFF — or 0 when there is none. Pure; thread-safe. */
size_t sg_utf8_seq_len(const unsigned char *s, size_t n);

/** The value of the hex digit c (either case), or -1. Inline: the lexers call it once per escaped byte. */
static inline int sg_hex_digit(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

#endif
