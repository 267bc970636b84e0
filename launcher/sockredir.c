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

#include <bsd/string.h>

#include "sockredir.h"

#define EXIT_LAUNCHER	125
#define EXIT_CANNOT_RUN	126
#define EXIT_NOT_FOUND	127
#define LIBRARY		"libsockredir.so"

#ifndef SOCKREDIR_LIBDIR
#define SOCKREDIR_LIBDIR "/usr/local/lib"
#endif

static void
usage(FILE *out)
{
	fprintf(out,
	    "usage: sockredir [-m MODE] [-h HOST] [-p PORT] [-b line|full|none] [-t SECONDS]\n"
	    "                 [--] PROGRAM [ARG...]\n"
	    "Run PROGRAM with its standard input and/or output on a socket.\n"
	    "  -m MODE     out, in, client (default), both, server   SOCKREDIR_MODE\n"
	    "  -h HOST     host, IPv6 literal or unix:/path          SOCKREDIR_HOST\n"
	    "  -p PORT     port number or service name               SOCKREDIR_PORT\n"
	    "  -b BUFFER   stdout buffering: line, full, none        SOCKREDIR_BUFFER\n"
	    "  -t SECONDS  connect retry / accept timeout            SOCKREDIR_TIMEOUT\n"
	    "  --help      this text; --version: the version\n"
	    "An option overrides the variable already in the environment.  See sockredir(1)\n"
	    "and sockredir(7).\n");
}

static void __attribute__((noreturn))
fail(int code, const char *what, const char *detail)
{
	fprintf(stderr, "sockredir: %s%s%s\n", what, detail ? ": " : "",
	    detail ? detail : "");
	exit(code);
}

static void
set(const char *name, const char *value)
{
	if (setenv(name, value, 1) == -1)
		fail(EXIT_LAUNCHER, "setenv", strerror(errno));
}

/*
 * Beside the launcher (the build tree), in ../lib beside it (an installed
 * tree, wherever DESTDIR put it), then the configured library directory.
 */
static int
find_library(char *path, size_t pathlen)
{
	char self[PATH_MAX];
	ssize_t len = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (len > 0) {
		const char *formats[] = { "%s/" LIBRARY, "%s/../lib/" LIBRARY };
		char *dir;

		self[len] = '\0';
		dir = dirname(self);
		for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
			snprintf(path, pathlen, formats[i], dir);
			if (access(path, R_OK) == 0 && realpath(path, self) != NULL) {
				strlcpy(path, self, pathlen);
				return 0;
			}
		}
	}
	snprintf(path, pathlen, "%s/" LIBRARY, SOCKREDIR_LIBDIR);
	return access(path, R_OK);
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
		fail(EXIT_LAUNCHER, "out of memory", NULL);
	set("LD_PRELOAD", preload);
	free(preload);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'H' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	char library[PATH_MAX];
	const char *mode;
	int opt;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+m:h:p:b:t:", longopts, NULL)) != -1) {
		switch (opt) {
		case 'm': set(SOCKREDIR_ENV_MODE, optarg); break;
		case 'h': set(SOCKREDIR_ENV_HOST, optarg); break;
		case 'p': set(SOCKREDIR_ENV_PORT, optarg); break;
		case 'b': set(SOCKREDIR_ENV_BUFFER, optarg); break;
		case 't': set(SOCKREDIR_ENV_TIMEOUT, optarg); break;
		case 'V':
			printf("sockredir %s\n", SOCKREDIR_VERSION);
			return 0;
		case 'H':
			usage(stdout);
			return 0;
		case '?':
			if (optopt == '?') {
				usage(stdout);
				return 0;
			}
			/* FALLTHROUGH */
		default:
			if (optopt != 0 && strchr("mhpbt", optopt) != NULL)
				fprintf(stderr, "sockredir: option -%c needs a value\n", optopt);
			else
				fprintf(stderr, "sockredir: unknown option %s\n", argv[optind - 1]);
			usage(stderr);
			return EXIT_LAUNCHER;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "sockredir: no program to run\n");
		usage(stderr);
		return EXIT_LAUNCHER;
	}
	mode = getenv(SOCKREDIR_ENV_MODE);
	if (mode == NULL || *mode == '\0')
		set(SOCKREDIR_ENV_MODE, "client");
	if (find_library(library, sizeof(library)) != 0)
		fail(EXIT_LAUNCHER, "cannot find " LIBRARY, library);
	append_preload(library);

	execvp(argv[optind], argv + optind);
	fprintf(stderr, "sockredir: cannot run %s: %s\n", argv[optind], strerror(errno));
	return errno == ENOENT ? EXIT_NOT_FOUND : EXIT_CANNOT_RUN;
}
