#pragma once
// The .npy format on bytes in memory: parsing the header and decoding the data, with no file, no
// Kokkos and no MPI, so that a fuzzer can drive exactly the code the file reader runs (npy.hpp).
//
// A .npy file is: "\x93NUMPY", a version (1.0-3.0), the header length (2 bytes in 1.0, 4 bytes
// later), the header, then the data. The header is a Python dict literal such as
//   {'descr': '<f4', 'fortran_order': False, 'shape': (1000, 5), }
// padded with spaces and a newline. It is read by a small scanner, not a regular expression: a
// backtracking std::regex recurses once per character and overflows the stack on long headers.
// The scanner accepts the spellings NumPy produces or reads back for this subset (keys in any
// order, single or double quotes, trailing commas, any whitespace, Python 2's 10L) and refuses the
// rest with a message naming the cause. Errors come back as text (the functions never throw
// anything but std::bad_alloc); the caller adds the file name and raises sagips::Error.

#include <cctype>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace sagips::io {

// sagips reads headers up to 64 KiB; the reader hands parse_npy_header at least this many leading
// bytes of the file (or the whole file when it is shorter).
inline constexpr std::size_t npy_max_header_bytes = 65536;
inline constexpr std::size_t npy_max_prefix_bytes = 12 + npy_max_header_bytes;

// What a valid header says about the data that follows it.
struct NpyHeader {
  std::string descr;            // as written, e.g. "<f4", "float64", ">f8"
  std::size_t item_size = 0;    // 4 (float32) or 8 (float64)
  bool big_endian = false;      // byte order of the data in the file
  std::uint64_t rows = 0;       // events
  std::uint64_t cols = 0;       // dimension of one event; 1 for a 1-D shape (N,)
  std::size_t data_offset = 0;  // bytes before the data
  std::uint64_t data_bytes() const { return rows * cols * item_size; }
};

// Either a header (error empty) or why the bytes are not a .npy file sagips reads.
struct NpyHeaderResult {
  NpyHeader header;
  std::string error;
};

namespace detail {

inline bool host_is_big_endian() {
  const std::uint16_t probe = 1;
  unsigned char first = 0;
  std::memcpy(&first, &probe, 1);
  return first == 0;
}

// Text from a hostile file, made safe and short for a message: printable ASCII, the rest as \xNN.
inline std::string printable(std::string_view text, std::size_t max_chars = 40) {
  std::string out;
  for (std::size_t i = 0; i < text.size() && i < max_chars; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out += static_cast<char>(c);
    } else {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      out += hex;
    }
  }
  if (text.size() > max_chars) out += "...";
  return out;
}

inline std::string shape_text(const std::vector<std::uint64_t>& shape) {
  std::string out = "(";
  for (std::size_t i = 0; i < shape.size() && i < 6; ++i) out += (i ? ", " : "") + std::to_string(shape[i]);
  if (shape.size() > 6) out += ", ...";
  return out + (shape.size() == 1 ? ",)" : ")");
}

// Thrown inside the scanner only; parse_npy_header turns it into NpyHeaderResult::error.
struct NpyFormatError {
  std::string message;
};

// The three entries of the header dict, as scanned (before their values are checked).
struct NpyFields {
  std::string descr;
  bool fortran_order = false;
  std::vector<std::uint64_t> shape;
};

// A scanner of the dict literal. The grammar is flat (no nesting to recurse into) and every loop
// consumes at least one character, so time is linear in the header length and stack depth constant.
class NpyDictScanner {
 public:
  explicit NpyDictScanner(std::string_view text) : text_(text) {}

