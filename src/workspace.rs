//! The county workspace (`returns.md` "The workspace"): `county.toml` (county
//! name, code, budget) and `roster.xlsx` (名册: every township and village the
//! county expects). Both are the county's own files: read strictly, and any
//! mistake stops with a message naming the file, sheet and cell.

use crate::batch::Expected;
use crate::policy::Policy;
use crate::read::header::{self, Wanted};
use crate::read::normalise::{clean, code_from_number, code_from_text};
use crate::read::workbook::CellValue;
use crate::rules::{Roster, RosterEntry};
use crate::schema::cell_ref;
use anyhow::{anyhow, bail, Context as _};
use serde::Deserialize;
use std::collections::HashMap;
use std::path::Path;

/// File names inside a workspace.
pub(crate) const COUNTY_FILE: &str = "county.toml";
pub(crate) const ROSTER_FILE: &str = "roster.xlsx";
pub(crate) const COUNTY_SCORES_FILE: &str = "county_scores.xlsx";
/// The roster's sheet.
pub(crate) const ROSTER_SHEET: &str = "名册";

/// Roster headers.
pub(crate) const H_TOWNSHIP_CODE: &str = "乡镇(街道)代码";
pub(crate) const H_TOWNSHIP: &str = "乡镇(街道)";
pub(crate) const H_VILLAGE_CODE: &str = "村(社区)代码";
pub(crate) const H_VILLAGE: &str = "村(社区)名称";
pub(crate) const H_COUNTY_CODE: &str = "县(市、区)代码";
pub(crate) const H_COUNTY: &str = "县(市、区)";

const COUNTY_EXAMPLE: &str =
    "name = \"示范县\"        # 县(市、区)名称\ncode = \"990101\"       # 6位代码(市为4位,省为2位)\nbudget = 1100000       # 本年度星级奖励经费预算(元)";

/// `county.toml`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CountyConfig {
    /// County name (县(市、区)).
    pub name: String,
    /// Area code of the consolidating office: 6 digits for a county, 4 for
    /// a city, 2 for a province.
    pub code: String,
    /// Yuan available for star funding this year.
    pub budget: i64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCounty {
    name: String,
    code: CodeValue,
    budget: i64,
}

/// The code may be written as a string (`"990101"`) or a bare integer.
#[derive(Deserialize)]
#[serde(untagged)]
enum CodeValue {
    Text(String),
    Int(i64),
}

/// Read `county.toml` strictly: `name`, `code` and `budget`, nothing else.
pub(crate) fn load_county(path: &Path) -> anyhow::Result<CountyConfig> {
    let shown = path.display();
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => bail!(
            "找不到县级配置文件 {shown}。请在工作目录中创建 county.toml,内容如:\n{COUNTY_EXAMPLE}"
        ),
        Err(e) => bail!("无法读取县级配置文件 {shown}:{e}"),
    };
    let raw: RawCounty = toml::from_str(&text).map_err(|e| {
        anyhow!(
            "县级配置文件 {shown} 有误:{}。应正好包含以下三项:\n{COUNTY_EXAMPLE}",
            toml_words(&e)
        )
    })?;
    let name = clean(&raw.name);
    if name.is_empty() {
        bail!("县级配置文件 {shown} 有误:name(县名)为空");
    }
    let code = match raw.code {
        CodeValue::Text(s) => clean(&s),
        CodeValue::Int(i) => i.to_string(),
    };
    if !matches!(code.len(), 2 | 4 | 6) || !code.bytes().all(|b| b.is_ascii_digit()) {
        bail!(
            "县级配置文件 {shown} 有误:code“{code}”应为6位县级代码(市为4位、省为2位),如 code = \"990101\""
        );
    }
    if raw.budget < 0 {
        bail!("县级配置文件 {shown} 有误:budget(预算)不能为负数");
    }
    Ok(CountyConfig {
        name,
        code,
        budget: raw.budget,
    })
}

/// What `huizong init` made.
pub(crate) struct Created {
    pub(crate) files: Vec<std::path::PathBuf>,
    pub(crate) month: std::path::PathBuf,
}

