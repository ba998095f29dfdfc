// One line of progress for long compiles, for people at a terminal: after
// the first second, "nutshell-compile: optimizing (LLVM O3, 61 kernels) 2.3 s"
// is drawn on stderr and redrawn in place as phases change and time passes,
// then erased when the work ends. Nothing is drawn when stderr is not a
// terminal (logs, CI, pipes) or the tool is asked to be quiet.
// NUTSHELL_PROGRESS_DELAY_MS changes the first second (0: draw at once).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include <unistd.h>

namespace nutshell::tools {

class TerminalProgress {
public:
  TerminalProgress(std::string tool, bool wanted) : tool_(std::move(tool)) {
    if (!wanted || !::isatty(STDERR_FILENO)) return;
    if (const char* delay = std::getenv("NUTSHELL_PROGRESS_DELAY_MS"))
      delaySeconds_ = std::atof(delay) / 1000.0;
    active_ = true;
    ticker_ = std::thread([this] { tick(); });
  }
  ~TerminalProgress() { finish(); }
  TerminalProgress(const TerminalProgress&) = delete;
  TerminalProgress& operator=(const TerminalProgress&) = delete;

  /// The phase now under way; `done` of `total` items when it counts them.
  void update(const std::string& phase, size_t done = 0, size_t total = 0) {
    if (!active_) return;
    std::lock_guard<std::mutex> lock(mutex_);
    phase_ = total ? phase + " " + std::to_string(done) + "/" + std::to_string(total) : phase;
  }

  /// For BackendOptions::progress.
  std::function<void(const std::string&, size_t, size_t)> callback() {
    if (!active_) return {};
    return [this](const std::string& phase, size_t done, size_t total) { update(phase, done, total); };
  }

  /// Stops drawing and erases the line (before the tool prints results).
  void finish() {
    if (!active_) return;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    ticker_.join();
    active_ = false;
    if (drawn_) std::fprintf(stderr, "\r\033[K");
  }

private:
  void tick() {
    using Clock = std::chrono::steady_clock;
    const auto start = Clock::now();
    std::unique_lock<std::mutex> lock(mutex_);
    auto period = std::chrono::milliseconds(delaySeconds_ < 0.2 ? 20 : 200);
    while (!wake_.wait_for(lock, period, [this] { return stop_; })) {
      double seconds = std::chrono::duration<double>(Clock::now() - start).count();
      if (seconds < delaySeconds_) continue;  // short work stays silent
      std::fprintf(stderr, "\r\033[K%s: %s %.1f s", tool_.c_str(), phase_.c_str(), seconds);
      std::fflush(stderr);
      drawn_ = true;
    }
  }

  std::string tool_;
  double delaySeconds_ = 1.0;
  bool active_ = false;
  bool drawn_ = false;
  bool stop_ = false;
  std::string phase_ = "starting";
  std::mutex mutex_;
  std::condition_variable wake_;
  std::thread ticker_;
};

}  // namespace nutshell::tools
