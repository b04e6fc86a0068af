/* bench: many fd_write calls with several iovecs each (run with stdout to /dev/null). */
#include <stdlib.h>
#include <wasi/api.h>

int main(int argc, char **argv) {
    int rounds = argc > 1 ? atoi(argv[1]) : 200000;
    static const char a[] = "guestmem ", b[] = "on wasm3: ", c[] = "fd_write ", d[] = "with four iovecs\n";
    __wasi_ciovec_t iov[4] = {
        {(const uint8_t *)a, sizeof a - 1},
        {(const uint8_t *)b, sizeof b - 1},
        {(const uint8_t *)c, sizeof c - 1},
        {(const uint8_t *)d, sizeof d - 1},
    };
    __wasi_size_t expected = sizeof a + sizeof b + sizeof c + sizeof d - 4;
    for (int i = 0; i < rounds; i++) {
        __wasi_size_t n = 0;
        if (__wasi_fd_write(1, iov, 4, &n) != 0 || n != expected) {
            return 1;
        }
    }
    return 0;
}
