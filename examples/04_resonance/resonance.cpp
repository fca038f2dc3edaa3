// Example 4: a resonance from measured events. The mass, width and signal fraction of a Breit-Wigner
// on a flat background, from a NumPy .npy of events (make_data.py writes one), seen through a detector
// that loses events towards high mass and smears them with a resolution of 0.01 (resonance.hpp).
//   python3 make_data.py events.npy && mpirun -np 4 resonance --data events.npy
// resonance_weighted.cpp trains on the same events with the efficiency as an event weight.
#include "resonance.hpp"

using Pipeline = sagips::sim::Pipeline<resonance::Resonance, sagips::sim::InverseCdf1D<256>,
                                       resonance::FallingEfficiency, sagips::sim::GaussianSmearing>;

int main(int argc, char** argv) {
  sagips::App<Pipeline> app("resonance: mass, width and signal fraction of a resonance from measured events");
  app.defaults().output_dir = "resonance-out";
  return app.run(argc, argv, [] { return Pipeline({}, {}, {}, sagips::sim::GaussianSmearing{0.01}); });
}
