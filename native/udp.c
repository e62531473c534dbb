// The upstream side of one UDP flow (src/proxy/udp-upstream.ts): a datagram socket of the
// flow's own, connected to the backend, and the backend's replies relayed to the client in
// batches — recvmmsg() from the upstream socket, sendmmsg() through the listening socket to
// the client's address — with no event, no buffer and no system call per datagram in
// JavaScript. What the client sends goes up through send(), one synchronous send() each
// (the listening socket is Node's, and read by Node: its datagrams must be told apart by
// client before they reach a flow).
//
// Driven by a uv_poll on Node's own event loop, as ./splice.c: no thread, direct calls. One
// poll callback relays at most ROUNDS batches, so a flood from one backend cannot starve
// the other flows (the poll is level-triggered and comes round again).
//
// Accounting as ./splice.c: replies relayed are added up, the first after a quiet spell
// reported at once, later ones at most every `report_ms`. Replies the listening socket
// could not take at once (its send buffer full) are dropped, as the kernel drops what a
// socket cannot hold, and reported as such. Errors come after the counts.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <node_api.h>
#include <uv.h>
#include "notify.h"
#include "udp.h"

/** What a relay reports to JavaScript: callback(kind, a, b). */
enum report {
  REPORT_DOWN = 0,              /* a: bytes relayed to the client, b: datagrams */
  REPORT_DROPPED = 1,           /* a: datagrams the listening socket could not take, b: bytes */
  REPORT_UPSTREAM_ERROR = 2,    /* a: errno (ECONNREFUSED: nothing is bound at the backend port) */
  REPORT_DOWNSTREAM_ERROR = 3,  /* a: errno */
};

#define BATCH 32
#define ROUNDS 4
/** Room for the largest UDP datagram. */
#define SLOT_BYTES 65536

/*
 * The receive buffers, shared by every relay: a callback fills and empties them before it
 * returns, and all callbacks run on the one loop thread.
 */
typedef struct scratch {
  struct mmsghdr messages[BATCH];
  struct iovec iov[BATCH];
  char data[BATCH][SLOT_BYTES];
} scratch;
static scratch *shared;

typedef struct relay {
  napi_env env;
  napi_ref self;      /* the JavaScript object, held strongly while open */
  napi_ref callback;
  napi_async_context async;
  uv_poll_t poll;
  uv_timer_t report_timer;
  int upstream;       /* ours */
  int downstream;     /* a dup() of the listening socket, ours to close */
  struct sockaddr_storage client;
  socklen_t client_length;
  uint64_t report_ms;
  double unreported_bytes;
  double unreported_datagrams;
  double unreported_drops;
  double unreported_drop_bytes;
  int timer_armed;
  int failed;         /* an error was reported: nothing more is read */
  int closed;
  int open_handles;
  int finalized;
} relay;

static void free_if_done(relay *r) {
  if (r->open_handles == 0 && r->finalized) free(r);
}

static void call_js(relay *r, int kind, double a, double b) {
  napi_env env = r->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value argv[3];
  napi_create_int32(env, kind, &argv[0]);
  napi_create_double(env, a, &argv[1]);
  napi_create_double(env, b, &argv[2]);
  mrsocko_call_js(env, r->async, r->self, r->callback, 3, argv);
  napi_close_handle_scope(env, scope);
}

static void report(relay *r) {
  if (r->closed) return;
  if (r->unreported_datagrams > 0) {
    double bytes = r->unreported_bytes, datagrams = r->unreported_datagrams;
    r->unreported_bytes = r->unreported_datagrams = 0;
    call_js(r, REPORT_DOWN, bytes, datagrams);
  }
  if (r->unreported_drops > 0 && !r->closed) {
    double datagrams = r->unreported_drops, bytes = r->unreported_drop_bytes;
    r->unreported_drops = r->unreported_drop_bytes = 0;
    call_js(r, REPORT_DROPPED, datagrams, bytes);
  }
}

static void on_report_timer(uv_timer_t *timer) {
  relay *r = timer->data;
  if (r->unreported_datagrams == 0 && r->unreported_drops == 0) {
    uv_timer_stop(timer);
    r->timer_armed = 0;
    return;
  }
  report(r);
}

