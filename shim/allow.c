/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * SOCKREDIR_ALLOW: which peers an inetd-mode listener serves.  Pure code:
 * parsing the list and matching an address against it, unit-tested without
 * a network.
 */
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "sockredir.h"
#include "shim.h"

static const unsigned char v4_mapped_prefix[12] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
};

static void
clear_host_bits(unsigned char *address, unsigned prefix, size_t bytes)
{
	for (size_t i = 0; i < bytes; i++) {
		unsigned bits = prefix > i * 8 ? prefix - (unsigned)i * 8 : 0;

		if (bits < 8)
			address[i] &= (unsigned char)(0xff << (8 - bits));
	}
}

/* ADDRESS or ADDRESS/PREFIX; "[v6]" brackets allowed. */
static int
parse_entry(const char *entry, size_t len, struct sockredir_allow *rule)
{
	char text[64];
	const char *slash;
	long prefix = -1;
	size_t addrlen;

	if (len == 0 || len >= sizeof(text))
		return -1;
	memcpy(text, entry, len);
	text[len] = '\0';
	slash = strchr(text, '/');
	addrlen = slash ? (size_t)(slash - text) : len;
	if (slash != NULL && sockredir_parse_decimal(slash + 1, 0, 128, &prefix) != 0)
		return -1;
	text[addrlen] = '\0';
	if (addrlen >= 2 && text[0] == '[' && text[addrlen - 1] == ']') {
		text[addrlen - 1] = '\0';
		memmove(text, text + 1, addrlen - 1);
	}
	memset(rule, 0, sizeof(*rule));
	if (inet_pton(AF_INET, text, rule->address) == 1) {
		rule->family = AF_INET;
		rule->prefix = prefix == -1 ? 32 : (unsigned)prefix;
		if (rule->prefix > 32)
			return -1;
	} else if (strchr(text, ':') != NULL &&
	    inet_pton(AF_INET6, text, rule->address) == 1) {
		rule->family = AF_INET6;
		rule->prefix = prefix == -1 ? 128 : (unsigned)prefix;
		/* ::ffff:a.b.c.d/n is the IPv4 prefix it spells. */
		if (memcmp(rule->address, v4_mapped_prefix, 12) == 0 &&
		    rule->prefix >= 96) {
			memmove(rule->address, rule->address + 12, 4);
			memset(rule->address + 4, 0, 12);
			rule->family = AF_INET;
			rule->prefix -= 96;
		}
	} else
		return -1;
	clear_host_bits(rule->address, rule->prefix,
	    rule->family == AF_INET ? 4 : 16);
	return 0;
}

static int
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

int
sockredir_parse_allow(const char *text, struct sockredir_allow *allow,
    size_t *nallow, char *why, size_t whylen)
{
	const char *p = text;

	*nallow = 0;
	for (;;) {
		size_t len = strcspn(p, ","), entrylen = len;
		const char *entry = p;

		while (entrylen > 0 && is_blank(*entry))
			entry++, entrylen--;
		while (entrylen > 0 && is_blank(entry[entrylen - 1]))
			entrylen--;
		if (*nallow == SOCKREDIR_MAX_ALLOW) {
			snprintf(why, whylen, "%s: more than %d entries",
			    SOCKREDIR_ENV_ALLOW, SOCKREDIR_MAX_ALLOW);
			return EX_USAGE;
		}
		if (parse_entry(entry, entrylen, &allow[*nallow]) != 0) {
			char quoted[300], copy[300];

			snprintf(copy, sizeof(copy), "%.*s", (int)(entrylen < 299 ?
			    entrylen : 299), entry);
			quote_value(copy, quoted, sizeof(quoted));
			snprintf(why, whylen, "%s: bad entry \"%s\" (want an IPv4 or "
			    "IPv6 address or ADDRESS/PREFIX)", SOCKREDIR_ENV_ALLOW,
			    quoted);
			return EX_USAGE;
		}
		(*nallow)++;
		if (p[len] == '\0')
			return 0;
		p += len + 1;
	}
}

static int
prefix_matches(const unsigned char *address, const struct sockredir_allow *rule)
{
	unsigned char masked[16];
	size_t bytes = rule->family == AF_INET ? 4 : 16;

	memcpy(masked, address, bytes);
	clear_host_bits(masked, rule->prefix, bytes);
	return memcmp(masked, rule->address, bytes) == 0;
}

int
sockredir_allow_match(const struct sockredir_allow *allow, size_t nallow,
    const struct sockaddr *peer)
{
	const unsigned char *address;
	int family = peer->sa_family;

	if (nallow == 0)
		return 1;
	if (family == AF_INET)
		address = (const unsigned char *)
		    &((const struct sockaddr_in *)peer)->sin_addr;
	else if (family == AF_INET6) {
		address = ((const struct sockaddr_in6 *)peer)->sin6_addr.s6_addr;
		if (memcmp(address, v4_mapped_prefix, 12) == 0) {
			address += 12;
			family = AF_INET;
		}
	} else
		return 0;
	for (size_t i = 0; i < nallow; i++)
		if (allow[i].family == family && prefix_matches(address, &allow[i]))
			return 1;
	return 0;
}
