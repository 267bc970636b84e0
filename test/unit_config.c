/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unit tests of the pure code: the configuration parser (every variable,
 * every valid form, every bad value) and the printing of addresses.  No
 * network and no constructor: the environment is a table.  Output is TAP.
 */
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sockredir.h"
#include "shim.h"

#define MAX_VARS 16

static const char *names[MAX_VARS], *values[MAX_VARS];
static int nvars, tests, failures;
static struct sockredir_config config;
static char why[1024];

static const char *
fake_getenv(const char *name)
{
	for (int i = 0; i < nvars; i++)
		if (strcmp(names[i], name) == 0)
			return values[i];
	return NULL;
}

/* Sets a NULL-terminated list of NAME, VALUE pairs as the whole environment. */
static void
environment(const char *first, ...)
{
	__builtin_va_list args;
	const char *name = first;

	nvars = 0;
	__builtin_va_start(args, first);
	while (name != NULL && nvars < MAX_VARS) {
		names[nvars] = name;
		values[nvars++] = __builtin_va_arg(args, const char *);
		name = __builtin_va_arg(args, const char *);
	}
	__builtin_va_end(args);
}

static int
parse(void)
{
	return sockredir_parse_config(&config, fake_getenv, why, sizeof(why));
}

static void
check(int ok, const char *what, const char *detail)
{
	tests++;
	if (ok)
		printf("ok %d - %s\n", tests, what);
	else {
		failures++;
		printf("not ok %d - %s\n#   %s\n", tests, what, detail ? detail : "");
	}
}

static char detail[2048];

/* A value as a test name shows it: escaped, so TAP stays one line a test. */
static const char *
shown(const char *value)
{
	static char quoted[2][300];
	static int which;

	which = !which;
	quote_value(value, quoted[which], sizeof(quoted[which]));
	return quoted[which];
}

#define CHECK(cond, ...) do { \
	snprintf(detail, sizeof(detail), "failed: %s (why: %s)", #cond, why); \
	char name_[512]; snprintf(name_, sizeof(name_), __VA_ARGS__); \
	check((cond), name_, detail); \
} while (0)

static void
test_mode(void)
{
	static const struct { const char *text; enum sockredir_mode mode; } good[] = {
		{ "out", SOCKREDIR_OUT }, { "in", SOCKREDIR_IN },
		{ "client", SOCKREDIR_CLIENT }, { "both", SOCKREDIR_CLIENT },
		{ "server", SOCKREDIR_SERVER },
	};
	static const char *bad[] = { "OUT", "Client", "x", " out", "out ",
	    "clients", "serve", "both\n", "-", "0" };

	environment(NULL);
	CHECK(parse() == 0 && config.mode == SOCKREDIR_INACTIVE,
	    "MODE unset: inactive");
	environment(SOCKREDIR_ENV_MODE, "", SOCKREDIR_ENV_PORT, "junk", NULL);
	CHECK(parse() == 0 && config.mode == SOCKREDIR_INACTIVE,
	    "MODE empty: inactive, and other variables are not validated");
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		environment(SOCKREDIR_ENV_MODE, good[i].text, NULL);
		CHECK(parse() == 0 && config.mode == good[i].mode,
		    "MODE=%s is accepted", good[i].text);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		environment(SOCKREDIR_ENV_MODE, bad[i], NULL);
		CHECK(parse() == EX_USAGE && strstr(why, SOCKREDIR_ENV_MODE) != NULL,
		    "MODE=\"%s\" is EX_USAGE naming the variable", shown(bad[i]));
	}
}

static void
test_defaults(void)
{
	environment(SOCKREDIR_ENV_MODE, "client", NULL);
	CHECK(parse() == 0 && strcmp(config.host, "localhost") == 0 &&
	    config.port == 50008 && !config.is_unix &&
	    config.buffer == SOCKREDIR_BUFFER_LINE && config.timeout_ms == 0 &&
	    config.linger_ms == 2000 && config.debug == 0,
	    "defaults: localhost, 50008, line, no timeout, linger 2 s, silent");
	environment(SOCKREDIR_ENV_MODE, "client", SOCKREDIR_ENV_HOST, "",
	    SOCKREDIR_ENV_PORT, "", SOCKREDIR_ENV_BUFFER, "",
	    SOCKREDIR_ENV_TIMEOUT, "", SOCKREDIR_ENV_LINGER, "",
	    SOCKREDIR_ENV_DEBUG, "", NULL);
	CHECK(parse() == 0 && strcmp(config.host, "localhost") == 0 &&
	    config.port == 50008 && config.buffer == SOCKREDIR_BUFFER_LINE &&
	    config.timeout_ms == 0 && config.linger_ms == 2000 && !config.debug,
	    "an empty variable other than MODE means its default");
}

