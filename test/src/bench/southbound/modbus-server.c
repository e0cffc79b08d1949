/*
 * A minimal Modbus TCP server in C: the southbound benchmark's peer, so the server is never
 * what limits the client (one request costs it a few microseconds). Same behaviour as
 * modbus-server.ts, which the bench uses when no C compiler is available:
 *
 *   one slave image for every port and unit id: 65,536 holding registers, input registers,
 *   coils and discrete inputs; function codes 1-6, 15, 16 (others: exception 1, a range past
 *   the table: exception 2, a bad quantity: exception 3); pipelined requests answered in order.
 *
 *   modbus-server [--listeners N] [--tick-ms MS] [--host 127.0.0.1]
 *
 * Prints `{"ports": [...], "pid": N}` once listening; a stdin line `stats` prints
 * `{"requests": N, "connections": N}`. Exits when stdin closes, so it never outlives the bench.
 *
 * Build: cc -O2 -o modbus-server modbus-server.c   (Linux: epoll, timerfd)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#define SIZE 65536
#define MAX_LISTENERS 64
#define IN_CAP 8192
#define OUT_CAP 65536

static uint16_t holding[SIZE], input_regs[SIZE];
static uint8_t coils[SIZE], discrete[SIZE];
static unsigned long long requests = 0;
static long connections = 0;

struct conn {
  int fd;
  size_t in_len;
  uint8_t in[IN_CAP];
  size_t out_len, out_off;
  uint8_t out[OUT_CAP];
};

enum kind { K_LISTEN = 1, K_STDIN, K_TIMER, K_CONN };
struct tag {
  enum kind kind;
  int fd;
  struct conn *conn;
};

static int ep;

static uint16_t be16(const uint8_t *p) { return (uint16_t)((p[0] << 8) | p[1]); }
static void put16(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)(v >> 8);
  p[1] = (uint8_t)(v & 0xff);
}

/* Writes the answer to the frame at `f` (MBAP + PDU, `len` bytes) into `o`; returns its size. */
static size_t handle(const uint8_t *f, size_t len, uint8_t *o) {
  uint8_t fc = f[7];
  memcpy(o, f, 4);
  o[6] = f[6];
  size_t pdu = 0;
  uint8_t *p = o + 7;
  uint16_t start = len >= 12 ? be16(f + 8) : 0, qty = len >= 12 ? be16(f + 10) : 0;
  int ex = 0;
  if (len < 12) {
    ex = (fc >= 1 && fc <= 6) || fc == 15 || fc == 16 ? 3 : 1;
  } else {
    switch (fc) {
      case 3:
      case 4: {
        if (qty < 1 || qty > 125) { ex = 3; break; }
        if ((uint32_t)start + qty > SIZE) { ex = 2; break; }
        const uint16_t *t = fc == 3 ? holding : input_regs;
        p[0] = fc;
        p[1] = (uint8_t)(qty * 2);
        for (uint32_t i = 0; i < qty; i++) put16(p + 2 + i * 2, t[start + i]);
        pdu = 2 + (size_t)qty * 2;
        break;
      }
      case 1:
      case 2: {
        if (qty < 1 || qty > 2000) { ex = 3; break; }
        if ((uint32_t)start + qty > SIZE) { ex = 2; break; }
        const uint8_t *t = fc == 1 ? coils : discrete;
        size_t bytes = (qty + 7) / 8;
        p[0] = fc;
        p[1] = (uint8_t)bytes;
        memset(p + 2, 0, bytes);
        for (uint32_t i = 0; i < qty; i++)
          if (t[start + i]) p[2 + (i >> 3)] |= (uint8_t)(1 << (i & 7));
        pdu = 2 + bytes;
        break;
      }
      case 5:
        if (qty != 0xff00 && qty != 0) { ex = 3; break; }
        coils[start] = qty == 0xff00;
        memcpy(p, f + 7, 5);
        pdu = 5;
        break;
      case 6:
        holding[start] = qty;
        memcpy(p, f + 7, 5);
        pdu = 5;
        break;
      case 15:
        if (qty < 1 || qty > 1968 || len < 13 + (size_t)(qty + 7) / 8) { ex = 3; break; }
        if ((uint32_t)start + qty > SIZE) { ex = 2; break; }
        for (uint32_t i = 0; i < qty; i++) coils[start + i] = (f[13 + (i >> 3)] >> (i & 7)) & 1;
        memcpy(p, f + 7, 5);
        pdu = 5;
        break;
      case 16:
        if (qty < 1 || qty > 123 || len < 13 + (size_t)qty * 2) { ex = 3; break; }
        if ((uint32_t)start + qty > SIZE) { ex = 2; break; }
        for (uint32_t i = 0; i < qty; i++) holding[start + i] = be16(f + 13 + i * 2);
        memcpy(p, f + 7, 5);
        pdu = 5;
        break;
      default:
        ex = 1;
    }
  }
  if (ex) {
    p[0] = (uint8_t)(fc | 0x80);
    p[1] = (uint8_t)ex;
    pdu = 2;
  }
  put16(o + 4, (uint16_t)(pdu + 1));
  return 7 + pdu;
}

static void close_conn(struct tag *t) {
  epoll_ctl(ep, EPOLL_CTL_DEL, t->fd, NULL);
  close(t->fd);
  free(t->conn);
  free(t);
  connections--;
}

