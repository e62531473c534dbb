// The accepting side of a TCP listening socket, owned by the addon: accept4() on a dup() of
// it, driven from Node's event loop, and each new connection handed to JavaScript as its
// descriptor and the client's address (callback(fd, address, port)) for admission: no
// Node.js socket is made until JavaScript asks for one (./relay.c). Also the two ways such
// a descriptor is closed without one: resetSocket(fd) (an RST: a refused client learns it
// was refused) and closeSocket(fd); and socketAddress(fd), its local address (for a PROXY
// protocol header).
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <node_api.h>
#include <uv.h>
#include "notify.h"
#include "pump.h"

/** Connections accepted in one callback at most, before the event loop goes round (the others wait in the backlog). */
#define ACCEPT_BATCH 32
/** After running out of descriptors (EMFILE and the like): how long accepting pauses; the clients wait in the backlog. */
#define PAUSE_MS 100

typedef struct acceptor {
  napi_env env;
  napi_ref self;
  napi_ref callback;
  napi_async_context async;
  int fd;            /* a dup(), ours to close */
  uv_poll_t poll;
  uv_timer_t pause_timer;
  int closed;
  int open_handles;
  int finalized;
} acceptor;

static void on_readable(uv_poll_t *poll, int status, int events);

static void free_if_done(acceptor *a) {
  if (a->open_handles == 0 && a->finalized) free(a);
}

static void resume(uv_timer_t *timer) {
  acceptor *a = timer->data;
  if (!a->closed) uv_poll_start(&a->poll, UV_READABLE, on_readable);
}

/** Errors that concern one connection (it went before it was accepted, or its network did): the next may be fine. */
static int transient(int err) {
  switch (err) {
    case EINTR: case ECONNABORTED: case EPROTO: case EPERM: case ENETDOWN: case ENOPROTOOPT:
    case EHOSTDOWN: case ENONET: case EHOSTUNREACH: case EOPNOTSUPP: case ENETUNREACH:
      return 1;
    default:
      return 0;
  }
}

/** An IP socket address as text ("127.0.0.1", "::ffff:10.0.0.1") and port; "" and 0 for any other family. */
static int address_text(const struct sockaddr_storage *address, char *text, size_t size) {
  text[0] = 0;
  if (address->ss_family == AF_INET) {
    const struct sockaddr_in *in4 = (const struct sockaddr_in *)address;
    inet_ntop(AF_INET, &in4->sin_addr, text, size);
    return ntohs(in4->sin_port);
  }
  if (address->ss_family == AF_INET6) {
    const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)address;
    inet_ntop(AF_INET6, &in6->sin6_addr, text, size);
    return ntohs(in6->sin6_port);
  }
  return 0;
}

static void deliver(acceptor *a, int fd, const struct sockaddr_storage *peer) {
  char text[INET6_ADDRSTRLEN];
  int port = address_text(peer, text, sizeof text);
  napi_value argv[3];
  napi_create_int32(a->env, fd, &argv[0]);
  napi_create_string_latin1(a->env, text, NAPI_AUTO_LENGTH, &argv[1]);
  napi_create_int32(a->env, port, &argv[2]);
  mrsocko_call_js(a->env, a->async, a->self, a->callback, 3, argv);
}

static void on_readable(uv_poll_t *poll, int status, int events) {
  (void)status;
  (void)events;
  acceptor *a = poll->data;
  napi_handle_scope scope;
  if (napi_open_handle_scope(a->env, &scope) != napi_ok) return;
  for (int i = 0; i < ACCEPT_BATCH && !a->closed; i++) {
    struct sockaddr_storage peer;
    socklen_t length = sizeof peer;
    int fd = accept4(a->fd, (struct sockaddr *)&peer, &length, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0) {
      deliver(a, fd, &peer);
      continue;
    }
    if (errno == EAGAIN) break;
    if (transient(errno)) continue;
    // Out of descriptors or memory: told (fd < 0: the errno, negated), and accepting waits a
    // moment instead of spinning on a listening socket that stays readable.
    napi_value argv[3];
    napi_create_int32(a->env, -errno, &argv[0]);
    napi_get_undefined(a->env, &argv[1]);
    napi_create_int32(a->env, 0, &argv[2]);
    uv_poll_stop(&a->poll);
    uv_timer_start(&a->pause_timer, resume, PAUSE_MS, 0);
    mrsocko_call_js(a->env, a->async, a->self, a->callback, 3, argv);
    break;
  }
  napi_close_handle_scope(a->env, scope);
}

static void on_handle_closed(uv_handle_t *handle) {
  acceptor *a = handle->data;
  a->open_handles--;
  if (a->open_handles > 0) return;
  napi_delete_reference(a->env, a->callback);
  napi_async_destroy(a->env, a->async);
  uint32_t count = 0;
  // weak now: the object's finalizer frees the struct and deletes the reference (deleted
  // sooner, the finalizer never runs and a later call on the object reads freed memory)
  napi_reference_unref(a->env, a->self, &count);
  free_if_done(a);
}

static void finalize(napi_env env, void *data, void *hint) {
  (void)hint;
  acceptor *a = data;
  a->finalized = 1;
  napi_delete_reference(env, a->self);
  free_if_done(a);
}

static void free_on_close(uv_handle_t *handle) {
  free(handle->data);
}

