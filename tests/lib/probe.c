/* probe: a tiny static helper run INSIDE test containers.
 *
 * Tests assert effects (the errno a syscall gets, the fds a process holds)
 * rather than trusting the runtime's own output, so this program reports
 * raw kernel answers in a stable, greppable form.
 *
 *   probe errno mkdir PATH          errno name of mkdir(PATH, 0755)
 *   probe errno open PATH [rw]      errno name of open(PATH, O_RDONLY|O_RDWR)
 *   probe errno unshare             errno name of unshare(CLONE_NEWNS|CLONE_NEWUSER)
 *   probe errno chown PATH UID      errno name of chown(PATH, UID, -1)
 *   probe errno syscall NR [ARGS]   errno name of syscall(NR, ARGS...)
 *   probe fds                       "FD TARGET" per open fd
 *   probe caps                      Cap* lines of /proc/self/status
 *   probe alloc MB                  allocate and touch MB MiB, print "allocated"
 *   probe forks N                   try N forks, print how many succeeded
 *   probe loopback                  "OK" if a TCP connection to 127.0.0.1
 *                                   works, else the errno of the step that
 *                                   failed (ENETUNREACH: lo is down)
 *   probe sleep SECS                sleep
 *   probe ids                       "uid=R euid=E gid=G egid=F" (a setuid or
 *                                   setgid copy shows whether the bits took)
 *   probe swaplink PATH TARGET SECS for SECS seconds, keep replacing PATH
 *                                   (atomically, rename) by a symlink to
 *                                   TARGET: a race against host-side code
 *                                   that creates PATH and then uses its name
 *
 * Built with `cc -static -O2`; uses the GNU extensions the project builds
 * with (strerrorname_np needs glibc >= 2.32, we carry our own table to stay
 * portable to older libcs).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const struct {
    int num;
    const char *name;
} errnames[] = {
    {EPERM, "EPERM"},   {ENOENT, "ENOENT"},       {ESRCH, "ESRCH"},
    {EINTR, "EINTR"},   {EIO, "EIO"},             {ENXIO, "ENXIO"},
    {E2BIG, "E2BIG"},   {ENOEXEC, "ENOEXEC"},     {EBADF, "EBADF"},
    {ECHILD, "ECHILD"}, {EAGAIN, "EAGAIN"},       {ENOMEM, "ENOMEM"},
    {EACCES, "EACCES"}, {EFAULT, "EFAULT"},       {EBUSY, "EBUSY"},
    {EEXIST, "EEXIST"}, {EXDEV, "EXDEV"},         {ENODEV, "ENODEV"},
    {ENOTDIR, "ENOTDIR"}, {EISDIR, "EISDIR"},     {EINVAL, "EINVAL"},
    {ENFILE, "ENFILE"}, {EMFILE, "EMFILE"},       {ENOTTY, "ENOTTY"},
    {ETXTBSY, "ETXTBSY"}, {EFBIG, "EFBIG"},       {ENOSPC, "ENOSPC"},
    {ESPIPE, "ESPIPE"}, {EROFS, "EROFS"},         {EMLINK, "EMLINK"},
    {EPIPE, "EPIPE"},   {ERANGE, "ERANGE"},       {ENAMETOOLONG, "ENAMETOOLONG"},
    {ENOSYS, "ENOSYS"}, {ENOTEMPTY, "ENOTEMPTY"}, {ELOOP, "ELOOP"},
    {EOPNOTSUPP, "EOPNOTSUPP"}, {EAFNOSUPPORT, "EAFNOSUPPORT"},
    {EADDRINUSE, "EADDRINUSE"}, {ENETUNREACH, "ENETUNREACH"},
    {ECONNREFUSED, "ECONNREFUSED"}, {ETIMEDOUT, "ETIMEDOUT"},
    {EADDRNOTAVAIL, "EADDRNOTAVAIL"},
};

static void print_errno(int rc)
{
    if (rc >= 0) {
        puts("OK");
        return;
    }
    int e = errno;
    for (size_t i = 0; i < sizeof(errnames) / sizeof(errnames[0]); i++) {
        if (errnames[i].num == e) {
            puts(errnames[i].name);
            return;
        }
    }
    printf("E%d\n", e);
}

static int usage(void)
{
    fputs("usage: probe errno mkdir|open|unshare|chown|syscall ... | fds | caps"
          " | alloc MB | forks N | loopback | sleep SECS\n",
          stderr);
    return 2;
}

static int cmd_errno(int argc, char **argv)
{
    if (argc < 1)
        return usage();
    const char *op = argv[0];
    int rc;
    errno = 0;
    if (strcmp(op, "mkdir") == 0 && argc == 2) {
        rc = mkdir(argv[1], 0755);
    } else if (strcmp(op, "open") == 0 && (argc == 2 || argc == 3)) {
        int flags = (argc == 3 && strcmp(argv[2], "rw") == 0) ? O_RDWR : O_RDONLY;
        rc = open(argv[1], flags | O_CLOEXEC);
    } else if (strcmp(op, "unshare") == 0 && argc == 1) {
        rc = unshare(CLONE_NEWNS | CLONE_NEWUSER);
    } else if (strcmp(op, "chown") == 0 && argc == 3) {
        rc = chown(argv[1], (uid_t)strtoul(argv[2], NULL, 0), (gid_t)-1);
    } else if (strcmp(op, "syscall") == 0 && argc >= 2 && argc <= 8) {
        long a[6] = {0};
        for (int i = 2; i < argc; i++)
            a[i - 2] = strtol(argv[i], NULL, 0);
        long r = syscall(strtol(argv[1], NULL, 0), a[0], a[1], a[2], a[3], a[4], a[5]);
        rc = r < 0 ? -1 : 0;
    } else {
        return usage();
    }
    print_errno(rc);
    return 0;
}

static int cmd_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d) {
        perror("opendir /proc/self/fd");
        return 1;
    }
    int self = dirfd(d);
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        int fd = atoi(de->d_name);
        if (fd == self)
            continue;
        char link[64], target[4096];
        snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
        ssize_t n = readlink(link, target, sizeof(target) - 1);
        if (n < 0)
            n = 0;
        target[n] = '\0';
        printf("%d %s\n", fd, target);
    }
    closedir(d);
    return 0;
}

static int cmd_caps(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (!f) {
        perror("fopen /proc/self/status");
        return 1;
    }
    char line[512];
    while (fgets(line, sizeof(line), f))
        if (strncmp(line, "Cap", 3) == 0)
            fputs(line, stdout);
    fclose(f);
    return 0;
}

static int cmd_alloc(const char *arg)
{
    size_t mb = strtoul(arg, NULL, 0);
    size_t len = mb * 1024 * 1024;
    char *p = malloc(len ? len : 1);
    if (!p) {
        puts("ENOMEM");
        return 1;
    }
    /* Touch every page: the memory cgroup charges only faulted-in pages. */
    for (size_t i = 0; i < len; i += 4096)
        p[i] = 1;
    puts("allocated");
    fflush(stdout);
    free(p);
    return 0;
}

