// A whole proxied stream connection run by the addon, from accept to close, for clients
// that arrive while the backend runs: the Acceptor accepts on the listening socket and
// hands JavaScript the descriptor and the client's address (admission stays there); a
// Relay connects to the backend and moves both directions kernel to kernel (./pump.c),
// with half-close, until both ends are done. No Node.js socket is made for such a
// connection: that (two stream objects, their handles, a dozen events) cost several times
// the CPU of the bytes of a short request (issue 18, docs/native.md).
//
// Driven from Node's own event loop, like ./splice.c: one uv_poll per descriptor, watching
// what either direction waits for. What JavaScript hears, through callback(kind, a, b):
// BYTES (up, down) moved since the last report: the first after a quiet spell at once,
// then at most every `report_ms` while bytes flow; CONNECT_FAILED (errno): the downstream descriptor is still held, for JavaScript to
// take back (detach()) or close; ERROR (side + 2 if writing, errno), then CLOSED (up, down): the last
// bytes, everything closed. close() and detach() report nothing after they return.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <node_api.h>
#include <uv.h>
#include "notify.h"
#include "pump.h"

enum report { REPORT_BYTES = 0, REPORT_CONNECT_FAILED = 1, REPORT_ERROR = 2, REPORT_CLOSED = 3 };
/** Sides, as JavaScript names them; also the index of each descriptor, and of the direction reading from it. */
enum side { DOWNSTREAM = 0, UPSTREAM = 1 };
enum phase { CONNECTING = 0, OPEN = 1, CONNECT_FAILED = 2, DONE = 3 };
enum wait { WAIT_NOTHING = 0, WAIT_SOURCE = 1, WAIT_DESTINATION = 2 };

/** One direction: half[i] reads fd[i] and writes fd[1 - i]. */
typedef struct half {
  spliced pipe;
  double total;
  double unreported;
  int busy;
  int wait;
  int done;  /* its end was passed on: the destination is shut down for writing */
} half;

typedef struct relay {
  napi_env env;
  group *group;
  napi_ref self;
  napi_ref callback;
  napi_async_context async;
  int fd[2];
  uv_poll_t poll[2];
  int events[2];     /* what each poll watches now, to touch epoll only on changes */
  uv_timer_t report_timer;
  int timer_armed;
  uint64_t report_ms;
  half half[2];
  int phase;
  char *header;      /* the PROXY protocol header: written upstream before any client byte */
  size_t header_length;
  size_t header_sent;
  size_t least, most, turn;
  int connect_error; /* connect() failed at once: told from the timer's first tick */
  int open_handles;
  int finalized;
} relay;

static void free_if_done(relay *r) {
  if (r->open_handles == 0 && r->finalized) {
    free(r->header);
    free(r);
  }
}

static void call_js(relay *r, int kind, double a, double b) {
  mrsocko_report(r->env, r->async, r->self, r->callback, kind, a, b);
}

/** The bytes not reported yet, now (nothing when there are none). */
static void report_bytes(relay *r) {
  double up = r->half[DOWNSTREAM].unreported, down = r->half[UPSTREAM].unreported;
  if (up == 0 && down == 0) return;
  r->half[DOWNSTREAM].unreported = r->half[UPSTREAM].unreported = 0;
  call_js(r, REPORT_BYTES, up, down);
}

static void on_report_timer(uv_timer_t *timer) {
  relay *r = timer->data;
  if (r->connect_error != 0) {
    int err = r->connect_error;
    r->connect_error = 0;
    uv_timer_stop(timer);
    call_js(r, REPORT_CONNECT_FAILED, err, 0);
    return;
  }
  if (r->half[0].unreported == 0 && r->half[1].unreported == 0) {
    uv_timer_stop(timer);
    r->timer_armed = 0;
    return;
  }
  report_bytes(r);
}

/**
 * The first bytes after a quiet spell are reported at once (the idle countdown, a frozen
 * backend's thaw and eviction see activity when it happens), later ones in sums by the
 * timer, at most every report_ms: a short request and its answer cost one call into
 * JavaScript, and the end one more. JavaScript may close the relay from the report.
 */
static void counted(relay *r, half *h, size_t n) {
  h->total += (double)n;
  h->unreported += (double)n;
  if (r->timer_armed) return;
  r->timer_armed = 1;
  uv_timer_start(&r->report_timer, on_report_timer, r->report_ms, r->report_ms);
  report_bytes(r);
}

