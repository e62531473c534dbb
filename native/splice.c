// One direction of a proxied stream connection, moved kernel to kernel: splice() from the
// source socket into a pipe of this direction's own (taken from and given back to a pool of
// empty ones, ./pump.c), and from the pipe into the destination socket, so the bytes never
// enter user space (as systemd-socket-proxyd does). JavaScript
// (src/proxy/splice-pipe.ts) keeps everything else: when to start and stop, half-close,
// what an error means, accounting.
//
// Driven from Node's own event loop: a uv_poll on a dup() of each socket (libuv allows one
// watcher per descriptor, and Node's handle has the original). No second thread, so no
// locks, no queue to hand events across, and callbacks into JavaScript are direct calls.
// The copies are the kernel's: the loop thread only issues the splice() calls. Fairness
// between connections: one callback moves at most its budget, then returns; the polls are
// level-triggered, so a source that still has data comes round again in the next
// iteration, after every other ready descriptor has had its turn. The budget is a share of
// `turn` bytes among the directions that are busy (their last callback ended on its budget,
// bytes still waiting), between `least` and `most`: a few bulk streams move large batches
// and mrsocko sleeps between them; many share one turn of the loop, as small batches.
//
// Accounting without an event per chunk: bytes read from the source are added to a
// counter; the first bytes after a quiet spell are reported at once (so JavaScript sees a
// connection's first byte when it happens), later ones at most every `report_ms`, by a timer
// armed only while bytes flow. End of stream and errors are reported after the bytes.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <node_api.h>
#include <uv.h>
#include "notify.h"
#include "sockinfo.h"
#include "udp.h"
#include "pump.h"

/** What a direction reports to JavaScript: callback(kind, value). */
enum report { REPORT_BYTES = 0, REPORT_END = 1, REPORT_SOURCE_ERROR = 2, REPORT_DESTINATION_ERROR = 3 };

typedef struct direction {
  napi_env env;
  group *group;
  napi_ref self;      /* the JavaScript object, held strongly while open */
  napi_ref callback;
  napi_async_context async;
  uv_poll_t source_poll;
  uv_poll_t destination_poll;
  uv_timer_t report_timer;
  int source;         /* dup()s, ours to close */
  int destination;
  spliced pipe;
  size_t least;       /* the budget of one callback: a share of `turn`, from `least` to `most` */
  size_t most;
  size_t turn;
  int busy;           /* counted in group->busy */
  uint64_t report_ms;
  double unreported;
  double total;
  int polling_source; /* the interest each poll has now, to touch epoll only on changes */
  int polling_destination;
  int timer_armed;
  int closed;         /* close() ran: nothing more is reported */
  int open_handles;   /* uv handles not yet closed; the struct goes when 0 and finalized */
  int finalized;
} direction;

static void free_if_done(direction *d) {
  if (d->open_handles == 0 && d->finalized) free(d);
}

void mrsocko_call_js(napi_env env, napi_async_context async, napi_ref self_ref, napi_ref callback_ref,
                     size_t argc, const napi_value *argv) {
  napi_value self, callback, result;
  if (napi_get_reference_value(env, self_ref, &self) != napi_ok || self == NULL) return;
  if (napi_get_reference_value(env, callback_ref, &callback) != napi_ok || callback == NULL) return;
  if (napi_make_callback(env, async, self, callback, argc, argv, &result) == napi_ok) return;
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (pending) {
    napi_value error;
    napi_get_and_clear_last_exception(env, &error);
    napi_fatal_exception(env, error);
  }
}

void mrsocko_report(napi_env env, napi_async_context async, napi_ref self_ref, napi_ref callback_ref,
                    int kind, double a, double b) {
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value argv[3];
  napi_create_int32(env, kind, &argv[0]);
  napi_create_double(env, a, &argv[1]);
  napi_create_double(env, b, &argv[2]);
  mrsocko_call_js(env, async, self_ref, callback_ref, 3, argv);
  napi_close_handle_scope(env, scope);
}

