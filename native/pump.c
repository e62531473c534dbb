// The kernel-to-kernel copy loop of one direction (see ./pump.h), and its pipes.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "pump.h"

/**
 * Pipe capacity asked for; the kernel's default (64 KiB) if refused. 1 MiB (the largest an
 * unprivileged process may ask for by default, fs.pipe-max-size), four times proxyd's: with
 * 8 bulk streams a 256 KiB pipe cost about a quarter more CPU per GB (four times the
 * splice() calls, twice the ACKs on the loopback; 2 MiB was worse again, issue 18). At most this much
 * waits in the pipe for a slow receiver: less than either socket's own buffer may hold.
 * The capacity is only a bound: pages are taken as bytes come, so a pooled empty pipe holds none.
 */
#define PIPE_BYTES (1024 * 1024)

void spliced_init(spliced *s) {
  s->pipe_read = s->pipe_write = -1;
  s->pipe_capacity = 0;
  s->in_pipe = 0;
  s->ended = 0;
}

static int open_pipe(group *g, spliced *s) {
  if (g->pooled > 0) {
    g->pooled--;
    s->pipe_read = g->pool[g->pooled][0];
    s->pipe_write = g->pool[g->pooled][1];
    s->pipe_capacity = g->pool_capacity[g->pooled];
    return 0;
  }
  int fds[2];
  if (pipe2(fds, O_NONBLOCK | O_CLOEXEC) < 0) return -errno;
  s->pipe_read = fds[0];
  s->pipe_write = fds[1];
  int size = fcntl(fds[1], F_SETPIPE_SZ, PIPE_BYTES);
  if (size < 0) size = fcntl(fds[1], F_GETPIPE_SZ);
  s->pipe_capacity = size > 0 ? (size_t)size : 65536;
  return 0;
}

void spliced_release(group *g, spliced *s) {
  if (s->pipe_read < 0) return;
  if (s->in_pipe == 0 && g->pooled < PIPE_POOL) {
    g->pool[g->pooled][0] = s->pipe_read;
    g->pool[g->pooled][1] = s->pipe_write;
    g->pool_capacity[g->pooled] = s->pipe_capacity;
    g->pooled++;
  } else {
    close(s->pipe_read);
    close(s->pipe_write);
  }
  s->pipe_read = s->pipe_write = -1;
  s->in_pipe = 0;
}

size_t mrsocko_budget(const group *g, size_t least, size_t most, size_t turn) {
  size_t busy = g->busy > 0 ? g->busy : 1;
  size_t share = turn / busy;
  return share < least ? least : share > most ? most : share;
}

pump_result mrsocko_pump(group *g, spliced *s, int source, int destination, size_t limit, size_t *moved, int *err) {
  *moved = 0;
  *err = 0;
  for (;;) {
    while (s->in_pipe > 0) {
      ssize_t n = splice(s->pipe_read, NULL, destination, NULL, s->in_pipe, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
      if (n > 0) {
        s->in_pipe -= (size_t)n;
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == EAGAIN) return PUMP_WAIT_DESTINATION;
      *err = n < 0 ? errno : EPIPE;
      return PUMP_DESTINATION_ERROR;
    }
    if (s->ended) return PUMP_END;
    if (*moved >= limit) return PUMP_BUDGET;
    if (s->pipe_read < 0) {
      int e = open_pipe(g, s);
      if (e < 0) {
        *err = -e;
        return PUMP_SOURCE_ERROR;
      }
    }
    size_t room = limit - *moved < s->pipe_capacity ? limit - *moved : s->pipe_capacity;
    ssize_t n = splice(source, NULL, s->pipe_write, NULL, room, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
    if (n > 0) {
      s->in_pipe = (size_t)n;
      *moved += (size_t)n;
      continue;
    }
    if (n == 0) {
      s->ended = 1;
      continue;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN) return PUMP_WAIT_SOURCE;
    *err = errno;
    return PUMP_SOURCE_ERROR;
  }
}

napi_value mrsocko_throw_errno(napi_env env, const char *what, int err) {
  char message[160];
  snprintf(message, sizeof message, "%s: %s", what, strerror(err));
  napi_throw_error(env, NULL, message);
  return NULL;
}

static group *instance_group(napi_env env) {
  group *g = NULL;
  if (napi_get_instance_data(env, (void **)&g) != napi_ok) return NULL;
  return g;
}

/** pooledPipes(): empty pipes kept for the next connections. */
static napi_value pooled_pipes(napi_env env, napi_callback_info info) {
  (void)info;
  group *g = instance_group(env);
  napi_value value;
  napi_create_uint32(env, g == NULL ? 0 : (uint32_t)g->pooled, &value);
  return value;
}

void mrsocko_drop_pipes(group *g) {
  while (g->pooled > 0) {
    g->pooled--;
    close(g->pool[g->pooled][0]);
    close(g->pool[g->pooled][1]);
  }
}

void mrsocko_join(group *g) {
  g->active++;
}

void mrsocko_leave(group *g) {
  if (g->active > 0) g->active--;
  if (g->active == 0) mrsocko_drop_pipes(g);
}

/** dropPipes(): close the pooled pipes (nothing to proxy until the backend's next start). */
static napi_value drop_pipes(napi_env env, napi_callback_info info) {
  (void)info;
  group *g = instance_group(env);
  if (g != NULL) mrsocko_drop_pipes(g);
  return NULL;
}

void pump_register(napi_env env, napi_value exports) {
  napi_value fn;
  napi_create_function(env, "pooledPipes", NAPI_AUTO_LENGTH, pooled_pipes, NULL, &fn);
  napi_set_named_property(env, exports, "pooledPipes", fn);
  napi_create_function(env, "dropPipes", NAPI_AUTO_LENGTH, drop_pipes, NULL, &fn);
  napi_set_named_property(env, exports, "dropPipes", fn);
}
