/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Connecting and listening.  Each function returns a descriptor (or a count)
 * or -1 with errno set, and leaves the reporting to its caller, as nc does.
 * Every descriptor is close-on-exec from its creation: the program and its
 * children must see only the redirected fds 0 and 1.
 */
#include <sys/stat.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "shim.h"

/* Errors that a listener not yet started, or not yet reachable, gives. */
static int
worth_retrying(int error)
{
	return error == ECONNREFUSED || error == ENOENT || error == ETIMEDOUT ||
	    error == ENETUNREACH || error == EHOSTUNREACH || error == EAGAIN;
}

/* With a deadline the connect is non-blocking, so a silent host cannot hang us. */
static int
connect_one(const struct addrinfo *address, int64_t deadline)
{
	int fd, error;
	socklen_t errorlen = sizeof(error);
	struct pollfd pending;

	fd = socket(address->ai_family, address->ai_socktype | SOCK_CLOEXEC |
	    (deadline ? SOCK_NONBLOCK : 0), address->ai_protocol);
	if (fd == -1)
		return -1;
	if (connect(fd, address->ai_addr, address->ai_addrlen) == 0)
		goto connected;
	if (errno != EINPROGRESS)
		goto fail;
	pending.fd = fd;
	pending.events = POLLOUT;
	for (;;) {
		int ready = poll(&pending, 1, remaining_ms(deadline));

		if (ready > 0)
			break;
		if (ready == 0) {
			errno = ETIMEDOUT;
			goto fail;
		}
		if (errno != EINTR)
			goto fail;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &errorlen) == -1)
		goto fail;
	if (error != 0) {
		errno = error;
		goto fail;
	}
connected:
	if (deadline && fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) == -1)
		goto fail;
	return fd;
fail:
	error = errno;
	close(fd);
	errno = error;
	return -1;
}

/*
 * Try each address in getaddrinfo's order.  With a timeout, go round again
 * with backoff while the failures are the kind a late listener gives, so the
 * program may be started before its peer.
 */
int
remote_connect(const struct addrinfo *list, long timeout_ms)
{
	int64_t deadline = timeout_ms > 0 ? deadline_after(timeout_ms) : 0;
	int backoff_ms = 10, fd, error = ECONNREFUSED;

	for (;;) {
		int retry = 0;

		for (const struct addrinfo *address = list; address != NULL;
		    address = address->ai_next) {
			if ((fd = connect_one(address, deadline)) != -1)
				return fd;
			error = errno;
			retry |= worth_retrying(error);
			if (deadline && remaining_ms(deadline) == 0)
				break;
		}
		if (!deadline || !retry || remaining_ms(deadline) == 0)
			break;
		if (backoff_ms > remaining_ms(deadline))
			backoff_ms = remaining_ms(deadline);
		poll(NULL, 0, backoff_ms);
		backoff_ms = backoff_ms * 2 < 500 ? backoff_ms * 2 : 500;
	}
	errno = error;
	return -1;
}

/* The socket file this process bound, so that it removes only that. */
static struct stat bound_unix_socket;

static int
same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino &&
	    (a->st_mode & S_IFMT) == (b->st_mode & S_IFMT);
}

/*
 * A unix: server may take over the path only from a dead server: a socket
 * nobody listens on.  Anything else at the path is left untouched; lstat,
 * so a symlink is never followed.  The path is looked at again right before
 * unlink: a file moved there while the probe ran is not removed.  What
 * remains is the instant between that lstat and unlink, which no system
 * call closes (there is no "unlink if still this inode").
 */
