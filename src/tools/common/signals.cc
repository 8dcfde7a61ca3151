// SIGINT / SIGTERM taken with sigwait on one thread (see signals.h).
#include "tools/common/signals.h"

#include <pthread.h>
#include <signal.h>

#include <string>

namespace aero::tools {

SignalCanceller::SignalCanceller(CancelToken& token) : token_(token) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGUSR2);  // used by the destructor to end the waiting thread
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  thread_ = std::thread([this, set] {
    for (;;) {
      int sig = 0;
      if (sigwait(&set, &sig) != 0) return;
      if (sig == SIGUSR2) return;
      token_.Cancel(std::string("interrupted by ") + (sig == SIGINT ? "SIGINT" : "SIGTERM"));
    }
  });
}

SignalCanceller::~SignalCanceller() {
  pthread_kill(thread_.native_handle(), SIGUSR2);
  thread_.join();
}

}  // namespace aero::tools
