/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * legacy: an ordinary stdio program that knows nothing of sockets and never
 * calls fflush.  Its roles are the client side of the seed's five dialogs
 * (test-socket_stream_redirect.py, Programming Python ch. 12) and a few more
 * for the tests:
 *
 *   1..5        the seed's clients: 1 prints, 2 reads, 3 prints then reads
 *               (answers on stderr), 4 and 5 read then print
 *   hello       "legacy main ran" on stderr, "hello" on stdout
 *   hold        print a line, then wait for one on stdin, then print another
 *   reply1      for each input line: "result LINE"
 *   reply2      for each input line: a result line and a status line
 *   once        read one line, answer "pong LINE", exit
 *   bulk N      print N lines of 64 bytes (the benchmark's bulk output)
 *   blast N     write N pseudo-random bytes; "sent N fnv H" on stderr
 *   fds         "fds: ..." (the open descriptors) on stderr and stdout; a
 *               descriptor above 2 is shown with ":cloexec" if it is, and
 *               one from 2 up ":conn" if it is the same socket as fd 0 or fd 1
 *   ask         "asking" and then the prompt "name? " (no newline) on
 *               stderr; read a line; "hello LINE" on stdout
 *   fdsto PATH  the same line into the file PATH only (whatever fds 1 and 2 are)
 *   interleave  stdout and stderr in turns, with partial lines, through
 *               printf, fputs, puts, fwrite, putchar, write, perror, warnx,
 *               and 200 alternating lines; ends with "last" on stderr and
 *               no newline.  One transcript, in the order written (see
 *               bats/stderr.bats)
 *   fclose N    blast N bytes, then fclose(stdin) and fclose(stdout), and
 *               return from main: the program ends holding neither
 *   closeall N  close every descriptor above 2 by the usual means (close of
 *               each number up to 1023, dup2 onto one, closefrom, close_range),
 *               then blast N bytes
 *   mixed       printf, write(1), printf: three lines that must keep their order
 *   spawns      a line before and after each of fork, system, popen, posix_spawn,
 *               and the children's own lines in between; then exec echo
 *   vfork       print "before vfork", vfork; the child writes "from the vfork
 *               child" and exits by raw system calls (so nothing of the shim
 *               runs in it), the parent waits and prints "after vfork"
 *   pclose      print a line, popen cat, print another, give cat a line,
 *               pclose (which waits for cat inside the libc), print a third
 *   rawwait     print "first", wait for a line by a raw read system call
 *               (which no wrapper sees, as no libc-internal call is seen),
 *               print "second [LINE]"
 *   threads     4 threads print "thread T line N" 10,000 times each
 *   ticks N [P] compute (no system call) for P ms (100), then print
 *               "tick I MS" with MS the monotonic clock in ms; N times
 *   trickle N   print N lines of 64 bytes, 100 us of computing apart, and exit
 *   unlocked    fputs_unlocked "tick MS" (MS as for ticks), compute 300 ms, exit
 *   sleepy      print "first", then sleep 1 s
 *   idle        print "ready", then wait for a line (the idle flusher sleeps)
 *   closed GATE print "closing", fclose stdin and stdout, say "closed" on
 *               stderr, then wait (10 s at most) until the file GATE exists
 *   nodelay     "nodelay N" on stderr: TCP_NODELAY of fd 1
 *   _exit       print a line, then _exit(0), which flushes no stdio buffer
 *   read_exit   read a line, print "read LINE", then _exit(0)
 *   killed      print a line, then die by SIGKILL
 *   maps NAME   "loaded" or "not loaded" on stderr: is NAME in our memory map
 */
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <pthread.h>
#include <spawn.h>
#include <time.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/stat.h>
#include <dirent.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char line[4096];

static const char *
read_line(void)
{
	if (fgets(line, sizeof(line), stdin) == NULL)
		exit(3);
	line[strcspn(line, "\n")] = '\0';
	return line;
}