static void set_busy(relay *r, half *h, int busy) {
  if (busy == h->busy) return;
  h->busy = busy;
  if (busy) r->group->busy++;
  else r->group->busy--;
}

static void on_poll(uv_poll_t *poll, int status, int events);

static void update_polls(relay *r) {
  for (int i = 0; i < 2; i++) {
    int events = 0;
    if (r->phase == CONNECTING && i == UPSTREAM) events = UV_WRITABLE;
    if (r->phase == OPEN) {
      if (r->half[i].wait == WAIT_SOURCE) events |= UV_READABLE;
      if (r->half[1 - i].wait == WAIT_DESTINATION) events |= UV_WRITABLE;
      if (i == UPSTREAM && r->header_sent < r->header_length) events |= UV_WRITABLE;
    }
    if (events == r->events[i] || r->fd[i] < 0) continue;
    if (events) uv_poll_start(&r->poll[i], events, on_poll);
    else uv_poll_stop(&r->poll[i]);
    r->events[i] = events;
  }
}

static void on_handle_closed(uv_handle_t *handle) {
  relay *r = handle->data;
  r->open_handles--;
  if (r->open_handles > 0) return;
  napi_delete_reference(r->env, r->callback);
  napi_async_destroy(r->env, r->async);
  uint32_t count = 0;
  // weak now: the object's finalizer frees the struct and deletes the reference (deleted
  // sooner, the finalizer never runs and a later call on the object reads freed memory)
  napi_reference_unref(r->env, r->self, &count);
  free_if_done(r);
}

/** Its poll goes first (libuv forgets the descriptor synchronously), then the descriptor; keep: hand it over instead. */
static int drop_side(relay *r, int i, int keep) {
  int fd = r->fd[i];
  if (fd < 0) return -1;
  r->fd[i] = -1;
  r->events[i] = 0;
  uv_close((uv_handle_t *)&r->poll[i], on_handle_closed);
  if (keep) return fd;
  close(fd);
  return -1;
}

/** Everything closed; nothing more is reported. */
static void stop_all(relay *r) {
  if (r->phase == DONE) return;
  r->phase = DONE;
  for (int i = 0; i < 2; i++) {
    set_busy(r, &r->half[i], 0);
    spliced_release(r->group, &r->half[i].pipe);
    drop_side(r, i, 0);
  }
  uv_timer_stop(&r->report_timer);
  uv_close((uv_handle_t *)&r->report_timer, on_handle_closed);
  mrsocko_leave(r->group);
}

static void finish(relay *r) {
  double up = r->half[DOWNSTREAM].unreported, down = r->half[UPSTREAM].unreported;
  stop_all(r);
  call_js(r, REPORT_CLOSED, up, down);
}

/** ERROR's first value: the side, plus 2 when a write to it failed (a read otherwise). */
static void fail(relay *r, int side, int writing, int err) {
  call_js(r, REPORT_ERROR, side | (writing ? 2 : 0), err);
  if (r->phase != DONE) finish(r);
}

/** Move what direction `i` can move now, and note what it waits for next. */
static void run(relay *r, int i) {
  half *h = &r->half[i];
  size_t moved;
  int err;
  pump_result result = mrsocko_pump(r->group, &h->pipe, r->fd[i], r->fd[1 - i],
                                    mrsocko_budget(r->group, r->least, r->most, r->turn), &moved, &err);
  if (moved > 0) {
    counted(r, h, moved);
    if (r->phase != OPEN) return;  /* closed or handed back from the report */
  }
  switch (result) {
    case PUMP_WAIT_SOURCE:
      set_busy(r, h, 0);
      h->wait = WAIT_SOURCE;
      return;
    case PUMP_WAIT_DESTINATION:
      set_busy(r, h, 0);
      h->wait = WAIT_DESTINATION;
      return;
    case PUMP_BUDGET:
      set_busy(r, h, 1);
      h->wait = WAIT_SOURCE;
      return;
    case PUMP_END:
      set_busy(r, h, 0);
      h->wait = WAIT_NOTHING;
      h->done = 1;
      spliced_release(r->group, &h->pipe);
      // the peer may have gone already (ENOTCONN): the other direction finds out
      shutdown(r->fd[1 - i], SHUT_WR);
      if (r->half[1 - i].done) finish(r);
      return;
    case PUMP_SOURCE_ERROR:
      fail(r, i, 0, err);
      return;
    case PUMP_DESTINATION_ERROR:
      fail(r, 1 - i, 1, err);
      return;
  }
}