int
clear_stale_unix_socket(const char *path)
{
	struct sockaddr_un address;
	struct stat probed, now;
	int probe, error;

	if (lstat(path, &probed) == -1)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISSOCK(probed.st_mode)) {
		errno = EEXIST;
		return -1;
	}
	memset(&address, 0, sizeof(address));
	address.sun_family = AF_UNIX;
	strncpy(address.sun_path, path, sizeof(address.sun_path) - 1);
	if ((probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (connect(probe, (struct sockaddr *)&address, sizeof(address)) == 0) {
		close(probe);
		errno = EADDRINUSE;
		return -1;
	}
	error = errno;
	close(probe);
	if (error != ECONNREFUSED) {
		errno = error;
		return -1;
	}
	if (lstat(path, &now) == -1)
		return errno == ENOENT ? 0 : -1;
	if (!same_file(&probed, &now)) {
		errno = S_ISSOCK(now.st_mode) ? EADDRINUSE : EEXIST;
		return -1;
	}
	return unlink(path);
}

/* At the end of a unix: listener: its own socket file, nothing else. */
void
remove_unix_socket(const char *path)
{
	struct stat now;

	if (bound_unix_socket.st_ino != 0 && lstat(path, &now) == 0 &&
	    same_file(&bound_unix_socket, &now))
		unlink(path);
}

/*
 * Listen on every address; skip only those this machine cannot have (no
 * IPv6, say).  IPV6_V6ONLY is left to the system, so that "::" also takes
 * IPv4 clients where the system allows it, as most servers do.
 */
int
local_listen(const struct addrinfo *list, int *fds, int maxfds)
{
	int count = 0, error = EADDRNOTAVAIL, on = 1;

	for (const struct addrinfo *address = list;
	    address != NULL && count < maxfds; address = address->ai_next) {
		/* Non-blocking: a client may leave between poll and accept. */
		int fd = socket(address->ai_family, address->ai_socktype |
		    SOCK_CLOEXEC | SOCK_NONBLOCK, address->ai_protocol);

		if (fd == -1) {
			error = errno;
			if (error == EAFNOSUPPORT)
				continue;
			goto fail;
		}
		if (address->ai_family != AF_UNIX)
			setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
		if (bind(fd, address->ai_addr, address->ai_addrlen) == -1 ||
		    listen(fd, SOMAXCONN) == -1) {
			error = errno;
			close(fd);
			if (error == EADDRNOTAVAIL)
				continue;
			goto fail;
		}
		if (address->ai_family == AF_UNIX)
			lstat(((const struct sockaddr_un *)address->ai_addr)->sun_path,
			    &bound_unix_socket);
		fds[count++] = fd;
	}
	if (count > 0)
		return count;
fail:
	while (count > 0)
		close(fds[--count]);
	errno = error;
	return -1;
}

/* Take the first connection to arrive on any listener, then close them all. */
int
accept_first(int *fds, int nfds, long timeout_ms)
{
	struct pollfd waiting[16];
	int64_t deadline = timeout_ms > 0 ? deadline_after(timeout_ms) : 0;
	int stream = -1, error = 0;

	for (int i = 0; i < nfds; i++) {
		waiting[i].fd = fds[i];
		waiting[i].events = POLLIN;
	}
	while (stream == -1 && error == 0) {
		int ready = poll(waiting, (nfds_t)nfds,
		    deadline ? remaining_ms(deadline) : -1);

		if (ready == 0)
			error = ETIMEDOUT;
		else if (ready == -1 && errno != EINTR)
			error = errno;
		for (int i = 0; ready > 0 && i < nfds && stream == -1; i++) {
			if (!(waiting[i].revents & POLLIN))
				continue;
			stream = accept4(fds[i], NULL, NULL, SOCK_CLOEXEC);
			/* A client that gave up before accept: wait for the next. */
			if (stream == -1 && errno != ECONNABORTED && errno != EINTR &&
			    errno != EAGAIN)
				error = errno;
		}
	}
	for (int i = 0; i < nfds; i++)
		close(fds[i]);
	if (stream == -1)
		errno = error;
	return stream;
}

/*
 * Line buffering already batches a line into one send; Nagle would only hold
 * a second small line back until the peer's delayed ACK, about 40 ms.  Not a
 * TCP socket (unix:): the call fails and nothing is lost.
 */
void
set_nodelay(int stream)
{
	int on = 1;

	setsockopt(stream, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
}
