/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Every message of the shim goes through report(): one line on fd 2, written
 * with one write so that lines from several processes do not interleave.
 * When fd 2 was closed as the program started, there is no stderr: the
 * message is dropped, never written into whatever descriptor (a socket of
 * ours, perhaps) has taken that number since; and once fd 2 has become the
 * connection, every message is.
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "shim.h"

static int stderr_was_open = 1;

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

void
report(const char *format, ...)
{
	char line[1200];
	size_t prefix = sizeof("sockredir: ") - 1;
	va_list arguments;
	int length;

	if (!stderr_was_open)
		return;
	memcpy(line, "sockredir: ", prefix);
	va_start(arguments, format);
	length = vsnprintf(line + prefix, sizeof(line) - prefix - 1, format, arguments);
	va_end(arguments);
	if (length < 0)
		return;
	if ((size_t)length > sizeof(line) - prefix - 2)
		length = (int)(sizeof(line) - prefix - 2);
	line[prefix + (size_t)length] = '\n';
	(void)!write(STDERR_FILENO, line, prefix + (size_t)length + 1);
}
