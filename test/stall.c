/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libstall.so: a test preload, placed before the shim, that holds up one
 * connect so a test can change the world in the middle of the shim's work.
 * A connect to the Unix socket STALL_PATH creates STALL_DIR/stalled, waits
 * (10 s at most) until STALL_DIR/go exists, then goes on.
 */
#include <sys/socket.h>
#include <sys/un.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int
connect(int fd, const struct sockaddr *address, socklen_t length)
{
	int (*real)(int, const struct sockaddr *, socklen_t) =
	    (int (*)(int, const struct sockaddr *, socklen_t))dlsym(RTLD_NEXT, "connect");
	const char *path = getenv("STALL_PATH"), *dir = getenv("STALL_DIR");
	char name[PATH_MAX];

	if (path != NULL && dir != NULL && address->sa_family == AF_UNIX &&
	    strcmp(((const struct sockaddr_un *)address)->sun_path, path) == 0) {
		snprintf(name, sizeof(name), "%s/stalled", dir);
		close(open(name, O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
		snprintf(name, sizeof(name), "%s/go", dir);
		for (int i = 0; i < 1000 && access(name, F_OK) != 0; i++)
			usleep(10000);
	}
	return real(fd, address, length);
}
