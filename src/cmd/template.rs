//! `huizong template`: write the blank (or pre-filled) return template.

use super::Outcome;
use crate::policy::Policy;
use crate::read::normalise::{code_from_text, Period};
use crate::schema::{Col, CoverField, VILLAGE_SHEETS};
use crate::workspace::{self, RosterVillage};
use crate::write::template::{self, Fill, TemplateInput, Value};
use anyhow::{bail, Context};
use std::path::{Path, PathBuf};

/// Default output file, in the current folder.
pub(crate) const DEFAULT_OUTPUT: &str = "乡镇月报模板.xlsx";

/// 生成乡镇月报模板;给出县级工作目录和乡镇(街道)代码时,按名册预填基本信息和各村(社区)
#[derive(clap::Args, Debug)]
pub(crate) struct Args {
    /// 输出文件(默认:当前文件夹下的“乡镇月报模板.xlsx”)
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// 县级工作目录(内有 county.toml 和 roster.xlsx),须与 --township 一起使用
    #[arg(long, value_name = "DIR", requires = "township")]
    pub workspace: Option<PathBuf>,

    /// 按名册预填的乡镇(街道)代码(9位),须与 --workspace 一起使用
    #[arg(long, value_name = "CODE9", requires = "workspace")]
    pub township: Option<String>,

    /// 规则文件,决定“标牌明细”中“类别”的下拉列表(默认:给出工作区时用其中的 rules.toml,否则用内置的默认规则)
    #[arg(long, value_name = "FILE")]
    pub rules: Option<PathBuf>,

    /// 填报期间,如 2024-06:预填到“基本信息”,并作为文件的创建日期
    #[arg(long, value_name = "YYYY-MM")]
    pub period: Option<Period>,
}

pub(crate) fn run(args: Args) -> anyhow::Result<Outcome> {
    let policy = Policy::in_force(args.rules.as_deref(), args.workspace.as_deref())?;
    let mut fill = Fill::default();
    if let Some(p) = args.period {
        fill.cover
            .insert(CoverField::Period, Value::Text(p.to_string()));
    }
    if let (Some(ws), Some(code)) = (&args.workspace, &args.township) {
        prefill(&mut fill, ws, code, &policy)?;
    }
    let out = args
        .output
        .clone()
        .unwrap_or_else(|| PathBuf::from(DEFAULT_OUTPUT));
    let input = TemplateInput {
        policy: &policy,
        period: args.period,
        fill: &fill,
    };
    template::write_file(&input, &out)?;
    let villages = fill.rows.values().map(Vec::len).max().unwrap_or(0);
    if villages > 0 {
        println!("已生成模板:{}(已预填 {villages} 个村(社区))", out.display());
    } else {
        println!("已生成模板:{}", out.display());
    }
    Ok(Outcome::Clean)
}

/// Pre-fill the cover and the village sheets from the workspace.
fn prefill(fill: &mut Fill, ws: &Path, township: &str, policy: &Policy) -> anyhow::Result<()> {
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
    Ok(())
}