static void
test_host(void)
{
	static const struct { const char *text, *host; } good[] = {
		{ "127.0.0.1", "127.0.0.1" }, { "::1", "::1" }, { "[::1]", "::1" },
		{ "[fe80::1%lo]", "fe80::1%lo" }, { "example.invalid", "example.invalid" },
		{ "0.0.0.0", "0.0.0.0" }, { "::", "::" },
	};
	char longname[400];

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		environment(SOCKREDIR_ENV_MODE, "client", SOCKREDIR_ENV_HOST,
		    good[i].text, NULL);
		CHECK(parse() == 0 && strcmp(config.host, good[i].host) == 0 &&
		    !config.is_unix, "HOST=%s is host %s", good[i].text, good[i].host);
	}
	environment(SOCKREDIR_ENV_MODE, "server", SOCKREDIR_ENV_HOST,
	    "unix:/tmp/sockredir.sock", SOCKREDIR_ENV_PORT, "not-a-port", NULL);
	CHECK(parse() == 0 && config.is_unix &&
	    strcmp(config.unix_path, "/tmp/sockredir.sock") == 0,
	    "HOST=unix:PATH is a Unix socket, and PORT is then ignored");
	environment(SOCKREDIR_ENV_MODE, "client", SOCKREDIR_ENV_HOST, "unix:", NULL);
	CHECK(parse() == EX_USAGE && strstr(why, "SOCKREDIR_HOST=\"unix:\"") != NULL,
	    "HOST=unix: without a path is EX_USAGE");
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	memcpy(longname, "unix:/", 6);
	environment(SOCKREDIR_ENV_MODE, "client", SOCKREDIR_ENV_HOST, longname, NULL);
	CHECK(parse() == EX_USAGE, "a unix: path longer than sun_path is EX_USAGE");
	memset(longname, 'a', sizeof(longname) - 1);
	environment(SOCKREDIR_ENV_MODE, "client", SOCKREDIR_ENV_HOST, longname, NULL);
	CHECK(parse() == EX_USAGE, "a host name longer than 255 bytes is EX_USAGE");
	environment(SOCKREDIR_ENV_MODE, "client", SOCKREDIR_ENV_HOST, "[]", NULL);
	CHECK(parse() == EX_USAGE, "HOST=[] is EX_USAGE");
}

static void
test_port(void)
{
	static const struct { const char *text; unsigned port; } good[] = {
		{ "1", 1 }, { "65535", 65535 }, { "50008", 50008 }, { "00080", 80 },
		{ "0000000000000000000000001", 1 }, { "http", 80 }, { "echo", 7 },
	};
	static const char *bad[] = { "0", "65536", "-1", "+1", "abc", "1e3",
	    "1234567890123456789012345", " 80", "80 ", "0x10", "8080a",
	    "no-such-service-here", "99999999999999999999", "1.0", "http\n" };

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		environment(SOCKREDIR_ENV_MODE, "out", SOCKREDIR_ENV_PORT,
		    good[i].text, NULL);
		CHECK(parse() == 0 && config.port == good[i].port,
		    "PORT=%s is port %u", good[i].text, good[i].port);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		environment(SOCKREDIR_ENV_MODE, "out", SOCKREDIR_ENV_PORT, bad[i], NULL);
		CHECK(parse() == EX_USAGE && strncmp(why, "SOCKREDIR_PORT=\"", 16) == 0,
		    "PORT=\"%s\" is EX_USAGE naming the variable", shown(bad[i]));
	}
}

static void
test_buffer(void)
{
	static const struct { const char *text; enum sockredir_buffer buffer; } good[] = {
		{ "line", SOCKREDIR_BUFFER_LINE }, { "full", SOCKREDIR_BUFFER_FULL },
		{ "none", SOCKREDIR_BUFFER_NONE }, { "auto", SOCKREDIR_BUFFER_AUTO },
	};
	static const char *bad[] = { "Line", "lines", "0", "weird", "full ", "Auto", "auto " };

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		environment(SOCKREDIR_ENV_MODE, "client", SOCKREDIR_ENV_BUFFER,
		    good[i].text, NULL);
		CHECK(parse() == 0 && config.buffer == good[i].buffer,
		    "BUFFER=%s is accepted", good[i].text);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		enum sockredir_buffer buffer = SOCKREDIR_BUFFER_NONE;

		CHECK(sockredir_parse_buffer(bad[i], &buffer) == -1 &&
		    buffer == SOCKREDIR_BUFFER_NONE,
		    "sockredir_parse_buffer(\"%s\") fails and leaves the value alone", bad[i]);
		environment(SOCKREDIR_ENV_MODE, "client", SOCKREDIR_ENV_BUFFER,
		    bad[i], NULL);
		CHECK(parse() == EX_USAGE && strstr(why, "SOCKREDIR_BUFFER") != NULL,
		    "BUFFER=\"%s\" is EX_USAGE", bad[i]);
	}
}

static void
test_seconds(void)
{
	static const struct { const char *text; long ms; } good[] = {
		{ "0", 0 }, { "2", 2000 }, { "2.5", 2500 }, { "0.001", 1 },
		{ "0.0001", 1 }, { "0.0000", 0 }, { "007", 7000 }, { "1.250", 1250 },
		{ "86400", 86400000 }, { "86400.000", 86400000 },
	};
	static const char *bad[] = { "1e3", "1.5s", "0x10", ".5", "5.", "-1", "+1",
	    " 1", "1 ", "inf", "nan", "1.2.3", "86400.001", "86401",
	    "1234567890123456789012345", "1,5", "", NULL };
	static const char *variables[] = { SOCKREDIR_ENV_TIMEOUT, SOCKREDIR_ENV_LINGER };

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		long ms = -1;

		CHECK(sockredir_parse_seconds(good[i].text, &ms) == 0 &&
		    ms == good[i].ms, "seconds \"%s\" are %ld ms", good[i].text,
		    good[i].ms);
	}
	for (size_t i = 0; bad[i] != NULL; i++) {
		long ms = -1;

		CHECK(sockredir_parse_seconds(bad[i], &ms) == -1 && ms == -1,
		    "seconds \"%s\" are a bad value", bad[i]);
	}
	for (size_t v = 0; v < 2; v++) {
		environment(SOCKREDIR_ENV_MODE, "client", variables[v], "2.5", NULL);
		CHECK(parse() == 0 && (v == 0 ? config.timeout_ms : config.linger_ms)
		    == 2500, "%s=2.5 is 2500 ms", variables[v]);
		environment(SOCKREDIR_ENV_MODE, "client", variables[v], "1.5s", NULL);
		CHECK(parse() == EX_USAGE && strstr(why, variables[v]) != NULL &&
		    strstr(why, "\"1.5s\"") != NULL,
		    "%s=1.5s is EX_USAGE naming the variable and quoting the value",
		    variables[v]);
	}
}

