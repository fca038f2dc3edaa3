#pragma once
// Binary save/restore of named sections (scalars, strings, Kokkos Views), for checkpoints and
// optimizer state. Every section is written as name, kind, element size, element count, bytes; a
// reader states what it expects and gets a clear sagips::Error on any mismatch or truncation, never
// a silent misread or a huge allocation.

#include <Kokkos_Core.hpp>
#include <cstdint>
#include <istream>
#include <ostream>
#include <string>
#include <type_traits>
#include <vector>

#include "sagips/runtime/error.hpp"

namespace sagips {

class BinaryWriter {
 public:
  explicit BinaryWriter(std::ostream& out) : out_(out) {}

  template <class T>
  void value(const std::string& name, const T& v) {
    static_assert(std::is_trivially_copyable_v<T>, "BinaryWriter::value needs a trivially copyable type");
    header(name, sizeof(T), 1);
    raw(&v, sizeof(T));
  }
  void string(const std::string& name, const std::string& s) {
    header(name, 1, s.size());
    raw(s.data(), s.size());
  }
  template <class T>
  void vector(const std::string& name, const std::vector<T>& v) {
    static_assert(std::is_trivially_copyable_v<T>, "BinaryWriter::vector needs a trivially copyable type");
    header(name, sizeof(T), v.size());
    raw(v.data(), v.size() * sizeof(T));
  }
  // Any contiguous View, in any memory space (copied to the host first).
  template <class View>
  void view(const std::string& name, const View& v) {
    using T = typename View::non_const_value_type;
    SAGIPS_REQUIRE(v.span_is_contiguous(), "BinaryWriter: view '" << name << "' is not contiguous");
    auto h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), v);
    header(name, sizeof(T), v.span());
    raw(h.data(), v.span() * sizeof(T));
  }

 private:
  void header(const std::string& name, std::uint64_t elem, std::uint64_t count) {
    const std::uint64_t len = name.size();
    raw(&len, sizeof len);
    raw(name.data(), name.size());
    raw(&elem, sizeof elem);
    raw(&count, sizeof count);
  }
  void raw(const void* p, std::size_t n) {
    out_.write(static_cast<const char*>(p), static_cast<std::streamsize>(n));
    SAGIPS_REQUIRE(out_.good(), "BinaryWriter: write failed");
  }
  std::ostream& out_;
};

class BinaryReader {
 public:
  explicit BinaryReader(std::istream& in, std::string source = "stream")
      : in_(in), source_(std::move(source)) {}

  template <class T>
  void value(const std::string& name, T& v) {
    static_assert(std::is_trivially_copyable_v<T>, "BinaryReader::value needs a trivially copyable type");
    expect(name, sizeof(T), 1);
    raw(&v, sizeof(T), name);
  }
  void string(const std::string& name, std::string& s, std::uint64_t max_size = 1u << 24) {
    const std::uint64_t n = header(name, 1);
    SAGIPS_REQUIRE(n <= max_size, source_ << ": section '" << name << "' claims " << n << " bytes");
    s.resize(n);
    raw(s.data(), n, name);
  }
  template <class T>
  void vector(const std::string& name, std::vector<T>& v, std::uint64_t max_count = 1u << 28) {
    const std::uint64_t n = header(name, sizeof(T));
    SAGIPS_REQUIRE(n <= max_count, source_ << ": section '" << name << "' claims " << n << " elements");
    v.resize(n);
    raw(v.data(), n * sizeof(T), name);
  }
  // Reads into an existing View, whose size must match what was saved.
  template <class View>
  void view(const std::string& name, const View& v) {
    using T = typename View::non_const_value_type;
    SAGIPS_REQUIRE(v.span_is_contiguous(), "BinaryReader: view '" << name << "' is not contiguous");
    expect(name, sizeof(T), v.span());
    auto h = Kokkos::create_mirror_view(Kokkos::HostSpace(), v);
    raw(h.data(), v.span() * sizeof(T), name);
    Kokkos::deep_copy(v, h);
  }

 private:
  std::uint64_t header(const std::string& name, std::uint64_t elem) {
    std::uint64_t len = 0;
    raw(&len, sizeof len, name);
    SAGIPS_REQUIRE(len < 4096, source_ << ": corrupt section header where '" << name << "' was expected");
    std::string found(len, '\0');
    raw(found.data(), len, name);
    SAGIPS_REQUIRE(found == name,
                   source_ << ": expected section '" << name << "', found '" << printable(found) << "'");
    std::uint64_t e = 0, count = 0;
    raw(&e, sizeof e, name);
    raw(&count, sizeof count, name);
    SAGIPS_REQUIRE(e == elem, source_ << ": section '" << name << "' has " << e << "-byte elements, expected "
                                      << elem);
    return count;
  }
  void expect(const std::string& name, std::uint64_t elem, std::uint64_t count) {
    const std::uint64_t n = header(name, elem);
    SAGIPS_REQUIRE(n == count, source_ << ": section '" << name << "' holds " << n << " elements, expected "
                                       << count);
  }
  // Bytes as they can be shown: each one outside printable ASCII as \xNN.
  static std::string printable(const std::string& bytes) {
    static const char hex[] = "0123456789abcdef";
    std::string out;
    for (const char ch : bytes) {
      const auto c = static_cast<unsigned char>(ch);
      if (c >= 0x20 && c < 0x7f) {
        out += ch;
      } else {
        out += "\\x";
        out += hex[c >> 4];
        out += hex[c & 15];
      }
    }
    return out;
  }
  void raw(void* p, std::uint64_t n, const std::string& name) {
    in_.read(static_cast<char*>(p), static_cast<std::streamsize>(n));
    SAGIPS_REQUIRE(static_cast<std::uint64_t>(in_.gcount()) == n,
                   source_ << ": truncated in section '" << name << "'");
  }
  std::istream& in_;
  std::string source_;
};

}  // namespace sagips
