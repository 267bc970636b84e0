/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Helpers the parsers share (config.c, allow.c, proxy.c, address.c): a value
 * quoted for an error line, and a plain decimal.  They depend on nothing, so
 * that no two parsers depend on each other.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include "strl.h"

#include "shim.h"

/*
 * A value goes into the error line as "...": escaped so that it cannot break
 * the line in two or write control bytes to a terminal, and cut short so that
 * a megabyte of junk still makes a readable line.
 */
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
		strlcat(out, "...", outlen);
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
