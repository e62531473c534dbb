// What an inherited descriptor is, asked of the socket itself (src/systemd/socket-info.ts):
// getsockopt(SO_DOMAIN, SO_TYPE, SO_PROTOCOL, SO_ACCEPTCONN, IPV6_V6ONLY), getsockname(),
// and for a listening socket its accept-queue limit (sk_max_ack_backlog, the backlog given
// to listen() after the kernel's clamp), which no getsockopt returns: the kernel's socket
// diagnostics over NETLINK_SOCK_DIAG report it as the write queue of a listener (what
// `ss` prints as Send-Q). TCP: a dump of this family's listeners on this local port (the
// kernel filters by port, so the dump is one or a few messages however many sockets the
// host has), matched by inode. AF_UNIX: one socket looked up by inode (UDIAG_SHOW_RQLEN).
//
// Without this, JavaScript scans /proc/net/* and runs `ss`, which costs tens of
// milliseconds on a busy host, on the first client's clock. Synchronous on purpose: a
// handful of system calls, none of which waits for anything but the kernel.
//
// Facts only: JavaScript decides what they mean (which sockets are usable, which errors to
// give), so both ways of finding out end in the same SocketInfo.
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/inet_diag.h>
#include <linux/unix_diag.h>
#include <node_api.h>
#include "sockinfo.h"

/* include/net/tcp_states.h: TCP_LISTEN, also the state of a listening AF_UNIX socket. */
#define STATE_LISTEN 10
#define DIAG_SEQ 1
/* The kernel answers at once; this only bounds the unimaginable. */
#define DIAG_TIMEOUT_MS 1000

static napi_value throw_errno(napi_env env, const char *what, int err) {
  char message[160];
  snprintf(message, sizeof message, "%s: %s", what, strerror(err));
  napi_throw_error(env, NULL, message);
  return NULL;
}

static int get_int_option(int fd, int level, int name, int *value) {
  socklen_t length = sizeof *value;
  return getsockopt(fd, level, name, value, &length);
}

