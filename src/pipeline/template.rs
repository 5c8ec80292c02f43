//! A township's template for a month, pre-filled from the workspace
//! (`outputs.md` `template`): the cover (county, township, code, period)
//! and every village's code and name from the roster, under the county's
//! policy. `huizong template` and the reporting service's download are this
//! one function.

use crate::policy::Policy;
use crate::read::normalise::{code_from_text, Period};
use crate::schema::{Col, CoverField, VILLAGE_SHEETS};
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
    /// The township's name, when pre-filled for one.
    pub township: Option<String>,
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
        }
    }

    /// The template of one township of a workspace, under the workspace's
    /// policy (or `rules`), pre-filled from `county.toml` and the roster.
    pub fn for_township(
        workspace: &Path,
        township: &str,
        period: Option<Period>,
        rules: Option<&Path>,
    ) -> anyhow::Result<Template> {
        let policy = Policy::in_force(rules, Some(workspace))?;
        let mut t = Template::blank(policy, period);
        t.township = Some(prefill(&mut t.fill, workspace, township, &t.policy)?);
        Ok(t)
    }

    /// Villages pre-filled (0 for the blank template).
    pub fn villages(&self) -> usize {
        self.fill.rows.values().map(Vec::len).max().unwrap_or(0)
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

/// Pre-fill the cover and the village sheets from the workspace; the
/// township's name.
fn prefill(fill: &mut Fill, ws: &Path, township: &str, policy: &Policy) -> anyhow::Result<String> {
    let Some(code) = code_from_text(township, 9) else {
        bail!("--township 应为9位乡镇(街道)代码,如 990101103;收到“{township}”");
    };
    if !ws.is_dir() {
        bail!("找不到县级工作目录 {}", ws.display());
    }
    let county = workspace::load_county(&ws.join(workspace::COUNTY_FILE))?;
    let roster = workspace::load_roster(&ws.join(workspace::ROSTER_FILE), policy)
        .context("无法按名册预填模板")?;
    let villages: Vec<&RosterVillage> = roster.iter().filter(|v| v.township_code == code).collect();
    let Some(first) = villages.first() else {
        let towns = workspace::expected_townships(&roster);
        let shown: Vec<String> = towns
            .iter()
            .take(5)
            .map(|t| format!("{} {}", t.code, t.name))
            .collect();
        let more = if towns.len() > 5 {
            format!(" 等 {} 个", towns.len())
        } else {
            String::new()
        };
        bail!(
            "名册中没有乡镇(街道)代码 {code}。名册中的乡镇(街道)有:{}{more}",
            shown.join("、")
        );
    };

    fill.cover
        .insert(CoverField::County, Value::Text(county.name.clone()));
    fill.cover.insert(
        CoverField::Township,
        Value::Text(first.township_name.clone()),
    );
    fill.cover
        .insert(CoverField::TownshipCode, Value::Text(code.clone()));

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
    Ok(first.township_name.clone())
}
