//! The five data sheets: every used village row, straight from the
//! returns in county order, never copied into a frame.

use crate::aggregate;
use crate::write::grid::*;
use std::collections::BTreeMap;
use std::ops::Range;

/// A data sheet's rows straight from the returns, in county order (the
/// same cells as [`aggregate::village_frame`] would hold, without building
/// it).
pub(crate) struct RowsGrid<'a> {
    pub(crate) headers: Vec<String>,
    pub(crate) cols: Vec<ColFmt>,
    pub(crate) rows: aggregate::VillageRows<'a>,
    /// Text that is not borrowed from a row: a number typed into a text
    /// column, shown as read. By (row, schema column).
    pub(crate) shown: BTreeMap<(usize, usize), String>,
}

impl<'a> RowsGrid<'a> {
    pub(crate) fn new(rows: aggregate::VillageRows<'a>) -> RowsGrid<'a> {
        let headers: Vec<String> = rows.headers().map(str::to_string).collect();
        let cols = crate::write::columns::looks(&headers);
        let mut shown = BTreeMap::new();
        for i in (0..rows.spec.columns.len()).filter(|i| !rows.is_number(*i)) {
            for k in 0..rows.len() {
                if let Some(std::borrow::Cow::Owned(s)) = rows.text(k, i) {
                    shown.insert((k, i), s);
                }
            }
        }
        RowsGrid {
            headers,
            cols,
            rows,
            shown,
        }
    }
}

impl Grid for RowsGrid<'_> {
    fn headers(&self) -> &[String] {
        &self.headers
    }
    fn cols(&self) -> &[ColFmt] {
        &self.cols
    }
    fn len(&self) -> usize {
        self.rows.len()
    }
    fn column(&self, c: usize, range: Range<usize>) -> Column<'_> {
        fn text(s: &str) -> CellRef<'_> {
            if s.is_empty() {
                CellRef::Blank
            } else {
                CellRef::Text(s)
            }
        }
        match c {
            0 => Box::new(range.map(|k| text(&self.rows.get(k).0.code))),
            1 => Box::new(range.map(|k| text(&self.rows.get(k).0.name))),
            _ if self.rows.is_number(c - 2) => {
                Box::new(range.map(move |k| match self.rows.number(k, c - 2) {
                    Some(x) if x.is_finite() => CellRef::Num(x),
                    _ => CellRef::Blank,
                }))
            }
            _ => Box::new(range.map(move |k| match self.rows.text(k, c - 2) {
                Some(std::borrow::Cow::Borrowed(s)) => text(s),
                Some(std::borrow::Cow::Owned(_)) => text(&self.shown[&(k, c - 2)]),
                None => CellRef::Blank,
            })),
        }
    }
}
