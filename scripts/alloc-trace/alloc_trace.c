// alloc_trace.c: an LD_PRELOAD census of the native heap at the peak of one window (a diagnosis tool for the memory
// probe: scripts/alloc-trace/trace-step.sh). Every malloc/calloc/realloc/memalign/posix_memalign/aligned_alloc/free of
// the process goes through glibc's own allocator (__libc_*), so allocation behaviour (the mmap threshold included) is
// unchanged; the tool only records. Guarantees: between at_begin() and at_end(path) it logs every allocation and free
// with its size and the label current at allocation (at_label(name), set by the program: the training phase); at_end
// replays the log, finds the moment the bytes allocated since at_begin (minus those freed) were highest, and writes
// to `path` the blocks alive at that moment, grouped by (label, size): count and bytes, largest first, plus the blocks
// allocated before the window that were freed by then (negative). With ALLOC_TRACE_AT_END=1: the blocks alive at at_end. Block sizes are requested sizes, not glibc's chunks.
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
extern void __libc_free(void *);

#define TABLE_BITS 22
#define TABLE_SIZE (1u << TABLE_BITS)
#define MAX_LABELS 64

typedef struct { uintptr_t ptr; uint64_t size; int32_t label; int32_t in_window; } Slot;
typedef struct { uintptr_t ptr; int64_t size; int32_t label; int32_t kind; } Event;   // kind 1 alloc, 0 free

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static Slot *table;                 // open addressing, ptr 0 = empty, 1 = tombstone
static Event *events;
static size_t n_events, cap_events;
static int recording, current_label;
static char labels[MAX_LABELS][48];
static int n_labels = 1;            // 0 = "(none)"
static __thread int busy __attribute__((tls_model("initial-exec")));   // re-entrancy guard of this thread

static uint32_t slot_of(uintptr_t p) { return (uint32_t)((p >> 4) * 2654435761u) & (TABLE_SIZE - 1); }

static void put(uintptr_t p, uint64_t size, int label, int in_window)
{
    if (!table) table = __libc_calloc(TABLE_SIZE, sizeof(Slot));
    if (!table) return;
    for (uint32_t i = slot_of(p);; i = (i + 1) & (TABLE_SIZE - 1))
        if (table[i].ptr <= 1) { table[i] = (Slot){p, size, label, in_window}; return; }
}

static int take(uintptr_t p, Slot *out)
{
    if (!table) return 0;
    for (uint32_t i = slot_of(p);; i = (i + 1) & (TABLE_SIZE - 1))
    {
        if (table[i].ptr == 0) return 0;
        if (table[i].ptr == p) { *out = table[i]; table[i].ptr = 1; return 1; }
    }
}

static void log_event(uintptr_t p, int64_t size, int label, int kind)
{
    if (n_events == cap_events)
    {
        size_t cap = cap_events ? cap_events * 2 : (1u << 20);
        Event *e = __libc_realloc(events, cap * sizeof(Event));
        if (!e) return;
        events = e;
        cap_events = cap;
    }
    events[n_events++] = (Event){p, size, label, kind};
}

static void on_alloc(void *p, size_t size)
{
    if (!p || busy) return;
    busy = 1;
    pthread_mutex_lock(&lock);
    put((uintptr_t)p, size, current_label, recording);
    if (recording) log_event((uintptr_t)p, (int64_t)size, current_label, 1);
    pthread_mutex_unlock(&lock);
    busy = 0;
}

static void on_free(void *p)
{
    if (!p || busy) return;
    busy = 1;
    pthread_mutex_lock(&lock);
    Slot s;
    if (take((uintptr_t)p, &s) && recording) log_event((uintptr_t)p, (int64_t)s.size, s.in_window ? s.label : -1 - s.label, 0);
    pthread_mutex_unlock(&lock);
    busy = 0;
}

void *malloc(size_t n) { void *p = __libc_malloc(n); on_alloc(p, n); return p; }
void *calloc(size_t a, size_t b) { void *p = __libc_calloc(a, b); on_alloc(p, a * b); return p; }
void free(void *p) { on_free(p); __libc_free(p); }
void *realloc(void *old, size_t n)
{
    on_free(old);
    void *p = __libc_realloc(old, n);
    on_alloc(p, n);
    return p;
}
void *memalign(size_t a, size_t n) { void *p = __libc_memalign(a, n); on_alloc(p, n); return p; }
void *aligned_alloc(size_t a, size_t n) { return memalign(a, n); }
int posix_memalign(void **out, size_t a, size_t n)
{
    void *p = memalign(a, n);
    if (!p) return 12;   // ENOMEM
    *out = p;
    return 0;
}