static void call_js(direction *d, int kind, double value) {
  napi_env env = d->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value argv[2];
  napi_create_int32(env, kind, &argv[0]);
  napi_create_double(env, value, &argv[1]);
  mrsocko_call_js(env, d->async, d->self, d->callback, 2, argv);
  napi_close_handle_scope(env, scope);
}

static void report_bytes(direction *d) {
  if (d->unreported == 0 || d->closed) return;
  double n = d->unreported;
  d->unreported = 0;
  call_js(d, REPORT_BYTES, n);
}

static void on_report_timer(uv_timer_t *timer) {
  direction *d = timer->data;
  if (d->unreported == 0) {
    uv_timer_stop(timer);
    d->timer_armed = 0;
    return;
  }
  report_bytes(d);
}

static void counted(direction *d, size_t n) {
  d->total += (double)n;
  d->unreported += (double)n;
  if (d->timer_armed) return;
  d->timer_armed = 1;
  uv_timer_start(&d->report_timer, on_report_timer, d->report_ms, d->report_ms);
  report_bytes(d);
}

/** Whether this direction counts as busy (its last callback ended with bytes still waiting). */
static void set_busy(direction *d, int busy) {
  if (busy == d->busy) return;
  d->busy = busy;
  if (busy) d->group->busy++;
  else d->group->busy--;
}

static void on_source(uv_poll_t *poll, int status, int events);
static void on_destination(uv_poll_t *poll, int status, int events);

/** Poll the source (room in the pipe, waiting for bytes) or the destination (bytes waiting for room). */
static void want(direction *d, int source, int destination) {
  if (source != d->polling_source) {
    if (source) uv_poll_start(&d->source_poll, UV_READABLE, on_source);
    else uv_poll_stop(&d->source_poll);
    d->polling_source = source;
  }
  if (destination != d->polling_destination) {
    if (destination) uv_poll_start(&d->destination_poll, UV_WRITABLE, on_destination);
    else uv_poll_stop(&d->destination_poll);
    d->polling_destination = destination;
  }
}

static void finish(direction *d, int kind, int err) {
  want(d, 0, 0);
  set_busy(d, 0);
  report_bytes(d);
  if (!d->closed) call_js(d, kind, err);
}

/** Move what can be moved now, at most a budget's worth, and set the polls for what comes next. */
static void pump(direction *d) {
  size_t moved;
  int err;
  pump_result result = mrsocko_pump(d->group, &d->pipe, d->source, d->destination,
                                    mrsocko_budget(d->group, d->least, d->most, d->turn), &moved, &err);
  if (moved > 0) {
    counted(d, moved);
    if (d->closed) return;  /* JavaScript closed us from the report */
  }
  switch (result) {
    case PUMP_WAIT_SOURCE:
      set_busy(d, 0);
      want(d, 1, 0);
      return;
    case PUMP_WAIT_DESTINATION:
      set_busy(d, 0);
      want(d, 0, 1);
      return;
    case PUMP_BUDGET:
      set_busy(d, 1);
      want(d, 1, 0);
      return;
    case PUMP_END:
      finish(d, REPORT_END, 0);
      return;
    case PUMP_SOURCE_ERROR:
      finish(d, REPORT_SOURCE_ERROR, err);
      return;
    case PUMP_DESTINATION_ERROR:
      finish(d, REPORT_DESTINATION_ERROR, err);
      return;
  }
}

static void on_source(uv_poll_t *poll, int status, int events) {
  (void)events;
  direction *d = poll->data;
  // libuv stops a poll that saw POLLERR (status < 0): the splice() below finds the error.
  if (status < 0) d->polling_source = 0;
  if (!d->closed) pump(d);
}

static void on_destination(uv_poll_t *poll, int status, int events) {
  (void)events;
  direction *d = poll->data;
  if (status < 0) d->polling_destination = 0;
  if (!d->closed) pump(d);
}

