//! A township's template for a month (`outputs.md` `template`): the cover
//! (county, township, code, period) and every village's code and name from
//! the roster, under the county's policy; and, when the township's return
//! of the previous period can be read, what does not change month to month
//! — each village's 清理前标牌数 and its 标牌明细 rows (name, 类别, 悬挂位置,
//! 备案文号) — shaded grey. Nothing monthly is carried, so no stale figure
//! slips through. `huizong template` and the reporting service's download
//! are this one function.

use crate::batch::Expected;
use crate::model::Return;
use crate::policy::Policy;
use crate::read::normalise::{clean, code_from_text, Period};
use crate::schema::{self, Col, CoverField, SheetId, VILLAGE_SHEETS};
use crate::workspace::{self, RosterVillage};
use crate::write::template::{Fill, TemplateInput, Value};
use anyhow::{bail, Context as _};
use std::path::Path;

/// A template to write: the policy (its catalogue makes the 类别
/// drop-down), the period and what is pre-filled.
pub struct Template {
    pub policy: Policy,
    pub period: Option<Period>,
    pub fill: Fill,
    /// The township it is pre-filled for: (code, name).
    pub township: Option<(String, String)>,
    /// What was carried over from last month, if anything.
    pub carried: Option<Carried>,
}

/// What a template carried over from the previous period.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Carried {
    /// The previous return it came from (its file name) and its period.
    pub file: String,
    pub period: Period,
    /// Villages whose 清理前标牌数 was carried, and 标牌明细 rows.
    pub villages: usize,
    pub signs: usize,
}

impl Template {
    /// The blank template (only the period, when given, on the cover).
    pub fn blank(policy: Policy, period: Option<Period>) -> Template {
        let mut fill = Fill::default();
        if let Some(p) = period {
            fill.cover
                .insert(CoverField::Period, Value::Text(p.to_string()));
        }
        Template {
            policy,
            period,
            fill,
            township: None,
            carried: None,
        }
    }

    /// The template of one township of a workspace (by code or by name, as
    /// the roster has it) for `period` (default: this month), under the
    /// workspace's policy (or `rules`).
    pub fn for_township(
        ws: &Path,
        township: &str,
        period: Option<Period>,
        rules: Option<&Path>,
    ) -> anyhow::Result<Template> {
        if !ws.is_dir() {
            bail!("找不到县级工作区文件夹 {}", ws.display());
        }
        let policy = Policy::in_force(rules, Some(ws))?;
        let period = period.unwrap_or_else(Period::this_month);
        let county = workspace::load_county(&ws.join(workspace::COUNTY_FILE))?;
        let roster = workspace::load_roster(&ws.join(workspace::ROSTER_FILE), &policy)
            .context("无法按名册预填模板")?;
        let town = find_township(&roster, township)?;
        let villages: Vec<&RosterVillage> = roster
            .iter()
            .filter(|v| v.township_code == town.code)
            .collect();
        let mut t = Template::blank(policy, Some(period));
        let fill = &mut t.fill;
        fill.cover
            .insert(CoverField::County, Value::Text(county.name.clone()));
        fill.cover
            .insert(CoverField::Township, Value::Text(town.name.clone()));
        fill.cover
            .insert(CoverField::TownshipCode, Value::Text(town.code.clone()));
        for sheet in VILLAGE_SHEETS {
            let code_i = sheet.index_of(Col::VillageCode);
            let name_i = sheet.index_of(Col::VillageName);
            let rows = villages
                .iter()
                .map(|v| {
                    let mut row = vec![Value::Empty; code_i.max(name_i) + 1];
                    row[code_i] = Value::Text(v.village_code.clone());
                    row[name_i] = Value::Text(v.village_name.clone());
                    row
                })
                .collect();
            fill.rows.insert(sheet.id, rows);
        }
        t.carried = previous_return(ws, period, &town.code, &t.policy)
            .map(|(file, p, ret)| carry_over(&mut t.fill, &villages, &ret, file, p));
        t.township = Some((town.code, town.name));
        Ok(t)
    }

    /// Villages pre-filled (0 for the blank template).
    pub fn villages(&self) -> usize {
        self.fill.rows.get(&SheetId::Signs).map_or(0, Vec::len)
    }

    /// `<乡镇名>_<period>_月报.xlsx` for a township's template, else the
    /// blank template's `乡镇月报模板.xlsx`.
    pub fn file_name(&self) -> String {
        match (&self.township, self.period) {
            (Some((_, name)), Some(p)) => {
                crate::write::safe_file_name(&format!("{name}_{p}_月报.xlsx"))
            }
            _ => "乡镇月报模板.xlsx".to_string(),
        }
    }

    /// Write it atomically to `path`.
    pub fn write(&self, path: &Path) -> anyhow::Result<()> {
        let input = TemplateInput {
            policy: &self.policy,
            period: self.period,
            fill: &self.fill,
        };
        crate::write::template::write_file(&input, path)
    }
}