static void
test_debug(void)
{
	static const char *bad[] = { "yes", "2", "true", "01", " 1" };

	environment(SOCKREDIR_ENV_MODE, "client", SOCKREDIR_ENV_DEBUG, "1", NULL);
	CHECK(parse() == 0 && config.debug == 1, "DEBUG=1 is on");
	environment(SOCKREDIR_ENV_MODE, "client", SOCKREDIR_ENV_DEBUG, "0", NULL);
	CHECK(parse() == 0 && config.debug == 0, "DEBUG=0 is off");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		environment(SOCKREDIR_ENV_MODE, "client", SOCKREDIR_ENV_DEBUG, bad[i], NULL);
		CHECK(parse() == EX_USAGE && strstr(why, "SOCKREDIR_DEBUG") != NULL,
		    "DEBUG=\"%s\" is EX_USAGE", bad[i]);
	}
}

static void
test_stderr(void)
{
	static const char *bad[] = { "Connection", "keep ", " connection", "conn", "1",
	    "yes", "2", "stdout", "keep,connection" };
	static const char *writers[] = { "out", "client", "both", "server", "inetd", "attach" };
	int connection = 7;
	char expected[400];

	environment(SOCKREDIR_ENV_MODE, "client", NULL);
	CHECK(parse() == 0 && config.stderr_connection == 0, "STDERR unset is keep");
	environment(SOCKREDIR_ENV_MODE, "client", SOCKREDIR_ENV_STDERR, "", NULL);
	CHECK(parse() == 0 && config.stderr_connection == 0, "STDERR empty is keep");
	environment(SOCKREDIR_ENV_MODE, "client", SOCKREDIR_ENV_STDERR, "keep", NULL);
	CHECK(parse() == 0 && config.stderr_connection == 0, "STDERR=keep is keep");
	for (size_t i = 0; i < sizeof(writers) / sizeof(writers[0]); i++) {
		environment(SOCKREDIR_ENV_MODE, writers[i], SOCKREDIR_ENV_STDERR,
		    "connection", NULL);
		CHECK(parse() == 0 && config.stderr_connection == 1,
		    "STDERR=connection is taken in %s mode", writers[i]);
	}
	environment(SOCKREDIR_ENV_MODE, "in", SOCKREDIR_ENV_STDERR, "connection", NULL);
	CHECK(parse() == 0 && config.stderr_connection == 0,
	    "STDERR=connection is ignored in in mode (fd 1 is not the connection)");
	environment(SOCKREDIR_ENV_MODE, "in", SOCKREDIR_ENV_STDERR, "bogus", NULL);
	CHECK(parse() == 0, "STDERR is not validated in in mode");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		environment(SOCKREDIR_ENV_MODE, "server", SOCKREDIR_ENV_STDERR, bad[i], NULL);
		snprintf(expected, sizeof(expected), "SOCKREDIR_STDERR=\"%s\"", shown(bad[i]));
		CHECK(parse() == EX_USAGE && strstr(why, expected) != NULL &&
		    strchr(why, '\n') == NULL,
		    "STDERR=\"%s\" is EX_USAGE, the line quoting it", shown(bad[i]));
		CHECK(sockredir_parse_stderr(bad[i], &connection) == -1 && connection == 7,
		    "sockredir_parse_stderr(\"%s\") fails and leaves its result alone",
		    shown(bad[i]));
	}
	environment(SOCKREDIR_ENV_MODE, "client", SOCKREDIR_ENV_STDERR, "bogus",
	    SOCKREDIR_ENV_HOST, "no-such-host.invalid", NULL);
	CHECK(parse() == EX_USAGE && strstr(why, "SOCKREDIR_STDERR") != NULL,
	    "a bad STDERR is EX_USAGE before any name lookup");
}

static void
test_error_lines(void)
{
	char *huge = malloc(1 << 20);

	environment(SOCKREDIR_ENV_MODE, "client", SOCKREDIR_ENV_PORT, "8\n0\"\x01", NULL);
	CHECK(parse() == EX_USAGE && strchr(why, '\n') == NULL &&
	    strstr(why, "\"8\\x0a0\\\"\\x01\"") != NULL,
	    "a bad value is quoted with its control bytes and quotes escaped");
	memset(huge, '9', (1 << 20) - 1);
	huge[(1 << 20) - 1] = '\0';
	environment(SOCKREDIR_ENV_MODE, "client", SOCKREDIR_ENV_LINGER, huge, NULL);
	CHECK(parse() == EX_USAGE && strlen(why) < 200 && strstr(why, "...\"") != NULL,
	    "a 1 MiB bad value gives a short line, cut with ...");
	environment(SOCKREDIR_ENV_MODE, huge, NULL);
	CHECK(parse() == EX_USAGE && strlen(why) < 200, "a 1 MiB bad MODE gives a short line");
	free(huge);
}

static void
test_describe_address(void)
{
	struct sockaddr_in in = { .sin_family = AF_INET, .sin_port = htons(80) };
	struct sockaddr_in6 in6 = { .sin6_family = AF_INET6, .sin6_port = htons(443) };
	char text[128];

	inet_pton(AF_INET, "127.0.0.1", &in.sin_addr);
	describe_address((struct sockaddr *)&in, sizeof(in), text, sizeof(text));
	CHECK(strcmp(text, "127.0.0.1 port 80") == 0, "an IPv4 address is printed plainly");
	inet_pton(AF_INET6, "::1", &in6.sin6_addr);
	describe_address((struct sockaddr *)&in6, sizeof(in6), text, sizeof(text));
	CHECK(strcmp(text, "::1 port 443") == 0, "an IPv6 address has no brackets");
	inet_pton(AF_INET6, "::ffff:127.0.0.2", &in6.sin6_addr);
	describe_address((struct sockaddr *)&in6, sizeof(in6), text, sizeof(text));
	CHECK(strcmp(text, "127.0.0.2 port 443") == 0,
	    "an IPv4-mapped IPv6 address is printed as IPv4");
}

