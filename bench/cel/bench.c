/* CEL benchmark: parse+compile time and ns per evaluation of the rules in rules.txt over storytrigger.json bound as
 * `object`. Each figure is the median of several runs of at least 0.5 s of CPU time: the process's CPU clock leaves out
 * the time other load on a shared machine takes the CPU away (peer.mjs does the same, so its garbage collection is
 * counted, preemption is not). Prints one JSON object per rule.
 * Usage: bench_cel DIR   (DIR holds rules.txt and storytrigger.json) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <storygate/cel.h>
#include <storygate/json.h>

#define RUNS 5
#define MIN_RUN_NS 500000000.0

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    char *buf = malloc(1 << 20);
    *len = buf != NULL ? fread(buf, 1, (1 << 20) - 1, f) : 0;
    fclose(f);
    if (buf != NULL)
        buf[*len] = 0;
    return buf;
}

static volatile int sink;

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : ".";
    char path[4096];
    size_t doc_len, rules_len;
    snprintf(path, sizeof(path), "%s/storytrigger.json", dir);
    char *doc = slurp(path, &doc_len);
    snprintf(path, sizeof(path), "%s/rules.txt", dir);
    char *rules = slurp(path, &rules_len);
    if (doc == NULL || rules == NULL) {
        fprintf(stderr, "bench_cel: cannot read %s/{storytrigger.json,rules.txt}\n", dir);
        return 2;
    }
    sg_arena_t doc_arena, scratch;
    sg_arena_init(&doc_arena, 0);
    sg_arena_init(&scratch, 0);
    sg_json_t *root = NULL;
    sg_error_t err = SG_ERROR_INIT;
    if (sg_json_parse(&root, &doc_arena, doc, doc_len, NULL, &err) < 0) {
        fprintf(stderr, "bench_cel: storytrigger.json: %s\n", err.message);
        return 2;
    }
    sg_cel_var_t var = {"object", sg_cel_value_from_json(root)};
    int rule_no = 0;
    for (char *line = strtok(rules, "\n"); line != NULL; line = strtok(NULL, "\n")) {
        if (*line == 0 || *line == '#')
            continue;
        rule_no++;
        size_t len = strlen(line);
        sg_cel_program_t *p = NULL;
        /* parse + compile */
        double compile_runs[RUNS];
        for (int r = 0; r < RUNS; r++) {
            long iters = 0;
            double t0 = now_ns(), t1;
            do {
                for (int k = 0; k < 100; k++) {
                    sg_cel_program_free(p);
                    if (sg_cel_compile(&p, line, len, NULL, &err) < 0) {
                        fprintf(stderr, "bench_cel: rule %d: %s\n", rule_no, err.message);
                        return 1;
                    }
                }
                iters += 100;
                t1 = now_ns();
            } while (t1 - t0 < MIN_RUN_NS / 5);
            compile_runs[r] = (t1 - t0) / (double)iters;
        }
        /* evaluation */
        sg_cel_value_t v;
        if (sg_cel_eval(&v, p, &var, 1, &scratch, &err) < 0 || v.kind != SG_CEL_BOOL) {
            fprintf(stderr, "bench_cel: rule %d did not evaluate to a bool: %s\n", rule_no, err.message);
            return 1;
        }
        int expect = v.u.b;
        double eval_runs[RUNS];
        for (int r = 0; r < RUNS; r++) {
            long iters = 0;
            double t0 = now_ns(), t1;
            do {
                for (int k = 0; k < 10000; k++) {
                    sg_arena_reset(&scratch);
                    sg_cel_eval(&v, p, &var, 1, &scratch, NULL);
                    sink += v.u.b;
                }
                iters += 10000;
                t1 = now_ns();
            } while (t1 - t0 < MIN_RUN_NS);
            eval_runs[r] = (t1 - t0) / (double)iters;
        }
        qsort(compile_runs, RUNS, sizeof(double), cmp_double);
        qsort(eval_runs, RUNS, sizeof(double), cmp_double);
        printf("{\"rule\":%d,\"result\":%s,\"compile_ns\":%.0f,\"eval_ns\":%.1f}\n", rule_no, expect ? "true" : "false",
               compile_runs[RUNS / 2], eval_runs[RUNS / 2]);
        fflush(stdout);
        sg_cel_program_free(p);
    }
    sg_arena_dispose(&scratch);
    sg_arena_dispose(&doc_arena);
    free(doc);
    free(rules);
    return 0;
}
