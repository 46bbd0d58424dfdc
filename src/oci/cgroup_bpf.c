/* cgroup v2 has no devices controller: device access is decided by an
 * eBPF program of type CGROUP_DEVICE attached to the cgroup.  We compile
 * linux.resources.devices into one, evaluated last rule first so that a
 * later rule overrides an earlier one (the spec's order), default deny. */
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cgroup_internal.h"
#include "cleanup.h"

static struct bpf_insn insn(uint8_t code, uint8_t dst, uint8_t src,
                            int16_t off, int32_t imm) {
  return (struct bpf_insn){.code = code, .dst_reg = dst, .src_reg = src,
                           .off = off, .imm = imm};
}

#define LDX_W(dst, src, off) insn(BPF_LDX | BPF_MEM | BPF_W, dst, src, off, 0)
#define MOV_REG(dst, src) insn(BPF_ALU64 | BPF_MOV | BPF_X, dst, src, 0, 0)
#define MOV_IMM(dst, imm) insn(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm)
#define AND_IMM(dst, imm) insn(BPF_ALU64 | BPF_AND | BPF_K, dst, 0, 0, imm)
#define RSH_IMM(dst, imm) insn(BPF_ALU64 | BPF_RSH | BPF_K, dst, 0, 0, imm)
#define JNE_IMM(dst, imm) insn(BPF_JMP | BPF_JNE | BPF_K, dst, 0, 0, imm)
#define JEQ_IMM(dst, imm) insn(BPF_JMP | BPF_JEQ | BPF_K, dst, 0, 0, imm)
#define EXIT() insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

/* Registers after the prologue: r2 type, r3 access, r4 major, r5 minor. */
enum { R0, R1, R2, R3, R4, R5 };

static int access_bits(const char *a) {
  int bits = 0;
  for (; *a; a++)
    bits |= *a == 'm' ? BPF_DEVCG_ACC_MKNOD
            : *a == 'r' ? BPF_DEVCG_ACC_READ
                        : BPF_DEVCG_ACC_WRITE;
  return bits;
}

/* One rule: falls through to the next block when it does not match. */
static size_t emit_rule(const struct berth_device_rule *d,
                        struct bpf_insn *out) {
  size_t n = 0, jumps[5], nj = 0;
  if (d->type != 'a') {
    jumps[nj++] = n;
    out[n++] = JNE_IMM(R2, d->type == 'b' ? BPF_DEVCG_DEV_BLOCK
                                          : BPF_DEVCG_DEV_CHAR);
  }
  if (d->major >= 0) {
    jumps[nj++] = n;
    out[n++] = JNE_IMM(R4, (int32_t)d->major);
  }
  if (d->minor >= 0) {
    jumps[nj++] = n;
    out[n++] = JNE_IMM(R5, (int32_t)d->minor);
  }
  int acc = access_bits(d->access);
  out[n++] = MOV_REG(R1, R3);
  /* An allow rule covers a request only if it grants every bit asked for;
   * a deny rule applies as soon as it names any of them. */
  if (d->allow) {
    out[n++] = AND_IMM(R1, ~acc & 7);
    jumps[nj++] = n;
    out[n++] = JNE_IMM(R1, 0);
  } else {
    out[n++] = AND_IMM(R1, acc);
    jumps[nj++] = n;
    out[n++] = JEQ_IMM(R1, 0);
  }
  out[n++] = MOV_IMM(R0, d->allow ? 1 : 0);
  out[n++] = EXIT();
  for (size_t j = 0; j < nj; j++)
    out[jumps[j]].off = (int16_t)(n - jumps[j] - 1);
  return n;
}

