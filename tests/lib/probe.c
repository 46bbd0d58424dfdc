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
 *   probe exewatch SECS [DEV:INO...]
 *                                   for SECS seconds, watch every process
 *                                   in our pid namespace and try to reach its
 *                                   executable through /proc/PID/exe (see
 *                                   cmd_exewatch)
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
#include <time.h>
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

static const char *errname(int e)
{
    static char buf[16];
    for (size_t i = 0; i < sizeof(errnames) / sizeof(errnames[0]); i++)
        if (errnames[i].num == e)
            return errnames[i].name;
    snprintf(buf, sizeof(buf), "E%d", e);
    return buf;
}

static void print_errno(int rc)
{
    puts(rc >= 0 ? "OK" : errname(errno));
}

static int usage(void)
{
    fputs("usage: probe errno mkdir|open|unshare|chown|syscall ... | fds | caps"
          " | alloc MB | forks N | loopback | sleep SECS | ids\n"
          "       | swaplink PATH TARGET SECS | exewatch SECS [DEV:INO...]\n"
          "       | udpecho PORT\n",
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

/* exewatch: what a hostile process in the container can do to the
 * executables of the processes it sees, above all of a process that the
 * runtime is starting in the container (CVE-2019-5736).
 *
 * A process whose argv[0] starts with "berth-" is the runtime's exec stub
 * still running (or a stand-in a test made): it is stopped with SIGSTOP so
 * that the attempts below see it before it execs, then continued.  For it
 * one line "stub PID readlink=R path=P wr=W rd=D [DEV:INO]" (R, P, W, D:
 * OK or the errno name of readlink, open O_PATH, O_WRONLY and O_RDONLY of
 * /proc/PID/exe).  Any process whose executable is one of the given
 * DEV:INO (host binaries, from stat -c %d:%i) gives
 * "host PID DEV:INO wr=W rd=D".
 * Every executable reached with O_PATH is kept open, and at the end
 * reopened through /proc/self/fd: "reopen DEV:INO wr=W rd=D" (what a
 * process that grabbed it can do once the process has moved on). */
#define WATCH_MAX 64

struct watch {
    unsigned long targets[WATCH_MAX][2];
    int ntargets;
    int held[WATCH_MAX];
    unsigned long held_id[WATCH_MAX][2];
    int nheld;
    int seen[4096];
    int nseen;
};

static int try_open(const char *path, int flags, int *fd_out)
{
    int fd = open(path, flags | O_CLOEXEC);
    if (fd < 0)
        return errno;
    if (fd_out)
        *fd_out = fd;
    else
        close(fd);
    return 0;
}

static const char *res(int e)
{
    return e ? errname(e) : "OK";
}

static int seen_before(struct watch *w, int pid)
{
    for (int i = 0; i < w->nseen; i++)
        if (w->seen[i] == pid)
            return 1;
    if (w->nseen < 4096)
        w->seen[w->nseen++] = pid;
    return 0;
}

static void hold(struct watch *w, int fd, const struct stat *st)
{
    for (int i = 0; i < w->nheld; i++)
        if (w->held_id[i][0] == st->st_dev && w->held_id[i][1] == st->st_ino) {
            close(fd);
            return;
        }
    if (w->nheld == WATCH_MAX) {
        close(fd);
        return;
    }
    w->held_id[w->nheld][0] = st->st_dev;
    w->held_id[w->nheld][1] = st->st_ino;
    w->held[w->nheld++] = fd;
}

static int is_target(const struct watch *w, const struct stat *st)
{
    for (int i = 0; i < w->ntargets; i++)
        if (w->targets[i][0] == st->st_dev && w->targets[i][1] == st->st_ino)
            return 1;
    return 0;
}

static int read_argv0(int pid, char *buf, size_t len)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, len - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    return 0;
}

static int is_stub(int pid)
{
    char a0[256];
    return read_argv0(pid, a0, sizeof(a0)) == 0 && strncmp(a0, "berth-", 6) == 0;
}

/* SIGSTOP takes effect asynchronously: wait for state T. */
static void wait_stopped(int pid)
{
    char path[64], buf[512];
    snprintf(path, sizeof(path), "/proc/%d/stat", pid);
    for (int i = 0; i < 200; i++) {
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            return;
        ssize_t n = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        if (n <= 0)
            return;
        buf[n] = '\0';
        char *p = strrchr(buf, ')');
        if (p && p[1] == ' ' && (p[2] == 'T' || p[2] == 't' || p[2] == 'Z'))
            return;
        usleep(50);
    }
}

static void probe_stub(struct watch *w, int pid)
{
    if (kill(pid, SIGSTOP) < 0)
        return;
    wait_stopped(pid);
    char exe[64], target[4096] = "";
    snprintf(exe, sizeof(exe), "/proc/%d/exe", pid);
    if (is_stub(pid) && !seen_before(w, pid)) {
        int rl = readlink(exe, target, sizeof(target) - 1) < 0 ? errno : 0;
        int fd = -1, pe = try_open(exe, O_PATH, &fd);
        int we = try_open(exe, O_WRONLY, NULL), re = try_open(exe, O_RDONLY, NULL);
        struct stat st;
        printf("stub %d readlink=%s path=%s wr=%s rd=%s", pid, res(rl), res(pe),
               res(we), res(re));
        if (fd >= 0 && fstat(fd, &st) == 0) {
            printf(" %lu:%lu", (unsigned long)st.st_dev, (unsigned long)st.st_ino);
            hold(w, fd, &st);
        } else if (fd >= 0) {
            close(fd);
        }
        putchar('\n');
        fflush(stdout);
    }
    kill(pid, SIGCONT);
}

static void probe_other(struct watch *w, int pid)
{
    char exe[64];
    snprintf(exe, sizeof(exe), "/proc/%d/exe", pid);
    int fd = -1;
    struct stat st;
    if (w->ntargets == 0 || try_open(exe, O_PATH, &fd) != 0)
        return;
    if (fstat(fd, &st) < 0 || !is_target(w, &st)) {
        close(fd);
        return;
    }
    if (!seen_before(w, pid)) {
        int we = try_open(exe, O_WRONLY, NULL), re = try_open(exe, O_RDONLY, NULL);
        printf("host %d %lu:%lu wr=%s rd=%s\n", pid, (unsigned long)st.st_dev,
               (unsigned long)st.st_ino, res(we), res(re));
        fflush(stdout);
    }
    hold(w, fd, &st);
}

static void watch_once(struct watch *w)
{
    DIR *d = opendir("/proc");
    if (!d)
        return;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        int pid = atoi(de->d_name);
        if (pid <= 0 || pid == getpid())
            continue;
        if (is_stub(pid))
            probe_stub(w, pid);
        else
            probe_other(w, pid);
    }
    closedir(d);
}