static void
seed_client(int dialog)
{
	int pid = (int)getpid();

	for (int i = 0; i < 3; i++) {
		switch (dialog) {
		case 1:
			printf("client %d: %d\n", pid, i);
			break;
		case 2:
			printf("client %d got [%s]\n", pid, read_line());
			break;
		case 3:
			printf("client %d: %d\n", pid, i);
			fprintf(stderr, "client %d got [%s]\n", pid, read_line());
			break;
		default:
			printf("client %d got [%s]\n", pid, read_line());
		}
	}
}

static void
blast(unsigned long long bytes)
{
	uint64_t state = 88172645463325252ULL, hash = 0xcbf29ce484222325ULL;
	unsigned char chunk[8192];

	for (unsigned long long done = 0; done < bytes;) {
		size_t n = bytes - done < sizeof(chunk) ? (size_t)(bytes - done) :
		    sizeof(chunk);

		for (size_t i = 0; i < n; i++) {
			state ^= state << 13;
			state ^= state >> 7;
			state ^= state << 17;
			chunk[i] = (unsigned char)state;
			hash = (hash ^ chunk[i]) * 0x100000001b3ULL;
		}
		fwrite(chunk, 1, n, stdout);
		done += n;
	}
	fprintf(stderr, "sent %llu fnv %016jx\n", bytes, (uintmax_t)hash);
}

static int
same_socket(int fd, int other)
{
	struct stat a, b;

	return fstat(fd, &a) == 0 && fstat(other, &b) == 0 && S_ISSOCK(a.st_mode) &&
	    a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

static double
monotonic_ms(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)now.tv_sec * 1000 + (double)now.tv_nsec / 1e6;
}

static void *
print_lines(void *name)
{
	for (int i = 1; i <= 10000; i++)
		printf("thread %s line %d\n", (const char *)name, i);
	return NULL;
}

static void
spawns(void)
{
	extern char **environ;
	char *echo[] = { "echo", "from posix_spawn", NULL };
	FILE *pipe;
	pid_t child;

	printf("before fork\n");
	if ((child = fork()) == 0) {
		printf("from the child\n");
		exit(0);
	}
	waitpid(child, NULL, 0);
	printf("before system\n");
	(void)!system("echo from system");
	printf("before popen\n");
	if ((pipe = popen("cat", "w")) != NULL) {
		fputs("from popen\n", pipe);
		pclose(pipe);
	}
	printf("before posix_spawn\n");
	if (posix_spawnp(&child, "echo", NULL, NULL, echo, environ) == 0)
		waitpid(child, NULL, 0);
	printf("before exec\n");
	execlp("echo", "echo", "from exec", (char *)NULL);
}

/*
 * Only vfork's own flush can send "before vfork" ahead of the child's line:
 * the child shares stdout's buffer but calls nothing of the shim (a write or
 * an exec through libc would flush it there).
 */
static void
vfork_raw_child(void)
{
	static const char from_child[] = "from the vfork child\n";
	pid_t child;

	printf("before vfork\n");
	if ((child = vfork()) == 0) {
		syscall(SYS_write, STDOUT_FILENO, from_child, sizeof(from_child) - 1);
		syscall(SYS_exit, 0);
	}
	if (child > 0)
		waitpid(child, NULL, 0);
	printf("after vfork\n");
}

/* No fflush anywhere: the order is the shim's to keep. */
static void
interleave(void)
{
	printf("out1 ");
	fprintf(stderr, "err1 ");
	printf("out2\n");
	fprintf(stderr, "err2 ");
	fputs("out3 ", stdout);
	fputs("err3\n", stderr);
	puts("out4");
	fwrite("err4\n", 1, 5, stderr);
	putchar('o');
	putc('5', stdout);
	fputc(' ', stdout);
	(void)!write(STDERR_FILENO, "err5\n", 5);
	printf("out6 ");
	errno = ENOENT;
	perror("err6");
	fprintf(stderr, "err7 ");
	(void)!write(STDOUT_FILENO, "out7\n", 5);
	printf("out8 ");
	warnx("err8");
	for (int i = 0; i < 100; i++) {
		printf("out line %d\n", i);
		fprintf(stderr, "err line %d\n", i);
	}
	fprintf(stderr, "last");
}

