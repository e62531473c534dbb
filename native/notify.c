// The receiving end of sd_notify for `ready = notify` (src/backend/notify-socket.ts): an
// AF_UNIX datagram socket bound to a path, as systemd gives a Type=notify service in
// $NOTIFY_SOCKET. Node core cannot receive AF_UNIX datagrams, hence this.
//
// SO_PASSCRED: the kernel attaches the sender's pid, uid and gid (SCM_CREDENTIALS) to every
// datagram, whatever the sender does — only a sender with CAP_SYS_ADMIN / CAP_SETUID could
// claim other ones. JavaScript decides who is the backend from them; this file only hands
// each datagram over, with them, synchronously as it is read: a sender that waits for the
// read (systemd-notify's BARRIER=1) is then still alive when JavaScript looks it up in /proc.
//
// Hostile senders: a datagram is at most NOTIFY_MAX bytes (systemd's limit); a longer one is
// reported as truncated (data null), never half. Descriptors passed with SCM_RIGHTS (the
// barrier's pipe, or anything else) are closed at once: none is ever kept. One poll callback
// reads at most BATCH datagrams, so a flood cannot starve the event loop.
//
// Driven by uv_poll on Node's own event loop, as ./splice.c: no thread, direct calls.
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <node_api.h>
#include <uv.h>
#include "notify.h"

#define NOTIFY_MAX 4096
#define BATCH 64
#define MAX_FDS 16

typedef struct listener {
  napi_env env;
  napi_ref self;     /* held strongly while open */
  napi_ref callback;
  napi_async_context async;
  uv_poll_t poll;
  int fd;
  int closed;
  int handle_open;
  int finalized;
} listener;

static void free_if_done(listener *l) {
  if (!l->handle_open && l->finalized) free(l);
}

static napi_value throw_errno(napi_env env, const char *what, int err) {
  char message[160];
  snprintf(message, sizeof message, "%s: %s", what, strerror(err));
  napi_throw_error(env, NULL, message);
  return NULL;
}

/** callback(data: Buffer | null, pid, uid, gid); data null when the datagram was longer than NOTIFY_MAX. */
static void deliver(listener *l, const char *data, ssize_t length, int truncated, const struct ucred *cred) {
  napi_env env = l->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value argv[4];
  if (truncated) napi_get_null(env, &argv[0]);
  else napi_create_buffer_copy(env, (size_t)length, data, NULL, &argv[0]);
  napi_create_int32(env, cred ? cred->pid : 0, &argv[1]);
  napi_create_int64(env, cred ? (int64_t)cred->uid : -1, &argv[2]);
  napi_create_int64(env, cred ? (int64_t)cred->gid : -1, &argv[3]);
  mrsocko_call_js(env, l->async, l->self, l->callback, 4, argv);
  napi_close_handle_scope(env, scope);
}

static void on_readable(uv_poll_t *poll, int status, int events) {
  (void)events;
  listener *l = poll->data;
  if (status < 0) return;
  for (int i = 0; i < BATCH && !l->closed; i++) {
    char data[NOTIFY_MAX + 1];
    union {
      struct cmsghdr align;
      char space[CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(sizeof(int) * MAX_FDS)];
    } control;
    struct iovec iov = {.iov_base = data, .iov_len = sizeof data};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = &control, .msg_controllen = sizeof control};
    ssize_t n = recvmsg(l->fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC | MSG_TRUNC);
    if (n < 0) return;  /* EAGAIN: read all; anything else: the next datagram will tell */
    const struct ucred *cred = NULL;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level != SOL_SOCKET) continue;
      if (c->cmsg_type == SCM_CREDENTIALS && c->cmsg_len == CMSG_LEN(sizeof(struct ucred))) {
        cred = (const struct ucred *)CMSG_DATA(c);
      } else if (c->cmsg_type == SCM_RIGHTS) {
        size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t k = 0; k < count; k++) {
          int fd;
          memcpy(&fd, CMSG_DATA(c) + k * sizeof(int), sizeof fd);
          close(fd);
        }
      }
    }
    deliver(l, data, n, n > NOTIFY_MAX || (msg.msg_flags & MSG_TRUNC), cred);
  }
}

static void on_closed(uv_handle_t *handle) {
  listener *l = handle->data;
  if (l->fd >= 0) close(l->fd);
  l->fd = -1;
  l->handle_open = 0;
  free_if_done(l);
}

static void finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  listener *l = data;
  l->finalized = 1;
  free_if_done(l);
}

