// UDP flows moved in batches (src/proxy/udp-upstream.ts, src/proxy/udp.ts), with no event,
// no Buffer and no send request per datagram in JavaScript:
//
// - UdpRelay, the upstream side of one flow: a datagram socket of its own, connected to the
//   backend; the backend's replies are relayed to the client in batches, recvmmsg() from it
//   and sendmmsg() through the listening socket to the client's address. Datagrams from the
//   client go up through send() (from JavaScript), or straight from a UdpReader the relay is
//   attached to.
// - UdpReader, the receiving side of a listening socket: recvmmsg() in batches; a datagram
//   from a client whose relay is attached (an open flow with nothing queued in JavaScript)
//   goes up at once, sendmmsg() for a run of them; every other one is handed to JavaScript
//   (a new client, a held flow: admission, queueing and the rest stay there).
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
#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
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
  REPORT_DROPPED = 1,           /* a: datagrams a socket had no room for, b: bytes */
  REPORT_UPSTREAM_ERROR = 2,    /* a: errno (ECONNREFUSED: nothing is bound at the backend port) */
  REPORT_DOWNSTREAM_ERROR = 3,  /* a: errno */
  REPORT_UP = 4,                /* a: bytes the reader sent up, b: datagrams */
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
  struct mmsghdr out[BATCH];
  struct iovec iov[BATCH];
  struct sockaddr_storage from[BATCH];
  char data[BATCH][SLOT_BYTES];
} scratch;
static scratch *shared;

typedef struct reader reader;
typedef struct relay relay;

/* ---- UdpReader's state (its code is below UdpRelay's) ---- */
struct reader {
  napi_env env;
  napi_ref self;      /* held strongly while open */
  napi_ref callback;
  napi_async_context async;
  uv_poll_t poll;
  int fd;             /* a dup() of the listening socket: read here, and every relay's way to its client */
  int users;          /* relays sending through fd: fd and the struct outlive close() for them */
  relay **buckets;    /* attached relays by client address */
  size_t bucket_count;
  size_t attached;
  int failed;
  int closed;
  int handle_open;
  int finalized;
};

static void reader_release(reader *d);

typedef struct relay {
  napi_env env;
  napi_ref self;      /* the JavaScript object, held strongly while open */
  napi_ref callback;
  napi_async_context async;
  uv_poll_t poll;
  uv_timer_t report_timer;
  int upstream;       /* ours */
  reader *via;        /* whose descriptor of the listening socket replies go out through */
  struct sockaddr_storage client;
  socklen_t client_length;
  uint64_t report_ms;
  double unreported_bytes;
  double unreported_datagrams;
  double unreported_drops;
  double unreported_drop_bytes;
  double unreported_up_bytes;
  double unreported_up_datagrams;
  reader *attached;   /* the reader that sends this client's datagrams up, or NULL */
  struct relay *next; /* in the reader's bucket */
  uint32_t hash;
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
  mrsocko_report(r->env, r->async, r->self, r->callback, kind, a, b);
}