/// Start a county's workspace (`outputs.md` `init`): `county.toml`, an
/// empty roster and county scores laid out for filling, the default policy
/// as `rules.toml`, and this month's folder. An existing workspace is never
/// touched: a folder that exists and is not empty is refused.
pub(crate) fn create(
    ws: &Path,
    name: &str,
    code: &str,
    budget: i64,
    month: crate::read::normalise::Period,
) -> anyhow::Result<Created> {
    let shown = ws.display();
    let occupied = std::fs::read_dir(ws).map(|mut d| d.next().is_some());
    if ws.exists() && !matches!(occupied, Ok(false)) {
        bail!("{shown} 已经存在且不是空文件夹,init 不会改动已有的工作区。请换一个新的文件夹名,或在原工作区中直接使用");
    }
    let name = clean(name);
    if name.is_empty() {
        bail!("--county 不能为空:请给出县(市、区)名称,如 --county 示范县");
    }
    // The name goes into county.toml and into every output's file name:
    // a character that cannot be there is refused, not dropped unseen.
    if let Some(c) = name
        .chars()
        .find(|c| c.is_control() || "\"\\/:*?<>|".contains(*c))
    {
        bail!("--county“{name}”中有不能用在县名里的字符“{}”(县名会写进文件名和 county.toml)。请去掉它后重新运行", c.escape_default());
    }
    if !matches!(code.len(), 2 | 4 | 6) || !code.bytes().all(|b| b.is_ascii_digit()) {
        bail!("--code“{code}”应为6位县级代码(市为4位、省为2位),如 --code 990101");
    }
    if budget < 0 {
        bail!("--budget 不能为负数");
    }
    std::fs::create_dir_all(ws).with_context(|| format!("无法创建文件夹 {shown}"))?;
    let toml = format!(
        "# 县级工作区配置(huizong init 生成)\nname = \"{}\"        # 县(市、区)名称\ncode = \"{code}\"       # 6位代码(市为4位,省为2位)\nbudget = {budget}       # 本年度星级奖励经费预算(元)\n",
        name
    );
    let mut files = Vec::new();
    let county_file = ws.join(COUNTY_FILE);
    crate::write::atomic::save_bytes(&county_file, toml.as_bytes())?;
    files.push(county_file);
    let roster = ws.join(ROSTER_FILE);
    crate::write::workspace::write_roster(&roster, &name)?;
    files.push(roster);
    let scores = ws.join(COUNTY_SCORES_FILE);
    crate::write::workspace::write_scores(&scores, &name)?;
    files.push(scores);
    let rules = ws.join(crate::policy::WORKSPACE_RULES_FILE);
    crate::write::atomic::save_bytes(&rules, crate::policy::DEFAULT_RULES.as_bytes())?;
    files.push(rules);
    let month_dir = ws.join(month.to_string());
    std::fs::create_dir_all(&month_dir)
        .with_context(|| format!("无法创建文件夹 {}", month_dir.display()))?;
    Ok(Created {
        files,
        month: month_dir,
    })
}

/// A serde/toml error in Chinese, naming the key.
fn toml_words(e: &toml::de::Error) -> String {
    let raw = e.message();
    let tick = |s: &str| s.split('`').nth(1).unwrap_or("").to_string();
    if raw.starts_with("missing field") {
        format!("缺少 {}", tick(raw))
    } else if raw.starts_with("unknown field") {
        format!("不认识的项 {}", tick(raw))
    } else if raw.contains("did not match any variant") {
        "code 应写成带引号的数字,如 code = \"990101\"".to_string()
    } else {
        format!("格式错误({})", raw.trim())
    }
}

/// One village of the roster.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RosterVillage {
    pub township_code: String,
    pub township_name: String,
    pub village_code: String,
    pub village_name: String,
    /// 县(市、区)代码 and 县(市、区), when the roster has those columns filled.
    pub county_code: Option<String>,
    pub county_name: Option<String>,
}

