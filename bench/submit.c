/* Load generator for the reconcile benchmark: creates StoryTriggers (mode none, unique submission ids) through the
 * embedded API over TLS with libcurl multi, optionally paced to a fixed rate, and reports 201s per second. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <storygate/gostr.h>
#include <storygate/identity.h>

typedef struct {
    CURL *easy;
    char url[512];
    char body[1024];
    long status;
} job_t;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t discard(char *p, size_t size, size_t n, void *u)
{
    (void)p;
    (void)u;
    return size * n;
}

static void usage(void)
{
    fprintf(stderr, "usage: storygate-submit URL NAMESPACE STORY COUNT [RATE_PER_SEC (0 = as fast as possible)] "
                    "[CONCURRENCY] [RUN_ID]\n");
}

int main(int argc, char **argv)
{
    if (argc < 5) {
        usage();
        return 2;
    }
    const char *base = argv[1], *ns = argv[2], *story = argv[3];
    long count = atol(argv[4]);
    double rate = argc > 5 ? atof(argv[5]) : 0;
    long conc = argc > 6 ? atol(argv[6]) : 64;
    const char *run = argc > 7 ? argv[7] : "r";
    if (count <= 0 || conc <= 0) {
        usage();
        return 2;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    CURLM *multi = curl_multi_init();
    curl_multi_setopt(multi, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
    curl_multi_setopt(multi, CURLMOPT_MAX_HOST_CONNECTIONS, 8L);
    struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/json");
    job_t *jobs = calloc((size_t)count, sizeof(*jobs));
    if (jobs == NULL)
        return 1;

    long started = 0, running_n = 0, ok = 0, conflict = 0, other = 0;
    double t0 = now();
    while (ok + conflict + other < count) {
        /* Start what the pace and the concurrency allow. */
        while (started < count && running_n < conc && (rate <= 0 || started < (long)((now() - t0) * rate) + 1)) {
            job_t *j = &jobs[started];
            char sub[128], name[SG_IDENTITY_NAME_MAX + 1];
            snprintf(sub, sizeof(sub), "bench-%s-%ld", run, started);
            sg_identity_trigger_name(name, sg_span_cstr(ns), sg_span_cstr(story), sg_span_cstr(""), sg_span_cstr(sub));
            snprintf(j->url, sizeof(j->url), "%s/apis/runs.bubustack.io/v1alpha1/namespaces/%s/storytriggers", base,
                     ns);
            snprintf(j->body, sizeof(j->body),
                     "{\"apiVersion\":\"runs.bubustack.io/v1alpha1\",\"kind\":\"StoryTrigger\",\"metadata\":{\"name\":"
                     "\"%s\",\"namespace\":\"%s\"},\"spec\":{\"storyRef\":{\"name\":\"%s\"},\"deliveryIdentity\":{"
                     "\"mode\":\"none\",\"submissionId\":\"%s\"},\"inputs\":{\"n\":%ld}}}",
                     name, ns, story, sub, started);
            j->easy = curl_easy_init();
            curl_easy_setopt(j->easy, CURLOPT_URL, j->url);
            curl_easy_setopt(j->easy, CURLOPT_POSTFIELDS, j->body);
            curl_easy_setopt(j->easy, CURLOPT_HTTPHEADER, headers);
            curl_easy_setopt(j->easy, CURLOPT_SSL_VERIFYPEER, 0L); /* loopback with a throwaway certificate */
            curl_easy_setopt(j->easy, CURLOPT_SSL_VERIFYHOST, 0L);
            curl_easy_setopt(j->easy, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_2TLS);
            curl_easy_setopt(j->easy, CURLOPT_PIPEWAIT, 1L);
            curl_easy_setopt(j->easy, CURLOPT_TIMEOUT, 30L);
            curl_easy_setopt(j->easy, CURLOPT_WRITEFUNCTION, discard);
            curl_easy_setopt(j->easy, CURLOPT_PRIVATE, j);
            curl_multi_add_handle(multi, j->easy);
            started++;
            running_n++;
        }
        int still;
        curl_multi_perform(multi, &still);
        CURLMsg *msg;
        int left;
        while ((msg = curl_multi_info_read(multi, &left)) != NULL) {
            if (msg->msg != CURLMSG_DONE)
                continue;
            job_t *j;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&j);
            curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &j->status);
            if (j->status == 201)
                ok++;
            else if (j->status == 409)
                conflict++;
            else
                other++;
            curl_multi_remove_handle(multi, msg->easy_handle);
            curl_easy_cleanup(msg->easy_handle);
            running_n--;
        }
        curl_multi_poll(multi, NULL, 0, rate > 0 ? 1 : 10, NULL);
    }
    double secs = now() - t0;
    printf("SUBMIT_SECONDS %.3f\nSUBMIT_CREATED %ld\nSUBMIT_CONFLICT %ld\nSUBMIT_OTHER %ld\nSUBMIT_RATE %.0f\n", secs, ok,
           conflict, other, (double)ok / secs);
    curl_slist_free_all(headers);
    curl_multi_cleanup(multi);
    free(jobs);
    curl_global_cleanup();
    return other == 0 ? 0 : 1;
}
