#pragma once
// Checks of real (measured) events before training: every value finite, every event inside the region
// the pipeline can produce (the theory's domain widened by the detector's smearing: Pipeline::support).
// A violation is a sagips::Error naming the source (a file name), the row, the column and the value,
// and how many rows are affected, so a bad file is found at load, not hours later as a NaN gradient.
//
//   sagips::sim::check_events(data, pipeline.support(), "events.npy");

#include <cmath>
#include <sstream>
#include <string>

#include "sagips/core/views.hpp"
#include "sagips/runtime/error.hpp"
#include "sagips/sim/theory.hpp"

namespace sagips::sim {

template <class T, int D>
void check_events(HostMatrix<const T> data, const Box<D>& support, const std::string& source) {
  SAGIPS_REQUIRE(static_cast<int>(data.extent(1)) == D,
                 source << " holds events of dimension " << data.extent(1) << "; the theory's events have " << D);
  SAGIPS_REQUIRE(data.extent(0) > 0, source << " holds no events");
  long bad_rows = 0, first = -1;
  int first_col = 0;
  bool first_nonfinite = false;
  for (std::size_t i = 0; i < data.extent(0); ++i) {
    bool bad = false;
    for (int d = 0; d < D && !bad; ++d) {
      const double v = static_cast<double>(data(i, d));
      const bool nonfinite = !std::isfinite(v);
      if (nonfinite || v < support.lower[d] || v > support.upper[d]) {
        bad = true;
        if (first < 0) {
          first = static_cast<long>(i);
          first_col = d;
          first_nonfinite = nonfinite;
        }
      }
    }
    bad_rows += bad ? 1 : 0;
  }
  if (first < 0) return;
  std::ostringstream os;
  os << source << ": row " << first << ", column " << first_col << " is " << data(first, first_col);
  if (first_nonfinite)
    os << ", not a finite number";
  else
    os << ", outside [" << support.lower[first_col] << ", " << support.upper[first_col]
       << "], the region the pipeline can produce (the theory's domain widened by detector smearing)";
  os << "; " << bad_rows << " of " << data.extent(0) << " rows are affected";
  throw Error(os.str());
}

}  // namespace sagips::sim