static void counted(relay *r) {
  if (r->timer_armed) return;
  r->timer_armed = 1;
  uv_timer_start(&r->report_timer, on_report_timer, r->report_ms, r->report_ms);
  report(r);
}

static void stop_polling(relay *r);

static void fail(relay *r, int kind, int err) {
  r->failed = 1;
  stop_polling(r);
  report(r);
  if (!r->closed) call_js(r, kind, err, 0);
}

static int polling(relay *r) {
  return uv_is_active((uv_handle_t *)&r->poll);
}

static void stop_polling(relay *r) {
  if (polling(r)) uv_poll_stop(&r->poll);
}

/** Relay what the backend sent, at most ROUNDS batches. */
static void relay_replies(relay *r) {
  scratch *s = shared;
  for (int round = 0; round < ROUNDS && !r->closed; round++) {
    for (int i = 0; i < BATCH; i++) {
      s->iov[i].iov_base = s->data[i];
      s->iov[i].iov_len = SLOT_BYTES;
      memset(&s->messages[i].msg_hdr, 0, sizeof s->messages[i].msg_hdr);
      s->messages[i].msg_hdr.msg_iov = &s->iov[i];
      s->messages[i].msg_hdr.msg_iovlen = 1;
    }
    int n = recvmmsg(r->upstream, s->messages, BATCH, MSG_DONTWAIT, NULL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      fail(r, REPORT_UPSTREAM_ERROR, errno);
      return;
    }
    if (n == 0) return;
    for (int i = 0; i < n; i++) {
      s->iov[i].iov_len = s->messages[i].msg_len;
      s->messages[i].msg_hdr.msg_name = &r->client;
      s->messages[i].msg_hdr.msg_namelen = r->client_length;
    }
    int sent = 0;
    while (sent < n) {
      int k = sendmmsg(r->downstream, s->messages + sent, (unsigned)(n - sent), MSG_DONTWAIT);
      if (k > 0) {
        for (int i = sent; i < sent + k; i++) r->unreported_bytes += s->messages[i].msg_len;
        r->unreported_datagrams += k;
        sent += k;
        continue;
      }
      if (k < 0 && errno == EINTR) continue;
      if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)) break;
      int err = k < 0 ? errno : EIO;
      if (r->unreported_datagrams > 0) counted(r);
      fail(r, REPORT_DOWNSTREAM_ERROR, err);
      return;
    }
    for (int i = sent; i < n; i++) {
      r->unreported_drops += 1;
      r->unreported_drop_bytes += s->messages[i].msg_len;
    }
    counted(r);
    if (n < BATCH) return;
  }
}

static void on_readable(uv_poll_t *poll, int status, int events) {
  (void)events;
  (void)status;  /* libuv stops a poll that saw POLLERR: recvmmsg() finds the error */
  relay *r = poll->data;
  if (r->closed) return;
  relay_replies(r);
  if (!r->closed && !r->failed && !polling(r)) uv_poll_start(&r->poll, UV_READABLE, on_readable);
}

static void on_handle_closed(uv_handle_t *handle) {
  relay *r = handle->data;
  r->open_handles--;
  if (r->open_handles > 0) return;
  napi_delete_reference(r->env, r->callback);
  napi_async_destroy(r->env, r->async);
  uint32_t count = 0;
  napi_reference_unref(r->env, r->self, &count);
  napi_delete_reference(r->env, r->self);
  free_if_done(r);
}

static void close_fd(int *fd) {
  if (*fd >= 0) close(*fd);
  *fd = -1;
}

static void stop_all(relay *r) {
  if (r->closed) return;
  r->closed = 1;
  stop_polling(r);
  uv_timer_stop(&r->report_timer);
  close_fd(&r->upstream);
  close_fd(&r->downstream);
  uv_close((uv_handle_t *)&r->poll, on_handle_closed);
  uv_close((uv_handle_t *)&r->report_timer, on_handle_closed);
}

static void finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  relay *r = data;
  r->finalized = 1;
  free_if_done(r);
}

