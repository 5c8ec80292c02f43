//! 校验问题: every finding of the period, in the order of `outputs.md`.

use super::*;
use crate::batch::Batch;
use crate::finding::Finding;
use crate::write::grid::*;
use std::collections::BTreeMap;

pub(crate) fn findings_table(batch: &Batch, extra: &[Finding]) -> Table {
    let mut table = Table::new(&FINDING_HEADERS);
    let names: BTreeMap<&str, &str> = batch
        .townships
        .iter()
        .map(|t| (t.code.as_str(), t.name.as_str()))
        .collect();
    let mut all = batch.findings();
    all.extend(extra.iter().cloned());
    crate::finding::sort(&mut all);
    for f in all {
        let town = f.township.as_deref();
        let level = if f.explained {
            format!("{}(已说明)", f.level.zh())
        } else {
            f.level.zh().to_string()
        };
        table.push(
            vec![
                Cell::opt(town),
                Cell::opt(town.and_then(|c| names.get(c).copied())),
                Cell::text(&f.file),
                Cell::opt(f.sheet.as_deref()),
                Cell::opt(f.cell.as_deref()),
                Cell::opt(f.village.as_deref()),
                Cell::text(f.code.as_str()),
                Cell::text(level),
                Cell::text(&f.message),
                Cell::opt(f.value.as_deref()),
            ],
            false,
        );
    }
    table
}
