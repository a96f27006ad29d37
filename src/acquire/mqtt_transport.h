// A byte stream to a broker: TCP, optionally inside TLS (OpenSSL: CA file, client certificate,
// host name verification). Blocking with timeouts; used by one thread at a time.
#ifndef DC_ACQUIRE_MQTT_TRANSPORT_H_
#define DC_ACQUIRE_MQTT_TRANSPORT_H_

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "acquire/mqtt_source.h"

namespace dc::acquire {

class MqttTransport {
 public:
  virtual ~MqttTransport() = default;
  // Writes all of `data`. Errors: the connection broke.
  [[nodiscard]] virtual absl::Status WriteAll(std::string_view data) = 0;
  // Waits up to timeout_ms for data and reads what is there (at most `cap` bytes) into `buf`.
  // Returns 0 on timeout. Errors: closed by the peer, or broken.
  virtual absl::StatusOr<size_t> Read(char* buf, size_t cap, int timeout_ms) = 0;
};

// Connects to host:port (TLS per `tls`) within timeout_ms. Errors say what failed: name
// resolution, connection refused, certificate verification.
absl::StatusOr<std::unique_ptr<MqttTransport>> ConnectMqttTransport(const std::string& host,
                                                                    int port,
                                                                    const MqttTlsOptions& tls,
                                                                    int timeout_ms);

}  // namespace dc::acquire

#endif  // DC_ACQUIRE_MQTT_TRANSPORT_H_
