/* Private parts of the identity module: digests over spans and the generated printable-rune table. */
#ifndef STORYGATE_IDENTITY_INTERNAL_H
#define STORYGATE_IDENTITY_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <storygate/buf.h>
#include <storygate/gostr.h>

enum { SG_IDENTITY__SHA1, SG_IDENTITY__SHA256 };

/** Digest of the concatenation of `parts` into `out` (20 or 32 bytes); returns the digest length or -1. */
int sg_identity__digest(int which, unsigned char *out, const sg_span_t *parts, size_t nparts);

/** This thread's scratch buffer (contents undefined; reset before use), or NULL when out of memory. */
sg_buf_t *sg_identity__scratch(void);

/** Lowercase hex of `bytes[0..n)` plus a NUL into `out` (2n+1 bytes). */
void sg_identity__hex(char *out, const unsigned char *bytes, size_t n);

/** 1 when `cp` is in Go's strconv.IsPrint set (generated table, goprint.c). */
int sg_identity__is_print(uint32_t cp);

#endif