static int build(const struct berth_device_rule *rules, size_t n,
                 struct bpf_insn **out, size_t *len) {
  struct bpf_insn *p = calloc(7 + n * 9, sizeof(*p));
  if (p == NULL)
    return -1;
  size_t k = 0;
  /* struct bpf_cgroup_dev_ctx { u32 access_type; u32 major; u32 minor; }
   * with access_type = (access << 16) | type. */
  p[k++] = LDX_W(R2, R1, 0);
  p[k++] = MOV_REG(R3, R2);
  p[k++] = RSH_IMM(R3, 16);
  p[k++] = AND_IMM(R2, 0xffff);
  p[k++] = LDX_W(R4, R1, 4);
  p[k++] = LDX_W(R5, R1, 8);
  for (size_t i = n; i-- > 0;)
    k += emit_rule(&rules[i], p + k);
  p[k++] = MOV_IMM(R0, 0);
  p[k++] = EXIT();
  *out = p;
  *len = k;
  return 0;
}

static long bpf(int cmd, union bpf_attr *attr) {
  return syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

static int load(const struct bpf_insn *prog, size_t len, berth_error **err) {
  static const char license[] = "Apache-2.0";
  union bpf_attr attr;
  memset(&attr, 0, sizeof(attr));
  attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  attr.insns = (uint64_t)(uintptr_t)prog;
  attr.insn_cnt = (uint32_t)len;
  attr.license = (uint64_t)(uintptr_t)license;
  int fd = (int)bpf(BPF_PROG_LOAD, &attr);
  if (fd < 0)
    return berth_error_sys(err, "load the eBPF device program");
  return fd;
}

/* Ids of the device programs attached to the cgroup now. */
static int query(int cgfd, uint32_t *ids, uint32_t *n) {
  union bpf_attr attr;
  memset(&attr, 0, sizeof(attr));
  attr.query.target_fd = (uint32_t)cgfd;
  attr.query.attach_type = BPF_CGROUP_DEVICE;
  attr.query.prog_ids = (uint64_t)(uintptr_t)ids;
  attr.query.prog_cnt = *n;
  if (bpf(BPF_PROG_QUERY, &attr) < 0)
    return -1;
  *n = attr.query.prog_cnt;
  return 0;
}

static void detach_id(int cgfd, uint32_t id) {
  union bpf_attr attr;
  memset(&attr, 0, sizeof(attr));
  attr.prog_id = id;
  int fd = (int)bpf(BPF_PROG_GET_FD_BY_ID, &attr);
  if (fd < 0)
    return;
  memset(&attr, 0, sizeof(attr));
  attr.target_fd = (uint32_t)cgfd;
  attr.attach_bpf_fd = (uint32_t)fd;
  attr.attach_type = BPF_CGROUP_DEVICE;
  bpf(BPF_PROG_DETACH, &attr);
  close(fd);
}

int cg_bpf_set_devices(const char *dir, const struct berth_device_rule *rules,
                       size_t n, berth_error **err) {
  _cleanup_free_ struct bpf_insn *prog = NULL;
  size_t len;
  if (build(rules, n, &prog, &len) < 0)
    return berth_error_set(err, BERTH_ERR_SYSTEM, ENOMEM, "device program");
  _cleanup_close_ int cgfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (cgfd < 0)
    return berth_error_sys(err, "open cgroup `%s`", dir);
  uint32_t old[64], n_old = 64;
  if (query(cgfd, old, &n_old) < 0)
    n_old = 0;
  _cleanup_close_ int pfd = load(prog, len, err);
  if (pfd < 0)
    return -1;
  union bpf_attr attr;
  memset(&attr, 0, sizeof(attr));
  attr.target_fd = (uint32_t)cgfd;
  attr.attach_bpf_fd = (uint32_t)pfd;
  attr.attach_type = BPF_CGROUP_DEVICE;
  attr.attach_flags = BPF_F_ALLOW_MULTI;
  if (bpf(BPF_PROG_ATTACH, &attr) < 0)
    return berth_error_sys(err, "attach the eBPF device program to `%s`", dir);
  /* The new program is in place before the old ones go: there is no
   * moment without a device policy. */
  for (uint32_t i = 0; i < n_old; i++)
    detach_id(cgfd, old[i]);
  return 0;
}