/* Sends what is buffered; returns -1 on a broken connection. */
static int flush_out(struct tag *t) {
  struct conn *c = t->conn;
  while (c->out_off < c->out_len) {
    ssize_t n = write(c->fd, c->out + c->out_off, c->out_len - c->out_off);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) break;
      return -1;
    }
    c->out_off += (size_t)n;
  }
  if (c->out_off == c->out_len) c->out_off = c->out_len = 0;
  struct epoll_event ev = {.events = EPOLLIN | (c->out_len ? EPOLLOUT : 0), .data.ptr = t};
  epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
  return 0;
}

static void on_readable(struct tag *t) {
  struct conn *c = t->conn;
  for (;;) {
    /* Leave room for a full batch of answers; a client reading nothing back gets throttled. */
    if (c->out_len + 300 > OUT_CAP || c->in_len == IN_CAP) break;
    ssize_t n = read(c->fd, c->in + c->in_len, IN_CAP - c->in_len);
    if (n == 0) { close_conn(t); return; }
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) break;
      close_conn(t);
      return;
    }
    c->in_len += (size_t)n;
    size_t off = 0;
    while (c->in_len - off >= 7) {
      uint16_t length = be16(c->in + off + 4);
      if (length < 2 || length > 254) { close_conn(t); return; }
      size_t total = 6 + (size_t)length;
      if (c->in_len - off < total) break;
      if (c->out_len + 300 > OUT_CAP) break;
      c->out_len += handle(c->in + off, total, c->out + c->out_len);
      requests++;
      off += total;
    }
    memmove(c->in, c->in + off, c->in_len - off);
    c->in_len -= off;
  }
  if (flush_out(t) < 0) close_conn(t);
}

int main(int argc, char **argv) {
  int listeners = 1, tick_ms = 0;
  const char *host = "127.0.0.1";
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "--listeners")) listeners = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--tick-ms")) tick_ms = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--host")) host = argv[i + 1];
  }
  if (listeners < 1 || listeners > MAX_LISTENERS) listeners = 1;
  for (int i = 0; i < SIZE; i++) {
    holding[i] = (uint16_t)(i * 7);
    input_regs[i] = (uint16_t)(i * 11);
    coils[i] = i % 3 == 0;
    discrete[i] = i % 2;
  }
  ep = epoll_create1(0);
  int ports[MAX_LISTENERS];
  for (int i = 0; i < listeners; i++) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
    if (inet_pton(AF_INET, host, &a.sin_addr) != 1 || bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(fd, 511) < 0) {
      perror("listen");
      return 1;
    }
    socklen_t al = sizeof a;
    getsockname(fd, (struct sockaddr *)&a, &al);
    ports[i] = ntohs(a.sin_port);
    struct tag *t = calloc(1, sizeof *t);
    t->kind = K_LISTEN;
    t->fd = fd;
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = t};
    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
  }
  struct tag stdin_tag = {.kind = K_STDIN, .fd = 0};
  struct epoll_event sev = {.events = EPOLLIN, .data.ptr = &stdin_tag};
  epoll_ctl(ep, EPOLL_CTL_ADD, 0, &sev);
  struct tag timer_tag = {.kind = K_TIMER};
  if (tick_ms > 0) {
    timer_tag.fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
    struct itimerspec its = {.it_interval = {tick_ms / 1000, (tick_ms % 1000) * 1000000L}, .it_value = {tick_ms / 1000, (tick_ms % 1000) * 1000000L}};
    timerfd_settime(timer_tag.fd, 0, &its, NULL);
    struct epoll_event tev = {.events = EPOLLIN, .data.ptr = &timer_tag};
    epoll_ctl(ep, EPOLL_CTL_ADD, timer_tag.fd, &tev);
  }
  printf("{\"ports\": [");
  for (int i = 0; i < listeners; i++) printf("%s%d", i ? ", " : "", ports[i]);
  printf("], \"pid\": %d}\n", (int)getpid());
  fflush(stdout);

  struct epoll_event events[64];
  for (;;) {
    int n = epoll_wait(ep, events, 64, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      return 1;
    }
    for (int i = 0; i < n; i++) {
      struct tag *t = events[i].data.ptr;
      switch (t->kind) {
        case K_LISTEN:
          for (;;) {
            int fd = accept4(t->fd, NULL, NULL, SOCK_NONBLOCK);
            if (fd < 0) break;
            int one = 1;
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            struct tag *ct = calloc(1, sizeof *ct);
            ct->kind = K_CONN;
            ct->fd = fd;
            ct->conn = calloc(1, sizeof *ct->conn);
            ct->conn->fd = fd;
            struct epoll_event ev = {.events = EPOLLIN, .data.ptr = ct};
            epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
            connections++;
          }
          break;
        case K_STDIN: {
          char buf[256];
          ssize_t r = read(0, buf, sizeof buf - 1);
          if (r <= 0) return 0;
          buf[r] = 0;
          if (strstr(buf, "stats")) {
            printf("{\"requests\": %llu, \"connections\": %ld}\n", requests, connections);
            fflush(stdout);
          }
          break;
        }
        case K_TIMER: {
          uint64_t expirations;
          if (read(t->fd, &expirations, sizeof expirations) > 0)
            for (int r = 0; r < SIZE; r++) {
              holding[r]++;
              input_regs[r]++;
            }
          break;
        }
        case K_CONN:
          if (events[i].events & (EPOLLERR | EPOLLHUP) && !(events[i].events & EPOLLIN)) {
            close_conn(t);
            break;
          }
          if (events[i].events & EPOLLOUT) {
            if (flush_out(t) < 0) { close_conn(t); break; }
          }
          if (events[i].events & EPOLLIN) on_readable(t);
          break;
      }
    }
  }
}