/// Read the roster (sheet 名册), one village per row, in file order, through
/// the pre-scan like every input. Blank rows are skipped; any bad row stops
/// with the file, sheet and cell.
pub(crate) fn load_roster(path: &Path, policy: &Policy) -> anyhow::Result<Vec<RosterVillage>> {
    let shown = path.display().to_string();
    let missing = format!(
        "找不到名册 {shown}。请在工作目录中放入 roster.xlsx:工作表“{ROSTER_SHEET}”,每个村(社区)一行,列为 {H_TOWNSHIP_CODE}、{H_TOWNSHIP}、{H_VILLAGE_CODE}、{H_VILLAGE}"
    );
    let file = crate::read::county::read(path, policy, "名册", &missing)?;
    let sheet = file
        .sheet(ROSTER_SHEET)
        .map_err(|e| anyhow!("名册 {shown} 中{e}"))?;

    // Header: the first row (of the first ten) holding the required columns.
    let names = [
        H_TOWNSHIP_CODE,
        H_TOWNSHIP,
        H_VILLAGE_CODE,
        H_VILLAGE,
        H_COUNTY_CODE,
        H_COUNTY,
    ];
    let wanted = Wanted::new(names.map(std::iter::once));
    let required = [true, true, true, true, false, false];
    let header = header::find(sheet, &wanted, &required, |hit| hit[..4].iter().all(|h| *h))
        .map_err(|best| {
            let missing: Vec<&str> = names[..4]
                .iter()
                .zip(&best)
                .filter(|(_, hit)| !**hit)
                .map(|(n, _)| *n)
                .collect();
            anyhow!(
                "名册 {shown} 工作表“{}”前10行中找不到表头:缺少列 {}",
                sheet.name,
                missing.join("、")
            )
        })?;
    let cols = wanted.first_columns(header);
    let [Some(tc), Some(tn), Some(vc), Some(vn), cc, cn] = cols[..] else {
        unreachable!("the header row names the four required columns");
    };

    let mut out: Vec<RosterVillage> = Vec::new();
    let mut seen: HashMap<String, String> = HashMap::new();
    for row in sheet.rows.iter().filter(|r| r.row > header.row) {
        let get = |j: u32| row.get(j).filter(|v| !v.is_blank());
        let used = [Some(tc), Some(tn), Some(vc), Some(vn), cc, cn];
        if used.iter().flatten().all(|j| get(*j).is_none()) {
            continue;
        }
        let here = |j: u32| {
            format!(
                "名册 {shown} 工作表“{}”单元格 {}",
                sheet.name,
                cell_ref(row.row, j)
            )
        };
        let code = |j: u32, digits: usize, what: &str| -> anyhow::Result<String> {
            let d = get(j);
            let c = match d {
                Some(CellValue::Text(s)) => code_from_text(s, digits),
                Some(CellValue::Number(f)) => code_from_number(*f, digits),
                _ => None,
            };
            c.ok_or_else(|| match d {
                None => anyhow!("{}:{what}为空", here(j)),
                Some(v) => anyhow!("{}:{what}“{}”不是{digits}位数字", here(j), v.show()),
            })
        };
        let text = |j: u32, what: &str| -> anyhow::Result<String> {
            let t = clean(&get(j).map(|v| v.show()).unwrap_or_default());
            if t.is_empty() {
                bail!("{}:{what}为空", here(j));
            }
            Ok(t)
        };
        let township_code = code(tc, 9, H_TOWNSHIP_CODE)?;
        let township_name = text(tn, H_TOWNSHIP)?;
        let village_code = code(vc, 12, H_VILLAGE_CODE)?;
        let village_name = text(vn, H_VILLAGE)?;
        if !village_code.starts_with(&township_code) {
            bail!(
                "{}:村(社区)代码 {village_code} 不以所属乡镇(街道)代码 {township_code} 开头",
                here(vc)
            );
        }
        let county_code = match cc {
            Some(j) if get(j).is_some() => Some(code(j, 6, H_COUNTY_CODE)?),
            _ => None,
        };
        if let Some(c) = &county_code {
            if !township_code.starts_with(c.as_str()) {
                bail!(
                    "{}:乡镇(街道)代码 {township_code} 不以县(市、区)代码 {c} 开头",
                    here(tc)
                );
            }
        }
        let county_name = cn
            .and_then(get)
            .map(|v| clean(&v.show()))
            .filter(|s| !s.is_empty());
        let cell = cell_ref(row.row, vc);
        if let Some(first) = seen.insert(village_code.clone(), cell.clone()) {
            bail!(
                "{}:村(社区)代码 {village_code} 重复(第一次出现在 {first})",
                here(vc)
            );
        }
        out.push(RosterVillage {
            township_code,
            township_name,
            village_code,
            village_name,
            county_code,
            county_name,
        });
    }
    if out.is_empty() {
        bail!("名册 {shown} 工作表“{}”中没有村(社区)", sheet.name);
    }
    Ok(out)
}

/// The distinct townships of a roster, in roster order, as a period
/// expects them (code, name and, for a city or province, the county).
pub(crate) fn expected_townships(roster: &[RosterVillage]) -> Vec<Expected> {
    let mut seen = std::collections::BTreeSet::new();
    roster
        .iter()
        .filter(|v| seen.insert(v.township_code.as_str()))
        .map(|v| Expected {
            code: v.township_code.clone(),
            name: v.township_name.clone(),
            county_code: v.county_code.clone(),
            county_name: v.county_name.clone(),
        })
        .collect()
}