static int cmd_exewatch(int argc, char **argv)
{
    static struct watch w;
    if (argc < 1)
        return usage();
    for (int i = 1; i < argc && w.ntargets < WATCH_MAX; i++)
        if (sscanf(argv[i], "%lu:%lu", &w.targets[w.ntargets][0],
                   &w.targets[w.ntargets][1]) == 2)
            w.ntargets++;
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    double secs = strtod(argv[0], NULL);
    do {
        watch_once(&w);
        clock_gettime(CLOCK_MONOTONIC, &now);
    } while ((double)(now.tv_sec - start.tv_sec) +
                 (double)(now.tv_nsec - start.tv_nsec) / 1e9 < secs);
    for (int i = 0; i < w.nheld; i++) {
        char path[64];
        snprintf(path, sizeof(path), "/proc/self/fd/%d", w.held[i]);
        int we = try_open(path, O_WRONLY, NULL), re = try_open(path, O_RDONLY, NULL);
        printf("reopen %lu:%lu wr=%s rd=%s\n", w.held_id[i][0], w.held_id[i][1],
               res(we), res(re));
    }
    puts("done");
    return 0;
}

/* udpecho PORT: answers every UDP datagram on PORT (all addresses) with
 * "echo " and the datagram, forever: a UDP service for published ports. */
static int cmd_udpecho(const char *port)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)atoi(port))};
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
        perror("udpecho");
        return 1;
    }
    for (;;) {
        char buf[512] = "echo ";
        struct sockaddr_in from;
        socklen_t len = sizeof(from);
        ssize_t n = recvfrom(fd, buf + 5, sizeof(buf) - 5, 0,
                             (struct sockaddr *)&from, &len);
        if (n >= 0)
            sendto(fd, buf, (size_t)n + 5, 0, (struct sockaddr *)&from, len);
    }
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
    if (strcmp(cmd, "exewatch") == 0)
        return cmd_exewatch(argc - 2, argv + 2);
    if (strcmp(cmd, "udpecho") == 0 && argc == 3)
        return cmd_udpecho(argv[2]);
    if (strcmp(cmd, "sleep") == 0 && argc == 3) {
        sleep((unsigned)strtoul(argv[2], NULL, 0));
        return 0;
    }
    return usage();
}
