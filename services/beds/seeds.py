"""Every measurable elderly-care target of the plans in ../shared/plans, exactly as written.

Each target names its region, indicator (:mod:`services.beds.plans.definitions`),
comparator as the text words it (超过 = ``gt``; 以上/不低于/达到/全覆盖/不少于 = ``ge``;
不超过/≤ = ``le``), threshold (shares as fractions: 55 % is 0.55), target year (2025,
the end of the 14th Five-Year period, unless the line names another), baseline where
the text gives one, kind (``binding`` True = 约束性, False = 预期性, None = not stated:
only the plans' indicator tables state it), the document, its file, and the quoted
line (``source_line``, a verbatim excerpt of one line of the file) and, for a target
from an indicator table, the row's cells as consecutive lines of the file
(``source_table``, cells joined by `` | ``). ``wording`` is the comparator's own words.
The test suite checks every line and cell against the files, and that migration
``beds_0005`` seeds exactly these rows.

Deliberately not seeded (docs/plans.md lists them with their lines): figures of the
13th Five-Year period (Liupanshui's table 1), project lists without an indicator
(Yubei's 集中照护中心 2所, 敬老院 2所/1所; Xiamen's policy documents), aims without a
checkable definition (Liupanshui's "全市所有县区全部建有护理型养老机构", Zhangzhou's
"建立'15分钟'居家社区养老服务圈" and "政府购买服务…居家养老服务全覆盖"), and the county
fragment, which has no elderly-care figure.
"""

from __future__ import annotations

from typing import Any

LIUPANSHUI = "520200000000"
ZHONGSHAN = "520201000000"  # 钟山区, 六盘水市
ZHANGZHOU = "350600000000"
YUBEI = "500112000000"
XIAMEN = "350200000000"

LIUPANSHUI_PLAN = '六盘水市"十四五"民政事业发展规划'
ZHANGZHOU_PLAN = '漳州市"十四五"民政事业发展专项规划'
YUBEI_PLAN = '渝北区民政事业发展"十四五"规划(征求意见稿)'
XIAMEN_PLAN = "2023年全市民政工作要点(厦门市民政局)"
LIUPANSHUI_FILE = "liupanshui-14th-fyp-civil-affairs.txt"
ZHANGZHOU_FILE = "zhangzhou-14th-fyp-civil-affairs.txt"
YUBEI_FILE = "yubei-14th-fyp-civil-affairs-draft.txt"
XIAMEN_FILE = "xiamen-2023-civil-affairs-work-points.txt"

PLANS = {
    LIUPANSHUI: ("六盘水市", LIUPANSHUI_PLAN, LIUPANSHUI_FILE),
    ZHONGSHAN: ("钟山区", LIUPANSHUI_PLAN, LIUPANSHUI_FILE),
    ZHANGZHOU: ("漳州市", ZHANGZHOU_PLAN, ZHANGZHOU_FILE),
    YUBEI: ("渝北区", YUBEI_PLAN, YUBEI_FILE),
    XIAMEN: ("厦门市", XIAMEN_PLAN, XIAMEN_FILE),
}
COLUMNS = (
    "region_code",
    "region_name",
    "indicator",
    "comparator",
    "threshold",
    "binding",
    "target_year",
    "source_document",
    "note",
    "baseline",
    "baseline_year",
    "wording",
    "source_file",
    "source_line",
    "source_table",
)


def target(
    region: str,
    indicator: str,
    comparator: str,
    threshold: float,
    wording: str,
    line: str,
    *,
    binding: bool | None = None,
    year: int = 2025,
    baseline: float | None = None,
    baseline_year: int | None = None,
    table: str | None = None,
    note: str | None = None,
) -> dict[str, Any]:
    name, document, file = PLANS[region]
    return {
        "region_code": region,
        "region_name": name,
        "indicator": indicator,
        "comparator": comparator,
        "threshold": threshold,
        "binding": binding,
        "target_year": year,
        "source_document": document,
        "note": note,
        "baseline": baseline,
        "baseline_year": baseline_year,
        "wording": wording,
        "source_file": file,
        "source_line": line,
        "source_table": table,
    }


T = target
L, Z, Y, X = LIUPANSHUI, ZHANGZHOU, YUBEI, XIAMEN