/* A NETLINK_SOCK_DIAG socket that talks to the kernel only, or -1. */
static int diag_socket(void) {
  int nl = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  if (nl < 0) return -1;
  struct timeval timeout = {.tv_sec = DIAG_TIMEOUT_MS / 1000, .tv_usec = (DIAG_TIMEOUT_MS % 1000) * 1000};
  setsockopt(nl, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  return nl;
}

static int diag_send(int nl, void *request, size_t length) {
  struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
  ssize_t sent;
  do sent = sendto(nl, request, length, 0, (struct sockaddr *)&kernel, sizeof kernel);
  while (sent < 0 && errno == EINTR);
  return sent == (ssize_t)length ? 0 : -1;
}

/*
 * Reads the answers to our request until `match` finds the socket (returns 1), the kernel
 * says it is done or refuses (0), or reading fails (0). `match` gets each SOCK_DIAG_BY_FAMILY
 * message, already checked to hold at least `minimum` bytes of payload.
 */
typedef int (*diag_match)(const struct nlmsghdr *message, uint32_t inode, int64_t *backlog);

static int diag_receive(int nl, size_t minimum, diag_match match, uint32_t inode, int64_t *backlog) {
  /* Aligned for struct nlmsghdr; large enough for a hundred listeners per read. */
  uint32_t buffer[4096];
  for (;;) {
    struct sockaddr_nl from;
    socklen_t from_length = sizeof from;
    ssize_t got = recvfrom(nl, buffer, sizeof buffer, 0, (struct sockaddr *)&from, &from_length);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return 0;
    /* Only the kernel (port 0) answers a diagnostics request. */
    if (from_length != sizeof from || from.nl_family != AF_NETLINK || from.nl_pid != 0) continue;
    int length = (int)got;
    for (const struct nlmsghdr *message = (const struct nlmsghdr *)buffer; NLMSG_OK(message, length);
         message = NLMSG_NEXT(message, length)) {
      if (message->nlmsg_seq != DIAG_SEQ) continue;
      if (message->nlmsg_type == NLMSG_DONE || message->nlmsg_type == NLMSG_ERROR) return 0;
      if (message->nlmsg_type != SOCK_DIAG_BY_FAMILY) continue;
      if (message->nlmsg_len < NLMSG_LENGTH(minimum)) continue;
      if (match(message, inode, backlog)) return 1;
    }
  }
}

static int match_inet(const struct nlmsghdr *message, uint32_t inode, int64_t *backlog) {
  const struct inet_diag_msg *row = NLMSG_DATA(message);
  if (row->idiag_inode != inode || row->idiag_state != STATE_LISTEN) return 0;
  *backlog = row->idiag_wqueue;
  return 1;
}

static int match_unix(const struct nlmsghdr *message, uint32_t inode, int64_t *backlog) {
  const struct unix_diag_msg *row = NLMSG_DATA(message);
  if (row->udiag_ino != inode) return 0;
  int length = (int)message->nlmsg_len - (int)NLMSG_LENGTH(sizeof *row);
  /* Attributes follow the message, each aligned as netlink attributes are. */
  const char *at = (const char *)row + NLMSG_ALIGN(sizeof *row);
  while (length >= (int)sizeof(struct nlattr)) {
    const struct nlattr *attribute = (const struct nlattr *)at;
    if (attribute->nla_len < sizeof *attribute || attribute->nla_len > length) return 0;
    if (attribute->nla_type == UNIX_DIAG_RQLEN && attribute->nla_len >= NLA_HDRLEN + sizeof(struct unix_diag_rqlen)) {
      const struct unix_diag_rqlen *queues = (const void *)(at + NLA_HDRLEN);
      *backlog = queues->udiag_wqueue;
      return 1;
    }
    length -= NLA_ALIGN(attribute->nla_len);
    at += NLA_ALIGN(attribute->nla_len);
  }
  return 0;
}

/* The listen backlog of an AF_INET/AF_INET6 TCP listener on local `port`, or -1. */
static int64_t inet_backlog(int family, uint16_t port, uint32_t inode) {
  int nl = diag_socket();
  if (nl < 0) return -1;
  struct {
    struct nlmsghdr header;
    struct inet_diag_req_v2 request;
  } query;
  memset(&query, 0, sizeof query);
  query.header.nlmsg_len = sizeof query;
  query.header.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  query.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  query.header.nlmsg_seq = DIAG_SEQ;
  query.request.sdiag_family = (uint8_t)family;
  query.request.sdiag_protocol = IPPROTO_TCP;
  query.request.idiag_states = 1u << STATE_LISTEN;
  query.request.id.idiag_sport = htons(port);
  query.request.id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
  query.request.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
  int64_t backlog = -1;
  if (diag_send(nl, &query, sizeof query) == 0) diag_receive(nl, sizeof(struct inet_diag_msg), match_inet, inode, &backlog);
  close(nl);
  return backlog;
}

/* The listen backlog of a listening AF_UNIX socket, or -1. */
static int64_t unix_backlog(uint32_t inode) {
  int nl = diag_socket();
  if (nl < 0) return -1;
  struct {
    struct nlmsghdr header;
    struct unix_diag_req request;
  } query;
  memset(&query, 0, sizeof query);
  query.header.nlmsg_len = sizeof query;
  query.header.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  query.header.nlmsg_flags = NLM_F_REQUEST;
  query.header.nlmsg_seq = DIAG_SEQ;
  query.request.sdiag_family = AF_UNIX;
  query.request.udiag_states = 1u << STATE_LISTEN;
  query.request.udiag_ino = inode;
  query.request.udiag_show = UDIAG_SHOW_RQLEN;
  query.request.udiag_cookie[0] = INET_DIAG_NOCOOKIE;
  query.request.udiag_cookie[1] = INET_DIAG_NOCOOKIE;
  int64_t backlog = -1;
  if (diag_send(nl, &query, sizeof query) == 0) diag_receive(nl, sizeof(struct unix_diag_msg), match_unix, inode, &backlog);
  close(nl);
  return backlog;
}

static void set_int(napi_env env, napi_value object, const char *name, int64_t value) {
  napi_value v;
  napi_create_int64(env, value, &v);
  napi_set_named_property(env, object, name, v);
}

static void set_bool(napi_env env, napi_value object, const char *name, int value) {
  napi_value v;
  napi_get_boolean(env, value != 0, &v);
  napi_set_named_property(env, object, name, v);
}

static void set_bytes(napi_env env, napi_value object, const char *name, const void *data, size_t length) {
  napi_value v;
  napi_create_buffer_copy(env, length, data, NULL, &v);
  napi_set_named_property(env, object, name, v);
}

/*
 * An AF_UNIX name as /proc/net/unix prints it: a path without its terminating NUL, an
 * abstract name as "@" and the rest, every NUL byte as "@"; nothing when unnamed. `local`
 * holds `length` bytes of what getsockname() returned (a 108-byte path comes back with its
 * NUL past the end of struct sockaddr_un, hence the larger storage).
 */
static size_t unix_name(const struct sockaddr_storage *local, socklen_t length, char *out) {
  const size_t start = offsetof(struct sockaddr_un, sun_path);
  if (length > sizeof *local) length = sizeof *local;
  if (length <= start) return 0;
  const char *path = (const char *)local + start;
  size_t end = length - start, i = 0, n = 0;
  if (path[0] != '\0') {
    end--;
  } else {
    out[n++] = '@';
    i++;
  }
  for (; i < end; i++) out[n++] = path[i] != '\0' ? path[i] : '@';
  return n;
}

/*
 * inspectSocket(fd): null when fd is not an open socket (JavaScript says which); otherwise
 * { inode, domain, type, protocol, listening, connected, address?: Buffer, port?, v6only?,
 * backlog? } — address the raw 4 or 16 bytes (inet) or the name as /proc prints it (unix);
 * backlog only for a listening TCP or AF_UNIX stream socket, when the kernel told.
 * Throws when the socket does not answer what every socket answers.
 */
static napi_value inspect_socket(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fd;
  if (argc < 1 || napi_get_value_int32(env, argv[0], &fd) != napi_ok || fd < 0) {
    napi_throw_type_error(env, NULL, "inspectSocket(fd): fd must be a non-negative integer");
    return NULL;
  }
  napi_value null_value;
  napi_get_null(env, &null_value);
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode)) return null_value;

  int domain, type, protocol, accepting;
  if (get_int_option(fd, SOL_SOCKET, SO_DOMAIN, &domain) != 0) return throw_errno(env, "getsockopt(SO_DOMAIN)", errno);
  if (get_int_option(fd, SOL_SOCKET, SO_TYPE, &type) != 0) return throw_errno(env, "getsockopt(SO_TYPE)", errno);
  if (get_int_option(fd, SOL_SOCKET, SO_PROTOCOL, &protocol) != 0) return throw_errno(env, "getsockopt(SO_PROTOCOL)", errno);
  if (get_int_option(fd, SOL_SOCKET, SO_ACCEPTCONN, &accepting) != 0) accepting = 0;

  napi_value result;
  napi_create_object(env, &result);
  set_int(env, result, "inode", (int64_t)st.st_ino);
  set_int(env, result, "domain", domain);
  set_int(env, result, "type", type);
  set_int(env, result, "protocol", protocol);
  set_bool(env, result, "listening", accepting);
  struct sockaddr_storage peer;
  socklen_t peer_length = sizeof peer;
  set_bool(env, result, "connected", getpeername(fd, (struct sockaddr *)&peer, &peer_length) == 0);

  struct sockaddr_storage local;
  socklen_t local_length = sizeof local;
  memset(&local, 0, sizeof local);
  if (getsockname(fd, (struct sockaddr *)&local, &local_length) != 0) return throw_errno(env, "getsockname", errno);

  if (domain == AF_INET && local.ss_family == AF_INET) {
    const struct sockaddr_in *in = (const struct sockaddr_in *)&local;
    set_bytes(env, result, "address", &in->sin_addr, 4);
    set_int(env, result, "port", ntohs(in->sin_port));
    if (accepting && type == SOCK_STREAM && protocol == IPPROTO_TCP) {
      int64_t backlog = inet_backlog(AF_INET, ntohs(in->sin_port), (uint32_t)st.st_ino);
      if (backlog >= 0) set_int(env, result, "backlog", backlog);
    }
  } else if (domain == AF_INET6 && local.ss_family == AF_INET6) {
    const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&local;
    set_bytes(env, result, "address", &in6->sin6_addr, 16);
    set_int(env, result, "port", ntohs(in6->sin6_port));
    int v6only;
    if (get_int_option(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only) == 0) set_bool(env, result, "v6only", v6only);
    if (accepting && type == SOCK_STREAM && protocol == IPPROTO_TCP) {
      int64_t backlog = inet_backlog(AF_INET6, ntohs(in6->sin6_port), (uint32_t)st.st_ino);
      if (backlog >= 0) set_int(env, result, "backlog", backlog);
    }
  } else if (domain == AF_UNIX) {
    char name[sizeof local];
    size_t length = local.ss_family == AF_UNIX ? unix_name(&local, local_length, name) : 0;
    set_bytes(env, result, "address", name, length);
    if (accepting && type == SOCK_STREAM) {
      int64_t backlog = unix_backlog((uint32_t)st.st_ino);
      if (backlog >= 0) set_int(env, result, "backlog", backlog);
    }
  }
  return result;
}

void sockinfo_register(napi_env env, napi_value exports) {
  napi_value fn;
  napi_create_function(env, "inspectSocket", NAPI_AUTO_LENGTH, inspect_socket, NULL, &fn);
  napi_set_named_property(env, exports, "inspectSocket", fn);
}
