/* UTF-8 well-formedness as RFC 3629 defines it, for the modules that check or repair text they emit. */
#ifndef STORYGATE_UTF8_H
#define STORYGATE_UTF8_H

#include <stddef.h>

/** Length (1 to 4) of the well-formed UTF-8 sequence at s[0..n), n >= 1 — no overlong forms, surrogates or code
 * points past U+10FFFF — or 0 when there is none. Pure; thread-safe. */
size_t sg_utf8_seq_len(const unsigned char *s, size_t n);

#endif
