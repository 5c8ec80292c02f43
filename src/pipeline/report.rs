//! What a finished job tells the clerk: the summary lines of `outputs.md`,
//! the workbooks written and whether any error was found (exit code 1).

use crate::batch::{Batch, Status, TownshipEntry};
use crate::finding::{Finding, Level};
use crate::rating::Tiers;
use crate::timings::Timings;
use crate::write::tiers::money_text;
use std::path::PathBuf;

/// A finished job.
pub struct Report {
    /// Lines for the screen (also in 说明), e.g. no roster found.
    pub notes: Vec<String>,
    /// The rules file in force, as 说明 names it.
    pub rules: String,
    /// [`not_used_lines`].
    pub not_used: Vec<String>,
    /// [`summary_line`].
    pub summary: String,
    /// [`tier_summary_line`], when there was a rating.
    pub tier_summary: Option<String>,
    pub county_workbook: Option<PathBuf>,
    pub tier_workbook: Option<PathBuf>,
    pub timings: Timings,
    /// Some return (or the county scores file) has an error or is
    /// unreadable.
    pub any_error: bool,
}

/// Did any file of the batch, or any of `extra` (the county scores file's
/// findings), have an error or a fatal finding?
pub fn any_error(batch: &Batch, extra: &[Finding]) -> bool {
    batch
        .files
        .iter()
        .flat_map(|f| f.loaded.findings.iter())
        .chain(extra)
        .any(|x| x.level.is_error())
}

/// The summary line of `outputs.md`: the expected townships split exactly
/// (`应报 8 个乡镇:已汇总 2,退回 3,未报送 3(其中 1 个可能是无法读取的文件
/// 枫岭乡_2024-06.xlsx)`), then the other files (`另有无法读取 1 份、已替代
/// 1 份、已忽略 1 份`), then the findings, whose 错误 and 提示 equal 汇总's
/// 合计; the errors of files of no known township are given apart.
pub fn summary_line(batch: &Batch) -> String {
    let expected: Vec<&TownshipEntry> = batch.townships.iter().filter(|t| t.expected).collect();
    let count = |s: &[Status]| expected.iter().filter(|t| s.contains(&t.status)).count();
    let mut split = vec![format!(
        "已汇总 {}",
        count(&[Status::Used, Status::UsedWithErrors])
    )];
    let with_errors = count(&[Status::UsedWithErrors]);
    if with_errors > 0 {
        split[0].push_str(&format!("(其中有错误而计入的 {with_errors})"));
    }
    for (status, word) in [(Status::Rejected, "退回"), (Status::Unreadable, "无法读取")] {
        let n = count(&[status]);
        if n > 0 {
            split.push(format!("{word} {n}"));
        }
    }
    let not_sent = count(&[Status::NotSent]);
    if not_sent > 0 {
        let maybe: Vec<(usize, &str)> = batch
            .orphans
            .iter()
            .filter_map(|i| Some((batch.files[*i].maybe?, batch.files[*i].loaded.file.as_str())))
            .collect();
        // Townships counted, files named: two unreadable files may both
        // look like the one township's.
        let townships: std::collections::BTreeSet<usize> = maybe.iter().map(|m| m.0).collect();
        let mut part = format!("未报送 {not_sent}");
        if !maybe.is_empty() {
            let files: Vec<&str> = maybe.iter().map(|m| m.1).collect();
            part.push_str(&format!(
                "(其中 {} 个可能是无法读取的文件 {})",
                townships.len(),
                files.join("、")
            ));
        }
        split.push(part);
    }
    let mut line = format!("应报 {} 个乡镇:{}", expected.len(), split.join(","));
    let superseded = batch
        .files
        .iter()
        .filter(|f| f.status == Status::Superseded)
        .count();
    let unexpected = batch.townships.iter().filter(|t| !t.expected).count();
    let mut others = Vec::new();
    if unexpected > 0 {
        others.push(format!("不在应报名单中的乡镇 {unexpected} 个"));
    }
    let unreadable = batch.orphans.len()
        + batch
            .townships
            .iter()
            .map(|t| batch.unreadable_beside(t).count())
            .sum::<usize>();
    for (n, word) in [
        (unreadable, "无法读取"),
        (superseded, "已替代"),
        (batch.ignored.len(), "已忽略"),
    ] {
        if n > 0 {
            others.push(format!("{word} {n} 份"));
        }
    }
    if !others.is_empty() {
        line.push_str(&format!(";另有{}", others.join("、")));
    }
    let errors: usize = batch.townships.iter().map(|t| t.errors).sum();
    let warnings: usize = batch.townships.iter().map(|t| t.warnings).sum();
    line.push_str(&format!(";错误 {errors},提示 {warnings}"));
    let orphan_errors: usize = batch
        .orphans
        .iter()
        .map(|i| {
            let findings = &batch.files[*i].loaded.findings;
            findings.iter().filter(|f| f.level.is_error()).count()
        })
        .sum();
    if orphan_errors > 0 {
        line.push_str(&format!("(另有无法归属乡镇的文件中错误 {orphan_errors})"));
    }
    line
}

