// libFuzzer target: whatever a broker (or something pretending to be one) sends, the packet
// splitter and decoders return a packet or an error — no crash, no read past the buffer.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "acquire/mqtt_wire.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace wire = dc::mqtt::wire;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  for (int version : {wire::kV311, wire::kV5}) {
    std::string_view rest = in;
    while (!rest.empty()) {
      auto p = wire::NextPacket(rest, 1 << 20);
      if (!p.ok() || p->size == 0) break;
      int reason = 0;
      switch (p->type) {
        case wire::kPublish:
          (void)wire::DecodePublish(version, *p);
          break;
        case wire::kConnack:
          (void)wire::DecodeConnack(version, *p);
          break;
        case wire::kSuback:
          (void)wire::DecodeSuback(version, *p);
          break;
        case wire::kDisconnect:
          (void)wire::DecodeDisconnectReason(*p);
          break;
        default:
          (void)wire::DecodeAckId(*p, &reason);
          break;
      }
      rest.remove_prefix(p->size);
    }
  }
  return 0;
}