static void on_handle_closed(uv_handle_t *handle) {
  direction *d = handle->data;
  d->open_handles--;
  if (d->open_handles > 0) return;
  napi_delete_reference(d->env, d->callback);
  napi_async_destroy(d->env, d->async);
  uint32_t count = 0;
  // weak now: the object's finalizer frees the struct and deletes the reference (deleted
  // sooner, the finalizer never runs and a later call on the object reads freed memory)
  napi_reference_unref(d->env, d->self, &count);
  free_if_done(d);
}

static void close_fd(int *fd) {
  if (*fd >= 0) close(*fd);
  *fd = -1;
}

static void stop_all(direction *d) {
  if (d->closed) return;
  d->closed = 1;
  want(d, 0, 0);
  set_busy(d, 0);
  uv_timer_stop(&d->report_timer);
  close_fd(&d->source);
  close_fd(&d->destination);
  spliced_release(d->group, &d->pipe);
  mrsocko_leave(d->group);
  uv_close((uv_handle_t *)&d->source_poll, on_handle_closed);
  uv_close((uv_handle_t *)&d->destination_poll, on_handle_closed);
  uv_close((uv_handle_t *)&d->report_timer, on_handle_closed);
}

static void free_on_close(uv_handle_t *handle) {
  free(handle->data);
}

static void finalize(napi_env env, void *data, void *hint) {
  (void)hint;
  direction *d = data;
  d->finalized = 1;
  napi_delete_reference(env, d->self);
  free_if_done(d);
}

/** new Splice(sourceFd, destinationFd, leastBytes, mostBytes, turnBytes, reportMs, callback(kind, value)) */
static napi_value construct(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7], self;
  if (napi_get_cb_info(env, info, &argc, argv, &self, NULL) != napi_ok) return NULL;
  if (argc < 7) {
    napi_throw_type_error(env, NULL, "Splice(sourceFd, destinationFd, leastBytes, mostBytes, turnBytes, reportMs, callback)");
    return NULL;
  }
  int32_t source, destination;
  uint32_t least, most, turn, report_ms;
  napi_valuetype type;
  napi_typeof(env, argv[6], &type);
  group *g = NULL;
  if (napi_get_value_int32(env, argv[0], &source) != napi_ok || napi_get_value_int32(env, argv[1], &destination) != napi_ok ||
      napi_get_value_uint32(env, argv[2], &least) != napi_ok || napi_get_value_uint32(env, argv[3], &most) != napi_ok ||
      napi_get_value_uint32(env, argv[4], &turn) != napi_ok || napi_get_value_uint32(env, argv[5], &report_ms) != napi_ok ||
      type != napi_function || source < 0 || destination < 0 || least == 0 || most < least || turn == 0 || report_ms == 0) {
    napi_throw_type_error(env, NULL, "Splice: two descriptors, 0 < leastBytes <= mostBytes, positive turnBytes and reportMs, and a callback");
    return NULL;
  }
  if (napi_get_instance_data(env, (void **)&g) != napi_ok || g == NULL) {
    napi_throw_error(env, NULL, "Splice: the addon was not initialized");
    return NULL;
  }
  uv_loop_t *loop;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok) return NULL;
  direction *d = calloc(1, sizeof *d);
  if (d == NULL) return mrsocko_throw_errno(env, "Splice", ENOMEM);
  d->env = env;
  d->source = d->destination = -1;
  spliced_init(&d->pipe);
  d->group = g;
  d->least = least;
  d->most = most;
  d->turn = turn;
  d->report_ms = report_ms;
  d->source = fcntl(source, F_DUPFD_CLOEXEC, 3);
  if (d->source >= 0) d->destination = fcntl(destination, F_DUPFD_CLOEXEC, 3);
  if (d->source < 0 || d->destination < 0) {
    int err = errno;
    close_fd(&d->source);
    free(d);
    return mrsocko_throw_errno(env, "Splice: dup", err);
  }
  int err = uv_poll_init(loop, &d->source_poll, d->source);
  d->source_poll.data = d;
  if (err == 0) {
    d->open_handles++;
    err = uv_poll_init(loop, &d->destination_poll, d->destination);
    d->destination_poll.data = d;
    if (err == 0) d->open_handles++;
  }
  if (err != 0) {
    close_fd(&d->source);
    close_fd(&d->destination);
    if (d->open_handles == 0) free(d);
    else uv_close((uv_handle_t *)&d->source_poll, free_on_close);  /* a handle made goes the libuv way */
    napi_throw_error(env, NULL, uv_strerror(err));
    return NULL;
  }
  uv_timer_init(loop, &d->report_timer);
  d->report_timer.data = d;
  d->open_handles++;
  napi_value name;
  napi_create_string_utf8(env, "mrsocko:splice", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, self, name, &d->async);
  napi_create_reference(env, argv[6], 1, &d->callback);
  napi_wrap(env, self, d, finalize, NULL, &d->self);
  uint32_t count;
  napi_reference_ref(env, d->self, &count);  /* alive while its polls are */
  mrsocko_join(g);
  want(d, 1, 0);
  return self;
}

