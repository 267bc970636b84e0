/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * peer: the other end of the tests' conversations.  It listens or connects on
 * loopback and runs a script given as arguments, one action each:
 *
 *   send:TEXT      send TEXT and a newline ({pid} is ours, {line} the last
 *                  read, {localport} and {remoteport} the connection's)
 *   sendraw:TEXT   send TEXT as it is, in one send, with \r, \n, \\ and
 *                  \xHH escapes and no newline added (a PROXY header)
 *   dribble:MS:TEXT  as sendraw, but one byte a send, MS milliseconds apart
 *                  (TCP_NODELAY: each byte its own segment)
 *   recv           read one line into {line}
 *   expect:TEXT    read one line; fail unless it is TEXT
 *   print:TEXT     print TEXT on our stdout
 *   dump           print every line until EOF on our stdout
 *   raw            print every byte until EOF on our stdout, as it came
 *   await:TEXT     read until TEXT (escapes as for sendraw) has arrived, and
 *                  drop what came up to its end (a prompt with no newline)
 *   stamps         the same, each line followed by " @ MS": when it arrived,
 *                  on the monotonic clock in milliseconds
 *   shut           shut down our write side
 *   eof            fail unless the next read is EOF
 *   sink           read to EOF; print "received N fnv H"
 *   flood:N        send N bytes while reading to EOF; print "received N fnv H";
 *                  the bytes are 64-byte lines (see "peer pattern")
 *   slowflood:N    as flood, but reading a few KiB at a time with pauses
 *   slowsink       as sink, but a few KiB a read with pauses: a slow reader
 *   crawl          as sink, 4 KiB a read and 1 ms after each: a very slow one
 *   sendlines:N    send "line 1" ... "line N"
 *   spew           send until the other side is gone; never read, never
 *                  close first; print "spewed N"
 *   turns:N:K[:MS] N round trips of one request line ("request I") and K
 *                  reply lines ("result request I", then "status ok"),
 *                  each checked; stop early after MS milliseconds if given;
 *                  print "turns DONE ms T"
 *   clock          print "ms T": milliseconds since the connection began
 *   noconn         (listen) fail if another connection is waiting
 *   touch:PATH     create the file PATH (tells the test we got this far)
 *   gate:PATH      wait until the file PATH exists (the test lets us go on)
 *   reset          close with SO_LINGER 0, so the kernel sends a reset
 *
 * peer [-t SECONDS] [-r FIFO] listen HOST PORT ACTION...
 *     listen (PORT 0: any free port), write the port to FIFO when ready,
 *     accept one connection, run the script.
 * peer [-t SECONDS] [-n COUNT] [-b SOURCE] connect HOST PORT ACTION...
 *     connect (retrying a refused connect for up to SECONDS) from SOURCE if
 *     given, run the script; COUNT times over, one connection after another.
 * peer freeport HOST
 *     print a port that is free on HOST now.
 * peer pattern N
 *     print the first N bytes that flood sends.
 * peer checksum
 *     read stdin to EOF; print "received N fnv H" as sink does.
 *
 * Every wait is bounded by SECONDS (default 10); a failure is one line on
 * stderr and exit 1.
 */
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int timeout_ms = 10000;
static int listener = -1, conn = -1;
static double connected_at;
static char inbuf[1 << 16];
static size_t inlen;
static char line[1 << 16];

static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *format, ...)
{
	va_list args;

	fprintf(stderr, "peer: ");
	va_start(args, format);
	vfprintf(stderr, format, args);
	va_end(args);
	fputc('\n', stderr);
	exit(1);
}

static double
now_ms(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec * 1e3 + now.tv_nsec / 1e6;
}

static void
wait_readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int ready;

	while ((ready = poll(&p, 1, timeout_ms)) == -1 && errno == EINTR)
		;
	if (ready == 0)
		die("timed out after %d ms waiting to read", timeout_ms);
}

