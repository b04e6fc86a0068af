/* bulk: built with -mbulk-memory, so its memset/memcpy become memory.fill/memory.copy, which
 * wasm3 0.4.7 cannot compile (undefined behaviour: a segfault in a dev build). The host's
 * pre-validation must reject it before wasm3 sees it. */
typedef __SIZE_TYPE__ size_t;

__attribute__((export_name("fill"))) void fill(char *dst, int c, size_t n) {
    __builtin_memset(dst, c, n);
}

__attribute__((export_name("copy"))) void copy(char *dst, const char *src, size_t n) {
    __builtin_memcpy(dst, src, n);
}

__attribute__((export_name("_start"))) void start(void) {
    static char a[256], b[256];
    fill(a, 'x', sizeof a);
    copy(b, a, sizeof b);
}