static void
test_inetd(void)
{
	static const char *bad_max[] = { "0", "65536", "-1", "abc", "1.5", "1e3", " 4" };

	environment(SOCKREDIR_ENV_MODE, "inetd", SOCKREDIR_ENV_TIMEOUT, "junk", NULL);
	CHECK(parse() == 0 && config.mode == SOCKREDIR_INETD &&
	    config.max_children == 40 && config.nallow == 0,
	    "MODE=inetd: MAX 40, everyone allowed, TIMEOUT ignored");
	environment(SOCKREDIR_ENV_MODE, "inetd", SOCKREDIR_ENV_MAX, "1", NULL);
	CHECK(parse() == 0 && config.max_children == 1, "MAX=1 is accepted");
	environment(SOCKREDIR_ENV_MODE, "inetd", SOCKREDIR_ENV_MAX, "65535", NULL);
	CHECK(parse() == 0 && config.max_children == 65535, "MAX=65535 is accepted");
	for (size_t i = 0; i < sizeof(bad_max) / sizeof(bad_max[0]); i++) {
		environment(SOCKREDIR_ENV_MODE, "inetd", SOCKREDIR_ENV_MAX, bad_max[i], NULL);
		CHECK(parse() == EX_USAGE && strstr(why, "SOCKREDIR_MAX") != NULL,
		    "MAX=\"%s\" is EX_USAGE", bad_max[i]);
	}
	environment(SOCKREDIR_ENV_MODE, "client", SOCKREDIR_ENV_MAX, "junk",
	    SOCKREDIR_ENV_ALLOW, "junk", NULL);
	CHECK(parse() == 0, "MAX and ALLOW are ignored outside inetd mode");
	environment(SOCKREDIR_ENV_MODE, "inetd", SOCKREDIR_ENV_HOST, "unix:/tmp/s",
	    SOCKREDIR_ENV_ALLOW, "127.0.0.1", NULL);
	CHECK(parse() == EX_USAGE && strstr(why, "SOCKREDIR_ALLOW") != NULL,
	    "ALLOW with a unix: host is EX_USAGE");
	environment(SOCKREDIR_ENV_MODE, "inetd", SOCKREDIR_ENV_ALLOW,
	    "127.0.0.1, 10.0.0.0/8,::1", NULL);
	CHECK(parse() == 0 && config.nallow == 3, "ALLOW with three entries");
	environment(SOCKREDIR_ENV_MODE, "inetd", SOCKREDIR_ENV_ALLOW,
	    "127.0.0.1,10.0.0.0/33", NULL);
	CHECK(parse() == EX_USAGE && strstr(why, "\"10.0.0.0/33\"") != NULL,
	    "a bad ALLOW entry is EX_USAGE and the line quotes that entry");
}

