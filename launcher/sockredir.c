/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * sockredir: the launcher.  Sets the SOCKREDIR_* variables from its options,
 * appends the library to LD_PRELOAD and execs the program, as stdbuf does
 * for libstdbuf.  It checks only its own syntax; the values are the shim's
 * to judge.  Exit codes are stdbuf's: 125 its own failure, 126 a program
 * that cannot run, 127 one not found.
 */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "strl.h"

#include "sockredir-public.h"
#include "install-dirs.h"	/* SOCKREDIR_LIBDIR, SOCKREDIR_LIBDIR_FROM_BINDIR */

#define LIBRARY		"libsockredir.so"
#define ENV_LIBRARY	"SOCKREDIR_LIBRARY"

/* Long options without a short one. */
enum {
	OPT_LINGER = 256, OPT_DEBUG, OPT_MAX, OPT_ALLOW, OPT_MAX_PER_PEER,
	OPT_SESSION_TIMEOUT, OPT_PROXY, OPT_STDERR, OPT_PREFORK, OPT_LIBRARY, OPT_HELP, OPT_VERSION,
};

static void
usage(void)
{
	printf(
	    "usage: sockredir [-m MODE] [-h HOST] [-p PORT] [-b BUFFER] [-t SECONDS]\n"
	    "                 [--OPTION=VALUE ...] [--] PROGRAM [ARG...]\n"
	    "Run PROGRAM with its standard input and/or output on a socket.\n"
	    "\n"
	    "  -m, --mode=MODE        SOCKREDIR_MODE, one of:\n"
	    "        out              connect; the program's output goes to the peer\n"
	    "        in               connect; the program's input comes from the peer\n"
	    "        client, both     connect; input and output (the default)\n"
	    "        server           listen, serve one connection\n"
	    "        inetd            listen, fork a copy of the program per connection\n"
	    "        attach           fds 0 and 1 already hold a connected socket\n"
	    "  -h, --host=HOST        SOCKREDIR_HOST: host, IPv6 literal or unix:/path\n"
	    "  -p, --port=PORT        SOCKREDIR_PORT: port number or service name\n"
	    "  -b, --buffer=BUFFER    SOCKREDIR_BUFFER: line, full, none or auto\n"
	    "  -t, --timeout=SECONDS  SOCKREDIR_TIMEOUT: connect retries, accept time-out\n"
	    "      --linger=SECONDS   SOCKREDIR_LINGER: wait at exit for the peer to close\n"
	    "      --debug            SOCKREDIR_DEBUG=1: a stderr line per connection\n"
	    "      --max=N            SOCKREDIR_MAX: inetd, copies at once\n"
	    "      --max-per-peer=N   SOCKREDIR_MAX_PER_PEER: inetd, copies for one peer\n"
	    "      --session-timeout=SECONDS\n"
	    "                         SOCKREDIR_SESSION_TIMEOUT: inetd, a copy's time\n"
	    "      --allow=LIST       SOCKREDIR_ALLOW: inetd, addresses or CIDR prefixes\n"
	    "      --prefork=N        SOCKREDIR_PREFORK: inetd, copies kept waiting\n"
	    "      --proxy            SOCKREDIR_PROXY=1: a PROXY protocol header first\n"
	    "      --stderr=WHERE     SOCKREDIR_STDERR: keep (fd 2 stays) or connection\n"
	    "      --library=PATH     the library to preload (also " ENV_LIBRARY ")\n"
	    "      --help             this text\n"
	    "      --version          the version\n"
	    "\n"
	    "An option overrides the variable already in the environment; values are\n"
	    "checked by the library.  Exit status: the program's, the library's (64, 68,\n"
	    "69, 71), or 125 (sockredir failed), 126 (cannot run PROGRAM), 127 (PROGRAM\n"
	    "not found).  See sockredir(1) and sockredir(7).\n");
}

static void __attribute__((noreturn))
try_help(void)
{
	fprintf(stderr, "Try 'sockredir --help' for more information.\n");
	exit(SOCKREDIR_EXIT_LAUNCHER);
}

static void __attribute__((noreturn))
fail(const char *what, const char *detail)
{
	fprintf(stderr, "sockredir: %s%s%s\n", what, detail ? ": " : "",
	    detail ? detail : "");
	exit(SOCKREDIR_EXIT_LAUNCHER);
}

static void
set(const char *name, const char *value)
{
	if (setenv(name, value, 1) == -1)
		fail("setenv", strerror(errno));
}

/* The path made absolute, if it names a readable file. */
static int
usable(const char *candidate, char *path, size_t pathlen)
{
	char resolved[PATH_MAX];

	if (access(candidate, R_OK) != 0 || realpath(candidate, resolved) == NULL)
		return -1;
	strlcpy(path, resolved, pathlen);
	return 0;
}

/*
 * The library named by --library or SOCKREDIR_LIBRARY; otherwise beside the
 * launcher (the build tree), at LIBDIR's place relative to the launcher's
 * directory (an installed tree, wherever DESTDIR or dpkg-deb -x put it), and
 * in the LIBDIR it was installed for.
 */