/* Fills inbuf; returns 0 at EOF. */
static ssize_t
fill(void)
{
	ssize_t got;

	wait_readable(conn);
	got = read(conn, inbuf + inlen, sizeof(inbuf) - inlen);
	if (got == -1)
		die("read: %s", strerror(errno));
	inlen += (size_t)got;
	return got;
}

/* Reads one line (without its newline) into line; returns 0 at EOF. */
static int
read_line(void)
{
	char *newline;

	while ((newline = memchr(inbuf, '\n', inlen)) == NULL) {
		if (inlen == sizeof(inbuf))
			die("line too long");
		if (fill() == 0) {
			if (inlen > 0)
				die("EOF after a partial line [%.*s]", (int)inlen, inbuf);
			return 0;
		}
	}
	*newline = '\0';
	memcpy(line, inbuf, (size_t)(newline - inbuf) + 1);
	inlen -= (size_t)(newline - inbuf) + 1;
	memmove(inbuf, newline + 1, inlen);
	return 1;
}

static void
send_all(const char *data, size_t len)
{
	while (len > 0) {
		ssize_t sent = send(conn, data, len, MSG_NOSIGNAL);

		if (sent == -1)
			die("send: %s", strerror(errno));
		data += sent;
		len -= (size_t)sent;
	}
}

/* TEXT with {pid} and {line} replaced. */
static void
expand(const char *text, char *out, size_t outlen)
{
	size_t n = 0;

	while (*text != '\0' && n + 1 < outlen) {
		if (strncmp(text, "{pid}", 5) == 0) {
			n += (size_t)snprintf(out + n, outlen - n, "%d", (int)getpid());
			text += 5;
		} else if (strncmp(text, "{localport}", 11) == 0 ||
		    strncmp(text, "{remoteport}", 12) == 0) {
			struct sockaddr_in6 address;	/* the port is at the same place in v4 */
			socklen_t len = sizeof(address);
			int local = text[1] == 'l';

			if (local)
				getsockname(conn, (struct sockaddr *)&address, &len);
			else
				getpeername(conn, (struct sockaddr *)&address, &len);
			n += (size_t)snprintf(out + n, outlen - n, "%u",
			    ntohs(address.sin6_port));
			text += local ? 11 : 12;
		} else if (strncmp(text, "{line}", 6) == 0) {
			n += (size_t)snprintf(out + n, outlen - n, "%s", line);
			text += 6;
		} else
			out[n++] = *text++;
		if (n >= outlen)
			n = outlen - 1;
	}
	out[n] = '\0';
}

static uint64_t
fnv(uint64_t hash, const unsigned char *data, size_t len)
{
	for (size_t i = 0; i < len; i++)
		hash = (hash ^ data[i]) * 0x100000001b3ULL;
	return hash;
}

/* What flood sends: the same 64-byte line over and over. */
static void
fill_pattern(char *buf, size_t len)
{
	static const char pattern[] =
	    "flood: input the program never reads, 64 bytes to the line ....\n";

	for (size_t i = 0; i < len; i++)
		buf[i] = pattern[i % (sizeof(pattern) - 1)];
}