static int cmd_forks(const char *arg)
{
    long n = strtol(arg, NULL, 0), ok = 0;
    pid_t *pids = calloc(n > 0 ? (size_t)n : 1, sizeof(*pids));
    if (!pids)
        return 1;
    for (long i = 0; i < n; i++) {
        pid_t pid = fork();
        if (pid == 0) {
            sleep(5);
            _exit(0);
        }
        if (pid > 0)
            pids[ok++] = pid;
    }
    printf("%ld\n", ok);
    fflush(stdout);
    /* Kill our own sleepers (by pid) so the container exits promptly. */
    for (long i = 0; i < ok; i++)
        kill(pids[i], SIGKILL);
    while (wait(NULL) > 0)
        ;
    free(pids);
    return 0;
}

/* Listens on 127.0.0.1 (any port), connects and accepts: a byte through
 * that connection proves the loopback interface carries traffic. */
static int cmd_loopback(void)
{
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    int l = socket(AF_INET, SOCK_STREAM, 0), c = socket(AF_INET, SOCK_STREAM, 0);
    char byte = 0;
    int rc = l < 0 || c < 0 ? -1 : bind(l, (struct sockaddr *)&a, sizeof(a));
    if (rc == 0)
        rc = listen(l, 1);
    if (rc == 0)
        rc = getsockname(l, (struct sockaddr *)&a, &len);
    if (rc == 0)
        rc = connect(c, (struct sockaddr *)&a, sizeof(a));
    int s = rc == 0 ? accept(l, NULL, NULL) : -1;
    if (rc == 0 && s < 0)
        rc = -1;
    if (rc == 0 && (write(c, "x", 1) != 1 || read(s, &byte, 1) != 1 || byte != 'x'))
        rc = -1;
    print_errno(rc);
    return 0;
}

static int cmd_ids(void)
{
    printf("uid=%u euid=%u gid=%u egid=%u\n", (unsigned)getuid(),
           (unsigned)geteuid(), (unsigned)getgid(), (unsigned)getegid());
    return 0;
}

static int cmd_swaplink(const char *path, const char *target,
                        const char *secs)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.swap", path);
    time_t end = time(NULL) + (time_t)strtoul(secs, NULL, 0);
    unsigned long n = 0;
    while (time(NULL) < end) {
        for (int i = 0; i < 1000; i++, n++) {
            unlink(tmp);
            if (symlink(target, tmp) == 0)
                rename(tmp, path);
        }
    }
    unlink(tmp);
    printf("swapped %lu\n", n);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage();
    const char *cmd = argv[1];
    if (strcmp(cmd, "ids") == 0)
        return cmd_ids();
    /* Tests make setuid-root copies: such a copy does nothing else (no
     * chown or raw syscall as root for whoever finds it). */
    if (getuid() != geteuid() || getgid() != getegid())
        return 126;
    if (strcmp(cmd, "errno") == 0)
        return cmd_errno(argc - 2, argv + 2);
    if (strcmp(cmd, "fds") == 0)
        return cmd_fds();
    if (strcmp(cmd, "caps") == 0)
        return cmd_caps();
    if (strcmp(cmd, "alloc") == 0 && argc == 3)
        return cmd_alloc(argv[2]);
    if (strcmp(cmd, "forks") == 0 && argc == 3)
        return cmd_forks(argv[2]);
    if (strcmp(cmd, "loopback") == 0)
        return cmd_loopback();
    if (strcmp(cmd, "swaplink") == 0 && argc == 5)
        return cmd_swaplink(argv[2], argv[3], argv[4]);
    if (strcmp(cmd, "sleep") == 0 && argc == 3) {
        sleep((unsigned)strtoul(argv[2], NULL, 0));
        return 0;
    }
    return usage();
}
