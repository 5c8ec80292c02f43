//! One period's consolidation as data: every input file with its status,
//! which file each township's figures come from (Y01/Y03), and each
//! township's status and counts for 报送情况 and 汇总.

use crate::finding::{Code, Finding, Level};
use crate::model::{Field, Loaded, Return};
use crate::read::normalise::{Date, Period};
use crate::schema::{self, SheetId};
use std::collections::BTreeMap;

/// Status of a file or a township (`outputs.md`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Status {
    /// 已汇总: used, no errors.
    Used,
    /// 退回(已计入): has errors, used because of `--include-errors`.
    UsedWithErrors,
    /// 退回: has errors (or C04, or Y03); not used.
    Rejected,
    /// 无法读取: a fatal finding.
    Unreadable,
    /// 已替代: a newer file of the same township is used.
    Superseded,
    /// 未报送: expected, no file.
    NotSent,
}

impl Status {
    pub(crate) fn zh(self) -> &'static str {
        match self {
            Status::Used => "已汇总",
            Status::UsedWithErrors => "退回(已计入)",
            Status::Rejected => "退回",
            Status::Unreadable => "无法读取",
            Status::Superseded => "已替代",
            Status::NotSent => "未报送",
        }
    }
    /// Do the figures go into totals and ratings?
    pub(crate) fn is_used(self) -> bool {
        matches!(self, Status::Used | Status::UsedWithErrors)
    }
}

/// One input file of the period.
#[derive(Debug)]
pub struct FileEntry {
    pub loaded: Loaded,
    pub status: Status,
    /// An unreadable file of no known township whose name holds the name of
    /// an expected township that sent nothing: that township's index in
    /// `Batch::townships` (`可能是 枫岭乡`; the township still reads 未报送).
    pub maybe: Option<usize>,
}

/// A file of the period folder that is not read as a return, and why
/// (`outputs.md` "Every file in the period folder is accounted for").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ignored {
    pub file: String,
    pub reason: String,
}

/// One township row of 报送情况 / 汇总.
#[derive(Clone, Debug)]
pub struct TownshipEntry {
    pub code: String,
    pub name: String,
    pub county_code: Option<String>,
    pub county_name: Option<String>,
    /// In the roster (or, without one, in the previous period).
    pub expected: bool,
    pub status: Status,
    /// Indices into `Batch::files` of every file of this township.
    pub files: Vec<usize>,
    /// The file whose figures are used (also set for 退回 files: the file
    /// that was judged).
    pub judged: Option<usize>,
    pub errors: usize,
    pub warnings: usize,
    pub explained: usize,
}

/// A consolidation's inputs, decided.
#[derive(Debug)]
pub struct Batch {
    pub period: Period,
    /// Every input file, sorted by file name (Unicode code point order).
    pub files: Vec<FileEntry>,
    /// Expected townships by code, then unexpected ones by code.
    pub townships: Vec<TownshipEntry>,
    /// Unreadable files whose township cannot be told.
    pub orphans: Vec<usize>,
    /// Files not read as returns (the tool's own workbooks, files that are
    /// not spreadsheets), by file name.
    pub ignored: Vec<Ignored>,
}

impl Batch {
    /// The township's judged return, when its figures are used.
    pub(crate) fn used_return(&self, t: &TownshipEntry) -> Option<&Return> {
        if !t.status.is_used() {
            return None;
        }
        t.judged.and_then(|i| self.files[i].loaded.ret.as_ref())
    }

    /// The unreadable files of township `t` that its row does not name: a
    /// file beside the return it judged (last month's, say), or a second
    /// unreadable file. Each is accounted for on its own: a 报送情况 row, a
    /// feedback workbook named by the file, a count among 另有无法读取.
    pub(crate) fn unreadable_beside<'a>(
        &'a self,
        t: &'a TownshipEntry,
    ) -> impl Iterator<Item = usize> + 'a {
        t.files
            .iter()
            .copied()
            .filter(move |i| self.files[*i].status == Status::Unreadable && t.judged != Some(*i))
    }

    /// Every finding that is reported, in output order.
    #[cfg(test)]
    pub(crate) fn findings(&self) -> Vec<Finding> {
        let mut all: Vec<Finding> = self
            .files
            .iter()
            .flat_map(|f| f.loaded.findings.iter().cloned())
            .collect();
        crate::finding::sort(&mut all);
        all
    }
}

/// A township expected by the roster (or the previous period).
#[derive(Clone, Debug)]
pub struct Expected {
    pub code: String,
    pub name: String,
    pub county_code: Option<String>,
    pub county_name: Option<String>,
}