/** new NotifySocket(path, callback(data, pid, uid, gid)): bound and receiving. */
static napi_value construct(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], self;
  if (napi_get_cb_info(env, info, &argc, argv, &self, NULL) != napi_ok) return NULL;
  napi_valuetype type = napi_undefined;
  if (argc >= 2) napi_typeof(env, argv[1], &type);
  struct sockaddr_un address = {.sun_family = AF_UNIX};
  size_t length = 0;
  if (argc < 2 || type != napi_function ||
      napi_get_value_string_utf8(env, argv[0], address.sun_path, sizeof address.sun_path, &length) != napi_ok ||
      length == 0 || length >= sizeof address.sun_path - 1 || address.sun_path[0] != '/') {
    napi_throw_type_error(env, NULL, "NotifySocket(absolute path shorter than 107 bytes, callback)");
    return NULL;
  }
  uv_loop_t *loop;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok) return NULL;
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return throw_errno(env, "NotifySocket: socket", errno);
  int on = 1;
  if (setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &on, sizeof on) < 0 ||
      bind(fd, (struct sockaddr *)&address, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + length + 1)) < 0) {
    int err = errno;
    close(fd);
    return throw_errno(env, "NotifySocket: bind", err);
  }
  listener *l = calloc(1, sizeof *l);
  if (l == NULL) {
    close(fd);
    return throw_errno(env, "NotifySocket", ENOMEM);
  }
  l->env = env;
  l->fd = fd;
  int err = uv_poll_init(loop, &l->poll, fd);
  if (err != 0) {
    close(fd);
    free(l);
    napi_throw_error(env, NULL, uv_strerror(err));
    return NULL;
  }
  l->poll.data = l;
  l->handle_open = 1;
  napi_value name;
  napi_create_string_utf8(env, "mrsocko:notify", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, self, name, &l->async);
  napi_create_reference(env, argv[1], 1, &l->callback);
  napi_wrap(env, self, l, finalize, NULL, &l->self);
  uint32_t count;
  napi_reference_ref(env, l->self, &count);  /* alive while its poll is */
  uv_poll_start(&l->poll, UV_READABLE, on_readable);
  return self;
}

/** close(): stop receiving and close the socket (the path is JavaScript's to unlink). Idempotent. */
static napi_value close_listener(napi_env env, napi_callback_info info) {
  napi_value self;
  void *data = NULL;
  if (napi_get_cb_info(env, info, NULL, NULL, &self, NULL) != napi_ok || napi_unwrap(env, self, &data) != napi_ok) return NULL;
  listener *l = data;
  if (l == NULL || l->closed) return NULL;
  l->closed = 1;
  uv_poll_stop(&l->poll);
  uv_close((uv_handle_t *)&l->poll, on_closed);
  napi_async_destroy(env, l->async);
  napi_delete_reference(env, l->callback);
  l->callback = NULL;
  uint32_t count;
  napi_reference_unref(env, l->self, &count);
  return NULL;
}

/*
 * allowWriter(path, uid): a POSIX ACL on the socket granting write (what sending needs)
 * to `uid` alone — owner (root) none, group none, others none. Root stays the owner, so
 * the backend cannot change the socket's mode, and setting an ACL on one's own file needs
 * no capability (chown would need CAP_CHOWN, which mrsocko's unit does not keep). The
 * binary layout is the kernel's (linux/posix_acl_xattr.h), entries in tag order.
 */
static napi_value allow_writer(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  char path[sizeof ((struct sockaddr_un *)0)->sun_path];
  size_t length = 0;
  uint32_t uid = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2 ||
      napi_get_value_string_utf8(env, argv[0], path, sizeof path, &length) != napi_ok || length == 0 ||
      napi_get_value_uint32(env, argv[1], &uid) != napi_ok) {
    napi_throw_type_error(env, NULL, "allowWriter(path, uid)");
    return NULL;
  }
  struct { uint16_t tag; uint16_t perm; uint32_t id; } __attribute__((packed)) entries[5] = {
    {0x01, 0, UINT32_MAX},  /* ACL_USER_OBJ */
    {0x02, 2, uid},         /* ACL_USER: write */
    {0x04, 0, UINT32_MAX},  /* ACL_GROUP_OBJ */
    {0x10, 2, UINT32_MAX},  /* ACL_MASK */
    {0x20, 0, UINT32_MAX},  /* ACL_OTHER */
  };
  char value[4 + sizeof entries];
  uint32_t version = 2;
  memcpy(value, &version, 4);
  memcpy(value + 4, entries, sizeof entries);
  if (setxattr(path, "system.posix_acl_access", value, sizeof value, 0) < 0) return throw_errno(env, "setfacl", errno);
  return NULL;
}

void notify_register(napi_env env, napi_value exports) {
  napi_property_descriptor methods[] = {
    {"close", NULL, close_listener, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_value cls;
  napi_define_class(env, "NotifySocket", NAPI_AUTO_LENGTH, construct, NULL, 1, methods, &cls);
  napi_set_named_property(env, exports, "NotifySocket", cls);
  napi_value fn;
  napi_create_function(env, "allowWriter", NAPI_AUTO_LENGTH, allow_writer, NULL, &fn);
  napi_set_named_property(env, cls, "allowWriter", fn);
}
