/* The floor: the least a wrapper can do — set DOCKER_HOST and exec the
 * client. Static, with host and client compiled in (-DHOST=… -DCLIENT=…),
 * so its cost over the stub alone is one exec. */
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv) {
    (void)argc;
    setenv("DOCKER_HOST", HOST, 1);
    argv[0] = CLIENT;
    execv(CLIENT, argv);
    return 127;
}