static void report(relay *r) {
  if (r->closed) return;
  if (r->unreported_up_datagrams > 0) {
    double bytes = r->unreported_up_bytes, datagrams = r->unreported_up_datagrams;
    r->unreported_up_bytes = r->unreported_up_datagrams = 0;
    call_js(r, REPORT_UP, bytes, datagrams);
  }
  if (r->unreported_datagrams > 0 && !r->closed) {
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
  if (r->unreported_datagrams == 0 && r->unreported_drops == 0 && r->unreported_up_datagrams == 0) {
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
static void detach(relay *r);

static void fail(relay *r, int kind, int err) {
  r->failed = 1;
  detach(r);  /* what the client sends next goes to JavaScript, which decides */
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

/**
 * sendmmsg() `count` datagrams `out` on `fd`, their sizes read from `sizes` (what recvmmsg()
 * filled in), adding what left to `bytes` and `datagrams`; what the socket has no room for
 * is dropped and counted. On an error the rest of the run is lost (as a refused send from
 * JavaScript loses its datagram) and `r` fails with `error_kind`: returns false.
 */
static bool send_run(relay *r, int fd, struct mmsghdr *out, const struct mmsghdr *sizes, int count,
                     double *bytes, double *datagrams, int error_kind) {
  int sent = 0;
  while (sent < count) {
    int k = sendmmsg(fd, out + sent, (unsigned)(count - sent), MSG_DONTWAIT);
    if (k > 0) {
      for (int i = sent; i < sent + k; i++) *bytes += sizes[i].msg_len;
      *datagrams += k;
      sent += k;
      continue;
    }
    if (k < 0 && errno == EINTR) continue;
    if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)) break;
    int err = k < 0 ? errno : EIO;
    if (*datagrams > 0) counted(r);
    fail(r, error_kind, err);
    return false;
  }
  for (int i = sent; i < count; i++) {
    r->unreported_drops += 1;
    r->unreported_drop_bytes += sizes[i].msg_len;
  }
  counted(r);
  return true;
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
    if (!send_run(r, r->via->fd, s->messages, s->messages, n, &r->unreported_bytes, &r->unreported_datagrams,
                  REPORT_DOWNSTREAM_ERROR)) return;
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
  // weak now: the object's finalizer frees the struct and deletes the reference (deleted
  // sooner, the finalizer never runs and a later call on the object reads freed memory)
  napi_reference_unref(r->env, r->self, &count);
  free_if_done(r);
}

static void close_fd(int *fd) {
  if (*fd >= 0) close(*fd);
  *fd = -1;
}

static void stop_all(relay *r) {
  if (r->closed) return;
  r->closed = 1;
  detach(r);
  stop_polling(r);
  uv_timer_stop(&r->report_timer);
  close_fd(&r->upstream);
  reader_release(r->via);
  r->via = NULL;
  uv_close((uv_handle_t *)&r->poll, on_handle_closed);
  uv_close((uv_handle_t *)&r->report_timer, on_handle_closed);
}

static void finalize(napi_env env, void *data, void *hint) {
  (void)hint;
  relay *r = data;
  r->finalized = 1;
  napi_delete_reference(env, r->self);
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

static reader *unwrap_reader(napi_env env, napi_value value);

/**
 * new UdpRelay(reader, clientAddress, clientPort, backendAddress, backendPort, reportMs, callback(kind, a, b)):
 * replies go to the client through the reader's descriptor of the listening socket (one per
 * socket, not one per flow: a flow costs one descriptor, as on the JavaScript path).
 */
static napi_value construct(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7], self;
  if (napi_get_cb_info(env, info, &argc, argv, &self, NULL) != napi_ok) return NULL;
  reader *via = argc >= 1 ? unwrap_reader(env, argv[0]) : NULL;
  uint32_t client_port, backend_port, report_ms;
  char client_text[64], backend_text[64];
  napi_valuetype type = napi_undefined;
  if (argc == 7) napi_typeof(env, argv[6], &type);
  if (argc < 7 || via == NULL || !get_string(env, argv[1], client_text, sizeof client_text) ||
      napi_get_value_uint32(env, argv[2], &client_port) != napi_ok || !get_string(env, argv[3], backend_text, sizeof backend_text) ||
      napi_get_value_uint32(env, argv[4], &backend_port) != napi_ok || napi_get_value_uint32(env, argv[5], &report_ms) != napi_ok ||
      type != napi_function || client_port > 65535 || backend_port > 65535 || report_ms == 0) {
    napi_throw_type_error(env, NULL, "UdpRelay(reader, clientAddress, clientPort, backendAddress, backendPort, reportMs, callback)");
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
  if (via->fd < 0) return throw_errno(env, "UdpRelay", EBADF);
  if (getsockname(via->fd, (struct sockaddr *)&local, &local_length) < 0) return throw_errno(env, "getsockname", errno);
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
  int err = 0;
  const char *what = "connect";
  if (connect(r->upstream, (struct sockaddr *)&backend, backend_length) < 0) {
    err = errno;
  }
  int uv_err = err == 0 ? uv_poll_init(loop, &r->poll, r->upstream) : 0;
  if (err != 0 || uv_err != 0) {
    close_fd(&r->upstream);
    free(r);
    if (uv_err != 0) {
      napi_throw_error(env, NULL, uv_strerror(uv_err));
      return NULL;
    }
    return throw_errno(env, what, err);
  }
  r->poll.data = r;
  r->open_handles++;
  r->via = via;
  via->users++;
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

/* ---- UdpReader ---------------------------------------------------------------------- */


static uint32_t address_hash(const struct sockaddr_storage *a) {
  const unsigned char *bytes;
  size_t length;
  uint16_t port;
  if (a->ss_family == AF_INET6) {
    const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)a;
    bytes = v6->sin6_addr.s6_addr;
    length = 16;
    port = v6->sin6_port;
  } else {
    const struct sockaddr_in *v4 = (const struct sockaddr_in *)a;
    bytes = (const unsigned char *)&v4->sin_addr;
    length = 4;
    port = v4->sin_port;
  }
  uint32_t h = 2166136261u;  /* FNV-1a */
  for (size_t i = 0; i < length; i++) h = (h ^ bytes[i]) * 16777619u;
  h = (h ^ (port & 0xff)) * 16777619u;
  h = (h ^ (port >> 8)) * 16777619u;
  return h;
}

static int same_address(const struct sockaddr_storage *a, const struct sockaddr_storage *b) {
  if (a->ss_family != b->ss_family) return 0;
  if (a->ss_family == AF_INET6) {
    const struct sockaddr_in6 *x = (const struct sockaddr_in6 *)a, *y = (const struct sockaddr_in6 *)b;
    return x->sin6_port == y->sin6_port && x->sin6_scope_id == y->sin6_scope_id &&
           memcmp(&x->sin6_addr, &y->sin6_addr, sizeof x->sin6_addr) == 0;
  }
  const struct sockaddr_in *x = (const struct sockaddr_in *)a, *y = (const struct sockaddr_in *)b;
  return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
}

static relay *find_relay(reader *d, const struct sockaddr_storage *from) {
  if (d->attached == 0) return NULL;
  uint32_t h = address_hash(from);
  for (relay *r = d->buckets[h & (d->bucket_count - 1)]; r != NULL; r = r->next) {
    if (r->hash == h && same_address(&r->client, from)) return r;
  }
  return NULL;
}

static int grow(reader *d) {
  size_t count = d->bucket_count == 0 ? 64 : d->bucket_count * 2;
  relay **buckets = calloc(count, sizeof *buckets);
  if (buckets == NULL) return -1;
  for (size_t i = 0; i < d->bucket_count; i++) {
    for (relay *r = d->buckets[i], *next; r != NULL; r = next) {
      next = r->next;
      r->next = buckets[r->hash & (count - 1)];
      buckets[r->hash & (count - 1)] = r;
    }
  }
  free(d->buckets);
  d->buckets = buckets;
  d->bucket_count = count;
  return 0;
}

static void detach(relay *r) {
  reader *d = r->attached;
  if (d == NULL) return;
  r->attached = NULL;
  for (relay **p = &d->buckets[r->hash & (d->bucket_count - 1)]; *p != NULL; p = &(*p)->next) {
    if (*p == r) {
      *p = r->next;
      d->attached--;
      break;
    }
  }
  r->next = NULL;
}

/** Whether `r` now gets its client's datagrams from `d` (an attached relay of the same client first goes). */
static int attach(relay *r, reader *d) {
  if (r->closed || r->failed || d->closed || d->failed) return 0;
  if (r->attached == d) return 1;
  detach(r);
  relay *other = find_relay(d, &r->client);
  if (other != NULL) detach(other);
  if (d->attached + 1 > d->bucket_count && grow(d) < 0) return 0;
  r->hash = address_hash(&r->client);
  r->next = d->buckets[r->hash & (d->bucket_count - 1)];
  d->buckets[r->hash & (d->bucket_count - 1)] = r;
  d->attached++;
  r->attached = d;
  return 1;
}

static void detach_all(reader *d) {
  for (size_t i = 0; i < d->bucket_count; i++) {
    while (d->buckets[i] != NULL) detach(d->buckets[i]);
  }
}

/** Send `count` datagrams of the batch, from `first`, up through `r`; what has no room is dropped and counted. */
static void send_up(relay *r, scratch *s, int first, int count) {
  send_run(r, r->upstream, s->out + first, s->messages + first, count, &r->unreported_up_bytes,
           &r->unreported_up_datagrams, REPORT_UPSTREAM_ERROR);
}

/** The client's address as Node writes it (rinfo.address): "127.0.0.1", "::ffff:127.0.0.1", "fe80::1%eth0". */
static void address_text(const struct sockaddr_storage *a, char *out, size_t size, uint32_t *port) {
  out[0] = 0;
  if (a->ss_family == AF_INET6) {
    const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)a;
    inet_ntop(AF_INET6, &v6->sin6_addr, out, (socklen_t)size);
    if (v6->sin6_scope_id != 0) {
      size_t n = strlen(out);
      char name[IF_NAMESIZE];
      if (if_indextoname(v6->sin6_scope_id, name) != NULL) snprintf(out + n, size - n, "%%%s", name);
      else snprintf(out + n, size - n, "%%%u", v6->sin6_scope_id);
    }
    *port = ntohs(v6->sin6_port);
  } else {
    const struct sockaddr_in *v4 = (const struct sockaddr_in *)a;
    inet_ntop(AF_INET, &v4->sin_addr, out, (socklen_t)size);
    *port = ntohs(v4->sin_port);
  }
}

/** callback(datagram, address, port) for a client without an attached relay; callback(null, errno, 0) for an error. */
static void hand_over(reader *d, const char *data, size_t length, const struct sockaddr_storage *from) {
  napi_env env = d->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  char text[INET6_ADDRSTRLEN + IF_NAMESIZE + 2];
  uint32_t port = 0;
  address_text(from, text, sizeof text, &port);
  napi_value argv[3];
  void *copy;
  napi_create_buffer_copy(env, length, data, &copy, &argv[0]);
  napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &argv[1]);
  napi_create_uint32(env, port, &argv[2]);
  mrsocko_call_js(env, d->async, d->self, d->callback, 3, argv);
  napi_close_handle_scope(env, scope);
}

static void reader_error(reader *d, int err) {
  d->failed = 1;
  detach_all(d);
  uv_poll_stop(&d->poll);
  napi_env env = d->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value argv[3];
  napi_get_null(env, &argv[0]);
  napi_create_int32(env, err, &argv[1]);
  napi_create_uint32(env, 0, &argv[2]);
  mrsocko_call_js(env, d->async, d->self, d->callback, 3, argv);
  napi_close_handle_scope(env, scope);
}

static void read_datagrams(reader *d) {
  scratch *s = shared;
  for (int round = 0; round < ROUNDS && !d->closed && !d->failed; round++) {
    for (int i = 0; i < BATCH; i++) {
      s->iov[i].iov_base = s->data[i];
      s->iov[i].iov_len = SLOT_BYTES;
      memset(&s->messages[i].msg_hdr, 0, sizeof s->messages[i].msg_hdr);
      s->messages[i].msg_hdr.msg_iov = &s->iov[i];
      s->messages[i].msg_hdr.msg_iovlen = 1;
      s->messages[i].msg_hdr.msg_name = &s->from[i];
      s->messages[i].msg_hdr.msg_namelen = sizeof s->from[i];
    }
    int n = recvmmsg(d->fd, s->messages, BATCH, MSG_DONTWAIT, NULL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      reader_error(d, errno);
      return;
    }
    if (n == 0) return;
    for (int i = 0; i < n; i++) {
      s->iov[i].iov_len = s->messages[i].msg_len;
      memset(&s->out[i], 0, sizeof s->out[i]);
      s->out[i].msg_hdr.msg_iov = &s->iov[i];
      s->out[i].msg_hdr.msg_iovlen = 1;
    }
    /* Runs of one attached client go up in one sendmmsg(); JavaScript may detach or close
       any relay (or this reader) while it has a datagram, so look up again after it. */
    for (int i = 0; i < n && !d->closed;) {
      relay *r = find_relay(d, &s->from[i]);
      if (r == NULL) {
        hand_over(d, s->data[i], s->messages[i].msg_len, &s->from[i]);
        i++;
        continue;
      }
      int j = i + 1;
      while (j < n && same_address(&s->from[j], &r->client)) j++;
      send_up(r, s, i, j - i);
      i = j;
    }
    if (n < BATCH) return;
  }
}

static void on_reader_readable(uv_poll_t *poll, int status, int events) {
  (void)status;
  (void)events;
  reader *d = poll->data;
  if (d->closed || d->failed) return;
  read_datagrams(d);
  if (!d->closed && !d->failed && !uv_is_active((uv_handle_t *)&d->poll)) uv_poll_start(&d->poll, UV_READABLE, on_reader_readable);
}

static void reader_free_if_done(reader *d) {
  if (d->closed && d->users == 0 && d->fd >= 0) {
    close(d->fd);
    d->fd = -1;
  }
  if (!d->handle_open && d->finalized && d->users == 0) {
    free(d->buckets);
    free(d);
  }
}

/** A relay no longer sends through `d`. */
static void reader_release(reader *d) {
  if (d == NULL) return;
  d->users--;
  reader_free_if_done(d);
}

static void on_reader_closed(uv_handle_t *handle) {
  reader *d = handle->data;
  d->handle_open = 0;
  napi_delete_reference(d->env, d->callback);
  napi_async_destroy(d->env, d->async);
  uint32_t count = 0;
  // weak now: the object's finalizer frees the struct and deletes the reference (deleted
  // sooner, the finalizer never runs and a later call on the object reads freed memory)
  napi_reference_unref(d->env, d->self, &count);
  reader_free_if_done(d);
}

static void reader_finalize(napi_env env, void *data, void *hint) {
  (void)hint;
  reader *d = data;
  d->finalized = 1;
  napi_delete_reference(env, d->self);
  reader_free_if_done(d);
}

/** new UdpReader(listeningFd, callback(datagram | null, address | errno, port)) */
static napi_value construct_reader(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], self;
  if (napi_get_cb_info(env, info, &argc, argv, &self, NULL) != napi_ok) return NULL;
  int32_t fd;
  napi_valuetype type = napi_undefined;
  if (argc == 2) napi_typeof(env, argv[1], &type);
  if (argc < 2 || napi_get_value_int32(env, argv[0], &fd) != napi_ok || fd < 0 || type != napi_function) {
    napi_throw_type_error(env, NULL, "UdpReader(listeningFd, callback)");
    return NULL;
  }
  if (shared == NULL && (shared = malloc(sizeof *shared)) == NULL) return throw_errno(env, "malloc", ENOMEM);
  uv_loop_t *loop;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok) return NULL;
  reader *d = calloc(1, sizeof *d);
  if (d == NULL) return throw_errno(env, "malloc", ENOMEM);
  d->env = env;
  d->fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
  if (d->fd < 0) {
    int err = errno;
    free(d);
    return throw_errno(env, "dup", err);
  }
  int err = uv_poll_init(loop, &d->poll, d->fd);
  if (err != 0) {
    close(d->fd);
    free(d);
    napi_throw_error(env, NULL, uv_strerror(err));
    return NULL;
  }
  d->poll.data = d;
  d->handle_open = 1;
  napi_value name;
  napi_create_string_utf8(env, "mrsocko:udp-reader", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, self, name, &d->async);
  napi_create_reference(env, argv[1], 1, &d->callback);
  napi_wrap(env, self, d, reader_finalize, NULL, &d->self);
  uint32_t count;
  napi_reference_ref(env, d->self, &count);  /* alive while its poll is */
  uv_poll_start(&d->poll, UV_READABLE, on_reader_readable);
  return self;
}

