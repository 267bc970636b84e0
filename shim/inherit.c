/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What a child finds in the environment, read and written without system
 * calls: the SOCKREDIR_STREAM value that tells it someone has connected, and
 * the LD_PRELOAD list with our own relative entry made absolute.  environ.c
 * does the getenv and setenv around these.
 */
#include <limits.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "shim.h"

/* "PID:DEV:INO"; set at all means "someone already connected". */
int
parse_stream_value(const char *value, struct stream_id *id)
{
	char *end;
	intmax_t pid;
	uintmax_t dev, ino;

	memset(id, 0, sizeof(*id));
	if (value == NULL || *value == '\0')
		return 0;
	/* Garbage leaves the identity zero, which matches no descriptor. */
	pid = strtoimax(value, &end, 10);
	if (*end != ':')
		return 1;
	dev = strtoumax(end + 1, &end, 10);
	if (*end != ':')
		return 1;
	ino = strtoumax(end + 1, &end, 10);
	if (*end != '\0')
		return 1;
	id->pid = (pid_t)pid;
	id->dev = (dev_t)dev;
	id->ino = (ino_t)ino;
	return 1;
}

/* ld.so separates LD_PRELOAD entries by blanks or colons. */
#define PRELOAD_SEPARATORS " :\t"

static int
is_own_relative_entry(const char *entry, size_t len, const char *self,
    char *(*resolve)(const char *, char *))
{
	char path[PATH_MAX], resolved[PATH_MAX];

	if (entry[0] == '/' || memchr(entry, '/', len) == NULL || len >= PATH_MAX)
		return 0;
	memcpy(path, entry, len);
	path[len] = '\0';
	return resolve(path, resolved) != NULL && strcmp(resolved, self) == 0;
}

/*
 * A relative entry ("build/libsockredir.so") stops working for a child that
 * changes directory; ours, only ours (the entry RESOLVE, realpath(3) in the
 * shim, turns into SELF), is rewritten as SELF, keeping the separators and
 * the other entries as they were.  Returns 1 with *rewritten malloc'ed, 0
 * when nothing is to change, -1 out of memory.
 */
int
rewrite_preload(const char *preload, const char *self,
    char *(*resolve)(const char *, char *), char **rewritten)
{
	size_t size = strlen(preload) + 1, used = 0;
	char *text = malloc(size), *grown;
	int changed = 0;

	if (text == NULL)
		return -1;
	for (const char *p = preload; *p != '\0';) {
		size_t len = strchr(PRELOAD_SEPARATORS, *p) != NULL ? 1 :
		    strcspn(p, PRELOAD_SEPARATORS);
		const char *piece = p;
		size_t piecelen = len;

		if (is_own_relative_entry(p, len, self, resolve)) {
			piece = self;
			piecelen = strlen(self);
			size += piecelen;
			if ((grown = realloc(text, size)) == NULL) {
				free(text);
				return -1;
			}
			text = grown;
			changed = 1;
		}
		memcpy(text + used, piece, piecelen);
		used += piecelen;
		p += len;
	}
	text[used] = '\0';
	if (!changed) {
		free(text);
		return 0;
	}
	*rewritten = text;
	return 1;
}
