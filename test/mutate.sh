#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# make mutate: mutation testing.  Each mutant below breaks one guarantee of
# SPEC.md with a small textual edit; the tests that cover the guarantee must
# then fail (the mutant is "killed").  A mutant the tests let through
# ("survived") is a test that passes with its behaviour broken.
#
#   test/mutate.sh [-c] [-n RUNS] [-k] [-t TESTS [-f FILTER]] [NAME-REGEX]
#     -c          only check that every mutant still applies, run nothing
#     -t, -f      run these tests (bats files, a bats -f regex) instead of
#                 each mutant's own: does a new test kill an old mutant?
#     -n RUNS     run each mutant's tests RUNS times; killed only if killed
#                 every time (to prove a timing test is not a coin toss)
#     -k          keep the copy of the tree (its path is printed)
#     NAME-REGEX  only the mutants whose name matches (grep -E)
#   MUTATE_TIMEOUT=SECONDS bounds one run of a mutant's tests (180): a
#   mutant that makes a test hang counts as killed when the bound ends it.
#
# The working tree is never touched: the script copies it (uncommitted
# edits included, build outputs left out) to a temporary directory, builds
# there once, then for each mutant edits the copy, rebuilds what changed
# (the library or the launcher), runs only the bats tests named for it, and
# restores the file.  A mutant's tests stop at their first failure.  Before
# any mutant, each distinct set of tests runs once unmutated: a test that
# fails already would kill mutants for nothing.
#
# A mutant whose tests all skip on this machine (not root, a tool missing)
# is reported "not run", not survived.
#
# Ends with "N killed, N survived".  Exit status: 0 when every survivor is
# one listed as unkillable below, 1 when any other survived, 2 when a mutant
# no longer applies (its text is gone or not unique, its test filter matches
# nothing, it does not build) or the unmutated tests fail.
#
# Adding a mutant: one call
#   mutant NAME FILE OLD NEW TESTS [FILTER]
# NAME says which guarantee breaks; OLD is an exact string that must occur
# exactly once in FILE (part of a line is enough; $'...' for tabs and
# newlines); NEW replaces it; TESTS are bats files (without bats/),
# space-separated; FILTER is a regex for bats -f.  A mutant that no test can
# kill is declared with "unkillable REASON" on the line before it.
set -u

names=() files=() olds=() news=() tests=() filters=() reasons=()
reason=

unkillable() {
	reason=$1
}

