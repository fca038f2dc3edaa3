#pragma once
// What a gradient check found: converts to true when every compared element agreed and nothing else
// was wrong, and prints (operator<<, report()) the elements that did not, with the analytic value,
// the numeric one and the tolerance they were held to. A doctest CHECK(result) prints that report
// when it fails.

#include <cstddef>
#include <ostream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace sagips::testing {

// How close an analytic derivative a and its central difference n must be:
//   |a - n| <= atol + rtol (max(|a|, |n|) + scale)
// where scale is the check's natural size of a derivative (see each check). step is the difference
// step relative to the perturbed value (h = step max(1, |value|)); float_rtol bounds how far a float
// evaluation may lie from the double one (the pipeline computes in float by default).
struct Tolerance {
  double rtol = 1e-5;
  double atol = 0;
  double step = 1e-6;
  double float_rtol = 1e-4;
};

struct Mismatch {
  std::string element;  // e.g. "d density / d p[1] at x = (0.95)" or "dL / d events(3, 0)"
  double analytic = 0, numeric = 0, tolerance = 0;
};

class CheckResult {
 public:
  static constexpr std::size_t kept_mismatches = 20;  // the first ones are listed, the rest counted

  explicit CheckResult(std::string what = "") : what_(std::move(what)) {}

  bool ok() const { return failed_ == 0 && problems_.empty(); }
  explicit operator bool() const { return ok(); }

  int compared() const { return compared_; }  // elements compared
  int failed() const { return failed_; }      // of those, outside the tolerance
  int skipped() const { return skipped_; }    // not comparable (see the check)
  const std::vector<Mismatch>& mismatches() const { return mismatches_; }
  const std::vector<std::string>& problems() const { return problems_; }  // findings other than a value

  // Record one comparison; returns whether it agreed.
  bool compare(std::string element, double analytic, double numeric, double tolerance) {
    ++compared_;
    const double diff = analytic > numeric ? analytic - numeric : numeric - analytic;
    if (diff <= tolerance) return true;  // (NaN on either side fails)
    ++failed_;
    if (mismatches_.size() < kept_mismatches) mismatches_.push_back({std::move(element), analytic, numeric, tolerance});
    return false;
  }
  void skip() { ++skipped_; }
  void problem(std::string text) { problems_.push_back(std::move(text)); }

  std::string report() const {
    std::ostringstream os;
    os.precision(10);
    os << what_ << ": " << (ok() ? "ok" : "FAILED") << ", " << compared_ << " elements compared, " << failed_
       << " outside the tolerance";
    if (skipped_ > 0) os << ", " << skipped_ << " skipped";
    for (const auto& p : problems_) os << "\n  " << p;
    for (const auto& m : mismatches_)
      os << "\n  " << m.element << ": analytic " << m.analytic << ", numeric " << m.numeric << ", |difference| "
         << (m.analytic > m.numeric ? m.analytic - m.numeric : m.numeric - m.analytic) << " > tolerance "
         << m.tolerance;
    if (static_cast<std::size_t>(failed_) > mismatches_.size())
      os << "\n  ... and " << failed_ - static_cast<int>(mismatches_.size()) << " more";
    return os.str();
  }
  friend std::ostream& operator<<(std::ostream& os, const CheckResult& r) { return os << r.report(); }

 private:
  std::string what_;
  int compared_ = 0, failed_ = 0, skipped_ = 0;
  std::vector<Mismatch> mismatches_;
  std::vector<std::string> problems_;
};

}  // namespace sagips::testing