/** new Acceptor(listeningFd, callback(fd, address, port)): accepts on a duplicate of the descriptor until close(). */
static napi_value construct(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], self;
  if (napi_get_cb_info(env, info, &argc, argv, &self, NULL) != napi_ok) return NULL;
  int32_t listening;
  napi_valuetype type = napi_undefined;
  if (argc == 2) napi_typeof(env, argv[1], &type);
  if (argc < 2 || type != napi_function || napi_get_value_int32(env, argv[0], &listening) != napi_ok || listening < 0) {
    napi_throw_type_error(env, NULL, "Acceptor(listeningFd, callback)");
    return NULL;
  }
  acceptor *a = calloc(1, sizeof *a);
  if (a == NULL) return mrsocko_throw_errno(env, "Acceptor", ENOMEM);
  a->env = env;
  a->fd = fcntl(listening, F_DUPFD_CLOEXEC, 3);
  if (a->fd < 0) {
    int err = errno;
    free(a);
    return mrsocko_throw_errno(env, "Acceptor: dup", err);
  }
  uv_loop_t *loop;
  napi_get_uv_event_loop(env, &loop);
  int err = uv_poll_init(loop, &a->poll, a->fd);
  a->poll.data = a;
  if (err != 0) {
    close(a->fd);
    free(a);
    napi_throw_error(env, NULL, uv_strerror(err));
    return NULL;
  }
  a->open_handles++;
  if ((err = uv_timer_init(loop, &a->pause_timer)) != 0) {
    close(a->fd);
    uv_close((uv_handle_t *)&a->poll, free_on_close);
    napi_throw_error(env, NULL, uv_strerror(err));
    return NULL;
  }
  a->pause_timer.data = a;
  a->open_handles++;
  napi_value name;
  napi_create_string_utf8(env, "mrsocko:accept", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, self, name, &a->async);
  napi_create_reference(env, argv[1], 1, &a->callback);
  napi_wrap(env, self, a, finalize, NULL, &a->self);
  uint32_t count;
  napi_reference_ref(env, a->self, &count);  /* alive while its poll is */
  uv_poll_start(&a->poll, UV_READABLE, on_readable);
  return self;
}

/** close(): accept nothing more, now (connections not accepted yet stay in the backlog); close the duplicate. Idempotent. */
static napi_value close_acceptor(napi_env env, napi_callback_info info) {
  napi_value self;
  void *data = NULL;
  if (napi_get_cb_info(env, info, NULL, NULL, &self, NULL) != napi_ok || napi_unwrap(env, self, &data) != napi_ok) return NULL;
  acceptor *a = data;
  if (a == NULL || a->closed) return NULL;
  a->closed = 1;
  uv_timer_stop(&a->pause_timer);
  uv_close((uv_handle_t *)&a->poll, on_handle_closed);
  uv_close((uv_handle_t *)&a->pause_timer, on_handle_closed);
  close(a->fd);
  a->fd = -1;
  return NULL;
}

static napi_value close_descriptor(napi_env env, napi_callback_info info, int reset) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t fd;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 ||
      napi_get_value_int32(env, argv[0], &fd) != napi_ok || fd < 0) {
    napi_throw_type_error(env, NULL, reset ? "resetSocket(fd)" : "closeSocket(fd)");
    return NULL;
  }
  if (reset) {
    struct linger linger = {1, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, sizeof linger);
  }
  close(fd);
  return NULL;
}

static napi_value reset_socket(napi_env env, napi_callback_info info) {
  return close_descriptor(env, info, 1);
}

static napi_value close_socket(napi_env env, napi_callback_info info) {
  return close_descriptor(env, info, 0);
}

/** socketAddress(fd): [address, port] of the socket's own end, or undefined when getsockname() fails. */
static napi_value socket_address(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], result;
  int32_t fd;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 ||
      napi_get_value_int32(env, argv[0], &fd) != napi_ok || fd < 0) {
    napi_throw_type_error(env, NULL, "socketAddress(fd)");
    return NULL;
  }
  struct sockaddr_storage address;
  socklen_t length = sizeof address;
  napi_get_undefined(env, &result);
  if (getsockname(fd, (struct sockaddr *)&address, &length) < 0) return result;
  char text[INET6_ADDRSTRLEN];
  int port = address_text(&address, text, sizeof text);
  napi_value pair[2];
  napi_create_string_latin1(env, text, NAPI_AUTO_LENGTH, &pair[0]);
  napi_create_int32(env, port, &pair[1]);
  napi_create_array_with_length(env, 2, &result);
  napi_set_element(env, result, 0, pair[0]);
  napi_set_element(env, result, 1, pair[1]);
  return result;
}

void acceptor_register(napi_env env, napi_value exports) {
  napi_property_descriptor methods[] = {
    {"close", NULL, close_acceptor, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_value cls, fn;
  napi_define_class(env, "Acceptor", NAPI_AUTO_LENGTH, construct, NULL, 1, methods, &cls);
  napi_set_named_property(env, exports, "Acceptor", cls);
  napi_create_function(env, "resetSocket", NAPI_AUTO_LENGTH, reset_socket, NULL, &fn);
  napi_set_named_property(env, exports, "resetSocket", fn);
  napi_create_function(env, "closeSocket", NAPI_AUTO_LENGTH, close_socket, NULL, &fn);
  napi_set_named_property(env, exports, "closeSocket", fn);
  napi_create_function(env, "socketAddress", NAPI_AUTO_LENGTH, socket_address, NULL, &fn);
  napi_set_named_property(env, exports, "socketAddress", fn);
}