mutant() {
	(($# == 5 || $# == 6)) || { echo "mutate: bad mutant entry: $1" >&2; exit 2; }
	names+=("$1") files+=("$2") olds+=("$3") news+=("$4") tests+=("$5")
	filters+=("${6:-}") reasons+=("$reason")
	reason=
}

# ---------------------------------------------------------------- mutants
# Each mode's redirection.
mutant "out: fd 0 is redirected too" shim/config.c \
	'return mode != SOCKREDIR_OUT;' 'return 1;' \
	guarantees.bats 'fd 0 closed, out mode keeps fd 0 closed'
mutant "in: fd 1 is redirected too" shim/config.c \
	'return mode != SOCKREDIR_IN;' 'return 1;' \
	guarantees.bats 'fd 1 closed, in mode keeps fd 1 closed'
mutant "client: only fd 1 is redirected" shim/config.c \
	'{ "client", SOCKREDIR_CLIENT },' '{ "client", SOCKREDIR_OUT },' \
	seed.bats 'dialog 3'
mutant "both: not the same mode as client" shim/config.c \
	'{ "both", SOCKREDIR_CLIENT },' '{ "both", SOCKREDIR_OUT },' \
	seed.bats 'both is the same mode as client'
mutant "server: connects instead of listening" shim/config.c \
	'{ "server", SOCKREDIR_SERVER },' '{ "server", SOCKREDIR_CLIENT },' \
	errors.bats 'a server whose port is in use'
mutant "inetd: the listener serves the first connection itself, no fork" shim/inetd.c \
	$'if ((child = fork()) == 0)\n\t\t\treturn become_copy' $'if ((child = 0) == 0)\n\t\t\treturn become_copy' \
	inetd.bats '^SIGINT stops the listener'
mutant "fds 0 and 1 redirected close-on-exec: an exec'd program loses them" shim/stdio.c \
	'} else if (dup2(stream, fd) == -1)' '} else if (dup3(stream, fd, O_CLOEXEC) == -1)' \
	guarantees.bats 'close-on-exec cleared'
unkillable "reserve_standard_fds holds a closed fd 0 or 1 with /dev/null while the shim opens its sockets, so the stream is never fd 0 or 1 unless /dev/null cannot be opened"
mutant "a stream created as fd 0 keeps close-on-exec" shim/stdio.c \
	'if (fcntl(fd, F_SETFD, 0) == -1)' 'if (0)' \
	guarantees.bats 'close-on-exec cleared'

# NODELAY and buffering.
mutant "NODELAY: never set" shim/sockredir.c \
	'set_nodelay(stream);' '(void)stream;' \
	programs.bats 'TCP_NODELAY is set unless BUFFER=full'
mutant "NODELAY: set with BUFFER=full too" shim/sockredir.c \
	'if (config.buffer != SOCKREDIR_BUFFER_FULL)' 'if (1)' \
	launcher.bats '^-b sets the buffering'
mutant "BUFFER=line: stdout left fully buffered" shim/stdio.c \
	'setvbuf(stdout, NULL, _IOLBF, BUFSIZ);' 'setvbuf(stdout, NULL, _IOFBF, BUFSIZ);' \
	programs.bats '^line buffering'
mutant "BUFFER=full: line buffered instead" shim/stdio.c \
	'setvbuf(stdout, NULL, _IOFBF, BUFSIZ);' 'setvbuf(stdout, NULL, _IOLBF, BUFSIZ);' \
	programs.bats '^BUFFER=full holds output back'
mutant "BUFFER=none: line buffered instead" shim/stdio.c \
	'setvbuf(stdout, NULL, _IONBF, 0);' 'setvbuf(stdout, NULL, _IOLBF, BUFSIZ);' \
	programs.bats '^BUFFER=none sends a partial line'
mutant "a child whose stdout is the socket keeps full buffering" shim/sockredir.c \
	$'\t\tset_stdout_buffering(buffer, stream);' $'\t\t(void)buffer;' \
	guarantees.bats 'a child gets line buffering'

# BUFFER=auto.
mutant "auto: stdout line buffered, a reply of two lines in two sends" shim/autoflush.c \
	'setvbuf(stdout, NULL, _IOFBF, BUFSIZ);' 'setvbuf(stdout, NULL, _IOLBF, BUFSIZ);' \
	auto.bats 'a reply of two lines leaves in one send'
mutant "auto: the idle flush waits 1 s, not 10 ms" shim/autoflush.c \
	'due = since + IDLE_FLUSH_MS * 1000000LL;' 'due = since + 1000 * 1000000LL;' \
	auto.bats 'computes and prints every 100 ms'
mutant "auto: the idle flush counts from the newest output, not the oldest byte pending" shim/autoflush.c \
	'if (pending < before)' 'if (pending != 0)' \
	auto.bats 'counts from the oldest byte pending'
mutant "auto: _exit loses what stdout holds" shim/interpose.c \
	$'autoflush_stop();\n\t\tautoflush_now();' 'autoflush_stop();' \
	auto.bats '^auto: a line before _exit is sent'
mutant "auto: exec loses what stdout holds" shim/interpose.c \
	$'if (autoflush_active)\n\t\tautoflush_now();\n\tend_conversation_before_exec();' \
	'end_conversation_before_exec();' \
	auto.bats 'around fork, system, popen'
mutant "auto: stdio input does not send what stdout holds first" shim/autoflush.c \
	$'\t\treturn;\n\tautoflush_now();\n}' $'\t\treturn;\n}' \
	auto.bats 'not 10 ms later'
mutant "auto: the flusher is not stopped at a child's exit (exit's flush races it)" \
	shim/autoflush.c 'atexit(autoflush_stop);' '(void)0;' \
	auto.bats '40 children printing and exiting'
mutant "auto: the flusher flushes beside a program writing without stdout's lock" \
	shim/autoflush.c 'atomic_store(&unlocked_stdio, 1);' '(void)0;' \
	auto.bats 'flusher keeps away'
mutant "auto: the flusher keeps waking while nothing is pending" shim/autoflush.c \
	'#define WATCH_ROUNDS 3' '#define WATCH_ROUNDS 1000000' \
	auto.bats 'no wake-ups while the program waits'
mutant "auto: the flusher takes the program's signals" shim/autoflush.c \
	'sigfillset(&all);' 'sigemptyset(&all);' \
	auto.bats 'signals still reach the program'
mutant "auto: vfork does not send what stdout holds first (the stub jumps straight on)" \
	shim/interpose_io.c $'\tif (ACTIVE)\n\t\tFLUSH_IF(1);\n\treturn real_function(&real_vfork, "vfork");' \
	$'\treturn real_function(&real_vfork, "vfork");' \
	auto.bats 'a line before vfork'
mutant "auto: pclose waits for its child with what stdout holds still held" shim/interpose_io.c \
	'WAIT(int, pclose, (FILE *stream), (stream))' \
	'WRAP(int, pclose, (FILE *stream), (stream), NOTHING, NOTHING)' \
	auto.bats 'a line before pclose'
mutant "auto: sleep leaves what stdout holds to the idle flush" shim/interpose_io.c \
	'WAIT(unsigned, sleep, (unsigned seconds), (seconds))' \
	'WRAP(unsigned, sleep, (unsigned seconds), (seconds), NOTHING, NOTHING)' \
	auto.bats 'before sleep is sent by the program'
mutant "auto: a direct write overtakes what stdout holds" shim/autoflush.c \
	$'if (fd == STDOUT_FILENO || fd == STDIN_FILENO ||\n\t    (stderr_ordered && fd == STDERR_FILENO) || fd_is_stream(fd, &connection))' \
	'if (0)' \
	auto.bats 'printf, write\(1\) and printf keep their order'

# The exit path and LINGER.
mutant "LINGER forced to 2 s" shim/exitpath.c \
	'exit_linger_ms = linger_ms;' 'exit_linger_ms = 2000;' \
	faults.bats 'the exit path ends after LINGER'
mutant "LINGER=0 still drains" shim/exitpath.c \
	'if (exit_linger_ms > 0) {' 'if (1) { exit_linger_ms += 2000;' \
	guarantees.bats '^LINGER=0 closes at once'
# (A peer that reads slowly: on loopback a fast one has every byte before the reset.)
mutant "exit path: no drain, unread input resets the connection" shim/exitpath.c \
	'drain_until_peer_closes(fd, exit_linger_ms);' '(void)drain_until_peer_closes;' \
	exitpath.bats '^head -c 2 MiB \(client'
mutant "exit path: no write shutdown, the peer waits for EOF until LINGER" shim/exitpath.c \
	'shutdown(fd, SHUT_WR);' '(void)fd;' \
	faults.bats 'shuts down the write side'
mutant "exit path: stdout not flushed before the shutdown" shim/exitpath.c \
	$'\t\tfflush(stdout);\n\t}' $'\t\t(void)flush_stdout;\n\t}' \
	faults.bats '^exit sends what stdout holds'
mutant "exit path: not run at exit" shim/exitpath.c \
	'return atexit(end_conversation_at_exit);' 'return 0;' \
	exitpath.bats '^head -c 2 MiB \(client'
mutant "exit path: _exit skips it" shim/interpose.c \
	'end_conversation(0);' '(void)0;' \
	exitpath.bats '^_exit from C ends the conversation'
mutant "exit path: an exec that takes the connection away skips it" shim/exitpath.c \
	$'&exit_stream))\n\t\tend_conversation(0);' $'&exit_stream))\n\t\t(void)0;' \
	exitpath.bats 'closes fds 0 and 1 and execs a program'
mutant "exit path: lost after the connecting process execs" shim/sockredir.c \
	'if (stream->pid == getpid()) {' 'if (0) {' \
	guarantees.bats 'holds after the connecting process execs'
mutant "exit descriptor: the program may close it" shim/interpose.c \
	'if (fd == exit_fd_number() && fd != -1) {' 'if (0) {' \
	exitpath.bats 'closes every descriptor above 2'
mutant "exit descriptor: dup2 onto it replaces it" shim/interpose.c \
	$'dup2(int oldfd, int newfd)\n{\n\tif (' $'dup2(int oldfd, int newfd)\n{\n\tif (0 && ' \
	exitpath.bats 'closes every descriptor above 2'
mutant "exit descriptor: close_range and closefrom close it" shim/interpose.c \
	'if (fd == -1 || (unsigned)fd < first' 'if (1 || (unsigned)fd < first' \
	exitpath.bats 'closes every descriptor above 2'
mutant "exit descriptor: not close-on-exec" shim/exitpath.c \
	'int fd = fcntl(stream, F_DUPFD_CLOEXEC, EXIT_FD_FLOOR);' \
	'int fd = fcntl(stream, F_DUPFD, EXIT_FD_FLOOR);' \
	guarantees.bats 'no descriptor leaks: a client-mode'
mutant "exit descriptor: the lowest free number, not from 100 up" shim/exitpath.c \
	'#define EXIT_FD_FLOOR 100' '#define EXIT_FD_FLOOR 3' \
	guarantees.bats 'no descriptor leaks: a client-mode'

# Children, CLOEXEC, secure execution, fd 2.
mutant "children connect again" shim/sockredir.c \
	'if (inherited_stream(&stream_id)) {' 'if (0) {' \
	guarantees.bats 'children never connect again'
mutant "children are not told of the stream (SOCKREDIR_STREAM)" shim/sockredir.c \
	'mark_stream(&stream_id) == -1 ||' '' \
	guarantees.bats 'children never connect again'
mutant "CLOEXEC: the listening sockets stay open in server mode" shim/connect.c \
	$'\t\tclose(fds[i]);' $'\t\t(void)fds[i];' \
	guarantees.bats 'no descriptor leaks: a server-mode'
mutant "AT_SECURE ignored" shim/sockredir.c \
	"*mode == '\\0' || getauxval(AT_SECURE))" "*mode == '\\0')" \
	security.bats '^secure execution'
mutant "fd 2 not reserved: a listener may take it" shim/stdio.c \
	'for (int fd = 0; fd <= 2; fd++) {' 'for (int fd = 0; fd <= 1; fd++) {' \
	edges.bats 'fd 2 closed: an inetd listener refuses'
unkillable "the fd reservation keeps every socket of the shim off fd 2, so writing to a closed fd 2 only fails with EBADF; the flag is the second line of defence"
mutant "report writes to fd 2 even when it was closed at start" shim/report.c \
	'if (!stderr_was_open)' 'if (0)' \
	edges.bats 'fd 2 closed'

# Errors and validation.
# (The tests are in client modes: the mutant connects as they do.)
mutant "validation after the connection: its error wins" shim/sockredir.c \
	$'if ((code = sockredir_parse_config(&config, environment, why, sizeof(why))) != 0)\n\t\tfail(code, why);' \
	$'if ((code = sockredir_parse_config(&config, environment, why, sizeof(why))) != 0 &&\n\t    (stream = connect_out(&config, why, sizeof(why))) < 0)\n\t\tfail(-stream, why);\n\telse if (code != 0)\n\t\tfail(code, why);' \
	errors.bats 'validated before'
mutant "an empty SOCKREDIR_MODE is not inactive" shim/sockredir.c \
	"if (mode == NULL || *mode == '\\0' || getauxval" 'if (mode == NULL || getauxval' \
	errors.bats 'inactive when MODE is unset or empty'
mutant "mode names matched without regard to case" shim/config.c \
	'if (strcmp(value, mode_names[i].name) == 0) {' \
	'if (strcasecmp(value, mode_names[i].name) == 0) {' \
	errors.bats 'mode names are lower case'
mutant "port 0 accepted" shim/config.c \
	'if (sockredir_parse_decimal(value, 1, 65535, &number) == 0) {' \
	'if (sockredir_parse_decimal(value, 0, 65535, &number) == 0) {' \
	errors.bats '^bad ports are EX_USAGE'
mutant "64: a bad value is EX_UNAVAILABLE" shim/config.c \
	$'snprintf(why, whylen, "%s=\\"%s\\": %s", name, quoted, reason);\n\treturn EX_USAGE;' \
	$'snprintf(why, whylen, "%s=\\"%s\\": %s", name, quoted, reason);\n\treturn EX_UNAVAILABLE;' \
	errors.bats 'unknown mode is EX_USAGE'
mutant "68: an unresolvable host is EX_UNAVAILABLE" shim/address.c \
	'return EX_NOHOST;' 'return EX_UNAVAILABLE;' \
	errors.bats 'EX_NOHOST'
mutant "69: a refused connection is EX_OSERR" shim/codes.c \
	$'default:\n\t\treturn EX_UNAVAILABLE;' $'default:\n\t\treturn EX_OSERR;' \
	errors.bats 'refused connection is EX_UNAVAILABLE'
mutant "71: a failing accept is EX_UNAVAILABLE" shim/sockredir.c \
	$'snprintf(why, whylen, "accept on %s: %s", endpoint, strerror(errno));\n\t\treturn -EX_OSERR;' \
	$'snprintf(why, whylen, "accept on %s: %s", endpoint, strerror(errno));\n\t\treturn -EX_UNAVAILABLE;' \
	errors.bats 'EX_OSERR \(71\)'
mutant "DEBUG=1 says nothing" shim/sockredir.c \
	'report_connection(&config, stream);' '(void)0;' \
	guarantees.bats '^DEBUG=1 adds one stderr line'

# TIMEOUT: retry and give up.
mutant "TIMEOUT ignored: a client tries once" shim/connect.c \
	$'int64_t deadline = timeout_ms > 0 ? deadline_after(timeout_ms) : 0;\n\tint backoff_ms' \
	$'int64_t deadline = 0;\n\tint backoff_ms' \
	connect.bats 'retries until it is there'
mutant "TIMEOUT: a client gives up five times too late" shim/connect.c \
	$'int64_t deadline = timeout_ms > 0 ? deadline_after(timeout_ms) : 0;\n\tint backoff_ms' \
	$'int64_t deadline = timeout_ms > 0 ? deadline_after(timeout_ms * 5) : 0;\n\tint backoff_ms' \
	connect.bats 'gives up after the timeout'
mutant "TIMEOUT: a refused connect is not retried" shim/connect.c \
	'retry |= worth_retrying(error);' 'retry = 0;' \
	connect.bats 'gives up after the timeout'
mutant "TIMEOUT: a server gives up five times too late" shim/connect.c \
	$'int64_t deadline = timeout_ms > 0 ? deadline_after(timeout_ms) : 0;\n\tint stream' \
	$'int64_t deadline = timeout_ms > 0 ? deadline_after(timeout_ms * 5) : 0;\n\tint stream' \
	errors.bats 'nobody calls within TIMEOUT'
mutant "launcher: -t ignored" launcher/sockredir.c \
	'case '"'t'"': set(SOCKREDIR_ENV_TIMEOUT, optarg); break;' 'case '"'t'"': break;' \
	launcher.bats '^-t sets the timeout'
mutant "launcher: the library put before the entries already in LD_PRELOAD" launcher/sockredir.c \
	'asprintf(&preload, "%s:%s", old, library)' 'asprintf(&preload, "%s:%s", library, old)' \
	launcher.bats 'existing LD_PRELOAD is kept'

# inetd: MAX, ALLOW, SIGTERM.
mutant "MAX parsed but ignored" shim/config.c \
	'config->max_children = (unsigned)max;' '(void)max;' \
	inetd.bats '^MAX:'
mutant "ALLOW ignored" shim/inetd.c \
	'if (!sockredir_allow_match(' 'if (0 && !sockredir_allow_match(' \
	inetd.bats '^ALLOW:'
mutant "SIGTERM kills the listener (no handler)" shim/inetd.c \
	'stop_signals[] = { SIGTERM, SIGINT, SIGHUP };' 'stop_signals[] = { SIGHUP, SIGINT, SIGHUP };' \
	inetd.bats '^SIGTERM:'
mutant "SIGINT kills the listener (no handler)" shim/inetd.c \
	'stop_signals[] = { SIGTERM, SIGINT, SIGHUP };' 'stop_signals[] = { SIGTERM, SIGHUP, SIGHUP };' \
	inetd.bats '^SIGINT stops the listener'
mutant "SIGTERM: the listener exits before its children end" shim/inetd.c \
	'if (l.stopping && l.ncopies == 0 && l.running == 0 && l.nwaiting == 0)' 'if (l.stopping)' \
	inetd.bats '^SIGTERM:'
mutant "SIGHUP kills the listener (no handler)" shim/inetd.c \
	'stop_signals[] = { SIGTERM, SIGINT, SIGHUP };' 'stop_signals[] = { SIGTERM, SIGINT, SIGINT };' \
	inetd.bats '^SIGHUP:'
mutant "MAX_PER_PEER: one copy more than allowed" shim/inetd.c \
	'copies_for(l, &key) >= config->max_per_peer) {' 'copies_for(l, &key) > config->max_per_peer) {' \
	limits.bats 'a third copy for 127.0.0.1 is refused'
mutant "SESSION_TIMEOUT: SIGTERM to the copy alone, not its process group" shim/inetd.c \
	'kill(-copy->pid, SIGTERM);' 'kill(copy->pid, SIGTERM);' \
	limits.bats "SIGTERM to the copy's process group"
mutant "SESSION_TIMEOUT: SIGKILL to the copy alone, not what it left behind" shim/inetd.c \
	'kill(-copy->pid, SIGKILL);' 'kill(copy->pid, SIGKILL);' \
	limits.bats 'what the copy started and left behind'

# Service managers and proxies: socket activation, attach, PROXY.
mutant "activation: LISTEN_PID left for the copies" shim/activation.c \
	'unsetenv(SOCKREDIR_ENV_LISTEN_PID);' '(void)0;' \
	activation.bats 'LISTEN_\* removed for the copies'
mutant "activation: a passed socket that is not listening is taken" shim/activation.c \
	'if (!is_listening_stream(fd) ||' 'if (0 ||' \
	activation.bats 'not a listening socket is EX_USAGE'
mutant "attach: fds 0 and 1 may be two connections" shim/attach.c \
	'input.dev != output.dev || input.ino != output.ino) {' '0) {' \
	attach.bats 'not one connected stream socket is EX_USAGE'
mutant "PROXY: the header's client not described, the proxy is" shim/environ.c \
	'proxied = header->addressed;' 'proxied = 0;' \
	proxy.bats '^server: a v1 header and the payload in one segment'
mutant "PROXY behind TLS termination: the balancer described, not the TLS client" shim/environ.c \
	'proxied = header->addressed;' 'proxied = 0;' \
	deploy.bats 'haproxy-tls.cfg'

# The peer description (UCSPI) and the environment.
mutant "UCSPI: TCPREMOTEIP not set" shim/environ.c \
	'PUT(remote_ip_slot, TCPREMOTEIP, remoteip) != 0 ||' '' \
	environment.bats '^client: PROTO=TCP'
mutant "UCSPI: an IPv4 peer of an IPv6 socket written as ::ffff:" shim/address.c \
	'IN6_IS_ADDR_V4MAPPED' '0 && IN6_IS_ADDR_V4MAPPED' \
	environment.bats 'IPv4 peer of an IPv6 socket'
mutant "UCSPI: UNIXREMOTEPID not set" shim/environ.c \
	'PUT_NUMBER(unix_pid_slot, UNIXREMOTEPID, (uintmax_t)peer.pid) != 0 ||' '' \
	environment.bats '^unix server'
mutant "UCSPI: stale and forged names not forgotten" shim/environ.c \
	$'\tforget_description_except((unsigned)described);' $'\t(void)forget_description_except;' \
	edges.bats '^forged and stale description variables are replaced or removed in every TCP'
mutant "UCSPI: an inherited name taken for one of our slots, its forged value kept" shim/environ.c \
	'if (names_in_slots & bit)' 'if (names_present & bit)' \
	edges.bats '^forged and stale description variables are replaced or removed in every TCP'
mutant "UCSPI: a connection that cannot be described keeps the inherited names" shim/environ.c \
	$'\tforget_description_except((unsigned)described);' \
	$'\tif (described != 0)\n\t\tforget_description_except((unsigned)described);' \
	edges.bats 'copy whose connection was reset before it was described'
mutant "a relative LD_PRELOAD entry is left relative" shim/environ.c \
	'if (make_preload_absolute() == -1)' 'if (0)' \
	guarantees.bats 'relative LD_PRELOAD'
mutant "every relative LD_PRELOAD entry is taken for the shim's" shim/inherit.c \
	'return resolve(path, resolved) != NULL && strcmp(resolved, self) == 0;' \
	'return resolve(path, resolved) != NULL;' \
	guarantees.bats 'relative LD_PRELOAD'
mutant "PYTHONUNBUFFERED not set" shim/environ.c \
	'return set_python_unbuffered();' 'return 0;' \
	programs.bats 'Python script converses without -u'
mutant "PYTHONUNBUFFERED: the user's own value overwritten" shim/environ.c \
	$'if (value != NULL && *value != \'\\0\')\n\t\treturn 0;\n\treturn setenv' \
	$'if (0)\n\t\treturn 0;\n\treturn setenv' \
	programs.bats '^PYTHONUNBUFFERED: set to 1'

# unix: sockets, removed only while still ours.
mutant "unix: the socket file is left behind" shim/sockredir.c \
	$'if (config->is_unix && config->listen_fds == 0)\n\t\tremove_unix_socket' \
	$'if (0)\n\t\tremove_unix_socket' \
	connect.bats 'server accepts one client and removes its socket file'
mutant "unix: the path is removed even when no longer ours" shim/connect.c \
	'same_file(&bound_unix_socket, &now))' '1)' \
	edges.bats 'removes its socket file after accept only if it is still its own'
mutant "unix: a file moved onto the probed path is removed" shim/connect.c \
	'if (!same_file(&probed, &now)) {' 'if (0) {' \
	edges.bats 'file moved onto the path'
mutant "unix: what is not a socket is removed" shim/connect.c \
	'if (!S_ISSOCK(probed.st_mode)) {' 'if (0) {' \
	connect.bats 'never removes what is not a socket'

# The shim's messages never stop or kill the process writing them (issue 18).
mutant "messages: SIGPIPE is not blocked around the write" shim/report.c \
	'pthread_sigmask(SIG_BLOCK, &pipe, &saved);' 'pthread_sigmask(SIG_BLOCK, NULL, &saved);' \
	stderr-log.bats 'lost its reader|without a reader'
mutant "messages: the SIGPIPE a write raised is not taken back" shim/report.c \
	'if (written == -1 && error == EPIPE && !was_pending)' 'if (0)' \
	stderr-log.bats 'lost its reader|without a reader'
mutant "messages: a full stderr pipe blocks the writer" shim/report.c \
	'O_WRONLY | O_NONBLOCK | O_NOCTTY' 'O_WRONLY | O_NOCTTY' \
	stderr-log.bats 'never read|never blocks'
mutant "messages: the count of dropped messages is never said" shim/report.c \
	'if (dropped > 0)' 'if (0)' \
	stderr-log.bats 'never read'

# The service against hostile clients (issue 18, bats/hostile.bats).
mutant "PROXY: 128 silent connections stop the listener accepting" shim/inetd.c \
	'return !l->stopping && l->running < l->config->max_children;' \
	'return !l->stopping && l->running < l->config->max_children && (!l->config->proxy || l->npending < 128);' \
	hostile.bats 'never send a header'
mutant "HOST=[] is quoted without its first bracket" shim/config.c \
	'SOCKREDIR_ENV_HOST, original,' 'SOCKREDIR_ENV_HOST, value,' \
	hostile.bats 'hostile values'

# Loopback by default.
mutant "servers listen on every interface by default" include/sockredir.h \
	$'#define SOCKREDIR_DEFAULT_HOST\t"localhost"' $'#define SOCKREDIR_DEFAULT_HOST\t"0.0.0.0"' \
	security.bats 'binds loopback by default'

# SOCKREDIR_STDERR=connection.
mutant "STDERR=connection: fd 2 never joins the connection" shim/sockredir.c \
	'if (config.stderr_connection && join_stderr(&stream_id) == -1)' \
	'if (0 && join_stderr(&stream_id) == -1)' \
	stderr.bats 'python3 -i in server mode'
mutant "STDERR=connection: taken in in mode too (fd 2 on whatever fd 1 is)" shim/config.c \
	$'if (mode_redirects_stdout(config->mode) &&\n\t    (value = lookup(getenv_fn, SOCKREDIR_ENV_STDERR))' \
	$'if (1 &&\n\t    (value = lookup(getenv_fn, SOCKREDIR_ENV_STDERR))' \
	stderr.bats 'ignored in in mode'
mutant "STDERR=connection: fd 2 joins before the PROXY header is read (its failure goes into the connection)" \
	shim/sockredir.c $'\t/* inetd: the listener has read the header, and logs each copy itself. */' \
	$'\tif (config.stderr_connection)\n\t\tdup2(stream, STDERR_FILENO);' \
	stderr.bats 'a bad PROXY header'
mutant "STDERR=connection: fd 2 joins before the DEBUG line (it goes into the connection)" \
	shim/sockredir.c $'\tif (config.debug && config.mode != SOCKREDIR_INETD)\n' \
	$'\tif (config.stderr_connection)\n\t\tdup2(stream, STDERR_FILENO);\n\tif (config.debug && config.mode != SOCKREDIR_INETD)\n' \
	stderr.bats 'DEBUG=1: the connection'
mutant "STDERR=connection: stderr fully buffered, a line waits behind a read" shim/stderr.c \
	'setvbuf(stderr, NULL, _IOLBF, BUFSIZ);' 'setvbuf(stderr, NULL, _IOFBF, BUFSIZ);' \
	stderr.bats 'a stderr line leaves when it ends'
mutant "STDERR=connection: output to stdout overtakes stderr's partial line" shim/stderr.c \
	$'else if (stream == stdout)\n\t\tsend_pending(stderr);' $'else if (0)\n\t\tsend_pending(stderr);' \
	stderr.bats 'arrive in the order written'
mutant "STDERR=connection: output to stderr overtakes what stdout holds" shim/stderr.c \
	$'if (stream == stderr)\n\t\tsend_pending(stdout);' $'if (0)\n\t\tsend_pending(stdout);' \
	stderr.bats 'arrive in the order written'
mutant "STDERR=connection: a direct write to the connection overtakes stdio (not under auto)" \
	shim/interpose_io.c 'else if (stderr_ordered) order_before_write(fd))' '(void)0)' \
	stderr.bats 'arrive in the order written'
mutant "STDERR=connection: perror overtakes what stdio holds" shim/interpose_io.c \
	'QUIETLY(if (stderr_ordered) order_send_both()))' 'NOTHING)' \
	stderr.bats 'arrive in the order written'
mutant "STDERR=connection: warn, warnx, err, errx overtake what stdout holds" shim/interpose_io.c \
	$'\tif (ACTIVE) { ORDER(stderr); }' $'\tif (0) { ORDER(stderr); }' \
	stderr.bats 'arrive in the order written'
mutant "STDERR=connection, auto: a prompt on stderr is not sent before a read" shim/autoflush.c \
	'return __fpending(stdout) + (stderr_ordered ? __fpending(stderr) : 0);' \
	'return __fpending(stdout);' \
	stderr.bats 'a stderr line leaves when it ends'
mutant "STDERR=connection: a child whose fds 1 and 2 are the connection keeps no order" \
	shim/sockredir.c $'\t\t\torder_start(stream);' $'\t\t\t(void)stream;' \
	stderr.bats 'a shell.s child'
mutant "exit path: stderr's partial line not flushed before the shutdown" shim/exitpath.c \
	$'\t\t\tfflush(stderr);' $'\t\t\t(void)0;' \
	stderr.bats 'arrive in the order written'
mutant "exit path: an exec with the connection on fd 2 alone ends the conversation" \
	shim/exitpath.c $' &&\n\t    !fd_is_stream(STDERR_FILENO, &exit_stream))' ')' \
	stderr.bats 'an exec with the connection on fd 2 alone'
mutant "exit path: not taken over from fd 2 after such an exec" shim/sockredir.c \
	$'\t\telse if (fd_is_stream(STDERR_FILENO, stream))\n\t\t\tinstall_exit_path(stream, STDERR_FILENO, linger_ms);' \
	'' \
	stderr.bats 'an exec with the connection on fd 2 alone'
mutant "launcher: --stderr ignored" launcher/sockredir.c \
	'case OPT_STDERR: set(SOCKREDIR_ENV_STDERR, optarg); break;' 'case OPT_STDERR: break;' \
	launcher.bats 'a long option for every variable'

# Closed standard fds: as they were at start once main runs.
mutant "closed fds: the /dev/null placeholders stay open in main" shim/stdio.c \
	$'if ((placeholders & (1u << fd)) && !redirected[fd])\n\t\t\treal_close(fd);' \
	$'if ((placeholders & (1u << fd)) && !redirected[fd])\n\t\t\t(void)fd;' \
	closedfds.bats 'server mode'
mutant "closed fds: attach reserves /dev/null too, a closed fd 0 reported as not a socket" \
	shim/sockredir.c $'if (config.mode != SOCKREDIR_ATTACH)\n\t\treserve_standard_fds();' \
	'reserve_standard_fds();' \
	closedfds.bats 'attach'
# inetd's pool (SOCKREDIR_PREFORK); test/run-tests.sh also runs inetd.bats,
# limits.bats, proxy.bats and activation.bats with one.
mutant "PREFORK: no connection is handed to a waiting copy (fork at accept)" shim/inetd.c \
	'for (size_t i = l->nwaiting; l->ready > 0 && i-- > 0;) {' \
	'for (size_t i = l->nwaiting; 0 && i-- > 0;) {' \
	prefork.bats '^PREFORK=3'
mutant "PREFORK: a waiting copy whose channel closes runs main" shim/inetd.c \
	'_exit(0);	/* the channel closed: no connection for this copy */' \
	'return take_connection(l, channel, NULL);' \
	prefork.bats '^no copy runs main'
mutant "PREFORK: a waiting copy ignores a stop signal" shim/inetd.c \
	$'if (stop_signal)\n\t\t\t_exit(0);\n\t\tif (ppoll(&ready' \
	$'if (0)\n\t\t\t_exit(0);\n\t\tif (ppoll(&ready' \
	prefork.bats '^no copy runs main'
mutant "PREFORK: MAX does not count the waiting copies" shim/inetd.c \
	'l->running + l->untracked + l->nwaiting < l->config->max_children' \
	'l->running + l->untracked < l->config->max_children' \
	prefork.bats '^MAX counts'
mutant "PREFORK: a waiting copy keeps the listener's descriptors" shim/inetd.c \
	$'leave_listener(l, -1);\n\tdo {' $'do {' \
	prefork.bats 'same descriptors'
mutant "PREFORK: any value up to 65535, whatever MAX" shim/config.c \
	'sockredir_parse_decimal(value, 0, config->max_children, &max)' \
	'sockredir_parse_decimal(value, 0, 65535, &max)' \
	prefork.bats '^bad PREFORK'

# ---------------------------------------------------------------- the run
runs=1 keep=0 check_only=0 own_tests='' own_filter=''
while getopts cn:kt:f: opt; do
	case $opt in
	c) check_only=1 ;;
	t) own_tests=$OPTARG ;;
	f) own_filter=$OPTARG ;;
	n) runs=$OPTARG ;;
	k) keep=1 ;;
	*) exit 2 ;;
	esac