static void
sink(uint64_t sendbytes, int slow)
{
	uint64_t hash = 0xcbf29ce484222325ULL, received = inlen, sent = 0;
	static char outbuf[1 << 16];
	int done = 0;
	long reads = 0;

	fill_pattern(outbuf, sizeof(outbuf));
	hash = fnv(hash, (unsigned char *)inbuf, inlen);
	inlen = 0;
	fcntl(conn, F_SETFL, fcntl(conn, F_GETFL) | O_NONBLOCK);
	while (!done) {
		struct pollfd p = { .fd = conn, .events = POLLIN |
		    (sent < sendbytes ? POLLOUT : 0) };
		int ready = poll(&p, 1, timeout_ms);

		if (ready == 0)
			die("timed out after %d ms in sink (%ju received)",
			    timeout_ms, (uintmax_t)received);
		if (ready == -1)
			continue;
		if (p.revents & POLLOUT) {
			/* Each send goes on where the last stopped: one stream. */
			size_t offset = (size_t)(sent % sizeof(outbuf));
			size_t chunk = sendbytes - sent < sizeof(outbuf) - offset ?
			    (size_t)(sendbytes - sent) : sizeof(outbuf) - offset;
			ssize_t n = send(conn, outbuf + offset, chunk, MSG_NOSIGNAL);

			if (n > 0)
				sent += (uint64_t)n;
			else if (n == -1 && errno == EPIPE)
				sent = sendbytes;	/* they finished reading */
			else if (n == -1 && errno == ECONNRESET)
				die("connection reset after %ju bytes received",
				    (uintmax_t)received);
		}
		if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
			ssize_t n = read(conn, inbuf, slow ? 4096 : sizeof(inbuf));

			if (slow && ++reads % 16 == 0)
				poll(NULL, 0, 1);

			if (n > 0) {
				hash = fnv(hash, (unsigned char *)inbuf, (size_t)n);
				received += (uint64_t)n;
			} else if (n == 0)
				done = 1;
			else if (errno == ECONNRESET)
				die("connection reset after %ju bytes received",
				    (uintmax_t)received);
			else if (errno != EAGAIN && errno != EINTR)
				die("read: %s", strerror(errno));
		}
	}
	printf("received %ju fnv %016jx\n", (uintmax_t)received, (uintmax_t)hash);
	fflush(stdout);
	fcntl(conn, F_SETFL, fcntl(conn, F_GETFL) & ~O_NONBLOCK);
}

static void
slow_sink(int pause_every)
{
	uint64_t hash = fnv(0xcbf29ce484222325ULL, (unsigned char *)inbuf, inlen);
	uint64_t received = inlen;
	ssize_t got;

	inlen = 0;
	for (long reads = 1;; reads++) {
		wait_readable(conn);
		if ((got = read(conn, inbuf, 4096)) <= 0)
			break;
		hash = fnv(hash, (unsigned char *)inbuf, (size_t)got);
		received += (uint64_t)got;
		if (reads % pause_every == 0)
			poll(NULL, 0, 1);
	}
	if (got == -1)
		die("read: %s after %ju bytes", strerror(errno), (uintmax_t)received);
	printf("received %ju fnv %016jx\n", (uintmax_t)received, (uintmax_t)hash);
	fflush(stdout);
}

static void
spew(void)
{
	static char junk[65536];
	uint64_t sent = 0;

	for (;;) {
		ssize_t n = send(conn, junk, sizeof(junk), MSG_NOSIGNAL);

		if (n == -1) {
			if (errno == EPIPE || errno == ECONNRESET)
				break;
			die("send: %s", strerror(errno));
		}
		sent += (uint64_t)n;
	}
	printf("spewed %ju\n", (uintmax_t)sent);
	fflush(stdout);
}

static void
turns(long n, long k, long cap_ms)
{
	char request[64], expected[96];
	double start = now_ms();
	long i;

	for (i = 0; i < n && (cap_ms == 0 || now_ms() - start < cap_ms); i++) {
		snprintf(request, sizeof(request), "request %ld\n", i);
		send_all(request, strlen(request));
		for (long j = 0; j < k; j++) {
			if (!read_line())
				die("EOF in turn %ld", i);
			if (j == 0)
				snprintf(expected, sizeof(expected), "result request %ld", i);
			else
				snprintf(expected, sizeof(expected), "status ok");
			if (strcmp(line, expected) != 0)
				die("turn %ld: expected [%s], got [%s]", i, expected, line);
		}
	}
	printf("turns %ld ms %.3f\n", i, now_ms() - start);
	fflush(stdout);
}

