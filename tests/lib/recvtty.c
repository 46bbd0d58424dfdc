/* recvtty: the receiving end of an OCI console socket, for tests.
 *
 *   recvtty SOCKET [INPUT]
 *
 * Listens on SOCKET, accepts one connection, receives the pty master the
 * runtime sends with SCM_RIGHTS, writes INPUT (if given) to it, then copies
 * everything the container writes to stdout until the pty closes.  Exits 0
 * after the copy, 1 on errors.  It stops by itself: the wait for a
 * connection and for output is bounded (30 s).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int receive_fd(int conn)
{
    char byte;
    struct iovec iov = {.iov_base = &byte, .iov_len = 1};
    union {
        struct cmsghdr h;
        char buf[CMSG_SPACE(sizeof(int))];
    } u;
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1,
                         .msg_control = u.buf, .msg_controllen = sizeof(u.buf)};
    if (recvmsg(conn, &msg, MSG_CMSG_CLOEXEC) < 0)
        return -1;
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    if (c == NULL || c->cmsg_type != SCM_RIGHTS)
        return -1;
    int fd;
    memcpy(&fd, CMSG_DATA(c), sizeof(fd));
    return fd;
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3) {
        fputs("usage: recvtty SOCKET [INPUT]\n", stderr);
        return 2;
    }
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(a.sun_path, sizeof(a.sun_path), "%s", argv[1]);
    if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(s, 1) < 0) {
        perror("recvtty: listen");
        return 1;
    }
    struct pollfd p = {.fd = s, .events = POLLIN};
    if (poll(&p, 1, 30000) != 1) {
        fputs("recvtty: no connection\n", stderr);
        return 1;
    }
    int conn = accept4(s, NULL, NULL, SOCK_CLOEXEC);
    int master = conn < 0 ? -1 : receive_fd(conn);
    if (master < 0) {
        perror("recvtty: receive pty");
        return 1;
    }
    if (argc == 3 && write(master, argv[2], strlen(argv[2])) < 0) {
        perror("recvtty: write");
        return 1;
    }
    char buf[4096];
    for (;;) {
        p = (struct pollfd){.fd = master, .events = POLLIN};
        if (poll(&p, 1, 30000) != 1)
            break;
        ssize_t n = read(master, buf, sizeof(buf));
        if (n <= 0) /* EIO once the last slave fd is closed */
            break;
        if (write(STDOUT_FILENO, buf, (size_t)n) < 0)
            return 1;
    }
    return 0;
}