  NpyFields scan() {
    NpyFields f;
    bool seen[3] = {false, false, false};
    static const char* const keys[3] = {"descr", "fortran_order", "shape"};
    skip_space();
    expect('{', "'{' opening the header dict");
    skip_space();
    while (!peek('}')) {
      const std::size_t key_at = pos_;
      const std::string key = string_literal("a key");
      int k = 0;
      while (k < 3 && key != keys[k]) ++k;
      if (k == 3)
        fail_at("unknown key '" + printable(key) + "' (a .npy header has exactly 'descr', 'fortran_order' and 'shape')",
                key_at);
      if (seen[k]) fail_at("key '" + key + "' appears twice", key_at);
      seen[k] = true;
      skip_space();
      expect(':', "':' after key '" + key + "'");
      skip_space();
      if (k == 0) f.descr = descr_value();
      if (k == 1) f.fortran_order = boolean_value();
      if (k == 2) f.shape = shape_value();
      skip_space();
      if (!peek('}')) {
        expect(',', "',' or '}' after the value of '" + key + "'");
        skip_space();
      }
    }
    ++pos_;  // '}'
    skip_space();
    if (pos_ != text_.size()) fail("unexpected text after the closing '}'");
    for (int k = 0; k < 3; ++k)
      if (!seen[k]) throw NpyFormatError{std::string("malformed header: no '") + keys[k] + "' key"};
    return f;
  }

 private:
  // The position is where the problem starts, for a reader looking at the file in a hex editor.
  [[noreturn]] void fail(const std::string& what) const { fail_at(what, pos_); }
  [[noreturn]] void fail_at(const std::string& what, std::size_t at) const {
    throw NpyFormatError{"malformed header: " + what + " (at byte " + std::to_string(at) + " of the header)"};
  }

  std::string found() const {
    if (pos_ >= text_.size()) return "the end of the header";
    return "'" + printable(text_.substr(pos_, 1)) + "'";
  }

  // Python's whitespace between tokens (a vertical tab is not one).
  void skip_space() {
    while (pos_ < text_.size() && std::string_view(" \t\n\r\f").find(text_[pos_]) != std::string_view::npos) ++pos_;
  }

  bool peek(char c) const { return pos_ < text_.size() && text_[pos_] == c; }

  void expect(char c, const std::string& what) {
    if (!peek(c)) fail("expected " + what + ", found " + found());
    ++pos_;
  }

  // '...' or "...", without escapes (NumPy never writes any into the keys or dtypes we read).
  std::string string_literal(const std::string& what) {
    if (!peek('\'') && !peek('"')) fail("expected " + what + " in quotes, found " + found());
    const char quote = text_[pos_++];
    const std::size_t start = pos_;
    while (pos_ < text_.size() && text_[pos_] != quote) {
      if (text_[pos_] == '\\') fail("escape sequences in strings are not supported");
      if (text_[pos_] == '\n') fail("string not closed before the end of the line");
      ++pos_;
    }
    if (pos_ == text_.size()) fail("string not closed before the end of the header");
    return std::string(text_.substr(start, pos_++ - start));
  }

  std::string descr_value() {
    if (peek('[')) fail("structured (record) dtypes are not supported: descr must be a float32 or float64 type");
    return string_literal("the dtype of 'descr'");
  }

  bool boolean_value() {
    const std::size_t start = pos_;
    while (pos_ < text_.size() && (std::isalnum(static_cast<unsigned char>(text_[pos_])) || text_[pos_] == '_')) ++pos_;
    const std::string_view word = text_.substr(start, pos_ - start);
    if (word == "True") return true;
    if (word == "False") return false;
    pos_ = start;
    fail("'fortran_order' must be True or False, found " + (word.empty() ? found() : "'" + printable(word) + "'"));
  }

  // A tuple of non-negative integers: (), (N,), (N, D), (N, D,) ... (N) alone is an int in Python.
  std::vector<std::uint64_t> shape_value() {
    if (!peek('(')) fail("'shape' must be a tuple such as (1000, 2), found " + found());
    ++pos_;
    std::vector<std::uint64_t> shape;
    bool trailing_comma = false;
    skip_space();
    while (!peek(')')) {
      shape.push_back(integer());
      skip_space();
      trailing_comma = peek(',');
      if (!trailing_comma) {
        if (!peek(')')) fail("expected ',' or ')' in 'shape', found " + found());
        break;
      }
      ++pos_;
      skip_space();
    }
    ++pos_;  // ')'
    if (shape.size() == 1 && !trailing_comma) fail("'shape' (N) is a number, not a tuple: write (N,)");
    return shape;
  }