static void
test_service(void)
{
	static const char *bad_seconds[] = { "1e3", "1.5s", "-1", "86401", ".5", "5." };
	static const char *bad_flag[] = { "yes", "2", "true", "01", " 1" };
	char pid[24], other[24];

	environment(SOCKREDIR_ENV_MODE, "attach", SOCKREDIR_ENV_HOST, "",
	    SOCKREDIR_ENV_PORT, "junk", SOCKREDIR_ENV_TIMEOUT, "junk", NULL);
	CHECK(parse() == 0 && config.mode == SOCKREDIR_ATTACH && !config.proxy,
	    "MODE=attach: HOST, PORT and TIMEOUT ignored");
	CHECK(strcmp(sockredir_mode_name(SOCKREDIR_ATTACH), "attach") == 0,
	    "attach is named attach");
	environment(SOCKREDIR_ENV_MODE, "inetd", SOCKREDIR_ENV_MAX_PER_PEER, "2",
	    SOCKREDIR_ENV_SESSION_TIMEOUT, "1.5", SOCKREDIR_ENV_PROXY, "1", NULL);
	CHECK(parse() == 0 && config.max_per_peer == 2 && config.session_timeout_ms == 1500 &&
	    config.proxy == 1, "inetd: MAX_PER_PEER=2, SESSION_TIMEOUT=1.5, PROXY=1");
	environment(SOCKREDIR_ENV_MODE, "inetd", NULL);
	CHECK(parse() == 0 && config.max_per_peer == 0 && config.session_timeout_ms == 0 &&
	    !config.proxy && config.listen_fds == 0, "inetd defaults: no limits, no PROXY");
	for (size_t i = 0; i < sizeof(bad_seconds) / sizeof(bad_seconds[0]); i++) {
		environment(SOCKREDIR_ENV_MODE, "inetd", SOCKREDIR_ENV_SESSION_TIMEOUT,
		    bad_seconds[i], NULL);
		CHECK(parse() == EX_USAGE && strstr(why, "SOCKREDIR_SESSION_TIMEOUT") != NULL,
		    "SESSION_TIMEOUT=\"%s\" is EX_USAGE", bad_seconds[i]);
	}
	for (size_t i = 0; i < sizeof(bad_flag) / sizeof(bad_flag[0]); i++) {
		environment(SOCKREDIR_ENV_MODE, "server", SOCKREDIR_ENV_PROXY, bad_flag[i], NULL);
		CHECK(parse() == EX_USAGE && strstr(why, "SOCKREDIR_PROXY") != NULL,
		    "PROXY=\"%s\" is EX_USAGE", bad_flag[i]);
	}
	environment(SOCKREDIR_ENV_MODE, "inetd", SOCKREDIR_ENV_MAX_PER_PEER, "0", NULL);
	CHECK(parse() == EX_USAGE && strstr(why, "SOCKREDIR_MAX_PER_PEER=\"0\"") != NULL,
	    "MAX_PER_PEER=0 is EX_USAGE");
	environment(SOCKREDIR_ENV_MODE, "inetd", SOCKREDIR_ENV_HOST, "unix:/tmp/s",
	    SOCKREDIR_ENV_MAX_PER_PEER, "junk", NULL);
	CHECK(parse() == 0 && config.max_per_peer == 0,
	    "MAX_PER_PEER is ignored with a unix: host");
	environment(SOCKREDIR_ENV_MODE, "client", SOCKREDIR_ENV_PROXY, "junk",
	    SOCKREDIR_ENV_MAX_PER_PEER, "junk", SOCKREDIR_ENV_SESSION_TIMEOUT, "junk", NULL);
	CHECK(parse() == 0 && !config.proxy,
	    "PROXY, MAX_PER_PEER, SESSION_TIMEOUT are ignored in client modes");
	environment(SOCKREDIR_ENV_MODE, "server", SOCKREDIR_ENV_MAX_PER_PEER, "junk",
	    SOCKREDIR_ENV_PROXY, "1", NULL);
	CHECK(parse() == 0 && config.proxy, "server: PROXY=1, MAX_PER_PEER ignored");

	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	snprintf(other, sizeof(other), "%d", (int)getpid() + 1);
	environment(SOCKREDIR_ENV_MODE, "inetd", SOCKREDIR_ENV_LISTEN_PID, pid,
	    SOCKREDIR_ENV_LISTEN_FDS, "2", SOCKREDIR_ENV_HOST, "unix:",
	    SOCKREDIR_ENV_PORT, "junk", NULL);
	CHECK(parse() == 0 && config.listen_fds == 2,
	    "LISTEN_PID ours: LISTEN_FDS=2 taken, HOST and PORT ignored");
	environment(SOCKREDIR_ENV_MODE, "inetd", SOCKREDIR_ENV_LISTEN_PID, other,
	    SOCKREDIR_ENV_LISTEN_FDS, "x", SOCKREDIR_ENV_PORT, "junk", NULL);
	CHECK(parse() == EX_USAGE && config.listen_fds == 0 &&
	    strstr(why, "SOCKREDIR_PORT") != NULL,
	    "LISTEN_PID not ours: LISTEN_FDS left alone, PORT read");
	environment(SOCKREDIR_ENV_MODE, "server", SOCKREDIR_ENV_LISTEN_PID, pid,
	    SOCKREDIR_ENV_LISTEN_FDS, "17", NULL);
	CHECK(parse() == EX_USAGE && strstr(why, "LISTEN_FDS=\"17\"") != NULL,
	    "LISTEN_FDS=17 (more than 16 listeners) is EX_USAGE");
	environment(SOCKREDIR_ENV_MODE, "server", SOCKREDIR_ENV_LISTEN_PID, pid,
	    SOCKREDIR_ENV_LISTEN_FDS, "0", NULL);
	CHECK(parse() == 0 && config.listen_fds == 0, "LISTEN_FDS=0: HOST and PORT bound");
	environment(SOCKREDIR_ENV_MODE, "client", SOCKREDIR_ENV_LISTEN_PID, pid,
	    SOCKREDIR_ENV_LISTEN_FDS, "1", NULL);
	CHECK(parse() == 0 && config.listen_fds == 0,
	    "socket activation does not apply to client modes");
}

static struct sockaddr_storage peer_storage;

static const struct sockaddr *
peer(const char *text)
{
	struct sockaddr_in *in = (struct sockaddr_in *)&peer_storage;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&peer_storage;

	memset(&peer_storage, 0, sizeof(peer_storage));
	if (inet_pton(AF_INET, text, &in->sin_addr) == 1)
		in->sin_family = AF_INET;
	else if (inet_pton(AF_INET6, text, &in6->sin6_addr) == 1)
		in6->sin6_family = AF_INET6;
	return (struct sockaddr *)&peer_storage;
}

