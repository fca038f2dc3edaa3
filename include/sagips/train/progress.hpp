#pragma once
// The progress line rank 0 prints while training: step, losses, current parameter estimates, rate
// and ETA. On a terminal it is rewritten in place; otherwise (a log file, CI) it is printed as a plain
// line every `every` steps. mpirun hands ranks a pseudo-terminal even when its own output goes to a
// file, so SAGIPS_PROGRESS=lines forces plain lines (the test suite and scripts set it for logs).

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace sagips::train {

class ProgressLine {
 public:
  ProgressLine(long total_steps, long every, std::FILE* out = stdout)
      : total_(total_steps), every_(every < 1 ? 1 : every), out_(out), tty_(isatty(fileno(out)) != 0 && !forced_lines()) {}

  bool due(long step) const { return tty_ || step % every_ == 0 || step == total_; }

  void update(long step, double loss_d, double loss_g, const std::vector<double>& params,
              const std::vector<const char*>& names, double steps_per_second) {
    char head[160];
    const double eta = steps_per_second > 0 ? (total_ - step) / steps_per_second : 0;
    std::snprintf(head, sizeof head, "step %ld/%ld  L_D %.4f  L_G %.4f  %.1f steps/s  ETA %s ", step, total_,
                  loss_d, loss_g, steps_per_second, format_duration(eta).c_str());
    std::string line = head;
    for (std::size_t j = 0; j < params.size(); ++j) {
      char part[64];
      std::snprintf(part, sizeof part, " %s=%.4g", j < names.size() ? names[j] : "p", params[j]);
      line += part;
    }
    if (tty_) {
      std::fprintf(out_, "\r%s\033[K", line.c_str());
      if (step == total_) std::fprintf(out_, "\n");
    } else {
      std::fprintf(out_, "%s\n", line.c_str());
    }
    std::fflush(out_);
  }

  static bool forced_lines() {
    const char* v = std::getenv("SAGIPS_PROGRESS");
    return v != nullptr && std::strcmp(v, "lines") == 0;
  }

  static std::string format_duration(double seconds) {
    const long s = seconds > 0 ? static_cast<long>(seconds + 0.5) : 0;
    char buf[32];
    if (s < 60)
      std::snprintf(buf, sizeof buf, "%lds", s);
    else if (s < 3600)
      std::snprintf(buf, sizeof buf, "%ldm%02lds", s / 60, s % 60);
    else
      std::snprintf(buf, sizeof buf, "%ldh%02ldm", s / 3600, (s % 3600) / 60);
    return buf;
  }

 private:
  long total_;
  long every_;
  std::FILE* out_;
  bool tty_;
};

}  // namespace sagips::train
