/* trap: prints a line, then executes `unreachable`: the host reports the trap and exits 70. */
#include <stdio.h>

int main(void) {
    printf("trap: about to execute unreachable\n");
    fflush(stdout);
    __builtin_trap();
}
