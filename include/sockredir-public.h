/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * sockredir.h: the names of the sockredir interface, for programs that run
 * others under libsockredir.so or read what it set.  The library has no
 * function of its own to call (it exports only the libc functions it
 * interposes): its interface is the environment of the program it is
 * preloaded into, described in sockredir(7); the launcher is sockredir(1).
 *
 * In the source tree this is include/sockredir-public.h, installed as
 * sockredir.h; the library's own include/sockredir.h defines the same names
 * with the same values (a test compiles the two together).
 */
#ifndef SOCKREDIR_PUBLIC_H
#define SOCKREDIR_PUBLIC_H

#define SOCKREDIR_VERSION "0.1.0"

/* The variables the library reads. */
#define SOCKREDIR_ENV_MODE	"SOCKREDIR_MODE"
#define SOCKREDIR_ENV_HOST	"SOCKREDIR_HOST"
#define SOCKREDIR_ENV_PORT	"SOCKREDIR_PORT"
#define SOCKREDIR_ENV_BUFFER	"SOCKREDIR_BUFFER"
#define SOCKREDIR_ENV_TIMEOUT	"SOCKREDIR_TIMEOUT"
#define SOCKREDIR_ENV_LINGER	"SOCKREDIR_LINGER"
#define SOCKREDIR_ENV_DEBUG	"SOCKREDIR_DEBUG"
#define SOCKREDIR_ENV_MAX	"SOCKREDIR_MAX"
#define SOCKREDIR_ENV_ALLOW	"SOCKREDIR_ALLOW"
#define SOCKREDIR_ENV_MAX_PER_PEER	"SOCKREDIR_MAX_PER_PEER"
#define SOCKREDIR_ENV_SESSION_TIMEOUT	"SOCKREDIR_SESSION_TIMEOUT"
#define SOCKREDIR_ENV_PROXY	"SOCKREDIR_PROXY"
#define SOCKREDIR_ENV_STDERR	"SOCKREDIR_STDERR"
#define SOCKREDIR_ENV_PREFORK	"SOCKREDIR_PREFORK"	/* inetd: copies waiting in a pool */
/* Socket activation, systemd's protocol (sd_listen_fds), in server and inetd modes. */
#define SOCKREDIR_ENV_LISTEN_PID	"LISTEN_PID"
#define SOCKREDIR_ENV_LISTEN_FDS	"LISTEN_FDS"
#define SOCKREDIR_ENV_LISTEN_FDNAMES	"LISTEN_FDNAMES"
/* Set by the library for the program's children: "PID:DEV:INO" of the stream. */
#define SOCKREDIR_ENV_STREAM	"SOCKREDIR_STREAM"

/* The values of SOCKREDIR_MODE. */
#define SOCKREDIR_MODE_OUT	"out"
#define SOCKREDIR_MODE_IN	"in"
#define SOCKREDIR_MODE_CLIENT	"client"
#define SOCKREDIR_MODE_BOTH	"both"	/* the same as client */
#define SOCKREDIR_MODE_SERVER	"server"
#define SOCKREDIR_MODE_INETD	"inetd"
#define SOCKREDIR_MODE_ATTACH	"attach"

/* The values of SOCKREDIR_BUFFER. */
#define SOCKREDIR_BUFFERING_LINE	"line"
#define SOCKREDIR_BUFFERING_FULL	"full"
#define SOCKREDIR_BUFFERING_NONE	"none"
#define SOCKREDIR_BUFFERING_AUTO	"auto"

/* The values of SOCKREDIR_STDERR. */
#define SOCKREDIR_STDERR_KEEP		"keep"	/* fd 2 stays the program's */
#define SOCKREDIR_STDERR_CONNECTION	"connection"	/* fd 2 is the connection too */

/* The library's exit codes before main runs (sysexits.h). */
#define SOCKREDIR_EXIT_USAGE		64	/* EX_USAGE: a bad value */
#define SOCKREDIR_EXIT_NOHOST		68	/* EX_NOHOST: the host does not resolve */
#define SOCKREDIR_EXIT_UNAVAILABLE	69	/* EX_UNAVAILABLE: no connection */
#define SOCKREDIR_EXIT_OSERR		71	/* EX_OSERR: a system call failed */

/* The launcher's own exit codes, as stdbuf's. */
#define SOCKREDIR_EXIT_LAUNCHER		125	/* its own failure */
#define SOCKREDIR_EXIT_CANNOT_RUN	126	/* the program cannot run */
#define SOCKREDIR_EXIT_NOT_FOUND	127	/* the program was not found */

#endif
