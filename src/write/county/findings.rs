//! 校验问题: every finding of the period, in the order of `outputs.md`,
//! read straight from the batch (a month with findings in every township
//! has tens of thousands; they are not copied into a table first).

use super::*;
use crate::batch::Batch;
use crate::finding::{Finding, Level};
use crate::write::grid::*;
use std::collections::BTreeMap;
use std::ops::Range;

/// The findings of the batch and `extra`, sorted, as a table.
pub(crate) struct FindingsGrid<'a> {
    /// Headers and column looks.
    shape: Table,
    rows: Vec<&'a Finding>,
    /// Township code → name.
    names: BTreeMap<&'a str, &'a str>,
    /// 级别 of an explained finding, by level.
    explained: [String; 3],
}

pub(crate) fn findings_table<'a>(batch: &'a Batch, extra: &'a [Finding]) -> FindingsGrid<'a> {
    let names = batch
        .townships
        .iter()
        .map(|t| (t.code.as_str(), t.name.as_str()))
        .collect();
    let mut rows: Vec<&Finding> = batch
        .files
        .iter()
        .flat_map(|f| &f.loaded.findings)
        .chain(extra)
        .collect();
    crate::finding::sort(&mut rows);
    FindingsGrid {
        shape: Table::new(&FINDING_HEADERS),
        rows,
        names,
        explained: [Level::Fatal, Level::Error, Level::Warning]
            .map(|l| format!("{}(已说明)", l.zh())),
    }
}

impl FindingsGrid<'_> {
    /// 级别 as shown: the level, and whether the warning is explained.
    fn level_text(&self, f: &Finding) -> &str {
        if f.explained {
            &self.explained[f.level as usize]
        } else {
            f.level.zh()
        }
    }
}

fn text(s: Option<&str>) -> CellRef<'_> {
    match s {
        Some(s) if !s.is_empty() => CellRef::Text(s),
        _ => CellRef::Blank,
    }
}

impl Grid for FindingsGrid<'_> {
    fn headers(&self) -> &[String] {
        &self.shape.headers
    }
    fn cols(&self) -> &[ColFmt] {
        &self.shape.cols
    }
    fn len(&self) -> usize {
        self.rows.len()
    }
    /// Columns in the order of [`FINDING_HEADERS`].
    fn column(&self, c: usize, range: Range<usize>) -> Column<'_> {
        let rows = self.rows[range].iter().copied();
        match c {
            0 => Box::new(rows.map(|f| text(f.township.as_deref()))),
            1 => Box::new(rows.map(|f| {
                text(
                    f.township
                        .as_deref()
                        .and_then(|c| self.names.get(c).copied()),
                )
            })),
            2 => Box::new(rows.map(|f| text(Some(&f.file)))),
            3 => Box::new(rows.map(|f| text(f.sheet.as_deref()))),
            4 => Box::new(rows.map(|f| text(f.cell.as_deref()))),
            5 => Box::new(rows.map(|f| text(f.village.as_deref()))),
            6 => Box::new(rows.map(|f| CellRef::Text(f.code.as_str()))),
            7 => Box::new(rows.map(|f| CellRef::Text(self.level_text(f)))),
            8 => Box::new(rows.map(|f| text(Some(&f.message)))),
            _ => Box::new(rows.map(|f| text(f.value.as_deref()))),
        }
    }
}
