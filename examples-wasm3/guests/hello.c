/* hello: arguments, environment and stdout through WASI. */
#include <stdio.h>
#include <stdlib.h>

extern char **environ;

int main(int argc, char **argv) {
    printf("hello from a wasm3 guest: %d argument(s)\n", argc);
    for (int i = 0; i < argc; i++) {
        printf("argv[%d] = %s\n", i, argv[i]);
    }
    for (char **e = environ; *e != NULL; e++) {
        printf("env: %s\n", *e);
    }
    const char *code = getenv("EXIT_CODE");
    return code ? atoi(code) : 0;
}
