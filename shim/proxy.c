/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The PROXY protocol header (HAProxy's proxy-protocol.txt), v1 and v2, as a
 * pure parser: bytes in, a decision out.  It never needs more than the
 * header's own bytes to decide, so the reader (proxyread.c) can take exactly
 * the header off the connection and leave the rest, byte for byte, to the
 * program.  It answers "not a header" as soon as the bytes so far cannot
 * begin one, so that a client that speaks first without a header is refused
 * at once rather than after the deadline.
 */
#include <sys/socket.h>
#include <arpa/inet.h>
#include <string.h>

#include "sockredir.h"
#include "shim.h"

#define V1_PREFIX "PROXY "
#define V1_MAX 107		/* the longest v1 line, CRLF included */
#define V2_HEAD 16		/* signature, version and command, family, length */

static const unsigned char v2_signature[12] = {
	0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a
};

/* The bytes so far agree with the beginning of text. */
static int
begins(const unsigned char *bytes, size_t len, const void *text, size_t textlen)
{
	return memcmp(bytes, text, len < textlen ? len : textlen) == 0;
}

/* A v1 port: decimal 0..65535, no sign, no leading zero. */
static int
v1_port(const char *text, unsigned *port)
{
	long value;

	if (text[0] == '0' && text[1] != '\0')
		return -1;
	if (sockredir_parse_decimal(text, 0, 65535, &value) != 0)
		return -1;
	*port = (unsigned)value;
	return 0;
}

static int
v1_address(int family, const char *text, struct sockredir_proxy_address *address)
{
	address->family = family;
	return inet_pton(family, text, address->address) == 1 ? 0 : -1;
}

/* "TCP4 SRC DST SPORT DPORT" or "TCP6 ..." or "UNKNOWN...", single spaces. */
static int
parse_v1_line(char *line, struct sockredir_proxy *proxy)
{
	char *field[6];
	int family, n = 0;

	if (strncmp(line, "UNKNOWN", 7) == 0 && (line[7] == '\0' || line[7] == ' ')) {
		proxy->addressed = 0;
		return 1;
	}
	for (char *p = line; n < 6; n++) {
		field[n] = p;
		if ((p = strchr(p, ' ')) == NULL) {
			n++;
			break;
		}
		*p++ = '\0';
	}
	if (n != 5)
		return -1;
	if (strcmp(field[0], "TCP4") == 0)
		family = AF_INET;
	else if (strcmp(field[0], "TCP6") == 0)
		family = AF_INET6;
	else
		return -1;
	if (v1_address(family, field[1], &proxy->source) != 0 ||
	    v1_address(family, field[2], &proxy->destination) != 0 ||
	    v1_port(field[3], &proxy->source.port) != 0 ||
	    v1_port(field[4], &proxy->destination.port) != 0)
		return -1;
	proxy->addressed = 1;
	return 1;
}

static int
parse_v1(const unsigned char *bytes, size_t len, struct sockredir_proxy *proxy)
{
	const unsigned char *newline;
	char line[V1_MAX];
	size_t linelen;

	if (!begins(bytes, len, V1_PREFIX, strlen(V1_PREFIX)))
		return -1;
	newline = memchr(bytes, '\n', len < V1_MAX ? len : V1_MAX);
	if (newline == NULL)
		return len < V1_MAX ? 0 : -1;
	linelen = (size_t)(newline - bytes);
	if (linelen < strlen(V1_PREFIX) + 1 || bytes[linelen - 1] != '\r')
		return -1;
	/* Between "PROXY " and CR: printable text, no NUL to cut it short. */
	linelen -= strlen(V1_PREFIX) + 1;
	memcpy(line, bytes + strlen(V1_PREFIX), linelen);
	line[linelen] = '\0';
	if (strlen(line) != linelen)
		return -1;
	proxy->version = 1;
	proxy->header_length = (size_t)(newline - bytes) + 1;
	return parse_v1_line(line, proxy);
}

static void
v2_address(struct sockredir_proxy_address *address, int family,
    const unsigned char *ip, size_t iplen, const unsigned char *port)
{
	address->family = family;
	memcpy(address->address, ip, iplen);
	address->port = (unsigned)port[0] << 8 | port[1];
}

static int
parse_v2(const unsigned char *bytes, size_t len, struct sockredir_proxy *proxy)
{
	unsigned command, family, transport;
	size_t length;

	if (!begins(bytes, len, v2_signature, sizeof(v2_signature)))
		return -1;
	if (len < V2_HEAD)
		return (len <= 12 || bytes[12] >> 4 == 2) ? 0 : -1;
	if (bytes[12] >> 4 != 2 || (command = bytes[12] & 0xf) > 1)
		return -1;
	family = bytes[13] >> 4;
	transport = bytes[13] & 0xf;
	length = (size_t)bytes[14] << 8 | bytes[15];
	if (family > 3 || transport > 2)
		return -1;
	proxy->version = 2;
	proxy->header_length = V2_HEAD + length;
	proxy->addressed = 0;
	/* LOCAL (a health check), UNSPEC, UNIX, DGRAM: the connection's own. */
	if (command == 0 || transport != 1 || (family != 1 && family != 2))
		return 1;
	if (family == 1) {
		if (length < 12)
			return -1;
		if (len < V2_HEAD + 12)
			return 0;
		v2_address(&proxy->source, AF_INET, bytes + 16, 4, bytes + 24);
		v2_address(&proxy->destination, AF_INET, bytes + 20, 4, bytes + 26);
	} else {
		if (length < 36)
			return -1;
		if (len < V2_HEAD + 36)
			return 0;
		v2_address(&proxy->source, AF_INET6, bytes + 16, 16, bytes + 48);
		v2_address(&proxy->destination, AF_INET6, bytes + 32, 16, bytes + 50);
	}
	proxy->addressed = 1;
	return 1;
}

int
sockredir_parse_proxy(const unsigned char *bytes, size_t len,
    struct sockredir_proxy *proxy)
{
	memset(proxy, 0, sizeof(*proxy));
	if (len == 0)
		return 0;
	if (bytes[0] == 'P')
		return parse_v1(bytes, len, proxy);
	if (bytes[0] == v2_signature[0])
		return parse_v2(bytes, len, proxy);
	return -1;
}

/* The header's address as a socket address, for the peer description. */
void
proxy_sockaddr(const struct sockredir_proxy_address *address,
    struct sockaddr_storage *out)
{
	memset(out, 0, sizeof(*out));
	if (address->family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)out;

		in->sin_family = AF_INET;
		memcpy(&in->sin_addr, address->address, 4);
		in->sin_port = htons((uint16_t)address->port);
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)out;

		in6->sin6_family = AF_INET6;
		memcpy(&in6->sin6_addr, address->address, 16);
		in6->sin6_port = htons((uint16_t)address->port);
	}
}
