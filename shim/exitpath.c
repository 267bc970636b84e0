/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The exit path.  Closing a socket with unread input makes the kernel send a
 * reset, and the peer then loses output still in flight.  So the process
 * that connected ends the conversation itself: flush, shut down the write
 * side (the peer reads EOF), discard what the peer still sends until it
 * closes or the linger time passes, and only then close.
 *
 * It must work however the program ends and whatever it did with fds 0 and
 * 1 (and 2, when SOCKREDIR_STDERR=connection put the connection there)
 * first: GNU coreutils close both in an exit handler of their own, which
 * runs before ours; dd and Tcl close them; dash ends with _exit, which runs
 * no handler.  So the shim keeps a private, close-on-exec duplicate of the
 * connection (the exit descriptor), which the program cannot close by
 * mistake (interpose.c keeps it out of reach), and runs from atexit (exit and
 * returning from main) and from the interposed _exit and _Exit.  A
 * preloaded library's destructor would come too late: it runs before
 * stdio's final flush.
 *
 * The exit descriptor is the lowest free one from EXIT_FD_FLOOR up, above
 * the numbers shells and programs pick by hand; it goes where a forked
 * child or an exec'd image cannot hold it (closed in the child of fork,
 * close-on-exec).  The peer therefore reads EOF when this process ends, not
 * when the program closes its last descriptor of the connection.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "shim.h"

#define EXIT_FD_FLOOR 100

static struct stream_id exit_stream;
static long exit_linger_ms;
static atomic_int exit_fd = -1;

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

/* Once per process, in the process that owns the connection. */
void
end_conversation(int flush_stdout)
{
	int fd;

	if (getpid() != exit_stream.pid || (fd = atomic_exchange(&exit_fd, -1)) == -1)
		return;
	autoflush_stop();
	if (flush_stdout) {
		/* stderr's partial line, if it is on the connection, is the older. */
		if (fd_is_stream(STDERR_FILENO, &exit_stream))
			fflush(stderr);
		fflush(stdout);
	}
	if (exit_linger_ms > 0) {
		shutdown(fd, SHUT_WR);
		drain_until_peer_closes(fd, exit_linger_ms);
	}
	/* Whatever is written after this would only meet a closed peer. */
	for (int std = 0; std <= 2; std++)
		if (fd_is_stream(std, &exit_stream))
			real_close(std);
	real_close(fd);
}

static void
end_conversation_at_exit(void)
{
	end_conversation(1);
}

/* A forked child shares the connection but never ends it. */
static void
forget_in_child(void)
{
	int fd = atomic_exchange(&exit_fd, -1);

	if (fd != -1)
		real_close(fd);
}

int
exit_fd_number(void)
{
	return atomic_load_explicit(&exit_fd, memory_order_relaxed);
}

/* The program wants this number for itself: the exit descriptor moves up. */
int
move_exit_fd(void)
{
	int fd = atomic_load(&exit_fd), moved;

	if (fd == -1)
		return 0;
	if ((moved = fcntl(fd, F_DUPFD_CLOEXEC, fd + 1)) == -1)
		return -1;
	atomic_store(&exit_fd, moved);
	real_close(fd);
	return 0;
}

/*
 * The handlers, once per process image.  An inetd listener registers them
 * before it forks, so that no copy allocates for them on its connection's
 * time; they do nothing in a process that has no exit descriptor.
 */
int
register_exit_path(void)
{
	static int registered;

	if (registered)
		return 0;
	registered = 1;
	if (pthread_atfork(NULL, NULL, forget_in_child) != 0)
		return -1;
	return atexit(end_conversation_at_exit);
}

/*
 * Called in the process that owns the conversation with a descriptor of it;
 * again after each exec by the same process, which gets its own duplicate.
 */
int
install_exit_path(const struct stream_id *id, int stream, long linger_ms)
{
	int fd = fcntl(stream, F_DUPFD_CLOEXEC, EXIT_FD_FLOOR);

	if (fd == -1 && errno == EINVAL)	/* RLIMIT_NOFILE below the floor */
		fd = fcntl(stream, F_DUPFD_CLOEXEC, 3);
	if (fd == -1)
		return -1;
	exit_stream = *id;
	exit_linger_ms = linger_ms;
	atomic_store(&exit_fd, fd);
	return register_exit_path();
}

/*
 * An exec that leaves the connection on none of fds 0, 1 and 2 ends it; one
 * that leaves it on fd 2 alone (SOCKREDIR_STDERR=connection, fds 0 and 1
 * closed) does not: the new image takes the exit path over from fd 2.
 */
void
end_conversation_before_exec(void)
{
	if (exit_fd_number() == -1 || getpid() != exit_stream.pid)
		return;
	if (!fd_is_stream(STDIN_FILENO, &exit_stream) &&
	    !fd_is_stream(STDOUT_FILENO, &exit_stream) &&
	    !fd_is_stream(STDERR_FILENO, &exit_stream))
		end_conversation(0);
}
