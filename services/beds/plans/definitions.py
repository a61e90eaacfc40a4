"""Every plan indicator: what it counts, where its figures come from, its unit, labels (pure data).

An indicator id is what targets, reports and the outside-check interface name. Each
definition says, in Chinese and English, exactly how the figure is made, so every
figure in a report can be traced to its definition (and every target to its quoted
line, :mod:`services.beds.seeds`).

Sources: ``beds`` (monthly bed reports of the period), ``registry`` (the facility
registry and region tree as they are when asked: the registry keeps no monthly
history), ``coverage`` (the coverage service's latest finished run for the region),
``reported`` (figures districts report per region and month) and ``derived``
(reported figures combined with registry or bed figures).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Source = Literal["beds", "registry", "coverage", "reported", "derived"]
Unit = Literal["share", "count", "beds", "per_1000", "per_100", "yuan_100m"]


@dataclass(frozen=True)
class Definition:
    """One indicator. ``gap_unit``: what a gap is counted in (beds, streets, people …)."""

    id: str
    source: Source
    unit: Unit
    label_zh: str
    label_en: str
    definition_zh: str
    definition_en: str
    gap_unit_zh: str
    gap_unit_en: str

    @property
    def is_share(self) -> bool:
        return self.unit == "share"

    @property
    def inheritable(self) -> bool:
        """Shares and rates of a city also describe its districts; counts do not."""
        return self.unit in ("share", "per_1000", "per_100")


D = Definition
UNIT_STREETS = ("个乡镇(街道)", "streets/towns")

DEFINITIONS: tuple[Definition, ...] = (
    # --- beds: monthly bed reports of the period --------------------------------------------
    D(
        "total_beds",
        "beds",
        "beds",
        "养老服务床位",
        "care beds (养老服务床位)",
        "当月报告的全部养老服务床位:养老机构床位加社区养老服务设施床位(家庭养老床位另计)",
        "beds reported for the month by every facility, institutions and community facilities alike "
        "(family beds in homes not included)",
        "张床位",
        "beds",
    ),
    D(
        "institutional_beds",
        "beds",
        "beds",
        "养老机构床位",
        "institutional beds",
        "养老机构(养老院、敬老院、嵌入式养老机构)当月报告的床位",
        "beds reported for the month by "
        "institutions: nursing homes, township homes (敬老院) and community-embedded homes",
        "张床位",
        "beds",
    ),
    D(
        "nursing_share",
        "beds",
        "share",
        "养老机构护理型床位占比",
        "nursing-type share of institutional beds",
        "养老机构护理型床位 ÷ 养老机构床位(社区养老服务设施的床位不计入)",
        "nursing-type beds of institutions ÷ beds of institutions (community facilities' beds excluded)",
        "张床位",
        "beds",
    ),
    D(
        "beds_per_1000_elderly",
        "beds",
        "per_1000",
        "每千名老年人拥有养老床位",
        "care beds per 1,000 residents aged 60+",
        "养老服务床位 × 1000 ÷ 60岁及以上常住人口(人口登记的 elderly_60plus;无人口数则不计算)",
        "care beds × 1,000 ÷ residents aged 60+ (the region's elderly_60plus in the registry; "
        "none without a population)",
        "张床位",
        "beds",
    ),
    D(
        "private_operated_share",
        "beds",
        "share",
        "民营养老床位占比",
        "privately operated share of care beds",
        "公建民营与民办设施的养老服务床位 ÷ 养老服务床位",
        "care beds of public-built private-run (公建民营) and private (民办) facilities ÷ care beds",
        "张床位",
        "beds",
    ),
    D(
        "government_operated_share",
        "beds",
        "share",
        "政府运营床位占比",
        "government-operated share of care beds",
        "公办公营设施的养老服务床位 ÷ 养老服务床位",
        "care beds of public-run (公办公营) facilities ÷ care beds",
        "张床位",
        "beds",
    ),
    D(
        "county_has_70pct_nursing_facility",
        "beds",
        "share",
        "护理型床位占比不低于70%的养老机构县级覆盖",
        "county-level units with an institution of ≥ 70 % nursing-type beds",
        "县级单位(区、县、县级市、特区)中,当月至少有一所养老机构护理型床位占比不低于70%的单位所占比例;没有的单位即未达标",
        "share of county-level units (districts, counties, county-level cities, special districts) with at "
        "least one institution whose reported nursing-type beds are ≥ 70 % of its beds this month; a unit "
        "with none fails",
        "个县级单位",
        "county-level units",
    ),
    D(
        "county_has_70pct_central_home",
        "beds",
        "share",
        "护理型床位占比不低于70%的中心敬老院县级覆盖",
        "county-level units with a township home of ≥ 70 % nursing-type beds",
        "县级单位中,当月至少有一所敬老院护理型床位占比不低于70%的单位所占比例",
        "share of county-level units with at least one township home (敬老院) whose reported nursing-type "
        "beds are ≥ 70 % of its beds this month",
        "个县级单位",
        "county-level units",
    ),
    # --- registry: units and facilities as registered -----------------------------------------
    D(
        "street_center_coverage",
        "registry",
        "share",
        "乡镇(街道)综合养老服务中心覆盖率",
        "streets/towns with a comprehensive care centre",
        "有至少一所在用的街道/乡镇综合养老服务中心登记在内的乡镇(街道)÷ 乡镇(街道)总数(街道、镇、乡;林场、农场、开发区不计)",
        "streets/towns (subdistricts 街道, towns 镇, townships 乡; farms and zones excluded) with at least "
        "one active comprehensive care centre registered in them ÷ all streets/towns",
        *UNIT_STREETS,
    ),
    D(
        "town_center_coverage",
        "registry",
        "share",
        "镇养老服务中心覆盖率",
        "towns with a care centre",
        "有在用综合养老服务中心的镇、乡 ÷ 镇、乡总数",
        "towns and townships with an active comprehensive care centre ÷ all towns and townships",
        "个镇(乡)",
        "towns",
    ),
    D(
        "town_centers",
        "registry",
        "count",
        "镇养老服务中心数",
        "care centres in towns",
        "登记在镇、乡的在用综合养老服务中心数",
        "active comprehensive care centres registered in towns and townships",
        "所",
        "centres",
    ),
    D(
        "community_station_coverage",
        "registry",
        "share",
        "城市社区养老服务站覆盖率",
        "urban communities with a station",
        "有在用社区养老服务站(或日间照料中心、综合养老服务中心)登记在内的城市社区 ÷ 城市社区总数",
        "urban communities (社区) with an active community station, day-care centre or comprehensive "
        "centre registered in them ÷ all urban communities",
        "个城市社区",
        "urban communities",
    ),
    D(
        "village_mutual_aid_coverage",
        "registry",
        "share",
        "行政村互助养老服务设施覆盖率",
        "villages with a mutual-aid point or happiness home",
        "有在用互助养老点或农村幸福院登记在内的行政村 ÷ 行政村总数",
        "villages (村) with an active mutual-aid point or rural happiness home registered in them ÷ all "
        "villages",
        "个行政村",
        "villages",
    ),
    D(
        "village_service_coverage",
        "registry",
        "share",
        "农村社区养老服务覆盖率",
        "villages with any home or community care facility",
        "有任一在用居家社区养老服务设施(中心、站、日间照料、助餐点、幸福院、互助点)的行政村 ÷ 行政村总数",
        "villages with any active home or community care facility (centre, station, day care, meal "
        "point, happiness home, mutual-aid point) ÷ all villages",
        "个行政村",
        "villages",
    ),
    D(
        "home_community_service_coverage",
        "registry",
        "share",
        "居家社区养老服务覆盖率",
        "communities and villages with home or community care",
        "有任一在用居家社区养老服务设施登记在内的城市社区和行政村 ÷ 城市社区和行政村总数",
        "urban communities and villages with any active home or community care facility registered in "
        "them ÷ all urban communities and villages",
        "个社区(村)",
        "communities/villages",
    ),
    D(
        "town_residential_care_coverage",
        "registry",
        "share",
        "乡镇集中养老服务功能覆盖率",
        "towns with residential (institutional) care",
        "有在用养老机构(养老院、敬老院、嵌入式养老机构)登记在内的镇、乡 ÷ 镇、乡总数",
        "towns and townships with an active institution (nursing home, township home or embedded home) "
        "registered in them ÷ all towns and townships",
        "个镇(乡)",
        "towns",
    ),
    D(
        "street_embedded_home_coverage",
        "registry",
        "share",
        "街道嵌入式养老机构覆盖率",
        "subdistricts with a community-embedded home",
        "有在用嵌入式养老机构登记在内的街道 ÷ 街道总数(镇、乡不计)",
        "subdistricts (街道; towns excluded) with an active community-embedded home registered in them "
        "÷ all subdistricts",
        "个街道",
        "subdistricts",
    ),
    D(
        "embedded_homes",
        "registry",
        "count",
        "嵌入式养老机构数",
        "community-embedded homes",
        "在用嵌入式养老机构数",
        "active community-embedded homes (嵌入式养老机构)",
        "所",
        "homes",
    ),
    D(
        "mutual_aid_points",
        "registry",
        "count",
        "村级互助养老点数",
        "mutual-aid points",
        "在用互助养老点数",
        "active mutual-aid points (互助养老点)",
        "个",
        "points",
    ),
    D(
        "socialized_operation_rate",
        "registry",
        "share",
        "城市社区居家养老服务设施社会化运营率",
        "socialized operation of urban community facilities",
        "城市(城市社区或街道)内在用的综合养老服务中心、社区养老服务站、日间照料中心中,公建民营或民办的所占比例(运营方式未登记的不计)",
        "share of active comprehensive centres, community stations and day-care centres in urban units "
        "(urban communities or subdistricts) run as public-built private-run or private (facilities "
        "without a recorded mode excluded)",
        "所设施",
        "facilities",
    ),
    D(
        "center_led_station_rate",
        "registry",
        "share",
        "“中心带站”运营率",
        "center-led stations",
        "城市内在用社区养老服务站中,由在用综合养老服务中心运营(登记了 center_id)的所占比例",
        "share of active community stations in urban units that an active comprehensive centre runs "
        "(center_id in the registry)",
        "个服务站",
        "stations",
    ),
    D(
        "township_home_socialized_rate",
        "registry",
        "share",
        "敬老院社会化运营率",
        "township homes under socialized operation",
        "在用敬老院中公建民营或民办的所占比例(运营方式未登记的不计)",
        "share of active township homes (敬老院) run as public-built private-run or private (without a "
        "recorded mode excluded)",
        "所敬老院",
        "township homes",
    ),
    D(
        "star_rated_share",
        "registry",
        "share",
        "星级养老机构占比",
        "star-rated institutions",
        "在用养老机构中评定一星及以上的所占比例",
        "share of active institutions with an official rating of one star or more",
        "所机构",
        "institutions",
    ),
    D(
        "star_3plus_share",
        "registry",
        "share",
        "三星级及以上养老机构占比",
        "institutions rated three stars or more",
        "在用养老机构中评定三星及以上的所占比例",
        "share of active institutions with an official rating of three stars or more",
        "所机构",
        "institutions",
    ),
    # --- coverage: the coverage service's latest finished run ---------------------------------
    D(
        "fifteen_minute_circle_share",
        "coverage",
        "share",
        "15分钟养老服务圈覆盖率",
        "elderly inside the 15-minute care circle",
        "最近一次15分钟步行覆盖计算中,步行15分钟内可达在用服务站的老年人 ÷ 老年人(覆盖服务的需求点权重)",
        "elderly within a 15-minute walk of an active station ÷ all elderly, from the coverage service's "
        "latest finished 15-minute run for the region (demand-point weights)",
        "名老年人",
        "elderly",
    ),
    D(
        "rural_one_hour_circle_share",
        "coverage",
        "share",
        "农村1小时养老圈覆盖率",
        "elderly inside the rural one-hour care circle",
        "最近一次60分钟覆盖计算中,60分钟内可达的老年人 ÷ 老年人",
        "elderly within 60 minutes of a "
        "facility ÷ all elderly, from the latest finished 60-minute run for the region",
        "名老年人",
        "elderly",
    ),
    # --- reported by districts ----------------------------------------------------------------
    D(
        "destitute_centralized_care_rate",
        "reported",
        "share",
        "生活不能自理特困人员集中供养率",
        "centralised care of destitute people unable to care for themselves",
        "集中供养的生活不能自理特困人员 ÷ 生活不能自理特困人员(区县上报)",
        "destitute people (特困人员) unable to care for themselves in centralised care ÷ all such people "
        "(reported)",
        "人",
        "people",
    ),
    D(
        "willing_disabled_destitute_centralized_rate",
        "reported",
        "share",
        "有意愿的失能特困人员集中供养率",
        "centralised care of willing disabled destitute people",
        "集中供养的有意愿失能特困人员 ÷ 有集中供养意愿的失能特困人员(区县上报)",
        "disabled destitute people wishing centralised care who receive it ÷ all who wish it (reported)",
        "人",
        "people",
    ),
    D(
        "entrusted_care_agreement_rate",
        "reported",
        "share",
        "分散供养失能特困人员委托照料服务协议签订率",
        "care agreements for disabled destitute people cared for at home",
        "签订委托照料服务协议的分散供养失能特困人员 ÷ 分散供养失能特困人员(区县上报)",
        "disabled destitute people cared for at home with a signed care agreement ÷ all of them (reported)",
        "人",
        "people",
    ),
    D(
        "institution_quality_compliance_rate",
        "reported",
        "share",
        "养老机构服务基本质量达标率",
        "institutions meeting the basic service-quality standard",
        "达到《养老机构服务质量基本规范》的养老机构 ÷ 养老机构(区县上报)",
        "institutions meeting the national basic service-quality standard ÷ all institutions (reported)",
        "所机构",
        "institutions",
    ),
    D(
        "rural_destitute_facility_quality_rate",
        "reported",
        "share",
        "农村特困人员供养服务机构服务质量达标率",
        "rural destitute-care facilities meeting the quality standard",
        "达到养老机构服务质量基本规范要求的农村特困人员供养服务机构 ÷ 农村特困人员供养服务机构(区县上报)",
        "rural destitute-care facilities (敬老院) meeting the basic quality standard ÷ all of them (reported)",
        "所机构",
        "facilities",
    ),
    D(
        "disabled_destitute_care_center_quality_rate",
        "reported",
        "share",
        "失能特困人员集中照护中心服务质量达标率",
        "care centres for disabled destitute people meeting the quality standard",
        "达到《养老机构服务质量基本规范》的失能特困人员集中照护中心 ÷ 该类中心(区县上报)",
        "centralised care centres for disabled destitute people meeting the quality standard ÷ all of them "
        "(reported)",
        "所中心",
        "centres",
    ),
    D(
        "town_center_and_home_quality_rate",
        "reported",
        "share",
        "镇养老服务中心和敬老院服务质量达标率",
        "town care centres and township homes meeting the quality standard",
        "达到《养老机构服务质量基本规范》的镇养老服务中心和敬老院 ÷ 其总数(区县上报)",
        "town care centres and township homes meeting the quality standard ÷ all of them (reported)",
        "所设施",
        "facilities",
    ),
    D(
        "new_area_facility_compliance_rate",
        "reported",
        "share",
        "新建城区、新建居住(小)区配套建设养老服务设施达标率",
        "new residential areas with the required care facilities",
        "按标准配套建设养老服务设施的新建城区、新建居住(小)区 ÷ 新建城区、新建居住(小)区(区县上报)",
        "new urban areas and residential estates with care facilities built to standard ÷ all of them "
        "(reported)",
        "个小区",
        "estates",
    ),
    D(
        "existing_area_facility_compliance_rate",
        "reported",
        "share",
        "已建城区、已建居住(小)区配套建设养老服务设施达标率",
        "existing residential areas with the required care facilities",
        "养老服务设施配置达标的已建城区、已建居住(小)区 ÷ 已建城区、已建居住(小)区(区县上报)",
        "existing urban areas and estates with care facilities to standard ÷ all of them (reported)",
        "个小区",
        "estates",
    ),
    D(
        "new_professional_caregivers",
        "reported",
        "count",
        "新增专业护理人才",
        "new professional caregivers",
        "“十四五”期间累计新增专业护理人才(区县上报)",
        "professional caregivers added since 2021, cumulative (reported)",
        "人",
        "people",
    ),
    D(
        "trained_home_directors",
        "reported",
        "count",
        "培育养老院长",
        "care-home directors trained",
        "“十四五”期间累计培育的养老院长(区县上报)",
        "care-home directors trained since 2021, cumulative (reported)",
        "名",
        "people",
    ),
    D(
        "certified_staff_rate",
        "reported",
        "share",
        "养老护理员持证上岗率",
        "certified care staff",
        "持证上岗的养老护理员 ÷ 养老护理员(区县上报)",
        "care workers holding a certificate ÷ all care workers (reported)",
        "人",
        "people",
    ),
    D(
        "elderly_care_social_workers",
        "reported",
        "count",
        "养老服务社会工作者",
        "social workers in elderly care",
        "从事养老服务的社会工作者人数(区县上报)",
        "social workers in elderly care (reported)",
        "名",
        "people",
    ),
    D(
        "integrated_care_community_institutions",
        "reported",
        "count",
        "社区医养结合型机构",
        "community institutions integrating medical and elderly care",
        "社区医养结合型机构数(区县上报)",
        "community institutions integrating medical and elderly care (reported)",
        "个",
        "institutions",
    ),
    D(
        "integrated_care_nursing_homes",
        "reported",
        "count",
        "医养结合型老年人养护院",
        "integrated medical-care nursing homes",
        "医养结合型老年人养护院数(区县上报)",
        "nursing homes integrating medical care (医养结合型老年人养护院, reported)",
        "所",
        "homes",
    ),
    D(
        "geriatric_department_rate",
        "reported",
        "share",
        "二级以上综合性医院设老年病科比例",
        "general hospitals (grade II+) with a geriatrics department",
        "设老年病科的二级以上综合性医院 ÷ 二级以上综合性医院(区县上报)",
        "grade II+ general hospitals with a geriatrics department ÷ all of them (reported)",
        "所医院",
        "hospitals",
    ),
    D(
        "tcm_rehab_department_rate",
        "reported",
        "share",
        "三级中医医院设置康复科比例",
        "grade III TCM hospitals with a rehabilitation department",
        "设置康复科的三级中医医院 ÷ 三级中医医院(区县上报)",
        "grade III traditional-medicine hospitals with "
        "a rehabilitation department ÷ all of them (reported)",
        "所医院",
        "hospitals",
    ),
    D(
        "green_channel_rate",
        "reported",
        "share",
        "医疗机构老年人就医绿色通道开设率",
        "medical institutions with a green channel for the elderly",
        "开设老年人挂号、就医绿色通道的医疗机构 ÷ 医疗机构(区县上报)",
        "medical institutions with a "
        "registration and treatment green channel for the elderly ÷ all of them (reported)",
        "所机构",
        "institutions",
    ),
    D(
        "health_elderly_care_towns",
        "reported",
        "count",
        "健康养老小镇",
        "health and elderly-care towns",
        "建成的集休闲旅游、度假养生、康体养老于一体的健康养老小镇数(区县上报)",
        "health and elderly-care towns built (reported)",
        "个",
        "towns",
    ),
    D(
        "care_center_renovations",
        "reported",
        "count",
        "照料中心改扩建项目",
        "care centres renovated or extended",
        "当年完成改扩建的照料中心数(区县上报)",
        "care centres renovated or extended this year (reported)",
        "个",
        "projects",
    ),
    D(
        "elder_canteen_renovations",
        "reported",
        "count",
        "敬老餐厅改扩建项目",
        "elder canteens renovated or extended",
        "当年完成改扩建的敬老餐厅数(区县上报)",
        "elder canteens renovated or extended this year (reported)",
        "个",
        "projects",
    ),
    D(
        "elderly_care_industry_investment",
        "reported",
        "yuan_100m",
        "养老产业项目年度投资",
        "elderly-care project investment",
        "当年养老事业与产业重点项目完成投资(亿元,区县上报)",
        "investment completed this year in key elderly-care projects (100 million yuan, reported)",
        "亿元",
        "100 million yuan",
    ),
    D(
        "home_adaptations",
        "reported",
        "count",
        "老年人家庭适老化改造",
        "homes adapted for older people",
        "当年完成适老化改造的老年人家庭数(区县上报)",
        "older people's homes adapted this year (适老化改造, reported)",
        "户",
        "homes",
    ),
    # --- derived: reported figures combined with registry or bed figures ---------------------
    D(
        "social_workers_per_1000_elderly",
        "derived",
        "per_1000",
        "每千名老年人拥有社会工作者",
        "social workers per 1,000 residents aged 60+",
        "养老服务社会工作者(上报)× 1000 ÷ 60岁及以上常住人口",
        "reported elderly-care social workers × 1,000 ÷ residents aged 60+",
        "名社会工作者",
        "social workers",
    ),
    D(
        "social_workers_per_100_institution_beds",
        "derived",
        "per_100",
        "每百张养老机构床位拥有社会工作者",
        "social workers per 100 institutional beds",
        "养老服务社会工作者(上报)× 100 ÷ 当月养老机构床位",
        "reported elderly-care social workers × 100 ÷ institutional beds reported this month",
        "名社会工作者",
        "social workers",
    ),
    D(
        "county_has_integrated_care_home",
        "derived",
        "share",
        "县级医养结合型老年人养护院覆盖",
        "county-level units with an integrated medical-care nursing home",
        "上报有至少一所医养结合型老年人养护院的县级单位 ÷ 县级单位(有单位未上报则无数据)",
        "county-level units reporting at least one integrated medical-care nursing home ÷ all county-level "
        "units (no data while any unit has not reported)",
        "个县级单位",
        "county-level units",
    ),
)

BY_ID: dict[str, Definition] = {d.id: d for d in DEFINITIONS}
INDICATOR_IDS: tuple[str, ...] = tuple(d.id for d in DEFINITIONS)
REPORTED_IDS: tuple[str, ...] = tuple(d.id for d in DEFINITIONS if d.source == "reported")


def definition(indicator: str) -> Definition:
    """The definition of ``indicator``; ValueError naming the known ids otherwise."""
    try:
        return BY_ID[indicator]
    except KeyError:
        raise ValueError(
            f"unknown indicator {indicator!r}; one of {', '.join(INDICATOR_IDS)}"
        ) from None