/// The roster's township named by `given`: its 9-digit code, or its name
/// (after trimming and folding full-width characters); an unknown or
/// ambiguous name says which townships there are.
pub fn find_township(roster: &[RosterVillage], given: &str) -> anyhow::Result<Expected> {
    let towns = workspace::expected_townships(roster);
    if let Some(code) = code_from_text(given, 9) {
        if let Some(t) = towns.iter().find(|t| t.code == code) {
            return Ok(t.clone());
        }
        bail!(
            "名册中没有乡镇(街道)代码 {code}。名册中的乡镇(街道)有:{}",
            listing(&towns)
        );
    }
    let name = clean(given);
    let named: Vec<&Expected> = towns.iter().filter(|t| clean(&t.name) == name).collect();
    match named[..] {
        [one] => Ok(one.clone()),
        [] => bail!(
            "名册中没有名为“{given}”的乡镇(街道)。请给出9位乡镇(街道)代码或名册中的名称:{}",
            listing(&towns)
        ),
        _ => {
            let shown: Vec<String> = named
                .iter()
                .map(|t| format!("{} {}", t.code, t.name))
                .collect();
            bail!(
                "名册中有 {} 个乡镇(街道)叫“{given}”:{}。请用代码指定",
                named.len(),
                shown.join("、")
            )
        }
    }
}

/// `990101101 白砂镇、990101102 樟黄镇 … 等 38 个`.
fn listing(towns: &[Expected]) -> String {
    let shown: Vec<String> = towns
        .iter()
        .take(8)
        .map(|t| format!("{} {}", t.code, t.name))
        .collect();
    if towns.len() > 8 {
        format!("{} 等 {} 个", shown.join("、"), towns.len())
    } else {
        shown.join("、")
    }
}

/// The township's return of the month folder before `period`, as that
/// period would take it (latest 填报日期, even with errors — the baseline
/// the H rules compare with): (file name, period, return).
fn previous_return(
    ws: &Path,
    period: Period,
    township: &str,
    policy: &Policy,
) -> Option<(String, Period, Return)> {
    use rayon::prelude::*;
    let (p, dir) = super::previous_folder(ws, period)?;
    let files = crate::read::spreadsheet_files(&dir).ok()?;
    let loaded: Vec<_> = files
        .par_iter()
        .map(|f| crate::read::read_file_lean(f, policy, None))
        .collect();
    let batch = crate::batch::decide(p, loaded, &[], false);
    let t = batch.townships.iter().find(|t| t.code == township)?;
    let path = &batch.files[t.judged?].loaded.path;
    let l = crate::read::read_file(path, policy, None);
    Some((l.file, p, l.ret?))
}

/// Carry each village's 清理前标牌数 and its 标牌明细 rows over from last
/// month's return into `fill`, marked for shading.
fn carry_over(
    fill: &mut Fill,
    villages: &[&RosterVillage],
    prev: &Return,
    file: String,
    period: Period,
) -> Carried {
    let mut carried = Carried {
        file,
        period,
        villages: 0,
        signs: 0,
    };
    if let (Some(t), Some(rows)) = (
        prev.table(SheetId::Signs),
        fill.rows.get_mut(&SheetId::Signs),
    ) {
        let at = schema::SIGNS.index_of(Col::SignsBefore);
        for (k, v) in villages.iter().enumerate() {
            let before = t
                .rows
                .iter()
                .find(|r| t.code(r) == Some(v.village_code.as_str()))
                .and_then(|r| t.num(r, Col::SignsBefore));
            if let Some(n) = before.and_then(|d| d.to_string().parse::<f64>().ok()) {
                if rows[k].len() <= at {
                    rows[k].resize(at + 1, Value::Empty);
                }
                rows[k][at] = Value::Number(n);
                fill.carried.insert((SheetId::Signs, k, at));
                carried.villages += 1;
            }
        }
    }
    if let Some(t) = prev.table(SheetId::SignDetail) {
        let spec = &schema::SIGN_DETAIL;
        let cols = [
            Col::VillageCode,
            Col::SignName,
            Col::SignCategory,
            Col::SignPlace,
            Col::SignFiling,
        ];
        let mut rows = Vec::new();
        for v in villages {
            for r in t
                .rows
                .iter()
                .filter(|r| t.code(r) == Some(v.village_code.as_str()))
            {
                let mut row = vec![Value::Empty; spec.columns.len()];
                for c in cols {
                    if let Some(text) = t.text(r, c).filter(|s| !s.trim().is_empty()) {
                        row[spec.index_of(c)] = Value::Text(text.to_string());
                    }
                }
                for c in cols {
                    fill.carried
                        .insert((SheetId::SignDetail, rows.len(), spec.index_of(c)));
                }
                rows.push(row);
            }
        }
        carried.signs = rows.len();
        if !rows.is_empty() {
            fill.rows.insert(SheetId::SignDetail, rows);
        }
    }
    carried
}
