// The synthetic generators' random numbers: std::mt19937_64 (its sequence is
// fixed by the C++ standard) with our own bounded mapping, so the same seed
// gives the same trace with every compiler and standard library.
// (std::*_distribution algorithms vary between implementations.)
#ifndef MMREPLAY_REPLAY_GEN_RNG_H_
#define MMREPLAY_REPLAY_GEN_RNG_H_

#include <cstdint>
#include <random>

namespace mmreplay::replay::gen {

class Rng {
 public:
  explicit Rng(uint64_t seed) : engine_(seed) {}

  // Uniform in [0, n). REQUIRES: n > 0. Lemire's multiply-shift: a tiny,
  // fixed bias for huge n, and the same on every platform.
  uint64_t Below(uint64_t n) {
    return static_cast<uint64_t>(
        (static_cast<unsigned __int128>(engine_()) * n) >> 64);
  }
  // Uniform in [lo, hi]. REQUIRES: lo <= hi.
  uint64_t Between(uint64_t lo, uint64_t hi) { return lo + Below(hi - lo + 1); }
  // True with probability percent/100.
  bool Percent(uint64_t percent) { return Below(100) < percent; }

 private:
  std::mt19937_64 engine_;
};

}  // namespace mmreplay::replay::gen

#endif  // MMREPLAY_REPLAY_GEN_RNG_H_
