/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Address resolution: the configured host and port (or unix: path) as a list
 * of socket addresses, and the printed form of an address for messages.
 */
#include <sys/un.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shim.h"

static int
unix_endpoint(const struct sockredir_config *config, struct addrinfo **list)
{
	struct addrinfo *node = calloc(1, sizeof(*node));
	struct sockaddr_un *address = calloc(1, sizeof(*address));

	if (node == NULL || address == NULL) {
		free(node);
		free(address);
		return -1;
	}
	address->sun_family = AF_UNIX;
	copy_string(address->sun_path, config->unix_path, sizeof(address->sun_path));
	node->ai_family = AF_UNIX;
	node->ai_socktype = SOCK_STREAM;
	node->ai_addr = (struct sockaddr *)address;
	node->ai_addrlen = sizeof(*address);
	*list = node;
	return 0;
}

/*
 * No AI_ADDRCONFIG: it would drop ::1 on a machine whose only IPv6 address
 * is loopback, and "localhost" is meant to give every loopback address.
 */
int
resolve_endpoint(const struct sockredir_config *config, struct addrinfo **list,
    char *why, size_t whylen)
{
	struct addrinfo hints;
	char port[8];
	int error;

	if (config->is_unix) {
		if (unix_endpoint(config, list) == 0)
			return 0;
		snprintf(why, whylen, "out of memory");
		return EX_OSERR;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	snprintf(port, sizeof(port), "%u", config->port);
	error = getaddrinfo(config->host, port, &hints, list);
	if (error == 0)
		return 0;
	if (error == EAI_SYSTEM || error == EAI_MEMORY) {
		snprintf(why, whylen, "%s=\"%s\": lookup failed: %s",
		    SOCKREDIR_ENV_HOST, config->host, gai_strerror(error));
		return EX_OSERR;
	}
	{
		char quoted[300];

		quote_value(config->host, quoted, sizeof(quoted));
		snprintf(why, whylen, "%s=\"%s\": host does not resolve: %s",
		    SOCKREDIR_ENV_HOST, quoted, gai_strerror(error));
	}
	return EX_NOHOST;
}

void
free_endpoint(const struct sockredir_config *config, struct addrinfo *list)
{
	if (list == NULL)
		return;
	if (config->is_unix) {
		free(list->ai_addr);
		free(list);
	} else
		freeaddrinfo(list);
}

void
describe_endpoint(const struct sockredir_config *config, char *out, size_t outlen)
{
	char quoted[300];

	if (config->is_unix) {
		quote_value(config->unix_path, quoted, sizeof(quoted));
		snprintf(out, outlen, "unix:%s", quoted);
	} else {
		quote_value(config->host, quoted, sizeof(quoted));
		snprintf(out, outlen, "%s port %u", quoted, config->port);
	}
}

/*
 * The IP address as inet_ntop prints it, and the port.  An IPv4 peer of an
 * IPv6 socket (::ffff:a.b.c.d) is written as IPv4, as UCSPI does.
 */
int
address_ip_port(const struct sockaddr *address, char *ip, size_t iplen,
    unsigned *port)
{
	if (address->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)address;

		*port = ntohs(in->sin_port);
		return inet_ntop(AF_INET, &in->sin_addr, ip, (socklen_t)iplen) ? 0 : -1;
	}
	if (address->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)address;

		*port = ntohs(in6->sin6_port);
		if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr))
			return inet_ntop(AF_INET, &in6->sin6_addr.s6_addr[12], ip,
			    (socklen_t)iplen) ? 0 : -1;
		return inet_ntop(AF_INET6, &in6->sin6_addr, ip, (socklen_t)iplen) ?
		    0 : -1;
	}
	return -1;
}

void
describe_address(const struct sockaddr *address, socklen_t length, char *out,
    size_t outlen)
{
	char ip[INET6_ADDRSTRLEN];
	unsigned port;

	if (address_ip_port(address, ip, sizeof(ip), &port) == 0)
		snprintf(out, outlen, "%s port %u", ip, port);
	else if (address->sa_family == AF_UNIX) {
		const struct sockaddr_un *un = (const struct sockaddr_un *)address;
		size_t pathlen = length > offsetof(struct sockaddr_un, sun_path) ?
		    length - offsetof(struct sockaddr_un, sun_path) : 0;

		snprintf(out, outlen, "unix:%.*s", (int)strnlen(un->sun_path,
		    pathlen), un->sun_path);
	} else
		snprintf(out, outlen, "address family %d", address->sa_family);
}