/// Sets the label of the allocations that follow (copied; at most MAX_LABELS distinct names).
void at_label(const char *name)
{
    pthread_mutex_lock(&lock);
    int found = 0;
    for (int i = 1; i < n_labels; i++) if (strcmp(labels[i], name) == 0) { found = i; break; }
    if (!found && n_labels < MAX_LABELS)
    {
        strncpy(labels[n_labels], name, sizeof labels[0] - 1);
        found = n_labels++;
    }
    current_label = found;
    pthread_mutex_unlock(&lock);
}

void at_begin(void)
{
    pthread_mutex_lock(&lock);
    n_events = 0;
    recording = 1;
    pthread_mutex_unlock(&lock);
}

typedef struct { int label; int64_t size; int64_t count; } Group;

static int by_bytes(const void *a, const void *b)
{
    const Group *x = a, *y = b;
    int64_t bx = x->size * x->count, by = y->size * y->count;
    return bx < by ? 1 : bx > by ? -1 : 0;
}

static const char *name_of(int label) { return label >= 0 && label < n_labels ? (label == 0 ? "(none)" : labels[label]) : "?"; }

/// Ends the window and writes the census of its peak to `path`.
void at_end(const char *path)
{
    busy = 1;
    pthread_mutex_lock(&lock);
    recording = 0;
    int64_t run = 0, peak = 0;
    size_t at = 0;
    const char *at_end_only = getenv("ALLOC_TRACE_AT_END");   // census of the window's end instead of its peak
    for (size_t i = 0; i < n_events; i++)
    {
        run += events[i].kind ? events[i].size : -events[i].size;
        if (run > peak || (at_end_only && *at_end_only)) { peak = run; at = i + 1; }
    }
    // The blocks alive at the peak: allocations in events[0, at) not freed before `at` (matched by pointer), and the
    // frees of older blocks before `at`.
    size_t n_groups = 0, cap_groups = 1024;
    Group *groups = __libc_malloc(cap_groups * sizeof(Group));
    uint8_t *freed = __libc_calloc(at ? at : 1, 1);
    // Mark, for each alloc, whether a free of the same pointer follows before `at` (scan backwards with a set of freed ptrs).
    Slot *set = __libc_calloc(TABLE_SIZE, sizeof(Slot));
    for (size_t j = at; j-- > 0;)
    {
        uintptr_t p = events[j].ptr;
        uint32_t i = slot_of(p);
        while (set[i].ptr != 0 && set[i].ptr != p) i = (i + 1) & (TABLE_SIZE - 1);
        if (events[j].kind == 0) { set[i].ptr = p; set[i].size = 1; }
        else if (set[i].ptr == p && set[i].size == 1) { freed[j] = 1; set[i].size = 0; }
    }
    for (size_t j = 0; j < at; j++)
    {
        if (events[j].kind == 1 && freed[j]) continue;
        if (events[j].kind == 0 && events[j].label >= 0) continue;   // a block of the window, counted by its alloc
        int label = events[j].label;   // negative: an older block freed
        int64_t size = events[j].kind ? events[j].size : -events[j].size;
        size_t g = 0;
        for (; g < n_groups; g++) if (groups[g].label == label && groups[g].size == size) break;
        if (g == n_groups)
        {
            if (n_groups == cap_groups) groups = __libc_realloc(groups, (cap_groups *= 2) * sizeof(Group));
            groups[n_groups++] = (Group){label, size, 0};
        }
        groups[g].count++;
    }
    qsort(groups, n_groups, sizeof(Group), by_bytes);
    FILE *f = fopen(path, "w");
    if (f)
    {
        fprintf(f, "# peak %lld bytes above the window's start, at event %zu of %zu\n", (long long)peak, at, n_events);
        fprintf(f, "label\tbytes_each\tcount\tbytes\n");
        for (size_t g = 0; g < n_groups; g++)
        {
            int label = groups[g].label;
            char name[64];
            if (label >= 0) snprintf(name, sizeof name, "%s", name_of(label));
            else snprintf(name, sizeof name, "older:%s", name_of(-1 - label));
            fprintf(f, "%s\t%lld\t%lld\t%lld\n", name, (long long)groups[g].size, (long long)groups[g].count,
                (long long)(groups[g].size * groups[g].count));
        }
        fclose(f);
    }
    __libc_free(set);
    __libc_free(freed);
    __libc_free(groups);
    pthread_mutex_unlock(&lock);
    busy = 0;
}
