// Helpers shared by the WAL tests (wal_test.cc, wal_recovery_test.cc).
#ifndef DC_STORAGE_WAL_TEST_UTIL_H_
#define DC_STORAGE_WAL_TEST_UTIL_H_

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <memory>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/env.h"
#include "common/sample.h"
#include "gtest/gtest.h"
#include "storage/wal.h"

namespace dc::wal_test {

// A batch flattened to comparable rows: key, time, value bits, quality.
using FlatRow = std::tuple<std::string, int64_t, uint64_t, int>;
using Flat = std::vector<FlatRow>;

inline Flat Flatten(const PointBatch& b) {
  Flat out;
  for (const auto& r : b.rows()) {
    out.emplace_back(b.keys()[r.series], r.t, std::bit_cast<uint64_t>(r.v), static_cast<int>(r.q));
  }
  return out;
}

inline PointBatch RandomBatch(std::mt19937_64& rng, int max_rows = 300) {
  PointBatch b;
  const int nkeys = 1 + static_cast<int>(rng() % 20);
  const int nrows = 1 + static_cast<int>(rng() % max_rows);
  int64_t t = static_cast<int64_t>(rng() % 2'000'000'000) * 1'000'000'000;
  for (int i = 0; i < nrows; ++i) {
    std::string key = absl::StrCat("meter,id=m", rng() % nkeys, ",site=s value");
    switch (rng() % 16) {
      case 0:
        t = std::numeric_limits<int64_t>::min();
        break;
      case 1:
        t = std::numeric_limits<int64_t>::max();
        break;
      case 2:
        t = static_cast<int64_t>(static_cast<uint64_t>(t) - rng() % 1'000'000'000'000);
        break;  // out of order (wraps past the extremes)
      default:
        t = static_cast<int64_t>(static_cast<uint64_t>(t) + rng() % 60'000'000'000);
        break;
    }
    double v =
        std::ldexp(static_cast<double>(rng() % 1'000'000), static_cast<int>(rng() % 40) - 20);
    if (rng() % 50 == 0) v = std::numeric_limits<double>::quiet_NaN();
    if (rng() % 50 == 0) v = -std::numeric_limits<double>::infinity();
    b.Add(key, t, v, static_cast<Quality>(rng() % 10 == 0 ? 1 + rng() % 2 : 0));
  }
  return b;
}

inline std::string MakeTempDir() {
  std::string tmpl = (std::filesystem::path(::testing::TempDir()) / "wal_test_XXXXXX").string();
  char* d = ::mkdtemp(tmpl.data());
  EXPECT_NE(d, nullptr);
  return tmpl;
}

struct Replayed {
  std::vector<uint64_t> file_nos;
  std::vector<Flat> batches;
};

inline WalOptions Options(Env* env, const std::string& dir, const char* policy = "off") {
  WalOptions o;
  o.env = env;
  o.dir = dir;
  o.policy = *ParseFsyncPolicy(policy);
  return o;
}

// Opens the log, collecting what it replays.
inline std::unique_ptr<Wal> OpenWal(const WalOptions& o, Replayed* out, WalRecoveryReport* report) {
  auto w = Wal::Open(
      o,
      [out](uint64_t no, const PointBatch& b) {
        if (out == nullptr) return absl::OkStatus();
        out->file_nos.push_back(no);
        out->batches.push_back(Flatten(b));
        return absl::OkStatus();
      },
      report);
  EXPECT_TRUE(w.ok()) << w.status();
  return w.ok() ? std::move(*w) : nullptr;
}

inline Replayed Reopen(const WalOptions& o, WalRecoveryReport* report) {
  Replayed r;
  OpenWal(o, &r, report);
  return r;
}

class WalTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = MakeTempDir(); }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string File(uint64_t no) const { return absl::StrFormat("%s/%06d.wal", dir_, no); }
  std::string dir_;
  std::mt19937_64 rng_{42};
};

}  // namespace dc::wal_test

#endif  // DC_STORAGE_WAL_TEST_UTIL_H_