static napi_value throw_errno(napi_env env, const char *what, int err) {
  char message[160];
  snprintf(message, sizeof message, "%s %s", what, strerrorname_np(err) ? strerrorname_np(err) : strerror(err));
  napi_throw_error(env, strerrorname_np(err), message);
  return NULL;
}

/** An IP literal and port as a socket address; 0 when `text` is not one (a scoped IPv6 address, a name). */
static socklen_t inet_address(const char *text, uint32_t port, struct sockaddr_storage *out) {
  memset(out, 0, sizeof *out);
  struct sockaddr_in *v4 = (struct sockaddr_in *)out;
  struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)out;
  if (inet_pton(AF_INET, text, &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons((uint16_t)port);
    return sizeof *v4;
  }
  if (inet_pton(AF_INET6, text, &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons((uint16_t)port);
    return sizeof *v6;
  }
  return 0;
}

/** An IPv4 address as the IPv4-mapped IPv6 one, for an IPv6 listening socket. */
static void map_to_v6(struct sockaddr_storage *a, socklen_t *length) {
  struct sockaddr_in v4 = *(struct sockaddr_in *)a;
  struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)a;
  memset(a, 0, sizeof *a);
  v6->sin6_family = AF_INET6;
  v6->sin6_port = v4.sin_port;
  v6->sin6_addr.s6_addr[10] = 0xff;
  v6->sin6_addr.s6_addr[11] = 0xff;
  memcpy(&v6->sin6_addr.s6_addr[12], &v4.sin_addr, 4);
  *length = sizeof *v6;
}

static int get_string(napi_env env, napi_value value, char *out, size_t size) {
  size_t length = 0;
  if (napi_get_value_string_utf8(env, value, out, size, &length) != napi_ok) return 0;
  return length < size - 1;
}

/** new UdpRelay(downstreamFd, clientAddress, clientPort, backendAddress, backendPort, reportMs, callback(kind, a, b)) */
static napi_value construct(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7], self;
  if (napi_get_cb_info(env, info, &argc, argv, &self, NULL) != napi_ok) return NULL;
  int32_t downstream;
  uint32_t client_port, backend_port, report_ms;
  char client_text[64], backend_text[64];
  napi_valuetype type = napi_undefined;
  if (argc == 7) napi_typeof(env, argv[6], &type);
  if (argc < 7 || napi_get_value_int32(env, argv[0], &downstream) != napi_ok || !get_string(env, argv[1], client_text, sizeof client_text) ||
      napi_get_value_uint32(env, argv[2], &client_port) != napi_ok || !get_string(env, argv[3], backend_text, sizeof backend_text) ||
      napi_get_value_uint32(env, argv[4], &backend_port) != napi_ok || napi_get_value_uint32(env, argv[5], &report_ms) != napi_ok ||
      type != napi_function || downstream < 0 || client_port > 65535 || backend_port > 65535 || report_ms == 0) {
    napi_throw_type_error(env, NULL, "UdpRelay(downstreamFd, clientAddress, clientPort, backendAddress, backendPort, reportMs, callback)");
    return NULL;
  }
  struct sockaddr_storage backend, client, local;
  socklen_t backend_length = inet_address(backend_text, backend_port, &backend);
  socklen_t client_length = inet_address(client_text, client_port, &client);
  socklen_t local_length = sizeof local;
  if (backend_length == 0 || client_length == 0) {
    napi_throw_type_error(env, "EINVAL", "UdpRelay: the client and the backend must be IP addresses");
    return NULL;
  }
  if (getsockname(downstream, (struct sockaddr *)&local, &local_length) < 0) return throw_errno(env, "getsockname", errno);
  if (local.ss_family == AF_INET6 && client.ss_family == AF_INET) map_to_v6(&client, &client_length);
  if (local.ss_family != client.ss_family) {
    napi_throw_type_error(env, "EINVAL", "UdpRelay: the client's address family is not the listening socket's");
    return NULL;
  }
  if (shared == NULL && (shared = malloc(sizeof *shared)) == NULL) return throw_errno(env, "malloc", ENOMEM);
  uv_loop_t *loop;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok) return NULL;
  relay *r = calloc(1, sizeof *r);
  if (r == NULL) return throw_errno(env, "malloc", ENOMEM);
  r->env = env;
  r->report_ms = report_ms;
  r->client = client;
  r->client_length = client_length;
  r->upstream = socket(backend.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (r->upstream < 0) {
    int err = errno;
    free(r);
    return throw_errno(env, "socket", err);
  }
  r->downstream = fcntl(downstream, F_DUPFD_CLOEXEC, 3);
  int err = r->downstream < 0 ? errno : 0;
  const char *what = "dup";
  if (err == 0 && connect(r->upstream, (struct sockaddr *)&backend, backend_length) < 0) {
    err = errno;
    what = "connect";
  }
  int uv_err = err == 0 ? uv_poll_init(loop, &r->poll, r->upstream) : 0;
  if (err != 0 || uv_err != 0) {
    close_fd(&r->upstream);
    close_fd(&r->downstream);
    free(r);
    if (uv_err != 0) {
      napi_throw_error(env, NULL, uv_strerror(uv_err));
      return NULL;
    }
    return throw_errno(env, what, err);
  }
  r->poll.data = r;
  r->open_handles++;
  uv_timer_init(loop, &r->report_timer);
  r->report_timer.data = r;
  r->open_handles++;
  napi_value name;
  napi_create_string_utf8(env, "mrsocko:udp-relay", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, self, name, &r->async);
  napi_create_reference(env, argv[6], 1, &r->callback);
  napi_wrap(env, self, r, finalize, NULL, &r->self);
  uint32_t count;
  napi_reference_ref(env, r->self, &count);  /* alive while its poll is */
  uv_poll_start(&r->poll, UV_READABLE, on_readable);
  return self;
}

