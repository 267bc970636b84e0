/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * attach mode: a service manager (systemd Accept=yes, inetd, xinetd,
 * tcpserver) has accepted the connection and put it on fds 0 and 1.  The
 * shim opens nothing; it only checks that the two are one connected stream
 * socket, and the constructor does the rest as for a connection of its own.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <stdio.h>
#include <unistd.h>

#include "shim.h"

static const char *
not_a_connection(int fd)
{
	struct sockaddr_storage peer;
	socklen_t peerlen = sizeof(peer);
	struct stat status;
	int type = 0;
	socklen_t typelen = sizeof(type);

	if (fstat(fd, &status) == -1)
		return "is closed";
	if (!S_ISSOCK(status.st_mode))
		return "is not a socket";
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &typelen) == -1 ||
	    type != SOCK_STREAM)
		return "is not a stream socket";
	if (getpeername(fd, (struct sockaddr *)&peer, &peerlen) == -1)
		return "is not a connected socket";
	return NULL;
}

/* Returns fd 1, the connection, or minus EX_USAGE with why naming the fd. */
int
attached_stream(char *why, size_t whylen)
{
	struct stream_id input, output;

	for (int fd = 0; fd <= 1; fd++) {
		const char *problem = not_a_connection(fd);

		if (problem != NULL) {
			snprintf(why, whylen, "%s=attach: fd %d %s",
			    SOCKREDIR_ENV_MODE, fd, problem);
			return -EX_USAGE;
		}
	}
	if (identify_stream(STDIN_FILENO, &input) == -1 ||
	    identify_stream(STDOUT_FILENO, &output) == -1 ||
	    input.dev != output.dev || input.ino != output.ino) {
		snprintf(why, whylen, "%s=attach: fd 0 and fd 1 are not the same "
		    "connection", SOCKREDIR_ENV_MODE);
		return -EX_USAGE;
	}
	return STDOUT_FILENO;
}