static direction *unwrap(napi_env env, napi_callback_info info) {
  napi_value self;
  void *data = NULL;
  if (napi_get_cb_info(env, info, NULL, NULL, &self, NULL) != napi_ok) return NULL;
  if (napi_unwrap(env, self, &data) != napi_ok) return NULL;
  return data;
}

/** close(): stop, report nothing more, close the duplicates and the pipe (bytes still in it are dropped). Idempotent. */
static napi_value close_direction(napi_env env, napi_callback_info info) {
  direction *d = unwrap(env, info);
  if (d != NULL && !d->closed) {
    report_bytes(d);
    stop_all(d);
  }
  return NULL;
}

/** flush(): report the bytes counted since the last report now (synchronously). */
static napi_value flush_direction(napi_env env, napi_callback_info info) {
  direction *d = unwrap(env, info);
  if (d != NULL) report_bytes(d);
  return NULL;
}

/** total: bytes read from the source so far. */
static napi_value get_total(napi_env env, napi_callback_info info) {
  direction *d = unwrap(env, info);
  napi_value value;
  napi_create_double(env, d == NULL ? 0 : d->total, &value);
  return value;
}

/** pipeBytes: bytes read but not yet written (in this direction's pipe). */
static napi_value get_in_pipe(napi_env env, napi_callback_info info) {
  direction *d = unwrap(env, info);
  napi_value value;
  napi_create_double(env, d == NULL ? 0 : (double)d->pipe.in_pipe, &value);
  return value;
}

static void free_group(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  mrsocko_drop_pipes(data);
  free(data);
}

static napi_value init(napi_env env, napi_value exports) {
  group *g = calloc(1, sizeof *g);
  if (g == NULL || napi_set_instance_data(env, g, free_group, NULL) != napi_ok) {
    free(g);
    napi_throw_error(env, NULL, "splice: out of memory");
    return NULL;
  }
  napi_property_descriptor methods[] = {
    {"close", NULL, close_direction, NULL, NULL, NULL, napi_default, NULL},
    {"flush", NULL, flush_direction, NULL, NULL, NULL, napi_default, NULL},
    {"total", NULL, NULL, get_total, NULL, NULL, napi_default, NULL},
    {"pipeBytes", NULL, NULL, get_in_pipe, NULL, NULL, napi_default, NULL},
  };
  napi_value cls;
  napi_define_class(env, "Splice", NAPI_AUTO_LENGTH, construct, NULL, sizeof methods / sizeof methods[0], methods, &cls);
  napi_set_named_property(env, exports, "Splice", cls);
  notify_register(env, exports);
  sockinfo_register(env, exports);
  udp_register(env, exports);
  pump_register(env, exports);
  relay_register(env, exports);
  acceptor_register(env, exports);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
