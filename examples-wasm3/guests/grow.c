/* grow: the memory grows (and wasm3 moves it) between host calls; every write after a growth
 * comes from the newest pages. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PAGE 65536

int main(void) {
    unsigned long before = __builtin_wasm_memory_size(0);
    printf("grow: start with %lu pages\n", before);
    for (int round = 1; round <= 8; round++) {
        /* Grow by a few pages and put a message on the last page, past the old end. */
        long old = __builtin_wasm_memory_grow(0, 4);
        if (old < 0) {
            printf("grow: memory.grow refused in round %d\n", round);
            return 1;
        }
        unsigned long pages = __builtin_wasm_memory_size(0);
        char *msg = (char *)(pages * PAGE - 64);
        int n = snprintf(msg, 64, "round %d: %lu pages, text at 0x%lx\n", round, pages,
                         (unsigned long)msg);
        /* The host reads it from the new memory: fd_write with the iovec in the new pages. */
        if (write(1, msg, (size_t)n) != n) {
            return 1;
        }
    }
    /* A big allocation via malloc grows the memory too. */
    char *big = malloc(3 * 1024 * 1024);
    if (big == NULL) {
        return 1;
    }
    memset(big, 'x', 3 * 1024 * 1024);
    big[3 * 1024 * 1024 - 2] = '\n';
    big[3 * 1024 * 1024 - 1] = 0;
    printf("grow: malloc'd 3 MiB, now %lu pages; last bytes: %s", (unsigned long)__builtin_wasm_memory_size(0),
           big + 3 * 1024 * 1024 - 6);
    return 0;
}
