/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Helpers the parsers share (config.c, allow.c, proxy.c, address.c): a value
 * quoted for an error line, a plain decimal, and a bounded copy.  They depend on nothing, so
 * that no two parsers depend on each other.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "shim.h"

/*
 * A value goes into the error line as "...": escaped so that it cannot break
 * the line in two or write control bytes to a terminal, and cut short so that
 * a megabyte of junk still makes a readable line.
 */
/*
 * strlcpy's contract: at most SIZE - 1 bytes and a NUL; returns FROM's
 * length, so that a result >= SIZE says it was cut.  Written here rather
 * than taken from libbsd: every program the library is preloaded into, and
 * every inetd copy it forks, would otherwise map two more libraries (libbsd,
 * libmd) for these few lines, and fork and fault them in again.
 */
size_t
copy_string(char *to, const char *from, size_t size)
{
	size_t length = strlen(from);

	if (size > 0) {
		size_t n = length < size - 1 ? length : size - 1;

		memcpy(to, from, n);
		to[n] = '\0';
	}
	return length;
}

void
quote_value(const char *value, char *out, size_t outlen)
{
	const size_t shown = 64;
	size_t n = 0, i;

	for (i = 0; i < shown && value[i] != '\0' && n + 5 < outlen; i++) {
		unsigned char c = (unsigned char)value[i];

		if (c == '"' || c == '\\')
			n += (size_t)snprintf(out + n, outlen - n, "\\%c", c);
		else if (isprint(c))
			out[n++] = (char)c;
		else
			n += (size_t)snprintf(out + n, outlen - n, "\\x%02x", c);
	}
	out[n] = '\0';
	if (value[i] != '\0')
		copy_string(out + n, "...", outlen - n);
}

int
sockredir_parse_decimal(const char *text, long min, long max, long *value)
{
	long n = 0;

	if (*text == '\0')
		return -1;
	for (; *text != '\0'; text++) {
		if (*text < '0' || *text > '9')
			return -1;
		n = n * 10 + (*text - '0');
		if (n > max)
			return -1;
	}
	if (n < min)
		return -1;
	*value = n;
	return 0;
}
