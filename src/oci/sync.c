#include "sync.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>

static int send_msg(int fd, uint32_t type, int32_t value, uint32_t kind,
                    const char *text) {
  struct berth_sync_msg m = {.type = type, .value = value, .kind = kind};
  size_t len = offsetof(struct berth_sync_msg, text);
  if (text) {
    size_t n = strnlen(text, sizeof(m.text) - 1);
    memcpy(m.text, text, n);
    m.text[n] = '\0';
    len += n + 1;
  }
  ssize_t w;
  do
    w = send(fd, &m, len, MSG_NOSIGNAL);
  while (w < 0 && errno == EINTR);
  return w == (ssize_t)len ? 0 : -1;
}

int berth_sync_send(int fd, uint32_t type, int32_t value, const char *text) {
  return send_msg(fd, type, value, 0, text);
}

void berth_sync_send_error(int fd, const berth_error *err) {
  send_msg(fd, BERTH_SYNC_ERROR, err ? err->errno_value : 0,
           err ? (uint32_t)err->kind : BERTH_ERR_SYSTEM,
           err ? err->msg : "unknown error");
}

int berth_sync_error_of(const struct berth_sync_msg *m, berth_error **err) {
  berth_error_kind kind =
      m->kind < BERTH_ERR__COUNT ? (berth_error_kind)m->kind : BERTH_ERR_SYSTEM;
  /* The text already names the errno: set it after formatting. */
  berth_error_set(err, kind, 0, "%s", m->text);
  if (err && *err)
    (*err)->errno_value = (int)m->value;
  return -1;
}

int berth_sync_recv(int fd, struct berth_sync_msg *m, berth_error **err) {
  ssize_t r;
  memset(m, 0, offsetof(struct berth_sync_msg, text) + 1);
  do
    r = recv(fd, m, sizeof(*m), 0);
  while (r < 0 && errno == EINTR);
  if (r < 0)
    return berth_error_sys(err, "receive from container init");
  if (r == 0)
    return 0;
  if ((size_t)r < offsetof(struct berth_sync_msg, text))
    return berth_error_set(err, BERTH_ERR_SYSTEM, EPROTO,
                           "short message from container init");
  if ((size_t)r == offsetof(struct berth_sync_msg, text))
    m->text[0] = '\0';
  m->text[sizeof(m->text) - 1] = '\0';
  return 1;
}

int berth_sync_expect(int fd, uint32_t type, int32_t *value,
                      berth_error **err) {
  struct berth_sync_msg m;
  int rc = berth_sync_recv(fd, &m, err);
  if (rc < 0)
    return -1;
  if (rc == 0)
    return berth_error_set(err, BERTH_ERR_SYSTEM, 0,
                           "the container's init exited unexpectedly");
  if (m.type == BERTH_SYNC_ERROR)
    return berth_sync_error_of(&m, err);
  if (m.type != type)
    return berth_error_set(err, BERTH_ERR_SYSTEM, EPROTO,
                           "unexpected message %u from container init "
                           "(wanted %u)", m.type, type);
  if (value)
    *value = m.value;
  return 0;
}