/// The roster indexed for the rules (by village code, per township).
pub(crate) fn roster_index(roster: Vec<RosterVillage>) -> Roster {
    Roster::new(roster.into_iter().map(|v| RosterEntry {
        township_code: v.township_code,
        township_name: v.township_name,
        village_code: v.village_code,
        village_name: v.village_name,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn county(text: &str) -> anyhow::Result<CountyConfig> {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join(COUNTY_FILE);
        std::fs::write(&p, text).unwrap();
        load_county(&p)
    }

    #[test]
    fn county_toml_is_strict() {
        let c = county("name = \"示范县\"\ncode = \"990101\"\nbudget = 1100000\n").unwrap();
        assert_eq!(c.code, "990101");
        assert_eq!(c.budget, 1_100_000);
        let c = county("name = \"示范县\"\ncode = 990101\nbudget = 0\n").unwrap();
        assert_eq!(c.code, "990101");
        let e = county("name = \"示范县\"\ncode = \"990101\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("缺少 budget"), "{e}");
        let e = county("name = \"示范县\"\ncode = \"990101\"\nbudget = 1\nextra = 2\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("不认识的项 extra"), "{e}");
        let e = county("name = \"示范县\"\ncode = \"99010\"\nbudget = 1\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("99010"), "{e}");
        let dir = tempfile::tempdir().unwrap();
        let e = load_county(&dir.path().join(COUNTY_FILE))
            .unwrap_err()
            .to_string();
        assert!(e.contains("请在工作目录中创建 county.toml"), "{e}");
    }

    fn roster(rows: &[[&str; 4]]) -> anyhow::Result<Vec<RosterVillage>> {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join(ROSTER_FILE);
        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = wb.add_worksheet();
        ws.set_name(ROSTER_SHEET).unwrap();
        for (c, h) in [H_TOWNSHIP_CODE, H_TOWNSHIP, H_VILLAGE_CODE, H_VILLAGE]
            .iter()
            .enumerate()
        {
            ws.write_string(0, c as u16, *h).unwrap();
        }
        for (r, row) in rows.iter().enumerate() {
            for (c, v) in row.iter().enumerate() {
                if c == 2 && !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) {
                    // A village code typed as a number.
                    ws.write_number(r as u32 + 1, c as u16, v.parse::<f64>().unwrap())
                        .unwrap();
                } else {
                    ws.write_string(r as u32 + 1, c as u16, *v).unwrap();
                }
            }
        }
        wb.save(&p).unwrap();
        load_roster(&p, &Policy::default_rules())
    }

    #[test]
    fn roster_reads_codes_and_names() {
        let r = roster(&[
            ["990101103", "白砂镇", "990101103207", "樟黄村"],
            ["", "", "", ""],
            ["990101103", "白砂镇", "990101103208", " 溪口村 "],
        ])
        .unwrap();
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].village_code, "990101103207");
        assert_eq!(r[1].village_name, "溪口村");
        assert_eq!(r[0].county_code, None);
    }

    #[test]
    fn roster_errors_name_the_cell() {
        let e = roster(&[["990101103", "白砂镇", "99010110320", "樟黄村"]])
            .unwrap_err()
            .to_string();
        assert!(e.contains("单元格 C2") && e.contains("不是12位数字"), "{e}");
        let e = roster(&[["990101103", "", "990101103207", "樟黄村"]])
            .unwrap_err()
            .to_string();
        assert!(e.contains("单元格 B2") && e.contains("为空"), "{e}");
        let e = roster(&[
            ["990101103", "白砂镇", "990101103207", "樟黄村"],
            ["990101103", "白砂镇", "990101103207", "樟黄村"],
        ])
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("C3") && e.contains("重复") && e.contains("C2"),
            "{e}"
        );
    }

    #[test]
    fn roster_goes_through_the_pre_scan() {
        // Not a workbook: refused by the pre-scan before calamine sees it.
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join(ROSTER_FILE);
        std::fs::write(&p, b"%PDF-1.4 not a roster").unwrap();
        let e = load_roster(&p, &Policy::default_rules())
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with(&format!("无法读取名册 {}:", p.display())),
            "{e}"
        );
        assert!(e.contains("PDF"), "{e}");
        // A workbook without the 名册 sheet names the sheets it has.
        let mut wb = rust_xlsxwriter::Workbook::new();
        wb.add_worksheet().set_name("村名单").unwrap();
        wb.save(&p).unwrap();
        let e = load_roster(&p, &Policy::default_rules())
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            format!(
                "名册 {} 中没有工作表“名册”(找到的工作表:“村名单”)",
                p.display()
            )
        );
    }
}
