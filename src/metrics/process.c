/* Process metrics named and computed as client_golang's process collector does on Linux, read from /proc at render
 * time, plus storygate_build_info. */
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "internal.h"

#ifndef SG_VERSION
#define SG_VERSION "unknown"
#endif

static pthread_mutex_t g_proc_lock = PTHREAD_MUTEX_INITIALIZER;

static sg_series_t *plain(sg_metrics_t *r, sg_metric_type_t type, const char *name, const char *help)
{
    return sg_metric_with(sg_metrics_register(r, type, name, help, NULL, NULL, 0), NULL);
}

void sg_metrics_register_process(sg_metrics_t *r)
{
    if (r == NULL)
        return;
    pthread_mutex_lock(&g_proc_lock);
    if (!atomic_load_explicit(&r->process, memory_order_relaxed)) {
        r->proc_cpu = plain(r, SG_METRIC_COUNTER, "process_cpu_seconds_total",
                            "Total user and system CPU time spent in seconds.");
        r->proc_fds = plain(r, SG_METRIC_GAUGE, "process_open_fds", "Number of open file descriptors.");
        r->proc_max_fds = plain(r, SG_METRIC_GAUGE, "process_max_fds", "Maximum number of open file descriptors.");
        r->proc_vsize = plain(r, SG_METRIC_GAUGE, "process_virtual_memory_bytes", "Virtual memory size in bytes.");
        r->proc_rss = plain(r, SG_METRIC_GAUGE, "process_resident_memory_bytes", "Resident memory size in bytes.");
        r->proc_start = plain(r, SG_METRIC_GAUGE, "process_start_time_seconds",
                              "Start time of the process since unix epoch in seconds.");
        static const char *const version_label[] = {"version", NULL};
        static const char *const version_value[] = {SG_VERSION, NULL};
        sg_series_set(sg_metric_with(sg_metrics_register(r, SG_METRIC_GAUGE, "storygate_build_info",
                                                         "A metric with a constant '1' value labeled by the version "
                                                         "from which storygate was built.",
                                                         version_label, NULL, 0),
                                     version_value),
                      1);
        atomic_store_explicit(&r->process, 1, memory_order_release);
    }
    pthread_mutex_unlock(&g_proc_lock);
}

/* Reads a small /proc file whole; returns its length or -1. */
static ssize_t read_small(const char *path, char *buf, size_t size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    size_t len = 0;
    while (len + 1 < size) {
        ssize_t n = read(fd, buf + len, size - 1 - len);
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    close(fd);
    buf[len] = '\0';
    return (ssize_t)len;
}

/* Seconds since the epoch at boot, from the btime line of /proc/stat; 0 when unknown. */
static double boot_time(void)
{
    FILE *fp = fopen("/proc/stat", "re");
    if (fp == NULL)
        return 0;
    char line[256];
    double t = 0;
    while (fgets(line, sizeof(line), fp) != NULL) {
        if (strncmp(line, "btime ", 6) == 0) {
            t = strtod(line + 6, NULL);
            break;
        }
    }
    fclose(fp);
    return t;
}

static double count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (d == NULL)
        return 0;
    double n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n;
}

void sg_metrics__collect_process(sg_metrics_t *r)
{
    char stat[1024];
    long tck = sysconf(_SC_CLK_TCK);
    long page = sysconf(_SC_PAGESIZE);
    if (tck <= 0)
        tck = 100;
    if (read_small("/proc/self/stat", stat, sizeof(stat)) > 0) {
        /* The command name may hold spaces and parentheses; fields resume after the last ')'. */
        char *p = strrchr(stat, ')');
        unsigned long long f[24] = {0};
        if (p != NULL) {
            p++;
            /* fields 3.. : state is field 3; read fields 4..24 as numbers */
            char *save = NULL, *tok = strtok_r(p, " ", &save);
            for (int i = 3; tok != NULL && i <= 24; i++, tok = strtok_r(NULL, " ", &save))
                if (i >= 4)
                    f[i - 1] = strtoull(tok, NULL, 10);
            sg_metrics__series_store(r->proc_cpu, (double)(f[13] + f[14]) / (double)tck);
            sg_metrics__series_store(r->proc_start, boot_time() + (double)f[21] / (double)tck);
            sg_metrics__series_store(r->proc_vsize, (double)f[22]);
            sg_metrics__series_store(r->proc_rss, (double)f[23] * (double)page);
        }
    }
    sg_metrics__series_store(r->proc_fds, count_fds());
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
        sg_metrics__series_store(r->proc_max_fds, (double)rl.rlim_cur);
}
