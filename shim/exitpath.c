/*
 * The exit path.  Closing a socket with unread input makes the kernel send a
 * reset, and the peer then loses output still in flight.  So at exit: flush,
 * shut down the write side (the peer reads EOF), discard what the peer still
 * sends until it closes or the linger time passes, and only then close.
 *
 * This runs from atexit, not from a destructor: a preloaded library's
 * destructor runs before stdio's final flush, which would come too late.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "shim.h"

static struct stream_id exit_stream;
static long exit_linger_ms;

static void
drain_until_peer_closes(int fd, long linger_ms)
{
	struct pollfd peer = { .fd = fd, .events = POLLIN };
	int64_t deadline = deadline_after(linger_ms);
	char discard[4096];
	int left;

	while ((left = remaining_ms(deadline)) > 0) {
		int ready = poll(&peer, 1, left);
		ssize_t got;

		if (ready == -1 && errno == EINTR)
			continue;
		if (ready <= 0)
			return;
		got = read(fd, discard, sizeof(discard));
		if (got == 0 || (got == -1 && errno != EINTR && errno != EAGAIN))
			return;
	}
}

static void
finish_conversation(void)
{
	int fd;

	/* A forked child inherits this handler; only the connector finishes. */
	if (getpid() != exit_stream.pid)
		return;
	fflush(stdout);
	if (exit_linger_ms == 0)
		return;
	if (fd_is_stream(1, &exit_stream))
		fd = 1;
	else if (fd_is_stream(0, &exit_stream))
		fd = 0;
	else
		return;
	shutdown(fd, SHUT_WR);
	drain_until_peer_closes(fd, exit_linger_ms);
	for (fd = 0; fd <= 1; fd++)
		if (fd_is_stream(fd, &exit_stream))
			close(fd);
}

int
install_exit_path(const struct stream_id *id, long linger_ms)
{
	exit_stream = *id;
	exit_linger_ms = linger_ms;
	return atexit(finish_conversation);
}
