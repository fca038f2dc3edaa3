// Fuzz target: arbitrary bytes as a .npy file, through the same parser and decoder read_npy uses
// (sagips/io/npy_header.hpp, no Kokkos, no MPI). Built with libFuzzer by clang (tests/fuzz/meson.build)
// and, in the normal suite, replayed over tests/fuzz/corpus/npy/ by replay_main.cpp.
//
// Invariants, each a crash (abort) when broken:
//  - a refusal has a non-empty message of printable ASCII and bounded length (hostile bytes must not
//    reach a terminal or flood a log);
//  - the header is parsed from the file's first npy_max_prefix_bytes alone, as the file reader
//    hands them over: parsing the whole input gives the same answer, and so does parsing only the
//    bytes before the data of an accepted header;
//  - an accepted header describes the input exactly: data_offset + rows x cols x item size is the
//    input size, the item size is 4 or 8, the dimension 1..64;
//  - decoding the data succeeds, and encoding each value back in the file's dtype and byte order
//    gives the file's bytes (NaN payloads aside).
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "sagips/io/npy_header.hpp"

namespace {

void require(bool ok, const char* what, const std::string& detail = "") {
  if (ok) return;
  std::fprintf(stderr, "fuzz_npy: invariant broken: %s %s\n", what, detail.c_str());
  std::abort();
}

bool sane_message(const std::string& m) {
  if (m.empty() || m.size() > 400) return false;
  for (char c : m)
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) return false;
  return true;
}

// Value k of the decoded data, encoded back as the file stores it.
template <class S, class Bits>
std::string encode_back(double value, bool big_endian) {
  const S s = static_cast<S>(value);
  Bits bits;
  std::memcpy(&bits, &s, sizeof(S));
  std::string out(sizeof(S), '\0');
  for (std::size_t b = 0; b < sizeof(S); ++b) {
    const auto byte = static_cast<char>((bits >> (8 * b)) & 0xff);
    out[big_endian ? sizeof(S) - 1 - b : b] = byte;
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  using namespace sagips::io;
  const std::string_view file(reinterpret_cast<const char*>(bytes), size);
  const std::string_view prefix = file.substr(0, npy_max_prefix_bytes);
  const NpyHeaderResult r = parse_npy_header(prefix, size);

  if (size > prefix.size()) {
    const NpyHeaderResult whole = parse_npy_header(file, size);
    require(whole.error == r.error && whole.header.data_offset == r.header.data_offset &&
                whole.header.rows == r.header.rows && whole.header.cols == r.header.cols,
            "the parse depends on bytes after the header limit:", r.error + " / " + whole.error);
  }
  if (!r.error.empty()) {
    require(sane_message(r.error), "refusal message empty, too long or not printable:", r.error);
    return 0;
  }

  const NpyHeader& h = r.header;
  const NpyHeaderResult just_header = parse_npy_header(file.substr(0, h.data_offset), size);
  require(just_header.error.empty() && just_header.header.rows == h.rows && just_header.header.cols == h.cols,
          "the header does not parse from its own bytes:", just_header.error);
  require(h.item_size == 4 || h.item_size == 8, "item size", std::to_string(h.item_size));
  require(h.cols >= 1 && h.cols <= 64, "columns", std::to_string(h.cols));
  require(h.data_offset >= 10 && h.data_offset <= size, "data offset", std::to_string(h.data_offset));
  require(h.rows * h.cols * h.item_size == size - h.data_offset, "rows x cols x item size != data bytes",
          std::to_string(h.rows) + " x " + std::to_string(h.cols) + " x " + std::to_string(h.item_size));

  const std::string_view data = file.substr(h.data_offset);
  std::vector<double> values(static_cast<std::size_t>(h.rows * h.cols));
  const std::string error = decode_npy_data(h, data, values.data());
  require(error.empty(), "decode refused data that matches the header:", error);
  for (std::size_t k = 0; k < values.size(); ++k) {
    const std::string_view stored = data.substr(k * h.item_size, h.item_size);
    if (std::isnan(values[k])) continue;  // float -> double -> float may quiet a signalling NaN
    const std::string back = h.item_size == 4 ? encode_back<float, std::uint32_t>(values[k], h.big_endian)
                                              : encode_back<double, std::uint64_t>(values[k], h.big_endian);
    require(back == stored, "decoded value does not encode back to the file's bytes");
  }
  // A decode with the wrong amount of data must be refused, not read past the end.
  if (!data.empty()) {
    const std::string short_error = decode_npy_data(h, data.substr(0, data.size() - 1), values.data());
    require(sane_message(short_error), "decode of short data not refused clearly:", short_error);
  }
  return 0;
}