static void
list_fds(const char *path)
{
	char list[1024] = "fds:";
	DIR *dir = opendir("/proc/self/fd");
	struct dirent *entry;
	int fd[256], n = 0;

	if (dir == NULL)
		exit(4);
	while ((entry = readdir(dir)) != NULL && n < 256)
		if (entry->d_name[0] != '.' && atoi(entry->d_name) != dirfd(dir))
			fd[n++] = atoi(entry->d_name);
	closedir(dir);
	for (int i = 0; i < n; i++)	/* readdir's order is the kernel's */
		for (int j = i + 1; j < n; j++)
			if (fd[j] < fd[i]) {
				int t = fd[i];
				fd[i] = fd[j];
				fd[j] = t;
			}
	for (int i = 0; i < n; i++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list), " %d%s%s",
		    fd[i], fd[i] > 2 && (fcntl(fd[i], F_GETFD) & FD_CLOEXEC) ? ":cloexec" : "",
		    fd[i] >= 2 && (same_socket(fd[i], 0) || same_socket(fd[i], 1)) ? ":conn" : "");
	if (path != NULL) {
		FILE *file = fopen(path, "w");

		if (file == NULL || fprintf(file, "%s\n", list) < 0 || fclose(file) != 0)
			exit(4);
		return;
	}
	fprintf(stderr, "%s\n", list);
	printf("%s\n", list);
}

