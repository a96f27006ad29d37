// libFuzzer target for WAL recovery and the payload decoder. Input: one mode byte, then content.
//   mode % 4 == 0: content is a whole WAL file (the seeds in fuzz/wal/ are real WAL files)
//   mode % 4 == 1: content follows a valid file header
//   mode % 4 == 2: content is the payload of one record with valid header and CRCs
//   mode % 4 == 3: content is only decoded as a payload
// The content is always also decoded directly as a payload. Nothing may crash, replayed
// batches must be well-formed, and a recovered log must accept and replay a new record.
#include <stdlib.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <string_view>

#include "storage/wal.h"
#include "storage/wal_format.h"

namespace {

void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "wal_fuzz: %s\n", what);
    std::abort();
  }
}

void CheckWellFormed(const dc::PointBatch& b) {
  for (const auto& r : b.rows()) {
    Check(r.series < b.keys().size(), "row refers to a missing series key");
    Check(static_cast<uint8_t>(r.q) <= static_cast<uint8_t>(dc::Quality::kBad), "bad quality");
  }
}

void DecodeDirectly(std::string_view payload) {
  dc::PointBatch b;
  if (!dc::wal::DecodePayload(payload, &b).ok()) {
    Check(b.empty(), "failed decode left rows behind");
    return;
  }
  CheckWellFormed(b);
  // Re-encoding what was decoded must round-trip.
  std::string buf(dc::wal::MaxPayloadSize(b), '\0');
  buf.resize(dc::wal::EncodePayload(b, buf.data()));
  dc::PointBatch again;
  Check(dc::wal::DecodePayload(buf, &again).ok(), "re-encoded payload does not decode");
  Check(again.size() == b.size(), "re-encoded payload differs");
}

// Never destroyed, so the exit hook that removes it can still read it.
const std::string& Dir() {
  static const std::string* dir = [] {
    auto* t =
        new std::string((std::filesystem::temp_directory_path() / "wal_fuzz_XXXXXX").string());
    Check(::mkdtemp(t->data()) != nullptr, "mkdtemp failed");
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(*dir, ec);
    });
    return t;
  }();
  return *dir;
}

std::string FileContents(uint8_t mode, std::string_view content) {
  switch (mode % 4) {
    case 0:
      return std::string(content);
    case 1:
      return dc::wal::EncodeFileHeader(1) + std::string(content);
    default: {
      std::string rec(dc::wal::kRecordHeaderSize, '\0');
      rec.append(content);
      if (content.size() > 0 && content.size() <= dc::wal::kMaxPayloadBytes) {
        dc::wal::FillRecordHeader(rec.data(), static_cast<uint32_t>(content.size()));
      }
      return dc::wal::EncodeFileHeader(1) + rec;
    }
  }
}

void RecoverFromFile(const std::string& file) {
  const std::string& dir = Dir();
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  FILE* f = std::fopen((dir + "/000001.wal").c_str(), "wb");
  Check(f != nullptr, "cannot write the input file");
  Check(std::fwrite(file.data(), 1, file.size(), f) == file.size(), "short write");
  std::fclose(f);

  dc::WalOptions opt;
  opt.env = dc::Env::Default();
  opt.dir = dir;
  opt.policy.mode = dc::FsyncPolicy::Mode::kOff;
  int64_t replayed = 0;
  auto count = [&replayed](uint64_t, const dc::PointBatch& b) {
    CheckWellFormed(b);
    ++replayed;
    return absl::OkStatus();
  };
  dc::WalRecoveryReport report;
  auto wal = dc::Wal::Open(opt, count, &report);
  Check(wal.ok(), "Open failed on a damaged log instead of reporting it");
  Check(report.records == replayed, "report does not match the replayed records");
  dc::PointBatch b;
  b.Add("fuzz,k=1 value", 1, 2.5);
  Check((*wal)->Append(b).ok(), "append after recovery failed");
  wal->reset();
  int64_t first = replayed;
  replayed = 0;
  auto again = dc::Wal::Open(opt, count, &report);
  Check(again.ok(), "second Open failed");
  // Everything replayed before comes back (from the unchanged or truncated file) plus the new
  // record.
  Check(replayed == first + 1, "second recovery lost records");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0 || size > (1 << 20)) return 0;
  const uint8_t mode = data[0];
  const std::string_view content(reinterpret_cast<const char*>(data) + 1, size - 1);
  DecodeDirectly(content);
  if (mode % 4 != 3) RecoverFromFile(FileContents(mode, content));
  return 0;
}