/** The PROXY header, or what is left of it; then the client's bytes may go. */
static void send_header(relay *r) {
  while (r->header_sent < r->header_length) {
    ssize_t n = send(r->fd[UPSTREAM], r->header + r->header_sent, r->header_length - r->header_sent, MSG_NOSIGNAL);
    if (n > 0) {
      r->header_sent += (size_t)n;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;
    fail(r, UPSTREAM, 1, n < 0 ? errno : EPIPE);
    return;
  }
  if (r->half[DOWNSTREAM].wait == WAIT_NOTHING && !r->half[DOWNSTREAM].done) {
    // the client's first bytes are usually there already: moved now, not after another poll
    r->half[DOWNSTREAM].wait = WAIT_SOURCE;
    run(r, DOWNSTREAM);
  }
}

static void opened(relay *r) {
  r->phase = OPEN;
  int one = 1;
  setsockopt(r->fd[DOWNSTREAM], IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  r->half[UPSTREAM].wait = WAIT_SOURCE;
  send_header(r);
  if (r->phase == OPEN) update_polls(r);
}

static void connect_failed(relay *r, int err) {
  r->phase = CONNECT_FAILED;
  drop_side(r, UPSTREAM, 0);
  call_js(r, REPORT_CONNECT_FAILED, err, 0);
}

static void on_poll(uv_poll_t *poll, int status, int events) {
  relay *r = poll->data;
  int i = poll == &r->poll[UPSTREAM] ? UPSTREAM : DOWNSTREAM;
  // libuv stops a poll that saw POLLERR (status < 0): the next system call on it finds the error
  if (status < 0) {
    r->events[i] = 0;
    events = UV_READABLE | UV_WRITABLE;
  }
  if (r->phase == CONNECTING) {
    if (i != UPSTREAM) return;
    int err = 0;
    socklen_t length = sizeof err;
    if (getsockopt(r->fd[UPSTREAM], SOL_SOCKET, SO_ERROR, &err, &length) < 0) err = errno;
    if (err == 0) opened(r);
    else connect_failed(r, err);
    return;
  }
  if (r->phase != OPEN) return;
  if ((events & UV_WRITABLE) && i == UPSTREAM && r->header_sent < r->header_length) send_header(r);
  if (r->phase == OPEN && (events & (UV_READABLE | UV_DISCONNECT)) && r->half[i].wait == WAIT_SOURCE) run(r, i);
  if (r->phase == OPEN && (events & UV_WRITABLE) && r->half[1 - i].wait == WAIT_DESTINATION) run(r, 1 - i);
  if (r->phase == OPEN) update_polls(r);
}

static void free_unwrapped(uv_handle_t *handle) {
  relay *r = handle->data;
  free(r->header);
  free(r);
}

static void finalize(napi_env env, void *data, void *hint) {
  (void)hint;
  relay *r = data;
  r->finalized = 1;
  napi_delete_reference(env, r->self);
  free_if_done(r);
}

static int get_fd_arg(napi_env env, napi_value value, int32_t *fd) {
  return napi_get_value_int32(env, value, fd) == napi_ok && *fd >= 0;
}

/**
 * new Relay(downstreamFd, backendHost, backendPort, header, leastBytes, mostBytes, turnBytes, reportMs, callback(kind, a, b))
 * The descriptor becomes the relay's (closed by it, or handed back by detach()). Port 0: backendHost is a unix socket path.
 */
static napi_value construct(napi_env env, napi_callback_info info) {
  size_t argc = 9;
  napi_value argv[9], self;
  if (napi_get_cb_info(env, info, &argc, argv, &self, NULL) != napi_ok) return NULL;
  int32_t downstream;
  uint32_t port, least, most, turn, report_ms;
  napi_valuetype type;
  if (argc == 9) napi_typeof(env, argv[8], &type);
  if (argc < 9 || type != napi_function || !get_fd_arg(env, argv[0], &downstream) ||
      napi_get_value_uint32(env, argv[2], &port) != napi_ok || napi_get_value_uint32(env, argv[4], &least) != napi_ok ||
      napi_get_value_uint32(env, argv[5], &most) != napi_ok || napi_get_value_uint32(env, argv[6], &turn) != napi_ok ||
      napi_get_value_uint32(env, argv[7], &report_ms) != napi_ok || port > 65535 || least == 0 || most < least ||
      turn == 0 || report_ms == 0) {
    napi_throw_type_error(env, NULL, "Relay(downstreamFd, backendHost, backendPort, header, leastBytes, mostBytes, turnBytes, reportMs, callback)");
    return NULL;
  }
  group *g = NULL;
  if (napi_get_instance_data(env, (void **)&g) != napi_ok || g == NULL) {
    napi_throw_error(env, NULL, "Relay: the addon was not initialized");
    return NULL;
  }
  char host[sizeof(((struct sockaddr_un *)0)->sun_path)];
  size_t host_length = 0;
  if (napi_get_value_string_utf8(env, argv[1], host, sizeof host, &host_length) != napi_ok || host_length == 0 ||
      host_length >= sizeof host - 1) {
    napi_throw_type_error(env, NULL, "Relay: backendHost is an IP address, or a unix socket path of at most 107 bytes");
    return NULL;
  }
  struct sockaddr_storage address;
  memset(&address, 0, sizeof address);
  socklen_t address_length;
  if (port == 0) {
    struct sockaddr_un *un = (struct sockaddr_un *)&address;
    un->sun_family = AF_UNIX;
    memcpy(un->sun_path, host, host_length + 1);
    address_length = sizeof *un;
  } else {
    struct sockaddr_in *in4 = (struct sockaddr_in *)&address;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&address;
    if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
      in4->sin_family = AF_INET;
      in4->sin_port = htons((uint16_t)port);
      address_length = sizeof *in4;
    } else if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
      in6->sin6_family = AF_INET6;
      in6->sin6_port = htons((uint16_t)port);
      address_length = sizeof *in6;
    } else {
      napi_throw_type_error(env, NULL, "Relay: backendHost is not an IP address");
      return NULL;
    }
  }
  void *header_data = NULL;
  size_t header_length = 0;
  bool is_buffer = false;
  napi_is_buffer(env, argv[3], &is_buffer);
  if (is_buffer) napi_get_buffer_info(env, argv[3], &header_data, &header_length);
  relay *r = calloc(1, sizeof *r);
  if (r == NULL || (header_length > 0 && (r->header = malloc(header_length)) == NULL)) {
    free(r);
    return mrsocko_throw_errno(env, "Relay", ENOMEM);
  }
  if (header_length > 0) memcpy(r->header, header_data, header_length);
  r->header_length = header_length;
  r->env = env;
  r->group = g;
  r->least = least;
  r->most = most;
  r->turn = turn;
  r->report_ms = report_ms;
  spliced_init(&r->half[0].pipe);
  spliced_init(&r->half[1].pipe);
  uv_loop_t *loop;
  napi_get_uv_event_loop(env, &loop);
  int upstream = socket(address.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (upstream < 0) {
    int err = errno;
    free(r->header);
    free(r);
    return mrsocko_throw_errno(env, "Relay: socket", err);
  }
  int err = uv_poll_init(loop, &r->poll[DOWNSTREAM], downstream);
  if (err == 0) {
    r->open_handles++;
    err = uv_poll_init(loop, &r->poll[UPSTREAM], upstream);
    if (err == 0) r->open_handles++;
  }
  if (err != 0) {
    close(upstream);
    if (r->open_handles == 0) {
      free(r->header);
      free(r);
    } else {
      r->poll[DOWNSTREAM].data = r;
      uv_close((uv_handle_t *)&r->poll[DOWNSTREAM], free_unwrapped);  /* a handle made goes the libuv way */
    }
    napi_throw_error(env, NULL, uv_strerror(err));
    return NULL;
  }
  r->fd[DOWNSTREAM] = downstream;
  r->fd[UPSTREAM] = upstream;
  r->poll[DOWNSTREAM].data = r->poll[UPSTREAM].data = r;
  uv_timer_init(loop, &r->report_timer);
  r->report_timer.data = r;
  r->open_handles++;
  napi_value name;
  napi_create_string_utf8(env, "mrsocko:relay", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, self, name, &r->async);
  napi_create_reference(env, argv[8], 1, &r->callback);
  napi_wrap(env, self, r, finalize, NULL, &r->self);
  uint32_t count;
  napi_reference_ref(env, r->self, &count);  /* alive while its handles are */
  mrsocko_join(g);
  if (address.ss_family != AF_UNIX) {
    int one = 1;
    setsockopt(upstream, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  // connect() now, its result through the poll (even an immediate one: no callback runs inside `new`)
  if (connect(upstream, (struct sockaddr *)&address, address_length) < 0 && errno != EINPROGRESS && errno != EINTR) {
    r->phase = CONNECT_FAILED;
    // told from the timer's first tick, as an asynchronous connect() failure would be
    r->connect_error = errno;
    drop_side(r, UPSTREAM, 0);
    uv_timer_start(&r->report_timer, on_report_timer, 0, 0);
    return self;
  }
  r->phase = CONNECTING;
  update_polls(r);
  return self;
}

static relay *unwrap(napi_env env, napi_callback_info info, size_t *argc, napi_value *argv) {
  napi_value self;
  void *data = NULL;
  if (napi_get_cb_info(env, info, argc, argv, &self, NULL) != napi_ok) return NULL;
  if (napi_unwrap(env, self, &data) != napi_ok) return NULL;
  return data;
}

/** close(reset): report the bytes not reported yet, then close both sides (reset: the client gets an RST). Idempotent. */
static napi_value close_relay(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  relay *r = unwrap(env, info, &argc, argv);
  if (r == NULL || r->phase == DONE) return NULL;
  bool reset = false;
  if (argc > 0) napi_get_value_bool(env, argv[0], &reset);
  if (r->phase != CONNECT_FAILED) report_bytes(r);
  if (r->phase == DONE) return NULL;
  if (reset && r->fd[DOWNSTREAM] >= 0) {
    struct linger linger = {1, 0};
    setsockopt(r->fd[DOWNSTREAM], SOL_SOCKET, SO_LINGER, &linger, sizeof linger);
  }
  stop_all(r);
  return NULL;
}

/** detach(): the downstream descriptor, handed back (its owner closes it); the upstream side closed. -1 once closed. */
static napi_value detach_relay(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  relay *r = unwrap(env, info, &argc, NULL);
  int fd = -1;
  if (r != NULL && r->phase != DONE) {
    fd = drop_side(r, DOWNSTREAM, 1);
    stop_all(r);
  }
  napi_value value;
  napi_create_int32(env, fd, &value);
  return value;
}

static napi_value flush_relay(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  relay *r = unwrap(env, info, &argc, NULL);
  if (r != NULL && r->phase != DONE && r->phase != CONNECT_FAILED) report_bytes(r);
  return NULL;
}

static napi_value get_number(napi_env env, double number) {
  napi_value value;
  napi_create_double(env, number, &value);
  return value;
}

/** up: bytes read from the client so far; down: from the backend. */
static napi_value get_up(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  relay *r = unwrap(env, info, &argc, NULL);
  return get_number(env, r == NULL ? 0 : r->half[DOWNSTREAM].total);
}

static napi_value get_down(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  relay *r = unwrap(env, info, &argc, NULL);
  return get_number(env, r == NULL ? 0 : r->half[UPSTREAM].total);
}

/** phase: 0 connecting, 1 open, 2 connect failed (downstream still held), 3 done. */
static napi_value get_phase(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  relay *r = unwrap(env, info, &argc, NULL);
  return get_number(env, r == NULL ? DONE : r->phase);
}

void relay_register(napi_env env, napi_value exports) {
  napi_property_descriptor methods[] = {
    {"close", NULL, close_relay, NULL, NULL, NULL, napi_default, NULL},
    {"detach", NULL, detach_relay, NULL, NULL, NULL, napi_default, NULL},
    {"flush", NULL, flush_relay, NULL, NULL, NULL, napi_default, NULL},
    {"up", NULL, NULL, get_up, NULL, NULL, napi_default, NULL},
    {"down", NULL, NULL, get_down, NULL, NULL, napi_default, NULL},
    {"phase", NULL, NULL, get_phase, NULL, NULL, napi_default, NULL},
  };
  napi_value cls;
  napi_define_class(env, "Relay", NAPI_AUTO_LENGTH, construct, NULL, sizeof methods / sizeof methods[0], methods, &cls);
  napi_set_named_property(env, exports, "Relay", cls);
}
