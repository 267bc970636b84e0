/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Reading the PROXY header off a connection: exactly its bytes, never one of
 * the program's.  Each step peeks at what has arrived, lets the pure parser
 * (proxy.c) decide, and then takes only what belongs to the header: all of
 * it while the header is still incomplete (no byte of it can be the
 * program's yet), and once decided, up to the header's last byte.  A v2
 * header's TLVs are read and dropped.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "shim.h"

/* Takes exactly len bytes that a peek has shown are there. */
static int
take(int fd, unsigned char *into, size_t len)
{
	ssize_t got;

	do
		got = recv(fd, into, len, MSG_DONTWAIT);
	while (got == -1 && errno == EINTR);
	if (got != (ssize_t)len) {
		errno = got == -1 ? errno : EIO;
		return -1;
	}
	return 0;
}

static int
skip_rest(int fd, struct proxy_reader *reader)
{
	unsigned char discard[512];

	while (reader->skip > 0) {
		ssize_t got = recv(fd, discard, reader->skip < sizeof(discard) ?
		    reader->skip : sizeof(discard), MSG_DONTWAIT);

		if (got == 0) {
			errno = ECONNRESET;
			return -1;
		}
		if (got == -1)
			return errno == EAGAIN || errno == EINTR ? 0 : -1;
		reader->skip -= (size_t)got;
	}
	return 1;
}

/*
 * 1: the whole header has been taken (reader->header says what it said);
 * 0: more is needed, wait until the connection is readable; -1: errno is
 * EPROTO for bytes that are not a header, ECONNRESET for a connection
 * closed before its end, or the system's error.
 */
int
proxy_read_step(int fd, struct proxy_reader *reader)
{
	size_t room = sizeof(reader->bytes) - reader->have, wanted;
	ssize_t peeked;
	int decision;

	if (reader->decided)
		return skip_rest(fd, reader);
	do
		peeked = recv(fd, reader->bytes + reader->have, room,
		    MSG_PEEK | MSG_DONTWAIT);
	while (peeked == -1 && errno == EINTR);
	if (peeked == -1)
		return errno == EAGAIN ? 0 : -1;
	if (peeked == 0) {
		errno = ECONNRESET;
		return -1;
	}
	decision = sockredir_parse_proxy(reader->bytes, reader->have + (size_t)peeked,
	    &reader->header);
	if (decision == -1) {
		errno = EPROTO;
		return -1;
	}
	if (decision == 0) {
		/* Undecided within the parser's longest need: cannot happen. */
		if (reader->have + (size_t)peeked == sizeof(reader->bytes)) {
			errno = EPROTO;
			return -1;
		}
		if (take(fd, reader->bytes + reader->have, (size_t)peeked) == -1)
			return -1;
		reader->have += (size_t)peeked;
		return 0;
	}
	wanted = reader->header.header_length - reader->have;
	if (wanted > (size_t)peeked)
		wanted = (size_t)peeked;
	if (take(fd, reader->bytes + reader->have, wanted) == -1)
		return -1;
	reader->have += wanted;
	reader->skip = reader->header.header_length - reader->have;
	reader->decided = 1;
	return skip_rest(fd, reader);
}

/* The whole header within deadline_ms, for a connection the caller owns alone. */
int
proxy_read_header(int fd, struct proxy_reader *reader, long deadline_ms)
{
	int64_t deadline = deadline_after(deadline_ms);
	struct pollfd waiting = { .fd = fd, .events = POLLIN };
	int result;

	memset(reader, 0, sizeof(*reader));
	while ((result = proxy_read_step(fd, reader)) == 0) {
		int left = remaining_ms(deadline), ready;

		if (left == 0 || (ready = poll(&waiting, 1, left)) == 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		if (ready == -1 && errno != EINTR)
			return -1;
	}
	return result;
}

const char *
proxy_failure(int error)
{
	switch (error) {
	case EPROTO:
		return "not a PROXY protocol header";
	case ECONNRESET:
		return "connection closed before the end of its PROXY header";
	case ETIMEDOUT:
		return "no complete PROXY header within 5 seconds";
	default:
		return strerror(error);
	}
}

/*
 * A connection refused for its header: what it sent already is read and
 * dropped, so that closing it is a FIN that the client reads as EOF rather
 * than a reset (bounded: a client that keeps sending gets its reset).
 */
void
drain_refused(int fd)
{
	char discard[4096];

	int rounds = 0;

	while (rounds++ < 16 && recv(fd, discard, sizeof(discard), MSG_DONTWAIT) > 0)
		;
}

/* The peer a message names: the header's client if it gave one, else the connecting peer. */
void
describe_peer(int stream, const struct sockredir_proxy *header, char *out,
    size_t outlen)
{
	struct sockaddr_storage peer;
	socklen_t peerlen = sizeof(peer);

	if (header != NULL && header->addressed) {
		proxy_sockaddr(&header->source, &peer);
		describe_address((struct sockaddr *)&peer, sizeof(peer), out, outlen);
	} else if (getpeername(stream, (struct sockaddr *)&peer, &peerlen) == 0)
		describe_address((struct sockaddr *)&peer, peerlen, out, outlen);
	else
		snprintf(out, outlen, "an unknown peer");
}

/*
 * server and attach modes: the header before the program runs, or the
 * connection is refused (EX_UNAVAILABLE, why naming its peer).
 */
int
read_proxy_or_fail(int stream, const struct sockredir_config *config,
    char *why, size_t whylen)
{
	struct proxy_reader reader;
	char peer[300];
	int error;

	if (!config->proxy)
		return 0;
	if (proxy_read_header(stream, &reader, SOCKREDIR_PROXY_DEADLINE_MS) == 1) {
		use_proxy_header(&reader.header);
		return 0;
	}
	error = errno;
	describe_peer(stream, NULL, peer, sizeof(peer));
	drain_refused(stream);
	snprintf(why, whylen, "%s: refused connection from %s (%s)",
	    sockredir_mode_name(config->mode), peer, proxy_failure(error));
	return EX_UNAVAILABLE;
}
