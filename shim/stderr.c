/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * SOCKREDIR_STDERR=connection: fd 2 is the connection as well as fd 1, and
 * what the program writes to stdout and stderr arrives in the order it
 * wrote it.
 *
 * stdout and stderr are two stdio buffers in front of one socket.  Under
 * BUFFER=full or auto stdout holds whole replies, and stderr, line
 * buffered, holds a partial line (a prompt) until it ends; a line written to
 * one would overtake what the other still holds.  So at most one of them
 * holds bytes at any time: before output goes into one, whatever the other
 * holds is sent (order_before_output, from the stdio wrappers of
 * interpose_io.c), and before a direct write to the connection (write(2,
 * ...), as dash and Python write their stderr), both are (order_before_write).
 * stdio functions that write stderr from inside libc (perror, warn, err,
 * psignal) have wrappers of their own; error(3) flushes stdout itself.
 *
 * A stream another thread is using right now is left to that thread (the
 * lock is only tried): the order of two threads' output is theirs to
 * decide, and waiting for a lock here could deadlock a program that holds
 * one stream's lock while it writes the other.  The auto flusher holds both
 * locks while it flushes either, so a write in the program waits for it.
 *
 * Not seen: bytes that an inline putc_unlocked puts into stdout's buffer
 * without a call (full and auto only; line buffering makes every putc a
 * call), and a program that sets stderr's buffering itself.
 */
#include <stdio.h>
#include <stdio_ext.h>
#include <unistd.h>

#include "shim.h"

int stderr_ordered;
static struct stream_id connection;

/* Line buffered under every BUFFER value: a line leaves when it ends. */
void
set_stderr_buffering(void)
{
	setvbuf(stderr, NULL, _IOLBF, BUFSIZ);
}

static void
send_pending(FILE *stream)
{
	if (__fpending(stream) == 0 || ftrylockfile(stream) != 0)
		return;
	if (__fpending(stream) > 0)
		fflush(stream);
	funlockfile(stream);
}

/* Both, the older first: stderr's partial line is older than stdout's bytes. */
void
order_send_both(void)
{
	send_pending(stderr);
	send_pending(stdout);
}

void
order_before_output(const FILE *stream)
{
	if (stream == stderr)
		send_pending(stdout);
	else if (stream == stdout)
		send_pending(stderr);
}

void
order_before_write(int fd)
{
	if (__fpending(stdout) == 0 && __fpending(stderr) == 0)
		return;
	if (fd == STDOUT_FILENO || fd == STDERR_FILENO || fd == STDIN_FILENO ||
	    fd_is_stream(fd, &connection))
		order_send_both();
}

/*
 * fd 2 becomes the connection: the constructor's last act, once nothing is
 * left that could fail and need reporting, so that every diagnostic of the
 * shim went to the fd 2 the program started with.  From here on the shim
 * reports nothing.  fd 1 is the connection (the mode puts it there).
 */
int
join_stderr(const struct stream_id *stream)
{
	if (!fd_is_stream(STDERR_FILENO, stream) &&
	    dup2(STDOUT_FILENO, STDERR_FILENO) == -1)
		return -1;
	report_silence();
	set_stderr_buffering();
	order_start(stream);
	return 0;
}

/* Both on the connection: the wrappers keep their order from now on. */
void
order_start(const struct stream_id *stream)
{
	connection = *stream;
	stderr_ordered = 1;
}
