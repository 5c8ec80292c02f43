//! Finding a table's header row, the one way for every sheet the tool
//! reads (returns, roster, county scores): within the first ten rows, a
//! row whose text names enough of the wanted columns, each by its header or
//! an alias, compared after `header_key` (trim, fold full-width, drop
//! inner spaces and line breaks).

use super::normalise::header_key;
use super::workbook::{CellValue, RawRow, RawSheet};

/// Rows searched for the header (`returns.md`: "within the first 10").
pub(crate) const HEADER_SEARCH_ROWS: u32 = 10;

/// The columns a table wants, each by its header and aliases.
pub(crate) struct Wanted {
    keys: Vec<Vec<String>>,
}

impl Wanted {
    /// One entry per column: its header first, then its aliases.
    pub(crate) fn new<'a, C, N>(columns: C) -> Wanted
    where
        C: IntoIterator<Item = N>,
        N: IntoIterator<Item = &'a str>,
    {
        Wanted {
            keys: columns
                .into_iter()
                .map(|names| names.into_iter().map(header_key).collect())
                .collect(),
        }
    }

    /// How many columns are wanted.
    pub(crate) fn len(&self) -> usize {
        self.keys.len()
    }

    /// The wanted column a header text names, if any.
    pub(crate) fn column_of(&self, text: &str) -> Option<usize> {
        let k = header_key(text);
        self.keys.iter().position(|ks| ks.contains(&k))
    }

    /// Which wanted columns a row's text cells name.
    pub(crate) fn hits(&self, row: &RawRow) -> Vec<bool> {
        let mut hit = vec![false; self.keys.len()];
        for c in &row.cells {
            if let CellValue::Text(t) = &c.value {
                if let Some(i) = self.column_of(t) {
                    hit[i] = true;
                }
            }
        }
        hit
    }

    /// Each wanted column's first column in a header row.
    pub(crate) fn first_columns(&self, row: &RawRow) -> Vec<Option<u32>> {
        let mut cols = vec![None; self.keys.len()];
        for c in &row.cells {
            if let CellValue::Text(t) = &c.value {
                if let Some(i) = self.column_of(t) {
                    cols[i].get_or_insert(c.col);
                }
            }
        }
        cols
    }
}

/// The first row within the first [`HEADER_SEARCH_ROWS`] whose hits satisfy
/// `enough`; else the hits of the row that came closest — fewest of the
/// `required` columns missing, the first such row — for saying what is
/// missing.
pub(crate) fn find<'s>(
    sheet: &'s RawSheet,
    wanted: &Wanted,
    required: &[bool],
    enough: impl Fn(&[bool]) -> bool,
) -> Result<&'s RawRow, Vec<bool>> {
    let missing = |h: &[bool]| h.iter().zip(required).filter(|(h, r)| **r && !**h).count();
    let mut best = vec![false; wanted.len()];
    for row in sheet.rows.iter().take_while(|r| r.row < HEADER_SEARCH_ROWS) {
        let hit = wanted.hits(row);
        if enough(&hit) {
            return Ok(row);
        }
        if missing(&hit) < missing(&best) {
            best = hit;
        }
    }
    Err(best)
}