static void
test_allow(void)
{
	static const struct { const char *list, *address; int allowed; } cases[] = {
		{ "127.0.0.1", "127.0.0.1", 1 },
		{ "127.0.0.1", "127.0.0.2", 0 },
		{ "127.0.0.1/32", "127.0.0.1", 1 },
		{ "127.0.0.1/32", "127.0.0.2", 0 },
		{ "10.1.2.0/24", "10.1.2.255", 1 },
		{ "10.1.2.0/24", "10.1.3.0", 0 },
		{ "10.1.2.3/8", "10.200.0.1", 1 },
		{ "192.168.0.0/23", "192.168.1.7", 1 },
		{ "192.168.0.0/23", "192.168.2.7", 0 },
		{ "0.0.0.0/0", "203.0.113.9", 1 },
		{ "0.0.0.0/0", "::1", 0 },
		{ "::1", "::1", 1 },
		{ "::1/128", "::2", 0 },
		{ "[::1]/128", "::1", 1 },
		{ "2001:db8::/32", "2001:db8:ffff::1", 1 },
		{ "2001:db8::/32", "2001:db9::1", 0 },
		{ "fe80::/10", "febf::1", 1 },
		{ "fe80::/10", "fec0::1", 0 },
		{ "::/0", "2001:db8::1", 1 },
		{ "::/0", "127.0.0.1", 0 },
		{ "127.0.0.1/32", "::ffff:127.0.0.1", 1 },
		{ "127.0.0.1/32", "::ffff:127.0.0.2", 0 },
		{ "::ffff:10.0.0.0/104", "10.9.9.9", 1 },
		{ "::ffff:10.0.0.0/104", "::ffff:10.9.9.9", 1 },
		{ "::ffff:10.0.0.0/104", "11.0.0.1", 0 },
		{ " 127.0.0.2 , 127.0.0.1 ", "127.0.0.1", 1 },
		{ "10.0.0.0/8,::1", "::1", 1 },
	};
	static const char *bad[] = { ",", "127.0.0.1,", ",127.0.0.1", "1.2.3.4/33",
	    "::1/129", "1.2.3/8", "abc", "1.2.3.4/", "1.2.3.4/-1", "1.2.3.4/+8",
	    "localhost", "1.2.3.4/8/8", "1.2.3.4 5.6.7.8", "[1.2.3.4]x", "::1/1e2",
	    "1.2.3.4/99999999999999999999", "1.2.3.4\n" };
	struct sockredir_allow list[SOCKREDIR_MAX_ALLOW];
	size_t n;
	char many[SOCKREDIR_MAX_ALLOW * 12 + 16] = "";

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int parsed = sockredir_parse_allow(cases[i].list, list, &n, why,
		    sizeof(why));

		CHECK(parsed == 0 && sockredir_allow_match(list, n,
		    peer(cases[i].address)) == cases[i].allowed,
		    "ALLOW=\"%s\" %s %s", cases[i].list,
		    cases[i].allowed ? "allows" : "refuses", cases[i].address);
	}
	CHECK(sockredir_allow_match(list, 0, peer("198.51.100.1")) == 1,
	    "an empty ALLOW list allows everyone");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(sockredir_parse_allow(bad[i], list, &n, why, sizeof(why)) ==
		    EX_USAGE && strstr(why, "bad entry") != NULL,
		    "ALLOW=\"%s\" is EX_USAGE", shown(bad[i]));
	for (int i = 0; i <= SOCKREDIR_MAX_ALLOW; i++)
		strcat(many, i ? ",127.0.0.1" : "127.0.0.1");
	CHECK(sockredir_parse_allow(many, list, &n, why, sizeof(why)) == EX_USAGE &&
	    strstr(why, "more than") != NULL, "more than %d ALLOW entries is EX_USAGE",
	    SOCKREDIR_MAX_ALLOW);
}

/* A v2 header: command, family byte, address block and extra TLV bytes. */
static size_t
v2_header(unsigned char *out, int command, int family, const unsigned char *block,
    size_t blocklen, size_t tlv)
{
	static const unsigned char signature[12] = {
		0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a
	};

	memcpy(out, signature, 12);
	out[12] = (unsigned char)(0x20 | command);
	out[13] = (unsigned char)family;
	out[14] = (unsigned char)((blocklen + tlv) >> 8);
	out[15] = (unsigned char)(blocklen + tlv);
	if (blocklen > 0)
		memcpy(out + 16, block, blocklen);
	memset(out + 16 + blocklen, 0xee, tlv);
	return 16 + blocklen + tlv;
}

static int
address_is(const struct sockredir_proxy_address *address, const char *ip, unsigned port)
{
	unsigned char expected[16] = { 0 };
	int family = strchr(ip, ':') ? AF_INET6 : AF_INET;

	inet_pton(family, ip, expected);
	return address->family == family && address->port == port &&
	    memcmp(address->address, expected, family == AF_INET ? 4 : 16) == 0;
}

/* Every proper prefix of a header is "more needed", never a decision. */
static int
prefixes_undecided(const unsigned char *bytes, size_t decided_at)
{
	struct sockredir_proxy proxy;

	for (size_t len = 0; len < decided_at; len++)
		if (sockredir_parse_proxy(bytes, len, &proxy) != 0)
			return 0;
	return 1;
}

