#include "ingest/dlt645.h"

#include <string>

#include "gtest/gtest.h"

namespace dc::dlt645 {
namespace {

std::string Bytes(std::initializer_list<int> b) {
  std::string s;
  for (int x : b) s.push_back(static_cast<char>(x));
  return s;
}

// The read of "forward active energy, total" from meter 000000000001 as published in DL/T
// 645-2007 worked examples and meter manuals: FE FE FE FE 68 01 00 00 00 00 00 68 11 04 33 33 34
// 33 B3 16.
TEST(Dlt645Frame, ReadRequestMatchesThePublishedBytes) {
  auto addr = ParseAddress("000000000001");
  ASSERT_TRUE(addr.ok()) << addr.status();
  EXPECT_EQ(ReadRequest(*addr, 0x00010000),
            Bytes({0xFE, 0xFE, 0xFE, 0xFE, 0x68, 0x01, 0x00, 0x00, 0x00, 0x00,
                   0x00, 0x68, 0x11, 0x04, 0x33, 0x33, 0x34, 0x33, 0xB3, 0x16}));
  // Address discovery: 68 AA AA AA AA AA AA 68 13 00 DF 16.
  EXPECT_EQ(ReadAddressRequest(), Bytes({0xFE, 0xFE, 0xFE, 0xFE, 0x68, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA,
                                         0xAA, 0x68, 0x13, 0x00, 0xDF, 0x16}));
}

TEST(Dlt645Frame, AddressTextRoundTripsAndErrorsNameTheText) {
  auto a = ParseAddress("123456789012");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ((*a)[0], 0x12);  // last two digits first on the wire
  EXPECT_EQ((*a)[5], 0x12);
  EXPECT_EQ((*a)[4], 0x34);
  EXPECT_EQ(AddressText(*a), "123456789012");
  EXPECT_EQ(AddressText(kBroadcast), "AAAAAAAAAAAA");
  EXPECT_FALSE(ParseAddress("12345").ok());
  EXPECT_NE(ParseAddress("12345678901x").status().message().find("character 12"),
            std::string::npos);
}

TEST(Dlt645Reply, EnergyValueDecodes) {
  auto addr = *ParseAddress("000000000001");
  auto item = FindDataItem(0x00010000);
  ASSERT_TRUE(item.ok());
  EXPECT_EQ(item->unit, "kWh");
  EXPECT_EQ(item->name, "forward active energy, total, current");
  auto raw = EncodeValue(*item, 12345.67);
  ASSERT_TRUE(raw.ok());
  EXPECT_EQ(*raw, Bytes({0x67, 0x45, 0x23, 0x01}));
  std::string wire = EncodeReadReply(addr, 0x00010000, *raw);
  // 68 01 00 00 00 00 00 68 91 08 33 33 34 33 9A 78 56 34 CS 16
  EXPECT_EQ(wire.substr(0, 18), Bytes({0x68, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x68, 0x91, 0x08,
                                       0x33, 0x33, 0x34, 0x33, 0x9A, 0x78, 0x56, 0x34}));
  FrameSplitter s;
  s.Append(wire);
  Frame f;
  std::string err;
  ASSERT_EQ(s.Next(&f, &err), FrameSplitter::Result::kFrame) << err;
  auto r = ParseReadReply(f);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->di, 0x00010000u);
  auto v = DecodeValue(*item, r->value);
  ASSERT_TRUE(v.ok());
  EXPECT_DOUBLE_EQ(*v, 12345.67);
}

TEST(Dlt645Reply, SignedInstantValuesAndErrors) {
  auto power = FindDataItem(0x02030000);
  ASSERT_TRUE(power.ok());
  EXPECT_EQ(power->unit, "kW");
  auto raw = EncodeValue(*power, -12.3456);
  ASSERT_TRUE(raw.ok());
  EXPECT_EQ(*raw, Bytes({0x56, 0x34, 0x92}));  // sign bit in the top byte
  EXPECT_DOUBLE_EQ(*DecodeValue(*power, *raw), -12.3456);
  auto volt = FindDataItem(0x02010100);
  ASSERT_TRUE(volt.ok());
  EXPECT_DOUBLE_EQ(*DecodeValue(*volt, Bytes({0x05, 0x22})), 220.5);
  EXPECT_FALSE(DecodeValue(*volt, Bytes({0x0A, 0x22})).ok());  // not BCD
  EXPECT_FALSE(DecodeValue(*volt, Bytes({0x05})).ok());        // wrong length
  EXPECT_FALSE(FindDataItem(0x02010000).ok());                 // no total voltage
  EXPECT_FALSE(FindDataItem(0x04000401).ok());
  EXPECT_TRUE(FindDataItem(0x00013F0C).ok());  // tariff 63, 12 months ago
  EXPECT_FALSE(FindDataItem(0x0001400D).ok());
  EXPECT_FALSE(EncodeValue(*volt, -1).ok());
  EXPECT_FALSE(EncodeValue(*volt, 10000).ok());

  Frame abnormal{*ParseAddress("000000000001"), 0xD1, Bytes({0x02})};
  auto r = ParseReadReply(abnormal);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->error);
  EXPECT_EQ(r->error_code, 0x02);
  EXPECT_FALSE(ParseReadReply(Frame{{}, 0x11, ""}).ok());  // a request, not a reply
}

TEST(Dlt645Splitter, FragmentsGarbageAndBadChecksum) {
  auto addr = *ParseAddress("000000000007");
  auto item = *FindDataItem(0x00010000);
  std::string good = EncodeReadReply(addr, 0x00010000, *EncodeValue(item, 42.5));
  std::string bad = good;
  bad[bad.size() - 2] = static_cast<char>(bad[bad.size() - 2] + 1);
  std::string stream = Bytes({0xFE, 0xFE, 0x01, 0x02}) + bad + good + good;
  for (size_t chunk : {1u, 5u, 1000u}) {
    FrameSplitter s;
    int frames = 0, bad_sum = 0, garbage = 0;
    for (size_t i = 0; i < stream.size(); i += chunk) {
      s.Append(std::string_view(stream).substr(i, chunk));
      Frame f;
      std::string err;
      for (;;) {
        auto r = s.Next(&f, &err);
        if (r == FrameSplitter::Result::kNeedMore) break;
        if (r == FrameSplitter::Result::kRejected) {
          bad_sum += err.find("checksum") != std::string::npos;
          garbage += err.find("garbage") != std::string::npos;
          continue;
        }
        ++frames;
        EXPECT_EQ(AddressText(f.address), "000000000007");
        EXPECT_DOUBLE_EQ(*DecodeValue(item, ParseReadReply(f)->value), 42.5);
      }
    }
    EXPECT_EQ(frames, 2) << chunk;
    EXPECT_EQ(bad_sum, 1) << chunk;
    EXPECT_GE(garbage, 1) << chunk;  // 01 02 (the FE wake-up bytes are not garbage)
    EXPECT_EQ(s.buffered(), 0u);
  }
}

}  // namespace
}  // namespace dc::dlt645
