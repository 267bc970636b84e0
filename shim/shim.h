/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Internal interfaces between the shim's files; nothing here is exported.
 *
 * The pure core (values.c, config.c, allow.c, address.c, proxy.c,
 * inherit.c, codes.c) is built once as libsockredir-core.a, which the
 * shim, the unit tests and the fuzzer link: it parses, matches and
 * describes, with no system call of the shim's own (address.c asks
 * getaddrinfo).  The rest is the shim itself.
 *
 * Return conventions, two of them:
 * - a system-facing function returns a descriptor, a count or 0, or -1 with
 *   errno set, and leaves reporting to its caller, as nc's do;
 * - a function that decides the process's fate (parsing, opening the
 *   stream) returns 0 or a sysexits code with a one-line reason in WHY;
 *   where it returns a descriptor too, it returns minus the code.
 */
#ifndef SOCKREDIR_SHIM_H
#define SOCKREDIR_SHIM_H

#include <sys/types.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdint.h>
#include <sys/socket.h>
#include <netdb.h>

#include "sockredir.h"

/*
 * report.c: one line "sockredir: ..." on fd 2, if fd 2 was open at start,
 * written at once or dropped and counted; report_close before main.
 */
void report_init(void);
void report_close(void);
void report(const char *format, ...) __attribute__((format(printf, 1, 2)));
void report_silence(void);

/* values.c (core) */
void quote_value(const char *value, char *out, size_t outlen);

/* codes.c (core): the sysexits code of a failed system call's errno. */
int exit_code_for(int error);

/* config.c (core) */
int mode_listens(enum sockredir_mode mode);
int mode_redirects_stdin(enum sockredir_mode mode);
int mode_redirects_stdout(enum sockredir_mode mode);

/* address.c (core): the configured endpoint as a list of socket addresses. */
int resolve_endpoint(const struct sockredir_config *config,
    struct addrinfo **list, char *why, size_t whylen);
void free_endpoint(const struct sockredir_config *config, struct addrinfo *list);
void describe_endpoint(const struct sockredir_config *config, char *out,
    size_t outlen);
void describe_address(const struct sockaddr *address, socklen_t length,
    char *out, size_t outlen);
int address_ip_port(const struct sockaddr *address, char *ip, size_t iplen,
    unsigned *port);

/* clock.c: a deadline on the monotonic clock, and what is left of it. */
int64_t deadline_after(long ms);
int remaining_ms(int64_t deadline);

/* connect.c: each returns a descriptor (close-on-exec) or -1 with errno set. */
int remote_connect(const struct addrinfo *list, long timeout_ms);
int local_listen(const struct addrinfo *list, int *fds, int maxfds);
int accept_first(int *fds, int nfds, long timeout_ms);
int clear_stale_unix_socket(const char *path);
void remove_unix_socket(const char *path);
void set_nodelay(int stream);

/* stdio.c */
void reserve_standard_fds(void);
int redirect_stream(int stream, enum sockredir_mode mode);
void release_standard_fds(enum sockredir_mode mode, int stderr_connection);
struct stream_id;
void set_stdout_buffering(enum sockredir_buffer buffer, const struct stream_id *stream);

/* The connection as the children know it (SOCKREDIR_STREAM). */
struct stream_id {
	pid_t pid;		/* the process that connected */
	dev_t dev;
	ino_t ino;
};

/* inherit.c (core): SOCKREDIR_STREAM's value, and LD_PRELOAD rewritten. */
int parse_stream_value(const char *value, struct stream_id *id);
int rewrite_preload(const char *preload, const char *self,
    char *(*resolve)(const char *, char *), char **rewritten);

/* environ.c: the program's environment, for it and its children. */
int identify_stream(int fd, struct stream_id *id);
int fd_is_stream(int fd, const struct stream_id *id);
int mark_stream(const struct stream_id *id);
int inherited_stream(struct stream_id *id);
int prepare_environment(const struct sockredir_config *config);
int describe_connection(int stream, const struct sockredir_config *config);
int prepare_copy_environment(void);

/* inetd.c: returns the stream in a child; the listener never returns. */
int serve_connections(const struct sockredir_config *config, const int *listeners,
    int count);

/* proxy.c (core): the header's address as a socket address. */
void proxy_sockaddr(const struct sockredir_proxy_address *address,
    struct sockaddr_storage *out);

/*
 * proxyread.c: takes exactly the PROXY header off a connection, a step at a
 * time (for an inetd listener, which waits on many) or until a deadline.
 */
struct proxy_reader {
	unsigned char bytes[SOCKREDIR_PROXY_DECIDE_MAX];
	size_t have;		/* bytes taken into bytes[] */
	size_t skip;		/* v2 TLV bytes still to be read and dropped */
	int decided;
	struct sockredir_proxy header;
};
int proxy_read_step(int fd, struct proxy_reader *reader);
int proxy_read_header(int fd, struct proxy_reader *reader, long deadline_ms);
const char *proxy_failure(int error);
void drain_refused(int fd);
void use_proxy_header(const struct sockredir_proxy *header);
int proxied_addresses(struct sockaddr_storage *local,
    struct sockaddr_storage *remote);
void describe_peer(int stream, const struct sockredir_proxy *header, char *out,
    size_t outlen);
int read_proxy_or_fail(int stream, const struct sockredir_config *config,
    char *why, size_t whylen);

/* activation.c: systemd's passed listeners, checked and taken. */
int take_passed_listeners(struct sockredir_config *config, int *listeners,
    char *why, size_t whylen);

/* attach.c: the connection a service manager left on fds 0 and 1. */
int attached_stream(char *why, size_t whylen);


/* exitpath.c: the exit descriptor is -1 until installed, and in children. */
int register_exit_path(void);
int install_exit_path(const struct stream_id *id, int stream, long linger_ms);
void end_conversation(int flush_stdout);
void end_conversation_before_exec(void);
int exit_fd_number(void);
int move_exit_fd(void);

/* interpose.c */
void resolve_real_functions(void);
/* interpose_io.c: every wrapper's definition at once (an inetd listener, before it forks). */
void resolve_wrapped_functions(void);
int real_close(int fd);

/* The definition a wrapper stands in front of, looked up once. */
static inline void *
real_function(void **slot, const char *name)
{
	if (*slot == NULL)
		*slot = dlsym(RTLD_NEXT, name);
	return *slot;
}

/* stderr.c: SOCKREDIR_STDERR=connection; stderr_ordered is the wrappers' branch. */
extern int stderr_ordered;
void set_stderr_buffering(void);
int join_stderr(const struct stream_id *stream);
void order_start(const struct stream_id *stream);
void order_before_output(const FILE *stream);
void order_before_write(int fd);
void order_send_both(void);

/* autoflush.c: SOCKREDIR_BUFFER=auto; autoflush_active is the one branch. */
extern int autoflush_active;
void autoflush_start(const struct stream_id *stream);
void autoflush_now(void);
void autoflush_before_input(FILE *stream, size_t need, int delim);
void autoflush_before_write(int fd);
void autoflush_after_output(void);
void autoflush_unlocked_output(void);
void autoflush_stop(void);

#endif