int
main(int argc, char **argv)
{
	const char *role = argc > 1 ? argv[1] : "";

	if (role[0] >= '1' && role[0] <= '5' && role[1] == '\0')
		seed_client(role[0] - '0');
	else if (strcmp(role, "hello") == 0) {
		fprintf(stderr, "legacy main ran\n");
		printf("hello\n");
	} else if (strcmp(role, "hold") == 0) {
		printf("first\n");
		printf("second [%s]\n", read_line());
	} else if (strcmp(role, "reply1") == 0) {
		while (fgets(line, sizeof(line), stdin) != NULL)
			printf("result %s", line);
	} else if (strcmp(role, "once") == 0) {
		printf("pong %s\n", read_line());
	} else if (strcmp(role, "bulk") == 0 && argc > 2) {
		long n = atol(argv[2]);

		for (long i = 0; i < n; i++)
			printf("%08ld %054d\n", i, 0);
	} else if (strcmp(role, "reply2") == 0) {
		while (fgets(line, sizeof(line), stdin) != NULL) {
			line[strcspn(line, "\n")] = '\0';
			printf("result %s\n", line);
			printf("status ok\n");
		}
	} else if (strcmp(role, "blast") == 0 && argc > 2)
		blast(strtoull(argv[2], NULL, 10));
	else if (strcmp(role, "fds") == 0)
		list_fds(NULL);
	else if (strcmp(role, "fdsto") == 0 && argc > 2)
		list_fds(argv[2]);
	else if (strcmp(role, "interleave") == 0)
		interleave();
	else if (strcmp(role, "ask") == 0) {
		fprintf(stderr, "asking\n");
		fprintf(stderr, "name? ");
		printf("hello %s\n", read_line());
	}
	else if (strcmp(role, "nodelay") == 0) {
		int on = -1;
		socklen_t len = sizeof(on);

		getsockopt(1, IPPROTO_TCP, TCP_NODELAY, &on, &len);
		fprintf(stderr, "nodelay %d\n", on);
	} else if (strcmp(role, "maps") == 0 && argc > 2) {
		FILE *maps = fopen("/proc/self/maps", "r");
		int found = 0;

		while (maps != NULL && fgets(line, sizeof(line), maps) != NULL)
			found |= strstr(line, argv[2]) != NULL;
		fprintf(stderr, "%s\n", found ? "loaded" : "not loaded");
		printf("main ran\n");
	} else if (strcmp(role, "fclose") == 0 && argc > 2) {
		blast(strtoull(argv[2], NULL, 10));
		fclose(stdin);
		fclose(stdout);
	} else if (strcmp(role, "closeall") == 0 && argc > 2) {
		for (int fd = 3; fd < 1024; fd++)
			close(fd);
		dup2(STDERR_FILENO, 100);
#ifdef __GLIBC__	/* musl has neither */
		closefrom(3);
		close_range(3, ~0U, 0);
#endif
		blast(strtoull(argv[2], NULL, 10));
	} else if (strcmp(role, "mixed") == 0) {
		printf("one\n");
		(void)!write(STDOUT_FILENO, "two\n", 4);
		printf("three\n");
	} else if (strcmp(role, "spawns") == 0) {
		spawns();
	} else if (strcmp(role, "vfork") == 0) {
		vfork_raw_child();
	} else if (strcmp(role, "pclose") == 0) {
		FILE *pipe;

		printf("before popen\n");
		if ((pipe = popen("cat", "w")) != NULL) {
			printf("after popen\n");
			fputs("from popen\n", pipe);
			pclose(pipe);
		}
		printf("after pclose\n");
	} else if (strcmp(role, "rawwait") == 0) {
		long n;

		printf("first\n");
		n = syscall(SYS_read, STDIN_FILENO, line, sizeof(line) - 1);
		line[n > 0 ? n : 0] = '\0';
		line[strcspn(line, "\n")] = '\0';
		printf("second [%s]\n", line);
	} else if (strcmp(role, "threads") == 0) {
		char *names[] = { "a", "b", "c", "d" };
		pthread_t thread[4];

		for (int i = 0; i < 4; i++)
			pthread_create(&thread[i], NULL, print_lines, names[i]);
		for (int i = 0; i < 4; i++)
			pthread_join(thread[i], NULL);
	} else if (strcmp(role, "ticks") == 0 && argc > 2) {
		double period = argc > 3 ? atof(argv[3]) : 100;

		for (int i = 1; i <= atoi(argv[2]); i++) {
			double until = monotonic_ms() + period;

			while (monotonic_ms() < until)
				;
			printf("tick %d %.3f\n", i, monotonic_ms());
		}
	} else if (strcmp(role, "trickle") == 0 && argc > 2) {
		for (long i = 0; i < atol(argv[2]); i++) {
			double until = monotonic_ms() + 0.1;

			while (monotonic_ms() < until)
				;
			printf("%08ld %054d\n", i, 0);
		}
	} else if (strcmp(role, "unlocked") == 0) {
		double until;

		snprintf(line, sizeof(line), "tick 1 %.3f\n", monotonic_ms());
		fputs_unlocked(line, stdout);
		for (until = monotonic_ms() + 300; monotonic_ms() < until;)
			;
	} else if (strcmp(role, "sleepy") == 0) {
		printf("first\n");
		sleep(1);
	} else if (strcmp(role, "idle") == 0) {
		printf("ready\n");
		read_line();
	} else if (strcmp(role, "closed") == 0 && argc > 2) {
		printf("closing\n");
		fclose(stdin);
		fclose(stdout);
		fprintf(stderr, "closed\n");
		for (int i = 0; i < 1000 && access(argv[2], F_OK) != 0; i++)
			usleep(10000);
	} else if (strcmp(role, "read_exit") == 0) {
		printf("read %s\n", read_line());
		_exit(0);
	} else if (strcmp(role, "_exit") == 0) {
		printf("before _exit\n");
		_exit(0);
	} else if (strcmp(role, "killed") == 0) {
		printf("before the signal\n");
		raise(SIGKILL);
	} else {
		fprintf(stderr, "legacy: unknown role [%s]\n", role);
		return 2;
	}
	return 0;
}
