/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * floor: what a hand-written program would do directly on a socket, the
 * benchmark's floor for each measurement.  No stdio on the socket, TCP_NODELAY
 * on, each reply built and sent with one write.
 *
 *   floor client HOST PORT K [split]
 *                               connect; answer each request line with K
 *                               lines ("result LINE", then "status ok"), in
 *                               one write, or one write a line with split
 *   floor server HOST PORT K [split]
 *                               the same, listening for one connection
 *   floor bulk HOST PORT N      connect; send N lines of 64 bytes, as
 *                               `legacy bulk N` prints them, fully buffered
 *   floor forkserver HOST PORT  accept forever; a forked child per connection
 *                               reads one line and answers "pong LINE"
 *   floor stdioserver HOST PORT the same, but the child does it as `legacy
 *                               once` does: on fds 0 and 1, with stdio
 *   floor acceptor HOST PORT    accept forever; read each connection to EOF
 */
#include <sys/socket.h>
#include <sys/wait.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <errno.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct sockaddr_in
address_of(const char *host, const char *port)
{
	struct sockaddr_in address = { .sin_family = AF_INET,
	    .sin_port = htons((uint16_t)atoi(port)) };

	if (inet_pton(AF_INET, host, &address.sin_addr) != 1) {
		fprintf(stderr, "floor: bad address %s\n", host);
		exit(1);
	}
	return address;
}

static int
connect_to(const char *host, const char *port)
{
	struct sockaddr_in address = address_of(host, port);
	int fd = socket(AF_INET, SOCK_STREAM, 0), on = 1;

	if (connect(fd, (struct sockaddr *)&address, sizeof(address)) == -1) {
		perror("floor: connect");
		exit(1);
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	return fd;
}

static int
listen_on(const char *host, const char *port)
{
	struct sockaddr_in address = address_of(host, port);
	int fd = socket(AF_INET, SOCK_STREAM, 0), on = 1;

	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	if (bind(fd, (struct sockaddr *)&address, sizeof(address)) == -1 ||
	    listen(fd, SOMAXCONN) == -1) {
		perror("floor: listen");
		exit(1);
	}
	return fd;
}

static void
write_all(int fd, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, data, len);

		if (n <= 0)
			exit(1);
		data += n;
		len -= (size_t)n;
	}
}

/* Answer each line with K lines in one write (or K writes), until EOF. */
static void
converse(int fd, int k, int split)
{
	char in[65536], out[256];
	size_t have = 0;

	for (;;) {
		char *newline;
		ssize_t n;

		while ((newline = memchr(in, '\n', have)) != NULL) {
			int len;

			*newline = '\0';
			if (split) {
				len = snprintf(out, sizeof(out), "result %s\n", in);
				write_all(fd, out, (size_t)len);
				if (k > 1)
					write_all(fd, "status ok\n", 10);
			} else {
				len = snprintf(out, sizeof(out), "result %s\n%s", in,
				    k > 1 ? "status ok\n" : "");
				write_all(fd, out, (size_t)len);
			}
			have -= (size_t)(newline - in) + 1;
			memmove(in, newline + 1, have);
		}
		if ((n = read(fd, in + have, sizeof(in) - have)) <= 0)
			return;
		have += (size_t)n;
	}
}

static void
bulk(int fd, long lines)
{
	static char buffer[65536];
	size_t used = 0;

	for (long i = 0; i < lines; i++) {
		if (used + 64 > sizeof(buffer)) {
			write_all(fd, buffer, used);
			used = 0;
		}
		used += (size_t)snprintf(buffer + used, 65, "%08ld %054d\n", i, 0);
	}
	write_all(fd, buffer, used);
}

/* What `legacy once` does under the shim, written by hand: stdio on fds 0, 1. */
static void __attribute__((noreturn))
stdio_session(int fd)
{
	char line[4096];

	dup2(fd, 0);
	dup2(fd, 1);
	close(fd);
	setvbuf(stdout, NULL, _IOLBF, BUFSIZ);
	if (fgets(line, sizeof(line), stdin) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		printf("pong %s\n", line);
	}
	fflush(stdout);
	shutdown(1, SHUT_WR);
	while (read(0, line, sizeof(line)) > 0)
		;
	exit(0);
}

static void
reap(int signo)
{
	(void)signo;
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

int
main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: floor client|server|bulk|forkserver|acceptor HOST PORT [K|N]\n");
		return 1;
	}
	if (strcmp(argv[1], "client") == 0 && argc > 4) {
		int fd = connect_to(argv[2], argv[3]);

		converse(fd, atoi(argv[4]), argc > 5 && strcmp(argv[5], "split") == 0);
	} else if (strcmp(argv[1], "server") == 0 && argc > 4) {
		int listener = listen_on(argv[2], argv[3]), on = 1;
		int fd = accept(listener, NULL, NULL);

		close(listener);
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
		converse(fd, atoi(argv[4]), argc > 5 && strcmp(argv[5], "split") == 0);
	} else if (strcmp(argv[1], "bulk") == 0 && argc > 4) {
		int fd = connect_to(argv[2], argv[3]);

		bulk(fd, atol(argv[4]));
		shutdown(fd, SHUT_WR);
		while (read(fd, argv[1], 1) > 0)	/* wait for the reader to close */
			;
	} else if (strcmp(argv[1], "forkserver") == 0 ||
	    strcmp(argv[1], "stdioserver") == 0) {
		int listener = listen_on(argv[2], argv[3]);
		int with_stdio = argv[1][0] == 's';
		struct sigaction child = { .sa_handler = reap, .sa_flags = SA_RESTART };

		sigaction(SIGCHLD, &child, NULL);
		for (;;) {
			int fd = accept(listener, NULL, NULL), on = 1;

			if (fd == -1)
				continue;
			if (fork() == 0) {
				char in[4096], out[4200];
				ssize_t n = 0, got;

				close(listener);
				setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
				if (with_stdio)
					stdio_session(fd);
				while ((got = read(fd, in + n, sizeof(in) - 1 - (size_t)n)) > 0) {
					n += got;
					if (memchr(in, '\n', (size_t)n) != NULL)
						break;
				}
				in[n] = '\0';
				in[strcspn(in, "\n")] = '\0';
				write_all(fd, out, (size_t)snprintf(out, sizeof(out),
				    "pong %s\n", in));
				shutdown(fd, SHUT_WR);
				while (read(fd, in, sizeof(in)) > 0)
					;
				_exit(0);
			}
			close(fd);
		}
	} else if (strcmp(argv[1], "acceptor") == 0) {
		int listener = listen_on(argv[2], argv[3]);
		char sink[4096];

		for (;;) {
			int fd = accept(listener, NULL, NULL);

			while (fd != -1 && read(fd, sink, sizeof(sink)) > 0)
				;
			close(fd);
		}
	} else {
		fprintf(stderr, "floor: unknown role %s\n", argv[1]);
		return 1;
	}
	return 0;
}
