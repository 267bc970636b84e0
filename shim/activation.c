/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Socket activation, systemd's protocol as sd_listen_fds(3) reads it: a
 * service manager listens for us and passes the listening sockets as fds 3
 * to 3+LISTEN_FDS-1 (config.c has checked that LISTEN_PID is ours).  They
 * are taken as they are, checked to be listening stream sockets, made
 * close-on-exec and non-blocking like our own, and the variables are
 * removed so that no child of the program takes them for its own.
 */
#include <sys/socket.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shim.h"

static int
is_listening_stream(int fd)
{
	int type = 0, listening = 0;
	socklen_t typelen = sizeof(type), listeninglen = sizeof(listening);

	return getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &typelen) == 0 &&
	    type == SOCK_STREAM &&
	    getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &listeninglen) == 0 &&
	    listening;
}

/*
 * Fills listeners with the passed fds and returns their count, or minus a
 * sysexits code with why filled.  A passed Unix socket makes the listener a
 * unix: one for the rules that depend on it (ALLOW refused, MAX_PER_PEER
 * ignored).
 */
int
take_passed_listeners(struct sockredir_config *config, int *listeners,
    char *why, size_t whylen)
{
	for (unsigned i = 0; i < config->listen_fds; i++) {
		int fd = SOCKREDIR_LISTEN_FDS_START + (int)i, flags;
		struct sockaddr_storage local = { 0 };
		socklen_t locallen = sizeof(local);

		if (!is_listening_stream(fd) ||
		    getsockname(fd, (struct sockaddr *)&local, &locallen) == -1) {
			snprintf(why, whylen, "%s=%u: fd %d is not a listening stream "
			    "socket", SOCKREDIR_ENV_LISTEN_FDS, config->listen_fds, fd);
			return -EX_USAGE;
		}
		if (local.ss_family == AF_UNIX)
			config->is_unix = 1;
		if ((flags = fcntl(fd, F_GETFL)) == -1 ||
		    fcntl(fd, F_SETFL, flags | O_NONBLOCK) == -1 ||
		    fcntl(fd, F_SETFD, FD_CLOEXEC) == -1) {
			snprintf(why, whylen, "fd %d passed in %s: %s", fd,
			    SOCKREDIR_ENV_LISTEN_FDS, strerror(errno));
			return -EX_OSERR;
		}
		listeners[i] = fd;
	}
	if (config->is_unix && config->nallow > 0) {
		snprintf(why, whylen, "%s: does not apply to a passed unix socket "
		    "(it filters IP addresses)", SOCKREDIR_ENV_ALLOW);
		return -EX_USAGE;
	}
	if (config->is_unix)
		config->max_per_peer = 0;
	unsetenv(SOCKREDIR_ENV_LISTEN_PID);
	unsetenv(SOCKREDIR_ENV_LISTEN_FDS);
	unsetenv(SOCKREDIR_ENV_LISTEN_FDNAMES);
	return (int)config->listen_fds;
}
