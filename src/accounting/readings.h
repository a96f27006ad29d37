// Where meter data comes from: a readings CSV (SITE_MODEL.md §2), the embedded store, or (later)
// a remote server. ComputeInventory asks a DataSource for each meter's samples.
#ifndef DC_ACCOUNTING_READINGS_H_
#define DC_ACCOUNTING_READINGS_H_

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/counter.h"
#include "common/sample.h"
#include "model/site.h"

namespace dc {
class Store;
}

namespace dc::accounting {

class DataSource {
 public:
  virtual ~DataSource() = default;
  // Samples of `meter` sorted by time (one per timestamp) that the period (start, end] needs:
  // interval amounts with start < t <= end at least; for counters also readings on either side
  // of each bound. A source may return more (the caller selects).
  virtual absl::StatusOr<std::vector<Sample>> Read(const model::Meter& meter, int64_t start,
                                                   int64_t end) = 0;
  // Optional fast path for interval meters: per sub-interval (bounds[k], bounds[k+1]] the sum,
  // count and minimum of the amounts, computed without returning points (the store folds block
  // statistics). Returns false if not supported; the caller then uses Read().
  struct IntervalStats {
    std::vector<double> sum, min;
    std::vector<int64_t> count;
  };
  virtual absl::StatusOr<bool> IntervalSums(const model::Meter& meter,
                                            const std::vector<int64_t>& bounds,
                                            IntervalStats* out) {
    (void)meter, (void)bounds, (void)out;
    return false;
  }
  // Optional fast path for counters: the counter rules (common/counter.h) over the readings that
  // Read(meter, bounds.front(), bounds.back()) would return, computed without returning points
  // (the store reads non-decreasing blocks from their statistics). The rollover is the
  // meter's. Returns false if not supported; the caller then uses Read() and CounterOver().
  virtual absl::StatusOr<bool> CounterIncrease(const model::Meter& meter,
                                               const std::vector<int64_t>& bounds,
                                               CounterResult* out) {
    (void)meter, (void)bounds, (void)out;
    return false;
  }
  // Meter swaps by meter id (sorted by time, model::MeterEvents), applied by the counter rules
  // of both paths (CounterIncrease and Read() + CounterOver); none by default.
  void SetSwaps(std::map<std::string, std::vector<CounterSwap>, std::less<>> swaps) {
    swaps_ = std::move(swaps);
  }
  // The meter's rollover and swaps.
  CounterOptions CounterOptionsFor(const model::Meter& meter) const;

  // Problems found while reading (bad rows), for the output's warnings.
  virtual std::vector<std::string> Warnings() const { return {}; }
  // Where the data came from, for the output ("readings.csv", "store /var/lib/dc").
  virtual std::string Describe() const = 0;

 private:
  std::map<std::string, std::vector<CounterSwap>, std::less<>> swaps_;
};

// Readings parsed from CSV text: header with columns time, meter, value (any order; other
// columns ignored). Times with an offset or local to `zone`. Bad rows (unknown meter, virtual
// meter, unparsable time or number) are skipped and reported with their line numbers; a
// negative amount for an interval meter, or two different values for the same meter and time,
// is an error. Rows are sorted by time, so their order in the file does not matter.
class CsvReadings : public DataSource {
 public:
  static absl::StatusOr<CsvReadings> Parse(std::string_view text, std::string_view name,
                                           const model::Site& site, const absl::TimeZone& zone);
  static absl::StatusOr<CsvReadings> ReadFile(const std::string& path, const model::Site& site,
                                              const absl::TimeZone& zone);

  absl::StatusOr<std::vector<Sample>> Read(const model::Meter& meter, int64_t start,
                                           int64_t end) override;
  std::vector<std::string> Warnings() const override { return warnings_; }
  std::string Describe() const override { return name_; }
  size_t rows() const { return rows_; }

 private:
  std::string name_;
  std::map<std::string, std::vector<Sample>, std::less<>> by_meter_;
  std::vector<std::string> warnings_;
  size_t rows_ = 0;
};

// Readings from the embedded store. A meter's series is MeterSeriesKey(meter). Counters are read
// `margin_ns` beyond each bound to find the readings on either side.
class StoreReadings : public DataSource {
 public:
  StoreReadings(Store& store, std::string describe, int64_t margin_ns);
  absl::StatusOr<std::vector<Sample>> Read(const model::Meter& meter, int64_t start,
                                           int64_t end) override;
  absl::StatusOr<bool> IntervalSums(const model::Meter& meter, const std::vector<int64_t>& bounds,
                                    IntervalStats* out) override;
  // Store::CounterIncrease with the neighbours looked for within margin_ns (as Read does).
  absl::StatusOr<bool> CounterIncrease(const model::Meter& meter,
                                       const std::vector<int64_t>& bounds,
                                       CounterResult* out) override;
  std::string Describe() const override { return describe_; }

 private:
  Store& store_;
  std::string describe_;
  int64_t margin_ns_;
};

// The series key of a meter: its `series`, else "meter,id=<meter id>,site=<site id> value"
// (every series belongs to one site: two sites with the same meter id never share a key).
std::string MeterSeriesKey(const model::Meter& meter);

}  // namespace dc::accounting

#endif  // DC_ACCOUNTING_READINGS_H_
