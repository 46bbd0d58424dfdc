/* Decompressing and hashing a layer blob on its way to the tar reader. */
#include "layer_stream.h"

#include <errno.h>
#include <isa-l/igzip_lib.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "digest.h"

#define BUF_SIZE (1u << 20)

enum method { PLAIN, ISAL, LIBARCHIVE };

struct layer_stream {
  int fd;
  enum method method;
  uint8_t *in, *out;
  struct inflate_state *isal; /* ~45 KiB: on the heap */
  bool in_eof, member_done, done;
  struct archive *inner; /* LIBARCHIVE: a raw reader doing the filtering */
  struct berth_hasher *hasher;
  berth_error *err;
};

static enum method pick(int fd, enum berth_layer_compression comp) {
  unsigned char m[4] = {0};
  if (comp == BERTH_LAYER_AUTO)
    (void)!pread(fd, m, sizeof m, 0);
  if (comp == BERTH_LAYER_GZIP || (m[0] == 0x1f && m[1] == 0x8b))
    return ISAL;
  if (comp == BERTH_LAYER_ZSTD ||
      (m[0] == 0x28 && m[1] == 0xb5 && m[2] == 0x2f && m[3] == 0xfd))
    return LIBARCHIVE;
  return PLAIN;
}

int layer_stream_open(int fd, enum berth_layer_compression comp,
                      struct layer_stream **out, berth_error **err) {
  struct layer_stream *s = calloc(1, sizeof *s);
  if (!s)
    return berth_error_sys(err, "allocate");
  s->fd = fd;
  s->method = pick(fd, comp);
  s->out = malloc(BUF_SIZE);
  int rc = s->out ? berth_hasher_new(&s->hasher, err)
                  : berth_error_sys(err, "allocate");
  if (rc == 0 && s->method == ISAL) {
    s->in = malloc(BUF_SIZE);
    s->isal = malloc(sizeof *s->isal);
    if (!s->in || !s->isal)
      rc = berth_error_sys(err, "allocate");
    else {
      isal_inflate_init(s->isal);
      s->isal->crc_flag = ISAL_GZIP; /* header parsed, CRC checked */
    }
  }
  if (rc == 0 && s->method == LIBARCHIVE) {
    struct archive_entry *e;
    s->inner = archive_read_new();
    if (!s->inner)
      rc = berth_error_sys(err, "allocate");
    else if (archive_read_support_filter_all(s->inner) != ARCHIVE_OK ||
             archive_read_support_format_raw(s->inner) != ARCHIVE_OK ||
             archive_read_open_fd(s->inner, fd, BUF_SIZE) != ARCHIVE_OK ||
             archive_read_next_header(s->inner, &e) != ARCHIVE_OK)
      rc = berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "layer: cannot decompress: %s",
                           archive_error_string(s->inner));
  }
  if (rc < 0) {
    layer_stream_free(s);
    return -1;
  }
  *out = s;
  return 0;
}

static ssize_t read_fd(struct layer_stream *s, void *buf, size_t len) {
  ssize_t n;
  do
    n = read(s->fd, buf, len);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    berth_error_sys(&s->err, "read layer");
  return n;
}

/* After a gzip member: another member, zero padding, or the end. */
static int next_member(struct layer_stream *s) {
  struct inflate_state *st = s->isal;
  for (;;) {
    if (st->avail_in == 0) {
      ssize_t n = read_fd(s, s->in, BUF_SIZE);
      if (n < 0)
        return -1;
      if (n == 0) {
        s->done = true;
        return 0;
      }
      st->next_in = s->in;
      st->avail_in = (uint32_t)n;
    }
    if (st->next_in[0] == 0) { /* padding some tools append */
      while (st->avail_in && st->next_in[0] == 0)
        st->next_in++, st->avail_in--;
      continue;
    }
    if (st->avail_in >= 2 && (st->next_in[0] != 0x1f || st->next_in[1] != 0x8b))
      return berth_error_set(&s->err, BERTH_ERR_INVALID, 0,
                             "layer: data after the end of the gzip stream");
    uint8_t *next = st->next_in;
    uint32_t avail = st->avail_in;
    isal_inflate_reset(st);
    st->crc_flag = ISAL_GZIP;
    st->next_in = next;
    st->avail_in = avail;
    s->member_done = false;
    return 0;
  }
}

static ssize_t read_isal(struct layer_stream *s) {
  struct inflate_state *st = s->isal;
  for (;;) {
    if (s->member_done && next_member(s) < 0)
      return -1;
    if (s->done)
      return 0;
    if (st->avail_in == 0 && !s->in_eof) {
      ssize_t n = read_fd(s, s->in, BUF_SIZE);
      if (n < 0)
        return -1;
      s->in_eof = n == 0;
      st->next_in = s->in;
      st->avail_in = (uint32_t)n;
    }
    st->next_out = s->out;
    st->avail_out = BUF_SIZE;
    int r = isal_inflate(st);
    if (r < 0)
      return berth_error_set(&s->err, BERTH_ERR_INVALID, 0,
                             "layer: corrupt gzip data (%s)",
                             r == ISAL_INCORRECT_CHECKSUM ? "bad checksum"
                                                          : "invalid stream");
    size_t got = BUF_SIZE - st->avail_out;
    if (st->block_state == ISAL_BLOCK_FINISH) {
      s->member_done = true;
      s->in_eof = false; /* the next member may follow in the file */
    } else if (got == 0 && s->in_eof && st->avail_in == 0) {
      return berth_error_set(&s->err, BERTH_ERR_INVALID, 0,
                             "layer: the gzip stream is truncated");
    }
    if (got)
      return (ssize_t)got;
  }
}

la_ssize_t layer_stream_read(struct archive *a, void *ud, const void **buf) {
  (void)a;
  struct layer_stream *s = ud;
  ssize_t n;
  if (s->err)
    return -1;
  switch (s->method) {
  case ISAL:
    n = read_isal(s);
    break;
  case LIBARCHIVE:
    n = archive_read_data(s->inner, s->out, BUF_SIZE);
    if (n < 0)
      berth_error_set(&s->err, BERTH_ERR_INVALID, 0, "layer: %s",
                      archive_error_string(s->inner));
    break;
  default:
    n = read_fd(s, s->out, BUF_SIZE);
  }
  if (n > 0 && berth_hasher_update(s->hasher, s->out, (size_t)n, &s->err) < 0)
    n = -1;
  *buf = s->out;
  return n;
}

int layer_stream_finish(struct layer_stream *s, char diff_id[72],
                        berth_error **err) {
  const void *buf;
  la_ssize_t n;
  while ((n = layer_stream_read(NULL, s, &buf)) > 0)
    ;
  if (n < 0) {
    berth_error *e = layer_stream_take_error(s);
    berth_error_set(err, BERTH_ERR_INVALID, 0, "%s",
                    e ? e->msg : "layer: read failed");
    berth_error_free(e);
    return -1;
  }
  return berth_hasher_final(s->hasher, diff_id, err);
}

berth_error *layer_stream_take_error(struct layer_stream *s) {
  berth_error *e = s->err;
  s->err = NULL;
  return e;
}

void layer_stream_free(struct layer_stream *s) {
  if (!s)
    return;
  if (s->inner)
    archive_read_free(s->inner);
  berth_hasher_free(s->hasher);
  berth_error_free(s->err);
  free(s->in);
  free(s->out);
  free(s->isal);
  free(s);
}