static reader *unwrap_reader(napi_env env, napi_value value) {
  void *data = NULL;
  if (napi_unwrap(env, value, &data) != napi_ok) return NULL;
  return data;
}

/** close(): stop reading, detach every relay; the duplicate is closed with the last relay sending through it. Idempotent. */
static napi_value close_reader(napi_env env, napi_callback_info info) {
  napi_value self;
  if (napi_get_cb_info(env, info, NULL, NULL, &self, NULL) != napi_ok) return NULL;
  reader *d = unwrap_reader(env, self);
  if (d == NULL || d->closed) return NULL;
  d->closed = 1;
  detach_all(d);
  if (uv_is_active((uv_handle_t *)&d->poll)) uv_poll_stop(&d->poll);
  uv_close((uv_handle_t *)&d->poll, on_reader_closed);
  reader_free_if_done(d);  /* the descriptor goes with the last relay using it */
  return NULL;
}

/** relay.attach(reader): true when the reader now sends this client's datagrams up itself. */
static napi_value attach_relay(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  relay *r = unwrap(env, info, &argc, argv);
  reader *d = argc < 1 ? NULL : unwrap_reader(env, argv[0]);
  napi_value result;
  napi_get_boolean(env, r != NULL && d != NULL && attach(r, d), &result);
  return result;
}

