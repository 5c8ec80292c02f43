//! 报送情况: every expected township's status, then the files a
//! township's row does not name (superseded, or unreadable beside the one
//! judged) and unreadable files of no known township.

use super::*;
use crate::batch::{Batch, FileEntry, Status};
use crate::model::Cover;
use crate::write::grid::*;
use crate::write::readme::cover;

pub(crate) fn cover_cells(cover: Option<&Cover>) -> [Cell; 3] {
    match cover {
        Some(c) => [
            Cell::opt(c.filler.as_deref()),
            Cell::opt(c.phone.as_deref()),
            c.fill_date.map(Cell::Date).unwrap_or(Cell::Blank),
        ],
        None => [Cell::Blank, Cell::Blank, Cell::Blank],
    }
}

/// (错误数, 提示数, 已说明提示数) of one file.
pub(crate) fn file_counts(f: &FileEntry) -> [Cell; 3] {
    let fs = &f.loaded.findings;
    let errors = fs.iter().filter(|x| x.level.is_error()).count();
    let explained = fs
        .iter()
        .filter(|x| !x.level.is_error() && x.explained)
        .count();
    let open = fs.len() - errors - explained;
    [
        Cell::count(errors),
        Cell::count(open),
        Cell::count(explained),
    ]
}

pub(crate) fn submissions_table(batch: &Batch) -> Table {
    let mut table = Table::new(&SUBMISSION_HEADERS);
    table.freeze_cols = 2;
    for t in &batch.townships {
        let (file, cover) = match t.judged {
            Some(i) => (batch.files[i].loaded.file.clone(), cover(&batch.files[i])),
            // Y03: no file is used; name every tied file (the superseded
            // and unreadable ones have rows of their own below).
            None => (
                t.files
                    .iter()
                    .filter(|i| batch.files[**i].status == Status::Rejected)
                    .map(|i| batch.files[*i].loaded.file.as_str())
                    .collect::<Vec<_>>()
                    .join("、"),
                None,
            ),
        };
        let mut row = vec![
            Cell::text(&t.code),
            Cell::text(&t.name),
            Cell::text(t.status.zh()),
            Cell::text(file),
        ];
        row.extend(cover_cells(cover));
        row.extend([
            Cell::count(t.errors),
            Cell::count(t.warnings),
            Cell::count(t.explained),
        ]);
        table.push(row, false);
    }
    // Files of a township that its row does not name: superseded ones,
    // and unreadable ones beside the file it judged.
    for t in &batch.townships {
        let beside: Vec<usize> = batch.unreadable_beside(t).collect();
        for i in &t.files {
            let f = &batch.files[*i];
            if f.status != Status::Superseded && !beside.contains(i) {
                continue;
            }
            let mut row = vec![
                Cell::text(&t.code),
                Cell::text(&t.name),
                Cell::text(f.status.zh()),
                Cell::text(&f.loaded.file),
            ];
            row.extend(cover_cells(cover(f)));
            row.extend(file_counts(f));
            table.push(row, false);
        }
    }
    for i in &batch.orphans {
        let f = &batch.files[*i];
        // The township it may be still reads 未报送 above.
        let status = match f.maybe {
            Some(k) => format!(
                "{}(可能是 {})",
                Status::Unreadable.zh(),
                batch.townships[k].name
            ),
            None => Status::Unreadable.zh().to_string(),
        };
        let mut row = vec![
            Cell::Blank,
            Cell::Blank,
            Cell::text(status),
            Cell::text(&f.loaded.file),
        ];
        row.extend(cover_cells(cover(f)));
        row.extend(file_counts(f));
        table.push(row, false);
    }
    // Files not read as returns, with the reason.
    for g in &batch.ignored {
        let mut row = vec![
            Cell::Blank,
            Cell::Blank,
            Cell::text(format!("{}:{}", IGNORED, g.reason)),
            Cell::text(&g.file),
        ];
        row.extend([Cell::Blank, Cell::Blank, Cell::Blank]);
        row.extend([Cell::Blank, Cell::Blank, Cell::Blank]);
        table.push(row, false);
    }
    table
}

/// The status of a file not read as a return.
pub(crate) const IGNORED: &str = "已忽略";
