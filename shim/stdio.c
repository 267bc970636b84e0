/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Standard I/O set-up: the stream goes on the mode's fds, and stdout gets the
 * buffering that makes a dialog work.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "shim.h"

static unsigned placeholders;

/*
 * A standard fd closed at start is held by /dev/null (close-on-exec) while
 * the constructor works (a server waiting for its client, an inetd listener
 * serving), so that no socket of the shim takes its number: a connection on
 * fd 2 would receive the diagnostics, a listener on fd 0 or 1 the program's
 * I/O.  Those the mode does not replace are closed again before main (in an
 * inetd copy, before its main); with SOCKREDIR_STDERR=connection a closed
 * fd 2 becomes the connection like an open one (join_stderr replaces it).
 */
void
reserve_standard_fds(void)
{
	for (int fd = 0; fd <= 2; fd++) {
		int placeholder;

		if (fcntl(fd, F_GETFD) != -1 || errno != EBADF)
			continue;
		placeholder = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (placeholder == fd)
			placeholders |= 1u << fd;
		else if (placeholder != -1)
			real_close(placeholder);
	}
}

void
release_standard_fds(enum sockredir_mode mode, int stderr_connection)
{
	const int redirected[3] = { mode_redirects_stdin(mode),
	    mode_redirects_stdout(mode), stderr_connection };

	for (int fd = 0; fd <= 2; fd++)
		if ((placeholders & (1u << fd)) && !redirected[fd])
			real_close(fd);
	placeholders = 0;
}

/*
 * The stream may itself be fd 0 or 1 when the program started with those
 * closed.  dup2 onto itself would keep close-on-exec, so clear it by hand;
 * and close the original only if the mode does not keep it.
 */
int
redirect_stream(int stream, enum sockredir_mode mode)
{
	const int wanted[2] = { mode_redirects_stdin(mode), mode_redirects_stdout(mode) };

	for (int fd = 0; fd <= 1; fd++) {
		if (!wanted[fd])
			continue;
		if (fd == stream) {
			if (fcntl(fd, F_SETFD, 0) == -1)
				return -1;
		} else if (dup2(stream, fd) == -1)
			return -1;
	}
	if (stream > 1 || !wanted[stream])
		real_close(stream);
	return 0;
}

/*
 * glibc makes stdout fully buffered when fd 1 is not a terminal, which is
 * what lets a dialog deadlock: each side waits for a line still sitting in
 * the other's buffer.  Nothing has been written yet, so setvbuf is allowed.
 */
void
set_stdout_buffering(enum sockredir_buffer buffer, const struct stream_id *stream)
{
	switch (buffer) {
	case SOCKREDIR_BUFFER_AUTO:
		autoflush_start(stream);
		break;
	case SOCKREDIR_BUFFER_LINE:
		setvbuf(stdout, NULL, _IOLBF, BUFSIZ);
		break;
	case SOCKREDIR_BUFFER_FULL:
		setvbuf(stdout, NULL, _IOFBF, BUFSIZ);
		break;
	case SOCKREDIR_BUFFER_NONE:
		setvbuf(stdout, NULL, _IONBF, 0);
		break;
	}
}