done
shift $((OPTIND - 1))
only=${1:-}

started=$SECONDS
cd "$(dirname "$0")/.." || exit 2
root=$PWD
work=$(mktemp -d "${TMPDIR:-/tmp}/sockredir-mutate.XXXXXX") || exit 2
copy=$work/tree
running=	# the process group of the bats run under way
cleanup() {
	[[ -z $running ]] || kill -TERM -- "-$running" 2>/dev/null
	((keep)) || rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
((keep)) && echo "mutate: the copy is $copy"
mkdir -p "$copy" "$work/tmp"
tar -C "$root" --exclude=./build --exclude=./build-asan --exclude=./.git -cf - . |
	tar -C "$copy" -xf - || exit 2

# The tests run against the copy's build only, whatever the caller's
# environment says; bats' temporary files stay inside the work directory.
unset SOCKREDIR_LIB SOCKREDIR_TESTBIN SOCKREDIR_PRELOAD_FIRST
unset "${!SOCKREDIR_@}"
export TMPDIR=$work/tmp BATS_TEST_TIMEOUT=${BATS_TEST_TIMEOUT:-60}
limit=${MUTATE_TIMEOUT:-180}	# seconds for one bats run of one mutant's tests

selected=()
for i in "${!names[@]}"; do
	[[ -z $only ]] || grep -Eq -- "$only" <<<"${names[$i]}" || continue
	selected+=("$i")
	[[ -z $own_tests ]] || tests[i]=$own_tests filters[i]=$own_filter
done
((${#selected[@]} > 0)) || { echo "mutate: no mutant matches $only" >&2; exit 2; }

# replace FILE OLD NEW: OLD must be there exactly once.
replace() {
	python3 - "$@" <<'PY'
import sys
path, old, new = sys.argv[1:]
with open(path) as f:
    text = f.read()
count = text.count(old)
if count != 1:
    sys.exit("found %d times in %s, not once: %r" % (count, path, old))
with open(path, "w") as f:
    f.write(text.replace(old, new))
PY
}

# Every mutant must still apply before any runs: none rots unnoticed.
broken=0
for i in "${selected[@]}"; do
	if [[ ! -f $copy/${files[$i]} ]]; then
		echo "mutate: mutant \"${names[$i]}\": no ${files[$i]}" >&2
		broken=1
		continue
	fi
	cp "$copy/${files[$i]}" "$work/check" || exit 2
	replace "$work/check" "${olds[$i]}" "${news[$i]}" ||
		{ echo "mutate: mutant \"${names[$i]}\" no longer applies" >&2; broken=1; }
	for t in ${tests[$i]}; do
		[[ -f $copy/bats/$t ]] ||
			{ echo "mutate: mutant \"${names[$i]}\": no bats/$t" >&2; broken=1; }
	done
done
((broken == 0)) || exit 2
if ((check_only)); then
	echo "mutate: all ${#selected[@]} mutants apply"
	exit 0
fi

# Without -Werror: a mutant may leave a variable or a function unused.
build() {
	make -s -C "$copy" WARN= "$@" build/libsockredir.so build/sockredir \
		>"$work/build.log" 2>&1
}

echo "mutate: building the copy"
# shellcheck disable=SC2016 # $(TEST_PROGS) is make's, not the shell's
read -ra programs < <(make -s -C "$copy" \
	--eval='mutate-test-programs: ; @echo $(TEST_PROGS)' mutate-test-programs)
build "${programs[@]}" || { cat "$work/build.log" >&2; exit 2; }

# run_tests I LOG STOP: mutant I's tests; STOP=1 ends them at the first
# failure.  Returns 0 when all passed, 1 when one failed, 2 when the
# filter chose no test.
run_tests() {
	local i=$1 log=$2 stop=$3 pid args=()
	args=(--tap)
	[[ -z ${filters[$i]} ]] || args+=(-f "${filters[$i]}")
	for t in ${tests[$i]}; do args+=("bats/$t"); done
	(cd "$copy" && exec setsid bats "${args[@]}") >"$log" 2>&1 &
	pid=$! running=$!
	# Bounded: a mutant that makes a test hang is killed by the bound.
	for _ in $(seq $((limit * 10))); do
		kill -0 "$pid" 2>/dev/null || break
		if ((stop)) && grep -q '^not ok' "$log"; then
			kill -TERM -- "-$pid" 2>/dev/null
			break
		fi
		sleep 0.1
	done
	kill -0 "$pid" 2>/dev/null && kill -TERM -- "-$pid" 2>/dev/null
	wait "$pid"
	echo "bats exited $?" >>"$log"
	running=
	grep -q '^1\.\.0$' "$log" && return 2
	grep -q '^not ok' "$log" && return 1
	# Killed by the bound above, or a suite that died: not a pass.
	local plan
	plan=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$log")
	[[ -n $plan && $(grep -c '^ok ' "$log") -eq $plan ]]
}

echo "mutate: the tests of ${#selected[@]} mutants, unmutated"
declare -A baseline skips
for i in "${selected[@]}"; do
	key="${tests[$i]}|${filters[$i]}"
	[[ -z ${baseline[$key]:-} ]] || continue
	baseline[$key]=1
	run_tests "$i" "$work/baseline.log" 0
	case $? in
	0)
		# Tests that skip on this machine (not root, a tool missing) prove
		# nothing: their mutants are not run.
		grep '^ok ' "$work/baseline.log" | grep -vq ' # skip' ||
			skips[$key]=$(sed -n 's/^ok .* # skip *//p' "$work/baseline.log" | head -1)
		;;
	2) echo "mutate: no test in ${tests[$i]} matches \"${filters[$i]}\"" >&2; exit 2 ;;
	*)
		echo "mutate: ${tests[$i]} -f \"${filters[$i]}\" fails unmutated:" >&2
		grep -A20 '^not ok' "$work/baseline.log" >&2
		exit 2
		;;
	esac
done

echo "mutate: they pass ($((SECONDS - started)) s so far)"

killed=0 survived=0 explained=0 broken=0 skipped=0
for i in "${selected[@]}"; do
	if [[ -n ${skips["${tests[$i]}|${filters[$i]}"]+set} ]]; then
		echo "not run   ${names[$i]}: its tests skip here (${skips["${tests[$i]}|${filters[$i]}"]})"
		skipped=$((skipped + 1))
		continue
	fi
	target=$copy/${files[$i]}
	cp "$target" "$work/original"
	since=$SECONDS
	replace "$target" "${olds[$i]}" "${news[$i]}" || exit 2
	if ! build; then
		echo "BROKEN    ${names[$i]}: does not build"
		sed 's/^/    /' "$work/build.log"
		broken=$((broken + 1))
	else
		kills=0 by=
		for _ in $(seq "$runs"); do
			run_tests "$i" "$work/mutant.log" 1
			case $? in
			0) continue ;;
			2) echo "mutate: no test in ${tests[$i]} matches \"${filters[$i]}\"" >&2; exit 2 ;;
			esac
			kills=$((kills + 1))
			by=$(sed -n 's/^not ok [0-9]* //p' "$work/mutant.log" | head -1)
			[[ -n $by ]] || by="no test finished: $(tail -1 "$work/mutant.log")"
		done
		note=" ($((SECONDS - since)) s)"
		((runs > 1)) && note=" ($kills of $runs runs, $((SECONDS - since)) s)"
		if ((kills == runs)); then
			killed=$((killed + 1))
			echo "killed    ${names[$i]}$note: $by"
			[[ -z ${reasons[$i]} ]] ||
				echo "    listed as unkillable, but killed: update test/mutate.sh"
		else
			survived=$((survived + 1))
			echo "SURVIVED  ${names[$i]}$note"
			if [[ -n ${reasons[$i]} ]]; then
				explained=$((explained + 1))
				echo "    known: ${reasons[$i]}"
			fi
		fi
	fi
	# A fresh copy of the original, newer than the mutant's object file.
	cat "$work/original" >"$target"
done
build || { cat "$work/build.log" >&2; exit 2; }

echo "mutate: $((SECONDS - started)) s"
tail=
((explained > 0)) && tail=" ($explained explained in test/mutate.sh)"
((broken > 0)) && tail="$tail, $broken broken"
((skipped > 0)) && tail="$tail, $skipped not run (their tests skip here)"
echo "$killed killed, $survived survived$tail"
((broken > 0)) && exit 2
((survived == explained))