/* TEXT with \r, \n, \\ and \xHH turned into their bytes; returns the length. */
static size_t
unescape(const char *text, char *out, size_t outlen)
{
	size_t n = 0;

	while (*text != '\0' && n < outlen) {
		if (text[0] != '\\' || text[1] == '\0')
			out[n++] = *text++;
		else if (text[1] == 'x' && text[2] != '\0' && text[3] != '\0') {
			char hex[3] = { text[2], text[3], '\0' };

			out[n++] = (char)strtoul(hex, NULL, 16);
			text += 4;
		} else {
			out[n++] = text[1] == 'r' ? '\r' : text[1] == 'n' ? '\n' : text[1];
			text += 2;
		}
	}
	return n;
}

static void
run(const char *action)
{
	char text[sizeof(line) + 256];

	if (strncmp(action, "send:", 5) == 0) {
		expand(action + 5, text, sizeof(text) - 1);
		strcat(text, "\n");
		send_all(text, strlen(text));
	} else if (strncmp(action, "sendraw:", 8) == 0) {
		send_all(text, unescape(action + 8, text, sizeof(text)));
	} else if (strncmp(action, "dribble:", 8) == 0) {
		char *rest;
		long ms = strtol(action + 8, &rest, 10);
		size_t n = unescape(*rest == ':' ? rest + 1 : rest, text, sizeof(text));
		int on = 1;

		setsockopt(conn, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
		for (size_t i = 0; i < n; i++) {
			send_all(text + i, 1);
			poll(NULL, 0, (int)ms);
		}
	} else if (strcmp(action, "recv") == 0) {
		if (!read_line())
			die("EOF where a line was expected");
	} else if (strncmp(action, "expect:", 7) == 0) {
		expand(action + 7, text, sizeof(text));
		if (!read_line())
			die("EOF where [%s] was expected", text);
		if (strcmp(line, text) != 0)
			die("expected [%s], got [%s]", text, line);
	} else if (strncmp(action, "print:", 6) == 0) {
		expand(action + 6, text, sizeof(text));
		printf("%s\n", text);
		fflush(stdout);
	} else if (strcmp(action, "dump") == 0) {
		while (read_line())
			printf("%s\n", line);
		fflush(stdout);
	} else if (strcmp(action, "raw") == 0) {
		do {
			fwrite(inbuf, 1, inlen, stdout);
			inlen = 0;
		} while (fill() != 0);
		fflush(stdout);
	} else if (strncmp(action, "await:", 6) == 0) {
		size_t len = unescape(action + 6, text, sizeof(text));
		char *found;

		while ((found = memmem(inbuf, inlen, text, len)) == NULL) {
			if (inlen == sizeof(inbuf))
				die("[%s] not found in a full buffer", action + 6);
			if (fill() == 0)
				die("EOF where [%s] was awaited, after [%.*s]", action + 6,
				    (int)inlen, inbuf);
		}
		inlen -= (size_t)(found + len - inbuf);
		memmove(inbuf, found + len, inlen);
	} else if (strcmp(action, "shut") == 0) {
		shutdown(conn, SHUT_WR);
	} else if (strcmp(action, "stamps") == 0) {
		while (read_line()) {
			struct timespec now;

			clock_gettime(CLOCK_MONOTONIC, &now);
			printf("%s @ %.3f\n", line, (double)now.tv_sec * 1000 +
			    (double)now.tv_nsec / 1e6);
		}
		fflush(stdout);
	} else if (strcmp(action, "eof") == 0) {
		if (inlen > 0 || fill() != 0)
			die("expected EOF, got [%.*s]", (int)inlen, inbuf);
	} else if (strcmp(action, "sink") == 0) {
		sink(0, 0);
	} else if (strcmp(action, "slowsink") == 0) {
		slow_sink(16);
	} else if (strcmp(action, "crawl") == 0) {
		slow_sink(1);
	} else if (strcmp(action, "spew") == 0) {
		spew();
	} else if (strncmp(action, "sendlines:", 10) == 0) {
		long n = atol(action + 10);

		for (long i = 1; i <= n; i++) {
			snprintf(text, sizeof(text), "line %ld\n", i);
			send_all(text, strlen(text));
		}
	} else if (strncmp(action, "flood:", 6) == 0) {
		sink(strtoull(action + 6, NULL, 10), 0);
	} else if (strncmp(action, "slowflood:", 10) == 0) {
		sink(strtoull(action + 10, NULL, 10), 1);
	} else if (strncmp(action, "turns:", 6) == 0) {
		char *end;
		long n = strtol(action + 6, &end, 10), k = 1, cap_ms = 0;

		if (*end == ':')
			k = strtol(end + 1, &end, 10);
		if (*end == ':')
			cap_ms = strtol(end + 1, NULL, 10);
		turns(n, k, cap_ms);
	} else if (strcmp(action, "clock") == 0) {
		printf("ms %.3f\n", now_ms() - connected_at);
		fflush(stdout);
	} else if (strcmp(action, "noconn") == 0) {
		int other;

		fcntl(listener, F_SETFL, fcntl(listener, F_GETFL) | O_NONBLOCK);
		other = accept4(listener, NULL, NULL, SOCK_CLOEXEC);

		if (other != -1)
			die("a second connection arrived");
	} else if (strncmp(action, "touch:", 6) == 0) {
		FILE *mark = fopen(action + 6, "w");

		if (mark == NULL)
			die("%s: %s", action + 6, strerror(errno));
		fclose(mark);
	} else if (strncmp(action, "gate:", 5) == 0) {
		double deadline = now_ms() + timeout_ms;

		while (access(action + 5, F_OK) != 0) {
			if (now_ms() > deadline)
				die("timed out waiting for %s", action + 5);
			poll(NULL, 0, 10);
		}
	} else if (strcmp(action, "reset") == 0) {
		struct linger now = { .l_onoff = 1, .l_linger = 0 };

		setsockopt(conn, SOL_SOCKET, SO_LINGER, &now, sizeof(now));
		close(conn);
		conn = -1;
	} else
		die("unknown action [%s]", action);
}

/* "unix:PATH" is a Unix-domain socket; anything else a numeric address. */
static struct addrinfo *
resolve(const char *host, const char *port, int passive)
{
	static struct sockaddr_un un = { .sun_family = AF_UNIX };
	static struct addrinfo unix_address = { .ai_family = AF_UNIX,
	    .ai_socktype = SOCK_STREAM, .ai_addrlen = sizeof(un),
	    .ai_addr = (struct sockaddr *)&un };
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
	    .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | (passive ? AI_PASSIVE : 0) };
	struct addrinfo *list;
	int error;

	if (strncmp(host, "unix:", 5) == 0) {
		strncpy(un.sun_path, host + 5, sizeof(un.sun_path) - 1);
		return &unix_address;
	}
	if ((error = getaddrinfo(host, port, &hints, &list)) != 0)
		die("%s: %s", host, gai_strerror(error));
	return list;
}