static relay *unwrap(napi_env env, napi_callback_info info, size_t *argc, napi_value *argv) {
  napi_value self;
  void *data = NULL;
  if (napi_get_cb_info(env, info, argc, argv, &self, NULL) != napi_ok) return NULL;
  if (napi_unwrap(env, self, &data) != napi_ok) return NULL;
  return data;
}

static napi_value int_value(napi_env env, int32_t n) {
  napi_value value;
  napi_create_int32(env, n, &value);
  return value;
}

/** send(datagram): one datagram to the backend; 0, or the errno (EAGAIN: no room, dropped). */
static napi_value send_datagram(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  relay *r = unwrap(env, info, &argc, argv);
  void *data = NULL;
  size_t length = 0;
  if (r == NULL || argc < 1 || napi_get_buffer_info(env, argv[0], &data, &length) != napi_ok) {
    napi_throw_type_error(env, NULL, "send(datagram: Buffer)");
    return NULL;
  }
  if (r->closed) return int_value(env, EBADF);
  for (;;) {
    if (send(r->upstream, data, length, MSG_DONTWAIT) >= 0) return int_value(env, 0);
    if (errno != EINTR) return int_value(env, errno);
  }
}

/** close(): stop, report what is counted and not reported yet, close the sockets. Idempotent. */
static napi_value close_relay(napi_env env, napi_callback_info info) {
  relay *r = unwrap(env, info, NULL, NULL);
  if (r != NULL && !r->closed) {
    report(r);
    stop_all(r);
  }
  return NULL;
}

/** flush(): report the replies relayed since the last report now (synchronously). */
static napi_value flush_relay(napi_env env, napi_callback_info info) {
  relay *r = unwrap(env, info, NULL, NULL);
  if (r != NULL) report(r);
  return NULL;
}

void udp_register(napi_env env, napi_value exports) {
  napi_property_descriptor methods[] = {
    {"send", NULL, send_datagram, NULL, NULL, NULL, napi_default, NULL},
    {"close", NULL, close_relay, NULL, NULL, NULL, napi_default, NULL},
    {"flush", NULL, flush_relay, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_value cls;
  napi_define_class(env, "UdpRelay", NAPI_AUTO_LENGTH, construct, NULL, sizeof methods / sizeof methods[0], methods, &cls);
  napi_set_named_property(env, exports, "UdpRelay", cls);
}