PLAN_TARGETS: list[dict[str, Any]] = [
    # --- 六盘水市 -----------------------------------------------------------------------------
    T(
        L,
        "nursing_share",
        "ge",
        0.55,
        "达到…以上",
        "到2025年城乡养老机构护理型床位占比达到55%以上",
        binding=True,
        table="5 | 养老机构护理型床位占比 | 55 | 约束性",
    ),
    T(
        L,
        "street_center_coverage",
        "ge",
        0.60,
        "达到",
        "到2025年底,区域养老服务中心在乡镇(街道)的覆盖率达到60%",
        binding=False,
        table="6 | 乡镇(街道)范围具备综合功能的养老服务机构覆盖率 | 60 | 预期性",
    ),
    T(
        L,
        "county_has_70pct_nursing_facility",
        "ge",
        1.0,
        "各…打造一所…不低于70%",
        "到2025年,各市(特区、区)打造一所护理型床位占比不低于70%的养老服务机构",
        note="each county-level unit (市、特区、区) has at least one institution with ≥ 70 % nursing-type "
        "beds; a unit with none fails",
    ),
    T(
        L,
        "county_has_70pct_central_home",
        "ge",
        1.0,
        "各打造1所…不低于70%",
        "所有市(特区、区)各打造1所护理型床位占比不低于70%的中心敬老院",
        note="each county-level unit has a central township home (中心敬老院) with ≥ 70 % nursing-type beds "
        "(专栏4); was carried as 'every township home ≥ 70 %' before",
    ),
    T(L, "town_residential_care_coverage", "ge", 1.0, "全覆盖", "推动集中养老服务功能乡镇全覆盖"),
    T(L, "village_mutual_aid_coverage", "ge", 1.0, "全覆盖", "互助养老服务设施行政村全覆盖"),
    T(
        L,
        "community_station_coverage",
        "ge",
        1.0,
        "覆盖所有",
        "到2025年,养老服务站服务功能覆盖所有城市社区",
    ),
    T(
        L,
        "street_embedded_home_coverage",
        "ge",
        1.0,
        "原则上覆盖…所有",
        "嵌入式养老机构服务原则上覆盖全市所有街道",
        note="原则上 (in principle); counted as a home registered in each subdistrict (街道)",
    ),
    T(
        ZHONGSHAN,
        "embedded_homes",
        "ge",
        1,
        "建有1所",
        "支持钟山区根据常住人口规模和老年人实际需求,按照相关标准建有1所嵌入式养老机构",
    ),
    T(
        L,
        "home_community_service_coverage",
        "ge",
        0.90,
        "达到",
        "到2025年,居家社区养老服务覆盖率达到90%",
    ),
    T(
        L,
        "destitute_centralized_care_rate",
        "ge",
        0.60,
        "达到",
        "生活不能自理特困人员集中供养率达到60",
        note="the extracted line ends at '达到60' (the % sign is lost); 表1 gives 60.2 % for the 13th "
        "period's last year but its columns are shifted, so no baseline is claimed",
    ),
    T(
        L,
        "new_area_facility_compliance_rate",
        "ge",
        1.0,
        "100",
        "新建城区、新建居住(小)区配套建设养老服务设施达标率",
        binding=False,
        table="13 | 新建城区、新建居住(小)区配套建设养老服务设施达标率 | 100 | 预期性",
        note="主要目标 says 达标率逐年提升 (rises every year); the table gives 100 for 2025",
    ),
    T(
        L,
        "existing_area_facility_compliance_rate",
        "ge",
        1.0,
        "100",
        "已建城区、已建居住(小)区配套建设养老服务设施达标率",
        binding=False,
        table="14 | 已建城区、已建居住(小)区配套建设养老服务设施达标率 | 100 | 预期性",
    ),
    T(
        L,
        "health_elderly_care_towns",
        "ge",
        5,
        "5个以上",
        "到2025年,建成5个以上集休闲旅游、度假养生、康体养老于一体的健康养老小镇",
    ),
    # --- 漳州市 -------------------------------------------------------------------------------
    T(
        Z,
        "beds_per_1000_elderly",
        "ge",
        39.0,
        "…以上",
        "实现每千名老年人拥有养老床位39张以上",
        baseline=39.0,
        baseline_year=2020,
        note="baseline: '每千名老人拥有养老床位39张' at the end of the 13th period; elderly = residents 60+",
    ),
    T(Z, "nursing_share", "gt", 0.60, "超过", "养老机构护理型床位占比超过60%"),
    T(
        Z,
        "private_operated_share",
        "ge",
        0.50,
        "达…以上",
        "实现民营养老床位占比达50%以上",
        note="民营 = public-built private-run (公建民营) + private (民办)",
    ),
    T(
        Z,
        "destitute_centralized_care_rate",
        "ge",
        0.60,
        "达到…以上",
        "2025年底,实现生活不能自理特困人员集中供养率达到60%以上",
    ),
    T(
        Z,
        "rural_destitute_facility_quality_rate",
        "ge",
        1.0,
        "全面达到",
        "到“十四五”期末,农村特困人员供养服务机构全面达到养老机构服务质量基本规范要求",
    ),
    T(
        Z,
        "county_has_integrated_care_home",
        "ge",
        1.0,
        "各…建有一所",
        "推动各县(区)、开发区(投资区、高新区)建有一所医养结合型老年人养护院",
        note="checked for county-level units; development zones (开发区) are street-level units in the "
        "division codes and are not checked",
    ),
    # --- 渝北区 -------------------------------------------------------------------------------
    T(
        Y,
        "total_beds",
        "ge",
        7000,
        "达到",
        "养老服务床位达到7000张",
        binding=False,
        baseline=6700,
        baseline_year=2020,
        table="14 | 养老服务床位 | 6700 | 7000 | 预期性",
        note="养老服务床位 = care beds of institutions and community facilities (family beds not included)",
    ),
    T(
        Y,
        "nursing_share",
        "ge",
        0.60,
        "不低于",
        "养老机构护理型床位占比不低于60%",
        binding=True,
        baseline=0.3092,
        baseline_year=2020,
        table="15 | 养老机构护理型床位占比 | % | 30.92 | ≥60 | 约束性",
        note="the 发展目标 paragraph says '护理型床位占比超过60%' (strictly above); the indicator table "
        "and 第三节 say ≥ 60 % / 不低于60%",
    ),
    T(
        Y,
        "institution_quality_compliance_rate",
        "ge",
        0.75,
        "≥",
        "养老机构服务基本质量达标率",
        binding=False,
        baseline=0.65,
        baseline_year=2020,
        table="16 | 养老机构服务基本质量达标率 | % | 65 | ≥75 | 预期性",
        note="第三节 says '养老机构服务基本质量达标率超75%' (strictly above); the indicator table says ≥75",
    ),
    T(
        Y,
        "government_operated_share",
        "le",
        0.40,
        "不超过",
        "政府运营的养老床位不超过40%",
        binding=True,
        baseline=0.45,
        baseline_year=2020,
        table="17 | 政府运营床位占比 | % | 45 | ≤40 | 约束性",
        note="government-operated = public-run (公办公营) only",
    ),
    T(
        Y,
        "street_center_coverage",
        "ge",
        0.90,
        "≥",
        "镇街具备综合功能的养老服务机构覆盖率",
        binding=False,
        baseline=0.5909,
        baseline_year=2020,
        table="18 | 镇街具备综合功能的养老服务机构覆盖率 | % | 59.09 | ≥90 | 预期性",
    ),
    T(
        Y,
        "socialized_operation_rate",
        "ge",
        1.0,
        "达到",
        "力争到2025年,城市社区居家养老服务设施社会化运营率达到100%",
    ),
    T(Y, "center_led_station_rate", "ge", 0.70, "达到", "“中心带站”运营率达到70%"),
    T(
        Y,
        "township_home_socialized_rate",
        "ge",
        0.60,
        "不低于",
        "敬老院社会化运营率不低于60%",
        year=2022,
    ),
    T(
        Y,
        "willing_disabled_destitute_centralized_rate",
        "ge",
        1.0,
        "都达到",
        "2025年,有意愿的失能特困人员集中供养率和分散供养失能特困人员委托照料服务协议签订率都达到100%",
    ),
    T(
        Y,
        "entrusted_care_agreement_rate",
        "ge",
        1.0,
        "都达到",
        "2025年,有意愿的失能特困人员集中供养率和分散供养失能特困人员委托照料服务协议签订率都达到100%",
    ),
    T(
        Y,
        "disabled_destitute_care_center_quality_rate",
        "ge",
        0.90,
        "不低于",
        "达到《养老机构服务质量基本规范》的失能特困人员集中照护中心不低于90%",
        year=2022,
    ),
    T(
        Y,
        "town_center_and_home_quality_rate",
        "ge",
        0.65,
        "不低于",
        "镇养老服务中心和敬老院不低于65%",
        year=2022,
    ),
    T(
        Y,
        "village_mutual_aid_coverage",
        "ge",
        1.0,
        "每个村设置1个",
        "到2022年,每个村设置1个兼具日间照料、康复理疗、休闲娱乐、紧急救援等功能的互助养老点",
        year=2022,
        note="the line asks for a mutual-aid point (互助养老点) in every village; the indicator also "
        "counts rural happiness homes",
    ),
    T(
        Y,
        "village_service_coverage",
        "ge",
        1.0,
        "全覆盖",
        "到2022年实现农村社区养老服务全覆盖",
        year=2022,
    ),
    T(
        Y,
        "fifteen_minute_circle_share",
        "ge",
        1.0,
        "全面构建",
        "到2022年,全区基本实现养老服务设施全覆盖,全面构建养老服务“十五分钟”服务圈",
        year=2022,
        note="the line gives no figure: '全面构建' (built throughout) is read as every elderly resident "
        "within 15 minutes; 基本实现 (basically achieved) leaves room below 100 %",
    ),
    T(
        Y,
        "community_station_coverage",
        "ge",
        1.0,
        "全面覆盖",
        "社区居家养老服务全面覆盖",
        baseline=1.0,
        baseline_year=2020,
        note="baseline: '实现城市社区居家养老服务设施全覆盖' among the 13th period's results",
    ),
    T(
        Y,
        "town_center_coverage",
        "ge",
        1.0,
        "全覆盖",
        "在镇推进敬老院提档升级和镇养老服务中心全覆盖",
    ),
    T(Y, "town_centers", "ge", 11, "建成…11个", "建成镇养老服务中心11个"),
    T(
        Y,
        "mutual_aid_points",
        "ge",
        101,
        "设置…101个",
        "设置互助养老点101个",
        baseline=63,
        baseline_year=2020,
        note="baseline: '村级互助养老点63个' built in the 13th period",
    ),
    T(
        Y,
        "new_professional_caregivers",
        "ge",
        200,
        "新增…200人",
        "到2025年,新增专业护理人才200人,培育养老院长50名,持证上岗率达到90%以上;实现每千名老年人、每百张养老机构床位均拥有1名社会工作者",
    ),
    T(
        Y,
        "trained_home_directors",
        "ge",
        50,
        "培育…50名",
        "到2025年,新增专业护理人才200人,培育养老院长50名,持证上岗率达到90%以上;实现每千名老年人、每百张养老机构床位均拥有1名社会工作者",
    ),
    T(
        Y,
        "certified_staff_rate",
        "ge",
        0.90,
        "达到…以上",
        "到2025年,新增专业护理人才200人,培育养老院长50名,持证上岗率达到90%以上;实现每千名老年人、每百张养老机构床位均拥有1名社会工作者",
    ),
    T(
        Y,
        "social_workers_per_1000_elderly",
        "ge",
        1.0,
        "均拥有1名",
        "到2025年,新增专业护理人才200人,培育养老院长50名,持证上岗率达到90%以上;实现每千名老年人、每百张养老机构床位均拥有1名社会工作者",
    ),
    T(
        Y,
        "social_workers_per_100_institution_beds",
        "ge",
        1.0,
        "均拥有1名",
        "到2025年,新增专业护理人才200人,培育养老院长50名,持证上岗率达到90%以上;实现每千名老年人、每百张养老机构床位均拥有1名社会工作者",
    ),
    T(
        Y,
        "integrated_care_community_institutions",
        "ge",
        5,
        "不少于",
        "到2025年,社区医养结合型机构不少于 5 个",
    ),
    T(
        Y,
        "geriatric_department_rate",
        "ge",
        0.60,
        "达…以上",
        "二级以上综合性医院设老年病科比例达60%以上",
    ),
    T(Y, "tcm_rehab_department_rate", "ge", 0.80, "不低于", "三级中医医院设置康复科比例不低于80%"),
    T(
        Y,
        "green_channel_rate",
        "ge",
        1.0,
        "所有",
        "到2022年,所有医疗机构开设为老年人提供挂号、就医等便利服务的绿色通道",
        year=2022,
    ),
    # --- 厦门市 (2023 work points: this year's counts) ----------------------------------------
    T(
        X,
        "care_center_renovations",
        "ge",
        4,
        "4个",
        "将4个照料中心和6个敬老餐厅改扩建项目纳入市政府为民办实事项目",
        year=2023,
    ),
    T(
        X,
        "elder_canteen_renovations",
        "ge",
        6,
        "6个",
        "将4个照料中心和6个敬老餐厅改扩建项目纳入市政府为民办实事项目",
        year=2023,
    ),
    T(
        X,
        "elderly_care_industry_investment",
        "ge",
        4,
        "…以上",
        "完成年度总投资4亿元以上",
        year=2023,
        note="the 泰康之家·鹭园, 太保家园 and 国寿·嘉园 projects; 4亿元 = 4 × 100 million yuan",
    ),
]
