// What the stream paths of the addon share: moving bytes of one direction kernel to kernel
// (splice() from a socket into a pipe and from the pipe into the other socket), the budget
// one callback may move, and empty pipes kept for the next connection. ./splice.c (one
// direction of a connection Node.js made) and ./relay.c (a whole connection the addon
// accepted and connected itself) both move their bytes with mrsocko_pump().
#ifndef MRSOCKO_PUMP_H
#define MRSOCKO_PUMP_H
#include <stddef.h>
#include <node_api.h>

/**
 * Empty pipes kept for reuse while connections come and go: creating one (pipe2,
 * F_SETPIPE_SZ, two close()s) costs a short connection more than its bytes. The pool is
 * emptied whenever the last direction using the addon closes, so an idle mrsocko holds no
 * pipe, and descriptors are back to where they were once every connection is gone.
 */
#define PIPE_POOL 64

/** What the directions of one Node.js environment share (its instance data). */
typedef struct group {
  size_t busy;        /* directions whose last callback ended on its budget */
  size_t active;      /* Splice directions and Relays not yet closed (mrsocko_join/mrsocko_leave) */
  size_t pooled;
  int pool[PIPE_POOL][2];
  size_t pool_capacity[PIPE_POOL];
} group;

/** One direction's pipe, and what is in it. */
typedef struct spliced {
  int pipe_read;      /* -1 until the first read wants it */
  int pipe_write;
  size_t pipe_capacity;
  size_t in_pipe;     /* bytes read from the source, not yet written */
  int ended;          /* the source said end of stream */
} spliced;

typedef enum pump_result {
  PUMP_WAIT_SOURCE,       /* everything read was written; the source has nothing now */
  PUMP_WAIT_DESTINATION,  /* bytes wait in the pipe for room at the destination */
  PUMP_BUDGET,            /* the budget is spent and the source may have more: come round again */
  PUMP_END,               /* end of stream, everything before it written */
  PUMP_SOURCE_ERROR,      /* *err is the errno */
  PUMP_DESTINATION_ERROR,
} pump_result;

void spliced_init(spliced *s);

/** Move what can be moved now, at most `limit` bytes read; `*moved` is what was read. */
pump_result mrsocko_pump(group *g, spliced *s, int source, int destination, size_t limit, size_t *moved, int *err);

/** Its pipe goes back to the pool when empty (closed otherwise, or when the pool is full). */
void spliced_release(group *g, spliced *s);

/** What one callback may move now: an equal share of `turn` among the busy directions, from `least` to `most`. */
size_t mrsocko_budget(const group *g, size_t least, size_t most, size_t turn);

/** Throws an Error "what: strerror(err)"; returns NULL for the caller to return. */
napi_value mrsocko_throw_errno(napi_env env, const char *what, int err);

/** Close the pooled pipes. */
void mrsocko_drop_pipes(group *g);

/** A direction or relay starts using the group, and stops (the last one out empties the pool). */
void mrsocko_join(group *g);
void mrsocko_leave(group *g);

/** pooledPipes() and dropPipes(), and ./relay.c's and ./accept.c's parts of the addon's exports (the module's init is in ./splice.c). */
void pump_register(napi_env env, napi_value exports);
void relay_register(napi_env env, napi_value exports);
void acceptor_register(napi_env env, napi_value exports);
#endif
