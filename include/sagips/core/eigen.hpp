#pragma once
// Eigen, as sagips includes it: host-side dense algebra only (never in device code: EIGEN_NO_CUDA is
// set for CUDA builds by meson.build), and without the false warnings GCC 12 gives about its own
// AVX-512 intrinsic headers when Eigen's matrix code reaches them (-Wmaybe-uninitialized,
// -Wuninitialized inside avx512fintrin.h, which -isystem does not silence). The pragmas cover Eigen's
// headers only, which are the first to pull in <immintrin.h>; a user's own uninitialized variables
// are still reported.

#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ < 13
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <Eigen/Dense>
#pragma GCC diagnostic pop
#else
#include <Eigen/Dense>
#endif