/// One line for each township whose figures are not used (退回, 无法读取,
/// 未报送), saying why in a few words.
pub fn not_used_lines(batch: &Batch) -> Vec<String> {
    let mut out = Vec::new();
    for (k, t) in batch.townships.iter().enumerate() {
        if t.status.is_used() {
            continue;
        }
        let who = if t.name.is_empty() {
            t.code.clone()
        } else {
            format!("{}({})", t.name, t.code)
        };
        let findings = || {
            t.judged
                .into_iter()
                .chain(t.files.iter().copied())
                .flat_map(|i| batch.files[i].loaded.findings.iter())
        };
        let why = match t.status {
            Status::NotSent => {
                let maybe: Vec<&str> = batch
                    .orphans
                    .iter()
                    .filter(|i| batch.files[**i].maybe == Some(k))
                    .map(|i| batch.files[*i].loaded.file.as_str())
                    .collect();
                if maybe.is_empty() {
                    "没有收到报表".to_string()
                } else {
                    format!(
                        "没有收到报表;无法读取的文件 {} 可能是它的",
                        maybe.join("、")
                    )
                }
            }
            Status::Rejected if t.judged.is_none() => {
                "多份报表填报日期相同而数据不同(Y03),请只报送一份".to_string()
            }
            Status::Unreadable => match findings().find(|f| f.level == Level::Fatal) {
                Some(f) => format!("{} {}", f.code, f.code.title()),
                None => "文件无法读取".to_string(),
            },
            _ => {
                // The judged file's codes first, then those of the
                // township's other files its 错误数 counts.
                let mut codes: Vec<&str> = Vec::new();
                let errors = findings().filter(|f| f.level.is_error());
                for f in errors {
                    if !codes.contains(&f.code.as_str()) {
                        codes.push(f.code.as_str());
                    }
                }
                let shown = codes.iter().take(3).copied().collect::<Vec<_>>().join("、");
                let more = if codes.len() > 3 { " 等" } else { "" };
                format!("错误 {} 个({shown}{more}),改正后重新报送", t.errors)
            }
        };
        let status = if t.expected {
            t.status.zh().to_string()
        } else {
            format!("{}(不在应报名单中)", t.status.zh())
        };
        out.push(format!("{who}:{status},{why}"));
    }
    out
}

/// `星级评定:已评定 40,待评定 2,不予评定 126;档次经费 800,000 元,核拨 800,000 元(预算 1,100,000 元,结余 300,000 元)`,
/// with `(临时结果:已汇总 2/8 个乡镇,…)` after 星级评定 when not every
/// expected township is used.
pub fn tier_summary_line(t: &Tiers, batch: &Batch) -> String {
    let b = &t.budget;
    let scaled = if b.exceeded {
        format!(",超出预算按系数 {} 压缩", b.scale_shown())
    } else {
        String::new()
    };
    let provisional = crate::write::tiers::provisional(batch)
        .map(|p| format!("({p})"))
        .unwrap_or_default();
    format!(
        "星级评定{provisional}:已评定 {},待评定 {},不予评定 {};档次经费 {} 元,核拨 {} 元(预算 {} 元,结余 {} 元{scaled})",
        t.total.by_star.iter().sum::<usize>(),
        t.total.pending,
        t.total.not_rated,
        money_text(b.tier_total),
        money_text(b.paid),
        money_text(b.budget),
        money_text(b.left_over),
    )
}