static void
release(struct addrinfo *address)
{
	if (address->ai_family != AF_UNIX)
		freeaddrinfo(address);
}

static int
listen_on(const char *host, const char *port, const char *ready)
{
	struct addrinfo *address = resolve(host, port, 1);
	struct sockaddr_storage bound;
	socklen_t boundlen = sizeof(bound);
	int on = 1, fd;

	fd = socket(address->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd == -1)
		die("socket: %s", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	if (bind(fd, address->ai_addr, address->ai_addrlen) == -1 ||
	    listen(fd, 16) == -1)
		die("listen on %s port %s: %s", host, port, strerror(errno));
	release(address);
	getsockname(fd, (struct sockaddr *)&bound, &boundlen);
	if (ready != NULL) {
		FILE *signal = fopen(ready, "w");
		int number = bound.ss_family == AF_UNIX ? 0 :
		    bound.ss_family == AF_INET ?
		    ntohs(((struct sockaddr_in *)&bound)->sin_port) :
		    ntohs(((struct sockaddr_in6 *)&bound)->sin6_port);

		if (signal == NULL)
			die("%s: %s", ready, strerror(errno));
		fprintf(signal, "%d\n", number);
		fclose(signal);
	}
	return fd;
}

static int
connect_to(const char *host, const char *port, const char *source)
{
	struct addrinfo *address = resolve(host, port, 0);
	double deadline = now_ms() + timeout_ms;
	int fd;

	for (;;) {
		fd = socket(address->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd == -1)
			die("socket: %s", strerror(errno));
		if (source != NULL) {
			struct addrinfo *from = resolve(source, "0", 1);

			if (bind(fd, from->ai_addr, from->ai_addrlen) == -1)
				die("bind to %s: %s", source, strerror(errno));
			release(from);
		}
		if (connect(fd, address->ai_addr, address->ai_addrlen) == 0)
			break;
		if ((errno != ECONNREFUSED && errno != ENOENT) || now_ms() > deadline)
			die("connect to %s port %s: %s", host, port, strerror(errno));
		close(fd);
		poll(NULL, 0, 10);	/* the listener is starting: try again */
	}
	release(address);
	return fd;
}

int
main(int argc, char **argv)
{
	const char *ready = NULL, *source = NULL;
	long count = 1;
	int opt;

	signal(SIGPIPE, SIG_IGN);
	while ((opt = getopt(argc, argv, "+t:r:n:b:")) != -1) {
		if (opt == 't')
			timeout_ms = (int)(atof(optarg) * 1000);
		else if (opt == 'r')
			ready = optarg;
		else if (opt == 'n')
			count = atol(optarg);
		else if (opt == 'b')
			source = optarg;
		else
			die("usage: peer [-t SECONDS] [-r FIFO] listen|connect HOST PORT ACTION...");
	}
	argv += optind;
	argc -= optind;
	alarm((unsigned)(timeout_ms / 1000) * 6 + 10);	/* whatever happens, end */
	if (argc >= 2 && strcmp(argv[0], "freeport") == 0) {
		listener = listen_on(argv[1], "0", "/dev/stdout");
		return 0;
	}
	if (argc >= 2 && strcmp(argv[0], "pattern") == 0) {
		static char chunk[1 << 16];
		unsigned long long left = strtoull(argv[1], NULL, 10);

		fill_pattern(chunk, sizeof(chunk));
		while (left > 0) {
			size_t n = left < sizeof(chunk) ? (size_t)left : sizeof(chunk);

			fwrite(chunk, 1, n, stdout);
			left -= n;
		}
		return 0;
	}
	if (argc >= 1 && strcmp(argv[0], "checksum") == 0) {
		conn = STDIN_FILENO;
		slow_sink(1 << 30);
		return 0;
	}
	if (argc < 3)
		die("usage: peer [-t SECONDS] [-r FIFO] listen|connect HOST PORT ACTION...");
	if (strcmp(argv[0], "listen") == 0) {
		listener = listen_on(argv[1], argv[2], ready);
		wait_readable(listener);
		conn = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
		if (conn == -1)
			die("accept: %s", strerror(errno));
		connected_at = now_ms();
	} else if (strcmp(argv[0], "connect") == 0) {
		for (long round = 1; round < count; round++) {
			conn = connect_to(argv[1], argv[2], source);
			connected_at = now_ms();
			for (int i = 3; i < argc; i++)
				run(argv[i]);
			close(conn);
			inlen = 0;
		}
		conn = connect_to(argv[1], argv[2], source);
		connected_at = now_ms();
	} else
		die("unknown role [%s]", argv[0]);
	for (int i = 3; i < argc; i++)
		run(argv[i]);
	if (conn != -1)
		close(conn);
	return 0;
}
