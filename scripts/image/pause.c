/*
 * pause: the pod sandbox process for the CRI e2e test (no registry is reachable, so the
 * sandbox image is built here from this file). It is PID 1 of the pod's PID namespace: it
 * holds the pod's namespaces open, reaps whatever is reparented to it, and exits 0 on
 * SIGTERM or SIGINT (PID 1 gets no default action for them, so it must catch them).
 *
 * Build: gcc -static -O2 -o pause pause.c
 */
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

static void stop(int sig) {
  (void)sig;
  _exit(0);
}

static void reap(int sig) {
  (void)sig;
  while (waitpid(-1, NULL, WNOHANG) > 0) {
  }
}

int main(void) {
  struct sigaction stop_action = {.sa_handler = stop};
  struct sigaction reap_action = {.sa_handler = reap, .sa_flags = SA_NOCLDSTOP | SA_RESTART};
  sigaction(SIGTERM, &stop_action, NULL);
  sigaction(SIGINT, &stop_action, NULL);
  sigaction(SIGCHLD, &reap_action, NULL);
  for (;;) pause();
}
