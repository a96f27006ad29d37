// libFuzzer target: any byte stream, in any fragmentation, is split and decoded without
// crashing; accepted frames re-encode to the same bytes; decoded values re-encode to the same raw
// bytes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "ingest/dlt645.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  size_t chunk = 1 + data[0];
  std::string_view stream(reinterpret_cast<const char*>(data + 1), size - 1);
  dc::dlt645::FrameSplitter splitter;
  dc::dlt645::Frame frame;
  std::string error;
  for (size_t i = 0; i <= stream.size(); i += chunk) {
    splitter.Append(stream.substr(std::min(i, stream.size()), chunk));
    for (;;) {
      auto r = splitter.Next(&frame, &error);
      if (r == dc::dlt645::FrameSplitter::Result::kNeedMore) break;
      if (r == dc::dlt645::FrameSplitter::Result::kRejected) {
        if (error.empty()) std::abort();
        continue;
      }
      dc::dlt645::FrameSplitter again;
      again.Append(dc::dlt645::Encode(frame, 1));
      dc::dlt645::Frame back;
      if (again.Next(&back, &error) != dc::dlt645::FrameSplitter::Result::kFrame ||
          back.data != frame.data || back.address != frame.address ||
          back.control != frame.control) {
        std::abort();
      }
      auto reply = dc::dlt645::ParseReadReply(frame);
      if (!reply.ok() || reply->error) continue;
      auto item = dc::dlt645::FindDataItem(reply->di);
      if (!item.ok()) continue;
      auto v = dc::dlt645::DecodeValue(*item, reply->value);
      if (!v.ok()) continue;
      auto raw = dc::dlt645::EncodeValue(*item, *v);
      // -0 decodes to 0 and re-encodes without the sign bit; otherwise the bytes are equal.
      if (!raw.ok() || (*raw != reply->value && *v != 0)) std::abort();
    }
    if (splitter.buffered() > 4096 + chunk) std::abort();
  }
  return 0;
}
