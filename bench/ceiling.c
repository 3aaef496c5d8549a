/* The transport ceiling for `make bench`: storygate's own HTTPS server (same TLS, threads and routing) with a route
 * that answers a fixed AdmissionReview without reading the body, so /validate can be compared against it. Two more
 * routes give the same answer after the first steps of a review only, so the bench shows what each step costs
 * against the ceiling: /ceiling/tokenize runs yajl over the body with no callbacks (the floor of any yajl-based
 * review), /ceiling/tree builds the JSON tree every review starts from. */
#include <stdio.h>
#include <string.h>

#include <yajl/yajl_parse.h>

#include <storygate/config.h>
#include <storygate/http.h>
#include <storygate/json.h>
#include <storygate/log.h>

static const char fixed_review[] =
    "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"response\":{\"uid\":"
    "\"705ab4f5-6393-11e8-b7cc-42010a800002\",\"allowed\":true,\"status\":{\"metadata\":{},\"code\":200}}}";

static int on_ceiling(h2o_req_t *req, sg_http_thread_t *thr, void *data)
{
    sg_http_send(req, 200, "application/json", fixed_review, sizeof(fixed_review) - 1);
    return 0;
}

static int on_tokenize(h2o_req_t *req, sg_http_thread_t *thr, void *data)
{
    static const yajl_callbacks none;
    yajl_handle h = yajl_alloc(&none, NULL, NULL);
    int ok = h != NULL && yajl_parse(h, (const unsigned char *)req->entity.base, req->entity.len) == yajl_status_ok &&
             yajl_complete_parse(h) == yajl_status_ok;
    if (h != NULL)
        yajl_free(h);
    if (!ok) {
        sg_http_send(req, 400, "text/plain", "not JSON\n", 9);
        return 0;
    }
    return on_ceiling(req, thr, data);
}

static int on_tree(h2o_req_t *req, sg_http_thread_t *thr, void *data)
{
    sg_json_t *root = NULL;
    sg_json_parse_opts_t opts = SG_JSON_PARSE_OPTS_INIT;
    if (sg_json_parse(&root, sg_http_thread_arena(thr), req->entity.base, req->entity.len, &opts, NULL) < 0) {
        sg_http_send(req, 400, "text/plain", "not JSON\n", 9);
        return 0;
    }
    return on_ceiling(req, thr, data);
}

int main(int argc, char **argv)
{
    sg_config_t cfg;
    sg_config_init(&cfg);
    sg_error_t err = SG_ERROR_INIT;
    sg_http_server_t *server = NULL;
    int status = 1;
    /* Arguments are KEY=VALUE config settings, exactly as `storygate serve --set` takes them. */
    for (int i = 1; i < argc; i++) {
        char *eq = strchr(argv[i], '=');
        if (eq == NULL) {
            fprintf(stderr, "usage: %s KEY=VALUE... (config keys, e.g. listen=127.0.0.1:9443)\n", argv[0]);
            goto done;
        }
        *eq = '\0';
        if (sg_config_set(&cfg, argv[i], eq + 1, &err) < 0) {
            fprintf(stderr, "ceiling: %s\n", err.message);
            goto done;
        }
    }
    if (sg_config_validate(&cfg, &err) < 0 || sg_http_server_new(&server, &cfg, NULL, &err) < 0 ||
        sg_http_route_add(server, "POST", "/ceiling", SG_HTTP_EXACT, on_ceiling, NULL) < 0 ||
        sg_http_route_add(server, "POST", "/ceiling/tokenize", SG_HTTP_EXACT, on_tokenize, NULL) < 0 ||
        sg_http_route_add(server, "POST", "/ceiling/tree", SG_HTTP_EXACT, on_tree, NULL) < 0 ||
        sg_http_server_listen(server, &err) < 0 || sg_http_server_run(server, &err) < 0) {
        fprintf(stderr, "ceiling: %s\n", err.message);
        goto done;
    }
    status = 0;
done:
    sg_http_server_free(server);
    sg_config_dispose(&cfg);
    return status;
}