  std::uint64_t integer() {
    constexpr std::uint64_t limit = 1000000000000000000ULL;  // 10^18: leaves room for rows x cols x 8
    if (peek('-')) fail("negative dimension in 'shape'");
    const std::size_t start = pos_;
    std::uint64_t value = 0;
    while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') {
      const auto digit = static_cast<std::uint64_t>(text_[pos_] - '0');
      if (value > (limit - digit) / 10) fail("dimension in 'shape' is larger than 10^18");
      value = value * 10 + digit;
      ++pos_;
    }
    if (pos_ == start) fail("expected a dimension (a non-negative integer) in 'shape', found " + found());
    if (text_[start] == '0' && value != 0) fail_at("leading zeros in a dimension are not valid Python", start);
    if (peek('L') || peek('l')) ++pos_;  // Python 2's long integers, written by old NumPy
    return value;
  }

  std::string_view text_;
  std::size_t pos_ = 0;
};

// The float32/float64 spellings NumPy understands: byte order '<' little, '>' big, '=' or '|' or
// none native (the reading machine's); codes f4/f and f8/d; or a name (native order). NumPy's
// 'float' is float64.
inline bool npy_dtype(std::string_view descr, std::size_t& item_size, bool& big_endian) {
  big_endian = host_is_big_endian();
  for (const char* name : {"float32", "single"})
    if (descr == name) return item_size = 4, true;
  for (const char* name : {"float64", "double", "float", "float_"})
    if (descr == name) return item_size = 8, true;
  std::string_view code = descr;
  if (!code.empty() && std::string_view("<>=|").find(code[0]) != std::string_view::npos) {
    if (code[0] == '<') big_endian = false;
    if (code[0] == '>') big_endian = true;
    code.remove_prefix(1);
  }
  if (code == "f4" || code == "f") return item_size = 4, true;
  if (code == "f8" || code == "d") return item_size = 8, true;
  return false;
}

inline NpyHeader check_npy_fields(const NpyFields& f, std::size_t data_offset, std::uint64_t file_size) {
  NpyHeader h;
  h.descr = f.descr;
  h.data_offset = data_offset;
  if (!npy_dtype(f.descr, h.item_size, h.big_endian))
    throw NpyFormatError{"dtype '" + printable(f.descr) +
                         "' is not supported (float32 or float64 in either byte order: '<f4', '>f4', '<f8', '>f8')"};
  if (f.fortran_order) throw NpyFormatError{"Fortran-ordered arrays are not supported (save with C order)"};
  const std::string shape = shape_text(f.shape);
  if (f.shape.size() != 1 && f.shape.size() != 2)
    throw NpyFormatError{"shape " + shape + " is not 2-D [events, dimension] or 1-D [events]"};
  h.rows = f.shape[0];
  h.cols = f.shape.size() == 2 ? f.shape[1] : 1;
  if (h.cols < 1 || h.cols > 64)
    throw NpyFormatError{"shape " + shape + ": " + std::to_string(h.cols) + " columns per event is not plausible"};
  // The size check comes before any allocation: an absurd shape fails here, not in new[].
  const std::uint64_t have = file_size - data_offset;
  const std::uint64_t row_bytes = h.cols * h.item_size;
  const bool overflows = h.rows > std::numeric_limits<std::uint64_t>::max() / row_bytes;
  if (overflows || h.rows * row_bytes != have) {
    const std::string need = overflows ? "more than 2^64" : std::to_string(h.rows * row_bytes);
    throw NpyFormatError{"shape " + shape + " needs " + need + " data bytes, the file has " + std::to_string(have) +
                         (overflows || have < h.rows * row_bytes ? " (truncated)" : " (trailing bytes)")};
  }
  return h;
}