static void
test_proxy_v1(void)
{
	static const char *bad[] = {
		"GET / HTTP/1.0\r\n", "PROXY TCP4 192.0.2.1 198.51.100.2 56324 443\n",
		"PROXY TCP5 192.0.2.1 198.51.100.2 56324 443\r\n",
		"PROXY TCP4 ::1 ::1 56324 443\r\n", "PROXY TCP6 1.2.3.4 1.2.3.4 1 2\r\n",
		"PROXY TCP4 192.0.2.1 198.51.100.2 65536 443\r\n",
		"PROXY TCP4 192.0.2.1 198.51.100.2 056324 443\r\n",
		"PROXY TCP4 192.0.2.1 198.51.100.2 -1 443\r\n",
		"PROXY TCP4  192.0.2.1 198.51.100.2 1 443\r\n",
		"PROXY TCP4 192.0.2.1 198.51.100.2 1 443 \r\n",
		"PROXY TCP4 192.0.2.1 198.51.100.2 1 443 9\r\n",
		"PROXY TCP4 192.0.2.1 198.51.100.2 1\r\n", "PROXY \r\n", "PROXY\r\n",
		"proxy TCP4 192.0.2.1 198.51.100.2 1 2\r\n", "PROXY UNKNOWNX\r\n",
		"PROXY TCP4 192.0.2.01 198.51.100.2 1 2\r\n",
	};
	const char *tcp4 = "PROXY TCP4 192.0.2.1 198.51.100.2 56324 443\r\nhello\n";
	const char *tcp6 = "PROXY TCP6 2001:db8::1 ::1 65535 0\r\n";
	struct sockredir_proxy proxy;
	char line[200];

	CHECK(sockredir_parse_proxy((const unsigned char *)tcp4, strlen(tcp4), &proxy) == 1 &&
	    proxy.version == 1 && proxy.addressed && proxy.header_length == strlen(tcp4) - 6 &&
	    address_is(&proxy.source, "192.0.2.1", 56324) &&
	    address_is(&proxy.destination, "198.51.100.2", 443),
	    "PROXY v1 TCP4: the addresses, and the header's length without the payload after it");
	CHECK(prefixes_undecided((const unsigned char *)tcp4, strlen(tcp4) - 6),
	    "every beginning of a v1 header is undecided");
	CHECK(sockredir_parse_proxy((const unsigned char *)tcp6, strlen(tcp6), &proxy) == 1 &&
	    proxy.addressed && address_is(&proxy.source, "2001:db8::1", 65535) &&
	    address_is(&proxy.destination, "::1", 0), "PROXY v1 TCP6");
	CHECK(sockredir_parse_proxy((const unsigned char *)"PROXY UNKNOWN\r\nx", 16,
	    &proxy) == 1 && !proxy.addressed && proxy.header_length == 15,
	    "PROXY v1 UNKNOWN: the connection's own addresses");
	strcpy(line, "PROXY UNKNOWN ffff:f...f:ffff ffff:f...f:ffff 65535 65535\r\n");
	CHECK(sockredir_parse_proxy((const unsigned char *)line, strlen(line), &proxy) == 1 &&
	    !proxy.addressed && proxy.header_length == strlen(line),
	    "PROXY v1 UNKNOWN with addresses: ignored up to CRLF");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(sockredir_parse_proxy((const unsigned char *)bad[i], strlen(bad[i]),
		    &proxy) == -1, "\"%s\" is not a header", shown(bad[i]));
	CHECK(sockredir_parse_proxy((const unsigned char *)"G", 1, &proxy) == -1,
	    "a client that speaks first is refused at its first byte");
	memset(line, 'x', 120);
	memcpy(line, "PROXY UNKNOWN ", 14);
	CHECK(sockredir_parse_proxy((const unsigned char *)line, 106, &proxy) == 0 &&
	    sockredir_parse_proxy((const unsigned char *)line, 107, &proxy) == -1,
	    "107 bytes without CRLF are not a v1 header");
	CHECK(sockredir_parse_proxy((const unsigned char *)"PROXY TCP4 1\0002", 14, &proxy)
	    == 0 && sockredir_parse_proxy((const unsigned char *)"PROXY TCP4 1\0002\r\n",
	    16, &proxy) == -1, "a NUL inside a v1 line is not a header");
}

static void
test_proxy_v2(void)
{
	unsigned char tcp4[12] = { 192, 0, 2, 1, 198, 51, 100, 2, 0xdc, 0x04, 0x01, 0xbb };
	unsigned char tcp6[36] = { 0 }, unix_block[216] = { 0 }, header[600];
	struct sockredir_proxy proxy;
	size_t len;

	len = v2_header(header, 1, 0x11, tcp4, sizeof(tcp4), 0);
	CHECK(sockredir_parse_proxy(header, len, &proxy) == 1 && proxy.version == 2 &&
	    proxy.addressed && proxy.header_length == 28 &&
	    address_is(&proxy.source, "192.0.2.1", 56324) &&
	    address_is(&proxy.destination, "198.51.100.2", 443), "PROXY v2 TCP4");
	CHECK(prefixes_undecided(header, len), "every beginning of a v2 header is undecided");
	len = v2_header(header, 1, 0x11, tcp4, sizeof(tcp4), 300);
	CHECK(sockredir_parse_proxy(header, 28, &proxy) == 1 && proxy.header_length == 328,
	    "PROXY v2 with TLVs: decided from the addresses, the length counts the TLVs");
	tcp6[15] = 1;
	tcp6[31] = 2;
	tcp6[32] = 0x12;
	tcp6[33] = 0x34;
	tcp6[35] = 80;
	len = v2_header(header, 1, 0x21, tcp6, sizeof(tcp6), 0);
	CHECK(sockredir_parse_proxy(header, len, &proxy) == 1 && proxy.addressed &&
	    proxy.header_length == 52 && address_is(&proxy.source, "::1", 0x1234) &&
	    address_is(&proxy.destination, "::2", 80), "PROXY v2 TCP6");
	len = v2_header(header, 0, 0x00, NULL, 0, 0);
	CHECK(sockredir_parse_proxy(header, len, &proxy) == 1 && !proxy.addressed &&
	    proxy.header_length == 16, "PROXY v2 LOCAL: the connection's own addresses");
	len = v2_header(header, 0, 0x11, tcp4, sizeof(tcp4), 0);
	CHECK(sockredir_parse_proxy(header, len, &proxy) == 1 && !proxy.addressed &&
	    proxy.header_length == 28, "PROXY v2 LOCAL with addresses: they are skipped");
	len = v2_header(header, 1, 0x12, tcp4, sizeof(tcp4), 0);
	CHECK(sockredir_parse_proxy(header, 16, &proxy) == 1 && !proxy.addressed &&
	    proxy.header_length == 28, "PROXY v2 UDP: the connection's own addresses");
	len = v2_header(header, 1, 0x31, unix_block, sizeof(unix_block), 0);
	CHECK(sockredir_parse_proxy(header, 16, &proxy) == 1 && !proxy.addressed &&
	    proxy.header_length == len, "PROXY v2 UNIX: the connection's own addresses");
	len = v2_header(header, 1, 0x00, NULL, 0, 0);
	CHECK(sockredir_parse_proxy(header, len, &proxy) == 1 && !proxy.addressed,
	    "PROXY v2 UNSPEC: the connection's own addresses");
	len = v2_header(header, 1, 0x11, tcp4, 8, 0);
	CHECK(sockredir_parse_proxy(header, len, &proxy) == -1,
	    "PROXY v2 TCP4 with an address block too short is not a header");
	len = v2_header(header, 2, 0x11, tcp4, sizeof(tcp4), 0);
	CHECK(sockredir_parse_proxy(header, len, &proxy) == -1, "PROXY v2 command 2 is not a header");
	len = v2_header(header, 1, 0x41, tcp4, sizeof(tcp4), 0);
	CHECK(sockredir_parse_proxy(header, len, &proxy) == -1, "PROXY v2 family 4 is not a header");
	len = v2_header(header, 1, 0x13, tcp4, sizeof(tcp4), 0);
	CHECK(sockredir_parse_proxy(header, len, &proxy) == -1, "PROXY v2 transport 3 is not a header");
	len = v2_header(header, 1, 0x11, tcp4, sizeof(tcp4), 0);
	header[12] = 0x11;
	CHECK(sockredir_parse_proxy(header, 13, &proxy) == -1,
	    "PROXY v2 with version 1 is refused as soon as its 13th byte arrives");
	header[12] = 0x21;
	header[7] = 'q';
	CHECK(sockredir_parse_proxy(header, 8, &proxy) == -1, "a wrong v2 signature is not a header");
}

