// The demo's site files: saved through the site store exactly as a user's would be.
#include "app/demo_plant.h"

namespace dc::app {

std::string DemoPlant::CementSiteToml() {
  return R"toml([site]
id = "demo-cement"
name = "示范水泥厂 Demo Cement Plant, 5000 t/d clinker line"
timezone = "Asia/Shanghai"
sector = "cement"
grid_region = "national"

[[meter]]
id = "grid-in"
carrier = "electricity"
kind = "interval"
unit = "kWh"
flow = "purchased"
area = "plant"
series = "meter,id=grid-in,site=demo-cement value"

[[meter]]
id = "raw-mill-elec"
carrier = "electricity"
kind = "interval"
unit = "kWh"
flow = "internal"
area = "raw_mill"
series = "meter,id=raw-mill-elec,site=demo-cement value"

[[meter]]
id = "kiln-elec"
carrier = "electricity"
kind = "interval"
unit = "kWh"
flow = "internal"
area = "kiln"
series = "meter,id=kiln-elec,site=demo-cement value"

[[meter]]
id = "cement-mill-elec"
carrier = "electricity"
kind = "interval"
unit = "kWh"
flow = "internal"
area = "cement_mill"
series = "meter,id=cement-mill-elec,site=demo-cement value"

[[meter]]
id = "packing-elec"
carrier = "electricity"
kind = "interval"
unit = "kWh"
flow = "internal"
area = "packing"
series = "meter,id=packing-elec,site=demo-cement value"

[[meter]]
id = "air-elec"
carrier = "electricity"
kind = "interval"
unit = "kWh"
flow = "internal"
area = "compressed_air"
series = "meter,id=air-elec,site=demo-cement value"

[[virtual_meter]]
id = "other-elec"
formula = "grid-in - raw-mill-elec - kiln-elec - cement-mill-elec - packing-elec - air-elec"
carrier = "electricity"
unit = "kWh"
area = "other"

[[meter]]
id = "kiln-coal"
carrier = "bituminous_coal"
kind = "interval"
unit = "t"
flow = "purchased"
area = "kiln"
series = "meter,id=kiln-coal,site=demo-cement value"
ncv_gj_per_t = 22.0
carbon_tc_per_gj = 0.0265
oxidation = 0.98

[[meter]]
id = "diesel"
carrier = "diesel"
kind = "interval"
unit = "t"
flow = "purchased"
area = "plant"
series = "meter,id=diesel,site=demo-cement value"

[[meter]]
id = "water-in"
carrier = "fresh_water"
kind = "counter"
unit = "t"
flow = "purchased"
area = "plant"
series = "meter,id=water-in,site=demo-cement value"

[[meter]]
id = "clinker-out"
carrier = "product"
kind = "interval"
unit = "t"
series = "meter,id=clinker-out,site=demo-cement value"

[[meter]]
id = "cement-out"
carrier = "product"
kind = "interval"
unit = "t"
series = "meter,id=cement-out,site=demo-cement value"

[[product]]
id = "clinker"
meter = "clinker-out"
areas = ["raw_mill", "kiln"]
benchmark = "cement_clinker"

[[product]]
id = "cement"
meter = "cement-out"

[cbam]
installation = "示范水泥厂 Demo Cement Plant, kiln 1"
country = "China"

[[cbam.good]]
product = "clinker"
cn_code = "2523 10 00"

[[cbam.good]]
product = "cement"
cn_code = "2523 29 00"
precursors = [{ product = "clinker", t_per_t = 0.75 }]

[[process]]
method = "cement_clinker"
id = "calcination"
clinker_meter = "clinker-out"
cao = 0.65
cao_non_carbonate = 0.005
mgo = 0.02
mgo_non_carbonate = 0.001
)toml";
}

std::string DemoPlant::SteelSiteToml() {
  return R"toml([site]
id = "demo-steel"
name = "Steel plant (UCI data: DAEWOO Steel, Gwangyang, 2018, CC BY 4.0)"
timezone = "Asia/Seoul"
sector = "steel"
grid_region = "national"

[[meter]]
id = "main-elec"
carrier = "electricity"
kind = "interval"
unit = "kWh"
flow = "purchased"
area = "plant"
series = "meter,id=main-elec,site=demo-steel value"
)toml";
}

}  // namespace dc::app
