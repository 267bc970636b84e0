/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * hub: one listener for many shimmed programs at once.  It accepts COUNT
 * connections and converses with all of them together: TURNS round trips
 * each, sending "turn I of CONNECTION" and expecting the two lines that
 * `legacy reply2` answers ("result ..." and "status ok").  Every reply is
 * checked.  Prints "connections N turns T verified" and exits 0, or one
 * line on stderr and exit 1.
 *
 * hub [-t SECONDS] [-r FIFO] HOST COUNT TURNS
 */
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct conversation {
	int fd;
	int id;			/* the order of its first request */
	long turn;		/* the turn whose reply is awaited */
	int lines;		/* reply lines of that turn seen */
	char buf[4096];
	size_t len;
};

static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *format, ...)
{
	va_list args;

	fprintf(stderr, "hub: ");
	va_start(args, format);
	vfprintf(stderr, format, args);
	va_end(args);
	fputc('\n', stderr);
	exit(1);
}

static void
send_turn(struct conversation *c)
{
	char request[64];
	int len = snprintf(request, sizeof(request), "turn %ld of %d\n", c->turn, c->id);

	if (send(c->fd, request, (size_t)len, MSG_NOSIGNAL) != len)
		die("send to %d: %s", c->id, strerror(errno));
}

/* Checks each complete line; returns 1 when the conversation is over. */
static int
take_lines(struct conversation *c, long turns, long *verified)
{
	char *newline, expected[96];

	while ((newline = memchr(c->buf, '\n', c->len)) != NULL) {
		*newline = '\0';
		if (c->lines == 0)
			snprintf(expected, sizeof(expected), "result turn %ld of %d",
			    c->turn, c->id);
		else
			snprintf(expected, sizeof(expected), "status ok");
		if (strcmp(c->buf, expected) != 0)
			die("connection %d: expected [%s], got [%s]", c->id, expected,
			    c->buf);
		c->len -= (size_t)(newline - c->buf) + 1;
		memmove(c->buf, newline + 1, c->len);
		if (++c->lines == 2) {
			c->lines = 0;
			(*verified)++;
			if (++c->turn == turns)
				return 1;
			send_turn(c);
		}
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct sockaddr_in address = { .sin_family = AF_INET };
	const char *ready = NULL;
	int timeout_ms = 30000, opt, listener, on = 1, accepted = 0, done = 0;
	long count, turns, verified = 0;
	struct conversation *all;
	struct pollfd *waiting;
	socklen_t len = sizeof(address);

	while ((opt = getopt(argc, argv, "t:r:")) != -1) {
		if (opt == 't')
			timeout_ms = atoi(optarg) * 1000;
		else if (opt == 'r')
			ready = optarg;
		else
			die("usage: hub [-t SECONDS] [-r FIFO] HOST COUNT TURNS");
	}
	if (argc - optind != 3)
		die("usage: hub [-t SECONDS] [-r FIFO] HOST COUNT TURNS");
	inet_pton(AF_INET, argv[optind], &address.sin_addr);
	count = atol(argv[optind + 1]);
	turns = atol(argv[optind + 2]);
	all = calloc((size_t)count, sizeof(*all));
	waiting = calloc((size_t)count + 1, sizeof(*waiting));
	alarm((unsigned)(timeout_ms / 1000) * 2 + 10);

	listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	if (bind(listener, (struct sockaddr *)&address, sizeof(address)) == -1 ||
	    listen(listener, SOMAXCONN) == -1)
		die("listen: %s", strerror(errno));
	getsockname(listener, (struct sockaddr *)&address, &len);
	if (ready != NULL) {
		FILE *signal = fopen(ready, "w");

		if (signal == NULL)
			die("%s: %s", ready, strerror(errno));
		fprintf(signal, "%d\n", ntohs(address.sin_port));
		fclose(signal);
	}
	while (done < count) {
		int n = 0, ready_count;

		for (int i = 0; i < accepted; i++)
			if (all[i].fd != -1)
				waiting[n++] = (struct pollfd){ .fd = all[i].fd, .events = POLLIN };
		if (accepted < count)
			waiting[n++] = (struct pollfd){ .fd = listener, .events = POLLIN };
		if ((ready_count = poll(waiting, (nfds_t)n, timeout_ms)) == 0)
			die("timed out: %d of %ld conversations done", done, count);
		for (int p = 0; p < n; p++) {
			struct conversation *c = NULL;
			ssize_t got;

			if (!(waiting[p].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			if (waiting[p].fd == listener) {
				c = &all[accepted];
				c->fd = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
				if (c->fd == -1)
					die("accept: %s", strerror(errno));
				c->id = accepted++;
				send_turn(c);
				continue;
			}
			for (int i = 0; i < accepted && c == NULL; i++)
				if (all[i].fd == waiting[p].fd)
					c = &all[i];
			got = read(c->fd, c->buf + c->len, sizeof(c->buf) - c->len);
			if (got <= 0)
				die("connection %d ended at turn %ld: %s", c->id, c->turn,
				    got == 0 ? "EOF" : strerror(errno));
			c->len += (size_t)got;
			if (take_lines(c, turns, &verified)) {
				shutdown(c->fd, SHUT_WR);
				close(c->fd);
				c->fd = -1;
				done++;
			}
		}
	}
	printf("connections %ld turns %ld verified\n", count, verified);
	return 0;
}