/// Decide statuses. `files` must be sorted by file name and already carry
/// their single-file findings (rules run); Y01/Y03 are added here.
pub(crate) fn decide(
    period: Period,
    files: Vec<Loaded>,
    expected: &[Expected],
    include_errors: bool,
) -> Batch {
    // The tool's own workbooks are accounted for, not read as returns.
    let (own, files): (Vec<Loaded>, Vec<Loaded>) =
        files.into_iter().partition(|l| l.own_output.is_some());
    let ignored = own
        .into_iter()
        .map(|l| Ignored {
            reason: format!(
                "本工具生成的{},不是乡镇月报",
                l.own_output.map(|k| k.marker()).unwrap_or_default()
            ),
            file: l.file,
        })
        .collect();
    let mut files: Vec<FileEntry> = files
        .into_iter()
        .map(|loaded| FileEntry {
            loaded,
            status: Status::Unreadable,
            maybe: None,
        })
        .collect();
    let mut by_town: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    let mut orphans = Vec::new();
    for (i, f) in files.iter().enumerate() {
        match f.loaded.township_code() {
            Some(code) => by_town.entry(code.to_string()).or_default().push(i),
            None => orphans.push(i),
        }
    }

    let mut townships: Vec<TownshipEntry> = Vec::new();
    let known: BTreeMap<&str, &Expected> = expected.iter().map(|e| (e.code.as_str(), e)).collect();
    let mut codes: Vec<(bool, String)> = expected.iter().map(|e| (true, e.code.clone())).collect();
    codes.sort();
    let mut unexpected: Vec<(bool, String)> = by_town
        .keys()
        .filter(|c| !known.contains_key(c.as_str()))
        .map(|c| (false, c.clone()))
        .collect();
    unexpected.sort();
    codes.extend(unexpected);

    // With nothing to expect (no roster, no previous period) every township
    // that sent a return is what this period expects.
    let expect_all = expected.is_empty();
    for (is_expected, code) in codes {
        let is_expected = is_expected || expect_all;
        let idx = by_town.get(&code).cloned().unwrap_or_default();
        let exp = known.get(code.as_str());
        let name_from_file = idx
            .iter()
            .find_map(|i| {
                files[*i]
                    .loaded
                    .cover
                    .as_ref()
                    .and_then(|c| c.township.clone())
            })
            .unwrap_or_default();
        let mut t = TownshipEntry {
            code: code.clone(),
            name: exp.map(|e| e.name.clone()).unwrap_or(name_from_file),
            county_code: exp.and_then(|e| e.county_code.clone()),
            county_name: exp.and_then(|e| e.county_name.clone()),
            expected: is_expected,
            status: Status::NotSent,
            files: idx.clone(),
            judged: None,
            errors: 0,
            warnings: 0,
            explained: 0,
        };
        let readable: Vec<usize> = idx
            .iter()
            .copied()
            .filter(|i| !files[*i].loaded.is_fatal())
            .collect();
        for i in &idx {
            files[*i].status = Status::Unreadable;
        }
        if readable.is_empty() {
            if !idx.is_empty() {
                t.status = Status::Unreadable;
                t.judged = idx.first().copied();
            }
        } else {
            let date = |i: usize| -> Option<Date> {
                files[i].loaded.cover.as_ref().and_then(|c| c.fill_date)
            };
            let latest = readable.iter().map(|i| date(*i)).max().flatten();
            let tied: Vec<usize> = readable
                .iter()
                .copied()
                .filter(|i| date(*i) == latest)
                .collect();
            let same_figures = tied
                .windows(2)
                .all(|w| figure_changes(&files[w[0]].loaded, &files[w[1]].loaded).is_empty());
            if tied.len() > 1 && !same_figures {
                let names: Vec<String> =
                    tied.iter().map(|i| files[*i].loaded.file.clone()).collect();
                for i in &tied {
                    files[*i].status = Status::Rejected;
                    let f = Finding::new(
                        Code::Y03,
                        format!(
                            "本乡镇有 {} 份填报日期相同({})但数据不同的报表:{}。无法判断以哪份为准,请只报送一份",
                            tied.len(),
                            latest.map(|d| d.to_string()).unwrap_or_else(|| "未填".into()),
                            names.join("、")
                        ),
                    );
                    push(&mut files[*i].loaded, f);
                }
                t.status = Status::Rejected;
                t.judged = None;
                for i in readable.iter().filter(|i| !tied.contains(i)) {
                    supersede(&mut files, *i, tied[0]);
                }
            } else {
                let used = tied[0]; // first by file name among the latest
                for i in readable.iter().filter(|i| **i != used) {
                    supersede(&mut files, *i, used);
                }
                let has_errors = files[used].loaded.has_errors();
                let status = match (has_errors, include_errors) {
                    (false, _) => Status::Used,
                    (true, true) => Status::UsedWithErrors,
                    (true, false) => Status::Rejected,
                };
                files[used].status = status;
                t.status = status;
                t.judged = Some(used);
            }
        }
        // Counts: every file of the township (superseded ones keep only
        // their Y01), so Y findings count too.
        for i in &t.files {
            for f in &files[*i].loaded.findings {
                match f.level {
                    Level::Fatal | Level::Error => t.errors += 1,
                    Level::Warning if f.explained => t.explained += 1,
                    Level::Warning => t.warnings += 1,
                }
            }
        }
        townships.push(t);
    }
    for i in &orphans {
        files[*i].status = Status::Unreadable;
        files[*i].maybe = maybe_of(&files[*i].loaded.file, &townships);
    }
    Batch {
        period,
        files,
        townships,
        orphans,
        ignored,
    }
}

