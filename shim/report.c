/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Every message of the shim goes through report(): one line on fd 2, written
 * with one write so that lines from several processes do not interleave.
 * When fd 2 was closed as the program started, there is no stderr: the
 * message is dropped, never written into whatever descriptor (a socket of
 * ours, perhaps) has taken that number since; and once fd 2 has become the
 * connection (SOCKREDIR_STDERR=connection), every message is.
 *
 * A message is written now or never.  The shim reports only while the
 * program is not running (before main, and in an inetd listener, which
 * never runs it), and a listener that waited on its log would serve nobody:
 * a pipe that nobody drains would stop it dead, and one whose reader has
 * gone would kill it with SIGPIPE.  So a line that cannot be written at
 * once is dropped and counted, and the next line that can be written says
 * how many were.  fd 2's own file description is shared with the program
 * (and the shell, and every copy of an inetd listener), so its flags are
 * not ours to change: a pipe, FIFO or terminal is opened afresh through
 * /proc/self/fd/2 with O_NONBLOCK, a socket is sent to with MSG_DONTWAIT,
 * and a regular file is written as it is (it does not block).  SIGPIPE is
 * blocked around the write and a SIGPIPE that the write raised is taken
 * back, so the program's own disposition is never touched.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "shim.h"

static int stderr_was_open = 1;
static int nonblocking_stderr = -1;	/* fd 2 opened afresh, O_NONBLOCK */
static unsigned long dropped;

void
report_init(void)
{
	stderr_was_open = fcntl(STDERR_FILENO, F_GETFD) != -1;
}

/* fd 2 is the connection now (SOCKREDIR_STDERR=connection): nothing more. */
void
report_silence(void)
{
	stderr_was_open = 0;
}

/* Before main runs: the program holds no descriptor of ours. */
void
report_close(void)
{
	if (nonblocking_stderr != -1)
		real_close(nonblocking_stderr);
	nonblocking_stderr = -1;
}

/*
 * A descriptor of fd 2's pipe, FIFO or terminal that does not block, or -1
 * (a FIFO without a reader: ENXIO; no /proc, or a pipe not ours to open:
 * the caller falls back).
 */
static int
open_nonblocking_stderr(void)
{
	int fd;

	if (nonblocking_stderr != -1)
		return nonblocking_stderr;
	fd = open("/proc/self/fd/2", O_WRONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	/* Never on 0, 1 or 2: a closed standard fd is the program's. */
	if (fd != -1 && fd <= STDERR_FILENO) {
		int moved = fcntl(fd, F_DUPFD_CLOEXEC, STDERR_FILENO + 1);

		real_close(fd);
		fd = moved;
	}
	return nonblocking_stderr = fd;
}

static ssize_t
write_without_sigpipe(int fd, const char *bytes, size_t length)
{
	sigset_t pipe, saved, pending;
	struct timespec zero = { 0, 0 };
	int was_pending, error;
	ssize_t written;

	sigemptyset(&pipe);
	sigaddset(&pipe, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe, &saved);
	was_pending = sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE);
	written = write(fd, bytes, length);
	error = errno;
	/* Ours, not one the program had coming: take it back. */
	if (written == -1 && error == EPIPE && !was_pending)
		sigtimedwait(&pipe, NULL, &zero);
	pthread_sigmask(SIG_SETMASK, &saved, NULL);
	errno = error;
	return written;
}

/* The whole of BYTES on fd 2 now, or -1: never blocks, never SIGPIPE. */
static ssize_t
write_now(const char *bytes, size_t length)
{
	struct stat status;
	struct pollfd stderr_ready = { .fd = STDERR_FILENO, .events = POLLOUT };
	int fd;

	if (fstat(STDERR_FILENO, &status) == -1)
		return -1;
	if (S_ISSOCK(status.st_mode))
		return send(STDERR_FILENO, bytes, length, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (!S_ISFIFO(status.st_mode) && !S_ISCHR(status.st_mode))
		return write(STDERR_FILENO, bytes, length);
	if ((fd = open_nonblocking_stderr()) != -1)
		return write_without_sigpipe(fd, bytes, length);
	if (errno == ENXIO)	/* a FIFO with no reader */
		return -1;
	/*
	 * No /proc, or a pipe of another user's: only a ready pipe is
	 * written, which a writer elsewhere could still fill in between.
	 */
	if (poll(&stderr_ready, 1, 0) != 1 || !(stderr_ready.revents & POLLOUT))
		return -1;
	return write_without_sigpipe(STDERR_FILENO, bytes, length);
}

void
report(const char *format, ...)
{
	/* Within PIPE_BUF, so that a pipe takes it whole or not at all. */
	char line[1400];
	size_t length = 0, room = sizeof(line) - 1;
	va_list arguments;
	int n;

	if (!stderr_was_open)
		return;
	if (dropped > 0)
		length = (size_t)snprintf(line, sizeof(line), "sockredir: %lu earlier "
		    "message%s dropped: stderr could not take %s at once\n", dropped,
		    dropped == 1 ? "" : "s", dropped == 1 ? "it" : "them");
	length += (size_t)snprintf(line + length, sizeof(line) - length, "sockredir: ");
	va_start(arguments, format);
	n = vsnprintf(line + length, sizeof(line) - length - 1, format, arguments);
	va_end(arguments);
	if (n < 0)
		return;
	length += (size_t)n;
	if (length > room - 1)
		length = room - 1;
	line[length++] = '\n';
	if (write_now(line, length) == -1)
		dropped++;
	else
		dropped = 0;
}
