/* libarchive, loaded on first use (see lazy_lib.h): the functions berth
 * calls, each forwarding to libarchive.so.13.  The prototypes come from
 * archive.h and archive_entry.h, so the compiler checks every one. */
#include <archive.h>
#include <archive_entry.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>

#include "lazy_lib.h"

static struct berth_lazy_lib libarchive = BERTH_LAZY_LIB("libarchive.so.13");

#define FN(ret, name, params, args)                                            \
  BERTH_LAZY_FN(libarchive, ret, name, params, args)
#define VOID_FN(name, params, args)                                            \
  BERTH_LAZY_VOID_FN(libarchive, name, params, args)

FN(time_t, archive_entry_atime, (struct archive_entry * a0), (a0))
FN(int, archive_entry_atime_is_set, (struct archive_entry * a0), (a0))
FN(long, archive_entry_atime_nsec, (struct archive_entry * a0), (a0))
VOID_FN(archive_entry_copy_stat,
        (struct archive_entry * a0, const struct stat *a1), (a0, a1))
FN(mode_t, archive_entry_filetype, (struct archive_entry * a0), (a0))
VOID_FN(archive_entry_free, (struct archive_entry * a0), (a0))
FN(la_int64_t, archive_entry_gid, (struct archive_entry * a0), (a0))
FN(const char *, archive_entry_hardlink, (struct archive_entry * a0), (a0))
VOID_FN(archive_entry_linkify,
        (struct archive_entry_linkresolver * a0, struct archive_entry **a1,
         struct archive_entry **a2),
        (a0, a1, a2))
VOID_FN(archive_entry_linkresolver_free,
        (struct archive_entry_linkresolver * a0), (a0))
FN(struct archive_entry_linkresolver *, archive_entry_linkresolver_new, (void),
   ())
VOID_FN(archive_entry_linkresolver_set_strategy,
        (struct archive_entry_linkresolver * a0, int a1), (a0, a1))
FN(time_t, archive_entry_mtime, (struct archive_entry * a0), (a0))
FN(long, archive_entry_mtime_nsec, (struct archive_entry * a0), (a0))
FN(struct archive_entry *, archive_entry_new, (void), ())
FN(const char *, archive_entry_pathname, (struct archive_entry * a0), (a0))
FN(mode_t, archive_entry_perm, (struct archive_entry * a0), (a0))
FN(dev_t, archive_entry_rdev, (struct archive_entry * a0), (a0))
VOID_FN(archive_entry_set_filetype,
        (struct archive_entry * a0, unsigned int a1), (a0, a1))
VOID_FN(archive_entry_set_gid, (struct archive_entry * a0, la_int64_t a1),
        (a0, a1))
VOID_FN(archive_entry_set_mtime,
        (struct archive_entry * a0, time_t a1, long a2), (a0, a1, a2))
VOID_FN(archive_entry_set_nlink, (struct archive_entry * a0, unsigned int a1),
        (a0, a1))
VOID_FN(archive_entry_set_pathname, (struct archive_entry * a0, const char *a1),
        (a0, a1))
VOID_FN(archive_entry_set_perm, (struct archive_entry * a0, mode_t a1),
        (a0, a1))
VOID_FN(archive_entry_set_size, (struct archive_entry * a0, la_int64_t a1),
        (a0, a1))
VOID_FN(archive_entry_set_symlink, (struct archive_entry * a0, const char *a1),
        (a0, a1))
VOID_FN(archive_entry_set_uid, (struct archive_entry * a0, la_int64_t a1),
        (a0, a1))
FN(la_int64_t, archive_entry_size, (struct archive_entry * a0), (a0))
FN(int, archive_entry_sparse_count, (struct archive_entry * a0), (a0))
FN(const struct stat *, archive_entry_stat, (struct archive_entry * a0), (a0))
FN(const char *, archive_entry_symlink, (struct archive_entry * a0), (a0))
FN(la_int64_t, archive_entry_uid, (struct archive_entry * a0), (a0))
VOID_FN(archive_entry_xattr_add_entry,
        (struct archive_entry * a0, const char *a1, const void *a2, size_t a3),
        (a0, a1, a2, a3))
FN(int, archive_entry_xattr_next,
   (struct archive_entry * a0, const char **a1, const void **a2, size_t *a3),
   (a0, a1, a2, a3))
FN(int, archive_entry_xattr_reset, (struct archive_entry * a0), (a0))
FN(int, archive_errno, (struct archive * a0), (a0))
FN(const char *, archive_error_string, (struct archive * a0), (a0))
FN(int, archive_format, (struct archive * a0), (a0))
FN(la_ssize_t, archive_read_data, (struct archive * a0, void *a1, size_t a2),
   (a0, a1, a2))
FN(int, archive_read_data_block,
   (struct archive * a0, const void **a1, size_t *a2, la_int64_t *a3),
   (a0, a1, a2, a3))
FN(int, archive_read_data_into_fd, (struct archive * a0, int a1), (a0, a1))
FN(int, archive_read_free, (struct archive * a0), (a0))
FN(struct archive *, archive_read_new, (void), ())
FN(int, archive_read_next_header,
   (struct archive * a0, struct archive_entry **a1), (a0, a1))
FN(int, archive_read_open,
   (struct archive * a0, void *a1, archive_open_callback *a2,
    archive_read_callback *a3, archive_close_callback *a4),
   (a0, a1, a2, a3, a4))
FN(int, archive_read_open_fd, (struct archive * a0, int a1, size_t a2),
   (a0, a1, a2))
FN(int, archive_read_support_filter_all, (struct archive * a0), (a0))
FN(int, archive_read_support_filter_bzip2, (struct archive * a0), (a0))
FN(int, archive_read_support_filter_gzip, (struct archive * a0), (a0))
FN(int, archive_read_support_filter_xz, (struct archive * a0), (a0))
FN(int, archive_read_support_format_gnutar, (struct archive * a0), (a0))
FN(int, archive_read_support_format_raw, (struct archive * a0), (a0))
FN(int, archive_read_support_format_tar, (struct archive * a0), (a0))
FN(int, archive_write_close, (struct archive * a0), (a0))
FN(la_ssize_t, archive_write_data,
   (struct archive * a0, const void *a1, size_t a2), (a0, a1, a2))
FN(int, archive_write_free, (struct archive * a0), (a0))
FN(int, archive_write_header, (struct archive * a0, struct archive_entry *a1),
   (a0, a1))
FN(struct archive *, archive_write_new, (void), ())
FN(int, archive_write_open2,
   (struct archive * a0, void *a1, archive_open_callback *a2,
    archive_write_callback *a3, archive_close_callback *a4,
    archive_free_callback *a5),
   (a0, a1, a2, a3, a4, a5))
FN(int, archive_write_open_fd, (struct archive * a0, int a1), (a0, a1))
FN(int, archive_write_set_bytes_in_last_block, (struct archive * a0, int a1),
   (a0, a1))
FN(int, archive_write_set_format_pax_restricted, (struct archive * a0), (a0))

/* Variadic: format here, pass the text through "%s". */
void archive_set_error(struct archive *a, int err, const char *fmt, ...) {
  static void (*cached)(struct archive *, int, const char *, ...);
  void (*f)(struct archive *, int, const char *, ...) =
      __atomic_load_n(&cached, __ATOMIC_RELAXED);
  if (f == NULL) {
    f = (void (*)(struct archive *, int, const char *, ...))berth_lazy_sym(
        &libarchive, "archive_set_error");
    __atomic_store_n(&cached, f, __ATOMIC_RELAXED);
  }
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  f(a, err, "%s", msg);
}