/// The expected township that sent nothing whose name an unreadable file's
/// name holds (the longest such name), if any.
fn maybe_of(file: &str, townships: &[TownshipEntry]) -> Option<usize> {
    let file = crate::read::normalise::clean(file);
    townships
        .iter()
        .enumerate()
        .filter(|(_, t)| t.expected && t.status == Status::NotSent && !t.name.is_empty())
        .filter(|(_, t)| file.contains(crate::read::normalise::clean(&t.name).as_str()))
        .max_by_key(|(_, t)| t.name.chars().count())
        .map(|(i, _)| i)
}

fn push(loaded: &mut Loaded, mut f: Finding) {
    crate::finding::stamp(
        std::slice::from_mut(&mut f),
        &loaded.file,
        loaded.township_code(),
    );
    loaded.findings.push(f);
    crate::finding::sort(&mut loaded.findings);
}

/// Mark file `old` superseded by `new`: its own findings are dropped and
/// one Y01 lists the figures that differ.
fn supersede(files: &mut [FileEntry], old: usize, new: usize) {
    let changes = figure_changes(&files[old].loaded, &files[new].loaded);
    let shown: Vec<&str> = changes.iter().take(10).map(String::as_str).collect();
    let more = changes.len().saturating_sub(10);
    let diff = if changes.is_empty() {
        "数据完全相同".to_string()
    } else if more > 0 {
        format!("不同的数据:{};另有 {more} 处不同", shown.join(";"))
    } else {
        format!("不同的数据:{}", shown.join(";"))
    };
    let used_name = files[new].loaded.file.clone();
    let loaded = &mut files[old].loaded;
    loaded.findings.clear();
    let f = Finding::new(
        Code::Y01,
        format!("本乡镇另有报表“{used_name}”(填报日期更晚或相同),以它为准,本文件已被替代。{diff}"),
    );
    push(loaded, f);
    files[old].status = Status::Superseded;
}

/// Figures that differ between two returns of one township, as
/// `村(社区)代码 列名 旧值→新值` (old = `a`, new = `b`), village sheets in
/// template order, villages by code, columns in schema order.
pub(crate) fn figure_changes(a: &Loaded, b: &Loaded) -> Vec<String> {
    let (Some(ra), Some(rb)) = (&a.ret, &b.ret) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for spec in schema::VILLAGE_SHEETS {
        let (Some(ta), Some(tb)) = (ra.table(spec.id), rb.table(spec.id)) else {
            continue;
        };
        let index = |t: &crate::model::Table| -> BTreeMap<String, Vec<String>> {
            t.rows
                .iter()
                .filter_map(|r| {
                    let code = t.code(r)?.to_string();
                    let vals = t
                        .fields(r)
                        .map(|f| match f {
                            Field::Ok(v) => v.to_string(),
                            Field::Bad => "(无法识别)".into(),
                            Field::Blank | Field::Absent => "(空)".into(),
                        })
                        .collect();
                    Some((code, vals))
                })
                .collect()
        };
        let (ia, ib) = (index(ta), index(tb));
        let codes: std::collections::BTreeSet<&String> = ia.keys().chain(ib.keys()).collect();
        for code in codes {
            match (ia.get(code), ib.get(code)) {
                (Some(x), Some(y)) => {
                    for (k, column) in spec.columns.iter().enumerate() {
                        if x[k] != y[k] {
                            out.push(format!("{code} {} {}→{}", column.header, x[k], y[k]));
                        }
                    }
                }
                (Some(_), None) => out.push(format!("{code} {} 有→无", spec.name)),
                (None, Some(_)) => out.push(format!("{code} {} 无→有", spec.name)),
                (None, None) => {}
            }
        }
    }
    // Hanging signs, as a count per village.
    let signs = |r: &Return| -> BTreeMap<String, usize> {
        let mut m = BTreeMap::new();
        if let Some(t) = r.table(SheetId::SignDetail) {
            for row in &t.rows {
                if let Some(c) = t.code(row) {
                    *m.entry(c.to_string()).or_default() += 1;
                }
            }
        }
        m
    };
    let (sa, sb) = (signs(ra), signs(rb));
    let codes: std::collections::BTreeSet<&String> = sa.keys().chain(sb.keys()).collect();
    for code in codes {
        let (x, y) = (
            sa.get(code).copied().unwrap_or(0),
            sb.get(code).copied().unwrap_or(0),
        );
        if x != y {
            out.push(format!("{code} 标牌明细行数 {x}→{y}"));
        }
    }
    out
}