static void
find_library(const char *given, char *path, size_t pathlen)
{
	char self[PATH_MAX];
	ssize_t len;

	if (given != NULL && *given != '\0') {
		if (usable(given, path, pathlen) != 0)
			fail("cannot use library", given);
		return;
	}
	len = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (len > 0) {
		char candidate[PATH_MAX * 2];
		const char *dir;

		self[len] = '\0';
		dir = dirname(self);
		snprintf(candidate, sizeof(candidate), "%s/" LIBRARY, dir);
		if (usable(candidate, path, pathlen) == 0)
			return;
		snprintf(candidate, sizeof(candidate), "%s/%s/" LIBRARY, dir,
		    SOCKREDIR_LIBDIR_FROM_BINDIR);
		if (usable(candidate, path, pathlen) == 0)
			return;
	}
	if (usable(SOCKREDIR_LIBDIR "/" LIBRARY, path, pathlen) == 0)
		return;
	fail("cannot find " LIBRARY " (name it with --library or " ENV_LIBRARY ")",
	    SOCKREDIR_LIBDIR "/" LIBRARY);
}

/* Keep the entries already there; the library goes after them. */
static void
append_preload(const char *library)
{
	const char *old = getenv("LD_PRELOAD");
	char *preload;

	if (old == NULL || *old == '\0') {
		set("LD_PRELOAD", library);
		return;
	}
	if (asprintf(&preload, "%s:%s", old, library) == -1)
		fail("out of memory", NULL);
	set("LD_PRELOAD", preload);
	free(preload);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "mode", required_argument, NULL, 'm' },
		{ "host", required_argument, NULL, 'h' },
		{ "port", required_argument, NULL, 'p' },
		{ "buffer", required_argument, NULL, 'b' },
		{ "timeout", required_argument, NULL, 't' },
		{ "linger", required_argument, NULL, OPT_LINGER },
		{ "debug", no_argument, NULL, OPT_DEBUG },
		{ "max", required_argument, NULL, OPT_MAX },
		{ "max-per-peer", required_argument, NULL, OPT_MAX_PER_PEER },
		{ "session-timeout", required_argument, NULL, OPT_SESSION_TIMEOUT },
		{ "allow", required_argument, NULL, OPT_ALLOW },
		{ "proxy", no_argument, NULL, OPT_PROXY },
		{ "stderr", required_argument, NULL, OPT_STDERR },
		{ "prefork", required_argument, NULL, OPT_PREFORK },
		{ "library", required_argument, NULL, OPT_LIBRARY },
		{ "help", no_argument, NULL, OPT_HELP },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ NULL, 0, NULL, 0 },
	};
	static char name[] = "sockredir";	/* getopt's messages begin with it */
	char library[PATH_MAX];
	const char *given = getenv(ENV_LIBRARY), *mode;
	int opt;

	if (argc > 0)
		argv[0] = name;
	while ((opt = getopt_long(argc, argv, "+m:h:p:b:t:", longopts, NULL)) != -1) {
		switch (opt) {
		case 'm': set(SOCKREDIR_ENV_MODE, optarg); break;
		case 'h': set(SOCKREDIR_ENV_HOST, optarg); break;
		case 'p': set(SOCKREDIR_ENV_PORT, optarg); break;
		case 'b': set(SOCKREDIR_ENV_BUFFER, optarg); break;
		case 't': set(SOCKREDIR_ENV_TIMEOUT, optarg); break;
		case OPT_LINGER: set(SOCKREDIR_ENV_LINGER, optarg); break;
		case OPT_DEBUG: set(SOCKREDIR_ENV_DEBUG, "1"); break;
		case OPT_MAX: set(SOCKREDIR_ENV_MAX, optarg); break;
		case OPT_MAX_PER_PEER: set(SOCKREDIR_ENV_MAX_PER_PEER, optarg); break;
		case OPT_SESSION_TIMEOUT: set(SOCKREDIR_ENV_SESSION_TIMEOUT, optarg); break;
		case OPT_ALLOW: set(SOCKREDIR_ENV_ALLOW, optarg); break;
		case OPT_PROXY: set(SOCKREDIR_ENV_PROXY, "1"); break;
		case OPT_STDERR: set(SOCKREDIR_ENV_STDERR, optarg); break;
		case OPT_PREFORK: set(SOCKREDIR_ENV_PREFORK, optarg); break;
		case OPT_LIBRARY: given = optarg; break;
		case OPT_HELP:
			usage();
			return 0;
		case OPT_VERSION:
			printf("sockredir %s\n", SOCKREDIR_VERSION);
			return 0;
		default:	/* getopt said what is wrong */
			try_help();
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "sockredir: no program to run\n");
		try_help();
	}
	mode = getenv(SOCKREDIR_ENV_MODE);
	if (mode == NULL || *mode == '\0')
		set(SOCKREDIR_ENV_MODE, SOCKREDIR_MODE_CLIENT);
	find_library(given, library, sizeof(library));
	append_preload(library);

	execvp(argv[optind], argv + optind);
	fprintf(stderr, "sockredir: cannot run %s: %s\n", argv[optind], strerror(errno));
	return errno == ENOENT ? SOCKREDIR_EXIT_NOT_FOUND : SOCKREDIR_EXIT_CANNOT_RUN;
}