/* SOCKREDIR_STREAM: "PID:DEV:INO"; set at all means someone connected. */
static void
test_stream_value(void)
{
	struct stream_id id;

	CHECK(parse_stream_value(NULL, &id) == 0, "no SOCKREDIR_STREAM: nobody connected");
	CHECK(parse_stream_value("", &id) == 0, "an empty SOCKREDIR_STREAM: nobody connected");
	CHECK(parse_stream_value("4242:2049:123456", &id) == 1 && id.pid == 4242 &&
	    id.dev == 2049 && id.ino == 123456, "PID:DEV:INO is read whole");
	static const char *garbage[] = { "x", "1:2", "1:2:3:4", "1:2:x", ":::", "1;2;3" };
	for (size_t i = 0; i < sizeof(garbage) / sizeof(*garbage); i++)
		CHECK(parse_stream_value(garbage[i], &id) == 1 && id.pid == 0 &&
		    id.dev == 0 && id.ino == 0,
		    "SOCKREDIR_STREAM=\"%s\": someone connected, matching no descriptor", garbage[i]);
}

/* realpath, as the tests' file system has it: cwd /home/u, our library in build. */
static char *
fake_realpath(const char *path, char *resolved)
{
	if (strcmp(path, "build/libsockredir.so") == 0 ||
	    strcmp(path, "./build/libsockredir.so") == 0 ||
	    strcmp(path, "../u/build/libsockredir.so") == 0) {
		strcpy(resolved, "/home/u/build/libsockredir.so");
		return resolved;
	}
	if (strcmp(path, "lib/other.so") == 0) {
		strcpy(resolved, "/home/u/lib/other.so");
		return resolved;
	}
	return NULL;
}

static void
test_rewrite_preload(void)
{
	static const struct { const char *given, *want; } cases[] = {
		{ "build/libsockredir.so", "/home/u/build/libsockredir.so" },
		{ "./build/libsockredir.so", "/home/u/build/libsockredir.so" },
		{ "/lib/libasan.so:build/libsockredir.so",
		  "/lib/libasan.so:/home/u/build/libsockredir.so" },
		{ "lib/other.so build/libsockredir.so\t/x.so",
		  "lib/other.so /home/u/build/libsockredir.so\t/x.so" },
		{ "::../u/build/libsockredir.so::", "::/home/u/build/libsockredir.so::" },
	};
	static const char *unchanged[] = { "", "/home/u/build/libsockredir.so",
	    "libsockredir.so", "lib/other.so", "missing/libsockredir.so", "::" };
	const char *self = "/home/u/build/libsockredir.so";
	char *rewritten = NULL;

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		int result = rewrite_preload(cases[i].given, self, fake_realpath, &rewritten);

		CHECK(result == 1 && strcmp(rewritten, cases[i].want) == 0,
		    "LD_PRELOAD=\"%s\" becomes \"%s\"", shown(cases[i].given), shown(cases[i].want));
		if (result == 1)
			free(rewritten);
	}
	for (size_t i = 0; i < sizeof(unchanged) / sizeof(*unchanged); i++)
		CHECK(rewrite_preload(unchanged[i], self, fake_realpath, &rewritten) == 0,
		    "LD_PRELOAD=\"%s\" is left as it is", unchanged[i]);
}

static void
test_exit_codes(void)
{
	static const int system_errors[] = { EMFILE, ENFILE, ENOBUFS, ENOMEM,
	    EAFNOSUPPORT, EPROTONOSUPPORT };
	static const int peer_errors[] = { ECONNREFUSED, ETIMEDOUT, ENETUNREACH,
	    EHOSTUNREACH, ENOENT, EADDRINUSE, EACCES, EEXIST };

	for (size_t i = 0; i < sizeof(system_errors) / sizeof(*system_errors); i++)
		CHECK(exit_code_for(system_errors[i]) == EX_OSERR, "%s is the system's failure: 71",
		    strerror(system_errors[i]));
	for (size_t i = 0; i < sizeof(peer_errors) / sizeof(*peer_errors); i++)
		CHECK(exit_code_for(peer_errors[i]) == EX_UNAVAILABLE, "%s is unavailable: 69",
		    strerror(peer_errors[i]));
}

int
main(void)
{
	test_mode();
	test_defaults();
	test_host();
	test_port();
	test_buffer();
	test_seconds();
	test_debug();
	test_stderr();
	test_error_lines();
	test_describe_address();
	test_inetd();
	test_allow();
	test_service();
	test_proxy_v1();
	test_proxy_v2();
	test_stream_value();
	test_rewrite_preload();
	test_exit_codes();
	printf("1..%d\n", tests);
	return failures != 0;
}
