/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * sockredir: put an unmodified stdio program's standard input and/or output
 * on a TCP or Unix-domain stream.  This header holds what other code may rely
 * on: the public names (sockredir-public.h, installed as sockredir.h), the
 * limits and defaults, and the parse API used by the unit tests.  The
 * contract itself is SPEC.md.
 */
#ifndef SOCKREDIR_H
#define SOCKREDIR_H

#include <stddef.h>
#include <stdint.h>
#include <sysexits.h>

/* The names a user can use (version, variables, modes, exit codes), once. */
#include "sockredir-public.h"

/* Where systemd's passed sockets begin (sd_listen_fds). */
#define SOCKREDIR_LISTEN_FDS_START	3

#define SOCKREDIR_DEFAULT_HOST	"localhost"
#define SOCKREDIR_DEFAULT_PORT	50008
#define SOCKREDIR_DEFAULT_LINGER_MS 2000
#define SOCKREDIR_MAX_SECONDS	86400
#define SOCKREDIR_UNIX_PREFIX	"unix:"
#define SOCKREDIR_DEFAULT_MAX	40	/* as tcpserver's -c */
#define SOCKREDIR_MAX_ALLOW	128	/* entries in SOCKREDIR_ALLOW */
#define SOCKREDIR_MAX_LISTENERS	16	/* sockets listened on, passed ones too */
#define SOCKREDIR_PROXY_DEADLINE_MS 5000 /* for the whole PROXY header */
#define SOCKREDIR_SESSION_KILL_MS 2000	/* SIGTERM to SIGKILL */

enum sockredir_mode {
	SOCKREDIR_INACTIVE,
	SOCKREDIR_OUT,		/* connect; fd 1 */
	SOCKREDIR_IN,		/* connect; fd 0 */
	SOCKREDIR_CLIENT,	/* connect; fds 0 and 1 ("both" too) */
	SOCKREDIR_SERVER,	/* listen, accept one; fds 0 and 1 */
	SOCKREDIR_INETD,	/* listen; fork a copy per connection; fds 0 and 1 */
	SOCKREDIR_ATTACH,	/* fds 0 and 1 already hold the connection */
};

enum sockredir_buffer {
	SOCKREDIR_BUFFER_LINE,
	SOCKREDIR_BUFFER_FULL,
	SOCKREDIR_BUFFER_NONE,
	SOCKREDIR_BUFFER_AUTO,	/* full, flushed before every wait (auto.c) */
};

/* One SOCKREDIR_ALLOW entry: an address and a prefix length. */
struct sockredir_allow {
	int family;			/* AF_INET or AF_INET6 */
	unsigned char address[16];	/* network byte order, host bits cleared */
	unsigned prefix;		/* 0..32 or 0..128 */
};

struct sockredir_config {
	enum sockredir_mode mode;
	char host[256];		/* brackets of "[::1]" removed */
	char unix_path[108];	/* set instead of host for "unix:PATH" */
	int is_unix;
	unsigned port;		/* 1..65535, service names resolved */
	enum sockredir_buffer buffer;
	long timeout_ms;	/* 0: try once / wait forever */
	long linger_ms;		/* 0: close at once */
	int debug;
	unsigned max_children;		/* inetd */
	unsigned max_per_peer;		/* inetd; 0: no limit */
	long session_timeout_ms;	/* inetd; 0: no limit */
	unsigned prefork;		/* inetd; copies kept waiting, 0..max_children */
	size_t nallow;			/* inetd; 0: everyone */
	struct sockredir_allow allow[SOCKREDIR_MAX_ALLOW];
	int proxy;		/* server, inetd, attach: PROXY header required */
	int stderr_connection;	/* SOCKREDIR_STDERR=connection, where fd 1 is the connection */
	unsigned listen_fds;	/* server, inetd: sockets passed from fd 3; 0: none */
};

/* Reads an environment variable; getenv(3) in the shim, a table in tests. */
typedef const char *(*sockredir_getenv_fn)(const char *name);

/*
 * Fills *config from the environment.  Returns 0, or EX_USAGE with a one-line
 * reason (naming the variable and quoting its value) in why.  Pure: it reads
 * only through getenv_fn, plus /etc/services for a port given by name.
 */
int sockredir_parse_config(struct sockredir_config *config,
    sockredir_getenv_fn getenv_fn, char *why, size_t whylen);

/* "DIGITS" or "DIGITS.DIGITS", 0..86400 seconds, rounded up to a millisecond. */
int sockredir_parse_seconds(const char *text, long *ms);

/* "line", "full", "none" or "auto"; *buffer is left alone on a bad value. */
int sockredir_parse_buffer(const char *text, enum sockredir_buffer *buffer);

/* "keep" (0) or "connection" (1); *connection is left alone on a bad value. */
int sockredir_parse_stderr(const char *text, int *connection);

/* Decimal digits only (leading zeros allowed), within min..max. */
int sockredir_parse_decimal(const char *text, long min, long max, long *value);

const char *sockredir_mode_name(enum sockredir_mode mode);

/*
 * Parses SOCKREDIR_ALLOW: comma-separated addresses or CIDR prefixes, IPv4 or
 * IPv6, blanks around entries ignored.  Returns 0, or EX_USAGE with why
 * quoting the bad entry.
 */
int sockredir_parse_allow(const char *text, struct sockredir_allow *allow,
    size_t *nallow, char *why, size_t whylen);

/*
 * Whether a peer address (struct sockaddr_in or sockaddr_in6) is allowed;
 * an IPv4-mapped IPv6 peer is matched as IPv4.  An empty list allows all.
 */
struct sockaddr;
int sockredir_allow_match(const struct sockredir_allow *allow, size_t nallow,
    const struct sockaddr *peer);

/*
 * PROXY protocol (HAProxy's proxy-protocol.txt), v1 and v2.  The parser is
 * pure: given the first len bytes received, it says whether they can begin a
 * header, and once they are enough to decide, what the header says and how
 * long it is.  A v2 header's TLVs need not be present: header_length counts
 * them, and the caller skips them.
 */
struct sockredir_proxy_address {
	int family;			/* AF_INET or AF_INET6 */
	unsigned char address[16];	/* network byte order */
	unsigned port;
};

struct sockredir_proxy {
	size_t header_length;	/* bytes of the whole header */
	int version;		/* 1 or 2 */
	int addressed;		/* 0: LOCAL, UNKNOWN or another family: the
				   connection is described by its own addresses */
	struct sockredir_proxy_address source, destination;
};

/* Longest prefix the parser ever needs: a v2 header up to its UNIX addresses. */
#define SOCKREDIR_PROXY_DECIDE_MAX (16 + 216)

/* 1: decided (*proxy filled); 0: a valid beginning, more bytes needed; -1: not a header. */
int sockredir_parse_proxy(const unsigned char *bytes, size_t len,
    struct sockredir_proxy *proxy);

#endif