inline std::uint64_t little_endian_number(std::string_view bytes) {
  std::uint64_t v = 0;
  for (std::size_t i = bytes.size(); i-- > 0;) v = (v << 8) | static_cast<unsigned char>(bytes[i]);
  return v;
}

}  // namespace detail

// Parses the header at the start of a .npy file of file_size bytes. `prefix` holds the file's first
// min(file_size, npy_max_prefix_bytes) bytes or more; the header must lie within it.
inline NpyHeaderResult parse_npy_header(std::string_view prefix, std::uint64_t file_size) {
  NpyHeaderResult r;
  if (prefix.size() < 8 || prefix.substr(0, 6) != std::string_view("\x93NUMPY", 6)) {
    r.error = "not a .npy file (bad magic string)";
    return r;
  }
  const int major = static_cast<unsigned char>(prefix[6]);
  const int minor = static_cast<unsigned char>(prefix[7]);
  if (major < 1 || major > 3 || minor != 0) {
    r.error = "unsupported .npy format version " + std::to_string(major) + "." + std::to_string(minor) +
              " (1.0, 2.0 and 3.0 are read)";
    return r;
  }
  const std::size_t length_bytes = major == 1 ? 2 : 4;
  const std::size_t header_start = 8 + length_bytes;
  if (prefix.size() < header_start) {
    r.error = "truncated header";
    return r;
  }
  const std::uint64_t header_len = detail::little_endian_number(prefix.substr(8, length_bytes));
  if (header_len > npy_max_header_bytes || header_start + header_len > file_size) {
    r.error = "header length " + std::to_string(header_len) +
              (header_len > npy_max_header_bytes ? " is over the 64 KiB that sagips reads"
                                                 : " does not fit the file (" + std::to_string(file_size) + " bytes)");
    return r;
  }
  if (header_start + header_len > prefix.size()) {
    r.error = "truncated header";
    return r;
  }
  try {
    const detail::NpyFields fields =
        detail::NpyDictScanner(prefix.substr(header_start, static_cast<std::size_t>(header_len))).scan();
    r.header = detail::check_npy_fields(fields, header_start + static_cast<std::size_t>(header_len), file_size);
  } catch (const detail::NpyFormatError& e) {
    r.error = e.message;
  }
  return r;
}

// Decodes the data of a parsed header into out[rows * cols] (C order) as T, swapping the bytes of
// big-endian data; returns an empty string, or why not (data of the wrong size).
template <class T>
std::string decode_npy_data(const NpyHeader& h, std::string_view data, T* out) {
  static_assert(std::is_floating_point_v<T>, "decode_npy_data<T>: T must be a floating-point type");
  if (h.item_size != 4 && h.item_size != 8) return "item size " + std::to_string(h.item_size) + " is not 4 or 8";
  if (data.size() != h.data_bytes())
    return "the data has " + std::to_string(data.size()) + " bytes, the shape needs " + std::to_string(h.data_bytes());
  const bool swap = h.big_endian != detail::host_is_big_endian();
  const std::size_t n = data.size() / h.item_size;
  auto convert = [&](auto tag, auto bits_tag) {
    using S = decltype(tag);
    using Bits = decltype(bits_tag);
    static_assert(sizeof(S) == sizeof(Bits), "same width");
    for (std::size_t k = 0; k < n; ++k) {
      Bits bits;
      std::memcpy(&bits, data.data() + k * sizeof(S), sizeof(S));
      if (swap) {
        Bits swapped = 0;
        for (std::size_t b = 0; b < sizeof(S); ++b) swapped = static_cast<Bits>((swapped << 8) | ((bits >> (8 * b)) & 0xff));
        bits = swapped;
      }
      S value;
      std::memcpy(&value, &bits, sizeof(S));
      out[k] = static_cast<T>(value);
    }
  };
  if (h.item_size == 4)
    convert(float{}, std::uint32_t{});
  else
    convert(double{}, std::uint64_t{});
  return {};
}

}  // namespace sagips::io
