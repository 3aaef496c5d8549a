/* A test double of the kube-apiserver's REST subset, run in-process on 127.0.0.1 over TLS with a throwaway
 * self-signed certificate: CRUD with resourceVersions, the status subresource, Status error bodies, chunked watch
 * streams with bookmarks and 410 Gone, Leases, bearer-token checks and injected failures. */
#ifndef SG_TEST_KUBE_FAKEAPI_H
#define SG_TEST_KUBE_FAKEAPI_H

#include <stddef.h>
#include <stdint.h>

typedef struct st_fakeapi_t fakeapi_t;

/** Starts the server on 127.0.0.1 (a free port). NULL on failure. */
fakeapi_t *fakeapi_start(void);
/** Stops the server, closes every connection and frees it. */
void fakeapi_stop(fakeapi_t *f);
/** "https://127.0.0.1:<port>". */
const char *fakeapi_url(fakeapi_t *f);
/** The server certificate as PEM (it is its own CA). */
const char *fakeapi_ca_pem(fakeapi_t *f, size_t *len);
/** A fresh client certificate and key (PEM, heap strings) with the given common name. */
int fakeapi_client_cert(char **cert_pem, char **key_pem, const char *cn);

/** Accepts `token` as a bearer token. While no token was ever allowed, any request is accepted. */
void fakeapi_allow_token(fakeapi_t *f, const char *token);
/** Stops accepting `token` (requests with it get 401). */
void fakeapi_deny_token(fakeapi_t *f, const char *token);
/** The bearer token of the last request (or "" / the client certificate CN as "cn:<name>"), copied to `out`. */
void fakeapi_last_auth(fakeapi_t *f, char *out, size_t cap);

/** The next `count` requests with `method` ("WATCH" for watch requests; NULL = any) answer `status` with a Status body
 * and, when retry_after >= 0, a Retry-After header. */
void fakeapi_inject(fakeapi_t *f, const char *method, int status, int retry_after, int count);
/** Requests whose path contains `needle` answer 403 Forbidden until fakeapi_forbid(f, NULL) (RBAC without a
 * resource). */
void fakeapi_forbid(fakeapi_t *f, const char *needle);
/** Cancels every pending injected failure. */
void fakeapi_clear_injections(fakeapi_t *f);
/** The next `count` PUTs are preceded by a concurrent write to the same object (so a stale resourceVersion gets
 * 409 Conflict). */
void fakeapi_inject_conflicts(fakeapi_t *f, int count);
/** Forgets the event history: watches from an older resourceVersion get 410 Gone. */
void fakeapi_compact(fakeapi_t *f);
/** Breaks every open watch stream (the connection is closed mid-stream). */
void fakeapi_drop_watches(fakeapi_t *f);
/** Requests seen whose method equals `method` (NULL = any) and whose path contains `needle` (NULL = any). */
int fakeapi_count(fakeapi_t *f, const char *method, const char *needle);
/** Watch requests currently streaming. */
int fakeapi_open_watches(fakeapi_t *f);
/** The current resourceVersion. */
uint64_t fakeapi_rv(fakeapi_t *f);

#endif
