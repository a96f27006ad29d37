// libFuzzer target: any byte stream, in any fragmentation, is split, parsed and mapped without
// crashing; every accepted frame re-frames to itself; points reported equal points appended.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "ingest/hj212.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  // The first byte picks strictness and the read size, so fragment reassembly is exercised.
  dc::hj212::Options opt{.strict = (data[0] & 1) != 0};
  size_t chunk = 1 + (data[0] >> 1);
  std::string_view stream(reinterpret_cast<const char*>(data + 1), size - 1);
  dc::hj212::FrameSplitter splitter(opt);
  dc::hj212::PointOptions popt;
  popt.site = "s";
  popt.zone = absl::FixedTimeZone(8 * 3600);
  std::string frame, error;
  for (size_t i = 0; i <= stream.size(); i += chunk) {
    splitter.Append(stream.substr(std::min(i, stream.size()), chunk));
    for (;;) {
      auto r = splitter.Next(&frame, &error);
      if (r == dc::hj212::FrameSplitter::Result::kNeedMore) break;
      if (r == dc::hj212::FrameSplitter::Result::kRejected) {
        if (error.empty()) std::abort();
        continue;
      }
      dc::hj212::FrameSplitter again(opt);
      again.Append(dc::hj212::Frame(frame));
      std::string back;
      if (again.Next(&back, &error) != dc::hj212::FrameSplitter::Result::kFrame || back != frame) {
        std::abort();
      }
      auto packet = dc::hj212::ParseData(frame, opt);
      if (!packet.ok()) continue;
      dc::PointBatch batch;
      auto pr = dc::hj212::ToPoints(*packet, popt, &batch);
      if (pr.points != batch.size()) std::abort();
      (void)dc::hj212::ReplyData(*packet, 9014, 0);
    }
    if (splitter.buffered() > 2 * dc::hj212::kMaxLenientDataLength + 64) std::abort();
  }
  return 0;
}