/** relay.detach(): the client's datagrams go to JavaScript again. */
static napi_value detach_relay(napi_env env, napi_callback_info info) {
  relay *r = unwrap(env, info, NULL, NULL);
  if (r != NULL) detach(r);
  return NULL;
}

void udp_register(napi_env env, napi_value exports) {
  napi_property_descriptor methods[] = {
    {"send", NULL, send_datagram, NULL, NULL, NULL, napi_default, NULL},
    {"close", NULL, close_relay, NULL, NULL, NULL, napi_default, NULL},
    {"flush", NULL, flush_relay, NULL, NULL, NULL, napi_default, NULL},
    {"attach", NULL, attach_relay, NULL, NULL, NULL, napi_default, NULL},
    {"detach", NULL, detach_relay, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_value cls;
  napi_define_class(env, "UdpRelay", NAPI_AUTO_LENGTH, construct, NULL, sizeof methods / sizeof methods[0], methods, &cls);
  napi_set_named_property(env, exports, "UdpRelay", cls);
  napi_property_descriptor reader_methods[] = {
    {"close", NULL, close_reader, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_value reader_cls;
  napi_define_class(env, "UdpReader", NAPI_AUTO_LENGTH, construct_reader, NULL, 1, reader_methods, &reader_cls);
  napi_set_named_property(env, exports, "UdpReader", reader_cls);
}
